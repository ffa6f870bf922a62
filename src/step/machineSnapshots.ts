/**
 * Saving and restoring the verification machine between steps. Everything
 * that touches XState's persisted-snapshot format is here, so that an XState
 * upgrade that changes it shows in one place (and in its contract test).
 *
 * Deadlines are data in the machine's context, not XState timers: a restored
 * actor runs on a clock that never fires, and the step fires due deadlines
 * with ticks. (XState does not re-arm delayed events of a restored snapshot,
 * which is why it could not be the truth anyway.)
 *
 * @module
 */
import { type Actor, createActor } from 'xstate';
import type { JsonValue } from '../json.js';
import type { VerificationInput } from '../machine/types.js';
import type { VerificationCallMachine } from '../machine/verificationCallMachine.js';
import { CorruptRecordError } from '../store/errors.js';

/** An actor of the verification machine. */
export type VerificationActor = Actor<VerificationCallMachine>;

/** A clock whose timers never fire: a step's actor lives for one step only. */
const inertClock = {
  setTimeout: (): number => 0,
  clearTimeout: (): void => {},
};

/** A new actor for a verification that has not started yet (not started by this call). */
export function createStepActor(machine: VerificationCallMachine, input: VerificationInput): VerificationActor {
  return createActor(machine, { input, clock: inertClock });
}

/** The actor's snapshot as stored: XState's persisted form without the input, which is stored once beside it. */
export function persistActor(actor: VerificationActor): JsonValue {
  const persisted = actor.getPersistedSnapshot() as unknown as { context: Record<string, unknown> };
  const { input: _input, ...context } = persisted.context;
  return { ...persisted, context } as unknown as JsonValue;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An invoked check's id names its state's path: `0.verification.calling.attempt.awaitingNumberCheck`. */
const ATTEMPT_STATE_PATH = '.verification.calling.attempt.';

/**
 * A snapshot stored while the machine had an `attempt` state between `calling`
 * and the attempt's own states, as the machine now names the same state:
 * `{ calling: { attempt: X } }` is `{ calling: X }`, and an invoked check's id
 * loses the `attempt` in its path. A verification in flight across an upgrade
 * goes on where it was. Other snapshots are returned as they are.
 */
function withoutAttemptState(snapshot: Record<string, unknown>): Record<string, unknown> {
  const { value, children } = snapshot;
  if (!isRecord(value) || !isRecord(value.calling) || !('attempt' in value.calling)) return snapshot;
  const renamedChildren = isRecord(children)
    ? Object.fromEntries(
        Object.entries(children).map(([id, child]) => [
          id.replace(ATTEMPT_STATE_PATH, '.verification.calling.'),
          child,
        ]),
      )
    : children;
  return { ...snapshot, value: { calling: value.calling.attempt }, children: renamedChildren };
}

/**
 * An actor (not started) restored from a stored snapshot and the stored input.
 * Throws `CorruptRecordError` when the snapshot is not one this machine wrote.
 */
export function restoreStepActor(
  machine: VerificationCallMachine,
  verificationId: string,
  snapshot: JsonValue,
  input: JsonValue,
): VerificationActor {
  if (
    !isRecord(snapshot) ||
    !isRecord(snapshot.context) ||
    !('value' in snapshot) ||
    typeof snapshot.status !== 'string'
  ) {
    throw new CorruptRecordError(verificationId, 'its machine snapshot is not one voice-mfa wrote');
  }
  if (!isRecord(input) || !Array.isArray(input.targets)) {
    throw new CorruptRecordError(verificationId, 'its stored request is not one voice-mfa wrote');
  }
  // A snapshot stored before the context held keys during a PIN check held none.
  const context = { keysDuringCheck: '', ...snapshot.context, input };
  const restored = { ...withoutAttemptState(snapshot), context };
  try {
    // The stored input goes back into the context: `input` of the options is only read by a fresh start.
    return createActor(machine, {
      snapshot: restored as never,
      input: restored.context.input as never,
      clock: inertClock,
    });
  } catch (error) {
    throw new CorruptRecordError(verificationId, 'its machine snapshot does not fit the machine', { cause: error });
  }
}
