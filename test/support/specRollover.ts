/**
 * The attempt results SPEC.md rolls over after, written out from SPEC.md
 * rather than taken from the library's own list, so that tests check the
 * library against the specification and not against itself.
 */
import type { AttemptResult } from '../../src/index.js';

/** Busy, SIT, invalid, blocked ("either way: roll over"), no answer, failure, no response, voicemail. */
export const SPEC_ROLLS_OVER: readonly AttemptResult[] = [
  'busy',
  'sit',
  'invalid-number',
  'blocked-number',
  'no-answer',
  'failed',
  'no-response',
  'voicemail',
];

/** The results that end a verification whatever targets are left. */
export const SPEC_STOPS: readonly AttemptResult[] = [
  'approved',
  'hung-up',
  'fraud',
  'invalid-input',
  'pin-failed',
  'canceled',
];
