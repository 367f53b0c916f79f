/*
 * ramal's HTTP API as the softphone uses it (docs/api.md).  The session is
 * the HttpOnly cookie; state-changing requests carry X-CSRF-Token.
 */
import type { AgentRow, AgentStatus, User } from './machine';

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
  let data: any = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const msg = data && typeof data.error === 'string' ? data.error : `error.server:${res.status}`;
    throw new ApiError(res.status, msg);
  }
  return data as T;
}

export interface LoginReply {
  token: string;
  csrf_token: string;
  expires_at: string;
  user: User;
}

export function csrfFromCookie(cookie: string): string | null {
  const m = /(?:^|;\s*)ramal_csrf=([^;]+)/.exec(cookie);
  return m ? decodeURIComponent(m[1]) : null;
}

export const api = {
  login: (email: string, password: string) => request<LoginReply>('POST', '/api/login', { email, password }),
  logout: (csrf: string | null) => request<unknown>('POST', '/api/logout', undefined, csrf),
  me: () => request<User>('GET', '/api/me'),
  token: () => request<{ token: string; identity: string; expires_at: string }>('GET', '/token'),
  setStatus: (status: AgentStatus, csrf: string | null) =>
    request<{ status: AgentStatus }>('PUT', '/api/agents/me/status', { status }, csrf),
  hold: (sid: string, hold: boolean, csrf: string | null) =>
    request<{ hold: boolean }>('POST', `/api/calls/${encodeURIComponent(sid)}/${hold ? 'hold' : 'unhold'}`, undefined, csrf),
  agents: () => request<{ agents: AgentRow[] }>('GET', '/api/agents'),
};

export type Api = typeof api;
