/**
 * What the audio analyser reports. Every detection carries `atMs`, the
 * moment of the stream (milliseconds from its first sample, counted in
 * samples) at which the analyser decided; tone detections also say when the
 * tone began.
 *
 * @module
 */
import type { SitKind } from '../machine/events.js';
import type { SitCode, SitSegment } from './sitTones.js';

/**
 * Special information tones (three rising tones before an intercept
 * announcement), classified by their segments.
 *
 * @example
 * ```ts
 * { type: 'sit', atMs: 1240, startMs: 200, code: 'VC', kind: 'vacant-code',
 *   segments: [{ frequencyHz: 985.2, durationMs: 381 }, { frequencyHz: 1370.6, durationMs: 273 }, { frequencyHz: 1776.7, durationMs: 379 }] }
 * ```
 */
export interface SitDetection {
  type: 'sit';
  /** When the analyser decided: shortly after the third tone ended. */
  atMs: number;
  /** When the first tone began. */
  startMs: number;
  /** Which sequence: a North American code, the ITU-T E.180 nominal one, or `other`. */
  code: SitCode;
  /** The library's SIT kind for the code (`unknown` for E180 and other). */
  kind: SitKind;
  /** The three tones as heard: nominal frequency of the filter that matched, and measured duration. */
  segments: readonly SitSegment[];
}

/**
 * The call-progress tones told apart by their cadence.
 *
 * @example
 * ```ts
 * const rollOverOn: CallProgressToneType[] = ['busy', 'reorder'];
 * ```
 */
export type CallProgressToneType = 'busy' | 'reorder' | 'ringback';

/**
 * A busy, reorder (fast busy, congestion) or ringback tone, recognised by its
 * frequencies and on/off cadence in one of the configured zones.
 *
 * @example
 * ```ts
 * { type: 'busy', atMs: 2004, startMs: 12, zone: 'us' }
 * ```
 */
export interface CallProgressToneDetection {
  type: CallProgressToneType;
  /** When the cadence had been heard often enough to decide. */
  atMs: number;
  /** When the first tone of the matched cadence began. */
  startMs: number;
  /** Name of the tone zone whose table matched. */
  zone: string;
}

/**
 * Why the answering-machine heuristic decided, after Asterisk app_amd's AMDCAUSE.
 *
 * @example
 * ```ts
 * const cause: AnsweringMachineCause = 'max-words'; // AMDCAUSE=MAXWORDS
 * ```
 */
export type AnsweringMachineCause =
  | 'initial-silence'
  | 'after-greeting-silence'
  | 'long-greeting'
  | 'max-words'
  | 'max-word-length'
  | 'too-long';

/**
 * The answering-machine heuristic's verdict, once per stream: `human`,
 * `machine`, or `not-sure` when the analysis time ran out (app_amd's
 * AMDSTATUS values HUMAN, MACHINE, NOTSURE).
 *
 * @example
 * ```ts
 * { type: 'human', atMs: 1520, cause: 'after-greeting-silence' } // "Hello?" then silence
 * ```
 */
export interface AnsweringMachineDetection {
  type: 'human' | 'machine' | 'not-sure';
  atMs: number;
  cause: AnsweringMachineCause;
}

/**
 * A beep: one steady tone, alone (not part of a sequence of tones), such as
 * an answering machine plays before it records.
 *
 * @example
 * ```ts
 * { type: 'beep', atMs: 4680, startMs: 4200, endMs: 4600, frequencyHz: 1002 }
 * ```
 */
export interface BeepDetection {
  type: 'beep';
  /** When the analyser decided: shortly after the tone ended. */
  atMs: number;
  startMs: number;
  endMs: number;
  /** Measured frequency, rounded to 1 Hz. */
  frequencyHz: number;
}

/**
 * The sixteen DTMF keys.
 *
 * @example
 * ```ts
 * const finish: DtmfDigit = '#';
 * ```
 */
export type DtmfDigit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

/**
 * A key pressed on the far end, heard as a DTMF tone pair.
 *
 * @example
 * ```ts
 * { type: 'dtmf', atMs: 3312, digit: '#' }
 * ```
 */
export interface DtmfDetection {
  type: 'dtmf';
  /** When the key's tone had lasted long enough to count (about 30 ms after it began). */
  atMs: number;
  digit: DtmfDigit;
}

/**
 * Everything the analyser reports; switch on `type`.
 *
 * @example
 * ```ts
 * for (const detection of analyser.pushMulaw(frame)) {
 *   if (detection.type === 'sit') rollOver(detection.kind);
 * }
 * ```
 */
export type AudioDetection =
  | SitDetection
  | CallProgressToneDetection
  | AnsweringMachineDetection
  | BeepDetection
  | DtmfDetection;

/** Receives the detections of one hop. */
export type EmitDetection = (detection: AudioDetection) => void;

/** A detector driven by the analyser once per hop of audio, after the tone bank has filtered it. */
export interface HopDetector {
  /** `hop` holds the hop's samples; `endSample` counts the samples of the stream up to its end. */
  onHop(hop: Float64Array, endSample: number, emit: EmitDetection): void;
}
