/*
 * Every failed request becomes an ApiError: the HTTP status (0 when no
 * answer came: network down, DNS, a CORS refusal, an abort), the server's
 * JSON message, its request id and Retry-After.
 */
import type { ErrorBody } from './types.js';

export type ApiErrorKind = 'http' | 'network';

export interface ApiErrorInit {
  kind?: ApiErrorKind;
  method?: string;
  path?: string;
  requestId?: string | null;
  retryAfter?: number | null;
  body?: ErrorBody | null;
  cause?: unknown;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** The HTTP status; 0 when the server's answer never arrived (kind 'network'). */
  readonly status: number;
  readonly kind: ApiErrorKind;
  readonly method: string;
  readonly path: string;
  /** The server's X-Request-Id (or the body's request_id): quote it to the operator. */
  readonly requestId: string | null;
  /** Seconds to wait, from Retry-After (429 after failed sign-ins, 503). */
  readonly retryAfter: number | null;
  /** The server's JSON error ({error, request_id}) when it sent one. */
  readonly body: ErrorBody | null;
  override readonly cause: unknown;

  constructor(status: number, message: string, init: ApiErrorInit = {}) {
    super(message);
    this.status = status;
    this.kind = init.kind ?? (status === 0 ? 'network' : 'http');
    this.method = init.method ?? '';
    this.path = init.path ?? '';
    this.requestId = init.requestId ?? init.body?.request_id ?? null;
    this.retryAfter = init.retryAfter ?? null;
    this.body = init.body ?? null;
    this.cause = init.cause;
  }

  /** The session is gone (expired, revoked, signed out): sign in again. */
  get unauthorized(): boolean {
    return this.status === 401;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
