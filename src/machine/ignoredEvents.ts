/**
 * Why an event changed nothing: stale, duplicate, out of order, or unexpected.
 * The machine counts ignored events by kind in its result.
 *
 * @module
 */
import type { VerificationContext } from './context.js';
import type { IgnoredEventCounts } from './outcomes.js';
import { isWellFormedEvent } from './validateEvent.js';

/** The kinds of ignored events. */
export type IgnoredKind = keyof IgnoredEventCounts;

/** Every kind of ignored event. */
export const IGNORED_KINDS: readonly IgnoredKind[] = ['stale', 'duplicate', 'outOfOrder', 'unexpected'];

const PHASE_ORDER = { none: 0, placed: 1, ringing: 2, answered: 3 } as const;
const EVENT_PHASE: Partial<Record<string, number>> = {
  'call.dialed': PHASE_ORDER.placed,
  'call.ringing': PHASE_ORDER.ringing,
  'call.answered': PHASE_ORDER.answered,
};

/**
 * Classifies an event that no transition took.
 *
 * @example
 * ```ts
 * classifyIgnoredEvent(context, { type: 'call.ringing', callId: 'CA-old' }); // 'stale'
 * ```
 */
export function classifyIgnoredEvent(context: VerificationContext, event: unknown): IgnoredKind {
  if (!isWellFormedEvent(event)) return 'unexpected';
  if (event.type === 'verification.cancel' || event.type === 'verification.tick') return 'unexpected';
  if (event.type === 'call.dialed' || event.type === 'call.dialFailed') {
    if (event.attempt !== context.attemptIndex) return 'stale';
    if (event.type === 'call.dialFailed') return 'outOfOrder';
    return event.callId === context.liveCallId ? 'duplicate' : 'unexpected';
  }
  if (event.callId !== context.liveCallId) return 'stale';
  if (event.type === 'call.inputTimeout' && context.input.inputTimeoutOwner === 'machine') {
    return 'unexpected';
  }
  if (event.type === 'call.promptFinished' || event.type === 'call.inputTimeout') {
    return event.promptSeq === context.promptSeq ? 'duplicate' : 'stale';
  }
  const eventPhase = EVENT_PHASE[event.type];
  if (eventPhase === undefined) return 'unexpected';
  const phase = PHASE_ORDER[context.callPhase];
  if (eventPhase === phase) return 'duplicate';
  return eventPhase < phase ? 'outOfOrder' : 'unexpected';
}
