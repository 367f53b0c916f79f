import { describe, expect, it } from 'vitest';
import { initialState, reduce, type Event, type State, type User } from './machine';

const agent: User = { id: 7, email: 'ana@example.com', name: 'Ana', role: 'agent', identity: 'ana', status: 'offline' };

function run(s: State, ...events: Event[]) {
  let effects: string[] = [];
  for (const e of events) {
    const step = reduce(s, e);
    s = step.state;
    effects = effects.concat(step.effects.map((f) => f.type));
  }
  return { s, effects };
}

function ready(): State {
  return run(initialState(), { type: 'login.ok', user: agent, csrf: 'c1' }, { type: 'mic.granted' }, { type: 'device.registered' }).s;
}

function ringing(params: { line?: string | null; reason?: string | null; from?: string } = {}): State {
  return run(ready(), {
    type: 'call.incoming',
    sid: 'CA1',
    from: params.from ?? '+5511987654321',
    line: params.line === undefined ? '+551130000000' : params.line,
    reason: params.reason === undefined ? 'dedicated' : params.reason,
    now: 1000,
  }).s;
}

function inCall(): State {
  return run(ringing(), { type: 'call.answer' }, { type: 'call.accepted', sid: 'CA1', now: 2000 }).s;
}

describe('sign-in and device', () => {
  it('login → phone → mic → registering → ready', () => {
    let r = run(initialState(), { type: 'login.submit', email: ' ana@example.com ', password: 'pw' });
    expect(r.s.loginPending).toBe(true);
    expect(reduce(initialState(), { type: 'login.submit', email: ' ana@example.com ', password: 'pw' }).effects).toEqual([
      { type: 'api.login', email: 'ana@example.com', password: 'pw' },
    ]);
    r = run(r.s, { type: 'login.ok', user: agent, csrf: 'c1' });
    expect(r.s.screen).toBe('phone');
    expect(r.s.csrf).toBe('c1');
    expect(r.s.device).toBe('mic');
    expect(r.effects).toEqual(['mic.check', 'events.start']);
    r = run(r.s, { type: 'mic.granted' });
    expect(r.s.device).toBe('registering');
    expect(r.effects).toEqual(['device.register']);
    r = run(r.s, { type: 'device.registered' });
    expect(r.s.device).toBe('ready');
  });

  it('a second submit while pending does nothing; empty fields are refused locally', () => {
    const pending = run(initialState(), { type: 'login.submit', email: 'a@b.c', password: 'x' }).s;
    expect(reduce(pending, { type: 'login.submit', email: 'a@b.c', password: 'x' }).effects).toEqual([]);
    const r = run(initialState(), { type: 'login.submit', email: '', password: 'x' });
    expect(r.s.loginError).toBe('login.missing');
    expect(r.effects).toEqual([]);
  });

  it('login failure shows the message and allows a retry', () => {
    const r = run(initialState(), { type: 'login.submit', email: 'a@b.c', password: 'x' }, { type: 'login.fail', message: 'login.failed' });
    expect(r.s.screen).toBe('login');
    expect(r.s.loginPending).toBe(false);
    expect(r.s.loginError).toBe('login.failed');
  });

  it('supervisors load the agent list', () => {
    const r = run(initialState(), { type: 'login.ok', user: { ...agent, role: 'supervisor' }, csrf: 'c' });
    expect(r.effects).toContain('agents.load');
    const s = run(
      r.s,
      { type: 'agents.list', agents: [{ id: 9, name: 'Bia', status: 'offline', since: 't0' }] },
      { type: 'agent.update', id: 9, status: 'available', since: 't1' },
      { type: 'queue.size', size: 3 },
    ).s;
    expect(s.agents).toEqual([{ id: 9, name: 'Bia', status: 'available', since: 't1' }]);
    expect(s.queueSize).toBe(3);
  });

  it('microphone refused: error state with the explanation, retry checks again', () => {
    const denied = run(initialState(), { type: 'login.ok', user: agent, csrf: 'c' }, { type: 'mic.denied' }).s;
    expect(denied.device).toBe('error');
    expect(denied.deviceError).toBe('mic.denied');
    const r = run(denied, { type: 'device.retry' });
    expect(r.s.device).toBe('mic');
    expect(r.effects).toEqual(['device.destroy', 'mic.check']);
  });

  it('device unregistered and errors are visible', () => {
    let s = run(ready(), { type: 'device.unregistered' }).s;
    expect(s.device).toBe('unregistered');
    s = run(ready(), { type: 'device.error', message: 'ws closed' }).s;
    expect(s.device).toBe('ready'); // a registered device stays usable
    expect(s.deviceError).toBe('ws closed');
    s = run(initialState(), { type: 'login.ok', user: agent, csrf: 'c' }, { type: 'mic.granted' }, { type: 'device.error', message: 'bad token' }).s;
    expect(s.device).toBe('error');
  });

  it('token refresh before expiry', () => {
    let r = run(ready(), { type: 'token.expiring' });
    expect(r.effects).toEqual(['token.refresh']);
    r = run(r.s, { type: 'token.failed', message: 'x' });
    expect(r.s.deviceError).toBe('device.token');
    r = run(r.s, { type: 'token.expiring' }, { type: 'token.refreshed' });
    expect(r.s.deviceError).toBeNull();
  });

  it('network and live-event state', () => {
    let s = run(ready(), { type: 'net.offline' }).s;
    expect(s.online).toBe(false);
    s = run(s, { type: 'net.online' }, { type: 'events.open' }).s;
    expect(s.online).toBe(true);
    expect(s.events).toBe('open');
    expect(run(s, { type: 'events.down' }).s.events).toBe('down');
  });

  it('a session ended by the server hangs up and returns to sign-in with the reason, without signing out again', () => {
    const step = reduce(inCall(), { type: 'session.ended', reason: 'password-changed' });
    expect(step.state.screen).toBe('login');
    expect(step.state.loginError).toBe('session.ended');
    expect(step.effects.map((f) => f.type)).toEqual(['call.disconnect', 'ring.stop', 'events.stop', 'device.destroy']);
  });

  it('logout hangs up, stops everything and returns to login', () => {
    const r = run(inCall(), { type: 'logout' });
    expect(r.s.screen).toBe('login');
    expect(r.s.user).toBeNull();
    expect(r.effects).toEqual(['call.disconnect', 'ring.stop', 'events.stop', 'device.destroy', 'api.logout']);
    // the sign-out request carries the CSRF token of the session it ends
    expect(reduce(inCall(), { type: 'logout' }).effects).toContainEqual({ type: 'api.logout', csrf: 'c1' });
  });
});

describe('status', () => {
  it('choose → pending → confirmed; remote changes update the selector', () => {
    let r = run(ready(), { type: 'status.choose', status: 'available' });
    expect(r.s.statusPending).toBe('available');
    expect(r.effects).toEqual(['api.status']);
    expect(run(r.s, { type: 'status.choose', status: 'busy' }).effects).toEqual([]); // one at a time
    r = run(r.s, { type: 'status.ok', status: 'available' });
    expect(r.s.status).toBe('available');
    expect(r.s.statusPending).toBeNull();
    expect(run(r.s, { type: 'status.remote', status: 'busy' }).s.status).toBe('busy');
  });

  it('a refusal (409 while on a call) keeps the old status and shows why', () => {
    const avail = run(ready(), { type: 'status.choose', status: 'available' }, { type: 'status.ok', status: 'available' }).s;
    const s = run(avail, { type: 'status.choose', status: 'offline' }, { type: 'status.fail', message: 'agent is on a call' }).s;
    expect(s.status).toBe('available');
    expect(s.statusError).toBe('agent is on a call');
  });
});

describe('incoming calls', () => {
  it('incoming → ringing with caller, line, reason; ring and notify', () => {
    const r = run(ready(), { type: 'call.incoming', sid: 'CA1', from: '+5511987654321', line: '+551130000000', reason: 'overflow', now: 1 });
    expect(r.s.call).toBe('ringing');
    expect(r.s.current).toMatchObject({ sid: 'CA1', peer: '+5511987654321', line: '+551130000000', reason: 'overflow', direction: 'inbound' });
    expect(r.effects).toEqual(['ring.start', 'notify']);
  });

  it('missing parameters come from a recent call.incoming event, in either order', () => {
    const hinted = run(ready(), { type: 'sse.incoming', from: '+5521999990000', line: '+552130000000', reason: 'overflow', now: 1000 }).s;
    const s = run(hinted, { type: 'call.incoming', sid: 'CA2', from: '', line: null, reason: null, now: 2000 }).s;
    expect(s.current).toMatchObject({ peer: '+5521999990000', line: '+552130000000', reason: 'overflow' });
    // too old: ignored
    const stale = run(hinted, { type: 'call.incoming', sid: 'CA2', from: 'client:x', line: null, reason: null, now: 1000 + 61_000 }).s;
    expect(stale.current).toMatchObject({ peer: 'client:x', line: null, reason: null });
    // event after the SDK call
    const late = run(ringing({ line: null, reason: null }), { type: 'sse.incoming', from: '+55', line: '+551140000000', reason: 'dedicated', now: 5 }).s;
    expect(late.current).toMatchObject({ peer: '+5511987654321', line: '+551140000000', reason: 'dedicated' });
  });

  it('answer → accepted → in-call with the start time', () => {
    let r = run(ringing(), { type: 'call.answer' });
    expect(r.effects).toEqual(['ring.stop', 'notify.close', 'call.accept']);
    expect(r.s.call).toBe('ringing');
    r = run(r.s, { type: 'call.accepted', sid: 'CA1', now: 5000 });
    expect(r.s.call).toBe('in-call');
    expect(r.s.current?.startedAt).toBe(5000);
  });

  it('reject', () => {
    const r = run(ringing(), { type: 'call.decline' });
    expect(r.s.call).toBe('idle');
    expect(r.s.current).toBeNull();
    expect(r.effects).toEqual(['ring.stop', 'notify.close', 'call.reject']);
  });

  it('remote cancel while ringing: a missed call', () => {
    const r = run(ringing(), { type: 'call.canceled' });
    expect(r.s.call).toBe('idle');
    expect(r.s.callError).toBe('call.missed');
    expect(r.effects).toEqual(['ring.stop', 'notify.close']);
  });

  it('a second incoming call while busy is rejected without touching the first', () => {
    const s = inCall();
    const r = reduce(s, { type: 'call.incoming', sid: 'CA9', from: 'x', line: null, reason: null, now: 1 });
    expect(r.state).toBe(s);
    expect(r.effects).toEqual([{ type: 'call.reject' }]);
  });
});

describe('in a call', () => {
  it('mute and unmute', () => {
    let r = run(inCall(), { type: 'mute.toggle' });
    expect(r.s.current?.muted).toBe(true);
    expect(reduce(inCall(), { type: 'mute.toggle' }).effects).toEqual([{ type: 'call.mute', muted: true }]);
    r = run(r.s, { type: 'mute.toggle' });
    expect(r.s.current?.muted).toBe(false);
    expect(run(ringing(), { type: 'mute.toggle' }).effects).toEqual([]);
  });

  it('hold: pending → confirmed, unhold: pending → confirmed', () => {
    const step = reduce(inCall(), { type: 'hold.toggle' });
    expect(step.effects).toEqual([{ type: 'api.hold', sid: 'CA1', hold: true }]);
    let s = step.state;
    expect(s.current?.hold).toBe('holding');
    expect(run(s, { type: 'hold.toggle' }).effects).toEqual([]); // no double request
    s = run(s, { type: 'hold.ok' }).s;
    expect(s.current?.hold).toBe('on');
    const un = reduce(s, { type: 'hold.toggle' });
    expect(un.effects).toEqual([{ type: 'api.hold', sid: 'CA1', hold: false }]);
    expect(un.state.current?.hold).toBe('resuming');
    expect(run(un.state, { type: 'hold.ok' }).s.current?.hold).toBe('off');
  });

  it('hold refused (409): back to where it was, with the message', () => {
    const s = run(inCall(), { type: 'hold.toggle' }, { type: 'hold.fail', message: 'call is ending' }).s;
    expect(s.current?.hold).toBe('off');
    expect(s.callError).toBe('call is ending');
    const held = run(inCall(), { type: 'hold.toggle' }, { type: 'hold.ok' }, { type: 'hold.toggle' }, { type: 'hold.fail', message: 'x' }).s;
    expect(held.current?.hold).toBe('on');
  });

  it('DTMF digits only in a call and only 0-9 * #', () => {
    expect(reduce(inCall(), { type: 'digits', digits: '5' }).effects).toEqual([{ type: 'call.digits', digits: '5' }]);
    expect(reduce(inCall(), { type: 'digits', digits: 'a' }).effects).toEqual([]);
    expect(reduce(ready(), { type: 'digits', digits: '1' }).effects).toEqual([]);
  });

  it('hang up, and the far end hanging up', () => {
    let r = run(inCall(), { type: 'hangup' });
    expect(r.s.call).toBe('idle');
    expect(r.effects).toEqual(['call.disconnect']);
    r = run(inCall(), { type: 'call.ended' });
    expect(r.s.call).toBe('idle');
    expect(r.s.current).toBeNull();
    r = run(ringing(), { type: 'hangup' });
    expect(r.effects).toContain('call.reject');
  });
});

describe('outbound', () => {
  it('dial normalises the number and connects; accepted → in-call with the CallSid', () => {
    const step = reduce(ready(), { type: 'dial', input: '(11) 98765-4321' });
    expect(step.effects).toEqual([{ type: 'device.connect', to: '+5511987654321' }]);
    expect(step.state.call).toBe('dialing');
    const s = run(step.state, { type: 'call.accepted', sid: 'CAout', now: 10 }).s;
    expect(s.call).toBe('in-call');
    expect(s.current).toMatchObject({ direction: 'outbound', sid: 'CAout', peer: '+5511987654321' });
    expect(reduce(s, { type: 'hold.toggle' }).effects).toEqual([{ type: 'api.hold', sid: 'CAout', hold: true }]);
  });

  it('invalid input is refused with a message and no call', () => {
    for (const input of ['', '123', '98765-4321', '+55 11 1234', 'ana smith', '11 08765 4321']) {
      const r = run(ready(), { type: 'dial', input });
      expect(r.effects, input).toEqual([]);
      expect(r.s.dialError, input).toBe('dial.invalid');
      expect(r.s.call).toBe('idle');
    }
  });

  it('dialling needs a ready device; a failed connect returns to idle', () => {
    const notReady = run(initialState(), { type: 'login.ok', user: agent, csrf: 'c' }, { type: 'dial', input: '11987654321' }).s;
    expect(notReady.dialError).toBe('dial.notready');
    const s = run(ready(), { type: 'dial', input: '11987654321' }, { type: 'call.failed', message: 'call.failed' }).s;
    expect(s.call).toBe('idle');
    expect(s.callError).toBe('call.failed');
  });
});
