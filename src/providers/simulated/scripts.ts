/**
 * Callee scripts: what the simulated phone at a number does when it is called.
 *
 * @module
 */
import type { AnsweredBy, SitKind } from '../../machine/events.js';

/** When a response starts: after the prompt began playing (barge-in) or after it ended. */
export type ResponseAnchor = 'prompt-start' | 'prompt-end';

/**
 * Press keys in answer to a prompt.
 *
 * @example
 * ```ts
 * const approve: KeyResponse = { press: '#', afterMs: 2_000 };
 * const bargeIn: KeyResponse = { press: '1234#', from: 'prompt-start', afterMs: 1_000, keyGapMs: 300 };
 * ```
 */
export interface KeyResponse {
  /** Keys to press in order: `0`–`9`, `*`, `#`. */
  press: string;
  /** Default `prompt-end`. */
  from?: ResponseAnchor;
  /** Delay from the anchor to the first key. Default 1 500 ms. */
  afterMs?: number;
  /** Delay between keys. Default 250 ms. */
  keyGapMs?: number;
}

/** Hang up in answer to a prompt. */
export interface HangUpResponse {
  hangUp: true;
  /** Default `prompt-end`. */
  from?: ResponseAnchor;
  /** Delay from the anchor. Default 1 500 ms. */
  afterMs?: number;
}

/** Say nothing in answer to a prompt. */
export interface SilenceResponse {
  silence: true;
}

/** What the callee does in answer to one prompt (the greeting, then each re-prompt). */
export type PromptResponse = KeyResponse | HangUpResponse | SilenceResponse;

/**
 * A person answers and responds to each prompt in turn: the first response to
 * the greeting, the next to the first re-prompt, and so on; silence after the last.
 */
export interface AnswersScript {
  kind: 'answers';
  /** Time from the first ring to the answer. Default 4 000 ms. */
  answerAfterMs?: number;
  responses?: PromptResponse[];
  /** What answering-machine detection reports, when asked. Default `human`. */
  detectedAs?: AnsweredBy;
}

/** Voicemail answers, stays silent, and may hang up when its recording limit ends. */
export interface VoicemailScript {
  kind: 'voicemail';
  /** Time from the first ring to the answer. Default 15 000 ms (a few rings). */
  answerAfterMs?: number;
  /** Recording limit: hangs up this long after answering. Default: never. */
  hangUpAfterMs?: number;
  /** What answering-machine detection reports, when asked. Default `machine`. */
  detectedAs?: AnsweredBy;
}

/** The line is busy. */
export interface BusyScript {
  kind: 'busy';
}

/** Special information tones (tri-tones) of a kind. */
export interface SitScript {
  kind: 'sit';
  sitKind: SitKind;
}

/** The carrier says the number does not exist (SIP 404). */
export interface InvalidNumberScript {
  kind: 'invalid-number';
}

/** It rings and nobody answers; the carrier may give up on its own. */
export interface NoAnswerScript {
  kind: 'no-answer';
  /** The carrier ends the call with SIP 480 after this long ringing. Default: never. */
  carrierGivesUpAfterMs?: number;
}

/** The callee declines the call while it rings (SIP 603). */
export interface DeclinesScript {
  kind: 'declines';
  /** Time ringing before the decline. Default 3 000 ms. */
  afterMs?: number;
}

/** The carrier fails the call with a SIP code and / or Q.850 cause. */
export interface CarrierFailureScript {
  kind: 'carrier-failure';
  /** Default 503. */
  sipCode?: number;
  q850Cause?: number;
}

/** The provider's API refuses the dial with an error code (e.g. Twilio's `21217`). */
export interface ApiErrorScript {
  kind: 'api-error';
  providerCode: string;
}

/**
 * What the phone at a number does.
 *
 * @example
 * ```ts
 * const numbers: Record<string, CalleeScript> = {
 *   '+14255550100': { kind: 'voicemail' },
 *   '+14255550101': { kind: 'answers', responses: [{ press: '#' }] },
 *   '+14255550102': { kind: 'sit', sitKind: 'intercept' },
 * };
 * ```
 */
export type CalleeScript =
  | AnswersScript
  | VoicemailScript
  | BusyScript
  | SitScript
  | InvalidNumberScript
  | NoAnswerScript
  | DeclinesScript
  | CarrierFailureScript
  | ApiErrorScript;

/** The kinds of callee scripts. */
export const CALLEE_SCRIPT_KINDS: readonly CalleeScript['kind'][] = [
  'answers',
  'voicemail',
  'busy',
  'sit',
  'invalid-number',
  'no-answer',
  'declines',
  'carrier-failure',
  'api-error',
];
