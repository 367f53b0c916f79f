/*
 * The data of /api/events records, from unknown to the types of
 * docs/openapi.yaml (x-events) by narrowing: a record that is not JSON, or
 * lacks what the softphone reads, is ignored.
 */
import type { AgentStatus, ServerEvents } from './types';

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

const STATUSES: readonly string[] = ['available', 'busy', 'wrapup', 'offline'] satisfies readonly AgentStatus[];

export function isAgentStatus(v: unknown): v is AgentStatus {
  return typeof v === 'string' && STATUSES.includes(v);
}

/** A record's `data:` as JSON (null when it is not). */
export function parseData(data: unknown): unknown {
  try {
    return JSON.parse(String(data));
  } catch {
    return null;
  }
}

/** What the softphone reads of each event. */
export interface EventView {
  status: Pick<ServerEvents['status'], 'status'>;
  'call.incoming': {
    from: ServerEvents['call.incoming']['from'];
    line: ServerEvents['call.incoming']['line'] | null;
    reason: string | null;
  };
  queue: Pick<ServerEvents['queue'], 'size'>;
  agent: Pick<ServerEvents['agent'], 'id' | 'status' | 'since'>;
  'session.ended': Pick<ServerEvents['session.ended'], 'reason'>;
}

const SESSION_END = [
  'signed-out',
  'password-changed',
  'disabled',
  'suspended',
  'expired',
  'role-changed',
] as const satisfies readonly ServerEvents['session.ended']['reason'][];

const optString = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export const readEvent: { [K in keyof EventView]: (d: unknown) => EventView[K] | null } = {
  status: (d) => (isObject(d) && isAgentStatus(d.status) ? { status: d.status } : null),
  // Lenient: a call rings whatever the event lacks (the SDK's call may carry it).
  'call.incoming': (d) =>
    isObject(d) ? { from: typeof d.from === 'string' ? d.from : '', line: optString(d.line), reason: optString(d.reason) } : null,
  queue: (d) => (isObject(d) && typeof d.size === 'number' ? { size: d.size } : null),
  agent: (d) =>
    isObject(d) && typeof d.id === 'number' && isAgentStatus(d.status) && typeof d.since === 'string'
      ? { id: d.id, status: d.status, since: d.since }
      : null,
  'session.ended': (d) =>
    isObject(d) && typeof d.reason === 'string' && (SESSION_END as readonly string[]).includes(d.reason)
      ? { reason: d.reason as ServerEvents['session.ended']['reason'] }
      : null,
};
