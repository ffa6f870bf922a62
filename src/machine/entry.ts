/**
 * Judging what the callee types. Pure functions over the entry buffer: the keys
 * typed since the last judged entry, without the `#` that ends an entry.
 *
 * @module
 */
import type { VerificationMode } from './types.js';

/** Longest entry kept; a longer one is invalid whatever it holds. */
export const MAX_ENTRY_LENGTH = 32;

/** What decides a verdict. */
export interface EntryRules {
  mode: VerificationMode;
  /** Fraud code digits, or `null` when disabled. */
  fraudCode: string | null;
  maxInvalidEntries: number;
}

/** The callee's input so far on the live call. */
export interface EntryProgress {
  /** Keys typed since the last judged entry. */
  entry: string;
  invalidEntries: number;
}

/**
 * The verdict after a batch of keys:
 * - `typing` — no entry finished;
 * - `approved` — `#` alone in standard mode;
 * - `fraud` — the fraud code then `#`;
 * - `check-pin` — a PIN then `#` in PIN mode: the host's verifier decides;
 * - `invalid` — one or more invalid entries, the limit not reached: re-prompt;
 * - `exhausted` — the limit of invalid entries reached: denied.
 */
export type EntryVerdict = 'typing' | 'approved' | 'fraud' | 'check-pin' | 'invalid' | 'exhausted';

/** The outcome of {@link scanKeys}. */
export interface KeyScan extends EntryProgress {
  verdict: EntryVerdict;
  /** How many of the keys were taken; keys after a final verdict are not. */
  keysTaken: number;
}

function appendKey(entry: string, key: string): string {
  // Keep one key past the limit so that an over-long entry stays recognisably invalid.
  return entry.length > MAX_ENTRY_LENGTH ? entry : entry + key;
}

/**
 * Applies keys in order to the entry buffer and judges each entry ended by `#`.
 * Scanning stops at the first verdict that ends the attempt or needs the PIN
 * verifier; for `check-pin` the returned `entry` is the PIN candidate.
 *
 * @example
 * ```ts
 * const rules = { mode: 'standard', fraudCode: '0', maxInvalidEntries: 3 } as const;
 * scanKeys({ entry: '', invalidEntries: 0 }, '#', rules).verdict; // 'approved'
 * scanKeys({ entry: '', invalidEntries: 0 }, '0#', rules).verdict; // 'fraud'
 * scanKeys({ entry: '', invalidEntries: 0 }, '5#', rules).verdict; // 'invalid'
 * ```
 */
export function scanKeys(progress: EntryProgress, keys: string, rules: EntryRules): KeyScan {
  let entry = progress.entry;
  let invalidEntries = progress.invalidEntries;
  let sawInvalid = false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys.charAt(i);
    if (key !== '#') {
      entry = appendKey(entry, key);
      continue;
    }
    const judged = entry;
    entry = '';
    const keysTaken = i + 1;
    if (rules.fraudCode !== null && judged === rules.fraudCode) {
      return { verdict: 'fraud', entry, invalidEntries, keysTaken };
    }
    if (rules.mode === 'standard' && judged === '') {
      return { verdict: 'approved', entry, invalidEntries, keysTaken };
    }
    if (rules.mode === 'pin' && judged !== '' && judged.length <= MAX_ENTRY_LENGTH) {
      return { verdict: 'check-pin', entry: judged, invalidEntries, keysTaken };
    }
    invalidEntries += 1;
    if (invalidEntries >= rules.maxInvalidEntries) {
      return { verdict: 'exhausted', entry, invalidEntries, keysTaken };
    }
    sawInvalid = true;
  }
  return { verdict: sawInvalid ? 'invalid' : 'typing', entry, invalidEntries, keysTaken: keys.length };
}

/** The verdict when the input timer expires. */
export type TimeoutVerdict = 'no-response' | 'invalid' | 'exhausted';

/**
 * Judges an input timeout: with nothing typed it is `no-response`; with keys
 * typed it is an invalid entry.
 *
 * @example
 * ```ts
 * judgeTimeout({ entry: '', invalidEntries: 0 }, 3); // { verdict: 'no-response', invalidEntries: 0 }
 * judgeTimeout({ entry: '12', invalidEntries: 2 }, 3); // { verdict: 'exhausted', invalidEntries: 3 }
 * ```
 */
export function judgeTimeout(
  progress: EntryProgress,
  maxInvalidEntries: number,
): { verdict: TimeoutVerdict; invalidEntries: number } {
  if (progress.entry === '') return { verdict: 'no-response', invalidEntries: progress.invalidEntries };
  const invalidEntries = progress.invalidEntries + 1;
  return { verdict: invalidEntries >= maxInvalidEntries ? 'exhausted' : 'invalid', invalidEntries };
}
