/**
 * The TwiML documents the provider answers with: a handful of fixed shapes,
 * written as strings. They are byte for byte what twilio-node's
 * `VoiceResponse` builds (the tests compare the two for every shape), at a
 * fraction of its cost per webhook. Every URL in them is absolute.
 *
 * @module
 */
import { VoiceMfaError } from '../../errors.js';
import type { PromptSegment, SpeechSettings } from '../../machine/types.js';
import { ILLEGAL_XML_CHARACTER } from '../../request/text.js';
import { type GatherStep, toGatherKeyAttributes, toPlayDigits } from './keyCollection.js';

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

// Characters XML 1.0 does not allow in element text are refused as twilio-node's builder refuses them, with its
// message (a request holding one is refused before it starts; this guards a verification saved before that).
function legal(escaped: string): string {
  const illegal = ILLEGAL_XML_CHARACTER.exec(escaped);
  if (illegal !== null)
    throw new VoiceMfaError('PROVIDER_ERROR', `Invalid character in string: ${escaped} at index ${illegal.index}`);
  return escaped;
}

const NEEDS_TEXT_ESCAPE = /[&<>\r]/;
const NEEDS_ATTRIBUTE_ESCAPE = /[&<"\t\n\r]/;

/** Escapes element text as the builder does. */
function escapeText(text: string): string {
  if (!NEEDS_TEXT_ESCAPE.test(text)) return legal(text);
  return legal(text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;'));
}

/** Escapes an attribute value as the builder does (twilio-node's attribute writer checks no characters). */
function escapeAttribute(value: string): string {
  if (!NEEDS_ATTRIBUTE_ESCAPE.test(value)) return value;
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;')
    .replace(/\n/g, '&#xA;')
    .replace(/\r/g, '&#xD;');
}

/** ` name="value"` for each attribute that has a value, in order. */
function attributes(values: Readonly<Record<string, string | number | undefined>>): string {
  let out = '';
  for (const name in values) {
    const value = values[name];
    if (value !== undefined) out += ` ${name}="${escapeAttribute(String(value))}"`;
  }
  return out;
}

/** An element: empty ones close themselves, as the builder writes them. */
function element(name: string, attributeText: string, content: string): string {
  return content === '' ? `<${name}${attributeText}/>` : `<${name}${attributeText}>${content}</${name}>`;
}

function segmentsTwiml(segments: readonly PromptSegment[], speech: SpeechSettings): string {
  let out = '';
  let sayAttributes: string | undefined;
  for (const segment of segments) {
    if ('say' in segment) {
      sayAttributes ??= attributes({ language: speech.language, voice: speech.voice });
      out += element('Say', sayAttributes, escapeText(segment.say));
    } else {
      out += element('Play', '', escapeText(segment.play));
    }
  }
  return out;
}

const response = (verbs: string): string => XML_DECLARATION + element('Response', '', verbs);

const redirect = (url: string): string => element('Redirect', ' method="POST"', escapeText(url));

/**
 * A Media Stream to start before the document's other verbs: the call's
 * inbound audio forked to `url`, with `parameters` echoed in the stream's
 * `start` message.
 *
 * @example
 * ```ts
 * const stream: MediaStreamStart = { url: 'wss://verify.example.com/twilio/media-stream', parameters: { t: token, m: mac } };
 * ```
 */
export interface MediaStreamStart {
  url: string;
  parameters: Readonly<Record<string, string>>;
}

/**
 * `<Start><Stream track="inbound_track">` when a stream is given: the stream
 * runs in the background while the following verbs play and collect keys,
 * until the call ends.
 */
function streamStart(stream: MediaStreamStart | null): string {
  if (stream === null) return '';
  let parameters = '';
  for (const name in stream.parameters)
    parameters += element('Parameter', attributes({ name, value: stream.parameters[name] }), '');
  return element('Start', '', element('Stream', attributes({ url: stream.url, track: 'inbound_track' }), parameters));
}

/**
 * Longest `<Gather timeout>` Twilio's input timeout is given, in seconds.
 *
 * @example
 * ```ts
 * toGatherTimeoutSeconds(600_000) === MAX_GATHER_TIMEOUT_SECONDS; // true
 * ```
 */
export const MAX_GATHER_TIMEOUT_SECONDS = 120;

/**
 * `<Gather timeout>` in whole seconds for an input timeout in milliseconds
 * (rounded up, at least 1). Twilio starts it after the nested prompt finished.
 *
 * @example
 * ```ts
 * toGatherTimeoutSeconds(10_000); // 10
 * toGatherTimeoutSeconds(2_500); // 3
 * ```
 */
export function toGatherTimeoutSeconds(inputTimeoutMs: number): number {
  return Math.min(MAX_GATHER_TIMEOUT_SECONDS, Math.max(1, Math.ceil(inputTimeoutMs / 1000)));
}

/**
 * A chain of `<Gather>`s and what follows it.
 *
 * @example
 * ```ts
 * toGatherTwiml({ segments: [{ say: 'Press pound.' }], speech: {}, gathers: [{ shape: 'entry', timeoutSeconds: 2 }], actionUrl, timeoutUrl });
 * ```
 */
export interface GatherTwimlInput {
  /** Spoken inside the first Gather, so that a key stops it (barge-in); empty for Gathers that only wait. */
  segments: readonly PromptSegment[];
  speech: SpeechSettings;
  /** The Gathers, in order: one without keys falls through to the next (no request in between). */
  gathers: readonly GatherStep[];
  /** The Gathers' `action`. */
  actionUrl: string;
  /** Where the call goes when the last Gather ends without keys. */
  timeoutUrl: string;
  /** A Media Stream to start first. */
  stream?: MediaStreamStart | null;
}

/**
 * A prompt nested in the first of a chain of `<Gather>`s, followed by a
 * `<Redirect>` that reports the input timeout. A Gather that gets keys posts
 * them to `actionUrl` and ends the document; one that times out without keys
 * falls through to the next verb.
 *
 * @example
 * ```ts
 * toGatherTwiml({ segments: [{ say: 'Press pound.' }], speech: { language: 'en-US' },
 *   gathers: [{ shape: 'entry', timeoutSeconds: 2 }, { shape: 'entry', timeoutSeconds: 1 }],
 *   actionUrl: 'https://example.com/twilio/gather?t=…', timeoutUrl: 'https://example.com/twilio/timeout?t=…' });
 * // <Response><Gather input="dtmf" action="…" method="POST" timeout="2" finishOnKey="" numDigits="64">
 * //   <Say language="en-US">Press pound.</Say></Gather>
 * //   <Gather input="dtmf" action="…" method="POST" timeout="1" finishOnKey="" numDigits="64"/>
 * //   <Redirect method="POST">…</Redirect></Response>
 * ```
 */
export function toGatherTwiml(input: GatherTwimlInput): string {
  let verbs = streamStart(input.stream ?? null);
  const action = escapeAttribute(input.actionUrl);
  input.gathers.forEach((step, index) => {
    const { finishOnKey, numDigits } = toGatherKeyAttributes(step.shape);
    const gatherAttributes =
      ` input="dtmf" action="${action}" method="POST"` +
      attributes({ timeout: step.timeoutSeconds, finishOnKey, numDigits });
    verbs += element('Gather', gatherAttributes, index === 0 ? segmentsTwiml(input.segments, input.speech) : '');
  });
  return response(verbs + redirect(input.timeoutUrl));
}

/**
 * Extension digits, then a `<Redirect>` that reports them sent.
 *
 * @example
 * ```ts
 * toSendDigitsTwiml(',1234', 'https://example.com/twilio/digits-sent?t=…');
 * // <Response><Play digits="ww1234"/><Redirect method="POST">…</Redirect></Response>
 * ```
 */
export function toSendDigitsTwiml(digits: string, reportUrl: string, stream: MediaStreamStart | null = null): string {
  return response(
    streamStart(stream) + element('Play', attributes({ digits: toPlayDigits(digits) }), '') + redirect(reportUrl),
  );
}

/**
 * The farewell, if any, then `<Hangup/>`.
 *
 * @example
 * ```ts
 * toHangUpTwiml([{ say: 'Goodbye.' }], {}); // <Response><Say>Goodbye.</Say><Hangup/></Response>
 * ```
 */
export function toHangUpTwiml(farewell: readonly PromptSegment[], speech: SpeechSettings): string {
  return response(`${segmentsTwiml(farewell, speech)}<Hangup/>`);
}

/**
 * A short pause, then back for the next TwiML: used while the machine is
 * still deciding (e.g. a PIN check that takes a moment).
 *
 * @example
 * ```ts
 * toHoldTwiml('https://example.com/twilio/poll?t=…', 1); // <Response><Pause length="1"/><Redirect method="POST">…</Redirect></Response>
 * ```
 */
export function toHoldTwiml(pollUrl: string, pauseSeconds: number, stream: MediaStreamStart | null = null): string {
  return response(streamStart(stream) + element('Pause', attributes({ length: pauseSeconds }), '') + redirect(pollUrl));
}

/**
 * Most characters of TwiML Twilio takes inline, in a REST request's `Twiml`
 * (longer is refused with error 32018); a webhook's answer may be up to 64 kB.
 *
 * @example
 * ```ts
 * const inline = twiml.length <= MAX_INLINE_TWIML_CHARS;
 * ```
 */
export const MAX_INLINE_TWIML_CHARS = 4_000;

/**
 * Only a `<Redirect>`: the call fetches its next document from `url`.
 *
 * @example
 * ```ts
 * toRedirectTwiml('https://example.com/twilio/poll?t=…'); // <Response><Redirect method="POST">…</Redirect></Response>
 * ```
 */
export function toRedirectTwiml(url: string): string {
  return response(redirect(url));
}

/**
 * An empty `<Response/>`: the answer to status callbacks, which Twilio does not execute.
 *
 * @example
 * ```ts
 * toEmptyTwiml(); // '<?xml version="1.0" encoding="UTF-8"?><Response/>'
 * ```
 */
export function toEmptyTwiml(): string {
  return EMPTY_TWIML;
}

const EMPTY_TWIML = response('');
