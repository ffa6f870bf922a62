/**
 * What Twilio's status callbacks mean for the machine: `CallStatus`,
 * `SipResponseCode`, `ErrorCode` and `AnsweredBy` to machine events. The SIP and
 * Q.850 classification itself is the machine's (`classifyUnansweredEnding`);
 * this module only carries Twilio's facts over, unchanged where they are codes.
 *
 * @module
 */
import type { AnsweredBy, CallEnding, CallEndStatus } from '../../machine/events.js';

/**
 * `CallStatus` values of status callbacks (`initiated` exists only there).
 *
 * @example
 * ```ts
 * const status: TwilioCallStatus | null = toTwilioCallStatus(params.CallStatus);
 * ```
 */
export type TwilioCallStatus =
  | 'queued'
  | 'initiated'
  | 'ringing'
  | 'in-progress'
  | 'completed'
  | 'busy'
  | 'no-answer'
  | 'canceled'
  | 'failed';

/**
 * What one `CallStatus` becomes:
 * - `none` — nothing (the dial is acknowledged by the REST reply or the first webhook);
 * - `ringing` — `call.ringing`;
 * - `answered` — `call.answered`;
 * - `ended` — `call.ended` with `ending.status` as given (an `ErrorCode` may make it more precise).
 *
 * @example
 * ```ts
 * const meaning: CallStatusMeaning = TWILIO_CALL_STATUS_EVENTS['no-answer']; // { event: 'ended', status: 'no-answer' }
 * ```
 */
export type CallStatusMeaning =
  | { event: 'none' }
  | { event: 'ringing' }
  | { event: 'answered' }
  | { event: 'ended'; status: CallEndStatus };

/**
 * `CallStatus` → machine event. `completed` means the call was connected and
 * then ended; if no answer was reported before, `call.answered` is reported
 * first (callbacks are not ordered).
 *
 * @example
 * ```ts
 * TWILIO_CALL_STATUS_EVENTS.busy; // { event: 'ended', status: 'busy' }
 * ```
 */
export const TWILIO_CALL_STATUS_EVENTS: Readonly<Record<TwilioCallStatus, CallStatusMeaning>> = {
  queued: { event: 'none' },
  initiated: { event: 'none' },
  ringing: { event: 'ringing' },
  'in-progress': { event: 'answered' },
  completed: { event: 'ended', status: 'completed' },
  busy: { event: 'ended', status: 'busy' },
  'no-answer': { event: 'ended', status: 'no-answer' },
  canceled: { event: 'ended', status: 'canceled' },
  failed: { event: 'ended', status: 'failed' },
};

/**
 * Twilio error codes (REST errors on create, `ErrorCode` of a failed call) that
 * say what kind of failure it was. Any code not listed is `failed`.
 *
 * - 21211 invalid `To`, 21217 `To` not a valid phone number, 13223 bad dial
 *   format, 13224 invalid or unsupported number, 13226 invalid country code →
 *   `invalid-number`: the number itself is wrong.
 * - 21214 `To` cannot be reached → `failed`: the number may exist, Twilio has no
 *   route to it (rollover either way; the record keeps the code).
 * - 21215/13227 geo permission, 21216/13225 blocklisted, 21210/21212 bad `From`,
 *   21219 unverified `To` (trial), 20429 too many requests, 32016 post-dial-delay
 *   timeout, 32017 caller ID blocked → `failed`: the account, the caller ID or
 *   the network, not the number.
 *
 * @example
 * ```ts
 * TWILIO_ERROR_CODE_STATUS['21217']; // 'invalid-number'
 * ```
 */
export const TWILIO_ERROR_CODE_STATUS: Readonly<Record<string, CallEndStatus>> = {
  '21211': 'invalid-number',
  '21217': 'invalid-number',
  '13223': 'invalid-number',
  '13224': 'invalid-number',
  '13226': 'invalid-number',
  '21214': 'failed',
  '21215': 'failed',
  '21216': 'failed',
  '21210': 'failed',
  '21212': 'failed',
  '21219': 'failed',
  '20429': 'failed',
  '13225': 'failed',
  '13227': 'failed',
  '32016': 'failed',
  '32017': 'failed',
};

/**
 * `AnsweredBy` → `call.answeredBy`. Twilio's `machine_*` verdicts are all a machine.
 *
 * @example
 * ```ts
 * TWILIO_ANSWERED_BY.machine_end_beep; // 'machine'
 * ```
 */
export const TWILIO_ANSWERED_BY: Readonly<Record<string, AnsweredBy>> = {
  human: 'human',
  machine_start: 'machine',
  machine_end_beep: 'machine',
  machine_end_silence: 'machine',
  machine_end_other: 'machine',
  fax: 'fax',
  unknown: 'unknown',
};

const SIP_CODE = /^[1-6][0-9]{2}$/;
const ERROR_CODE = /^[0-9]{1,10}$/;

/**
 * Reads `CallStatus`; `null` for a value Twilio does not send.
 *
 * @example
 * ```ts
 * toTwilioCallStatus('no-answer'); // 'no-answer'
 * toTwilioCallStatus('exploded'); // null
 * ```
 */
export function toTwilioCallStatus(value: string | undefined): TwilioCallStatus | null {
  if (value === undefined || !Object.hasOwn(TWILIO_CALL_STATUS_EVENTS, value)) return null;
  return value as TwilioCallStatus;
}

/**
 * Reads `AnsweredBy`; `null` when absent or unknown.
 *
 * @example
 * ```ts
 * toAnsweredBy('machine_start'); // 'machine'
 * ```
 */
export function toAnsweredBy(value: string | undefined): AnsweredBy | null {
  if (value === undefined || !Object.hasOwn(TWILIO_ANSWERED_BY, value)) return null;
  return TWILIO_ANSWERED_BY[value] ?? null;
}

/**
 * The `ending` of `call.ended` for a terminal callback: the status from
 * `CallStatus`, refined by a known `ErrorCode` when the call failed; the SIP
 * code and the error code carried over as facts for the machine and the record.
 *
 * @example
 * ```ts
 * toCallEnding('failed', { SipResponseCode: '404' }); // { status: 'failed', sipCode: 404 }
 * toCallEnding('failed', { ErrorCode: '13224' }); // { status: 'invalid-number', providerCode: '13224' }
 * toCallEnding('busy', { SipResponseCode: '486' }); // { status: 'busy', sipCode: 486 }
 * ```
 */
export function toCallEnding(
  status: CallEndStatus,
  params: { SipResponseCode?: string; ErrorCode?: string },
): CallEnding {
  const ending: CallEnding = { status };
  const sip = params.SipResponseCode;
  if (sip !== undefined && SIP_CODE.test(sip)) ending.sipCode = Number(sip);
  const errorCode = params.ErrorCode;
  if (errorCode !== undefined && ERROR_CODE.test(errorCode)) {
    ending.providerCode = errorCode;
    if (status === 'failed') ending.status = TWILIO_ERROR_CODE_STATUS[errorCode] ?? 'failed';
  }
  return ending;
}

/**
 * The `ending` of `call.dialFailed` for an error from `calls.create`: a Twilio
 * REST error by its code (see {@link TWILIO_ERROR_CODE_STATUS}), anything else
 * (network, timeout) `failed` with the error's own code when it has one.
 *
 * @example
 * ```ts
 * toDialFailure({ status: 400, code: 21217 }); // { status: 'invalid-number', providerCode: '21217' }
 * toDialFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })); // { status: 'failed', providerCode: 'ECONNREFUSED' }
 * ```
 */
export function toDialFailure(error: unknown): CallEnding {
  const code = (error as { code?: unknown } | null)?.code;
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof code === 'number' && Number.isInteger(code)) {
    const providerCode = String(code);
    return { status: TWILIO_ERROR_CODE_STATUS[providerCode] ?? 'failed', providerCode };
  }
  if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code)) return { status: 'failed', providerCode: code };
  if (typeof status === 'number' && Number.isInteger(status))
    return { status: 'failed', providerCode: `HTTP_${status}` };
  return { status: 'failed' };
}
