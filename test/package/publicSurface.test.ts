import { describe, expect, it } from 'vitest';
import * as voiceMfa from '../../src/index.js';
import * as voiceMfaTwilio from '../../src/providers/twilio/index.js';

// Internals that once leaked through the entry points. The whole surface is
// recorded in api/*.api.md, which `npm run api:check` compares with the build.
describe('the entry points export no internals', () => {
  it.each([
    'scanKeys',
    'judgeTimeout',
    'MAX_ENTRY_LENGTH',
    'classifyIgnoredEvent',
    'toSegments',
    'buildPromptSegments',
    'spellDigits',
    'createNumberCheckActor',
    'createPinCheckActor',
    'checkE164Number',
    'toLoggedEvent',
    'FaultSchedule',
    'createSeededRandom',
    'splitExtension',
  ])('voice-mfa does not export %s', (name) => {
    expect(Object.keys(voiceMfa)).not.toContain(name);
  });

  it.each([
    'toCallEnding',
    'toDialFailure',
    'toAnsweredBy',
    'toTwilioCallStatus',
    'isValidTwilioSignature',
    'toTwilioCallsApi',
    'CALL_SID_PATTERN',
  ])('voice-mfa/twilio does not export %s', (name) => {
    expect(Object.keys(voiceMfaTwilio)).not.toContain(name);
  });

  it('still exports what users, provider authors and hosts running their own actor need', () => {
    for (const name of [
      'runVerification',
      'SimulatedCarrier',
      'VirtualClock',
      'VoiceMfaError',
      'parsePhoneTarget',
      'createAbuseGuard',
      'maskVerificationResult',
      'toLegacyResultCode',
      'classifyUnansweredEnding',
      'isWellFormedEvent',
      'verificationCallMachine',
      'createVerificationActor',
      'normalizeVerificationRequest',
    ]) {
      expect(voiceMfa).toHaveProperty(name);
    }
    expect(voiceMfaTwilio).toHaveProperty('TwilioVoiceProvider');
    expect(voiceMfaTwilio).toHaveProperty('handleTwilioWebhook');
  });
});
