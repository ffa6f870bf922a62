/**
 * SPEC.md: "a PIN or the digits typed never appear in logs, errors, emitted
 * events or persisted state after use." The PINs are 7–8 digits starting with
 * 7–9, so they cannot turn up by accident in the ids, counts and clock readings
 * (all below 10^7 ms) of a run; nor can any other run of 7 or more digits the
 * callee typed.
 */
import { describe, expect, it } from 'vitest';
import { anyScenario } from './support/arbitraries.js';
import { assertProperty, PROPERTY_TIMEOUT_MS } from './support/property.js';
import { runScenario } from './support/scenario.js';

function typedSecrets(pin: string, presses: string[]): string[] {
  const longRuns = presses.flatMap((press) => press.match(/[0-9]{7,}/g) ?? []);
  return [...new Set([pin, ...longRuns])];
}

function describeError(error: unknown): string {
  if (error === null || error === undefined) return '';
  return error instanceof Error
    ? `${error.name} ${error.message} ${error.stack ?? ''} ${JSON.stringify(error)}`
    : String(error);
}

describe('PIN secrecy', () => {
  it(
    'no PIN digit ever appears in an emitted event, record, error or result',
    async () => {
      await assertProperty(anyScenario({ faults: 'any', cancel: true, pinModeOnly: true }), async (scenario) => {
        const run = await runScenario(scenario);
        const presses = scenario.targets.flatMap((t) =>
          t.kind === 'called' && t.script.kind === 'answers'
            ? (t.script.responses ?? []).flatMap((r) => ('press' in r ? [r.press] : []))
            : [],
        );
        const surfaces = {
          observations: JSON.stringify(run.observations),
          result: JSON.stringify(run.result),
          error: describeError(run.error),
          carrierRecords: JSON.stringify(run.calls),
          faultLog: JSON.stringify(run.faultLog),
        };
        for (const secret of typedSecrets(scenario.pin, presses)) {
          for (const [surface, text] of Object.entries(surfaces)) {
            expect({ surface, leaks: text.includes(secret) }).toEqual({ surface, leaks: false });
          }
        }
        // Typed keys are reported only as counts.
        for (const o of run.observations) {
          if (o.type === 'provider.event' && o.event.type === 'call.digits')
            expect(o.event).not.toHaveProperty('digits');
        }
      });
    },
    PROPERTY_TIMEOUT_MS,
  );
});
