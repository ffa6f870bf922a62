/**
 * The `<Say>` voice: the request's if it names one, else a neural voice of its
 * language instead of Twilio's legacy default.
 */
import { describe, expect, it } from 'vitest';
import { TWILIO_NEURAL_VOICES, withDefaultVoice } from '../../src/providers/twilio/voices.js';
import { runVerification } from '../../src/runtime/runVerification.js';
import { spoken, verb } from '../support/twilioFake.js';
import { startTwilioHarness } from '../support/twilioHarness.js';
import { elementsOf } from '../support/xml.js';

describe('default voices', () => {
  it('keeps a voice the request names', () => {
    expect(withDefaultVoice({ language: 'en-GB', voice: 'Polly.Brian' }, TWILIO_NEURAL_VOICES)).toEqual({
      language: 'en-GB',
      voice: 'Polly.Brian',
    });
  });

  it('picks the neural voice of the language, en-US when none is given, and none for a language it does not know', () => {
    expect(withDefaultVoice({ language: 'de-DE' }, TWILIO_NEURAL_VOICES)).toEqual({
      language: 'de-DE',
      voice: 'Polly.Vicki-Neural',
    });
    expect(withDefaultVoice({}, TWILIO_NEURAL_VOICES)).toEqual({ voice: 'Polly.Joanna-Neural' });
    expect(withDefaultVoice({ language: 'sv-SE' }, TWILIO_NEURAL_VOICES)).toEqual({ language: 'sv-SE' });
    expect(withDefaultVoice({ language: 'en-US' }, {})).toEqual({ language: 'en-US' });
  });

  it('reads the language in any case, as language tags are', () => {
    expect(withDefaultVoice({ language: 'en-gb' }, TWILIO_NEURAL_VOICES)).toEqual({
      language: 'en-gb',
      voice: 'Polly.Amy-Neural',
    });
    expect(withDefaultVoice({ language: 'DE-de' }, TWILIO_NEURAL_VOICES)).toMatchObject({
      voice: 'Polly.Vicki-Neural',
    });
    expect(withDefaultVoice({ language: 'en-us' }, { 'EN-US': 'Google.en-US-Neural2-F' })).toMatchObject({
      voice: 'Google.en-US-Neural2-F',
    });
  });

  it('takes no voice for a language that only names a property every object has', () => {
    for (const language of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(withDefaultVoice({ language }, TWILIO_NEURAL_VOICES)).toEqual({ language });
    }
  });

  it('every default is one of Twilio neural Polly voices', () => {
    for (const voice of Object.values(TWILIO_NEURAL_VOICES)) expect(voice).toMatch(/^Polly\.[A-Z][a-z]+-Neural$/);
  });

  it.each([
    [undefined, 'Polly.Joanna-Neural'],
    [{}, undefined],
    [{ 'en-US': 'Google.en-US-Neural2-F' }, 'Google.en-US-Neural2-F'],
  ])('the greeting is said with the provider default voices %j: %s', async (defaultVoices, expected) => {
    const h = await startTwilioHarness(defaultVoices === undefined ? {} : { defaultVoices });
    try {
      const verification = runVerification({ targets: ['+14255550100'] }, { provider: h.provider });
      const call = await h.call(1);
      const greeting = await call.answer();
      const says = elementsOf(verb(greeting, 'Gather'));
      expect(spoken(verb(greeting, 'Gather'))[0]).toBe('Hello. This is your sign-in verification call.');
      for (const say of says) expect(say.attributes.voice).toBe(expected);
      await call.press(greeting, '#');
      expect((await verification).status).toBe('approved');
    } finally {
      await h.close();
    }
  });
});
