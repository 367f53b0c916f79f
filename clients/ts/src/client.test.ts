import { describe, expect, it } from 'vitest';
import { ApiError, RamalClient, memoryStore, webStorageStore, type StorageLike } from './index.js';
import { FakeFetch } from './testing/fakes.js';

const BASE = 'https://ramal.example.com';
const user = {
  id: 7,
  email: 'ana@example.com',
  name: 'Ana Souza',
  role: 'agent',
  identity: 'ana_souza',
  status: 'offline',
  tenant: { id: 1, account_sid: 'AC' + '0'.repeat(32), name: 'Loja' },
  session_expires_at: '2026-11-24T22:00:00Z',
};
const LOGIN = { token: 'tok-A', csrf_token: 'csrf-A', expires_at: '2026-11-24T22:00:00Z', user };
const NOW = Date.parse('2026-11-24T10:00:00Z');
const SID = 'CA' + 'ab'.repeat(16);

function setup(over: Partial<ConstructorParameters<typeof RamalClient>[0]> = {}) {
  const net = new FakeFetch();
  const unauthorized: ApiError[] = [];
  const client = new RamalClient({
    baseUrl: BASE + '/',
    fetch: net.fetch,
    now: () => NOW,
    onUnauthorized: (e) => unauthorized.push(e),
    ...over,
  });
  return { net, client, unauthorized };
}

async function signedIn(over: Partial<ConstructorParameters<typeof RamalClient>[0]> = {}) {
  const t = setup(over);
  t.net.reply(200, LOGIN);
  await t.client.login('ana@example.com', 'senha');
  t.net.sent.length = 0;
  return t;
}

describe('sign-in with a Bearer token (another origin)', () => {
  it('POSTs the credentials to ramal, without a session or cookies, and keeps the token and its expiry', async () => {
    const { net, client } = setup();
    expect(client.isSignedIn()).toBe(false);
    net.reply(200, LOGIN);
    const r = await client.login('ana@example.com', 'senha');
    expect(r.user.identity).toBe('ana_souza');
    expect(net.sent).toEqual([
      {
        url: BASE + '/api/login',
        method: 'POST',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: { email: 'ana@example.com', password: 'senha' },
        credentials: 'omit',
      },
    ]);
    expect(client.session()).toEqual({ token: 'tok-A', expiresAt: '2026-11-24T22:00:00Z', csrf: 'csrf-A' });
    expect(client.expiresAt()?.toISOString()).toBe('2026-11-24T22:00:00.000Z');
    expect(client.isSignedIn()).toBe(true);
  });

  it('sends account when given (an email in several accounts)', async () => {
    const { net, client } = setup();
    net.reply(409, { error: 'several accounts match; send account', request_id: 'r1' });
    const err = await client.login('ana@example.com', 'senha').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(409);
    net.reply(200, LOGIN);
    await client.login('ana@example.com', 'senha', 'AC' + '1'.repeat(32));
    expect(net.sent[1].body).toEqual({ email: 'ana@example.com', password: 'senha', account: 'AC' + '1'.repeat(32) });
  });

  it('a session past expires_at is not signed in', async () => {
    let now = NOW;
    const { client } = await signedIn({ now: () => now });
    expect(client.isSignedIn()).toBe(true);
    now = Date.parse('2026-11-24T22:00:00Z');
    expect(client.isSignedIn()).toBe(false);
  });

  it('a wrong password is a 401 ApiError with the server message, and not an "unauthorized session"', async () => {
    const { net, client, unauthorized } = setup();
    net.reply(401, { error: 'wrong email or password', request_id: 'req-9' }, { 'X-Request-Id': 'req-9' });
    const err = (await client.login('ana@example.com', 'x').catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 401, message: 'wrong email or password', requestId: 'req-9', kind: 'http', method: 'POST', path: '/api/login' });
    expect(err.body).toEqual({ error: 'wrong email or password', request_id: 'req-9' });
    expect(unauthorized).toEqual([]);
    expect(client.isSignedIn()).toBe(false);
  });

  it('429 carries Retry-After in seconds', async () => {
    const { net, client } = setup();
    net.reply(429, { error: 'too many failed sign-ins', request_id: 'r' }, { 'Retry-After': '120' });
    const err = (await client.login('ana@example.com', 'x').catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(429);
    expect(err.retryAfter).toBe(120);
  });
});

describe('requests with the session', () => {
  const bearer = { Accept: 'application/json', Authorization: 'Bearer tok-A' };
  const json = { ...bearer, 'Content-Type': 'application/json' };

  it('GET /token, /api/me, /api/agents, /api/calls/{sid} carry the Bearer token and no cookie', async () => {
    const { net, client } = await signedIn();
    net.reply(200, { token: 'jwt', identity: 'ana_souza', expires_at: '2026-11-24T11:00:00Z' });
    expect((await client.token()).token).toBe('jwt');
    net.reply(200, user).reply(200, { agents: [] }).reply(200, { call_sid: SID });
    await client.me();
    await client.agents();
    await client.getCall(SID);
    expect(net.sent.map((s) => [s.method, s.url])).toEqual([
      ['GET', BASE + '/token'],
      ['GET', BASE + '/api/me'],
      ['GET', BASE + '/api/agents'],
      ['GET', BASE + '/api/calls/' + SID],
    ]);
    for (const s of net.sent) {
      expect(s.headers).toEqual(bearer);
      expect(s.body).toBeUndefined();
      expect(s.credentials).toBe('omit');
    }
  });

  it('status, wrap-up end, hold and unhold: method, URL, headers and body', async () => {
    const { net, client } = await signedIn();
    net.reply(200, { id: 7, status: 'available', since: 't', activity_sync: 'pending' });
    expect((await client.setStatus('available')).status).toBe('available');
    net.reply(200, { status: 'available' }).reply(202, { call_sid: SID, hold: true, state: 'pending' });
    await client.endWrapup();
    expect((await client.hold(SID)).hold).toBe(true);
    net.reply(202, { call_sid: SID, hold: false, state: 'pending' }).reply(200, { id: 9, status: 'busy' });
    await client.unhold(SID);
    await client.setAgentStatus(9, 'busy');
    expect(net.sent).toEqual([
      { url: BASE + '/api/agents/me/status', method: 'PUT', headers: json, body: { status: 'available' }, credentials: 'omit' },
      { url: BASE + '/api/agents/me/wrapup/end', method: 'POST', headers: bearer, body: undefined, credentials: 'omit' },
      { url: BASE + `/api/calls/${SID}/hold`, method: 'POST', headers: bearer, body: undefined, credentials: 'omit' },
      { url: BASE + `/api/calls/${SID}/unhold`, method: 'POST', headers: bearer, body: undefined, credentials: 'omit' },
      { url: BASE + '/api/agents/9/status', method: 'PUT', headers: json, body: { status: 'busy' }, credentials: 'omit' },
    ]);
  });

  it('path parameters are URI-encoded', async () => {
    const { net, client } = await signedIn();
    net.reply(404, { error: 'no such call', request_id: 'r' });
    await client.hold('CA/../x?y').catch(() => undefined);
    expect(net.sent[0].url).toBe(BASE + '/api/calls/CA%2F..%2Fx%3Fy/hold');
  });

  it('a refusal is an ApiError with the status and the JSON message; a non-JSON one says the status', async () => {
    const { net, client } = await signedIn();
    net.reply(409, { error: 'call is not bridged', request_id: 'q1' });
    const e1 = (await client.hold(SID).catch((e: unknown) => e)) as ApiError;
    expect(e1).toMatchObject({ status: 409, message: 'call is not bridged', requestId: 'q1', kind: 'http', method: 'POST' });
    expect(e1.path).toBe(`/api/calls/${SID}/hold`);
    net.reply(502, '<html>bad gateway</html>');
    const e2 = (await client.me().catch((e: unknown) => e)) as ApiError;
    expect(e2).toMatchObject({ status: 502, message: 'HTTP 502', body: null, requestId: null });
    expect(client.isSignedIn()).toBe(true);
  });

  it('no answer at all (offline, or a CORS refusal) is an ApiError with status 0 that says so', async () => {
    const { net, client } = await signedIn();
    net.fail('Failed to fetch');
    const e = (await client.token().catch((x: unknown) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(0);
    expect(e.kind).toBe('network');
    expect(e.message).toContain('cannot reach ' + BASE);
    expect(e.message).toContain('CORS');
    expect(e.message).toContain('Failed to fetch');
    expect(e.cause).toBeInstanceOf(TypeError);
  });

  it('a 401 (session expired or revoked) forgets the session and tells the app', async () => {
    const { net, client, unauthorized } = await signedIn();
    net.reply(401, { error: 'session expired', request_id: 'r' });
    await expect(client.token()).rejects.toMatchObject({ status: 401, unauthorized: true });
    expect(client.session()).toBeNull();
    expect(unauthorized.map((e) => e.message)).toEqual(['session expired']);
    net.reply(401, { error: 'send Authorization: Bearer <token>', request_id: 'r' });
    await client.me().catch(() => undefined);
    expect(net.sent[1].headers.Authorization).toBeUndefined();
  });

  it('sign-out revokes the session and forgets it, also when the server had already ended it', async () => {
    const { net, client } = await signedIn();
    net.reply(200, { ok: true });
    await client.logout();
    expect(net.sent[0]).toMatchObject({ url: BASE + '/api/logout', method: 'POST', headers: bearer });
    expect(client.session()).toBeNull();
    const again = await signedIn();
    again.net.reply(401, { error: 'session expired', request_id: 'r' });
    await again.client.logout();
    expect(again.client.session()).toBeNull();
    const offline = await signedIn();
    offline.net.fail();
    await expect(offline.client.logout()).rejects.toMatchObject({ status: 0 });
    expect(offline.client.session()).toBeNull();
  });
});

describe('the events ticket and URL', () => {
  it('POST /api/events/ticket, then /api/events?ticket=…&last_event_id=…', async () => {
    const { net, client } = await signedIn();
    net.reply(201, { ticket: 't/1+', expires_in: 30 });
    expect(await client.eventsUrl('42')).toBe(BASE + '/api/events?ticket=t%2F1%2B&last_event_id=42');
    expect(net.sent[0]).toEqual({
      url: BASE + '/api/events/ticket',
      method: 'POST',
      headers: { Accept: 'application/json', Authorization: 'Bearer tok-A' },
      body: undefined,
      credentials: 'omit',
    });
    net.reply(201, { ticket: 't2', expires_in: 30 }).reply(201, { ticket: 't3', expires_in: 30 });
    expect(await client.eventsUrl(null)).toBe(BASE + '/api/events?ticket=t2');
    // An id that is not one of ramal's (digits) would be refused: left out.
    expect(await client.eventsUrl('1; x')).toBe(BASE + '/api/events?ticket=t3');
  });

  it('a refused ticket is an ApiError', async () => {
    const { net, client } = await signedIn();
    net.reply(401, { error: 'session revoked', request_id: 'r' });
    await expect(client.eventsUrl(null)).rejects.toMatchObject({ status: 401, path: '/api/events/ticket' });
  });
});

describe('cookie sessions (the softphone ramal serves itself)', () => {
  it('no Authorization; same-origin credentials; X-CSRF-Token on changes only', async () => {
    const { net, client } = setup({ baseUrl: '', auth: 'cookie' });
    net.reply(200, LOGIN);
    await client.login('ana@example.com', 'senha');
    expect(client.session()).toEqual({ token: '', expiresAt: LOGIN.expires_at, csrf: 'csrf-A' });
    expect(client.isSignedIn()).toBe(true);
    net.reply(200, { token: 'jwt', identity: 'ana_souza', expires_at: 't' }).reply(200, {}).reply(200, {}).reply(200, {});
    await client.token();
    await client.setStatus('busy');
    await client.setStatus('available', { csrf: 'other' });
    await client.hold(SID, { csrf: null });
    expect(net.sent.map((s) => [s.method, s.url, s.credentials, s.headers['X-CSRF-Token'], s.headers.Authorization])).toEqual([
      ['POST', '/api/login', 'same-origin', undefined, undefined],
      ['GET', '/token', 'same-origin', undefined, undefined],
      ['PUT', '/api/agents/me/status', 'same-origin', 'csrf-A', undefined],
      ['PUT', '/api/agents/me/status', 'same-origin', 'other', undefined],
      ['POST', `/api/calls/${SID}/hold`, 'same-origin', undefined, undefined],
    ]);
    net.reply(200, {});
    expect(await client.eventsUrl('5')).toBe('/api/events?last_event_id=5');
    expect(net.pending).toBe(1); // no ticket asked for: the cookie goes with the EventSource
  });
});

describe('where the session is kept', () => {
  class MapStorage implements StorageLike {
    m = new Map<string, string>();
    getItem = (k: string) => this.m.get(k) ?? null;
    setItem = (k: string, v: string) => void this.m.set(k, v);
    removeItem = (k: string) => void this.m.delete(k);
  }

  it('webStorageStore: a reload (a new client on the same storage) is still signed in; sign-out clears it', async () => {
    const storage = new MapStorage();
    const first = await signedIn({ store: webStorageStore(storage) });
    expect(JSON.parse(storage.getItem('ramal.session') ?? 'null')).toEqual({ token: 'tok-A', expiresAt: LOGIN.expires_at, csrf: 'csrf-A' });
    const net = new FakeFetch().reply(200, user);
    const reloaded = new RamalClient({ baseUrl: BASE, fetch: net.fetch, store: webStorageStore(storage), now: () => NOW });
    expect(reloaded.isSignedIn()).toBe(true);
    await reloaded.me();
    expect(net.sent[0].headers.Authorization).toBe('Bearer tok-A');
    first.net.reply(200, { ok: true });
    await first.client.logout();
    expect(storage.m.size).toBe(0);
  });

  it('ignores what it did not write, and keeps the session in memory when the storage refuses it', () => {
    const storage = new MapStorage();
    storage.setItem('ramal.session', '{"token": 5}');
    expect(webStorageStore(storage).load()).toBeNull();
    storage.setItem('ramal.session', 'not json');
    expect(webStorageStore(storage).load()).toBeNull();
    const full: StorageLike = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => undefined,
    };
    const s = webStorageStore(full);
    s.save({ token: 't', expiresAt: 'e' });
    expect(s.load()).toEqual({ token: 't', expiresAt: 'e' });
    const m = memoryStore();
    m.save({ token: 'x', expiresAt: 'y' });
    expect(m.load()?.token).toBe('x');
  });
});

describe('types from docs/openapi.yaml', () => {
  it('refuses paths, methods and values the YAML does not have (checked by tsc)', () => {
    const client = new RamalClient({ fetch: new FakeFetch().fetch });
    const compileOnly = (): void => {
      // @ts-expect-error: no such path in docs/openapi.yaml
      void client.request('get', '/api/nothing', {});
      // @ts-expect-error: /api/login takes POST only
      void client.request('get', '/api/login', {});
      // @ts-expect-error: wrapup is not a status an agent sets
      void client.setStatus('wrapup');
      // @ts-expect-error: the hold path needs its {sid}
      void client.request('post', '/api/calls/{sid}/hold', {});
    };
    expect(typeof compileOnly).toBe('function');
  });
});
