/*
 * A fake @twilio/voice-sdk for the end-to-end test build (vite --mode e2e
 * aliases the package to this file; the production build never sees it).
 * Same surface as the parts the app uses; driven from the test through
 * window.__fakeVoice, which also records every SDK call the app made.
 * Call and Device implement the app's view of the SDK (phone/voice.ts), so
 * the compiler holds the fake to the same surface as the real thing.
 */
import type { Listener, VoiceCall, VoiceCallEvents, VoiceDevice, VoiceDeviceEvents, VoiceError } from '../phone/voice';

export interface FakeLogEntry {
  op: string;
  args: unknown[];
}

/* Any listener, as stored: each set holds listeners of one event only. */
type AnyListener = (...args: never) => void;

/* M: event → its listeners' arguments. */
class Emitter<M extends { [E in keyof M]: unknown[] }> {
  private handlers = new Map<keyof M, Set<AnyListener>>();
  on<E extends keyof M>(event: E, fn: Listener<M[E]>): this {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(fn);
    return this;
  }
  off<E extends keyof M>(event: E, fn: Listener<M[E]>): this {
    this.handlers.get(event)?.delete(fn);
    return this;
  }
  emit<E extends keyof M>(event: E, ...args: M[E]): void {
    for (const fn of [...(this.handlers.get(event) ?? [])]) (fn as Listener<M[E]>)(...args);
  }
}

/* The real SDK's events the app does not listen to are emitted too. */
interface CallEvents extends VoiceCallEvents {
  reject: [];
  mute: [muted: boolean, call: Call];
  ringing: [hasEarlyMedia: boolean];
}
interface DeviceEvents extends VoiceDeviceEvents {
  registering: [];
  destroyed: [];
}

const log: FakeLogEntry[] = [];
function record(op: string, ...args: unknown[]): void {
  log.push({ op, args });
}

let seq = 0;
function fakeSid(): string {
  seq += 1;
  return 'CA' + (Date.now().toString(16) + seq.toString(16)).padStart(32, '0').slice(-32);
}

export class Call extends Emitter<CallEvents> implements VoiceCall {
  parameters: Record<string, string>;
  customParameters: Map<string, string>;
  direction: 'INCOMING' | 'OUTGOING';
  private muted = false;
  private state: 'pending' | 'ringing' | 'open' | 'closed' = 'pending';

  constructor(direction: 'INCOMING' | 'OUTGOING', parameters: Record<string, string>, custom: Record<string, string>) {
    super();
    this.direction = direction;
    this.parameters = { ...parameters };
    this.customParameters = new Map(Object.entries(custom));
  }
  status(): string {
    return this.state;
  }
  accept(): void {
    record('call.accept', this.parameters.CallSid);
    if (this.state === 'closed') return;
    this.state = 'open';
    queueMicrotask(() => this.emit('accept', this));
  }
  reject(): void {
    record('call.reject', this.parameters.CallSid);
    this.state = 'closed';
    queueMicrotask(() => this.emit('reject'));
  }
  disconnect(): void {
    record('call.disconnect', this.parameters.CallSid);
    this.close();
  }
  mute(shouldMute = true): void {
    record('call.mute', shouldMute);
    this.muted = shouldMute;
    queueMicrotask(() => this.emit('mute', shouldMute, this));
  }
  isMuted(): boolean {
    return this.muted;
  }
  sendDigits(digits: string): void {
    record('call.sendDigits', digits);
  }
  /* test side */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    queueMicrotask(() => this.emit('disconnect', this));
  }
  cancel(): void {
    this.state = 'closed';
    queueMicrotask(() => this.emit('cancel'));
  }
}

export class Device extends Emitter<DeviceEvents> implements VoiceDevice {
  static EventName = {
    Error: 'error',
    Incoming: 'incoming',
    Registered: 'registered',
    Registering: 'registering',
    TokenWillExpire: 'tokenWillExpire',
    Unregistered: 'unregistered',
  };
  state: 'unregistered' | 'registering' | 'registered' | 'destroyed' = 'unregistered';
  token: string;
  options: unknown;
  calls: Call[] = [];

  constructor(token: string, options?: unknown) {
    super();
    this.token = token;
    this.options = options;
    record('device.new', token, options);
    control.devices.push(this);
  }
  async register(): Promise<void> {
    record('device.register');
    this.state = 'registering';
    this.emit('registering');
    await Promise.resolve();
    this.state = 'registered';
    this.emit('registered');
  }
  async unregister(): Promise<void> {
    record('device.unregister');
    this.state = 'unregistered';
    this.emit('unregistered');
  }
  async connect(options: { params?: Record<string, string> } = {}): Promise<Call> {
    record('device.connect', options);
    const call = new Call('OUTGOING', { To: options.params?.To ?? '' }, options.params ?? {});
    this.calls.push(call);
    return call;
  }
  updateToken(token: string): void {
    record('device.updateToken', token);
    this.token = token;
  }
  destroy(): void {
    record('device.destroy');
    this.state = 'destroyed';
    for (const c of this.calls) c.close();
    this.emit('destroyed');
  }
}

/* What a test drives (window.__fakeVoice). */
export const control = {
  log,
  devices: [] as Device[],
  get device(): Device | undefined {
    return this.devices[this.devices.length - 1];
  },
  get call(): Call | undefined {
    const d = this.device;
    return d ? d.calls[d.calls.length - 1] : undefined;
  },
  /* An incoming call on the newest registered device. */
  incoming(opts: { CallSid?: string; From?: string; To?: string; params?: Record<string, string> } = {}): string {
    const d = this.device;
    if (!d || d.state !== 'registered') throw new Error('fake voice: no registered device');
    const sid = opts.CallSid ?? fakeSid();
    const call = new Call('INCOMING', { CallSid: sid, From: opts.From ?? '', To: opts.To ?? 'client:agent' }, opts.params ?? {});
    d.calls.push(call);
    d.emit('incoming', call);
    return sid;
  },
  /* The far end answers the newest outgoing call (it gets a CallSid). */
  answerOutbound(sid?: string): string {
    const c = this.call;
    if (!c) throw new Error('fake voice: no call');
    c.parameters.CallSid = sid ?? fakeSid();
    c.emit('ringing', true);
    c.accept();
    return c.parameters.CallSid;
  },
  remoteHangup(): void {
    this.call?.close();
  },
  remoteCancel(): void {
    this.call?.cancel();
  },
  tokenWillExpire(): void {
    this.device?.emit('tokenWillExpire', this.device);
  },
  dropRegistration(): void {
    const d = this.device;
    if (!d) return;
    d.state = 'unregistered';
    d.emit('unregistered');
  },
  error(message = 'fake error', code = 31000): void {
    const err: VoiceError = { code, message };
    this.device?.emit('error', err);
  },
  calls(op: string): unknown[][] {
    return log.filter((e) => e.op === op).map((e) => e.args);
  },
};

/* The e2e script's view of it (web/e2e/fake-voice.d.ts declares
 * window.__fakeVoice as this; the app itself never reads it). */
export type FakeVoiceControl = typeof control;
if (typeof window !== 'undefined') Object.assign(window, { __fakeVoice: control });

export default { Device, Call };
