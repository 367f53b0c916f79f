/*
 * Names for the parts of the generated openapi.d.ts (docs/openapi.yaml) a
 * softphone uses, and helpers that read an operation's request body, path
 * parameters and success body by path and method.  Nothing here is
 * written by hand that the YAML already says.
 */
import type { components, paths } from './openapi.js';

export type { components, paths };

export type Schemas = components['schemas'];
export type ApiPath = keyof paths;
export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';

type Present<T> = [NonNullable<T>] extends [never] ? false : true;

/** The methods docs/openapi.yaml gives path P. */
export type MethodOf<P extends ApiPath> = {
  [M in HttpMethod]: Present<paths[P][M]> extends true ? M : never;
}[HttpMethod];

export type Operation<P extends ApiPath, M extends MethodOf<P>> = NonNullable<paths[P][M]>;

type Json<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type OrUndefined<T> = [T] extends [never] ? undefined : T;

/** The JSON request body of an operation (undefined: it takes none). */
export type RequestBody<P extends ApiPath, M extends MethodOf<P>> = OrUndefined<
  Operation<P, M> extends { requestBody?: infer B } ? Json<B> : never
>;

/** The path parameters of an operation (undefined: it has none). */
export type PathParams<P extends ApiPath, M extends MethodOf<P>> = OrUndefined<
  Operation<P, M> extends { parameters: { path?: infer Q } } ? NonNullable<Q> : never
>;

type OkStatus = 200 | 201 | 202 | 204;

/** The JSON body of an operation's 2xx answers. */
export type SuccessBody<P extends ApiPath, M extends MethodOf<P>> =
  Operation<P, M> extends { responses: infer R } ? Json<R[keyof R & OkStatus]> : never;

export type User = Schemas['User'];
export type Agent = Schemas['Agent'];
export type AgentStatus = User['status'];
export type ErrorBody = Schemas['Error'];

export type LoginRequest = RequestBody<'/api/login', 'post'>;
export type LoginReply = SuccessBody<'/api/login', 'post'>;
export type TokenReply = SuccessBody<'/token', 'get'>;
export type StatusRequest = RequestBody<'/api/agents/me/status', 'put'>;
export type StatusReply = SuccessBody<'/api/agents/me/status', 'put'>;
export type HoldReply = SuccessBody<'/api/calls/{sid}/hold', 'post'>;
export type AgentsReply = SuccessBody<'/api/agents', 'get'>;
export type Callback = Schemas['Callback'];
export type CallbacksReply = SuccessBody<'/api/callbacks', 'get'>;
export type AlertRules = Schemas['AlertRules'];
export type AlertRulesUpdate = Schemas['AlertRulesUpdate'];
export type CloseResult = RequestBody<'/api/callbacks/{id}/close', 'post'>['result'];
export type AlertsReply = SuccessBody<'/api/alerts', 'get'>;

/** The /api/events records: event type → its data (x-events in the YAML). */
export interface ServerEvents {
  status: Schemas['StatusEvent'];
  'call.incoming': Schemas['CallIncomingEvent'];
  'call.ended': Schemas['CallEndedEvent'];
  queue: Schemas['QueueEvent'];
  agent: Schemas['AgentEvent'];
  'session.ended': Schemas['SessionEndedEvent'];
}
export type ServerEventType = keyof ServerEvents;
export type CallReply = SuccessBody<'/api/calls/{sid}', 'get'>;
export type UnholdReply = SuccessBody<'/api/calls/{sid}/unhold', 'post'>;
export type WrapupEndReply = SuccessBody<'/api/agents/me/wrapup/end', 'post'>;
export type AgentStatusRequest = RequestBody<'/api/agents/{id}/status', 'put'>;
export type AgentStatusReply = SuccessBody<'/api/agents/{id}/status', 'put'>;
export type LogoutReply = SuccessBody<'/api/logout', 'post'>;
export type MeReply = SuccessBody<'/api/me', 'get'>;
/** POST /api/events/ticket's answer: a single-use ticket for GET /api/events. */
export type TicketReply = SuccessBody<'/api/events/ticket', 'post'>;
