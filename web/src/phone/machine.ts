/*
 * The softphone's state machine: pure and framework-free.
 *
 * reduce(state, event) returns the next state and the effects to run (API
 * requests, Voice SDK calls, ringtone, notifications).  The controller
 * (controller.ts) runs effects and feeds their outcomes back as events; the
 * React components only render the state and dispatch user events.
 * Messages are i18n keys (see i18n.ts), never display text.
 */
import type { Agent, Schemas, User as ApiUser } from '@ramal/client';
import { normalizeDial } from './format';

/* Statuses, users and agents are the API's (docs/openapi.yaml), narrowed
 * to what the machine reads. */
export type AgentStatus = ApiUser['status'];
/** What a user may set (wrapup comes only from TaskRouter). */
export type SettableStatus = Schemas['StatusRequest']['status'];
export type DeviceState = 'off' | 'mic' | 'registering' | 'ready' | 'unregistered' | 'error';
export type CallPhase = 'idle' | 'ringing' | 'dialing' | 'in-call';
export type HoldState = 'off' | 'holding' | 'on' | 'resuming';

export type User = Pick<ApiUser, 'id' | 'email' | 'name' | 'role' | 'identity'> & Partial<Pick<ApiUser, 'status'>>;

export interface CallInfo {
  sid: string | null; // call.parameters.CallSid (the agent's own leg)
  direction: 'inbound' | 'outbound';
  peer: string; // caller (inbound) or dialled To (outbound)
  line: string | null;
  reason: string | null;
  startedAt: number | null; // ms, set when the call is answered
  muted: boolean;
  hold: HoldState;
}

export type AgentRow = Pick<Agent, 'id' | 'name' | 'status' | 'since'> & Partial<Pick<Agent, 'on_call'>>;

/* A recent `call.incoming` from the event stream (for popups whose SDK call
 * carries no custom parameters). */
export interface IncomingHint {
  from: string;
  line: string | null;
  reason: string | null;
  at: number;
}

export interface State {
  screen: 'login' | 'phone';
  loginPending: boolean;
  loginError: string | null;
  user: User | null;
  csrf: string | null;
  status: AgentStatus;
  statusPending: AgentStatus | null;
  statusError: string | null;
  device: DeviceState;
  deviceError: string | null;
  call: CallPhase;
  current: CallInfo | null;
  callError: string | null;
  dialError: string | null;
  online: boolean;
  events: 'off' | 'connecting' | 'open' | 'down';
  hint: IncomingHint | null;
  agents: AgentRow[];
  queueSize: number | null;
}

export const HINT_TTL_MS = 60_000;

export function initialState(): State {
  return {
    screen: 'login',
    loginPending: false,
    loginError: null,
    user: null,
    csrf: null,
    status: 'offline',
    statusPending: null,
    statusError: null,
    device: 'off',
    deviceError: null,
    call: 'idle',
    current: null,
    callError: null,
    dialError: null,
    online: true,
    events: 'off',
    hint: null,
    agents: [],
    queueSize: null,
  };
}

export type Event =
  | { type: 'login.submit'; email: string; password: string }
  | { type: 'login.ok'; user: User; csrf: string }
  | { type: 'login.fail'; message: string }
  | { type: 'session.restored'; user: User; csrf: string }
  | { type: 'logout' }
  | { type: 'session.ended'; reason: string }
  | { type: 'mic.granted' }
  | { type: 'mic.denied' }
  | { type: 'device.retry' }
  | { type: 'device.registered' }
  | { type: 'device.unregistered' }
  | { type: 'device.error'; message: string }
  | { type: 'token.expiring' }
  | { type: 'token.refreshed' }
  | { type: 'token.failed'; message: string }
  | { type: 'status.choose'; status: SettableStatus }
  | { type: 'wrapup.end' }
  | { type: 'status.ok'; status: AgentStatus }
  | { type: 'status.fail'; message: string }
  | { type: 'status.remote'; status: AgentStatus }
  | {
      type: 'call.incoming';
      sid: string | null;
      from: string;
      line: string | null;
      reason: string | null;
      now: number;
    }
  | { type: 'sse.incoming'; from: string; line: string | null; reason: string | null; now: number }
  | { type: 'call.answer' }
  | { type: 'call.decline' }
  | { type: 'call.accepted'; sid: string | null; now: number }
  | { type: 'call.ended' }
  | { type: 'call.canceled' }
  | { type: 'call.failed'; message: string }
  | { type: 'mute.toggle' }
  | { type: 'hold.toggle' }
  | { type: 'hold.ok' }
  | { type: 'hold.fail'; message: string }
  | { type: 'hangup' }
  | { type: 'digits'; digits: string }
  | { type: 'dial'; input: string; callback?: number }
  | { type: 'net.online' }
  | { type: 'net.offline' }
  | { type: 'events.open' }
  | { type: 'events.down' }
  | { type: 'agents.list'; agents: AgentRow[] }
  | { type: 'agent.update'; id: number; status: AgentStatus; since: string }
  | { type: 'queue.size'; size: number };

export type Effect =
  | { type: 'api.login'; email: string; password: string }
  | { type: 'api.logout'; csrf: string | null }
  | { type: 'mic.check' }
  | { type: 'device.register' }
  | { type: 'device.destroy' }
  | { type: 'token.refresh' }
  | { type: 'api.status'; status: SettableStatus }
  | { type: 'api.wrapupEnd' }
  | { type: 'call.accept' }
  | { type: 'call.reject' }
  | { type: 'call.disconnect' }
  | { type: 'call.mute'; muted: boolean }
  | { type: 'call.digits'; digits: string }
  | { type: 'api.hold'; sid: string; hold: boolean }
  | { type: 'device.connect'; to: string; callback?: number }
  | { type: 'ring.start' }
  | { type: 'ring.stop' }
  | { type: 'notify'; caller: string; line: string | null }
  | { type: 'notify.close' }
  | { type: 'events.start' }
  | { type: 'events.stop' }
  | { type: 'agents.load' };

export interface Step {
  state: State;
  effects: Effect[];
}

const DTMF = /^[0-9*#]+$/;

function signedIn(s: State, user: User, csrf: string): Step {
  const effects: Effect[] = [{ type: 'mic.check' }, { type: 'events.start' }];
  if (user.role !== 'agent') effects.push({ type: 'agents.load' });
  return {
    state: {
      ...s,
      screen: 'phone',
      loginPending: false,
      loginError: null,
      user,
      csrf,
      status: user.status ?? 'offline',
      device: 'mic',
      deviceError: null,
      events: 'connecting',
    },
    effects,
  };
}

/* Leave the call state (after an end, a reject or a failure). */
function idle(s: State, extra: Partial<State> = {}): State {
  return { ...s, call: 'idle', current: null, ...extra };
}

export function reduce(s: State, e: Event): Step {
  const none = (state: State = s): Step => ({ state, effects: [] });

  switch (e.type) {
    case 'login.submit':
      if (s.loginPending) return none();
      if (!e.email.trim() || !e.password)
        return none({ ...s, loginError: 'login.missing' });
      return {
        state: { ...s, loginPending: true, loginError: null },
        effects: [{ type: 'api.login', email: e.email.trim(), password: e.password }],
      };
    case 'login.ok':
    case 'session.restored':
      return signedIn(s, e.user, e.csrf);
    case 'login.fail':
      return none({ ...s, loginPending: false, loginError: e.message });
    case 'session.ended': {
      // The server ended the session (sign-out elsewhere, password change,
      // disabled, role changed): back to sign-in, saying why.
      const effects: Effect[] = [];
      if (s.current) effects.push({ type: 'call.disconnect' });
      effects.push({ type: 'ring.stop' }, { type: 'events.stop' }, { type: 'device.destroy' });
      return { state: { ...initialState(), online: s.online, loginError: 'session.ended' }, effects };
    }
    case 'logout': {
      const effects: Effect[] = [];
      if (s.current) effects.push({ type: 'call.disconnect' });
      effects.push(
        { type: 'ring.stop' },
        { type: 'events.stop' },
        { type: 'device.destroy' },
        // the state is reset below: the effect carries the CSRF token
        { type: 'api.logout', csrf: s.csrf },
      );
      return { state: { ...initialState(), online: s.online }, effects };
    }

    case 'mic.granted':
      if (s.screen !== 'phone') return none();
      return {
        state: { ...s, device: 'registering', deviceError: null },
        effects: [{ type: 'device.register' }],
      };
    case 'mic.denied':
      return none({ ...s, device: 'error', deviceError: 'mic.denied' });
    case 'device.retry':
      if (s.screen !== 'phone') return none();
      return {
        state: { ...s, device: 'mic', deviceError: null },
        effects: [{ type: 'device.destroy' }, { type: 'mic.check' }],
      };
    case 'device.registered':
      return none({ ...s, device: 'ready', deviceError: null });
    case 'device.unregistered':
      if (s.device === 'off') return none();
      return none({ ...s, device: 'unregistered' });
    case 'device.error':
      return none({ ...s, device: s.device === 'ready' ? 'ready' : 'error', deviceError: e.message });
    case 'token.expiring':
      return { state: s, effects: [{ type: 'token.refresh' }] };
    case 'token.refreshed':
      return none({ ...s, deviceError: s.deviceError === 'device.token' ? null : s.deviceError });
    case 'token.failed':
      return none({ ...s, deviceError: 'device.token' });

    case 'status.choose':
      if (s.statusPending || e.status === s.status) return none();
      return {
        state: { ...s, statusPending: e.status, statusError: null },
        effects: [{ type: 'api.status', status: e.status }],
      };
    case 'wrapup.end':
      if (s.statusPending || s.status !== 'wrapup') return none();
      return {
        state: { ...s, statusPending: 'available', statusError: null },
        effects: [{ type: 'api.wrapupEnd' }],
      };
    case 'status.ok':
      return none({ ...s, status: e.status, statusPending: null, statusError: null });
    case 'status.fail':
      return none({ ...s, statusPending: null, statusError: e.message });
    case 'status.remote':
      return none({ ...s, status: e.status, statusPending: null });

    case 'sse.incoming': {
      const hint = { from: e.from, line: e.line, reason: e.reason, at: e.now };
      // The SDK call may have rung first without parameters: complete it.
      if (s.call === 'ringing' && s.current && s.current.direction === 'inbound') {
        const c = s.current;
        return none({
          ...s,
          hint,
          current: {
            ...c,
            peer: c.peer || e.from,
            line: c.line ?? e.line,
            reason: c.reason ?? e.reason,
          },
        });
      }
      return none({ ...s, hint });
    }
    case 'call.incoming': {
      if (s.call !== 'idle') return { state: s, effects: [{ type: 'call.reject' }] };
      const h = s.hint && e.now - s.hint.at <= HINT_TTL_MS ? s.hint : null;
      const current: CallInfo = {
        sid: e.sid,
        direction: 'inbound',
        peer: e.from || h?.from || '',
        line: e.line ?? h?.line ?? null,
        reason: e.reason ?? h?.reason ?? null,
        startedAt: null,
        muted: false,
        hold: 'off',
      };
      return {
        state: { ...s, call: 'ringing', current, callError: null, hint: null },
        effects: [{ type: 'ring.start' }, { type: 'notify', caller: current.peer, line: current.line }],
      };
    }
    case 'call.answer':
      if (s.call !== 'ringing') return none();
      return {
        state: s,
        effects: [{ type: 'ring.stop' }, { type: 'notify.close' }, { type: 'call.accept' }],
      };
    case 'call.decline':
      if (s.call !== 'ringing') return none();
      return {
        state: idle(s),
        effects: [{ type: 'ring.stop' }, { type: 'notify.close' }, { type: 'call.reject' }],
      };
    case 'call.accepted':
      if (!s.current || (s.call !== 'ringing' && s.call !== 'dialing')) return none();
      return none({
        ...s,
        call: 'in-call',
        current: { ...s.current, sid: e.sid ?? s.current.sid, startedAt: e.now },
      });
    case 'call.ended':
      if (s.call === 'idle') return none();
      return {
        state: idle(s),
        effects: [{ type: 'ring.stop' }, { type: 'notify.close' }],
      };
    case 'call.canceled':
      if (s.call !== 'ringing') return none();
      return {
        state: idle(s, { callError: 'call.missed' }),
        effects: [{ type: 'ring.stop' }, { type: 'notify.close' }],
      };
    case 'call.failed':
      return {
        state: idle(s, { callError: e.message }),
        effects: [{ type: 'ring.stop' }, { type: 'notify.close' }],
      };

    case 'mute.toggle':
      if (s.call !== 'in-call' || !s.current) return none();
      return {
        state: { ...s, current: { ...s.current, muted: !s.current.muted } },
        effects: [{ type: 'call.mute', muted: !s.current.muted }],
      };
    case 'hold.toggle': {
      const c = s.current;
      if (s.call !== 'in-call' || !c) return none();
      if (c.hold === 'holding' || c.hold === 'resuming') return none();
      if (!c.sid) return none({ ...s, callError: 'hold.nosid' });
      const hold = c.hold === 'off';
      return {
        state: { ...s, callError: null, current: { ...c, hold: hold ? 'holding' : 'resuming' } },
        effects: [{ type: 'api.hold', sid: c.sid, hold }],
      };
    }
    case 'hold.ok': {
      const c = s.current;
      if (!c || (c.hold !== 'holding' && c.hold !== 'resuming')) return none();
      return none({ ...s, current: { ...c, hold: c.hold === 'holding' ? 'on' : 'off' } });
    }
    case 'hold.fail': {
      const c = s.current;
      if (!c || (c.hold !== 'holding' && c.hold !== 'resuming')) return none();
      return none({
        ...s,
        callError: e.message,
        current: { ...c, hold: c.hold === 'holding' ? 'off' : 'on' },
      });
    }
    case 'hangup':
      if (s.call === 'idle') return none();
      if (s.call === 'ringing') return reduce(s, { type: 'call.decline' });
      return { state: idle(s), effects: [{ type: 'call.disconnect' }] };
    case 'digits':
      if (s.call !== 'in-call' || !DTMF.test(e.digits)) return none();
      return { state: s, effects: [{ type: 'call.digits', digits: e.digits }] };

    case 'dial': {
      if (s.call !== 'idle') return none();
      if (s.device !== 'ready') return none({ ...s, dialError: 'dial.notready' });
      const to = normalizeDial(e.input);
      if (!to) return none({ ...s, dialError: 'dial.invalid' });
      return {
        state: {
          ...s,
          dialError: null,
          callError: null,
          call: 'dialing',
          current: {
            sid: null,
            direction: 'outbound',
            peer: to,
            line: null,
            reason: null,
            startedAt: null,
            muted: false,
            hold: 'off',
          },
        },
        // a call back (docs/alerts.md): the server shows the caller the
        // number they had called
        effects: [e.callback ? { type: 'device.connect', to, callback: e.callback } : { type: 'device.connect', to }],
      };
    }

    case 'net.online':
      return none({ ...s, online: true });
    case 'net.offline':
      return none({ ...s, online: false });
    case 'events.open':
      return none({ ...s, events: 'open' });
    case 'events.down':
      return none({ ...s, events: s.screen === 'phone' ? 'down' : 'off' });
    case 'agents.list':
      return none({ ...s, agents: e.agents });
    case 'agent.update': {
      const agents = s.agents.map((a) =>
        a.id === e.id ? { ...a, status: e.status, since: e.since } : a,
      );
      const me = s.user && s.user.id === e.id;
      return none({ ...s, agents, ...(me ? { status: e.status } : {}) });
    }
    case 'queue.size':
      return none({ ...s, queueSize: e.size });
  }
}
