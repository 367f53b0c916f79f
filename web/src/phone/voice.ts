/*
 * The part of @twilio/voice-sdk the softphone uses, as plain interfaces, and
 * the one place a Device is made.  In the e2e build (vite --mode e2e) the
 * module '@twilio/voice-sdk' is the fake in src/testing/fake-voice-sdk.ts.
 */
import { Device } from '@twilio/voice-sdk';

type Handler = (...args: any[]) => void;

export interface VoiceCall {
  parameters: Record<string, string>;
  customParameters: Map<string, string>;
  accept(): void;
  reject(): void;
  disconnect(): void;
  mute(shouldMute?: boolean): void;
  isMuted(): boolean;
  sendDigits(digits: string): void;
  on(event: string, fn: Handler): unknown;
}

export interface VoiceDevice {
  state: string;
  register(): Promise<void>;
  unregister(): Promise<void>;
  connect(options: { params: Record<string, string> }): Promise<VoiceCall>;
  updateToken(token: string): void;
  destroy(): void;
  on(event: string, fn: Handler): unknown;
  off(event: string, fn: Handler): unknown;
}

export const DEVICE_OPTIONS = {
  codecPreferences: ['opus', 'pcmu'],
  closeProtection: true,
  logLevel: 'warn',
  tokenRefreshMs: 60_000, // tokenWillExpire a minute before expiry
  allowIncomingWhileBusy: false,
};

export function createDevice(token: string): VoiceDevice {
  return new Device(token, DEVICE_OPTIONS as any) as unknown as VoiceDevice;
}
