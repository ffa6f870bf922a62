/**
 * DTMF detection from audio, for providers that deliver the call's audio but
 * not its key presses: the standard row/column Goertzel detector
 * (ITU-T Q.23: rows 697/770/852/941 Hz, columns 1209/1336/1477/1633 Hz)
 * with the checks of Asterisk's main/dsp.c, whose comment quotes the AT&T
 * receiver specification: tones of 40 ms or more with 50 ms pauses, normal
 * twist up to 8 dB and reverse twist up to 4 dB accepted, frequencies within
 * ±1.5 % detected and beyond ±3.5 % rejected, 15 dB signal to noise.
 *
 * Every 4 ms it looks at the last 128 samples (16 ms). Asterisk and spandsp
 * use 102-sample blocks; 128 samples part adjacent rows (73 Hz apart) by
 * 17 dB instead of overlapping their main lobes, keep a row tone's leakage
 * from moving a column tone's level by more than about 1 dB, and still fit a
 * 40 ms tone several times. A window is a hit for a key when
 * - the strongest row and column each stand 8 dB above the other rows and
 *   columns (Asterisk's relative peaks);
 * - each is within 3 % of its nominal frequency, measured from the turn of
 *   its filter's phase from hop to hop;
 * - corrected for the filter's loss at that offset, each is at least
 *   `minLevelDbm0`, the row at most `normalTwistDb` above the column and the
 *   column at most `reverseTwistDb` above the row;
 * - the two hold at least 75 % of the window's energy (no speech around them).
 *
 * A key counts after 4 hits in a row (28 ms of tone) and must be released by
 * 9 windows without it (36 ms) before it, or another press of it, counts again:
 * a pause of 50 ms leaves about 14 such windows, a dropout of up to about 15 ms
 * (a lost packet) fewer than 9, so it does not split one press in two; while it is held, its twist may exceed the limits by 2 dB, so that the
 * ±1 dB the other tone's leakage adds near the limit cannot split a press.
 *
 * @module
 */
import type { DtmfDigit, EmitDetection, HopDetector } from './detections.js';
import { dbm0ToPower } from './levels.js';
import { SAMPLE_RATE_HZ, samplesToMs } from './sampleClock.js';
import { HOP_SAMPLES, type ToneBank } from './toneBank.js';

/**
 * Options of DTMF detection.
 *
 * @example
 * ```ts
 * new AudioAnalyser({ dtmf: { minLevelDbm0: -30, normalTwistDb: 6 } });
 * ```
 */
export interface DtmfOptions {
  /** Weakest row or column tone, in dBm0. Default −36. */
  minLevelDbm0?: number;
  /** How far the row (low) tone may be above the column (high) tone. Default 8 dB. */
  normalTwistDb?: number;
  /** How far the column (high) tone may be above the row (low) tone. Default 4 dB. */
  reverseTwistDb?: number;
}

export const DEFAULT_DTMF_OPTIONS: Required<DtmfOptions> = { minLevelDbm0: -36, normalTwistDb: 8, reverseTwistDb: 4 };

const ROWS_HZ = [697, 770, 852, 941] as const;
const COLUMNS_HZ = [1209, 1336, 1477, 1633] as const;
const KEYPAD: readonly (readonly DtmfDigit[])[] = [
  ['1', '2', '3', 'A'],
  ['4', '5', '6', 'B'],
  ['7', '8', '9', 'C'],
  ['*', '0', '#', 'D'],
];
const WINDOW_HOPS = 4;
const WINDOW_SAMPLES = WINDOW_HOPS * HOP_SAMPLES;
const RELATIVE_PEAK = 10 ** (8 / 10);
/** Between the ±1.5 % that must be detected and the ±3.5 % that must be rejected. */
const MAX_DEVIATION = 0.03;
const MIN_SHARE = 0.75;
const HITS_TO_ACCEPT = 4;
/** Windows without the held key that release it: more than a dropout of 15 ms leaves, fewer than a 50 ms pause. */
const MISSES_TO_RELEASE = 9;
const HELD_TWIST_MARGIN = 10 ** (2 / 10);
const NO_KEY = -1;

const dbToRatio = (db: number): number => 10 ** (db / 10);

export class DtmfDetector implements HopDetector {
  private readonly rowBins: Int32Array;
  private readonly columnBins: Int32Array;
  private readonly rowPowers = new Float64Array(4);
  private readonly columnPowers = new Float64Array(4);
  private readonly minPower: number;
  private readonly normalTwist: number;
  private readonly reverseTwist: number;
  /** The strongest row and column filters of the window, their offsets from nominal, and their levels. */
  private readonly pair = new Int32Array(2);
  private readonly pairOffsetsHz = new Float64Array(2);
  private readonly pairPowers = new Float64Array(2);
  private candidate = NO_KEY;
  private hits = 0;
  private held = NO_KEY;

  private misses = 0;

  constructor(
    private readonly bank: ToneBank,
    options: Required<DtmfOptions>,
  ) {
    this.rowBins = Int32Array.from(ROWS_HZ, (frequency) => bank.addFrequency(frequency));
    this.columnBins = Int32Array.from(COLUMNS_HZ, (frequency) => bank.addFrequency(frequency));
    this.minPower = dbm0ToPower(options.minLevelDbm0);
    this.normalTwist = dbToRatio(options.normalTwistDb);
    this.reverseTwist = dbToRatio(options.reverseTwistDb);
  }

  onHop(_hop: Float64Array, endSample: number, emit: EmitDetection): void {
    const key = this.keyInWindow();
    if (key !== NO_KEY && key === this.candidate) this.hits++;
    else {
      this.candidate = key;
      this.hits = key === NO_KEY ? 0 : 1;
    }
    if (this.held !== NO_KEY) {
      if (key === this.held) this.misses = 0;
      else if (++this.misses >= MISSES_TO_RELEASE) this.held = NO_KEY;
    }
    if (this.hits >= HITS_TO_ACCEPT && this.candidate !== this.held) {
      this.held = this.candidate;
      this.misses = 0;
      const row = Math.floor(this.held / 4);
      emit({
        type: 'dtmf',
        atMs: samplesToMs(endSample),
        digit: (KEYPAD[row] as readonly DtmfDigit[])[this.held % 4] as DtmfDigit,
      });
    }
  }

  /** The key (row·4 + column) the window holds, or NO_KEY. */
  private keyInWindow(): number {
    const row = this.strongest(this.rowBins, this.rowPowers);
    const column = this.strongest(this.columnBins, this.columnPowers);
    if (!this.standsOut(this.rowPowers, row) || !this.standsOut(this.columnPowers, column)) return NO_KEY;
    const { pair, pairOffsetsHz, pairPowers } = this;
    pair[0] = this.rowBins[row] as number;
    pair[1] = this.columnBins[column] as number;
    this.bank.frequencyOffsetsHz(pair, WINDOW_HOPS, pairOffsetsHz);
    pairPowers[0] = this.rowPowers[row] as number;
    pairPowers[1] = this.columnPowers[column] as number;
    for (let i = 0; i < 2; i++) {
      const offsetHz = pairOffsetsHz[i] as number;
      const nominalHz = (i === 0 ? ROWS_HZ[row] : COLUMNS_HZ[column]) as number;
      if (Math.abs(offsetHz) > MAX_DEVIATION * nominalHz) return NO_KEY;
      // The level as sent: a tone off the filter's centre shows weaker in it, by the filter's (sinc²) response there.
      const x = (Math.PI * offsetHz * WINDOW_SAMPLES) / SAMPLE_RATE_HZ;
      if (x !== 0) pairPowers[i] = (pairPowers[i] as number) / (Math.sin(x) / x) ** 2;
    }
    const rowPower = pairPowers[0] as number;
    const columnPower = pairPowers[1] as number;
    if (rowPower < this.minPower || columnPower < this.minPower) return NO_KEY;
    // A key already held keeps 2 dB more twist: the other tone's leakage moves a level by about 1 dB,
    // which must not split one press into two.
    const margin = row * 4 + column === this.held ? HELD_TWIST_MARGIN : 1;
    if (rowPower > columnPower * this.normalTwist * margin || columnPower > rowPower * this.reverseTwist * margin) {
      return NO_KEY;
    }
    if (rowPower + columnPower < MIN_SHARE * (this.bank.windowMeanSquare[WINDOW_HOPS] as number)) return NO_KEY;
    return row * 4 + column;
  }

  private strongest(bins: Int32Array, powers: Float64Array): number {
    let best = 0;
    this.bank.powers(bins, WINDOW_HOPS, powers);
    for (let i = 1; i < bins.length; i++) if ((powers[i] as number) > (powers[best] as number)) best = i;
    return best;
  }

  private standsOut(powers: Float64Array, best: number): boolean {
    const limit = (powers[best] as number) / RELATIVE_PEAK;
    for (let i = 0; i < powers.length; i++) if (i !== best && (powers[i] as number) > limit) return false;
    return true;
  }
}
