/*
 * Where a client keeps its sign-in: the Bearer token of POST /api/login,
 * when it expires, and (cookie sessions) the CSRF token.  A session lasts
 * SESSION_TTL_H hours (12 by default) from sign-in; using it does not
 * extend it, so expires_at from the login answer is the whole truth.
 */

export interface StoredSession {
  /** The Bearer token (kept empty for cookie sessions: the cookie holds it). */
  token: string;
  /** ISO 8601, the login answer's expires_at. */
  expiresAt: string;
  /** The login answer's csrf_token (needed only with the cookie). */
  csrf?: string;
}

export interface TokenStore {
  load(): StoredSession | null;
  save(session: StoredSession | null): void;
}

/** Kept in memory: gone on reload (the safest; sign in again). */
export function memoryStore(initial: StoredSession | null = null): TokenStore {
  let s = initial;
  return {
    load: () => s,
    save: (v) => {
      s = v;
    },
  };
}

/** The part of the Web Storage API a store needs (sessionStorage, localStorage). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const STORAGE_KEY = 'ramal.session';

function isStored(v: unknown): v is StoredSession {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.token === 'string' && typeof o.expiresAt === 'string' && (o.csrf === undefined || typeof o.csrf === 'string');
}

/**
 * Kept in Web Storage under `key`: sessionStorage survives a reload of
 * the tab and ends with it; localStorage is shared by the origin's tabs
 * and outlives the browser.  What is stored is readable by any script of
 * the page, so only on an origin that runs no third-party script.
 * When the storage throws (private mode, quota) the session is kept in
 * memory for the life of the page.
 */
export function webStorageStore(storage: StorageLike, key = STORAGE_KEY): TokenStore {
  /* When the storage refuses a write, the session is kept here instead. */
  let fallback: StoredSession | null = null;
  let failed = false;
  return {
    load() {
      if (failed) return fallback;
      try {
        const raw = storage.getItem(key);
        if (raw === null) return null;
        const v: unknown = JSON.parse(raw);
        return isStored(v) ? v : null;
      } catch {
        return null;
      }
    },
    save(v) {
      fallback = v;
      try {
        if (v === null) storage.removeItem(key);
        else storage.setItem(key, JSON.stringify(v));
        failed = false;
      } catch {
        failed = true; // kept in memory until the page goes
      }
    },
  };
}
