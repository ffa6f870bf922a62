/**
 * Path coverage with XState's own graph utilities: from the machine definition
 * and a finite, representative set of events offered in each state, every state
 * node must be reachable and every final status reached, with an output that
 * agrees with the final state.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { StateValue } from 'xstate';
import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import type { VerificationEvent } from '../../src/machine/events.js';
import type { VerificationStatus } from '../../src/machine/outcomes.js';
import { normalizeVerificationRequest } from '../../src/request/normalizeRequest.js';
import {
  ALL_STATE_NODES,
  activeStateNodes,
  baseRequest,
  createInertActorScope,
  eventsFor,
  FINAL_STATE_NODES,
  FINAL_STATUSES,
  type MachineSnapshot,
  machine,
  machineLogic,
  REASONS_BY_STATUS,
  SCENARIOS,
  type Scenario,
  scenarioInput,
  serializeState,
} from './traversal.js';

interface Coverage {
  /** Ids of every state node entered, including transient ones (`always`) entered within a macrostep. */
  reachedStateNodeIds: Set<string>;
  /** One event sequence per final state reached, by its key. */
  pathsToFinalStates: Map<string, { events: string[]; snapshot: MachineSnapshot }[]>;
  /** Transitions that left a call live while rolling over or ending the verification. */
  callsLeftLive: string[];
  distinctStates: number;
}

const describeValue = (value: StateValue) => JSON.stringify(value);

function traverse(scenario: Scenario): Coverage {
  const input = scenarioInput(scenario);
  const traversal = { input, events: eventsFor, serializeState, limit: 200_000 };
  const actorScope = createInertActorScope();

  const reachedStateNodeIds = new Set<string>();
  const callsLeftLive = new Set<string>();
  const markReached = (snapshot: MachineSnapshot) => {
    for (const node of activeStateNodes(machine.root, snapshot.value)) reachedStateNodeIds.add(node.id);
  };
  const adjacency = getAdjacencyMap(machineLogic, traversal);
  for (const { state, transitions } of Object.values(adjacency)) {
    markReached(state);
    for (const { event } of Object.values<{ event: VerificationEvent }>(transitions)) {
      // The microsteps show the states an event passes through, not only where it rests.
      for (const microstate of machine.microstep(state, event, actorScope)) {
        markReached(microstate);
        const leavesCall = microstate.status === 'done' || microstate.matches({ calling: 'rollover' });
        if (leavesCall && microstate.context.liveCallId !== null) {
          callsLeftLive.add(`${describeValue(state.value)} --${event.type}--> ${describeValue(microstate.value)}`);
        }
      }
    }
  }

  const pathsToFinalStates = new Map<string, { events: string[]; snapshot: MachineSnapshot }[]>();
  const finalPaths = getShortestPaths(machine, { ...traversal, toState: (snapshot) => snapshot.status === 'done' });
  for (const path of finalPaths) {
    const key = String(path.state.value);
    const events = path.steps.map((step): string => step.event.type).filter((type) => type !== 'xstate.init');
    pathsToFinalStates.set(key, [...(pathsToFinalStates.get(key) ?? []), { events, snapshot: path.state }]);
  }
  return {
    reachedStateNodeIds,
    pathsToFinalStates,
    callsLeftLive: [...callsLeftLive],
    distinctStates: Object.keys(adjacency).length,
  };
}

describe('path coverage of verificationCallMachine (xstate/graph)', () => {
  const coverageByScenario = new Map<string, Coverage>();
  beforeAll(() => {
    for (const scenario of SCENARIOS) coverageByScenario.set(scenario.name, traverse(scenario));
  });
  const coverageOf = (name: string): Coverage => {
    const coverage = coverageByScenario.get(name);
    if (coverage === undefined) throw new Error(`scenario ${name} was not traversed`);
    return coverage;
  };

  it('the machine has exactly the final states SPEC.md names', () => {
    expect(FINAL_STATE_NODES.map((node) => node.key).sort()).toEqual([...FINAL_STATUSES].sort());
  });

  it('invoked actors are keyed by the invoke ids whose results the traversal sends', () => {
    const initial = machine.getInitialSnapshot(createInertActorScope(), normalizeVerificationRequest(baseRequest));
    const invokeIds = activeStateNodes(machine.root, initial.value).flatMap((node) =>
      node.invoke.map((invoke) => invoke.id),
    );
    expect(invokeIds.length).toBeGreaterThan(0);
    expect(Object.keys(initial.children).sort()).toEqual(invokeIds.sort());
  });

  it('every state node of the machine is reachable', () => {
    const reached = new Set<string>();
    for (const coverage of coverageByScenario.values()) {
      for (const id of coverage.reachedStateNodeIds) reached.add(id);
    }
    const unreachable = ALL_STATE_NODES.map((node) => node.id).filter((id) => !reached.has(id));
    expect(unreachable, 'state nodes no generated path enters').toEqual([]);
  });

  for (const scenario of SCENARIOS) {
    describe(scenario.name, () => {
      it('the traversal stays finite and explores more than the happy path', () => {
        expect(coverageOf(scenario.name).distinctStates).toBeGreaterThan(FINAL_STATUSES.length);
      });

      it('every final status (approved, denied, fraud, unreachable, canceled, expired) is reached', () => {
        const reached = [...coverageOf(scenario.name).pathsToFinalStates.keys()].sort();
        expect(reached).toEqual([...FINAL_STATUSES].sort());
      });

      it('no call is left live when an attempt rolls over or the verification ends', () => {
        expect(coverageOf(scenario.name).callsLeftLive).toEqual([]);
      });

      it("the output's status and reason match the final state on every generated path", () => {
        for (const [finalState, paths] of coverageOf(scenario.name).pathsToFinalStates) {
          for (const { events, snapshot } of paths) {
            const output = snapshot.output;
            const where = `${finalState} via ${events.join(' → ')}`;
            expect(output?.status, where).toBe(finalState);
            expect(REASONS_BY_STATUS[finalState as VerificationStatus], where).toContain(output?.reason);
            expect(
              output?.attempts.filter((attempt) => attempt.result === null),
              `${where}: every attempt has a result`,
            ).toEqual([]);
          }
        }
      });
    });
  }
});
