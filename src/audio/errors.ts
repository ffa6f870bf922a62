/**
 * The error audio analysis throws for options that cannot work.
 *
 * @module
 */
import { type RequestIssue, VoiceMfaError } from '../errors.js';

/**
 * Audio analyser options that cannot work. `issues` lists every problem
 * found, not just the first; the code is `INVALID_CONFIGURATION`.
 *
 * @example
 * ```ts
 * // @ts-expect-error: TypeScript refuses 'xx' already; the analyser checks options from JavaScript or a file
 * try { new AudioAnalyser({ callProgress: { zones: ['xx'] } }); }
 * catch (error) {
 *   if (error instanceof InvalidAudioConfigurationError) error.issues; // [{ path: 'callProgress.zones.0', message: '…' }]
 * }
 * ```
 */
export class InvalidAudioConfigurationError extends VoiceMfaError {
  readonly issues: readonly RequestIssue[];

  constructor(issues: readonly RequestIssue[]) {
    super(
      'INVALID_CONFIGURATION',
      `Invalid audio analyser options: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
    this.issues = issues;
  }
}
