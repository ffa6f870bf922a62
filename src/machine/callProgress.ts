/**
 * Call-progress classification: what an unanswered call's end means for the
 * attempt, from SIT kind, Q.850 cause, SIP code and the provider's status, in
 * that order of precedence (RFC 3398, RFC 6432).
 *
 * @module
 */
import type { CallEnding, SitKind } from './events.js';

/** Attempt results a call can end with before it is answered. */
export type CallProgressResult = 'busy' | 'sit' | 'invalid-number' | 'no-answer' | 'failed';

/** The meaning of an unanswered call's end. */
export interface CallProgressVerdict {
  result: CallProgressResult;
  sitKind: SitKind | null;
}

const verdict = (result: CallProgressResult, sitKind: SitKind | null = null): CallProgressVerdict => ({
  result,
  sitKind,
});

/** Q.850 cause values with a meaning of their own; any other cause is a failure. */
const Q850_VERDICTS: Readonly<Record<number, CallProgressVerdict>> = {
  1: verdict('invalid-number'),
  28: verdict('invalid-number'),
  22: verdict('sit', 'intercept'),
  17: verdict('busy'),
  18: verdict('no-answer'),
  19: verdict('no-answer'),
  21: verdict('no-answer'),
};

/** SIP final responses with a meaning of their own; any other 4xx–6xx is a failure. */
const SIP_VERDICTS: Readonly<Record<number, CallProgressVerdict>> = {
  404: verdict('invalid-number'),
  484: verdict('invalid-number'),
  604: verdict('invalid-number'),
  410: verdict('sit', 'intercept'),
  486: verdict('busy'),
  600: verdict('busy'),
  408: verdict('no-answer'),
  480: verdict('no-answer'),
  487: verdict('no-answer'),
  603: verdict('no-answer'),
};

const STATUS_VERDICTS: Readonly<Record<CallEnding['status'], CallProgressVerdict>> = {
  busy: verdict('busy'),
  'no-answer': verdict('no-answer'),
  rejected: verdict('no-answer'),
  'invalid-number': verdict('invalid-number'),
  sit: verdict('sit', 'unknown'),
  failed: verdict('failed'),
  canceled: verdict('failed'),
  // A call that "completed" without ever being answered is a provider failure.
  completed: verdict('failed'),
};

const isCode = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);

/**
 * Classifies the end of a call that was never answered.
 *
 * @example
 * ```ts
 * classifyUnansweredEnding({ status: 'failed', sipCode: 404 }); // { result: 'invalid-number', sitKind: null }
 * classifyUnansweredEnding({ status: 'failed', sipCode: 503, q850Cause: 17 }); // busy: Q.850 wins
 * ```
 */
export function classifyUnansweredEnding(ending: CallEnding): CallProgressVerdict {
  if (ending.sitKind !== undefined) return verdict('sit', ending.sitKind);
  if (isCode(ending.q850Cause)) return Q850_VERDICTS[ending.q850Cause] ?? verdict('failed');
  if (isCode(ending.sipCode) && ending.sipCode >= 400) {
    return SIP_VERDICTS[ending.sipCode] ?? verdict('failed');
  }
  return STATUS_VERDICTS[ending.status];
}
