/**
 * Shape checks for events from outside. Provider events are untrusted: a
 * malformed one is ignored by the machine, never half-applied.
 *
 * @module
 */
import {
  type AnsweredBy,
  CALL_END_STATUSES,
  type CallEnding,
  PROGRESS_TONES,
  PROVIDER_EVENT_TYPES,
  SIT_KINDS,
  type TickEvent,
  type VerificationEvent,
} from './events.js';

/** Longest callId accepted (Twilio's CallSid is 34 characters). */
export const MAX_CALL_ID_LENGTH = 128;
/** Most keys accepted in one `call.digits` event. */
export const MAX_DIGITS_PER_EVENT = 64;

const ANSWERED_BY: readonly AnsweredBy[] = ['human', 'machine', 'fax', 'unknown'];
const KEYS = /^[0-9*#]+$/;

type Fields = Record<string, unknown>;

const isRecord = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
/** A tick's own fields: the time it says it is, and whether it resumes after an outage. */
const hasTickFields = (e: Fields): boolean =>
  typeof e.at === 'number' && Number.isFinite(e.at) && (e.resumed === undefined || typeof e.resumed === 'boolean');
const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isCallId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_CALL_ID_LENGTH;
const isOptionalCode = (value: unknown, max: number): boolean =>
  value === undefined || (isCount(value) && value <= max);

function isCallEnding(value: unknown): value is CallEnding {
  if (!isRecord(value)) return false;
  return (
    CALL_END_STATUSES.includes(value.status as CallEnding['status']) &&
    isOptionalCode(value.sipCode, 699) &&
    isOptionalCode(value.q850Cause, 127) &&
    (value.sitKind === undefined || SIT_KINDS.includes(value.sitKind as never)) &&
    (value.providerCode === undefined || (typeof value.providerCode === 'string' && value.providerCode.length <= 64)) &&
    (value.keysMayFollow === undefined || typeof value.keysMayFollow === 'boolean')
  );
}

const FIELD_CHECKS: Record<VerificationEvent['type'], (event: Fields) => boolean> = {
  'call.dialed': (e) => isCount(e.attempt) && isCallId(e.callId),
  'call.dialFailed': (e) => isCount(e.attempt) && isCallEnding(e.ending),
  'call.ringing': (e) => isCallId(e.callId),
  'call.answered': (e) => isCallId(e.callId),
  'call.answeredBy': (e) => isCallId(e.callId) && ANSWERED_BY.includes(e.answeredBy as AnsweredBy),
  'call.digitsSent': (e) => isCallId(e.callId),
  'call.promptFinished': (e) => isCallId(e.callId) && isCount(e.promptSeq),
  'call.digits': (e) =>
    isCallId(e.callId) &&
    typeof e.digits === 'string' &&
    e.digits.length <= MAX_DIGITS_PER_EVENT &&
    KEYS.test(e.digits),
  'call.inputTimeout': (e) => isCallId(e.callId) && isCount(e.promptSeq),
  'call.progressTone': (e) =>
    isCallId(e.callId) &&
    PROGRESS_TONES.includes(e.tone as never) &&
    (e.sitKind === undefined || (e.tone === 'sit' && SIT_KINDS.includes(e.sitKind as never))),
  'call.ended': (e) => isCallId(e.callId) && isCallEnding(e.ending),
  'verification.cancel': () => true,
  // A tick says what time it is, so it must say it; it never carries another event from outside.
  'verification.tick': (e) => hasTickFields(e) && !('redeliver' in e),
};

/**
 * Whether `event` is a well-formed verification event: a known type with every
 * field of the right type and within bounds.
 *
 * @example
 * ```ts
 * isWellFormedEvent({ type: 'call.digits', callId: 'CA1', digits: '#' }); // true
 * isWellFormedEvent({ type: 'call.digits', callId: 'CA1', digits: 'x' }); // false
 * ```
 */
export function isWellFormedEvent(event: unknown): event is VerificationEvent {
  if (!isRecord(event) || typeof event.type !== 'string') return false;
  const check = Object.hasOwn(FIELD_CHECKS, event.type)
    ? FIELD_CHECKS[event.type as VerificationEvent['type']]
    : undefined;
  if (check === undefined) return false;
  const at = event.at;
  if (at !== undefined && !(typeof at === 'number' && Number.isFinite(at))) return false;
  return check(event);
}

/**
 * Whether `event` is a tick the machine can act on: one from outside
 * (well-formed by {@link isWellFormedEvent}), or one the machine raised itself,
 * which may carry a well-formed provider event or cancel (never another tick,
 * so that a tick can never carry itself).
 *
 * @example
 * ```ts
 * isWellFormedTick({ type: 'verification.tick', at: 1000 }); // true
 * isWellFormedTick({ type: 'verification.tick', at: '1000' }); // false
 * ```
 */
export function isWellFormedTick(event: VerificationEvent): event is TickEvent {
  if (event.type !== 'verification.tick' || !hasTickFields(event as unknown as Fields)) return false;
  const { redeliver } = event as { redeliver?: unknown };
  return redeliver === undefined || (isWellFormedEvent(redeliver) && redeliver.type !== 'verification.tick');
}

/** Whether `type` names a provider event. */
export function isProviderEventType(type: unknown): type is (typeof PROVIDER_EVENT_TYPES)[number] {
  return PROVIDER_EVENT_TYPES.includes(type as never);
}
