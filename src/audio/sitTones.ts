/**
 * The special information tone sequences and their classification. The
 * frequencies, durations and codes are those of the North American encoding:
 * first tones 913.8 Hz (low) or 985.2 Hz (high), second 1370.6 (low) or
 * 1428.5 (high), third 1776.7; short 274 ms, long 380 ms; tolerance ±0.2 % in
 * frequency and ±5 % in duration. The ITU-T
 * E.180 nominal sequence is 950/1400/1800 Hz, 330 ms each.
 *
 * @module
 */
import type { SitKind } from '../machine/events.js';

/**
 * Which SIT sequence was heard: the four North American codes (NC no
 * circuit, IC intercept, VC vacant code, RO reorder), `E180` for the ITU-T
 * nominal 950/1400/1800 Hz sequence, `other` for any other combination of
 * those frequencies and durations.
 *
 * @example
 * ```ts
 * const code: SitCode = 'IC'; // intercept: number changed or disconnected
 * ```
 */
export type SitCode = 'NC' | 'IC' | 'VC' | 'RO' | 'E180' | 'other';

/**
 * One tone of a SIT sequence.
 *
 * @example
 * ```ts
 * const firstOfIntercept: SitSegment = { frequencyHz: 913.8, durationMs: 274 };
 * ```
 */
export interface SitSegment {
  frequencyHz: number;
  durationMs: number;
}

/**
 * The codes with a defined sequence.
 *
 * @example
 * ```ts
 * const codes: DefinedSitCode[] = ['NC', 'IC', 'VC', 'RO', 'E180'];
 * ```
 */
export type DefinedSitCode = Exclude<SitCode, 'other'>;

/**
 * The nominal sequences: the North American codes and
 * ITU-T E.180 (E180). For synthesising test audio, and the reference the
 * classifier compares against.
 *
 * @example
 * ```ts
 * SIT_SEQUENCES.IC; // [{ frequencyHz: 913.8, durationMs: 274 }, { frequencyHz: 1370.6, durationMs: 274 }, { frequencyHz: 1776.7, durationMs: 380 }]
 * ```
 */
export const SIT_SEQUENCES: Readonly<Record<DefinedSitCode, readonly [SitSegment, SitSegment, SitSegment]>> = {
  NC: [
    { frequencyHz: 985.2, durationMs: 380 },
    { frequencyHz: 1428.5, durationMs: 380 },
    { frequencyHz: 1776.7, durationMs: 380 },
  ],
  IC: [
    { frequencyHz: 913.8, durationMs: 274 },
    { frequencyHz: 1370.6, durationMs: 274 },
    { frequencyHz: 1776.7, durationMs: 380 },
  ],
  VC: [
    { frequencyHz: 985.2, durationMs: 380 },
    { frequencyHz: 1370.6, durationMs: 274 },
    { frequencyHz: 1776.7, durationMs: 380 },
  ],
  RO: [
    { frequencyHz: 913.8, durationMs: 274 },
    { frequencyHz: 1428.5, durationMs: 380 },
    { frequencyHz: 1776.7, durationMs: 380 },
  ],
  E180: [
    { frequencyHz: 950, durationMs: 330 },
    { frequencyHz: 1400, durationMs: 330 },
    { frequencyHz: 1800, durationMs: 330 },
  ],
};

/** The library's SIT kind of each code; E.180 and unlisted combinations carry no meaning of their own. */
const SIT_KIND_BY_CODE: Readonly<Record<SitCode, SitKind>> = {
  NC: 'no-circuit',
  IC: 'intercept',
  VC: 'vacant-code',
  RO: 'reorder',
  E180: 'unknown',
  other: 'unknown',
};

const NORTH_AMERICAN_CODES = ['NC', 'IC', 'VC', 'RO'] as const;

/** Short (274 ms) and long (380 ms) tones are told apart halfway between them. */
const SHORT_TONE_LIMIT_MS = (274 + 380) / 2;

/** How far a frequency may be from a nominal one to count as it: wider than the ±0.2 % tolerance, narrower than half the gap between neighbours (913.8/950, 1370.6/1400). */
const FREQUENCY_MATCH = 0.01;

const isNear = (frequencyHz: number, nominalHz: number): boolean =>
  Math.abs(frequencyHz - nominalHz) <= nominalHz * FREQUENCY_MATCH;

/** A length a tone can have had: NaN would otherwise read as long, and zero or less as short. */
const hasLength = (tone: SitSegment): boolean => Number.isFinite(tone.durationMs) && tone.durationMs > 0;

const matchesTone = (heard: SitSegment, nominal: SitSegment): boolean =>
  isNear(heard.frequencyHz, nominal.frequencyHz) &&
  heard.durationMs < SHORT_TONE_LIMIT_MS === nominal.durationMs < SHORT_TONE_LIMIT_MS;

/**
 * Classifies three heard SIT tones. A North American code needs both the
 * frequency (low/high) and the length (short/long) of the first two tones to
 * match its row; the third tone must be near 1776.7 or 1800 Hz. E.180 is
 * recognised by frequency alone: its nominal 330 ms lies between short and
 * long. A tone whose length is not a finite number above zero makes the
 * sequence `other`.
 *
 * @example
 * ```ts
 * classifySit([
 *   { frequencyHz: 913.8, durationMs: 270 },
 *   { frequencyHz: 1428.5, durationMs: 377 },
 *   { frequencyHz: 1776.7, durationMs: 381 },
 * ]); // { code: 'RO', kind: 'reorder' }
 * ```
 */
export function classifySit(segments: readonly SitSegment[]): { code: SitCode; kind: SitKind } {
  const [first, second, third] = segments;
  const other = { code: 'other', kind: SIT_KIND_BY_CODE.other } as const;
  if (first === undefined || second === undefined || third === undefined) return other;
  if (!hasLength(first) || !hasLength(second) || !hasLength(third)) return other;
  const thirdIsSit =
    isNear(third.frequencyHz, SIT_SEQUENCES.NC[2].frequencyHz) ||
    isNear(third.frequencyHz, SIT_SEQUENCES.E180[2].frequencyHz);
  if (!thirdIsSit) return other;
  for (const code of NORTH_AMERICAN_CODES) {
    const [nominalFirst, nominalSecond] = SIT_SEQUENCES[code];
    if (matchesTone(first, nominalFirst) && matchesTone(second, nominalSecond)) {
      return { code, kind: SIT_KIND_BY_CODE[code] };
    }
  }
  const [e180First, e180Second] = SIT_SEQUENCES.E180;
  if (isNear(first.frequencyHz, e180First.frequencyHz) && isNear(second.frequencyHz, e180Second.frequencyHz)) {
    return { code: 'E180', kind: SIT_KIND_BY_CODE.E180 };
  }
  return other;
}
