/**
 * The TwiML of every command, exactly: prompts in a Gather with the Redirect
 * that reports the timeout, extension digits, hang-up with and without a
 * farewell, the pause while the machine decides, the empty answer of callbacks.
 */
import { describe, expect, it } from 'vitest';
import { buildPromptSegments, DEFAULT_PROMPTS } from '../../src/machine/prompts.js';
import { toPlayDigits } from '../../src/providers/twilio/keyCollection.js';
import {
  toEmptyTwiml,
  toGatherTimeoutSeconds,
  toGatherTwiml,
  toHangUpTwiml,
  toHoldTwiml,
  toSendDigitsTwiml,
} from '../../src/providers/twilio/twiml.js';
import { elementsOf, parseXml, textOf } from '../support/xml.js';

const XML = '<?xml version="1.0" encoding="UTF-8"?>';
const BASE = 'https://verify.example.test/twilio';
const TOKEN = '0123456789abcdef0123456789abcdef';

describe('prompt and key collection', () => {
  it('nests the prompt in a key-by-key Gather, then reports the timeout', () => {
    const twiml = toGatherTwiml({
      segments: [{ say: 'Press the pound key.' }, { play: 'https://cdn.example.test/tone.mp3' }],
      speech: { language: 'de-DE', voice: 'Polly.Vicki' },
      gathers: [{ shape: 'key', timeoutSeconds: 10 }],
      actionUrl: `${BASE}/gather?t=${TOKEN}&s=2&p=1&k=key`,
      timeoutUrl: `${BASE}/timeout?t=${TOKEN}&s=2&p=1`,
    });
    expect(twiml).toBe(
      `${XML}<Response>` +
        `<Gather input="dtmf" action="${BASE}/gather?t=${TOKEN}&amp;s=2&amp;p=1&amp;k=key" method="POST" timeout="10" finishOnKey="" numDigits="1">` +
        '<Say language="de-DE" voice="Polly.Vicki">Press the pound key.</Say><Play>https://cdn.example.test/tone.mp3</Play>' +
        `</Gather><Redirect method="POST">${BASE}/timeout?t=${TOKEN}&amp;s=2&amp;p=1</Redirect></Response>`,
    );
  });

  it('chains whole-entry Gathers: the prompt in the first, the others only wait, one action for all', () => {
    const root = parseXml(
      toGatherTwiml({
        segments: [{ say: 'Enter your PIN.' }],
        speech: {},
        gathers: [
          { shape: 'entry', timeoutSeconds: 2 },
          { shape: 'entry', timeoutSeconds: 2 },
          { shape: 'entry', timeoutSeconds: 1 },
        ],
        actionUrl: `${BASE}/gather`,
        timeoutUrl: `${BASE}/timeout`,
      }),
    );
    const verbs = elementsOf(root);
    expect(verbs.map((v) => v.name)).toEqual(['Gather', 'Gather', 'Gather', 'Redirect']);
    expect(verbs.slice(0, 3).map((g) => g.attributes)).toEqual(
      ['2', '2', '1'].map((timeout) => ({
        input: 'dtmf',
        action: `${BASE}/gather`,
        method: 'POST',
        timeout,
        finishOnKey: '',
        numDigits: '64',
      })),
    );
    expect(elementsOf(verbs[0] ?? root).map(textOf)).toEqual(['Enter your PIN.']);
    expect(elementsOf(verbs[1] ?? root)).toEqual([]);
    expect(textOf(verbs[3] ?? root)).toBe(`${BASE}/timeout`);
  });

  it('speaks every kind of prompt the machine sends, escaped', () => {
    for (const kind of ['greeting', 'invalid-entry', 'incorrect-pin'] as const) {
      for (const mode of ['standard', 'pin'] as const) {
        const segments = buildPromptSegments(kind, {
          prompts: { ...DEFAULT_PROMPTS, welcome: 'Hi <Ann> & "Bob"' },
          mode,
          values: { fraudCode: '0', extension: '12' },
        });
        const root = parseXml(
          toGatherTwiml({
            segments,
            speech: {},
            gathers: [{ shape: 'entry', timeoutSeconds: 1 }],
            actionUrl: BASE,
            timeoutUrl: BASE,
          }),
        );
        const spoken = elementsOf(elementsOf(root)[0] ?? root).map(textOf);
        expect(spoken).toEqual(segments.map((segment) => ('say' in segment ? segment.say : segment.play)));
      }
    }
  });

  it('rounds the input timeout up to whole seconds within Twilio limits', () => {
    expect(toGatherTimeoutSeconds(10_000)).toBe(10);
    expect(toGatherTimeoutSeconds(1_001)).toBe(2);
    expect(toGatherTimeoutSeconds(1)).toBe(1);
    expect(toGatherTimeoutSeconds(500_000)).toBe(120);
  });
});

describe('extension digits', () => {
  it('plays the digits, a comma as one second (ww), then reports them sent', () => {
    expect(toSendDigitsTwiml(',1234', `${BASE}/digits-sent?t=${TOKEN}&s=1`)).toBe(
      `${XML}<Response><Play digits="ww1234"/><Redirect method="POST">${BASE}/digits-sent?t=${TOKEN}&amp;s=1</Redirect></Response>`,
    );
    expect(toPlayDigits(',,12,3#')).toBe('wwww12ww3#');
    expect(toPlayDigits('*9')).toBe('*9');
  });
});

describe('hang-up', () => {
  it('says the farewell in the request language, then hangs up', () => {
    expect(toHangUpTwiml([{ say: 'Goodbye.' }], { language: 'en-GB' })).toBe(
      `${XML}<Response><Say language="en-GB">Goodbye.</Say><Hangup/></Response>`,
    );
    expect(toHangUpTwiml([{ play: 'https://cdn.example.test/bye.mp3' }], {})).toBe(
      `${XML}<Response><Play>https://cdn.example.test/bye.mp3</Play><Hangup/></Response>`,
    );
  });

  it('hangs up at once without a farewell', () => {
    expect(toHangUpTwiml([], {})).toBe(`${XML}<Response><Hangup/></Response>`);
  });
});

describe('waiting and callbacks', () => {
  it('pauses and comes back while the machine decides', () => {
    expect(toHoldTwiml(`${BASE}/poll?t=${TOKEN}&s=4`, 1)).toBe(
      `${XML}<Response><Pause length="1"/><Redirect method="POST">${BASE}/poll?t=${TOKEN}&amp;s=4</Redirect></Response>`,
    );
  });

  it('answers callbacks with an empty Response', () => {
    expect(toEmptyTwiml()).toBe(`${XML}<Response/>`);
  });
});
