/**
 * The commands a state's entry sends need what the ways into it guarantee:
 * `connecting` is entered only with a number to dial, the prompt states only on
 * a live call, `sendingExtension` only on a live call to a target with an
 * extension (the actions send nothing without them, which would leave the
 * state waiting for its deadline). Walking every state the machine reaches in
 * every configuration the path coverage walks, with every event offered there,
 * each step's states must keep those guarantees and each command it emits must
 * name the call or number the context holds.
 */
import { describe, expect, it } from 'vitest';
import type { AnyActorScope } from 'xstate';
import { getAdjacencyMap } from 'xstate/graph';
import type { ProviderCommand } from '../../src/machine/commands.js';
import { currentAttempt } from '../../src/machine/context.js';
import type { VerificationEvent } from '../../src/machine/events.js';
import {
  createInertActorScope,
  eventsFor,
  type MachineSnapshot,
  machine,
  machineLogic,
  SCENARIOS,
  scenarioInput,
  serializeState,
} from './traversal.js';

/** An actor scope that runs nothing and keeps the commands the machine emits. */
function recordingScope(commands: ProviderCommand[]): AnyActorScope {
  const scope = createInertActorScope();
  scope.actionExecutor = (action) => {
    if (action.type === 'xstate.emit') commands.push((action.params as { event: ProviderCommand }).event);
  };
  return scope;
}

const PROMPT_STATES = [{ calling: { answered: 'greeting' } }, { calling: { answered: 'reprompting' } }] as const;

/** What the state promises the commands of its entry, as a list of the promises it breaks. */
function brokenPromises(snapshot: MachineSnapshot): string[] {
  const broken: string[] = [];
  const { context } = snapshot;
  const attempt = currentAttempt(context);
  if (snapshot.matches({ calling: 'connecting' }) && (attempt?.target.e164 ?? null) === null) {
    broken.push('connecting without a number to dial');
  }
  if (PROMPT_STATES.some((state) => snapshot.matches(state)) && context.liveCallId === null) {
    broken.push('a prompt without a live call');
  }
  if (snapshot.matches({ calling: { answered: 'sendingExtension' } })) {
    if (context.liveCallId === null) broken.push('sendingExtension without a live call');
    if ((attempt?.target.extension ?? null) === null) broken.push('sendingExtension without an extension');
  }
  return broken;
}

describe('what a state guarantees the commands of its entry, in every reachable state', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: every step keeps them, and each command names the context's call or number`, () => {
      const input = scenarioInput(scenario);
      const adjacency = getAdjacencyMap(machineLogic, { input, events: eventsFor, serializeState, limit: 200_000 });
      const commands: ProviderCommand[] = [];
      const scope = recordingScope(commands);
      const broken = new Set<string>();
      const seen = { dial: 0, playPrompt: 0, sendDigits: 0 };
      for (const { state, transitions } of Object.values(adjacency)) {
        for (const { event } of Object.values<{ event: VerificationEvent }>(transitions)) {
          commands.length = 0;
          const microstates = machine.microstep(state, event, scope);
          const where = `${JSON.stringify(state.value)} --${event.type}-->`;
          for (const microstate of microstates) {
            for (const promise of brokenPromises(microstate)) broken.add(`${where} ${promise}`);
          }
          // A step may go on past the state that sent a command (a deadline due at once): what was live within it.
          const steps = [state, ...microstates];
          const liveCalls = new Set(steps.map((step) => step.context.liveCallId).filter((id) => id !== null));
          const attempts = steps.flatMap((step) => [...step.context.attempts, ...(step.output?.attempts ?? [])]);
          for (const command of commands) {
            if (command.type === 'dial') {
              seen.dial++;
              const numbers = attempts.filter((attempt) => attempt.index === command.attempt).map((a) => a.target.e164);
              expect(numbers, where).toContain(command.to);
            }
            if (command.type === 'playPrompt' || command.type === 'sendDigits') {
              seen[command.type]++;
              expect(liveCalls, where).toContain(command.callId);
            }
            if (command.type === 'sendDigits') {
              const extensions = attempts.map((attempt) => attempt.target.extension);
              expect(extensions, where).toContain(command.digits);
            }
          }
        }
      }
      expect([...broken]).toEqual([]);
      expect(seen.dial).toBeGreaterThan(0);
      expect(seen.playPrompt).toBeGreaterThan(0);
      // The number check bound to answer at once reads plain E.164 numbers: no extension to send.
      if (scenario.checkNumberAtOnce !== true) expect(seen.sendDigits).toBeGreaterThan(0);
    });
  }
});
