/**
 * A webhook request after every check: signed by Twilio, well-formed, about
 * one call. This is what a session receives.
 *
 * @module
 */
import { CONTROL_CHARACTER } from '../../request/text.js';
import type { TwilioWebhookRoute, WebhookQuery } from './webhookRoutes.js';

/**
 * Twilio's form parameters the provider reads; every value is a string as posted.
 *
 * @example
 * ```ts
 * const params: TwilioCallParams = { CallSid: 'CA0123456789abcdef0123456789abcdef', CallStatus: 'busy', SipResponseCode: '486' };
 * ```
 */
export interface TwilioCallParams {
  CallSid: string;
  CallStatus?: string;
  SequenceNumber?: string;
  SipResponseCode?: string;
  ErrorCode?: string;
  AnsweredBy?: string;
  Digits?: string;
  FinishedOnKey?: string;
}

/**
 * One validated webhook of one call.
 *
 * @example
 * ```ts
 * const webhook: TwilioCallWebhook = {
 *   route: 'status',
 *   query: { token: '0123456789abcdef0123456789abcdef', step: null, promptSeq: null, shape: null },
 *   params: { CallSid: 'CA0123456789abcdef0123456789abcdef', CallStatus: 'ringing', SequenceNumber: '1' },
 * };
 * ```
 */
export interface TwilioCallWebhook {
  route: TwilioWebhookRoute;
  query: WebhookQuery;
  params: TwilioCallParams;
}

/**
 * The form of a CallSid: `CA` and 32 lowercase hex digits.
 *
 * @example
 * ```ts
 * CALL_SID_PATTERN.test('CA0123456789abcdef0123456789abcdef'); // true
 * ```
 */
export const CALL_SID_PATTERN = /^CA[0-9a-f]{32}$/;

const PARAM_NAMES: readonly (keyof TwilioCallParams)[] = [
  'CallSid',
  'CallStatus',
  'SequenceNumber',
  'SipResponseCode',
  'ErrorCode',
  'AnsweredBy',
  'Digits',
  'FinishedOnKey',
];

/** Longest value accepted for any parameter the provider reads. */
const MAX_VALUE_LENGTH = 128;

/**
 * Picks the parameters the provider reads from a form; `null` when the CallSid
 * is missing or malformed, or a value is too long or holds a control character.
 *
 * @example
 * ```ts
 * toCallParams(new Map([['CallSid', 'CA0123456789abcdef0123456789abcdef'], ['CallStatus', 'busy']])); // { CallSid: 'CA…', CallStatus: 'busy' }
 * toCallParams(new Map([['CallStatus', 'busy']])); // null
 * ```
 */
export function toCallParams(form: ReadonlyMap<string, string>): TwilioCallParams | null {
  const callSid = form.get('CallSid');
  if (callSid === undefined || !CALL_SID_PATTERN.test(callSid)) return null;
  const params: TwilioCallParams = { CallSid: callSid };
  for (const name of PARAM_NAMES) {
    const value = form.get(name);
    if (value === undefined) continue;
    if (value.length > MAX_VALUE_LENGTH || CONTROL_CHARACTER.test(value)) return null;
    params[name] = value;
  }
  return params;
}
