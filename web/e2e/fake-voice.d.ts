/*
 * In the page of the e2e build, window.__fakeVoice is the fake Voice SDK's
 * control (src/testing/fake-voice-sdk.ts sets it); the e2e script's
 * page.evaluate() callbacks run there.
 */
import type { FakeVoiceControl } from '../src/testing/fake-voice-sdk';

declare global {
  interface Window {
    __fakeVoice: FakeVoiceControl;
  }
}
