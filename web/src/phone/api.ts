/*
 * ramal's HTTP API as the softphone uses it: the typed client of
 * clients/ts (@ramal/client) signed in by the session cookie, since ramal
 * serves this page itself.  The session is the HttpOnly cookie;
 * state-changing requests carry X-CSRF-Token (the machine's csrf, passed
 * in).  Refusals are the client's ApiError, with the messages the
 * screens translate (i18n.ts): 'login.network' when no answer came,
 * 'error.server:<status>' when the answer had no JSON message.
 */
import { ApiError, RamalClient, type AlertRulesUpdate, type CloseResult, type StatusRequest } from '@ramal/client';

export { ApiError } from '@ramal/client';
export type { AgentStatus, LoginReply } from '@ramal/client';

export const client = new RamalClient({ baseUrl: '', auth: 'cookie' });

/* The client's error, its message made one the screens know. */
function local(err: unknown): unknown {
  if (!(err instanceof ApiError)) return err;
  if (err.status === 0) return new ApiError(0, 'login.network', { kind: 'network', method: err.method, path: err.path, cause: err });
  if (err.body === null)
    return new ApiError(err.status, `error.server:${err.status}`, { method: err.method, path: err.path, requestId: err.requestId, retryAfter: err.retryAfter });
  return err;
}

function mapped<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args) =>
    fn(...args).catch((e: unknown) => {
      throw local(e);
    });
}

export function csrfFromCookie(cookie: string): string | null {
  const m = /(?:^|;\s*)ramal_csrf=([^;]+)/.exec(cookie);
  return m ? decodeURIComponent(m[1]) : null;
}

export const api = {
  login: mapped((email: string, password: string) => client.login(email, password)),
  logout: mapped((csrf: string | null) => client.logout({ csrf })),
  me: mapped(() => client.me()),
  token: mapped(() => client.token()),
  setStatus: mapped((status: StatusRequest['status'], csrf: string | null) => client.setStatus(status, { csrf })),
  endWrapup: mapped((csrf: string | null) => client.endWrapup({ csrf })),
  hold: mapped((sid: string, hold: boolean, csrf: string | null) =>
    hold ? client.hold(sid, { csrf }) : client.unhold(sid, { csrf }),
  ),
  agents: mapped(() => client.agents()),
  /** The /api/events URL (the cookie goes with it; last_event_id to carry on). */
  eventsUrl: mapped((lastEventId: string | null) => client.eventsUrl(lastEventId)),
  callbacks: mapped(() => client.callbacks()),
  nextCallback: mapped((csrf: string | null) => client.nextCallback({ csrf })),
  closeCallback: mapped((id: number, result: CloseResult, csrf: string | null) => client.closeCallback(id, result, { csrf })),
  alertRules: mapped(() => client.alertRules()),
  saveAlertRules: mapped((body: AlertRulesUpdate, csrf: string | null) => client.saveAlertRules(body, { csrf })),
};

export type Api = typeof api;
