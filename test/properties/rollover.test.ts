/**
 * SPEC.md: busy, SIT, invalid number, no answer, failure, no response and
 * voicemail roll over to the next target; a number refused by the policy
 * (`blocked-number`) is "either way: roll over" with an invalid one. The input
 * timer starts "when the greeting (or a re-prompt) has finished playing".
 */
import { describe, expect, it } from 'vitest';
import type { AttemptResult } from '../../src/index.js';
import { SPEC_ROLLS_OVER } from '../support/specRollover.js';
import { anyScenario } from './support/arbitraries.js';
import { assertProperty, FILE_SEED, PROPERTY_TIMEOUT_MS } from './support/property.js';
import { memoizeRuns, resultOf } from './support/scenario.js';

describe('rollover', () => {
  // Both properties see the same scenarios (one seed) and share each run.
  const scenarios = anyScenario({ faults: 'any', cancel: true });
  const run = memoizeRuns();

  it(
    'a rollover follows only busy, SIT, invalid, no-answer, failed, no-response or voicemail',
    async () => {
      await assertProperty(
        scenarios,
        async (scenario) => {
          const result = resultOf(await run(scenario));
          for (const attempt of result.attempts.slice(0, -1)) expect(SPEC_ROLLS_OVER).toContain(attempt.result);
          // And such a result always rolls over while a target is left.
          const last = result.attempts.at(-1);
          if (last !== undefined && SPEC_ROLLS_OVER.includes(last.result as AttemptResult)) {
            expect(result.status).toBe('unreachable');
            expect(result.attempts).toHaveLength(scenario.targets.length);
          }
        },
        { seed: FILE_SEED },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    '`no-response` is never earlier than inputTimeoutMs after the greeting ended (attempt.times)',
    async () => {
      await assertProperty(
        scenarios,
        async (scenario) => {
          const result = resultOf(await run(scenario));
          for (const attempt of result.attempts) {
            if (attempt.result !== 'no-response') continue;
            const { greetingEndedAt, endedAt } = attempt.times;
            expect(greetingEndedAt).not.toBeNull();
            expect(endedAt).not.toBeNull();
            expect((endedAt ?? 0) - (greetingEndedAt ?? 0)).toBeGreaterThanOrEqual(scenario.timing.inputTimeoutMs);
          }
        },
        { seed: FILE_SEED },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
