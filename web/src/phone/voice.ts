/*
 * The part of @twilio/voice-sdk the softphone uses, as plain interfaces, and
 * the one place a Device is made.  In the e2e build (vite --mode e2e) the
 * module '@twilio/voice-sdk' is the fake in src/testing/fake-voice-sdk.ts,
 * which implements these same interfaces (controller.test.ts compiles it
 * against them).
 */
import { Device, type Call } from '@twilio/voice-sdk';

/** What the SDK hands an 'error' listener (a TwilioError). */
export interface VoiceError {
  code?: number;
  message: string;
}

/* Event → the arguments its listeners get, for the events the app uses
 * (see the SDK's Device and Call docs). */
export interface VoiceCallEvents {
  accept: [call: VoiceCall];
  disconnect: [call: VoiceCall];
  cancel: [];
  error: [error: VoiceError];
}

export interface VoiceDeviceEvents {
  registered: [];
  unregistered: [];
  error: [error: VoiceError, call?: VoiceCall];
  tokenWillExpire: [device: VoiceDevice];
  incoming: [call: VoiceCall];
}

export type Listener<Args extends unknown[]> = (...args: Args) => void;

export interface VoiceCall {
  parameters: Record<string, string>;
  customParameters: Map<string, string>;
  accept(): void;
  reject(): void;
  disconnect(): void;
  mute(shouldMute?: boolean): void;
  isMuted(): boolean;
  sendDigits(digits: string): void;
  on<E extends keyof VoiceCallEvents>(event: E, fn: Listener<VoiceCallEvents[E]>): unknown;
}

export interface VoiceDevice {
  state: string;
  register(): Promise<void>;
  unregister(): Promise<void>;
  connect(options: { params: Record<string, string> }): Promise<VoiceCall>;
  updateToken(token: string): void;
  destroy(): void;
  on<E extends keyof VoiceDeviceEvents>(event: E, fn: Listener<VoiceDeviceEvents[E]>): unknown;
  off<E extends keyof VoiceDeviceEvents>(event: E, fn: Listener<VoiceDeviceEvents[E]>): unknown;
}

/* Call.Codec's values, spelled out: the fake SDK of the e2e build has no
 * Call.Codec enum to read them from. */
const CODECS = ['opus', 'pcmu'] satisfies `${Call.Codec}`[];

export const DEVICE_OPTIONS: Device.Options = {
  codecPreferences: CODECS as Call.Codec[],
  closeProtection: true,
  logLevel: 'warn',
  tokenRefreshMs: 60_000, // tokenWillExpire a minute before expiry
  allowIncomingWhileBusy: false,
};

export function createDevice(token: string): VoiceDevice {
  return new Device(token, DEVICE_OPTIONS);
}
