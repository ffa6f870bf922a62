/**
 * SPEC.md: a hang-up is "denied, stop; no rollover — an intentional denial";
 * fraud is "fraud, stop; no rollover"; an approval stops the verification.
 */
import { describe, expect, it } from 'vitest';
import type { AttemptResult } from '../../src/index.js';
import { anyScenario } from './support/arbitraries.js';
import { assertProperty, PROPERTY_TIMEOUT_MS } from './support/property.js';
import { resultOf, runScenario } from './support/scenario.js';

/** Results after which nothing more may be dialled. */
const DECISIONS: AttemptResult[] = ['approved', 'fraud', 'hung-up', 'invalid-input', 'pin-failed'];

describe('after a decision', () => {
  it(
    'nothing is dialled after a hang-up denial, fraud or approval',
    async () => {
      await assertProperty(anyScenario({ faults: 'any', cancel: true }), async (scenario) => {
        const run = await runScenario(scenario);
        const result = resultOf(run);
        const decided = result.attempts.findIndex((a) => DECISIONS.includes(a.result as AttemptResult));
        if (decided < 0) return;
        // The deciding attempt is the last one, and no call was placed for a later target.
        expect(decided).toBe(result.attempts.length - 1);
        expect(run.calls.filter((call) => call.attempt > decided)).toEqual([]);
        // Nor was a dial asked for once the decision was announced.
        const announced = run.observations.findIndex((o) => o.type === 'attempt.ended' && o.attempt.index === decided);
        expect(announced).toBeGreaterThanOrEqual(0);
        const laterDials = run.observations
          .slice(announced)
          .filter((o) => o.type === 'command' && o.command.type === 'dial');
        expect(laterDials).toEqual([]);
        // And the status is the decision's.
        const decision = result.attempts[decided]?.result;
        expect(result.status).toBe(decision === 'approved' || decision === 'fraud' ? decision : 'denied');
      });
    },
    PROPERTY_TIMEOUT_MS,
  );
});
