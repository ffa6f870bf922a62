/**
 * Typed errors of the simulated carrier: a simulation that cannot run as
 * written.
 *
 * @module
 */
import { type RequestIssue, VoiceMfaError } from '../../errors.js';

/**
 * Simulated-carrier options, a callee script or a fault plan that cannot
 * work. `issues` lists every problem found, not just the first; numbers in
 * paths are masked.
 *
 * @example
 * ```ts
 * try {
 *   new SimulatedCarrier({ clock, numbers: { '+14255550100': { kind: 'answers', answerAfterMs: 1_000, answerAtMs: 9_000 } } });
 * } catch (error) {
 *   if (error instanceof InvalidSimulationError) error.issues;
 *   // [{ path: 'numbers.+1 425 ••• 0100', message: 'give answerAfterMs (from the first ring) or answerAtMs (from the dial), not both' }]
 * }
 * ```
 */
export class InvalidSimulationError extends VoiceMfaError {
  readonly issues: readonly RequestIssue[];

  constructor(issues: readonly RequestIssue[]) {
    super('INVALID_CONFIGURATION', `Invalid simulation: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.issues = issues;
  }
}
