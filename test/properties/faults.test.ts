/**
 * SPEC.md, "Events from providers are untrusted": stale events, duplicates and
 * out-of-order delivery change nothing; "a provider that goes silent cannot hang
 * a verification: every waiting state has a deadline".
 *
 * Delays may legitimately change an outcome when a callee acts close to a
 * deadline (a '#' 10 ms before the input timeout, delivered 50 ms late, is too
 * late). So these properties use grid scenarios (support/arbitraries.ts): every
 * callee action keeps a margin from every deadline wider than any drift the
 * fault plan can cause (GRID_MARGIN_MS > GRID_FAULT_DRIFT_MS), and the oracle
 * checks that margin on every scenario.
 *
 * Lost events are another matter: a lost event is only replaced by a deadline,
 * so a lost event can only turn a result into what the matching watchdog
 * decides. For that to be a fair claim, the lossy scenarios also keep every
 * callee action before the deadline that would otherwise cut it off, so that a
 * deadline pushed back by a lost event reveals no later action.
 *
 * Key presses are never lost (a provider must deliver each key exactly once;
 * the simulated carrier's fault plan keeps them). Stated assumption: a lost
 * answering-machine verdict changes what the machine is told, not when, and may
 * then legitimately change a result in any direction — it lets a later `#`
 * approve, or turns voicemail's hang-up into a person's. For calls that may have
 * lost one, the property asserts only that nothing was approved without a key
 * pressed on that call; that no key press was lost is asserted for every call.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { AttemptResult, SimulatedCall } from '../../src/index.js';
import {
  GRID_FAULT_DRIFT_MS,
  GRID_MARGIN_MS,
  gridScenario,
  losslessGridFaultsArb,
  lossyGridFaultsArb,
} from './support/arbitraries.js';
import { dialTimeoutOf, predictTarget, predictVerification } from './support/oracle.js';
import { assertProperty, PROPERTY_RUNS, PROPERTY_TIMEOUT_MS } from './support/property.js';
import { resultOf, runScenario, type Scenario } from './support/scenario.js';

/**
 * What a deadline decides in place of a lost event: no answer (lost answer or
 * call end), no response or too many invalid entries (lost prompt end, input
 * timeout or hang-up), and failed (a lost answer makes the callee's later hang-up
 * look like a call that ended unanswered).
 */
const WATCHDOG_RESULTS: AttemptResult[] = ['no-answer', 'no-response', 'invalid-input', 'pin-failed', 'failed'];

const withoutFaults = (scenario: Scenario): Scenario => ({ ...scenario, faults: null });

/** The scenario as if no ring were reported: the ring timer never starts, only the dial bound ends the ringing. */
const ringingUntilDialBound = (scenario: Scenario): Scenario => {
  const dialTimeoutMs = dialTimeoutOf(scenario.timing);
  return { ...scenario, timing: { ...scenario.timing, ringTimeoutMs: dialTimeoutMs, dialTimeoutMs } };
};

describe('faults', () => {
  const tally = { lossless: 0, losslessFaults: 0, lossy: 0, lossyDrops: 0, changedByLoss: 0, lostKeysOrVerdicts: 0 };
  afterAll(() => {
    // The properties must actually meet faults.
    if (tally.lossless >= 100) expect(tally.losslessFaults / tally.lossless).toBeGreaterThan(0.5);
    if (tally.lossy >= 100) expect(tally.lossyDrops / tally.lossy).toBeGreaterThan(0.3);
  });

  it('the grid keeps a margin wider than any drift its fault plans can cause', () => {
    expect(GRID_MARGIN_MS).toBeGreaterThan(GRID_FAULT_DRIFT_MS);
  });

  it(
    'duplicated, reordered, delayed or stale events give the same final status and attempt results as the fault-free run of the same script',
    async () => {
      await assertProperty(
        gridScenario({ actionsBeforeDeadlines: false, faults: losslessGridFaultsArb }),
        async (scenario) => {
          const expected = predictVerification(withoutFaults(scenario));
          expect(expected.ambiguous).toBe(false);
          expect(expected.minMargin).toBeGreaterThanOrEqual(GRID_MARGIN_MS);

          const clean = resultOf(await runScenario(withoutFaults(scenario)));
          const faulty = await runScenario(scenario);
          const result = resultOf(faulty);
          tally.lossless++;
          if (faulty.faultLog.length > 0) tally.losslessFaults++;
          expect(faulty.faultLog.filter((f) => f.fault === 'dropped')).toEqual([]);

          expect([result.status, result.reason]).toEqual([clean.status, clean.reason]);
          expect(result.attempts.map((a) => [a.result, a.sitKind])).toEqual(
            clean.attempts.map((a) => [a.result, a.sitKind]),
          );
        },
      );
    },
    PROPERTY_TIMEOUT_MS * 2,
  );

  it(
    'dropped events may only turn a result into the matching watchdog timeout, never into an approval',
    async () => {
      await assertProperty(
        gridScenario({ actionsBeforeDeadlines: true, faults: lossyGridFaultsArb }),
        async (scenario) => {
          const run = await runScenario(scenario);
          const result = resultOf(run);
          tally.lossy++;
          const drops = run.faultLog.filter((f) => f.fault === 'dropped');
          if (drops.length > 0) tally.lossyDrops++;
          const verdictLost = drops.some((f) => f.eventType === 'call.answeredBy');
          // A lost first ring leaves only the dial bound: the call may then be answered later than the ring time allows.
          const ringLost = drops.some((f) => f.eventType === 'call.ringing');
          // Key presses are never lost on the way.
          expect(drops.filter((f) => f.eventType === 'call.digits')).toEqual([]);

          for (const attempt of result.attempts) {
            const expected = predictTarget(withoutFaults(scenario), attempt.index);
            expect(expected.ambiguous).toBe(false);
            expect(expected.revealable).toBe(false);
            const ringsUnbounded = predictTarget(withoutFaults(ringingUntilDialBound(scenario)), attempt.index);
            const cleanResults: (AttemptResult | null | undefined)[] = [expected.attempts[0]?.result];
            if (ringLost) cleanResults.push(ringsUnbounded.attempts[0]?.result);
            const call: SimulatedCall | undefined = run.calls.find((c) => c.attempt === attempt.index);

            // Told something else: the machine verdict of this call may have been lost.
            const verdictMayBeLost =
              verdictLost &&
              call?.answeredAt != null &&
              (call.endedAt ?? Number.POSITIVE_INFINITY) > call.answeredAt + scenario.carrier.machineDetectionMs;
            if (verdictMayBeLost) {
              tally.lostKeysOrVerdicts++;
              // Still, nothing is approved without '#' pressed on that call.
              if (attempt.result === 'approved') expect(call?.keysPressed ?? 0).toBeGreaterThan(0);
              continue;
            }

            if (!cleanResults.includes(attempt.result)) {
              tally.changedByLoss++;
              expect(WATCHDOG_RESULTS).toContain(attempt.result);
            }
            if (attempt.result === 'approved') expect(cleanResults).toContain('approved');
          }
        },
      );
      if (PROPERTY_RUNS >= 200) expect(tally.changedByLoss).toBeGreaterThan(0);
    },
    PROPERTY_TIMEOUT_MS,
  );
});
