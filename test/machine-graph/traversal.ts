/**
 * Walking the verification machine with XState's own graph utilities: the
 * scenarios (mode, input-timer owner, answering-machine detection), the events
 * offered in each state, and what tells states apart. Shared by the path
 * coverage and by the restore-every-state test of durable steps.
 */
import {
  type ActorLogic,
  type AnyActorScope,
  type AnyStateNode,
  createEmptyActor,
  type SnapshotFrom,
  type StateValue,
} from 'xstate';
import { getStateNodes } from 'xstate/graph';
import { bindHostChecks, checkE164Number, type NumberCheckResult } from '../../src/machine/checks.js';
import { totalDeadlineAt } from '../../src/machine/context.js';
import { scanKeys } from '../../src/machine/entry.js';
import type { VerificationEvent } from '../../src/machine/events.js';
import type { VerificationReason, VerificationStatus } from '../../src/machine/outcomes.js';
import type { VerificationInput, VerificationRequest } from '../../src/machine/types.js';
import { verificationCallMachine } from '../../src/machine/verificationCallMachine.js';
import { type NormalizeOptions, normalizeVerificationRequest } from '../../src/request/normalizeRequest.js';

export type MachineSnapshot = SnapshotFrom<typeof verificationCallMachine>;

export const machine = verificationCallMachine;
/**
 * `getAdjacencyMap` types its logic without the emitted-event type, which a
 * machine that emits commands does not fit; the traversal never looks at them.
 */
export const machineLogic = machine as unknown as ActorLogic<MachineSnapshot, VerificationEvent, VerificationInput>;
export const ALL_STATE_NODES: AnyStateNode[] = getStateNodes(machine.root);
export const FINAL_STATE_NODES = ALL_STATE_NODES.filter((node) => node.type === 'final');

/** The final statuses SPEC.md names. */
export const FINAL_STATUSES: readonly VerificationStatus[] = [
  'approved',
  'denied',
  'fraud',
  'unreachable',
  'canceled',
  'expired',
];

/** The reasons that go with each final status. */
export const REASONS_BY_STATUS: Record<VerificationStatus, readonly VerificationReason[]> = {
  approved: ['pound-key', 'pin'],
  denied: ['hung-up', 'invalid-input', 'pin-failed'],
  fraud: ['fraud-code'],
  unreachable: ['no-targets-left'],
  canceled: ['host-canceled'],
  expired: ['deadline', 'service-interrupted'],
};

export interface Scenario {
  name: string;
  request: VerificationRequest;
  options: NormalizeOptions;
  /** A bound number check that answers at once (as the library's runtime binds one), instead of an invoked check. */
  checkNumberAtOnce?: boolean;
}

/** Binds the scenario's number check to an input of the machine, when it answers at once. */
export function bindScenarioChecks<I extends VerificationInput>(scenario: Scenario, input: I): I {
  if (scenario.checkNumberAtOnce === true) bindHostChecks(input, { checkNumber: checkE164Number });
  return input;
}

/** The machine's input for a scenario, with its checks bound. */
export function scenarioInput(scenario: Scenario): VerificationInput {
  return bindScenarioChecks(scenario, normalizeVerificationRequest(scenario.request, scenario.options));
}

/** Two targets and two invalid entries keep the traversal small while every rule can still fire. */
export const baseRequest = {
  targets: ['+14255550100', '+14255550199'],
  timing: { maxInvalidEntries: 2 },
} satisfies VerificationRequest;

/** Mode, input-timer owner and answering-machine detection change which transitions exist. */
export const SCENARIOS: readonly Scenario[] = [
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
  {
    name: 'standard mode, machine input timer, a number check that answers at once',
    request: { ...baseRequest, mode: 'standard' },
    options: {},
    checkNumberAtOnce: true,
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
export function activeStateNodes(parent: AnyStateNode, value: StateValue): AnyStateNode[] {
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
    { type: 'call.progressTone', callId, tone: 'sit', sitKind: 'intercept' },
    ...keyPresses(snapshot).map((digits): VerificationEvent => ({ type: 'call.digits', callId, digits })),
    { type: 'call.ended', callId, ending: { status: 'completed' } },
    { type: 'call.ended', callId, ending: { status: 'completed', keysMayFollow: true } },
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

export function eventsFor(snapshot: MachineSnapshot): VerificationEvent[] {
  if (snapshot.status !== 'active') return [];
  const active = activeStateNodes(machine.root, snapshot.value);
  return [...providerEvents(snapshot), ...tickEvents(snapshot), ...invokedActorEvents(active)];
}

/** What the keys held during a PIN check would give on their own, or `none`. */
function heldVerdict(context: MachineSnapshot['context']): string {
  const held = context.keysDuringCheck ?? '';
  if (held === '') return 'none';
  const rules = { mode: context.input.mode, fraudCode: context.input.fraudCode, maxInvalidEntries: Infinity };
  return scanKeys({ entry: '', invalidEntries: 0 }, held, rules).verdict;
}

/**
 * What tells states apart for the traversal: the state value and the context
 * fields that decide a transition. Counters that only grow (ignored events,
 * prompt numbers) are left out so that the traversal ends.
 */
export function serializeState(snapshot: MachineSnapshot): string {
  const { context } = snapshot;
  const attempt = context.attempts[context.attemptIndex];
  return JSON.stringify({
    value: snapshot.value,
    status: snapshot.status,
    attemptIndex: context.attemptIndex,
    liveCall: context.liveCallId !== null,
    entry: context.entry,
    // Keys held during a PIN check, by what their first entry would be (a PIN, the fraud code, an empty entry).
    keysDuringCheck: heldVerdict(context),
    invalidEntries: attempt?.invalidEntries ?? 0,
    keysPressed: (attempt?.keysPressed ?? 0) > 0,
    hasExtension: (attempt?.target.extension ?? null) !== null,
    answeredBy: attempt?.answeredBy ?? null,
    endedBeforeVerdict: context.endedBeforeVerdict !== null,
  });
}

/** An actor scope that runs nothing: timers and invoked actors are driven by the events above. */
export function createInertActorScope(): AnyActorScope {
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
