import { describe, expect, it } from 'vitest';
import { ApiError, RamalClient, keepTokenFresh, refreshDeviceToken, startDevice } from './index.js';
import { FakeDevice, FakeFetch, FakeTimers, settle } from './testing/fakes.js';

const BASE = 'https://ramal.example.com';
const jwt = (n: number) => ({ token: 'jwt-' + n, identity: 'ana_souza', expires_at: '2026-11-24T11:00:00Z' });

async function setup() {
  const net = new FakeFetch();
  const client = new RamalClient({ baseUrl: BASE, fetch: net.fetch });
  net.reply(200, { token: 'tok-A', csrf_token: 'c', expires_at: '2099-01-01T00:00:00Z', user: {} });
  await client.login('ana@example.com', 'senha');
  net.sent.length = 0;
  return { net, client, timers: new FakeTimers() };
}

describe('the Voice SDK token glue', () => {
  it('startDevice: GET /token, new Device(token), register; the identity comes back', async () => {
    const { net, client } = await setup();
    net.reply(200, jwt(1));
    const made: string[] = [];
    const { device, identity, stopRefresh } = await startDevice((token) => {
      made.push(token);
      return new FakeDevice(token);
    }, client);
    expect(net.sent.map((s) => [s.method, s.url, s.headers.Authorization])).toEqual([['GET', BASE + '/token', 'Bearer tok-A']]);
    expect(made).toEqual(['jwt-1']);
    expect(device.registered).toBe(1);
    expect(identity).toBe('ana_souza');
    expect(device.listeners('tokenWillExpire')).toBe(1);
    stopRefresh();
    expect(device.listeners('tokenWillExpire')).toBe(0);
  });

  it('startDevice: a Device that cannot register is not left refreshing', async () => {
    const { net, client } = await setup();
    net.reply(200, jwt(1));
    let dev: FakeDevice | null = null;
    const err = await startDevice((t) => {
      dev = new FakeDevice(t);
      dev.registerError = new Error('31204 JWT is invalid');
      return dev;
    }, client).catch((e: unknown) => e);
    expect(String(err)).toContain('31204');
    expect(dev!.listeners('tokenWillExpire')).toBe(0);
  });

  it('on tokenWillExpire: a fresh /token reaches device.updateToken', async () => {
    const { net, client, timers } = await setup();
    const device = new FakeDevice('jwt-0');
    const refreshed: string[] = [];
    keepTokenFresh(device, client, { onRefreshed: (r) => refreshed.push(r.token), setTimeout: timers.set, clearTimeout: timers.clear });
    expect(device.tokens).toEqual([]);
    net.reply(200, jwt(1));
    device.emit('tokenWillExpire');
    device.emit('tokenWillExpire'); // while the first refresh runs: one request
    await settle();
    expect(net.sent.map((s) => s.url)).toEqual([BASE + '/token']);
    expect(device.tokens).toEqual(['jwt-1']);
    expect(refreshed).toEqual(['jwt-1']);
    net.reply(200, jwt(2));
    device.emit('tokenWillExpire');
    await settle();
    expect(device.tokens).toEqual(['jwt-1', 'jwt-2']);
  });

  it('a failed refresh is retried; a 401 gives up at once (the session is over)', async () => {
    const { net, client, timers } = await setup();
    const device = new FakeDevice('jwt-0');
    const errors: [number, boolean][] = [];
    keepTokenFresh(device, client, {
      onError: (e, again) => errors.push([(e as ApiError).status, again]),
      retries: 2,
      retryDelayMs: 1500,
      setTimeout: timers.set,
      clearTimeout: timers.clear,
    });
    net.reply(503, { error: 'database unreachable', request_id: 'r' });
    device.emit('tokenWillExpire');
    await settle();
    expect(errors).toEqual([[503, true]]);
    expect(timers.delays()).toEqual([1500]);
    net.fail();
    timers.runAll();
    await settle();
    net.reply(200, jwt(3));
    timers.runAll();
    await settle();
    expect(errors).toEqual([
      [503, true],
      [0, true],
    ]);
    expect(device.tokens).toEqual(['jwt-3']);
    // Out of retries.
    net.reply(503, {}).reply(503, {}).reply(503, {});
    device.emit('tokenWillExpire');
    for (let i = 0; i < 3; i++) {
      await settle();
      timers.runAll();
    }
    await settle();
    expect(errors.slice(2)).toEqual([
      [503, true],
      [503, true],
      [503, false],
    ]);
    // The session ended: no retry.
    net.reply(401, { error: 'session expired', request_id: 'r' });
    device.emit('tokenWillExpire');
    await settle();
    expect(errors[errors.length - 1]).toEqual([401, false]);
    expect(timers.delays()).toEqual([]);
    expect(device.tokens).toEqual(['jwt-3']);
  });

  it('detached: no more refreshes, and a pending retry is cancelled', async () => {
    const { net, client, timers } = await setup();
    const device = new FakeDevice('jwt-0');
    const stop = keepTokenFresh(device, client, { setTimeout: timers.set, clearTimeout: timers.clear });
    net.reply(503, {});
    device.emit('tokenWillExpire');
    await settle();
    expect(timers.delays()).toHaveLength(1);
    stop();
    expect(timers.delays()).toEqual([]);
    device.emit('tokenWillExpire');
    await settle();
    expect(net.sent).toHaveLength(1);
  });

  it('refreshDeviceToken: one refresh, the error passed on', async () => {
    const { net, client } = await setup();
    const device = new FakeDevice('jwt-0');
    net.reply(200, jwt(5));
    expect((await refreshDeviceToken(device, client)).token).toBe('jwt-5');
    expect(device.tokens).toEqual(['jwt-5']);
    net.reply(503, { error: 'API key not configured', request_id: 'r' });
    await expect(refreshDeviceToken(device, client)).rejects.toMatchObject({ status: 503, message: 'API key not configured' });
    expect(device.tokens).toEqual(['jwt-5']);
  });
});
