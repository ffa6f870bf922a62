/**
 * Durable steps change nothing: a verification run by the durable service on
 * the in-memory store — restored from its stored record for every input, every
 * in-memory object dropped after each step — ends with the same result and
 * gives the provider the same commands, in the same order, as the same
 * scenario run uninterrupted by `runVerification`. Over random scenarios,
 * fault schedules, cancels and timings (fast-check).
 */
import { describe, expect, it } from 'vitest';
import type { ProviderCommand, VerificationResult } from '../../src/index.js';
import { maskPhoneNumber, VirtualClock } from '../../src/index.js';
import { MemoryVerificationStore } from '../../src/store/memoryStore.js';
import { startSimulatedService } from '../support/simulatedService.js';
import { anyScenario } from './support/arbitraries.js';
import { assertProperty, PROPERTY_TIMEOUT_MS } from './support/property.js';
import {
  createScenarioCarrier,
  resultOf,
  runScenario,
  type Scenario,
  type ScenarioRun,
  scenarioPinVerifier,
  toRequest,
  VERIFICATION_ID,
} from './support/scenario.js';

interface DurableRun {
  result: VerificationResult;
  commands: ProviderCommand[];
  steps: number;
  errors: unknown[];
  /** Provider events the audit log received after the final status. */
  inputsAfterEnd: number;
}

async function runDurably(scenario: Scenario): Promise<DurableRun> {
  const clock = new VirtualClock();
  const carrier = createScenarioCarrier(scenario, clock);
  const store = new MemoryVerificationStore({ clock });
  const commands: ProviderCommand[] = [];
  const run = carrier.run.bind(carrier);
  carrier.run = (effect, context) => {
    commands.push(effect.payload as unknown as ProviderCommand);
    return run(effect, context);
  };
  let steps = 0;
  const withVerification = store.withVerification.bind(store);
  store.withVerification = (id, key, step) => {
    steps++;
    return withVerification(id, key, step);
  };
  const { service, errors } = startSimulatedService(
    carrier,
    clock,
    store,
    scenario.mode === 'pin' ? { verifyPin: scenarioPinVerifier(scenario) } : {},
  );
  const cancelTimer =
    scenario.cancelAfterMs === null
      ? null
      : clock.setTimeout(
          () => void service.cancel(VERIFICATION_ID).catch((e) => errors.push(e)),
          scenario.cancelAfterMs,
        );
  await service.start(toRequest(scenario), { verificationId: VERIFICATION_ID });
  const result = await service.waitForResult(VERIFICATION_ID);
  if (cancelTimer !== null) clock.clearTimeout(cancelTimer);
  // What the network sent at the instant the verification ended reaches the service before it closes, as it
  // reaches runVerification's session while that closes; close() waits for the steps it starts.
  clock.advanceBy(0);
  await service.close();
  carrier.hangUpAll();
  const audit = await store.readAudit({ verificationId: VERIFICATION_ID });
  const finalAt = audit.findIndex((row) => row.kind === 'final');
  const inputsAfterEnd = audit
    .slice(finalAt + 1)
    .filter((row) => row.kind === 'input' && row.what.startsWith('call.')).length;
  return { result, commands, steps, errors, inputsAfterEnd };
}

const commandsOf = (observations: Awaited<ReturnType<typeof runScenario>>['observations']): ProviderCommand[] =>
  observations.flatMap((o) => (o.type === 'command' ? [o.command] : []));

/** How many events a verification's machine ignored, in total. */
const ignoredTotal = (result: VerificationResult): number =>
  Object.values(result.ignoredEvents).reduce((sum, count) => sum + count, 0);

/**
 * Events the uninterrupted run's machine ignored: `runVerification` also counts
 * events that came after the final status while it closed the session, and
 * malformed ones that never reach the machine.
 */
function ignoredByMachine(result: VerificationResult, observations: ScenarioRun['observations']): number {
  const late = observations.filter((o) => o.type === 'provider.ignored' && o.afterEnd).length;
  const malformed = observations.filter((o) => o.type === 'provider.malformed').length;
  return ignoredTotal(result) - late - malformed;
}

/** As the observation stream shows a command: the callee's number masked (the default). */
const asObserved = (command: ProviderCommand): ProviderCommand =>
  command.type === 'dial' ? { ...command, to: maskPhoneNumber(command.to) } : command;

describe('durable steps', () => {
  it(
    'save and restore after every step: the same result and the same commands as an uninterrupted run',
    async () => {
      const tally = { runs: 0, steps: 0 };
      await assertProperty(anyScenario({ faults: 'any', cancel: true }), async (scenario) => {
        const uninterrupted = await runScenario(scenario);
        const durable = await runDurably(scenario);
        tally.runs++;
        tally.steps += durable.steps;
        expect(durable.errors).toEqual([]);
        const expected = resultOf(uninterrupted);
        const { ignoredEvents: _durableCounts, ...durableResult } = durable.result;
        const { ignoredEvents: _counts, ...expectedResult } = expected;
        expect(durableResult).toEqual(expectedResult);
        // A durable step is atomic: an event that arrives while it waits for the host's PIN verdict is
        // applied after it — after the final status, when that verdict ended the verification — and is
        // then only in the audit log. No ignored event is lost, none is invented.
        const machineCount = ignoredByMachine(expected, uninterrupted.observations);
        expect(ignoredTotal(durable.result)).toBeLessThanOrEqual(machineCount);
        expect(ignoredTotal(durable.result) + durable.inputsAfterEnd).toBeGreaterThanOrEqual(machineCount);
        expect(durable.commands.map(asObserved)).toEqual(commandsOf(uninterrupted.observations));
      });
      // Each run is many saved steps, not one.
      expect(tally.steps).toBeGreaterThan(tally.runs * 3);
    },
    PROPERTY_TIMEOUT_MS,
  );
});
