/**
 * The error audio analysis throws for options that cannot work.
 *
 * @module
 */
import { describeIssues, type RequestIssue, VoiceMfaError } from '../errors.js';

/**
 * Audio analyser options that cannot work, or arguments of the audio building
 * blocks (an output array of `decodeMulaw` too short for the input). `issues`
 * lists every problem found, not just the first; the code is
 * `INVALID_CONFIGURATION`, and the message names what was given.
 *
 * @example
 * ```ts
 * // @ts-expect-error: TypeScript refuses 'xx' already; the analyser checks options from JavaScript or a file
 * try { new AudioAnalyser({ callProgress: { zones: ['xx'] } }); }
 * catch (error) {
 *   if (error instanceof InvalidAudioConfigurationError) error.issues; // [{ path: 'callProgress.zones.0', message: '…' }]
 * }
 * decodeMulaw(new Uint8Array(160), new Int16Array(80));
 * // throws: Invalid decodeMulaw arguments: into: holds 80 samples, fewer than the 160 of the input
 * ```
 */
export class InvalidAudioConfigurationError extends VoiceMfaError {
  readonly issues: readonly RequestIssue[];

  /** `subject`: what was given, as the message names it. */
  constructor(issues: readonly RequestIssue[], subject = 'audio analyser options') {
    super('INVALID_CONFIGURATION', `Invalid ${subject}: ${describeIssues(issues)}`);
    this.issues = issues;
  }
}
