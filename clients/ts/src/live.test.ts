import { describe, expect, it } from 'vitest';
import { ApiError, LiveEvents, RamalClient, type LiveState } from './index.js';
import { FakeEventSource, FakeFetch, FakeTimers, settle } from './testing/fakes.js';

const BASE = 'https://ramal.example.com';
const ticket = (t: string) => ({ ticket: t, expires_in: 30 });

async function setup(opts: { auth?: 'bearer' | 'cookie'; random?: () => number } = {}) {
  const net = new FakeFetch();
  const client = new RamalClient({ baseUrl: opts.auth === 'cookie' ? '' : BASE, auth: opts.auth, fetch: net.fetch });
  if (opts.auth !== 'cookie') {
    net.reply(200, { token: 'tok-A', csrf_token: 'c', expires_at: '2099-01-01T00:00:00Z', user: {} });
    await client.login('ana@example.com', 'senha');
    net.sent.length = 0;
  }
  const timers = new FakeTimers();
  const sources: FakeEventSource[] = [];
  const states: [LiveState, unknown][] = [];
  const got: string[] = [];
  const live = client
    .events({
      open: (url) => {
        const es = new FakeEventSource(url);
        sources.push(es);
        return es;
      },
      setTimeout: timers.set,
      clearTimeout: timers.clear,
      random: opts.random ?? (() => 1),
    })
    .onState((s, d) => states.push([s, d.error ?? d.reason ?? d.retryInMs ?? null]))
    .on('status', (d, id) => got.push(`status ${d.status} #${id}`))
    .on('agent', (d, id) => got.push(`agent ${d.id} ${d.status} #${id}`))
    .on('session.ended', (d) => got.push(`ended ${d.reason}`));
  return { net, client, timers, sources, states, got, live };
}

describe('LiveEvents with tickets (Bearer sessions)', () => {
  it('gets a ticket, opens the stream on it, delivers records narrowed, keeps the last id', async () => {
    const t = await setup();
    t.net.reply(201, ticket('T1'));
    t.live.start();
    await settle();
    expect(t.net.sent.map((s) => [s.method, s.url, s.headers.Authorization])).toEqual([
      ['POST', BASE + '/api/events/ticket', 'Bearer tok-A'],
    ]);
    expect(t.sources.map((s) => s.url)).toEqual([BASE + '/api/events?ticket=T1']);
    const es = t.sources[0];
    expect(es.types().sort()).toEqual(['agent', 'call.ended', 'call.incoming', 'queue', 'session.ended', 'status']);
    es.open();
    expect(t.live.state).toBe('open');
    es.emit('status', '{"user_id":7,"status":"busy","since":"2026-11-24T10:00:00Z"}', '41');
    es.emit('agent', '{"id":9,"status":"available","since":"2026-11-24T10:00:01Z"}', '42');
    es.emit('status', 'not json', '43'); // dropped, but its id counts
    es.emit('status', '{"status":"away"}', '44'); // not a status: dropped
    expect(t.got).toEqual(['status busy #41', 'agent 9 available #42']);
    expect(t.live.lastEventId).toBe('44');
    expect(t.states.map((s) => s[0])).toEqual(['connecting', 'open']);
  });

  it('on error: closes the stream, waits, takes a new ticket and reconnects after the last id', async () => {
    const t = await setup({ random: () => 0.5 });
    t.net.reply(201, ticket('T1'));
    t.live.start();
    await settle();
    const first = t.sources[0];
    first.open();
    first.emit('status', '{"status":"available"}', '57');
    first.fail(0); // the browser would retry with the spent ticket: not left to it
    expect(first.closed).toBe(true);
    expect(t.live.state).toBe('down');
    expect(t.timers.delays()).toEqual([750]); // 1 s, jittered to [0.5, 1]
    t.net.reply(201, ticket('T2'));
    t.timers.runAll();
    await settle();
    expect(t.net.sent.map((s) => s.url)).toEqual([BASE + '/api/events/ticket', BASE + '/api/events/ticket']);
    expect(t.sources.map((s) => s.url)).toEqual([BASE + '/api/events?ticket=T1', BASE + '/api/events?ticket=T2&last_event_id=57']);
    // The old stream's late callbacks change nothing.
    first.emit('status', '{"status":"busy"}', '99');
    first.fail(2);
    expect(t.live.lastEventId).toBe('57');
    expect(t.got).toEqual(['status available #57']);
    expect(t.timers.delays()).toEqual([]);
    t.sources[1].open();
    expect(t.states.map((s) => s[0])).toEqual(['connecting', 'open', 'down', 'connecting', 'open']);
  });

  it('backs off 1, 2, 4 … 30 s while nothing opens, and starts over once a stream opens', async () => {
    const t = await setup();
    const delays: number[] = [];
    t.net.reply(201, ticket('T0'));
    t.live.start();
    await settle();
    for (let i = 1; i <= 7; i++) {
      t.sources[t.sources.length - 1].fail(2);
      delays.push(...t.timers.delays());
      t.net.reply(201, ticket('T' + i));
      t.timers.runAll();
      await settle();
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    t.sources[t.sources.length - 1].open();
    t.sources[t.sources.length - 1].fail(0);
    expect(t.timers.delays()).toEqual([1000]);
  });

  it('a ticket request that fails (network, 503) is retried; a 401 stops for good', async () => {
    const t = await setup();
    t.net.fail('Failed to fetch');
    t.live.start();
    await settle();
    expect(t.live.state).toBe('down');
    const [state, err] = t.states[t.states.length - 1];
    expect(state).toBe('down');
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(0);
    t.net.reply(503, { error: 'database unreachable', request_id: 'r' }, { 'Retry-After': '5' });
    t.timers.runAll();
    await settle();
    expect(t.live.state).toBe('down');
    expect(t.timers.delays()).toEqual([2000]);
    t.net.reply(401, { error: 'session revoked', request_id: 'r' });
    t.timers.runAll();
    await settle();
    expect(t.live.state).toBe('stopped');
    expect((t.states[t.states.length - 1][1] as ApiError).message).toBe('session revoked');
    expect(t.timers.delays()).toEqual([]);
    expect(t.sources).toEqual([]);
  });

  it('session.ended stops it (the session is over); role-changed reconnects', async () => {
    const t = await setup();
    t.net.reply(201, ticket('T1'));
    t.live.start();
    await settle();
    t.sources[0].open();
    t.sources[0].emit('session.ended', '{"reason":"role-changed"}', '60');
    t.sources[0].fail(2);
    expect(t.live.state).toBe('down');
    t.net.reply(201, ticket('T2'));
    t.timers.runAll();
    await settle();
    expect(t.sources[1].url).toBe(BASE + '/api/events?ticket=T2&last_event_id=60');
    t.sources[1].open();
    t.sources[1].emit('session.ended', '{"reason":"signed-out"}', '61');
    expect(t.got).toEqual(['ended role-changed', 'ended signed-out']);
    expect(t.live.state).toBe('stopped');
    expect(t.sources[1].closed).toBe(true);
    t.sources[1].fail(2);
    expect(t.timers.delays()).toEqual([]);
    expect(t.states[t.states.length - 1]).toEqual(['stopped', 'signed-out']);
  });

  it('stop() closes the stream, cancels the retry and ignores a ticket that arrives late', async () => {
    const t = await setup();
    t.net.reply(201, ticket('T1'));
    t.live.start();
    await settle();
    t.sources[0].fail(0);
    expect(t.timers.delays()).toHaveLength(1);
    t.live.stop();
    expect(t.timers.delays()).toEqual([]);
    expect(t.live.state).toBe('stopped');
    // A start, then a stop while the ticket is on its way.
    t.net.reply(201, ticket('T2'));
    t.live.start();
    t.live.stop();
    await settle();
    expect(t.sources).toHaveLength(1);
    // Started again from where it was.
    t.net.reply(201, ticket('T3'));
    t.live.start();
    t.live.start(); // a second start while connecting is nothing
    await settle();
    expect(t.sources.map((s) => s.url)).toEqual([BASE + '/api/events?ticket=T1', BASE + '/api/events?ticket=T3']);
  });

  it('a stream that cannot be made (a bad URL) is retried like a failed one', async () => {
    const net = new FakeFetch().reply(201, ticket('T1'));
    const timers = new FakeTimers();
    const live = new LiveEvents({
      endpoint: { eventsUrl: async () => 'https://x' },
      open: () => {
        throw new SyntaxError('bad URL');
      },
      setTimeout: timers.set,
      clearTimeout: timers.clear,
      random: () => 1,
    });
    live.start();
    await settle();
    expect(live.state).toBe('down');
    expect(timers.delays()).toEqual([1000]);
    expect(net.pending).toBe(1);
  });
});

describe('LiveEvents with the cookie (same origin)', () => {
  it('no ticket: /api/events, then ?last_event_id= on its own reconnections', async () => {
    const t = await setup({ auth: 'cookie' });
    t.live.start();
    await settle();
    expect(t.net.sent).toEqual([]);
    expect(t.sources[0].url).toBe('/api/events');
    t.sources[0].open();
    t.sources[0].emit('status', '{"status":"busy"}', '8');
    t.sources[0].fail(2);
    t.timers.runAll();
    await settle();
    expect(t.sources[1].url).toBe('/api/events?last_event_id=8');
  });

  it('resumes after an id kept from before', async () => {
    const timers = new FakeTimers();
    const urls: string[] = [];
    const client = new RamalClient({ auth: 'cookie', fetch: new FakeFetch().fetch });
    const live = client.events({
      lastEventId: '120',
      open: (u) => {
        urls.push(u);
        return new FakeEventSource(u);
      },
      setTimeout: timers.set,
      clearTimeout: timers.clear,
    });
    live.start();
    await settle();
    expect(urls).toEqual(['/api/events?last_event_id=120']);
  });
});
