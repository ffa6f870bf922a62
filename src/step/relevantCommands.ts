/**
 * Which of a step's commands still mean something in the state the step
 * reached. A step that replays deadlines passed while nothing ran goes through
 * states whose commands are out of date by the end: only those of the state
 * reached are carried out, and every hang-up (a call must never be left up).
 *
 * @module
 */
import type { ProviderCommand } from '../machine/commands.js';
import type { VerificationContext } from '../machine/context.js';

/** What the step reached: the machine's context and whether it awaits a dial's answer. */
export interface ReachedState {
  context: VerificationContext;
  /** The machine waits for the answer to the dial of its current attempt. */
  awaitingDialAck: boolean;
  /** The machine is sending the live call's extension digits. */
  sendingExtension: boolean;
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
