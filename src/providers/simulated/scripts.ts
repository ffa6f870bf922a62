/**
 * Callee scripts: what the simulated phone at a number does when it is called.
 *
 * @module
 */
import type { RequestIssue } from '../../errors.js';
import { type AnsweredBy, SIT_KINDS, type SitKind } from '../../machine/events.js';
import { isRecord, unknownKeys } from '../../request/normalizeRequest.js';
import { checkNumberField, checkOneOf, checkTag, DURATION, fieldPath, quoted } from './checks.js';

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
  /**
   * Time from the first ring to the answer. Default 4 000 ms. The first ring
   * comes `apiLatencyMs + postDialDelayMs` after the dial command (2 100 ms
   * with the default timing), so by default the call is answered 6 100 ms
   * after the dial. Give `answerAtMs` instead to count from the dial.
   */
  answerAfterMs?: number;
  /**
   * Time from the dial command to the answer, instead of `answerAfterMs`; at
   * least the time of the first ring (`apiLatencyMs + postDialDelayMs`).
   */
  answerAtMs?: number;
  responses?: PromptResponse[];
  /** What answering-machine detection reports, when asked. Default `human`. */
  detectedAs?: AnsweredBy;
}

/** Voicemail answers, stays silent, and may hang up when its recording limit ends. */
export interface VoicemailScript {
  kind: 'voicemail';
  /**
   * Time from the first ring to the answer. Default 15 000 ms (a few rings).
   * The first ring comes `apiLatencyMs + postDialDelayMs` after the dial
   * command (2 100 ms with the default timing), so by default voicemail
   * answers 17 100 ms after the dial. Give `answerAtMs` instead to count from
   * the dial.
   */
  answerAfterMs?: number;
  /**
   * Time from the dial command to the answer, instead of `answerAfterMs`; at
   * least the time of the first ring (`apiLatencyMs + postDialDelayMs`).
   */
  answerAtMs?: number;
  /** Recording limit: hangs up this long after answering. Default: never. */
  hangUpAfterMs?: number;
  /** What answering-machine detection reports, when asked. Default `machine`. */
  detectedAs?: AnsweredBy;
}

/**
 * The line is busy.
 *
 * @example
 * ```ts
 * const signalled: BusyScript = { kind: 'busy' }; // SIP 486: the carrier reports busy at once
 * const toneOnly: BusyScript = { kind: 'busy', signalled: false }; // only the busy tone says so
 * ```
 */
export interface BusyScript {
  kind: 'busy';
  /**
   * Whether the carrier reports it (SIP 486, `busy`). `false`: the network
   * plays a busy tone as early media and the call looks like it rings, so
   * only the audio tells. Default `true`.
   */
  signalled?: boolean;
}

/** Special information tones (tri-tones) of a kind. */
export interface SitScript {
  kind: 'sit';
  sitKind: SitKind;
}

/**
 * The network answers a disconnected or changed number with a recording:
 * special information tones, then an announcement, over and over. The call is
 * answered (as Twilio reports such calls, `in-progress`), so only its audio
 * tells it from a person.
 *
 * @example
 * ```ts
 * const disconnected: InterceptScript = { kind: 'intercept' }; // IC tones, answered 500 ms after the first ring
 * const unassigned: InterceptScript = { kind: 'intercept', sitKind: 'vacant-code', hangUpAfterMs: 20_000 };
 * ```
 */
export interface InterceptScript {
  kind: 'intercept';
  /** The tones the recording starts with. Default `intercept`. */
  sitKind?: SitKind;
  /** Time from the first ring to the answer. Default 500 ms. */
  answerAfterMs?: number;
  /** Time from the dial command to the answer, instead of `answerAfterMs`. */
  answerAtMs?: number;
  /** The network hangs up this long after answering. Default: never (the recording repeats). */
  hangUpAfterMs?: number;
  /**
   * What answering-machine detection reports when asked and the carrier does
   * not analyse the audio itself. Default `machine`: Twilio's detection counts
   * special information tones as a machine.
   */
  detectedAs?: AnsweredBy;
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
 *   '+14255550103': { kind: 'intercept' }, // answered by the network's recording
 * };
 * ```
 */
export type CalleeScript =
  | AnswersScript
  | VoicemailScript
  | BusyScript
  | SitScript
  | InterceptScript
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
  'intercept',
  'invalid-number',
  'no-answer',
  'declines',
  'carrier-failure',
  'api-error',
];

const ANSWERED_BY: readonly AnsweredBy[] = ['human', 'machine', 'fax', 'unknown'];
const ANCHORS: readonly ResponseAnchor[] = ['prompt-start', 'prompt-end'];
/** Most responses a script may list: far more prompts than a verification plays. */
const MAX_RESPONSES = 50;
const KEYS = /^[0-9*#]{1,64}$/;

const FIELDS: Record<CalleeScript['kind'], readonly string[]> = {
  answers: ['kind', 'answerAfterMs', 'answerAtMs', 'responses', 'detectedAs'],
  voicemail: ['kind', 'answerAfterMs', 'answerAtMs', 'hangUpAfterMs', 'detectedAs'],
  busy: ['kind', 'signalled'],
  sit: ['kind', 'sitKind'],
  intercept: ['kind', 'sitKind', 'answerAfterMs', 'answerAtMs', 'hangUpAfterMs', 'detectedAs'],
  'invalid-number': ['kind'],
  'no-answer': ['kind', 'carrierGivesUpAfterMs'],
  declines: ['kind', 'afterMs'],
  'carrier-failure': ['kind', 'sipCode', 'q850Cause'],
  'api-error': ['kind', 'providerCode'],
};

function checkResponse(response: unknown, path: string, issues: RequestIssue[]): void {
  if (!isRecord(response)) {
    issues.push({ path, message: 'a response must be { press }, { hangUp: true } or { silence: true }' });
    return;
  }
  if ('press' in response) {
    unknownKeys(response, ['press', 'from', 'afterMs', 'keyGapMs'], path, issues);
    if (!(typeof response.press === 'string' && KEYS.test(response.press))) {
      issues.push({
        path: fieldPath(path, 'press'),
        message: `must be 1–64 keys (0–9, *, #), got ${quoted(response.press)}`,
      });
    }
    checkNumberField(response.keyGapMs, fieldPath(path, 'keyGapMs'), DURATION, issues);
  } else if ('hangUp' in response) {
    unknownKeys(response, ['hangUp', 'from', 'afterMs'], path, issues);
    if (response.hangUp !== true) issues.push({ path: fieldPath(path, 'hangUp'), message: 'must be true' });
  } else if ('silence' in response) {
    unknownKeys(response, ['silence'], path, issues);
    if (response.silence !== true) issues.push({ path: fieldPath(path, 'silence'), message: 'must be true' });
    return;
  } else {
    issues.push({ path, message: 'a response must be { press }, { hangUp: true } or { silence: true }' });
    return;
  }
  checkOneOf(response.from, fieldPath(path, 'from'), ANCHORS, issues);
  checkNumberField(response.afterMs, fieldPath(path, 'afterMs'), DURATION, issues);
}

function checkAnswerTime(script: Record<string, unknown>, path: string, firstRingMs: number, issues: RequestIssue[]) {
  checkNumberField(script.answerAfterMs, fieldPath(path, 'answerAfterMs'), DURATION, issues);
  if (script.answerAtMs === undefined) return;
  if (script.answerAfterMs !== undefined) {
    issues.push({
      path,
      message: 'give answerAfterMs (from the first ring) or answerAtMs (from the dial), not both',
    });
    return;
  }
  const bounds = { min: 0, max: DURATION.max };
  if (!checkNumberField(script.answerAtMs, fieldPath(path, 'answerAtMs'), bounds, issues)) return;
  if ((script.answerAtMs as number) < firstRingMs) {
    issues.push({
      path: fieldPath(path, 'answerAtMs'),
      message: `must be at least ${firstRingMs}: the first ring comes apiLatencyMs + postDialDelayMs = ${firstRingMs} ms after the dial, got ${String(script.answerAtMs)}`,
    });
  }
}

/**
 * Checks a callee script written as plain data (a scenario file, a test
 * table); adds an issue for every problem, with the path of its field.
 * `firstRingMs` is when the first ring comes after the dial, the earliest an
 * `answerAtMs` can be.
 *
 * @example
 * ```ts
 * const issues: RequestIssue[] = [];
 * checkCalleeScript({ kind: 'answers', responses: [{ press: '12x' }] }, 'callees.+14255550100', issues, 2_100);
 * issues; // [{ path: 'callees.+14255550100.responses.0.press', message: 'must be 1–64 keys (0–9, *, #), got "12x"' }]
 * ```
 */
export function checkCalleeScript(script: unknown, path: string, issues: RequestIssue[], firstRingMs: number): void {
  if (!isRecord(script)) {
    issues.push({
      path,
      message: `a callee script must be an object with a kind among ${CALLEE_SCRIPT_KINDS.join(', ')}`,
    });
    return;
  }
  const kind = checkTag(script, 'kind', FIELDS, path, issues);
  if (kind === null) return;
  switch (kind) {
    case 'answers':
      checkAnswerTime(script, path, firstRingMs, issues);
      checkOneOf(script.detectedAs, fieldPath(path, 'detectedAs'), ANSWERED_BY, issues);
      if (script.responses !== undefined) {
        if (!Array.isArray(script.responses) || script.responses.length > MAX_RESPONSES) {
          issues.push({
            path: fieldPath(path, 'responses'),
            message: `must be a list of at most ${MAX_RESPONSES} responses`,
          });
        } else {
          script.responses.forEach((response: unknown, i) => {
            checkResponse(response, fieldPath(fieldPath(path, 'responses'), i), issues);
          });
        }
      }
      return;
    case 'voicemail':
      checkAnswerTime(script, path, firstRingMs, issues);
      checkOneOf(script.detectedAs, fieldPath(path, 'detectedAs'), ANSWERED_BY, issues);
      checkNumberField(script.hangUpAfterMs, fieldPath(path, 'hangUpAfterMs'), DURATION, issues);
      return;
    case 'sit':
      if (script.sitKind === undefined)
        issues.push({ path: fieldPath(path, 'sitKind'), message: `is required: one of ${SIT_KINDS.join(', ')}` });
      else checkOneOf(script.sitKind, fieldPath(path, 'sitKind'), SIT_KINDS, issues);
      return;
    case 'intercept':
      checkAnswerTime(script, path, firstRingMs, issues);
      checkOneOf(script.sitKind, fieldPath(path, 'sitKind'), SIT_KINDS, issues);
      checkOneOf(script.detectedAs, fieldPath(path, 'detectedAs'), ANSWERED_BY, issues);
      checkNumberField(script.hangUpAfterMs, fieldPath(path, 'hangUpAfterMs'), DURATION, issues);
      return;
    case 'no-answer':
      checkNumberField(script.carrierGivesUpAfterMs, fieldPath(path, 'carrierGivesUpAfterMs'), DURATION, issues);
      return;
    case 'declines':
      checkNumberField(script.afterMs, fieldPath(path, 'afterMs'), DURATION, issues);
      return;
    case 'carrier-failure':
      checkNumberField(script.sipCode, fieldPath(path, 'sipCode'), { min: 400, max: 699, integer: true }, issues);
      checkNumberField(script.q850Cause, fieldPath(path, 'q850Cause'), { min: 1, max: 127, integer: true }, issues);
      return;
    case 'api-error':
      if (
        !(
          typeof script.providerCode === 'string' &&
          script.providerCode.trim() !== '' &&
          script.providerCode.length <= 64
        )
      ) {
        issues.push({
          path: fieldPath(path, 'providerCode'),
          message: 'must be the provider\'s error code, e.g. "21217"',
        });
      }
      return;
    case 'busy':
      if (script.signalled !== undefined && typeof script.signalled !== 'boolean')
        issues.push({ path: fieldPath(path, 'signalled'), message: 'must be true or false' });
      return;
    case 'invalid-number':
      return;
  }
}
