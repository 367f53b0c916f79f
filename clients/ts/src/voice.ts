/*
 * The glue between GET /token and a Twilio Voice SDK Device
 * (@twilio/voice-sdk 2.x), without importing the SDK: any object with
 * these methods fits, the SDK's Device included.
 *
 * The SDK emits `tokenWillExpire` tokenRefreshMs (Device option, 10 s by
 * default) before its access token expires; the new token must reach
 * device.updateToken before that, or the Device unregisters (error 20104,
 * AccessTokenExpired) and calls stop ringing in.
 */
import { ApiError } from './errors.js';
import type { TokenReply } from './types.js';

/** Where tokens come from: RamalClient (or anything with its token()). */
export interface TokenSource {
  token(): Promise<TokenReply>;
}

/** The part of the SDK's Device this glue uses. */
export interface TokenDevice {
  updateToken(token: string): void;
  on(event: 'tokenWillExpire', fn: () => void): unknown;
  off?(event: 'tokenWillExpire', fn: () => void): unknown;
}

/** GET /token, then device.updateToken(token).  Rejects with the ApiError. */
export async function refreshDeviceToken(device: TokenDevice, source: TokenSource): Promise<TokenReply> {
  const r = await source.token();
  device.updateToken(r.token);
  return r;
}

export interface KeepFreshOptions {
  onRefreshed?: (reply: TokenReply) => void;
  /** A refresh failed; willRetry false: it gave up (a 401 ends at once). */
  onError?: (err: unknown, willRetry: boolean) => void;
  /** Further attempts after a failure (default 3). */
  retries?: number;
  /** Between attempts (default 2000 ms: the Device's margin is 10 s by default). */
  retryDelayMs?: number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

/**
 * Refresh device's token from source on every `tokenWillExpire`, retrying
 * a failed refresh (not a 401/403: the session is over).  Returns the
 * function that detaches it.
 */
export function keepTokenFresh(device: TokenDevice, source: TokenSource, opts: KeepFreshOptions = {}): () => void {
  const retries = opts.retries ?? 3;
  const delay = opts.retryDelayMs ?? 2000;
  const later = opts.setTimeout ?? setTimeout;
  const cancel = opts.clearTimeout ?? clearTimeout;
  let running = false;
  let detached = false;
  let timer: unknown = null;

  const attempt = (n: number): void => {
    running = true;
    refreshDeviceToken(device, source).then(
      (r) => {
        running = false;
        if (!detached) opts.onRefreshed?.(r);
      },
      (err: unknown) => {
        if (detached) return;
        const over = err instanceof ApiError && (err.status === 401 || err.status === 403);
        const again = !over && n < retries;
        running = again;
        opts.onError?.(err, again);
        if (again)
          timer = later(() => {
            timer = null;
            if (!detached) attempt(n + 1);
          }, delay);
      },
    );
  };
  const onExpiring = (): void => {
    if (!running && !detached) attempt(0);
  };
  device.on('tokenWillExpire', onExpiring);
  return () => {
    detached = true;
    if (timer !== null) cancel(timer as ReturnType<typeof setTimeout>);
    device.off?.('tokenWillExpire', onExpiring);
  };
}

/** The part of a Device startDevice needs. */
export interface RegistrableDevice extends TokenDevice {
  register(): Promise<void>;
}

/**
 * GET /token, make the Device with it (make: `(t) => new Device(t, options)`),
 * keep its token fresh, register it for incoming calls.  Resolves when
 * registered, with the device and the function that stops the refresh.
 */
export async function startDevice<D extends RegistrableDevice>(
  make: (token: string) => D,
  source: TokenSource,
  opts: KeepFreshOptions = {},
): Promise<{ device: D; identity: string; stopRefresh: () => void }> {
  const t = await source.token();
  const device = make(t.token);
  const stopRefresh = keepTokenFresh(device, source, opts);
  try {
    await device.register();
  } catch (e) {
    stopRefresh();
    throw e;
  }
  return { device, identity: t.identity, stopRefresh };
}
