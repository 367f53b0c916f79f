/*
 * Live events (GET /api/events, Server-Sent Events).
 *
 * The records' data, from unknown to the types of docs/openapi.yaml
 * (x-events) by narrowing: a record that is not JSON, or lacks what a
 * softphone reads, is dropped.
 *
 * LiveEvents keeps a stream open: it asks its endpoint for a URL (with a
 * fresh single-use ticket when signed in by Bearer), opens an EventSource
 * on it, and when the stream fails or ends, closes it and opens a new one
 * with a new ticket and last_event_id = the last id seen, after a backoff
 * (1 s doubling to 30 s, jittered; reset once a stream opens).  It stops
 * for good on stop(), on a 401/403 answer to the ticket request (the
 * session is over), and on a session.ended record (but role-changed,
 * after which the server asks for a reconnection).
 */
import { ApiError } from './errors.js';
import type { AgentStatus, ServerEvents } from './types.js';

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

/** What a softphone reads of each event. */
export interface EventView {
  status: Pick<ServerEvents['status'], 'status'>;
  'call.incoming': {
    from: ServerEvents['call.incoming']['from'];
    line: ServerEvents['call.incoming']['line'] | null;
    reason: string | null;
  };
  'call.ended': Pick<ServerEvents['call.ended'], 'call_sid' | 'status'>;
  queue: Pick<ServerEvents['queue'], 'size'>;
  agent: Pick<ServerEvents['agent'], 'id' | 'status' | 'since'>;
  'session.ended': Pick<ServerEvents['session.ended'], 'reason'>;
}
export type EventType = keyof EventView;

const SESSION_END = [
  'signed-out',
  'password-changed',
  'disabled',
  'suspended',
  'expired',
  'role-changed',
] as const satisfies readonly ServerEvents['session.ended']['reason'][];

const optString = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export const readEvent: { [K in EventType]: (d: unknown) => EventView[K] | null } = {
  status: (d) => (isObject(d) && isAgentStatus(d.status) ? { status: d.status } : null),
  // Lenient: a call rings whatever the event lacks (the SDK's call may carry it).
  'call.incoming': (d) =>
    isObject(d) ? { from: typeof d.from === 'string' ? d.from : '', line: optString(d.line), reason: optString(d.reason) } : null,
  'call.ended': (d) =>
    isObject(d) && typeof d.call_sid === 'string' && typeof d.status === 'string' ? { call_sid: d.call_sid, status: d.status } : null,
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

const EVENT_TYPES = Object.keys(readEvent) as EventType[];

/* ---- the stream ---- */

/** One SSE record as an EventSource listener gets it (a MessageEvent). */
export interface EventRecord {
  data: unknown;
  lastEventId?: string;
}

/** The part of EventSource LiveEvents uses (a fake in tests). */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((ev: Event) => void) | null;
  onerror: ((ev: Event) => void) | null;
  addEventListener(type: string, fn: (ev: EventRecord) => void): void;
  close(): void;
}

/** Where the stream's URL comes from: RamalClient.eventsUrl. */
export interface EventsEndpoint {
  eventsUrl(lastEventId: string | null): Promise<string>;
}

export type LiveState = 'idle' | 'connecting' | 'open' | 'down' | 'stopped';

export interface LiveStateDetail {
  /** Why the stream is down or stopped (a refused ticket, no network). */
  error?: unknown;
  /** When down: the next attempt in this many ms. */
  retryInMs?: number;
  /** When stopped by a session.ended record: its reason. */
  reason?: string;
}

export interface LiveEventsOptions {
  endpoint: EventsEndpoint;
  /** Default: new EventSource(url). */
  open?: (url: string) => EventSourceLike;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  /** In [0, 1): the backoff's jitter (default Math.random). */
  random?: () => number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Carry on after this event id (e.g. kept from an earlier page). */
  lastEventId?: string | null;
}

type Handler<K extends EventType> = (data: EventView[K], id: string | null) => void;
type StateHandler = (state: LiveState, detail: LiveStateDetail) => void;

export class LiveEvents {
  private readonly o: LiveEventsOptions;
  private readonly handlers = new Map<EventType, ((data: never, id: string | null) => void)[]>();
  private readonly stateHandlers: StateHandler[] = [];
  private es: EventSourceLike | null = null;
  private timer: unknown = null;
  private gen = 0; // bumps on every (re)connection and stop: stale callbacks see it
  private attempt = 0;
  private _state: LiveState = 'idle';
  private _lastEventId: string | null;

  constructor(opts: LiveEventsOptions) {
    this.o = opts;
    this._lastEventId = opts.lastEventId ?? null;
  }

  get state(): LiveState {
    return this._state;
  }

  /** The id of the last record received (sent as last_event_id on reconnection). */
  get lastEventId(): string | null {
    return this._lastEventId;
  }

  /** Listen to one event type: its data, narrowed, and its id. */
  on<K extends EventType>(type: K, fn: Handler<K>): this {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), fn as (data: never, id: string | null) => void]);
    return this;
  }

  /** Follow the connection: connecting, open, down (retrying), stopped. */
  onState(fn: StateHandler): this {
    this.stateHandlers.push(fn);
    return this;
  }

  start(): void {
    if (this._state === 'idle' || this._state === 'stopped') {
      this.attempt = 0;
      this.connect();
    }
  }

  stop(): void {
    this.finish({});
  }

  private setState(s: LiveState, detail: LiveStateDetail = {}): void {
    this._state = s;
    for (const fn of this.stateHandlers) fn(s, detail);
  }

  private drop(): void {
    this.gen++;
    if (this.timer !== null) (this.o.clearTimeout ?? clearTimeout)(this.timer as ReturnType<typeof setTimeout>);
    this.timer = null;
    const es = this.es;
    this.es = null;
    if (es) {
      es.onopen = null;
      es.onerror = null;
      es.close();
    }
  }

  private finish(detail: LiveStateDetail): void {
    this.drop();
    if (this._state !== 'stopped') this.setState('stopped', detail);
  }

  private connect(): void {
    this.drop();
    const g = this.gen;
    this.setState('connecting');
    this.o.endpoint.eventsUrl(this._lastEventId).then(
      (url) => {
        if (g === this.gen) this.openAt(url, g);
      },
      (err: unknown) => {
        if (g !== this.gen) return;
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) this.finish({ error: err });
        else this.retry(err);
      },
    );
  }

  private openAt(url: string, g: number): void {
    const open = this.o.open ?? ((u: string) => new EventSource(u));
    let es: EventSourceLike;
    try {
      es = open(url);
    } catch (err) {
      this.retry(err);
      return;
    }
    this.es = es;
    es.onopen = () => {
      if (g !== this.gen) return;
      this.attempt = 0;
      this.setState('open');
    };
    // A failed or ended stream: never left to the browser's own retry,
    // which would present the spent ticket again.
    es.onerror = () => {
      if (g === this.gen) this.retry(undefined);
    };
    for (const type of EVENT_TYPES) es.addEventListener(type, (ev) => this.record(type, ev, g));
  }

  private record<K extends EventType>(type: K, ev: EventRecord, g: number): void {
    if (g !== this.gen) return;
    const id = typeof ev.lastEventId === 'string' && ev.lastEventId !== '' ? ev.lastEventId : null;
    if (id !== null) this._lastEventId = id;
    const data = readEvent[type](parseData(ev.data));
    if (data === null) return;
    for (const fn of this.handlers.get(type) ?? []) (fn as Handler<K>)(data, id);
    if (type === 'session.ended' && g === this.gen) {
      const reason = (data as EventView['session.ended']).reason;
      if (reason !== 'role-changed') this.finish({ reason });
    }
  }

  private retry(error: unknown): void {
    this.drop();
    const base = this.o.initialDelayMs ?? 1000;
    const max = this.o.maxDelayMs ?? 30_000;
    const full = Math.min(max, base * 2 ** Math.min(this.attempt, 30));
    const ms = Math.round(full / 2 + (full / 2) * (this.o.random ?? Math.random)());
    this.attempt++;
    const g = this.gen;
    this.timer = (this.o.setTimeout ?? setTimeout)(() => {
      if (g !== this.gen) return;
      this.timer = null;
      this.connect();
    }, ms);
    this.setState('down', error === undefined ? { retryInMs: ms } : { error, retryInMs: ms });
  }
}
