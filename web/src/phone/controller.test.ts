import { describe, expect, it } from 'vitest';
import { ApiError, type Api } from './api';
import { Controller } from './controller';
import type { User } from './machine';
import { Device, control } from '../testing/fake-voice-sdk';

const user: User = { id: 1, email: 'ana@example.com', name: 'Ana', role: 'agent', identity: 'ana', status: 'offline' };
const tick = () => new Promise((r) => setTimeout(r, 0));

function setup(over: Partial<Api> = {}) {
  const calls: string[] = [];
  let tokens = 0;
  const api = {
    login: async () => ({ token: 't', csrf_token: 'csrf1', expires_at: '', user }),
    logout: async () => ({}),
    me: async () => user,
    token: async () => ({ token: 'tok' + ++tokens, identity: 'ana', expires_at: '' }),
    setStatus: async (s: string, csrf: string | null) => {
      calls.push(`status ${s} ${csrf}`);
      return { status: s };
    },
    hold: async (sid: string, hold: boolean, csrf: string | null) => {
      calls.push(`hold ${sid} ${hold} ${csrf}`);
      return { hold };
    },
    agents: async () => ({ agents: [] }),
    ...over,
  } as unknown as Api;
  const ring: string[] = [];
  const ctl = new Controller({
    api,
    createDevice: (token) => new Device(token, {}),
    micCheck: async () => 'granted',
    ringer: { start: () => ring.push('start'), stop: () => ring.push('stop') },
    notifier: { show: (c) => ring.push('notify ' + c), close: () => ring.push('close') },
    now: () => 1000,
    setTimeout: () => 0,
  });
  return { ctl, calls, ring };
}

async function signedIn(over: Partial<Api> = {}) {
  const t = setup(over);
  t.ctl.dispatch({ type: 'login.submit', email: 'ana@example.com', password: 'pw' });
  for (let i = 0; i < 10 && t.ctl.state.device !== 'ready'; i++) await tick();
  return t;
}

describe('controller with the fake Voice SDK', () => {
  it('registers with a token, pops the call with its parameters, accepts, mutes, holds, hangs up', async () => {
    const { ctl, calls, ring } = await signedIn();
    expect(ctl.state.device).toBe('ready');
    expect(control.device?.token).toBe('tok1');
    const sid = control.incoming({ From: 'client:x', params: { caller: '+5511987654321', line: '+551130000000', reason: 'dedicated' } });
    expect(ctl.state.call).toBe('ringing');
    expect(ctl.state.current).toMatchObject({ sid, peer: '+5511987654321', line: '+551130000000', reason: 'dedicated' });
    expect(ring).toEqual(['start', 'notify +5511987654321']);
    ctl.dispatch({ type: 'call.answer' });
    await tick();
    expect(ctl.state.call).toBe('in-call');
    expect(control.calls('call.accept')).toEqual([[sid]]);
    ctl.dispatch({ type: 'mute.toggle' });
    expect(control.calls('call.mute')).toEqual([[true]]);
    ctl.dispatch({ type: 'hold.toggle' });
    await tick();
    expect(calls).toEqual([`hold ${sid} true csrf1`]);
    expect(ctl.state.current?.hold).toBe('on');
    ctl.dispatch({ type: 'digits', digits: '#' });
    expect(control.calls('call.sendDigits')).toEqual([['#']]);
    ctl.dispatch({ type: 'hangup' });
    await tick();
    expect(ctl.state.call).toBe('idle');
    expect(control.calls('call.disconnect').length).toBe(1);
  });

  it('signing out sends the CSRF token of the session, so the server ends it', async () => {
    const sent: (string | null)[] = [];
    const { ctl } = await signedIn({
      logout: async (csrf: string | null) => {
        sent.push(csrf);
      },
    });
    ctl.dispatch({ type: 'logout' });
    await tick();
    expect(ctl.state.screen).toBe('login');
    expect(sent).toEqual(['csrf1']);
  });

  it('a refused hold or status shows the server message', async () => {
    const err = async () => {
      throw new ApiError(409, 'call is not bridged');
    };
    const { ctl } = await signedIn({ hold: err, setStatus: err } as Partial<Api>);
    ctl.dispatch({ type: 'status.choose', status: 'available' });
    await tick();
    expect(ctl.state.statusError).toBe('call is not bridged');
    control.incoming({ params: { caller: '+5511987654321' } });
    ctl.dispatch({ type: 'call.answer' });
    await tick();
    ctl.dispatch({ type: 'hold.toggle' });
    await tick();
    expect(ctl.state.current?.hold).toBe('off');
    expect(ctl.state.callError).toBe('call is not bridged');
    control.remoteHangup();
    await tick();
    expect(ctl.state.call).toBe('idle');
  });

  it('remote cancel, token refresh, unregistration, outbound', async () => {
    const { ctl } = await signedIn();
    control.incoming({ From: '+5511900000000' });
    control.remoteCancel();
    await tick();
    expect(ctl.state.call).toBe('idle');
    expect(ctl.state.callError).toBe('call.missed');
    control.tokenWillExpire();
    await tick();
    expect(control.calls('device.updateToken').at(-1)).toEqual(['tok2']);
    ctl.dispatch({ type: 'dial', input: '(21) 3456-7890' });
    await tick();
    expect(control.calls('device.connect').at(-1)).toEqual([{ params: { To: '+552134567890' } }]);
    const sid = control.answerOutbound();
    await tick();
    expect(ctl.state.call).toBe('in-call');
    expect(ctl.state.current?.sid).toBe(sid);
    control.remoteHangup();
    await tick();
    control.dropRegistration();
    expect(ctl.state.device).toBe('unregistered');
  });

  it('a call back carries the callback id, so the server shows the line the caller called', async () => {
    const { ctl } = await signedIn();
    ctl.dispatch({ type: 'dial', input: '+5511987654321', callback: 42 });
    await tick();
    expect(control.calls('device.connect').at(-1)).toEqual([{ params: { To: '+5511987654321', Callback: '42' } }]);
    expect(ctl.state.current?.peer).toBe('+5511987654321');
  });

  it('the callback list goes through the API with the session CSRF token', async () => {
    const seen: string[] = [];
    const { ctl } = await signedIn({
      callbacks: async () => ({ callbacks: [], open: 0, in_progress: 0, oldest_open_at: null }),
      nextCallback: async (csrf: string | null) => {
        seen.push('next ' + csrf);
        return { callback: null };
      },
      closeCallback: async (id: number, result: string, csrf: string | null) => {
        seen.push(`close ${id} ${result} ${csrf}`);
        return { callback: null };
      },
    } as unknown as Partial<Api>);
    expect((await ctl.callbacks()).open).toBe(0);
    await ctl.nextCallback();
    await ctl.closeCallback(7, 'no-answer');
    expect(seen).toEqual(['next csrf1', 'close 7 no-answer csrf1']);
  });
});

describe('live events through the typed client', () => {
  class Stream {
    readyState = 0;
    onopen: ((ev: Event) => void) | null = null;
    onerror: ((ev: Event) => void) | null = null;
    closed = false;
    fns = new Map<string, ((ev: { data: unknown; lastEventId?: string }) => void)[]>();
    constructor(readonly url: string) {}
    addEventListener(type: string, fn: (ev: { data: unknown; lastEventId?: string }) => void) {
      this.fns.set(type, [...(this.fns.get(type) ?? []), fn]);
    }
    close() {
      this.closed = true;
      this.readyState = 2;
    }
    emit(type: string, data: object, id: string) {
      for (const fn of this.fns.get(type) ?? []) fn({ data: JSON.stringify(data), lastEventId: id });
    }
  }

  it('opens /api/events, shows it down on failure, reopens after the last event id, stops on sign-out', async () => {
    const streams: Stream[] = [];
    const timers: (() => void)[] = [];
    const cleared: unknown[] = [];
    const api = {
      login: async () => ({ token: 't', csrf_token: 'csrf1', expires_at: '', user }),
      logout: async () => undefined,
      token: async () => ({ token: 'tok', identity: 'ana', expires_at: '' }),
      agents: async () => ({ agents: [] }),
      eventsUrl: async (last: string | null) => '/api/events' + (last ? '?last_event_id=' + last : ''),
    } as unknown as Api;
    const ctl = new Controller({
      api,
      createDevice: (token) => new Device(token, {}),
      micCheck: async () => 'granted',
      ringer: { start: () => undefined, stop: () => undefined },
      notifier: { show: () => undefined, close: () => undefined },
      openEvents: (url) => {
        const s = new Stream(url);
        streams.push(s);
        return s;
      },
      now: () => 1000,
      setTimeout: (fn) => timers.push(fn),
      clearTimeout: (h) => cleared.push(h),
    });
    ctl.dispatch({ type: 'login.submit', email: 'ana@example.com', password: 'pw' });
    for (let i = 0; i < 10 && ctl.state.device !== 'ready'; i++) await tick();
    expect(streams.map((s) => s.url)).toEqual(['/api/events']);
    streams[0].onopen?.(new Event('open'));
    expect(ctl.state.events).toBe('open');
    streams[0].emit('status', { user_id: 1, status: 'busy', since: 't' }, '31');
    expect(ctl.state.status).toBe('busy');
    streams[0].onerror?.(new Event('error'));
    expect(ctl.state.events).toBe('down');
    expect(streams[0].closed).toBe(true);
    expect(timers).toHaveLength(1);
    timers[0]();
    await tick();
    expect(streams.map((s) => s.url)).toEqual(['/api/events', '/api/events?last_event_id=31']);
    streams[1].onopen?.(new Event('open'));
    expect(ctl.state.events).toBe('open');
    ctl.dispatch({ type: 'logout' });
    expect(streams[1].closed).toBe(true);
    streams[1].onerror?.(new Event('error'));
    expect(timers).toHaveLength(1);
  });
});
