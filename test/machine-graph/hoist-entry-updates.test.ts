/**
 * Moving entry updates into transitions (`hoistEntryUpdates`): what it does to
 * a config, where it must leave an entry alone, and that the machine built with
 * it behaves exactly as the machine built without it in every state the
 * traversal reaches.
 */
import { describe, expect, it } from 'vitest';
import { type AnyActorScope, createActor, createMachine, fromPromise } from 'xstate';
import type { VerificationEvent } from '../../src/machine/events.js';
import { hoistEntryUpdates } from '../../src/machine/hoistEntryUpdates.js';
import type { VerificationInput } from '../../src/machine/types.js';
import { buildVerificationCallMachine } from '../../src/machine/verificationCallMachine.js';
import {
  createInertActorScope,
  eventsFor,
  type MachineSnapshot,
  SCENARIOS,
  type Scenario,
  scenarioInput,
  serializeState,
} from './traversal.js';

type AnyConfig = Record<string, unknown>;
const deadline = (kind: string) => ({ type: 'setDeadline', params: { kind } });

const LOGGED_ACTIONS = ['observeTime', 'markAnswered', 'nextPrompt', 'setDeadline', 'scheduleDeadline', 'playPrompt'];

/** The actions XState runs for a config, in order, as the events are sent: what the transform must keep. */
function actionsRun(config: object, events: readonly string[]): string[] {
  const log: string[] = [];
  const actions = Object.fromEntries(
    LOGGED_ACTIONS.map((name) => [
      name,
      (_: unknown, params: unknown) => log.push(params === undefined ? name : `${name} ${JSON.stringify(params)}`),
    ]),
  );
  const never = fromPromise(() => new Promise<never>(() => {}));
  const machine = createMachine(config as never).provide({ actions, actors: { checkNumber: never } } as never);
  const actor = createActor(machine).start();
  for (const type of events) {
    log.push(`-- ${type}`);
    actor.send({ type });
  }
  actor.stop();
  return log;
}

describe('hoistEntryUpdates on a config', () => {
  it('appends the leading updates of the entered state to the transition and keeps the rest of its entry', () => {
    const original = {
      initial: 'idle',
      states: {
        idle: { on: { go: { target: 'busy', actions: ['observeTime'] } } },
        busy: { entry: ['nextPrompt', deadline('input'), 'scheduleDeadline', 'markAnswered'] },
      },
    };
    const config = hoistEntryUpdates(original) as AnyConfig & { states: Record<string, AnyConfig> };
    expect(actionsRun(config, ['go'])).toEqual(actionsRun(original, ['go']));
    expect(config.states.idle).toEqual({
      on: { go: { target: 'busy', actions: ['observeTime', 'nextPrompt', deadline('input')] } },
    });
    // An update after another action stays: moving it would change the order.
    expect(config.states.busy).toEqual({ entry: ['scheduleDeadline', 'markAnswered'] });
  });

  it('moves updates of a parent and of its child in the order XState enters them, through every way in', () => {
    const original = {
      id: 'm',
      initial: 'idle',
      states: {
        idle: { on: { go: '#m.answered.greeting', back: { target: 'answered', reenter: true } } },
        answered: {
          entry: ['observeTime', 'markAnswered'],
          on: {
            again: { target: '.greeting', reenter: true },
            stay: '.greeting',
            self: { target: 'answered' },
            other: '.other',
            leave: '#m.idle',
          },
          initial: 'greeting',
          states: { greeting: { entry: ['nextPrompt', 'scheduleDeadline'] }, other: {} },
        },
      },
    };
    const config = hoistEntryUpdates(original) as unknown as {
      states: Record<string, AnyConfig & { states: Record<string, AnyConfig> }>;
    };
    const events = ['go', 'other', 'stay', 'other', 'self', 'again', 'leave', 'back'];
    expect(actionsRun(config, events)).toEqual(actionsRun(original, events));
    const { idle, answered } = config.states;
    const both = ['observeTime', 'markAnswered', 'nextPrompt'];
    expect(idle?.on).toEqual({
      go: { target: '#m.answered.greeting', actions: both },
      back: { target: 'answered', reenter: true, actions: both },
    });
    // Within `answered`, as XState steps: to its child, only the child is entered, unless the transition
    // re-enters `answered` itself; to itself without re-entering, its child is left and the initial one entered.
    expect(answered?.on).toEqual({
      again: { target: '.greeting', reenter: true, actions: both },
      stay: { target: '.greeting', actions: ['nextPrompt'] },
      self: { target: 'answered', actions: ['nextPrompt'] },
      other: '.other',
      leave: '#m.idle',
    });
    expect(answered?.entry).toBeUndefined();
    expect(answered?.states.greeting).toEqual({ entry: ['scheduleDeadline'] });
  });

  it('leaves the entries of the states the machine starts in', () => {
    const config = {
      initial: 'first',
      states: { first: { entry: ['observeTime'], on: { again: { target: 'first', reenter: true } } } },
    };
    expect(hoistEntryUpdates(config)).toEqual(config);
  });

  it('leaves a state whose updates would move past another action, an invoked actor or a state that keeps its own', () => {
    const config = {
      id: 'm',
      initial: 'idle',
      on: { reset: '#m.idle' },
      states: {
        idle: { on: { toEmitting: 'emitting.inner', toInvoking: 'invoking.inner', toInner: 'plain.inner' } },
        // A parent that emits on entry, one that invokes, and one entered at no other time: its child's updates
        // cannot move past the first two.
        emitting: { entry: ['playPrompt'], initial: 'inner', states: { inner: { entry: ['nextPrompt'] } } },
        invoking: {
          entry: ['observeTime'],
          invoke: { src: 'checkNumber', onDone: '#m.idle' },
          initial: 'inner',
          states: { inner: { entry: ['nextPrompt'] } },
        },
        plain: { initial: 'inner', states: { inner: { entry: ['nextPrompt'] } } },
      },
    };
    const hoisted = hoistEntryUpdates(config) as typeof config;
    const events = ['toEmitting', 'reset', 'toInvoking', 'reset', 'toInner', 'reset'];
    expect(actionsRun(hoisted, events)).toEqual(actionsRun(config, events));
    expect(hoisted.states.emitting).toEqual(config.states.emitting);
    expect(hoisted.states.invoking.states).toEqual(config.states.invoking.states);
    // The invoking state's own update still moves: its actor starts after its entry either way.
    expect(hoisted.states.invoking.entry).toBeUndefined();
    expect(hoisted.states.plain.states.inner.entry).toBeUndefined();
    expect(hoisted.states.idle.on).toEqual({
      toEmitting: 'emitting.inner',
      toInvoking: { target: 'invoking.inner', actions: ['observeTime'] },
      toInner: { target: 'plain.inner', actions: ['nextPrompt'] },
    });
  });

  it('does not change the config it is given', () => {
    const config = {
      initial: 'idle',
      states: { idle: { on: { go: { target: 'busy', actions: ['observeTime'] } } }, busy: { entry: ['nextPrompt'] } },
    };
    const copy = structuredClone(config);
    hoistEntryUpdates(config);
    expect(config).toEqual(copy);
  });

  it('refuses what it cannot follow rather than guess', () => {
    expect(() => hoistEntryUpdates({ initial: 'a', states: { a: { on: { go: 'nowhere' } } } })).toThrow(
      /target nowhere names no state/,
    );
    expect(() => hoistEntryUpdates({ initial: 'a', states: { a: { on: { go: '#elsewhere.b' } } } })).toThrow(
      /names no state id/,
    );
    expect(() => hoistEntryUpdates({ type: 'parallel', states: {} })).toThrow(/parallel states are not supported/);
    expect(() => hoistEntryUpdates({ initial: 'a', states: { a: { after: { 10: 'a' } } } })).toThrow(/`after`/);
  });
});

/** What a step of the machine did: the snapshot it left and the actions it handed over to run, in order. */
function step(
  machine: ReturnType<typeof buildVerificationCallMachine>,
  snapshot: MachineSnapshot | undefined,
  event: VerificationEvent | undefined,
  input: VerificationInput,
): { snapshot: MachineSnapshot; seen: string } {
  const actions: { type: string; params: unknown }[] = [];
  const scope: AnyActorScope = { ...createInertActorScope(), actionExecutor: (action) => actions.push(action) };
  const next =
    snapshot === undefined || event === undefined
      ? machine.getInitialSnapshot(scope, input)
      : machine.transition(snapshot, event, scope);
  // Invoked actors differ per build; what the machine asked of them (their id and input) is compared.
  const seen = JSON.stringify(
    {
      value: next.value,
      status: next.status,
      context: next.context,
      output: next.output,
      actions: actions.map(({ type, params }) => ({ type, params })),
    },
    (key, value) =>
      key === 'actorRef' ? { input: (value as { options?: { input?: unknown } }).options?.input } : value,
  );
  return { snapshot: next as MachineSnapshot, seen };
}

function compareBuilds(scenario: Scenario): { transitions: number; states: number } {
  const hoisted = buildVerificationCallMachine();
  const plain = buildVerificationCallMachine((config) => config);
  const input = scenarioInput(scenario);
  const start = [step(hoisted, undefined, undefined, input), step(plain, undefined, undefined, input)] as const;
  expect(start[0].seen).toBe(start[1].seen);
  const queue: [MachineSnapshot, MachineSnapshot][] = [[start[0].snapshot, start[1].snapshot]];
  const visited = new Set([serializeState(start[0].snapshot)]);
  let transitions = 0;
  for (let pair = queue.shift(); pair !== undefined; pair = queue.shift()) {
    const [fromHoisted, fromPlain] = pair;
    for (const event of eventsFor(fromHoisted)) {
      const a = step(hoisted, fromHoisted, event, input);
      const b = step(plain, fromPlain, event, input);
      transitions++;
      if (a.seen !== b.seen) {
        expect.fail(`${JSON.stringify(fromHoisted.value)} --${JSON.stringify(event)}-->\n${a.seen}\n${b.seen}`);
      }
      const key = serializeState(a.snapshot);
      if (!visited.has(key)) {
        visited.add(key);
        queue.push([a.snapshot, b.snapshot]);
      }
    }
  }
  return { transitions, states: visited.size };
}

describe('the machine built with its entry updates moved', () => {
  it('moves updates out of the entries of the states a verification passes through most', () => {
    const entries = (machine: ReturnType<typeof buildVerificationCallMachine>) =>
      Object.fromEntries(
        ['calling.connecting.ringing', 'calling.answered', 'calling.answered.waitingForInput', 'approved'].map(
          (path) => [path, machine.getStateNodeById(`verification.${path}`).entry.length],
        ),
      );
    expect(entries(buildVerificationCallMachine())).toEqual({
      'calling.connecting.ringing': 2,
      'calling.answered': 0,
      'calling.answered.waitingForInput': 1,
      approved: 0,
    });
    expect(entries(buildVerificationCallMachine((config) => config))).toEqual({
      'calling.connecting.ringing': 3,
      'calling.answered': 1,
      'calling.answered.waitingForInput': 2,
      approved: 1,
    });
  });

  it.each(SCENARIOS.map((scenario) => [scenario.name, scenario] as const))(
    'leaves the same snapshot and hands over the same actions as without, for every event in every state: %s',
    (_name, scenario) => {
      const { transitions, states } = compareBuilds(scenario);
      // The traversal reaches the scenario's whole graph (44 to 350 states), not a corner of it.
      expect(states).toBeGreaterThan(40);
      expect(transitions).toBeGreaterThan(states * 10);
    },
  );
});
