/*
 * The real @twilio/voice-sdk Device fits what the typed client's glue
 * (keepTokenFresh, startDevice) takes, and the softphone's view of it
 * (phone/voice.ts) does too.  Checked by tsc -p tsconfig.node.json.
 */
import type { Device } from '@twilio/voice-sdk';
import type { RegistrableDevice, TokenDevice } from '@ramal/client';
import { describe, expectTypeOf, it } from 'vitest';
import type { VoiceDevice } from './voice';

describe('the Voice SDK and the client glue', () => {
  it('a Device is a RegistrableDevice; the app view is a TokenDevice', () => {
    expectTypeOf<Device>().toMatchTypeOf<RegistrableDevice>();
    expectTypeOf<VoiceDevice>().toMatchTypeOf<TokenDevice>();
  });
});
