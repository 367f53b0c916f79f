/*
 * Fakes for the unit tests: a fetch that records each request and plays
 * queued answers, an EventSource driven by the test, timers run by hand,
 * and a Voice SDK Device with the methods the glue uses.
 */
import type { FetchLike, RequestInitLike, ResponseLike } from '../client.js';
import type { EventRecord, EventSourceLike } from '../events.js';

export interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** The JSON body, parsed (undefined: none). */
  body: unknown;
  credentials: string;
}

type Answer = { status: number; body: unknown; headers: Record<string, string> } | { error: Error };

export class FakeFetch {
  readonly sent: Sent[] = [];
  private answers: Answer[] = [];

  /** Queue an answer: a JSON body, or a string: the raw text (json() parses it, maybe failing). */
  reply(status: number, body: unknown = {}, headers: Record<string, string> = {}): this {
    this.answers.push({ status, body, headers });
    return this;
  }
  /** Queue a failure of fetch itself (what a browser does on a CORS refusal). */
  fail(message = 'Failed to fetch'): this {
    this.answers.push({ error: new TypeError(message) });
    return this;
  }
  get pending(): number {
    return this.answers.length;
  }

  readonly fetch: FetchLike = async (url: string, init: RequestInitLike): Promise<ResponseLike> => {
    this.sent.push({
      url,
      method: init.method,
      headers: { ...init.headers },
      body: init.body === undefined ? undefined : (JSON.parse(init.body) as unknown),
      credentials: init.credentials,
    });
    const a = this.answers.shift();
    if (!a) throw new Error(`unexpected request ${init.method} ${url}`);
    if ('error' in a) throw a.error;
    const lower = new Map(Object.entries(a.headers).map(([k, v]) => [k.toLowerCase(), v]));
    return {
      ok: a.status >= 200 && a.status < 300,
      status: a.status,
      headers: { get: (n: string) => lower.get(n.toLowerCase()) ?? null },
      json: async () => (typeof a.body === 'string' ? JSON.parse(a.body) : a.body) as unknown,
    };
  };
}

export class FakeEventSource implements EventSourceLike {
  readyState = 0;
  onopen: EventSourceLike['onopen'] = null;
  onerror: EventSourceLike['onerror'] = null;
  closed = false;
  private listeners = new Map<string, ((ev: EventRecord) => void)[]>();
  constructor(readonly url: string) {}

  addEventListener(type: string, fn: (ev: EventRecord) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  types(): string[] {
    return [...this.listeners.keys()];
  }
  close(): void {
    this.readyState = 2;
    this.closed = true;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  /** One record: `id:`, `event:` type, `data:` text. */
  emit(type: string, data: string, id = ''): void {
    for (const fn of this.listeners.get(type) ?? []) fn({ data, lastEventId: id });
  }
  /** The connection failed (readyState 0: the browser would retry; 2: it gave up). */
  fail(readyState = 0): void {
    this.readyState = readyState;
    this.onerror?.(new Event('error'));
  }
}

export class FakeTimers {
  private next = 1;
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  readonly set = (fn: () => void, ms: number): number => {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  };
  readonly clear = (id: unknown): void => {
    this.pending.delete(id as number);
  };
  delays(): number[] {
    return [...this.pending.values()].map((t) => t.ms);
  }
  /** Run the timers due now (all of them), as time passing would. */
  runAll(): void {
    const due = [...this.pending.entries()];
    this.pending.clear();
    for (const [, t] of due) t.fn();
  }
}

type Fn = () => void;

export class FakeDevice {
  readonly tokens: string[] = [];
  registered = 0;
  registerError: Error | null = null;
  private fns = new Map<string, Fn[]>();
  constructor(readonly token: string) {}
  on(event: 'tokenWillExpire', fn: Fn): this {
    this.fns.set(event, [...(this.fns.get(event) ?? []), fn]);
    return this;
  }
  off(event: 'tokenWillExpire', fn: Fn): this {
    this.fns.set(
      event,
      (this.fns.get(event) ?? []).filter((f) => f !== fn),
    );
    return this;
  }
  listeners(event: string): number {
    return (this.fns.get(event) ?? []).length;
  }
  emit(event: string): void {
    for (const fn of this.fns.get(event) ?? []) fn();
  }
  updateToken(token: string): void {
    this.tokens.push(token);
  }
  async register(): Promise<void> {
    if (this.registerError) throw this.registerError;
    this.registered++;
  }
}

/** Let pending promise callbacks run. */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setTimeout(r, 0));
};
