/**
 * Path coverage with XState's own graph utilities: from the machine definition
 * and a finite, representative set of events offered in each state, every state
 * node must be reachable and every final status reached, with an output that
 * agrees with the final state.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ActorLogic,
  type AnyActorScope,
  type AnyStateNode,
  createEmptyActor,
  type SnapshotFrom,
  type StateValue,
} from 'xstate';
import { getAdjacencyMap, getShortestPaths, getStateNodes } from 'xstate/graph';
import type { NumberCheckResult } from '../../src/machine/checks.js';
import { totalDeadlineAt } from '../../src/machine/context.js';
import type { VerificationEvent } from '../../src/machine/events.js';
import type { VerificationReason, VerificationStatus } from '../../src/machine/outcomes.js';
import type { VerificationInput, VerificationRequest } from '../../src/machine/types.js';
import { verificationCallMachine } from '../../src/machine/verificationCallMachine.js';
import { type NormalizeOptions, normalizeVerificationRequest } from '../../src/request/normalizeRequest.js';

type MachineSnapshot = SnapshotFrom<typeof verificationCallMachine>;

const machine = verificationCallMachine;
/**
 * `getAdjacencyMap` types its logic without the emitted-event type, which a
 * machine that emits commands does not fit; the traversal never looks at them.
 */
const machineLogic = machine as unknown as ActorLogic<MachineSnapshot, VerificationEvent, VerificationInput>;
const ALL_STATE_NODES: AnyStateNode[] = getStateNodes(machine.root);
const FINAL_STATE_NODES = ALL_STATE_NODES.filter((node) => node.type === 'final');

/** The final statuses SPEC.md names. */
const FINAL_STATUSES: readonly VerificationStatus[] = [
  'approved',
  'denied',
  'fraud',
  'unreachable',
  'canceled',
  'expired',
];

/** The reasons that go with each final status. */
const REASONS_BY_STATUS: Record<VerificationStatus, readonly VerificationReason[]> = {
  approved: ['pound-key', 'pin'],
  denied: ['hung-up', 'invalid-input', 'pin-failed'],
  fraud: ['fraud-code'],
  unreachable: ['no-targets-left'],
  canceled: ['host-canceled'],
  expired: ['deadline', 'service-interrupted'],
};

interface Scenario {
  name: string;
  request: VerificationRequest;
  options: NormalizeOptions;
}

/** Two targets and two invalid entries keep the traversal small while every rule can still fire. */
const baseRequest = {
  targets: ['+14255550100', '+14255550199'],
  timing: { maxInvalidEntries: 2 },
} satisfies VerificationRequest;

/** Mode, input-timer owner and answering-machine detection change which transitions exist. */
const SCENARIOS: readonly Scenario[] = [
  {
    name: 'standard mode, machine input timer',
    request: { ...baseRequest, mode: 'standard' },
    options: {},
  },
  {
    name: 'standard mode, provider input timer, answering-machine detection',
    request: { ...baseRequest, mode: 'standard', answeringMachineDetection: true },
    options: { providerEnforcesInputTimeout: true, providerOffersMachineDetection: true },
  },
  {
    name: 'PIN mode, machine input timer, answering-machine detection',
    request: { ...baseRequest, mode: 'pin', answeringMachineDetection: true },
    options: { hasPinVerifier: true, providerOffersMachineDetection: true },
  },
  {
    name: 'PIN mode, provider input timer',
    request: { ...baseRequest, mode: 'pin' },
    options: { hasPinVerifier: true, providerEnforcesInputTimeout: true },
  },
];

const STALE_CALL_ID = 'CA-stale';
const LATE_CALL_ID = 'CA-late';
const callIdOf = (attemptIndex: number) => `CA-attempt-${attemptIndex}`;

/** Outputs the injected actors may give, by the name the machine invokes them with. */
const INVOKED_ACTOR_OUTPUTS: Record<string, readonly unknown[]> = {
  checkNumber: [
    { ok: true, e164: '+14255550100', extension: null, country: 'US' },
    { ok: true, e164: '+14255550199', extension: ',,1234', country: 'US' },
    { ok: false, result: 'invalid-number', rule: 'NOT_E164' },
    { ok: false, result: 'blocked-number', rule: 'premium-rate' },
  ] satisfies NumberCheckResult[],
  verifyPin: [true, false],
};

/**
 * XState's own events (timers, invoked actors' results) are not part of the
 * machine's event type, but the traversal must offer them like any other.
 */
function internalEvent(event: { type: string; output?: unknown; error?: unknown }): VerificationEvent {
  return event as unknown as VerificationEvent;
}

/** The state nodes a snapshot is in, from its value. */
function activeStateNodes(parent: AnyStateNode, value: StateValue): AnyStateNode[] {
  if (typeof value === 'string') {
    const child = parent.states[value];
    return child === undefined ? [] : [child];
  }
  return Object.entries(value).flatMap(([key, childValue]) => {
    const child = parent.states[key];
    return child === undefined || childValue === undefined ? [] : [child, ...activeStateNodes(child, childValue)];
  });
}

/** Keys a callee may press: approve, report fraud, a wrong entry, and one digit that starts an entry. */
function keyPresses(snapshot: MachineSnapshot): string[] {
  // A lone digit only on an empty entry, so the entry buffer (part of the state) stays finite.
  return snapshot.context.entry === '' ? ['#', '0#', '12#', '1'] : ['#', '0#', '12#'];
}

function providerEvents(snapshot: MachineSnapshot): VerificationEvent[] {
  const { attemptIndex, liveCallId, promptSeq } = snapshot.context;
  const callId = liveCallId ?? callIdOf(attemptIndex);
  const events: VerificationEvent[] = [
    { type: 'verification.cancel' },
    { type: 'call.dialed', attempt: attemptIndex, callId: callIdOf(attemptIndex) },
    { type: 'call.dialFailed', attempt: attemptIndex, ending: { status: 'failed', sipCode: 503 } },
    { type: 'call.ringing', callId },
    { type: 'call.answered', callId },
    { type: 'call.answeredBy', callId, answeredBy: 'machine' },
    { type: 'call.answeredBy', callId, answeredBy: 'human' },
    { type: 'call.digitsSent', callId },
    { type: 'call.promptFinished', callId, promptSeq },
    { type: 'call.inputTimeout', callId, promptSeq },
    ...keyPresses(snapshot).map((digits): VerificationEvent => ({ type: 'call.digits', callId, digits })),
    { type: 'call.ended', callId, ending: { status: 'completed' } },
    { type: 'call.ended', callId, ending: { status: 'busy', sipCode: 486 } },
    // Another call's events change nothing.
    { type: 'call.answered', callId: STALE_CALL_ID },
    { type: 'call.digits', callId: STALE_CALL_ID, digits: '#' },
    { type: 'call.ended', callId: STALE_CALL_ID, ending: { status: 'completed' } },
  ];
  if (attemptIndex > 0) events.push({ type: 'call.dialed', attempt: attemptIndex - 1, callId: LATE_CALL_ID });
  return events;
}

/**
 * Time passing: a tick at the state's deadline and one at the verification's
 * total deadline, as the machine's own timers raise them.
 */
function tickEvents(snapshot: MachineSnapshot): VerificationEvent[] {
  const { deadline } = snapshot.context;
  const ticks: VerificationEvent[] = [{ type: 'verification.tick', at: totalDeadlineAt(snapshot.context) }];
  if (deadline !== null) ticks.push({ type: 'verification.tick', at: deadline.at });
  return ticks;
}

/** The results of the actors the active states invoke, under the invoke ids the machine really uses. */
function invokedActorEvents(active: readonly AnyStateNode[]): VerificationEvent[] {
  return active.flatMap((node) =>
    node.invoke.flatMap((invoke) => {
      const src = typeof invoke.src === 'string' ? invoke.src : invoke.id;
      const outputs = INVOKED_ACTOR_OUTPUTS[src];
      if (outputs === undefined) throw new Error(`no outputs listed for the invoked actor ${src}`);
      return [
        ...outputs.map((output) => internalEvent({ type: `xstate.done.actor.${invoke.id}`, output })),
        internalEvent({ type: `xstate.error.actor.${invoke.id}`, error: { message: `${src} failed` } }),
      ];
    }),
  );
}

function eventsFor(snapshot: MachineSnapshot): VerificationEvent[] {
  if (snapshot.status !== 'active') return [];
  const active = activeStateNodes(machine.root, snapshot.value);
  return [...providerEvents(snapshot), ...tickEvents(snapshot), ...invokedActorEvents(active)];
}

/**
 * What tells states apart for the traversal: the state value and the context
 * fields that decide a transition. Counters that only grow (ignored events,
 * prompt numbers) are left out so that the traversal ends.
 */
function serializeState(snapshot: MachineSnapshot): string {
  const { context } = snapshot;
  const attempt = context.attempts[context.attemptIndex];
  return JSON.stringify({
    value: snapshot.value,
    status: snapshot.status,
    attemptIndex: context.attemptIndex,
    liveCall: context.liveCallId !== null,
    entry: context.entry,
    invalidEntries: attempt?.invalidEntries ?? 0,
    keysPressed: (attempt?.keysPressed ?? 0) > 0,
    hasExtension: (attempt?.target.extension ?? null) !== null,
    answeredBy: attempt?.answeredBy ?? null,
    endedDuringPinCheck: context.endedDuringPinCheck !== null,
  });
}

/** An actor scope that runs nothing: timers and invoked actors are driven by the events above. */
function createInertActorScope(): AnyActorScope {
  const self = createEmptyActor();
  return {
    self,
    id: '',
    sessionId: 'path-coverage',
    logger: () => {},
    defer: () => {},
    emit: () => {},
    system: self.system,
    stopChild: () => {},
    actionExecutor: () => {},
  };
}

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
  const input = normalizeVerificationRequest(scenario.request, scenario.options);
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
