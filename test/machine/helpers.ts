/**
 * Scripts shared by the machine's behaviour tests, on top of the harness:
 * exact virtual time, common call set-ups and readers for the result.
 */
import type { SimulatedClock } from 'xstate';
import { type AttemptRecord, attemptsOf, type VerificationResult } from '../../src/machine/outcomes.js';
import type { VerificationRequest } from '../../src/machine/types.js';
import type { VerificationActorOptions } from '../../src/runtime/createVerificationActor.js';
import { flush, type Harness, startHarness } from '../support/harness.js';

export const PRIMARY = '+14255550100';
export const BACKUP = '+14255550199';
export const THIRD = '+442079460000';

type HarnessOptions = Omit<VerificationActorOptions, 'clock'>;

/** Due time of every pending timer of the simulated clock. */
function pendingDueTimes(clock: SimulatedClock): number[] {
  // SimulatedClock keeps its timers private; reading them lets `advance` stop at each one.
  const timers = (clock as unknown as { timeouts: Map<number, { start: number; timeout: number }> }).timeouts;
  return [...timers.values()].map((t) => t.start + t.timeout);
}

/**
 * Moves virtual time forward by `ms`, stopping at every timer that falls due on
 * the way, so that a timer started by another one starts when that one fired
 * (as with a real clock), not at the end of the jump.
 */
export async function advance(h: Harness, ms: number): Promise<void> {
  const target = h.clock.now() + ms;
  for (;;) {
    const next = Math.min(...pendingDueTimes(h.clock).filter((due) => due <= target));
    if (!Number.isFinite(next)) break;
    h.clock.set(Math.max(next, h.clock.now()));
    await flush();
  }
  h.clock.set(target);
  await flush();
}

/** Starts a verification and answers its first call: the greeting is playing. */
export async function startAnswered(
  request: Partial<VerificationRequest> = {},
  options: HarnessOptions = {},
  callId = 'CA1',
): Promise<Harness> {
  const h = await startHarness({ targets: [PRIMARY, BACKUP], ...request }, options);
  await h.answer(callId);
  return h;
}

/** Starts a verification whose first call has heard the whole greeting: the input timer runs. */
export async function startWaitingForInput(
  request: Partial<VerificationRequest> = {},
  options: HarnessOptions = {},
  callId = 'CA1',
): Promise<Harness> {
  const h = await startAnswered(request, options, callId);
  await h.promptFinished(callId);
  return h;
}

/** A PIN verifier that accepts `pin` only. */
export const acceptsOnly = (pin: string) => (entry: string) => entry === pin;

/** The primary is busy, the backup answers and presses `#`: approved on the second attempt. */
export async function approveOnBackupAfterBusy(): Promise<Harness> {
  const h = await startHarness({ targets: [PRIMARY, BACKUP] });
  await h.dialed('CA1');
  await h.ended('CA1', { status: 'busy' });
  await h.answer('CA2');
  await h.promptFinished('CA2');
  await h.keys('CA2', '#');
  return h;
}

export function attemptAt(h: Harness, index: number): AttemptRecord {
  const attempt = attemptsOf(h.actor.getSnapshot())[index];
  if (attempt === undefined) throw new Error(`no attempt ${index}`);
  return attempt;
}

export function results(output: VerificationResult): (string | null)[] {
  return output.attempts.map((a) => a.result);
}

export function isFinished(h: Harness): boolean {
  return h.status() === 'done';
}

/** The call ids the machine asked to hang up, in order. */
export function hungUp(h: Harness): string[] {
  return h.sent('hangUp').map((c) => c.callId);
}

/** The destinations dialled, in order. */
export function dialled(h: Harness): string[] {
  return h.sent('dial').map((c) => c.to);
}

/** The usual ending of an answered call that the callee hung up. */
export const COMPLETED = { status: 'completed' } as const;
