/**
 * Durable steps rest on saving and restoring the machine: every state the
 * machine can reach (xstate/graph, in every configuration the path coverage
 * walks) restores from its stored form with the same state, the same context
 * and the same deadlines — and then takes a deadline's tick the same way.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { getAdjacencyMap } from 'xstate/graph';
import { earliestDeadlineAt } from '../../src/machine/context.js';
import { persistActor, restoreStepActor } from '../../src/step/machineSnapshots.js';
import {
  bindScenarioChecks,
  createInertActorScope,
  eventsFor,
  type MachineSnapshot,
  machine,
  machineLogic,
  SCENARIOS,
  scenarioInput,
  serializeState,
} from '../machine-graph/traversal.js';

const inertClock = { setTimeout: () => 0, clearTimeout: () => {} };

describe('every reachable state restores from its stored form', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: same state, context and deadlines, and the same answer to its next deadline`, () => {
      const input = scenarioInput(scenario);
      const adjacency = getAdjacencyMap(machineLogic, { input, events: eventsFor, serializeState, limit: 200_000 });
      const scope = createInertActorScope();
      let checked = 0;
      for (const { state } of Object.values(adjacency)) {
        const original = state as MachineSnapshot;
        if (original.status !== 'active') continue;
        const stored = JSON.parse(
          JSON.stringify(persistActor(createActor(machine, { snapshot: original, input, clock: inertClock }))),
        );
        expect(JSON.stringify(stored)).not.toContain('"prompts"');
        // The host binds its checks to the input it restores, as to the one it started with.
        const storedInput = bindScenarioChecks(scenario, JSON.parse(JSON.stringify(input)));
        const restored = restoreStepActor(machine, 'v', stored, storedInput).getSnapshot();
        expect(restored.value).toEqual(original.value);
        expect(restored.context).toEqual(original.context);
        expect(restored.context.deadline).toEqual(original.context.deadline);
        expect(earliestDeadlineAt(restored.context)).toBe(earliestDeadlineAt(original.context));

        const tick = { type: 'verification.tick', at: earliestDeadlineAt(original.context) } as const;
        const afterOriginal = machine.transition(original, tick, scope);
        const afterRestored = machine.transition(restored, tick, scope);
        expect(afterRestored.value).toEqual(afterOriginal.value);
        expect(afterRestored.context).toEqual(afterOriginal.context);
        checked++;
      }
      expect(checked).toBeGreaterThan(20);
    });
  }
});
