/**
 * Memory: the heap each verification holds while it is in flight, and the
 * size of the machine's stored snapshot in every state it can reach.
 */
import { createActor } from 'xstate';
import { getAdjacencyMap } from 'xstate/graph';
import { VirtualClock } from '../src/index.js';
import { persistActor } from '../src/step/machineSnapshots.js';
import {
  eventsFor,
  type MachineSnapshot,
  machine,
  machineLogic,
  SCENARIOS,
  scenarioInput,
  serializeState,
} from '../test/machine-graph/traversal.js';
import type { BenchFlow } from './flows.js';
import { carrierFor, outcomeOf, startRuntimeFlow } from './throughput.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Moves a manual virtual clock to `time` in small steps, letting promise callbacks run after each. */
async function advanceTo(clock: VirtualClock, time: number, stepMs = 50): Promise<void> {
  while (clock.now() < time) {
    clock.advanceBy(Math.min(stepMs, time - clock.now()));
    await settle();
  }
}

function heapAfterGc(): number {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run node with --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Heap per verification with `count` of `flow` in flight at once on one clock,
 * all parked at `parkAtMs` of virtual time (after GC, against the heap before
 * they started); then lets them finish and checks they ended after `parkAtMs`,
 * as `expected`. While parked, the bench holds what a host holds: one
 * provider (a simulated carrier) for them all, and the promise of each
 * result, nothing chained to it.
 */
export async function heapBytesPerParkedVerification(
  flow: BenchFlow,
  count: number,
  parkAtMs: number,
  expected: string,
): Promise<number> {
  const clock = new VirtualClock({ autoAdvance: false });
  const before = heapAfterGc();
  // One carrier serves them all, as one provider serves a host's verifications.
  const carrier = carrierFor(flow, clock);
  const runs = Array.from({ length: count }, () => startRuntimeFlow(flow, clock, carrier));
  await advanceTo(clock, parkAtMs);
  const during = heapAfterGc();
  await advanceTo(clock, parkAtMs + 200_000, 500);
  const results = await Promise.all(runs);
  const early = results.filter((result) => result.endedAt <= parkAtMs).length;
  if (early > 0) throw new Error(`${early} verifications ended by ${parkAtMs} ms: they were not in flight`);
  const wrong = results.filter((result) => JSON.stringify(outcomeOf(result)) !== expected).length;
  if (wrong > 0) throw new Error(`${wrong} of ${count} parked verifications ended otherwise than ${expected}`);
  return (during - before) / count;
}

/**
 * Largest stored snapshot over every state the machine reaches (XState's graph
 * utilities walk it in each configuration the path coverage uses): XState's
 * persisted snapshot, input included, and the durable store's form, which
 * keeps the input once beside it.
 */
export function maxSnapshotBytes(): { persisted: number; stored: number; states: number } {
  const inertClock = { setTimeout: () => 0, clearTimeout: () => {} };
  let persisted = 0;
  let stored = 0;
  let states = 0;
  for (const scenario of SCENARIOS) {
    const input = scenarioInput(scenario);
    const adjacency = getAdjacencyMap(machineLogic, { input, events: eventsFor, serializeState, limit: 200_000 });
    for (const { state } of Object.values(adjacency)) {
      const actor = createActor(machine, { snapshot: state as MachineSnapshot, input, clock: inertClock });
      persisted = Math.max(persisted, JSON.stringify(actor.getPersistedSnapshot()).length);
      stored = Math.max(stored, JSON.stringify(persistActor(actor)).length);
      states++;
    }
  }
  return { persisted, stored, states };
}
