/**
 * Typed errors of the simulated carrier: a simulation that cannot run as
 * written, and the error a scripted dial failure throws.
 *
 * @module
 */
import { describeIssues, type RequestIssue, VoiceMfaError } from '../../errors.js';

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
    super('INVALID_CONFIGURATION', `Invalid simulation: ${describeIssues(issues)}`);
    this.issues = issues;
  }
}

/**
 * What a dial fails with when a scripted fault says so: an error shaped like
 * a REST client's (Twilio's `RestException`, for one), whose `code` is the
 * provider's own error code. The runtime reports it as a `failed` attempt
 * with that code.
 *
 * @example
 * ```ts
 * const error = new SimulatedApiError('20429', 'Too Many Requests');
 * error.code; // '20429'
 * ```
 */
export class SimulatedApiError extends Error {
  /** The provider's error code, e.g. Twilio's `21217`. */
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'SimulatedApiError';
    this.code = code;
  }
}
