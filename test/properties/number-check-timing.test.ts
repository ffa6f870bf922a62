/**
 * A number check may answer at once (the library's own does, and the machine
 * then decides in the same step, with no invoked actor) or later (a host's
 * check that looks something up). When it answers must not change anything
 * but when the dial goes out in real time: the same result, the same calls at
 * the same virtual times, whatever the callees, faults and cancels do.
 */
import { describe, expect, it } from 'vitest';
import { anyScenario } from './support/arbitraries.js';
import { assertProperty, FILE_SEED, PROPERTY_TIMEOUT_MS } from './support/property.js';
import { runScenario } from './support/scenario.js';

describe('a number check that answers at once and one that answers later', () => {
  it(
    'give the same result and place the same calls at the same times',
    async () => {
      await assertProperty(
        anyScenario({ faults: 'any', cancel: true }),
        async (scenario) => {
          const atOnce = await runScenario(scenario, 'at once');
          const later = await runScenario(scenario, 'later');
          expect(later.error).toEqual(atOnce.error);
          expect(later.result).toEqual(atOnce.result);
          expect(later.calls).toEqual(atOnce.calls);
          expect(later.settledAt).toBe(atOnce.settledAt);
        },
        { seed: FILE_SEED },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
