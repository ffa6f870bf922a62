/**
 * A test driver for the verification machine on virtual time: it records the
 * commands, stamps events with the simulated clock, and plays a provider's part.
 */
import { SimulatedClock } from 'xstate';
import type { ProviderCommand } from '../../src/machine/commands.js';
import type { CallEnding, VerificationEvent } from '../../src/machine/events.js';
import type { VerificationRequest } from '../../src/machine/types.js';
import { createVerificationActor, type VerificationActorOptions } from '../../src/runtime/createVerificationActor.js';

/** Lets pending promise callbacks (the injected checks) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export interface Harness {
  clock: SimulatedClock;
  commands: ProviderCommand[];
  actor: ReturnType<typeof createVerificationActor>;
  send(event: VerificationEvent): Promise<void>;
  /** Sends an event without `at`, as an untrusted provider may. */
  sendRaw(event: unknown): Promise<void>;
  advance(ms: number): Promise<void>;
  /** Commands of one type. */
  sent<T extends ProviderCommand['type']>(type: T): Extract<ProviderCommand, { type: T }>[];
  last<T extends ProviderCommand['type']>(type: T): Extract<ProviderCommand, { type: T }>;
  state(): string;
  status(): string;
  output(): NonNullable<ReturnType<Harness['actor']['getSnapshot']>['output']>;
  /** Answers the pending dial with `callId`. */
  dialed(callId: string): Promise<void>;
  /** Dial acknowledged, ringing, answered: the call is at the greeting. */
  answer(callId: string): Promise<void>;
  /** Reports the end of the last prompt. */
  promptFinished(callId: string): Promise<void>;
  keys(callId: string, digits: string): Promise<void>;
  ended(callId: string, ending: CallEnding): Promise<void>;
}

export async function startHarness(
  request: VerificationRequest,
  options: Omit<VerificationActorOptions, 'clock'> = {},
): Promise<Harness> {
  const clock = new SimulatedClock();
  const commands: ProviderCommand[] = [];
  const actor = createVerificationActor(request, { ...options, clock });
  actor.on('*', (command) => {
    commands.push(command as ProviderCommand);
  });
  const h: Harness = {
    clock,
    commands,
    actor,
    async send(event) {
      actor.send({ ...event, at: clock.now() } as VerificationEvent);
      await flush();
    },
    async sendRaw(event) {
      actor.send(event as VerificationEvent);
      await flush();
    },
    async advance(ms) {
      clock.increment(ms);
      await flush();
    },
    sent(type) {
      return commands.filter((c) => c.type === type) as never;
    },
    last(type) {
      const list = h.sent(type);
      const item = list[list.length - 1];
      if (item === undefined) throw new Error(`no ${type} command was sent`);
      return item;
    },
    state() {
      return JSON.stringify(actor.getSnapshot().value);
    },
    status() {
      return actor.getSnapshot().status;
    },
    output() {
      const output = actor.getSnapshot().output;
      if (output === undefined) throw new Error(`not finished: ${h.state()}`);
      return output;
    },
    async dialed(callId) {
      const dial = h.last('dial');
      await h.send({ type: 'call.dialed', attempt: dial.attempt, callId });
    },
    async answer(callId) {
      await h.dialed(callId);
      await h.send({ type: 'call.ringing', callId });
      await h.send({ type: 'call.answered', callId });
    },
    async promptFinished(callId) {
      await h.send({ type: 'call.promptFinished', callId, promptSeq: h.last('playPrompt').promptSeq });
    },
    async keys(callId, digits) {
      await h.send({ type: 'call.digits', callId, digits });
    },
    async ended(callId, ending) {
      await h.send({ type: 'call.ended', callId, ending });
    },
  };
  actor.start();
  await flush();
  return h;
}
