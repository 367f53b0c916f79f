/*
 * Runs the state machine's effects against the world (API, Voice SDK,
 * microphone, ringtone, notifications, event stream) and feeds outcomes
 * back as events.  Framework-free; the React layer subscribes to it.
 */
import { LiveEvents, isObject, refreshDeviceToken, type EventSourceLike } from '@ramal/client';
import type { AlertRulesUpdate, CloseResult } from '@ramal/client';
import { ApiError, type Api } from './api';
import { initialState, reduce, type Effect, type Event, type State } from './machine';
import type { VoiceCall, VoiceDevice } from './voice';

export interface Ringer {
  start(): void;
  stop(): void;
}
export interface Notifier {
  show(caller: string, line: string | null): void;
  close(): void;
}
/** The part of EventSource the controller uses (a fake in tests). */
export type EventStreamLike = EventSourceLike;

export interface Deps {
  api: Api;
  createDevice(token: string): VoiceDevice;
  micCheck(): Promise<'granted' | 'denied' | 'unsupported'>;
  ringer: Ringer;
  notifier: Notifier;
  /** An EventSource on url (the live events; none: no live events). */
  openEvents?: (url: string) => EventStreamLike;
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout?(handle: unknown): void;
}

function message(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (isObject(err) && 'message' in err) return String(err.message);
  return 'call.failed';
}

export class Controller {
  state: State = initialState();
  private listeners = new Set<() => void>();
  private device: VoiceDevice | null = null;
  private call: VoiceCall | null = null;
  private events: LiveEvents | null = null;
  private gen = 0; // bumps on logout/device reset so stale callbacks are ignored

  constructor(private deps: Deps) {}

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };
  getState = (): State => this.state;

  dispatch = (e: Event): void => {
    const { state, effects } = reduce(this.state, e);
    this.state = state;
    for (const fn of this.listeners) fn();
    for (const fx of effects) this.run(fx);
  };

  /* The callback list (docs/alerts.md), for the Callbacks panel. */
  callbacks = () => this.deps.api.callbacks();
  nextCallback = () => this.deps.api.nextCallback(this.state.csrf);
  closeCallback = (id: number, result: CloseResult) => this.deps.api.closeCallback(id, result, this.state.csrf);
  /* The tenant's alert rules, for the admins' section. */
  alertRules = () => this.deps.api.alertRules();
  saveAlertRules = (body: AlertRulesUpdate) => this.deps.api.saveAlertRules(body, this.state.csrf);

  private run(fx: Effect): void {
    const d = this.deps;
    const csrf = this.state.csrf;
    switch (fx.type) {
      case 'api.login':
        d.api.login(fx.email, fx.password).then(
          (r) => this.dispatch({ type: 'login.ok', user: r.user, csrf: r.csrf_token }),
          (err) =>
            this.dispatch({
              type: 'login.fail',
              message: err instanceof ApiError && (err.status === 401 || err.status === 403) ? 'login.failed' : message(err),
            }),
        );
        return;
      case 'api.logout':
        d.api.logout(fx.csrf).catch(() => undefined);
        return;
      case 'mic.check': {
        const g = this.gen;
        d.micCheck().then((r) => {
          if (g !== this.gen) return;
          if (r === 'granted') this.dispatch({ type: 'mic.granted' });
          else if (r === 'denied') this.dispatch({ type: 'mic.denied' });
          else this.dispatch({ type: 'device.error', message: 'mic.unsupported' });
        });
        return;
      }
      case 'device.register':
        void this.register();
        return;
      case 'device.destroy':
        this.gen++;
        this.call = null;
        if (this.device) {
          try {
            this.device.destroy();
          } catch {
            /* already gone */
          }
        }
        this.device = null;
        return;
      case 'token.refresh': {
        const dev = this.device;
        if (!dev) return;
        refreshDeviceToken(dev, d.api).then(
          () => this.dispatch({ type: 'token.refreshed' }),
          (err) => this.dispatch({ type: 'token.failed', message: message(err) }),
        );
        return;
      }
      case 'api.status':
        d.api.setStatus(fx.status, csrf).then(
          (r) => this.dispatch({ type: 'status.ok', status: (r && r.status) || fx.status }),
          (err) => this.dispatch({ type: 'status.fail', message: message(err) }),
        );
        return;
      case 'api.wrapupEnd':
        d.api.endWrapup(csrf).then(
          (r) => this.dispatch({ type: 'status.ok', status: r.status }),
          (err) => this.dispatch({ type: 'status.fail', message: message(err) }),
        );
        return;
      case 'call.accept':
        this.call?.accept();
        return;
      case 'call.reject':
        this.call?.reject();
        this.call = null;
        return;
      case 'call.disconnect':
        this.call?.disconnect();
        this.call = null;
        return;
      case 'call.mute':
        this.call?.mute(fx.muted);
        return;
      case 'call.digits':
        this.call?.sendDigits(fx.digits);
        return;
      case 'api.hold':
        d.api.hold(fx.sid, fx.hold, csrf).then(
          () => this.dispatch({ type: 'hold.ok' }),
          (err) => this.dispatch({ type: 'hold.fail', message: message(err) }),
        );
        return;
      case 'device.connect': {
        const dev = this.device;
        if (!dev) {
          this.dispatch({ type: 'call.failed', message: 'dial.notready' });
          return;
        }
        const params: Record<string, string> = { To: fx.to };
        if (fx.callback) params.Callback = String(fx.callback);
        dev.connect({ params }).then(
          (c) => {
            this.call = c;
            this.wireCall(c);
          },
          (err) => this.dispatch({ type: 'call.failed', message: message(err) }),
        );
        return;
      }
      case 'ring.start':
        d.ringer.start();
        return;
      case 'ring.stop':
        d.ringer.stop();
        return;
      case 'notify':
        d.notifier.show(fx.caller, fx.line);
        return;
      case 'notify.close':
        d.notifier.close();
        return;
      case 'events.start':
        this.openEvents();
        return;
      case 'events.stop':
        this.events?.stop();
        this.events = null;
        return;
      case 'agents.load':
        d.api.agents().then(
          (r) => this.dispatch({ type: 'agents.list', agents: r.agents }),
          () => undefined,
        );
        return;
    }
  }

  private async register(): Promise<void> {
    const g = ++this.gen;
    let token: string;
    try {
      token = (await this.deps.api.token()).token;
    } catch (err) {
      if (g === this.gen) this.dispatch({ type: 'device.error', message: message(err) });
      return;
    }
    if (g !== this.gen) return;
    const dev = this.deps.createDevice(token);
    this.device = dev;
    const live = () => g === this.gen;
    dev.on('registered', () => live() && this.dispatch({ type: 'device.registered' }));
    dev.on('unregistered', () => live() && this.dispatch({ type: 'device.unregistered' }));
    dev.on('error', (err) => live() && this.dispatch({ type: 'device.error', message: message(err) }));
    dev.on('tokenWillExpire', () => live() && this.dispatch({ type: 'token.expiring' }));
    dev.on('incoming', (c) => {
      if (!live()) return;
      if (this.state.call !== 'idle') {
        c.reject();
        return;
      }
      this.call = c;
      this.wireCall(c);
      const p = c.customParameters;
      this.dispatch({
        type: 'call.incoming',
        sid: c.parameters.CallSid ?? null,
        from: p.get('caller') || c.parameters.From || '',
        line: p.get('line') ?? null,
        reason: p.get('reason') ?? null,
        now: this.deps.now(),
      });
    });
    try {
      await dev.register();
    } catch (err) {
      if (live()) this.dispatch({ type: 'device.error', message: message(err) });
    }
  }

  private wireCall(c: VoiceCall): void {
    const mine = () => this.call === c;
    c.on('accept', () => mine() && this.dispatch({ type: 'call.accepted', sid: c.parameters.CallSid ?? null, now: this.deps.now() }));
    c.on('disconnect', () => {
      if (!mine()) return;
      this.call = null;
      this.dispatch({ type: 'call.ended' });
    });
    c.on('cancel', () => {
      if (!mine()) return;
      this.call = null;
      this.dispatch({ type: 'call.canceled' });
    });
    c.on('error', (err) => {
      if (!mine()) return;
      this.dispatch({ type: 'call.failed', message: message(err) });
    });
  }

  /* The live events, kept open by the client's LiveEvents: it reconnects
   * with a backoff and carries on after the last event id. */
  private openEvents(): void {
    const open = this.deps.openEvents;
    if (!open || this.events) return;
    const api = this.deps.api;
    const live = new LiveEvents({
      endpoint: { eventsUrl: (last) => api.eventsUrl(last) },
      open,
      setTimeout: (fn, ms) => this.deps.setTimeout(fn, ms),
      clearTimeout: (h) => this.deps.clearTimeout?.(h),
    });
    this.events = live;
    const mine = () => this.events === live;
    live
      .onState((st) => {
        if (!mine()) return;
        if (st === 'open') this.dispatch({ type: 'events.open' });
        else if (st === 'down') this.dispatch({ type: 'events.down' });
      })
      .on('status', (d) => this.dispatch({ type: 'status.remote', status: d.status }))
      .on('call.incoming', (d) =>
        this.dispatch({ type: 'sse.incoming', from: d.from, line: d.line, reason: d.reason, now: this.deps.now() }),
      )
      .on('queue', (d) => this.dispatch({ type: 'queue.size', size: d.size }))
      .on('agent', (d) => this.dispatch({ type: 'agent.update', id: d.id, status: d.status, since: d.since }))
      .on('session.ended', (d) => this.dispatch({ type: 'session.ended', reason: d.reason }));
    live.start();
  }
}
