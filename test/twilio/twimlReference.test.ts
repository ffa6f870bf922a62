/**
 * The TwiML shapes are written as strings; twilio-node's `VoiceResponse` is
 * the reference. For every shape, with and without a Media Stream, and any
 * text, speech settings, URLs, stream parameters and timings — markup characters, line breaks, emoji, characters XML forbids —
 * the string is byte for byte what the builder makes, or both refuse it with
 * the same message.
 */
import fc from 'fast-check';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { VoiceMfaError } from '../../src/errors.js';
import type { PromptSegment, SpeechSettings } from '../../src/machine/types.js';
import { type GatherStep, toGatherKeyAttributes, toPlayDigits } from '../../src/providers/twilio/keyCollection.js';
import {
  type GatherTwimlInput,
  type MediaStreamStart,
  toEmptyTwiml,
  toGatherTwiml,
  toHangUpTwiml,
  toHoldTwiml,
  toRedirectTwiml,
  toSendDigitsTwiml,
} from '../../src/providers/twilio/twiml.js';
import { assertProperty, PROPERTY_TIMEOUT_MS } from '../properties/support/property.js';

type VoiceResponse = InstanceType<typeof twilio.twiml.VoiceResponse>;
type SayAttributes = Parameters<VoiceResponse['say']>[0];

function appendSegments(
  target: Pick<VoiceResponse, 'say' | 'play'>,
  segments: readonly PromptSegment[],
  speech: SpeechSettings,
): void {
  const attributes: Record<string, string> = {};
  if (speech.language !== undefined) attributes.language = speech.language;
  if (speech.voice !== undefined) attributes.voice = speech.voice;
  for (const segment of segments) {
    if ('say' in segment) target.say(attributes as SayAttributes, segment.say);
    else target.play({}, segment.play);
  }
}

/** A new document, starting the Media Stream when one is given. */
function newResponse(stream: MediaStreamStart | null | undefined): VoiceResponse {
  const response = new twilio.twiml.VoiceResponse();
  if (stream) {
    const forked = response.start().stream({ url: stream.url, track: 'inbound_track' });
    for (const [name, value] of Object.entries(stream.parameters)) forked.parameter({ name, value });
  }
  return response;
}

/** The shapes as twilio-node builds them. */
const reference = {
  gather(input: GatherTwimlInput): string {
    const response = newResponse(input.stream);
    input.gathers.forEach((step, index) => {
      const gather = response.gather({
        input: ['dtmf'],
        action: input.actionUrl,
        method: 'POST',
        timeout: step.timeoutSeconds,
        ...toGatherKeyAttributes(step.shape),
      });
      if (index === 0) appendSegments(gather, input.segments, input.speech);
    });
    response.redirect({ method: 'POST' }, input.timeoutUrl);
    return response.toString();
  },
  sendDigits(digits: string, reportUrl: string, stream: MediaStreamStart | null): string {
    const response = newResponse(stream);
    response.play({ digits: toPlayDigits(digits) });
    response.redirect({ method: 'POST' }, reportUrl);
    return response.toString();
  },
  hangUp(farewell: readonly PromptSegment[], speech: SpeechSettings): string {
    const response = new twilio.twiml.VoiceResponse();
    appendSegments(response, farewell, speech);
    response.hangup();
    return response.toString();
  },
  hold(pollUrl: string, pauseSeconds: number, stream: MediaStreamStart | null): string {
    const response = newResponse(stream);
    response.pause({ length: pauseSeconds });
    response.redirect({ method: 'POST' }, pollUrl);
    return response.toString();
  },
  redirect(url: string): string {
    const response = new twilio.twiml.VoiceResponse();
    response.redirect({ method: 'POST' }, url);
    return response.toString();
  },
  empty(): string {
    return new twilio.twiml.VoiceResponse().toString();
  },
};

/** What a call gives: its result, or the message it threw. */
function outcome(make: () => string): { twiml: string } | { error: string } {
  try {
    return { twiml: make() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

// Text that exercises escaping: markup, quotes, whitespace XML escapes, emoji,
// and characters XML 1.0 forbids (controls, lone surrogates, U+FFFF).
const trickyText = fc.oneof(
  fc.string({
    unit: fc.constantFrom('a', 'Z', ' ', '&', '<', '>', '"', "'", '\t', '\n', '\r', 'é', '😀', '&amp;', ']]>'),
  }),
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom('a', '\u0001', '\u000b', '\uffff', '\ud800', '\udc00') }) },
  fc.string({ unit: 'grapheme' }),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
);
const segmentArbitrary: fc.Arbitrary<PromptSegment> = fc.oneof(
  fc.record({ say: trickyText }),
  fc.record({ play: trickyText }),
);
const speechArbitrary: fc.Arbitrary<SpeechSettings> = fc.record(
  {
    language: fc.oneof(fc.constantFrom('en-US', 'de-DE', ''), trickyText),
    voice: fc.oneof(fc.constant('Polly.Joanna-Neural'), trickyText),
  },
  { requiredKeys: [] },
);
const streamArbitrary: fc.Arbitrary<MediaStreamStart | null> = fc.option(
  fc.record({ url: trickyText, parameters: fc.dictionary(trickyText, trickyText, { maxKeys: 3 }) }),
);
const gatherStepArbitrary: fc.Arbitrary<GatherStep> = fc.record({
  shape: fc.constantFrom('key' as const, 'entry' as const),
  timeoutSeconds: fc.integer({ min: 1, max: 120 }),
});

describe('TwiML written as strings is what twilio-node builds', () => {
  it(
    'a prompt in a chain of Gathers, then the Redirect',
    async () => {
      const inputArbitrary = fc.record({
        segments: fc.array(segmentArbitrary, { maxLength: 4 }),
        speech: speechArbitrary,
        gathers: fc.array(gatherStepArbitrary, { minLength: 1, maxLength: 3 }),
        actionUrl: trickyText,
        timeoutUrl: trickyText,
        stream: streamArbitrary,
      });
      await assertProperty(inputArbitrary, async (input) => {
        expect(outcome(() => toGatherTwiml(input))).toEqual(outcome(() => reference.gather(input)));
      });
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'extension digits, the farewell and hang-up, the pause while deciding, the redirect to fetch a document',
    async () => {
      const arbitrary = fc.record({
        digits: fc.string({ unit: fc.constantFrom(',', '0', '1', '9', '*', '#', 'w') }),
        url: trickyText,
        farewell: fc.array(segmentArbitrary, { maxLength: 3 }),
        speech: speechArbitrary,
        pauseSeconds: fc.integer({ min: 0, max: 10 }),
        stream: streamArbitrary,
      });
      await assertProperty(arbitrary, async ({ digits, url, farewell, speech, pauseSeconds, stream }) => {
        expect(outcome(() => toSendDigitsTwiml(digits, url, stream))).toEqual(
          outcome(() => reference.sendDigits(digits, url, stream)),
        );
        expect(outcome(() => toHangUpTwiml(farewell, speech))).toEqual(
          outcome(() => reference.hangUp(farewell, speech)),
        );
        expect(outcome(() => toHoldTwiml(url, pauseSeconds, stream))).toEqual(
          outcome(() => reference.hold(url, pauseSeconds, stream)),
        );
        expect(outcome(() => toRedirectTwiml(url))).toEqual(outcome(() => reference.redirect(url)));
      });
    },
    PROPERTY_TIMEOUT_MS,
  );

  it('the empty answer of callbacks', () => {
    expect(toEmptyTwiml()).toBe(reference.empty());
  });

  it('refuses a character XML forbids as the builder does', () => {
    const farewell = [{ say: 'Good\u0001bye & thanks' }];
    expect(() => toHangUpTwiml(farewell, {})).toThrow(
      'Invalid character in string: Good\u0001bye &amp; thanks at index 4',
    );
    expect(outcome(() => toHangUpTwiml(farewell, {}))).toEqual(outcome(() => reference.hangUp(farewell, {})));
    // With the builder's message, but typed as every error of the library is.
    expect(() => toHangUpTwiml(farewell, {})).toThrow(VoiceMfaError);
    expect(() => toHangUpTwiml(farewell, {})).toThrow(expect.objectContaining({ code: 'PROVIDER_ERROR' }));
  });
});
