/**
 * SPEC.md: "A verification makes at most one attempt per target and never has
 * two calls live at once." "Rollover goes to the next target in list order,
 * each at most once." An unparseable, invalid or refused number ends the
 * attempt "without dialling".
 */
import { describe, expect, it } from 'vitest';
import { anyScenario } from './support/arbitraries.js';
import { assertProperty, PROPERTY_TIMEOUT_MS } from './support/property.js';
import { resultOf, runScenario } from './support/scenario.js';

describe('calls', () => {
  it(
    'never two live calls; targets dialled in list order, each at most once; invalid and blocked numbers never dialled',
    async () => {
      await assertProperty(anyScenario({ faults: 'any', cancel: true }), async (scenario) => {
        const run = await runScenario(scenario);
        const result = resultOf(run);

        // Never two live calls, and none left live at the end.
        for (const call of run.calls) {
          expect(call.concurrentCallsAtDial).toBe(0);
          expect(call.endedAt).not.toBeNull();
        }

        // In list order, each at most once, and only numbers that passed the check.
        const dialledIndexes = run.calls.map((call) => call.attempt);
        expect(dialledIndexes).toEqual([...new Set(dialledIndexes)].sort((a, b) => a - b));
        for (const call of run.calls) {
          const target = scenario.targets[call.attempt];
          expect(target?.kind).toBe('called');
          if (target?.kind === 'called') expect(call.to).toBe(target.number);
        }
        const dialCommands = run.observations.flatMap((o) =>
          o.type === 'command' && o.command.type === 'dial' ? [o.command] : [],
        );
        expect(dialCommands.map((c) => c.attempt)).toEqual(dialledIndexes);

        // The records agree: a refused number has no dial, no call id, and rolls over.
        for (const attempt of result.attempts) {
          const target = scenario.targets[attempt.index];
          if (target === undefined || target.kind === 'called') continue;
          expect(attempt.result).toBe(target.kind === 'blocked' ? 'blocked-number' : 'invalid-number');
          expect(attempt.times.dialedAt).toBeNull();
          expect(attempt.callId).toBeNull();
        }
        expect(result.attempts.map((a) => a.index)).toEqual(result.attempts.map((_, i) => i));
      });
    },
    PROPERTY_TIMEOUT_MS,
  );
});
