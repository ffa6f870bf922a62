/**
 * SPEC.md, "What the callee does": `#` approves in standard mode when nothing
 * was typed before it; the right PIN then `#` approves in PIN mode; "Nothing is
 * ever approved without #".
 *
 * The expectation comes from an independent oracle (support/oracle.ts) that
 * simulates the callee's script against the spec's rules and timers. Runs in
 * which two competing events fall on the same millisecond are left out of the
 * exact comparison (the carrier's internal timer order decides them); they are
 * counted, and must stay rare.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { anyScenario } from './support/arbitraries.js';
import { predictVerification } from './support/oracle.js';
import { assertProperty, FILE_SEED, PROPERTY_RUNS, PROPERTY_TIMEOUT_MS } from './support/property.js';
import { memoizeRuns, resultOf, runScenario } from './support/scenario.js';

/** Largest share of runs the oracle may leave undecided (two competing events on the same millisecond). */
const MAX_AMBIGUOUS_SHARE = 0.05;

describe('approval', () => {
  const tally = { runs: 0, ambiguous: 0, approved: 0 };
  // The first two properties see the same fault-free scenarios (one seed) and share each run.
  const faultFree = anyScenario({ faults: 'none', cancel: false });
  const run = memoizeRuns();
  afterAll(() => {
    if (tally.runs >= 100) expect(tally.ambiguous / tally.runs).toBeLessThan(MAX_AMBIGUOUS_SHARE);
  });

  it(
    'approved ⇔ an answered live call received an approving entry (standard: # with nothing typed since the last judged entry; PIN: the right PIN then #) before hang-up, before the input timeout and within the invalid-entry limit',
    async () => {
      await assertProperty(
        faultFree,
        async (scenario) => {
          const result = resultOf(await run(scenario));
          const expected = predictVerification(scenario);
          tally.runs++;
          if (expected.ambiguous) {
            tally.ambiguous++;
            return;
          }
          if (expected.status === 'approved') tally.approved++;
          expect(result.status === 'approved').toBe(expected.status === 'approved');
          const approvedAt = (attempts: readonly { result: string | null }[]) =>
            attempts.findIndex((a) => a.result === 'approved');
          expect(approvedAt(result.attempts)).toBe(approvedAt(expected.attempts));
          if (result.status === 'approved') expect(result.reason).toBe(scenario.mode === 'pin' ? 'pin' : 'pound-key');
        },
        { seed: FILE_SEED },
      );
      // A property that never sees an approval proves little.
      if (PROPERTY_RUNS >= 200) expect(tally.approved).toBeGreaterThan(PROPERTY_RUNS / 50);
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'every attempt result and the final status match the independent oracle',
    async () => {
      await assertProperty(
        faultFree,
        async (scenario) => {
          const result = resultOf(await run(scenario));
          const expected = predictVerification(scenario);
          tally.runs++;
          if (expected.ambiguous) {
            tally.ambiguous++;
            return;
          }
          expect(result.status).toBe(expected.status);
          expect(result.attempts.map((a) => [a.result, a.sitKind])).toEqual(
            expected.attempts.map((a) => [a.result, a.sitKind]),
          );
          expect(result.attempts.map((a) => a.times.dialedAt !== null)).toEqual(
            expected.attempts.map((a) => a.dialled),
          );
          expect(result.endedAt).toBe(expected.endedAt);
          expect(result.attempts.map((a) => a.times.greetingEndedAt)).toEqual(
            expected.attempts.map((a) => a.greetingEndedAt),
          );
        },
        { seed: FILE_SEED },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'nothing is ever approved without # pressed on the approving call, whatever the faults',
    async () => {
      await assertProperty(anyScenario({ faults: 'any', cancel: true }), async (scenario) => {
        const played = await runScenario(scenario);
        const result = resultOf(played);
        if (result.status !== 'approved') return;
        const approving = result.attempts.find((a) => a.result === 'approved');
        const call = played.calls.find((c) => c.callId === approving?.callId);
        const target = scenario.targets[approving?.index ?? -1];
        expect(call?.keysPressed ?? 0).toBeGreaterThan(0);
        expect(target?.kind === 'called' && target.script.kind === 'answers').toBe(true);
        if (target?.kind === 'called' && target.script.kind === 'answers') {
          const pressed = (target.script.responses ?? []).flatMap((r) => ('press' in r ? [r.press] : [])).join('');
          expect(pressed).toContain('#');
        }
      });
    },
    PROPERTY_TIMEOUT_MS,
  );
});
