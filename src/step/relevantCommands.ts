/**
 * Which of a step's commands still mean something in the state the step
 * reached. A step that replays deadlines passed while nothing ran goes through
 * states whose commands are out of date by the end: only those of the state
 * reached are carried out, and every hang-up (a call must never be left up).
 * `runVerification` asks the same of a dial it held behind a hang-up.
 *
 * @module
 */
import type { SnapshotFrom } from 'xstate';
import type { ProviderCommand } from '../machine/commands.js';
import type { VerificationContext } from '../machine/context.js';
import type { VerificationCallMachine } from '../machine/verificationCallMachine.js';

const DIAL_ACK_STATE = { calling: { connecting: 'awaitingDialAck' } } as const;
const EXTENSION_STATE = { calling: { answered: 'sendingExtension' } } as const;

/** What the step reached: the machine's context and whether it awaits a dial's answer. */
export interface ReachedState {
  context: VerificationContext;
  /** The machine waits for the answer to the dial of its current attempt. */
  awaitingDialAck: boolean;
  /** The machine is sending the live call's extension digits. */
  sendingExtension: boolean;
}

/** What a snapshot of the machine reached, as the commands are judged by it. */
export function reachedState(snapshot: SnapshotFrom<VerificationCallMachine>): ReachedState {
  return {
    context: snapshot.context,
    awaitingDialAck: snapshot.matches(DIAL_ACK_STATE),
    sendingExtension: snapshot.matches(EXTENSION_STATE),
  };
}

/**
 * The commands to carry out, in order.
 *
 * @example
 * ```ts
 * relevantCommands(commands, { context, awaitingDialAck: snapshot.matches(...), sendingExtension: false });
 * ```
 */
export function relevantCommands(commands: readonly ProviderCommand[], reached: ReachedState): ProviderCommand[] {
  return commands.filter((command) => isRelevant(command, reached));
}

/** Whether the state reached waits for the dial of `attempt`: the attempt under way, not yet answered by the provider. */
export function awaitsDialOf(reached: Pick<ReachedState, 'context' | 'awaitingDialAck'>, attempt: number): boolean {
  return reached.awaitingDialAck && attempt === reached.context.attemptIndex;
}

function isRelevant(command: ProviderCommand, reached: ReachedState): boolean {
  const { context } = reached;
  switch (command.type) {
    case 'hangUp':
      return true;
    case 'dial':
      return awaitsDialOf(reached, command.attempt);
    case 'sendDigits':
      return reached.sendingExtension && command.callId === context.liveCallId;
    case 'playPrompt':
      return command.callId === context.liveCallId && command.promptSeq === context.promptSeq;
  }
}
