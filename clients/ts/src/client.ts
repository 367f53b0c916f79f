/*
 * ramal's app API (docs/api.md, docs/openapi.yaml) for a browser app on
 * any origin.  Two ways to be signed in:
 *
 * - 'bearer' (the default): for an app served from another origin (a
 *   Lovable app, a mobile shell).  The token of POST /api/login goes in
 *   `Authorization: Bearer`, no cookie is sent or kept (credentials
 *   'omit'), and the server must list the app's origin in
 *   CORS_ALLOWED_ORIGINS.  Bearer requests need no CSRF token.
 * - 'cookie': for the softphone ramal serves itself (web/): the HttpOnly
 *   session cookie, and X-CSRF-Token on requests that change state.
 *
 * Paths, bodies and answers are the types generated from
 * docs/openapi.yaml (openapi.d.ts): a path or field the YAML lacks does
 * not compile.  Every refusal is an ApiError.
 */
import { ApiError } from './errors.js';
import { LiveEvents, type LiveEventsOptions } from './events.js';
import { memoryStore, type StoredSession, type TokenStore } from './session.js';
import type {
  AgentStatusRequest,
  AlertRulesUpdate,
  AlertsReply,
  ApiPath,
  CallbacksReply,
  CloseResult,
  ErrorBody,
  LoginReply,
  MethodOf,
  PathParams,
  RequestBody,
  StatusRequest,
  SuccessBody,
  TicketReply,
} from './types.js';

/** The query of GET /api/admin/numbers/search. */
export interface NumberSearch {
  ddd?: string;
  type?: 'local' | 'mobile' | 'toll-free';
  contains?: string;
  limit?: number;
  country?: 'BR';
}

export type NumberSearchReply = SuccessBody<'/api/admin/numbers/search', 'get'>;

/** The part of a fetch Response the client reads. */
export interface ResponseLike {
  ok: boolean;
  status: number;
  headers?: { get(name: string): string | null };
  json(): Promise<unknown>;
}

/** What the client passes to fetch. */
export interface RequestInitLike {
  method: string;
  headers: Record<string, string>;
  body?: string;
  credentials: 'omit' | 'same-origin';
  signal?: AbortSignal;
}

export type FetchLike = (url: string, init: RequestInitLike) => Promise<ResponseLike>;

export type AuthMode = 'bearer' | 'cookie';

export interface ClientOptions {
  /** ramal's origin, e.g. 'https://ramal.example.com'; '' is the page's own. */
  baseUrl?: string;
  auth?: AuthMode;
  /** Where the session is kept (default: in memory). */
  store?: TokenStore;
  /** Default: the global fetch, looked up at each request. */
  fetch?: FetchLike;
  now?: () => number;
  /**
   * A request was refused with 401: the session expired or was revoked.
   * The stored session is already forgotten; show the sign-in again.
   */
  onUnauthorized?: (err: ApiError) => void;
}

/** Per request: an explicit CSRF token (cookie sessions), an abort signal. */
export interface CallOptions {
  csrf?: string | null;
  signal?: AbortSignal;
}

type Options<P extends ApiPath, M extends MethodOf<P>> = (PathParams<P, M> extends undefined
  ? { params?: undefined }
  : { params: PathParams<P, M> }) &
  (RequestBody<P, M> extends undefined ? { body?: undefined } : { body: RequestBody<P, M> }) &
  CallOptions;

/** "/api/calls/{sid}/hold" with {sid} filled in (URI-encoded). */
export function expandPath(template: string, params: Record<string, string | number> | undefined): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = params?.[name];
    if (v === undefined) throw new Error(`no value for {${name}} in ${template}`);
    return encodeURIComponent(String(v));
  });
}

function isErrorBody(v: unknown): v is ErrorBody {
  return typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>).error === 'string';
}

/** Retry-After in seconds (the server sends seconds, never a date). */
function retryAfter(v: string | null | undefined): number | null {
  return v && /^\d+$/.test(v.trim()) ? Number(v.trim()) : null;
}

const EVENT_ID = /^\d{1,18}$/;

interface SendOptions extends CallOptions {
  body?: unknown;
  /** Sent without the session (sign-in). */
  anonymous?: boolean;
}

export class RamalClient {
  readonly baseUrl: string;
  readonly auth: AuthMode;
  private readonly store: TokenStore;
  private readonly fetchFn: FetchLike;
  private readonly now: () => number;
  private readonly onUnauthorized: ((err: ApiError) => void) | undefined;

  constructor(opts: ClientOptions = {}) {
    this.baseUrl = (opts.baseUrl ?? '').replace(/\/+$/, '');
    this.auth = opts.auth ?? 'bearer';
    this.store = opts.store ?? memoryStore();
    this.fetchFn = opts.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.now = opts.now ?? (() => Date.now());
    this.onUnauthorized = opts.onUnauthorized;
  }

  /** An absolute URL of ramal (or a path of the page's origin when baseUrl is ''). */
  url(path: string): string {
    return this.baseUrl + path;
  }

  /* ---- the session ---- */

  /** The stored session, or null. */
  session(): StoredSession | null {
    return this.store.load();
  }

  /** When the session ends (the login answer's expires_at), or null. */
  expiresAt(): Date | null {
    const s = this.store.load();
    if (!s) return null;
    const t = Date.parse(s.expiresAt);
    return Number.isNaN(t) ? null : new Date(t);
  }

  /** A stored session that has not expired yet (it may still have been revoked). */
  isSignedIn(): boolean {
    const s = this.store.load();
    const end = this.expiresAt();
    return !!s && (this.auth === 'cookie' || s.token !== '') && end !== null && end.getTime() > this.now();
  }

  /**
   * POST /api/login: signs in and keeps the session (the Bearer token and
   * its expiry; the CSRF token too).  401: wrong email or password; 409:
   * the email is in several accounts, pass `account`; 429: wait
   * err.retryAfter seconds.
   */
  async login(email: string, password: string, account?: string, opts: CallOptions = {}): Promise<LoginReply> {
    const body: RequestBody<'/api/login', 'post'> = account === undefined ? { email, password } : { email, password, account };
    const r = await this.send<LoginReply>('POST', '/api/login', { body, signal: opts.signal, anonymous: true });
    this.store.save({ token: this.auth === 'bearer' ? r.token : '', expiresAt: r.expires_at, csrf: r.csrf_token });
    return r;
  }

  /**
   * POST /api/logout: ends the session on the server, and forgets it here
   * whatever the answer (a session the server no longer knows is no error).
   */
  async logout(opts: CallOptions = {}): Promise<void> {
    try {
      await this.request('post', '/api/logout', opts);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) throw e;
    } finally {
      this.store.save(null);
    }
  }

  /* ---- the operations ---- */

  me(opts: CallOptions = {}) {
    return this.request('get', '/api/me', opts);
  }

  /** GET /token: a Voice SDK access token (see voice.ts to keep a Device's fresh). */
  token(opts: CallOptions = {}) {
    return this.request('get', '/token', opts);
  }

  /** PUT /api/agents/me/status: available, busy or offline (TaskRouter follows). */
  setStatus(status: StatusRequest['status'], opts: CallOptions = {}) {
    return this.request('put', '/api/agents/me/status', { body: { status }, ...opts });
  }

  /** POST /api/agents/me/wrapup/end: back to available after a queue call. */
  endWrapup(opts: CallOptions = {}) {
    return this.request('post', '/api/agents/me/wrapup/end', opts);
  }

  /** POST /api/calls/{sid}/hold, sid being the CallSid the SDK's call has. */
  hold(sid: string, opts: CallOptions = {}) {
    return this.request('post', '/api/calls/{sid}/hold', { params: { sid }, ...opts });
  }

  unhold(sid: string, opts: CallOptions = {}) {
    return this.request('post', '/api/calls/{sid}/unhold', { params: { sid }, ...opts });
  }

  /** GET /api/calls/{sid}: the call and its hold state. */
  getCall(sid: string, opts: CallOptions = {}) {
    return this.request('get', '/api/calls/{sid}', { params: { sid }, ...opts });
  }

  /** GET /api/agents (supervisors and admins). */
  agents(opts: CallOptions = {}) {
    return this.request('get', '/api/agents', opts);
  }

  /** PUT /api/agents/{id}/status (supervisors and admins). */
  setAgentStatus(id: number, status: AgentStatusRequest['status'], opts: CallOptions = {}) {
    return this.request('put', '/api/agents/{id}/status', { params: { id }, body: { status }, ...opts });
  }

  /* ---- alerts and the callback list (docs/alerts.md) ---- */

  /** GET /api/callbacks: open (default), closed or all; with the open count and the oldest. */
  callbacks(state: 'open' | 'closed' | 'all' = 'open', opts: CallOptions = {}): Promise<CallbacksReply> {
    return this.send('GET', '/api/callbacks' + (state === 'open' ? '' : '?state=' + state), opts);
  }

  /** POST /api/callbacks/next: take the next open callback (404 when none waits). */
  nextCallback(opts: CallOptions = {}) {
    return this.request('post', '/api/callbacks/next', opts);
  }

  /** POST /api/callbacks/{id}/assign (supervisors): to an agent, or null for nobody. */
  assignCallback(id: number, userId: number | null, opts: CallOptions = {}) {
    return this.request('post', '/api/callbacks/{id}/assign', { params: { id }, body: { user_id: userId }, ...opts });
  }

  /** POST /api/callbacks/{id}/close: done, no-answer or canceled. */
  closeCallback(id: number, result: CloseResult, opts: CallOptions = {}) {
    return this.request('post', '/api/callbacks/{id}/close', { params: { id }, body: { result }, ...opts });
  }

  /** GET /api/alerts (supervisors): recent alerts with their deliveries; before: the previous page's next_before. */
  alerts(before: number | null = null, opts: CallOptions = {}): Promise<AlertsReply> {
    return this.send('GET', '/api/alerts' + (before ? '?before=' + before : ''), opts);
  }

  /** GET /api/admin/alert-rules (admins). */
  alertRules(opts: CallOptions = {}) {
    return this.request('get', '/api/admin/alert-rules', opts);
  }

  /** PUT /api/admin/alert-rules (admins): members left out stay as they are. */
  saveAlertRules(body: AlertRulesUpdate, opts: CallOptions = {}) {
    return this.request('put', '/api/admin/alert-rules', { body, ...opts });
  }

  /* ---- numbers (admins; docs/numbers.md) ---- */

  /** GET /api/admin/numbers: the tenant's numbers as ramal last read them. */
  numbers(opts: CallOptions = {}) {
    return this.request('get', '/api/admin/numbers', opts);
  }

  /** GET /api/admin/numbers/search: what Twilio sells in a DDD (and, when none, in the rest of its state). */
  searchNumbers(q: NumberSearch, opts: CallOptions = {}): Promise<NumberSearchReply> {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null) u.set(k, String(v));
    const qs = u.toString();
    return this.send('GET', '/api/admin/numbers/search' + (qs ? '?' + qs : ''), opts);
  }

  /** POST /api/admin/numbers: buy a number (idempotent by number: a second call finds it). */
  buyNumber(body: RequestBody<'/api/admin/numbers', 'post'>, opts: CallOptions = {}) {
    return this.request('post', '/api/admin/numbers', { body, ...opts });
  }

  /** PATCH /api/admin/numbers/{sid}: its owner (null: nobody) or label. */
  updateNumber(sid: string, body: RequestBody<'/api/admin/numbers/{sid}', 'patch'>, opts: CallOptions = {}) {
    return this.request('patch', '/api/admin/numbers/{sid}', { params: { sid }, body, ...opts });
  }

  /** DELETE /api/admin/numbers/{sid}: release it at Twilio; force also releases an agent's dedicated line. */
  releaseNumber(sid: string, force = false, opts: CallOptions = {}): Promise<SuccessBody<'/api/admin/numbers/{sid}', 'delete'>> {
    return this.send('DELETE', expandPath('/api/admin/numbers/{sid}', { sid }) + (force ? '?force=true' : ''), opts);
  }

  /** POST /api/events/ticket: a single-use ticket, valid expires_in seconds, for GET /api/events. */
  eventsTicket(opts: CallOptions = {}): Promise<TicketReply> {
    return this.request('post', '/api/events/ticket', opts);
  }

  /**
   * The URL to open an EventSource on: with a fresh ticket when signed in
   * by Bearer (EventSource sends no headers), and last_event_id to carry
   * on after the last event seen (the Last-Event-ID header an EventSource
   * sends only on its own reconnections).
   */
  async eventsUrl(lastEventId: string | null = null, opts: CallOptions = {}): Promise<string> {
    const q: string[] = [];
    if (this.auth === 'bearer') q.push('ticket=' + encodeURIComponent((await this.eventsTicket(opts)).ticket));
    if (lastEventId !== null && EVENT_ID.test(lastEventId)) q.push('last_event_id=' + lastEventId);
    return this.url('/api/events') + (q.length ? '?' + q.join('&') : '');
  }

  /** The live events, reconnecting with fresh tickets (see events.ts); call start(). */
  events(opts: Omit<LiveEventsOptions, 'endpoint'> = {}): LiveEvents {
    return new LiveEvents({ endpoint: this, ...opts });
  }

  /* ---- requests ---- */

  /** One operation of docs/openapi.yaml, by method and path template. */
  request<P extends ApiPath, M extends MethodOf<P>>(method: M, path: P, opts: Options<P, M>): Promise<SuccessBody<P, M>> {
    const { params, body, csrf, signal } = opts;
    return this.send<SuccessBody<P, M>>(method.toUpperCase(), expandPath(path, params), { body, csrf, signal });
  }

  private async send<T>(method: string, path: string, o: SendOptions): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (o.body !== undefined) headers['Content-Type'] = 'application/json';
    const s = this.store.load();
    if (!o.anonymous) {
      if (this.auth === 'bearer') {
        if (s && s.token) headers.Authorization = 'Bearer ' + s.token;
      } else if (method !== 'GET' && method !== 'HEAD') {
        const csrf = o.csrf !== undefined ? o.csrf : s?.csrf;
        if (csrf) headers['X-CSRF-Token'] = csrf;
      }
    }
    const init: RequestInitLike = {
      method,
      headers,
      credentials: this.auth === 'bearer' ? 'omit' : 'same-origin',
    };
    if (o.body !== undefined) init.body = JSON.stringify(o.body);
    if (o.signal) init.signal = o.signal;
    let res: ResponseLike;
    try {
      res = await this.fetchFn(this.url(path), init);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new ApiError(
        0,
        `cannot reach ${this.baseUrl || 'the server'} (offline, or it does not allow this origin: CORS): ${why}`,
        { kind: 'network', method, path, cause: e },
      );
    }
    let data: unknown = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (!res.ok) {
      const body = isErrorBody(data) ? data : null;
      const err = new ApiError(res.status, body ? body.error : `HTTP ${res.status}`, {
        method,
        path,
        body,
        requestId: res.headers?.get('X-Request-Id') ?? null,
        retryAfter: retryAfter(res.headers?.get('Retry-After')),
      });
      if (res.status === 401 && !o.anonymous) {
        this.store.save(null);
        this.onUnauthorized?.(err);
      }
      throw err;
    }
    // The server's word (docs/openapi.yaml) is taken for the shape of a 2xx.
    return data as T;
  }
}
