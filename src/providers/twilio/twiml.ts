/**
 * The TwiML documents the provider answers with, built with twilio-node's
 * `VoiceResponse`. Every URL in them is absolute.
 *
 * @module
 */
import twilio from 'twilio';
import type { PromptSegment, SpeechSettings } from '../../machine/types.js';
import { type GatherStep, toGatherKeyAttributes, toPlayDigits } from './keyCollection.js';

type VoiceResponse = InstanceType<typeof twilio.twiml.VoiceResponse>;

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
 * A new document, starting with `<Start><Stream track="inbound_track">` when
 * a stream is given: the stream runs in the background while the following
 * verbs play and collect keys, until the call ends.
 */
function newResponse(stream: MediaStreamStart | null): VoiceResponse {
  const response = new twilio.twiml.VoiceResponse();
  if (stream !== null) {
    const forked = response.start().stream({ url: stream.url, track: 'inbound_track' });
    for (const [name, value] of Object.entries(stream.parameters)) forked.parameter({ name, value });
  }
  return response;
}
type SayAttributes = Parameters<VoiceResponse['say']>[0];

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

function sayAttributes(speech: SpeechSettings): SayAttributes {
  const attributes: Record<string, string> = {};
  if (speech.language !== undefined) attributes.language = speech.language;
  if (speech.voice !== undefined) attributes.voice = speech.voice;
  return attributes as SayAttributes;
}

function appendSegments(
  target: Pick<VoiceResponse, 'say' | 'play'>,
  segments: readonly PromptSegment[],
  speech: SpeechSettings,
): void {
  for (const segment of segments) {
    if ('say' in segment) target.say(sayAttributes(speech), segment.say);
    else target.play({}, segment.play);
  }
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
  const response = newResponse(input.stream ?? null);
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
  const response = newResponse(stream);
  response.play({ digits: toPlayDigits(digits) });
  response.redirect({ method: 'POST' }, reportUrl);
  return response.toString();
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
  const response = new twilio.twiml.VoiceResponse();
  appendSegments(response, farewell, speech);
  response.hangup();
  return response.toString();
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
  const response = newResponse(stream);
  response.pause({ length: pauseSeconds });
  response.redirect({ method: 'POST' }, pollUrl);
  return response.toString();
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
  return new twilio.twiml.VoiceResponse().toString();
}
