/*
 * The helper types of types.ts read what docs/openapi.yaml says (checked
 * by tsc -p tsconfig.node.json; the test body runs nothing of note).
 */
import { describe, expectTypeOf, it } from 'vitest';
import type * as T from './types.js';

describe('types.ts', () => {
  it('reads methods, bodies, path parameters and answers by path', () => {
    expectTypeOf<T.MethodOf<'/api/login'>>().toEqualTypeOf<'post'>();
    expectTypeOf<T.MethodOf<'/api/agents/{id}/status'>>().toEqualTypeOf<'put'>();
    expectTypeOf<T.LoginRequest>().toEqualTypeOf<{ email: string; password: string; account?: string }>();
    expectTypeOf<T.RequestBody<'/token', 'get'>>().toEqualTypeOf<undefined>();
    expectTypeOf<T.PathParams<'/api/login', 'post'>>().toEqualTypeOf<undefined>();
    expectTypeOf<T.PathParams<'/api/calls/{sid}/hold', 'post'>>().toEqualTypeOf<{ sid: string }>();
    expectTypeOf<T.HoldReply>().toEqualTypeOf<{ call_sid: string; hold: boolean; state: 'pending' }>();
    expectTypeOf<T.StatusRequest>().toEqualTypeOf<{ status: 'available' | 'busy' | 'offline' }>();
    expectTypeOf<T.AgentStatus>().toEqualTypeOf<'available' | 'busy' | 'wrapup' | 'offline'>();
    expectTypeOf<T.TokenReply>().toEqualTypeOf<{ token: string; identity: string; expires_at: string }>();
    expectTypeOf<T.ServerEvents['queue']>().toEqualTypeOf<{ size: number }>();
    expectTypeOf<T.TicketReply>().toEqualTypeOf<{ ticket: string; expires_in: number }>();
  });
});
