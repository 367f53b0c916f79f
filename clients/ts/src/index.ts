/*
 * @ramal/client: ramal's app API for a softphone on any origin.
 *
 *   const ramal = new RamalClient({ baseUrl: 'https://ramal.example.com',
 *                                   store: webStorageStore(sessionStorage) });
 *   await ramal.login(email, password);
 *   const { device } = await startDevice((t) => new Device(t), ramal);
 *   ramal.events().on('status', (d) => show(d.status)).start();
 *
 * docs/lovable.md walks through a whole softphone.
 */
export { RamalClient, expandPath } from './client.js';
export type { AuthMode, CallOptions, ClientOptions, FetchLike, RequestInitLike, ResponseLike } from './client.js';
export { ApiError, isApiError } from './errors.js';
export type { ApiErrorInit, ApiErrorKind } from './errors.js';
export { LiveEvents, isAgentStatus, isObject, parseData, readEvent } from './events.js';
export type {
  EventRecord,
  EventSourceLike,
  EventType,
  EventView,
  EventsEndpoint,
  LiveEventsOptions,
  LiveState,
  LiveStateDetail,
} from './events.js';
export { STORAGE_KEY, memoryStore, webStorageStore } from './session.js';
export type { StorageLike, StoredSession, TokenStore } from './session.js';
export * from './types.js';
export { keepTokenFresh, refreshDeviceToken, startDevice } from './voice.js';
export type { KeepFreshOptions, RegistrableDevice, TokenDevice, TokenSource } from './voice.js';
