/**
 * What a provider that listens to a call's audio tells the machine about what
 * the analyser heard: special information tones, a busy or a reorder tone
 * (`call.progressTone`), and the answering-machine verdict (`call.answeredBy`,
 * only when the call asked for detection). Ringback, beeps and keys heard in
 * the audio change nothing: the call's own signalling reports them.
 *
 * @module
 */
import type { AudioDetection } from '../audio/detections.js';
import type { AnsweredBy, ProgressTone, ProviderEvent, SitKind } from '../machine/events.js';

/**
 * A detection that means something to the machine: a tone that ends the
 * attempt, or an answering-machine verdict.
 *
 * @example
 * ```ts
 * const heard: HeardOnCall = { kind: 'tone', tone: 'sit', sitKind: 'intercept' };
 * ```
 */
export type HeardOnCall =
  | { kind: 'tone'; tone: ProgressTone; sitKind?: SitKind }
  | { kind: 'answeredBy'; answeredBy: AnsweredBy };

const VERDICTS: Readonly<Record<'human' | 'machine' | 'not-sure', AnsweredBy>> = {
  human: 'human',
  machine: 'machine',
  'not-sure': 'unknown',
};

/**
 * What a detection means for the machine, or `null` when it means nothing
 * (ringback, a beep, a key).
 *
 * @example
 * ```ts
 * readDetection({ type: 'sit', atMs: 990, startMs: 50, code: 'IC', kind: 'intercept', segments }); // { kind: 'tone', tone: 'sit', sitKind: 'intercept' }
 * readDetection({ type: 'ringback', atMs: 6004, startMs: 0, zone: 'us' }); // null
 * ```
 */
export function readDetection(detection: AudioDetection): HeardOnCall | null {
  switch (detection.type) {
    case 'sit':
      return { kind: 'tone', tone: 'sit', sitKind: detection.kind };
    case 'busy':
    case 'reorder':
      return { kind: 'tone', tone: detection.type };
    case 'human':
    case 'machine':
    case 'not-sure':
      return { kind: 'answeredBy', answeredBy: VERDICTS[detection.type] };
    default:
      return null;
  }
}

/**
 * The event for the call `callId`; an answering-machine verdict only when
 * `machineDetection` was asked for that call (`null` otherwise).
 *
 * @example
 * ```ts
 * toHeardEvent({ kind: 'tone', tone: 'busy' }, 'CA1', false); // { type: 'call.progressTone', callId: 'CA1', tone: 'busy' }
 * toHeardEvent({ kind: 'answeredBy', answeredBy: 'machine' }, 'CA1', false); // null
 * ```
 */
export function toHeardEvent(heard: HeardOnCall, callId: string, machineDetection: boolean): ProviderEvent | null {
  if (heard.kind === 'answeredBy') {
    return machineDetection ? { type: 'call.answeredBy', callId, answeredBy: heard.answeredBy } : null;
  }
  return heard.sitKind === undefined
    ? { type: 'call.progressTone', callId, tone: heard.tone }
    : { type: 'call.progressTone', callId, tone: heard.tone, sitKind: heard.sitKind };
}
