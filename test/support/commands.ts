/**
 * Machine commands as tests hand them to a provider directly.
 */
import type { DialCommand } from '../../src/machine/commands.js';

/** A dial with the default timing (ring 30 s, dial bound 90 s), as the machine would give it. */
export function dialCommand(overrides: Partial<DialCommand> = {}): DialCommand {
  return {
    type: 'dial',
    attempt: 0,
    to: '+14255550100',
    extension: null,
    callerId: null,
    ringTimeoutMs: 30_000,
    dialTimeoutMs: 90_000,
    machineDetection: false,
    ...overrides,
  };
}
