/**
 * Streaming detection of special information tones: three tones in rising
 * order, each 274 or 380 ms (North American) or about 330 ms (E.180), at most
 * a few milliseconds apart.
 *
 * Every 4 ms the detector looks at the last 256 samples (32 ms) through
 * Goertzel filters at the eight nominal frequencies. 256 samples keep the low
 * and high variant of each tone apart: a 913.8 Hz tone leaks 19 dB below it
 * into the 985.2 Hz filter, a 1370.6 Hz tone 22 dB below into 1428.5 Hz (sinc
 * leakage at 2.3 and 1.9 bins of 31.25 Hz), and the E.180 filters 950/1400 Hz
 * sit 17–24 dB down. At the 183 samples of Asterisk's DSP the variants smear
 * into each other. A window is labelled with the tone whose
 * filter holds at least 60 % of its energy; tone lengths are measured between
 * label changes in window-centre time, which places each edge to within one
 * hop, so short (≤ 288 ms) and long (≥ 361 ms) tones stay apart even at the
 * ends of their ±5 % tolerance.
 *
 * @module
 */
import type { EmitDetection, HopDetector } from './detections.js';
import { dbm0ToPower } from './levels.js';
import { SAMPLES_PER_MS, samplesToMs } from './sampleClock.js';
import { classifySit, SIT_SEQUENCES, type SitSegment } from './sitTones.js';
import { HOP_SAMPLES, type ToneBank } from './toneBank.js';

/**
 * Options of SIT detection.
 *
 * @example
 * ```ts
 * new AudioAnalyser({ sit: { minLevelDbm0: -40 } });
 * ```
 */
export interface SitOptions {
  /** Weakest tone heard, in dBm0. Default −45, well below the −10 to −30 dBm0 the tests cover. */
  minLevelDbm0?: number;
}

export const DEFAULT_SIT_OPTIONS: Required<SitOptions> = { minLevelDbm0: -45 };

const WINDOW_HOPS = 8;
const WINDOW_SAMPLES = WINDOW_HOPS * HOP_SAMPLES;
/** Share of a window's energy the strongest filter must hold for the window to count as that tone. */
const PURITY = 0.6;
/**
 * A window whose leading share of tone reaches PURITY is labelled; its centre
 * then lies this many samples after the tone's true start (and before its end).
 */
const EDGE_OFFSET_SAMPLES = (PURITY - 0.5) * WINDOW_SAMPLES;
/** Accepted tone lengths: the shortest and longest nominal tone with room for tolerance and measurement. */
const MIN_TONE_SAMPLES = 220 * SAMPLES_PER_MS;
const MAX_TONE_SAMPLES = 460 * SAMPLES_PER_MS;
/**
 * Longest pause between tones: North American tones follow within 4 ms; room
 * is left for equipment that pauses briefly (how long E.180 allows is not in
 * our reference), plus the windows that straddle two tones.
 */
const MAX_GAP_SAMPLES = 80 * SAMPLES_PER_MS;
/**
 * Hops without the third tone that end the sequence once it is long enough to
 * be one (a single noisy window does not). Before that, a dropout (a lost
 * packet, a click, which spoil every window over them) is a gap in the tone,
 * as in the first two.
 */
const END_HOPS = 3;

const IDLE = -1;
const BLOCKED = 3;

/** The candidate frequencies of each of the three tones, from the nominal sequences. */
const TONE_CANDIDATES: readonly (readonly number[])[] = [0, 1, 2].map((position) => [
  ...new Set(Object.values(SIT_SEQUENCES).map((sequence) => (sequence[position] as SitSegment).frequencyHz)),
]);

export class SitDetector implements HopDetector {
  private readonly bins: Int32Array;
  /** Which tone (0, 1, 2) each filter belongs to, and its nominal frequency. */
  private readonly positionOfFilter: Int8Array;
  private readonly frequencyOfFilter: Float64Array;
  private readonly minPower: number;
  /** Energy collected per filter during the current tone, to pick its frequency. */
  private readonly filterEnergy: Float64Array;
  private readonly powers: Float64Array;

  /** Tone being followed (0, 1, 2), IDLE, or BLOCKED while an over-long tone lasts. */
  private position = IDLE;
  private blockedPosition = IDLE;
  private readonly toneStart = new Float64Array(3);
  private readonly toneFilter = new Int32Array(3);
  private lastLabelCentre = 0;
  private gapHops = 0;

  constructor(
    private readonly bank: ToneBank,
    options: Required<SitOptions>,
  ) {
    const filters = TONE_CANDIDATES.flatMap((frequencies, position) =>
      frequencies.map((frequencyHz) => ({ frequencyHz, position })),
    );
    this.bins = Int32Array.from(filters, (filter) => bank.addFrequency(filter.frequencyHz));
    this.positionOfFilter = Int8Array.from(filters, (filter) => filter.position);
    this.frequencyOfFilter = Float64Array.from(filters, (filter) => filter.frequencyHz);
    this.filterEnergy = new Float64Array(filters.length);
    this.powers = new Float64Array(filters.length);
    this.minPower = dbm0ToPower(options.minLevelDbm0);
  }

  onHop(_hop: Float64Array, endSample: number, emit: EmitDetection): void {
    const energy = this.bank.windowMeanSquare[WINDOW_HOPS] as number;
    this.bank.powers(this.bins, WINDOW_HOPS, this.powers);
    let best = -1;
    let bestPower = 0;
    for (let filter = 0; filter < this.bins.length; filter++) {
      const power = this.powers[filter] as number;
      if (power > bestPower) {
        best = filter;
        bestPower = power;
      }
    }
    const labelled = best >= 0 && bestPower >= this.minPower && bestPower >= PURITY * energy;
    const label = labelled ? (this.positionOfFilter[best] as number) : IDLE;
    this.follow(label, best, endSample - WINDOW_SAMPLES / 2, endSample, emit);
  }

  /** Follows the sequence with the window labelled by `filter` (its power is in `powers`), centred at `centre`. */
  private follow(label: number, filter: number, centre: number, endSample: number, emit: EmitDetection): void {
    const position = this.position;
    if (position === IDLE) {
      if (label === 0) this.startTone(0, centre - EDGE_OFFSET_SAMPLES, filter, centre);
      return;
    }
    if (position === BLOCKED) {
      if (label !== this.blockedPosition) {
        this.position = IDLE;
        if (label === 0) this.startTone(0, centre - EDGE_OFFSET_SAMPLES, filter, centre);
      }
      return;
    }
    if (label === position) {
      this.lastLabelCentre = centre;
      this.gapHops = 0;
      this.filterEnergy[filter] = (this.filterEnergy[filter] as number) + (this.powers[filter] as number);
      if (centre - (this.toneStart[position] as number) > MAX_TONE_SAMPLES) {
        this.position = BLOCKED;
        this.blockedPosition = position;
      }
      return;
    }
    if (label === IDLE) {
      this.gapHops++;
      if (position === 2 && this.gapHops >= END_HOPS && this.thirdToneLength() >= MIN_TONE_SAMPLES) {
        this.finish(endSample, emit);
      } else if (centre - this.lastLabelCentre > MAX_GAP_SAMPLES) this.position = IDLE;
      return;
    }
    if (label === position + 1) {
      const boundary = (this.lastLabelCentre + centre) / 2;
      const length = boundary - (this.toneStart[position] as number);
      if (length < MIN_TONE_SAMPLES || length > MAX_TONE_SAMPLES) {
        this.position = IDLE;
        return;
      }
      this.toneFilter[position] = this.strongestFilter(position);
      this.startTone(label, boundary, filter, centre);
      return;
    }
    // A tone out of order: the sequence is broken; a first tone may begin a new one.
    if (position === 2) this.finish(endSample, emit);
    this.position = IDLE;
    if (label === 0) this.startTone(0, centre - EDGE_OFFSET_SAMPLES, filter, centre);
  }

  private startTone(position: number, start: number, filter: number, centre: number): void {
    this.position = position;
    this.toneStart[position] = start;
    this.filterEnergy.fill(0);
    this.filterEnergy[filter] = this.powers[filter] as number;
    this.lastLabelCentre = centre;
    this.gapHops = 0;
  }

  private strongestFilter(position: number): number {
    let strongest = -1;
    for (let filter = 0; filter < this.filterEnergy.length; filter++) {
      if (this.positionOfFilter[filter] !== position) continue;
      if (strongest < 0 || (this.filterEnergy[filter] as number) > (this.filterEnergy[strongest] as number))
        strongest = filter;
    }
    return strongest;
  }

  /** The third tone's length so far: from its start to the end of its last labelled window. */
  private thirdToneLength(): number {
    return this.lastLabelCentre + EDGE_OFFSET_SAMPLES - (this.toneStart[2] as number);
  }

  private finish(endSample: number, emit: EmitDetection): void {
    this.position = IDLE;
    const end = this.lastLabelCentre + EDGE_OFFSET_SAMPLES;
    const thirdLength = this.thirdToneLength();
    if (thirdLength < MIN_TONE_SAMPLES || thirdLength > MAX_TONE_SAMPLES) return;
    this.toneFilter[2] = this.strongestFilter(2);
    const boundaries = [this.toneStart[0], this.toneStart[1], this.toneStart[2], end] as number[];
    const segments = [0, 1, 2].map((position) => ({
      frequencyHz: this.frequencyOfFilter[this.toneFilter[position] as number] as number,
      durationMs: samplesToMs((boundaries[position + 1] as number) - (boundaries[position] as number)),
    }));
    const { code, kind } = classifySit(segments);
    emit({
      type: 'sit',
      atMs: samplesToMs(endSample),
      startMs: samplesToMs(boundaries[0] as number),
      code,
      kind,
      segments,
    });
  }
}
