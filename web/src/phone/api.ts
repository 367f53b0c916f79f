/*
 * ramal's HTTP API as the softphone uses it (docs/api.md).  The session is
 * the HttpOnly cookie; state-changing requests carry X-CSRF-Token.  Paths,
 * bodies and answers are the types generated from docs/openapi.yaml
 * (src/api/openapi.d.ts): a path or field the YAML lacks does not compile.
 */
import { isObject } from '../api/events';
import type {
  AgentStatus,
  AlertRulesUpdate,
  ApiPath,
  CloseResult,
  LoginReply,
  MethodOf,
  PathParams,
  RequestBody,
  StatusRequest,
  SuccessBody,
} from '../api/types';

export type { LoginReply } from '../api/types';

export class ApiError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function request<T>(method: string, path: string, body?: unknown, csrf?: string | null): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (csrf) headers['X-CSRF-Token'] = csrf;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'login.network');
  }
  let data: unknown = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const msg = isObject(data) && typeof data.error === 'string' ? data.error : `error.server:${res.status}`;
    throw new ApiError(res.status, msg);
  }
  // The server's word (docs/openapi.yaml) is taken for the shape of a 2xx.
  return data as T;
}

type Options<P extends ApiPath, M extends MethodOf<P>> = (PathParams<P, M> extends undefined
  ? { params?: undefined }
  : { params: PathParams<P, M> }) &
  (RequestBody<P, M> extends undefined ? { body?: undefined } : { body: RequestBody<P, M> }) & {
    csrf?: string | null;
  };

/** "/api/calls/{sid}/hold" with {sid} filled in (URI-encoded). */
export function expandPath(template: string, params: Record<string, string | number> | undefined): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = params?.[name];
    if (v === undefined) throw new Error(`no value for {${name}} in ${template}`);
    return encodeURIComponent(String(v));
  });
}

/** One operation of docs/openapi.yaml, by method and path template. */
function call<P extends ApiPath, M extends MethodOf<P>>(method: M, path: P, opts: Options<P, M>): Promise<SuccessBody<P, M>> {
  return request<SuccessBody<P, M>>(method.toUpperCase(), expandPath(path, opts.params), opts.body, opts.csrf);
}

export function csrfFromCookie(cookie: string): string | null {
  const m = /(?:^|;\s*)ramal_csrf=([^;]+)/.exec(cookie);
  return m ? decodeURIComponent(m[1]) : null;
}

export const api = {
  login: (email: string, password: string): Promise<LoginReply> =>
    call('post', '/api/login', { body: { email, password } }),
  logout: (csrf: string | null) => call('post', '/api/logout', { csrf }),
  me: () => call('get', '/api/me', {}),
  token: () => call('get', '/token', {}),
  setStatus: (status: StatusRequest['status'], csrf: string | null) =>
    call('put', '/api/agents/me/status', { body: { status }, csrf }),
  endWrapup: (csrf: string | null) => call('post', '/api/agents/me/wrapup/end', { csrf }),
  hold: (sid: string, hold: boolean, csrf: string | null) =>
    hold
      ? call('post', '/api/calls/{sid}/hold', { params: { sid }, csrf })
      : call('post', '/api/calls/{sid}/unhold', { params: { sid }, csrf }),
  agents: () => call('get', '/api/agents', {}),
  callbacks: () => call('get', '/api/callbacks', {}),
  nextCallback: (csrf: string | null) => call('post', '/api/callbacks/next', { csrf }),
  closeCallback: (id: number, result: CloseResult, csrf: string | null) =>
    call('post', '/api/callbacks/{id}/close', { params: { id }, body: { result }, csrf }),
  alertRules: () => call('get', '/api/admin/alert-rules', {}),
  saveAlertRules: (body: AlertRulesUpdate, csrf: string | null) =>
    call('put', '/api/admin/alert-rules', { body, csrf }),
};

export type Api = typeof api;
export type { AgentStatus };
