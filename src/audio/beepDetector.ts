/**
 * Beep detection: one steady tone of any frequency in a range, alone.
 *
 * A single sine obeys x[n] + x[n−2] = 2·cos(ω)·x[n−1]. Over the last 256
 * samples the detector fits that model to the sums of x[n−1]², x[n−1]·(x[n] +
 * x[n−2]) and (x[n] + x[n−2])², allowing for white noise (which only adds to
 * the first and last), and so estimates the frequency without a filter per
 * candidate frequency. Two tones close together fit that model too, so a
 * Goertzel filter at the frequency must then hold 70 % of the window's energy
 * — at the tone's mean frequency once it has begun, which also ends the tone
 * when it moves by more than about 10 Hz. Hops of 4 ms place the tone's
 * edges. A tone is a beep when it lasts at least `minDurationMs` and no other
 * tone follows or precedes it within 48 ms (between the edges so measured),
 * which keeps the three tones of a SIT (and other tone sequences) from
 * counting as beeps; nor is a tone at the frequency of a single-frequency
 * call-progress tone being listened for (the 450 Hz busy tone of China). The
 * verdict comes once a tone starting 48 ms after the beep's end would have been
 * found: about 80 ms after the beep ended.
 *
 * @module
 */
import type { EmitDetection, HopDetector } from './detections.js';
import { dbm0ToPower } from './levels.js';
import { SAMPLE_RATE_HZ, SAMPLES_PER_MS, samplesToMs } from './sampleClock.js';
import { HOP_SAMPLES, type ToneBank } from './toneBank.js';

/**
 * Options of beep detection.
 *
 * @example
 * ```ts
 * new AudioAnalyser({ beep: { minFrequencyHz: 350, minDurationMs: 150 } });
 * ```
 */
export interface BeepOptions {
  /** Lowest beep frequency. Default 440 Hz. */
  minFrequencyHz?: number;
  /** Highest beep frequency. Default 2000 Hz. */
  maxFrequencyHz?: number;
  /** Shortest beep. Default 200 ms. */
  minDurationMs?: number;
  /** Longest beep; a longer steady tone is something else. Default 5000 ms. */
  maxDurationMs?: number;
  /** Weakest beep, in dBm0. Default −40. */
  minLevelDbm0?: number;
}

export const DEFAULT_BEEP_OPTIONS: Required<BeepOptions> = {
  minFrequencyHz: 440,
  maxFrequencyHz: 2000,
  minDurationMs: 200,
  maxDurationMs: 5000,
  minLevelDbm0: -40,
};

const WINDOW_HOPS = 8;
const WINDOW_SAMPLES = WINDOW_HOPS * HOP_SAMPLES;
/** Least share of the window's energy the single-tone model must explain before a filter checks it. */
const MIN_MODEL_SHARE = 0.7;
/** Least share of the window's energy the filter at the tone's frequency must hold. */
const MIN_FILTER_SHARE = 0.7;
/** How far a window's estimate may stray from the tone's mean before the filter is even asked (the estimate is noisy at low frequencies). */
const ESTIMATE_SPREAD = 0.1;
/** How far beyond the band a window's frequency estimate is still taken (the tone's mean must be within it). */
const EDGE_MARGIN = 0.01;
/** Time without another tone needed on both sides of a beep, between measured edges: 48 ms. */
const ISOLATION_SAMPLES = 48 * SAMPLES_PER_MS;
/**
 * How long after its start a tone is found at the latest: when the filter's share of the window
 * reaches MIN_FILTER_SHARE, at the next hop on which a new tone is looked for (every other one).
 */
const START_FOUND_WITHIN_SAMPLES = Math.ceil(MIN_FILTER_SHARE * WINDOW_SAMPLES) + 2 * HOP_SAMPLES;
/** How close to a call-progress frequency a tone must be to count as that tone rather than a beep. */
const CALL_PROGRESS_MATCH = 0.015;
/** A hop belongs to the tone while its energy is at least this share of the tone's. */
const EDGE_SHARE = 0.5;

export class BeepDetector implements HopDetector {
  /** Per hop: sums of x[n−1]², x[n−1]·(x[n] + x[n−2]) and (x[n] + x[n−2])². */
  private readonly signalSums = new Float64Array(WINDOW_HOPS);
  private readonly crossSums = new Float64Array(WINDOW_HOPS);
  private readonly outerSums = new Float64Array(WINDOW_HOPS);
  /** The last window's samples, in a ring. */
  private readonly recent = new Float64Array(WINDOW_SAMPLES);
  private previous = 0;
  private beforePrevious = 0;
  private hops = 0;
  private readonly minPower: number;
  private readonly minCosine: number;
  private readonly maxCosine: number;

  /** The last window's frequency estimate, 0 when it holds no single tone. */
  private estimate = 0;
  /** The frequency the confirming filter checks: the tone's mean, or a new estimate. */
  private filterHz = 0;
  private inTone = false;
  private toneFrequencySum = 0;
  private toneWindows = 0;
  private toneStart = 0;
  private toneLevel = 0;
  /** Where the last tone ended, as measured from hop energies. */
  private lastToneEnd = Number.NEGATIVE_INFINITY;
  private toneFollowsAnother = false;

  private pending = false;
  private pendingStart = 0;
  private pendingEnd = 0;
  private pendingFrequency = 0;
  private pendingDecisionSample = 0;

  /**
   * @param callProgressHz single frequencies of the call-progress tones being
   *   listened for (such as China's 450 Hz busy tone): a tone there is not a beep.
   */
  constructor(
    private readonly bank: ToneBank,
    private readonly options: Required<BeepOptions>,
    private readonly callProgressHz: readonly number[] = [],
  ) {
    this.minPower = dbm0ToPower(options.minLevelDbm0);
    // Each window's estimate wobbles by a hertz or so: it is taken a little beyond the band, and the tone's mean
    // frequency is held to the band itself, so that a beep at either edge counts.
    this.minCosine = Math.cos((2 * Math.PI * options.maxFrequencyHz * (1 + EDGE_MARGIN)) / SAMPLE_RATE_HZ);
    this.maxCosine = Math.cos((2 * Math.PI * options.minFrequencyHz * (1 - EDGE_MARGIN)) / SAMPLE_RATE_HZ);
  }

  onHop(hop: Float64Array, endSample: number, emit: EmitDetection): void {
    this.accumulate(hop);
    this.estimateFrequency();
    const estimate = this.estimate;
    if (this.inTone) {
      this.filterHz = this.toneFrequencySum / this.toneWindows;
      const continues =
        estimate > 0 &&
        Math.abs(estimate - this.filterHz) <= ESTIMATE_SPREAD * this.filterHz &&
        this.filterHoldsEnergy();
      if (continues) this.addWindow();
      else this.endTone(endSample);
    }
    // Looking for a new tone, the filter checks every other hop (its onset is found from hop energies anyway).
    if (!this.inTone && estimate > 0 && this.hops % 2 === 0) {
      this.filterHz = estimate;
      if (this.filterHoldsEnergy()) {
        this.startTone(endSample);
        this.addWindow();
      }
    }
    if (this.pending && endSample >= this.pendingDecisionSample) {
      this.pending = false;
      emit({
        type: 'beep',
        atMs: samplesToMs(endSample),
        startMs: samplesToMs(this.pendingStart),
        endMs: samplesToMs(this.pendingEnd),
        frequencyHz: Math.round(this.pendingFrequency),
      });
    }
  }

  private accumulate(hop: Float64Array): void {
    let previous = this.previous;
    let beforePrevious = this.beforePrevious;
    let signal = 0;
    let cross = 0;
    let outer = 0;
    const offset = (this.hops * HOP_SAMPLES) % WINDOW_SAMPLES;
    const { recent } = this;
    for (let n = 0; n < hop.length; n++) {
      const x = hop[n] as number;
      const around = x + beforePrevious;
      signal += previous * previous;
      cross += previous * around;
      outer += around * around;
      beforePrevious = previous;
      previous = x;
      recent[offset + n] = x;
    }
    this.previous = previous;
    this.beforePrevious = beforePrevious;
    const slot = this.hops % WINDOW_HOPS;
    this.signalSums[slot] = signal;
    this.crossSums[slot] = cross;
    this.outerSums[slot] = outer;
    this.hops++;
  }

  /**
   * Sets `estimate` to the frequency of the single tone the window seems to
   * hold, or 0 (a field rather than a result, so that no number is boxed). With
   * per-sample means a = x[n−1]², b = x[n−1]·(x[n] + x[n−2]) and
   * c = (x[n] + x[n−2])², a tone of power P and cos(ω) = k in white noise of
   * power σ² gives a = P + σ², b = 2kP and c − 2a = 2P·(2k² − 1); so P solves
   * 2P² + (c − 2a)·P − b² = 0, and k = b / 2P.
   */
  private estimateFrequency(): void {
    this.estimate = 0;
    let signal = 0;
    let cross = 0;
    let outer = 0;
    for (let i = 0; i < WINDOW_HOPS; i++) {
      signal += this.signalSums[i] as number;
      cross += this.crossSums[i] as number;
      outer += this.outerSums[i] as number;
    }
    signal /= WINDOW_SAMPLES;
    cross /= WINDOW_SAMPLES;
    outer /= WINDOW_SAMPLES;
    if (signal < this.minPower) return;
    const curvature = outer - 2 * signal;
    const power = (Math.sqrt(curvature * curvature + 8 * cross * cross) - curvature) / 4;
    if (power < MIN_MODEL_SHARE * signal) return;
    const cosine = cross / (2 * power);
    if (cosine < this.minCosine || cosine > this.maxCosine) return;
    this.estimate = (Math.acos(cosine) * SAMPLE_RATE_HZ) / (2 * Math.PI);
  }

  /**
   * Whether a Goertzel filter at `filterHz` (see goertzelPower) holds most
   * of the last window's energy. It runs over the ring of recent samples in
   * place, oldest first, and answers yes or no, so nothing is copied or boxed.
   */
  private filterHoldsEnergy(): boolean {
    const coefficient = 2 * Math.cos((2 * Math.PI * this.filterHz) / SAMPLE_RATE_HZ);
    const { recent } = this;
    const start = (this.hops * HOP_SAMPLES) % WINDOW_SAMPLES;
    let previous = 0;
    let beforePrevious = 0;
    for (let n = start; n < WINDOW_SAMPLES + start; n++) {
      const current =
        (recent[n < WINDOW_SAMPLES ? n : n - WINDOW_SAMPLES] as number) - beforePrevious + coefficient * previous;
      beforePrevious = previous;
      previous = current;
    }
    const squaredMagnitude =
      previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
    const power = (2 * squaredMagnitude) / (WINDOW_SAMPLES * WINDOW_SAMPLES);
    return power >= MIN_FILTER_SHARE * (this.bank.windowMeanSquare[WINDOW_HOPS] as number);
  }

  /** Adds the last window's estimate to the tone. */
  private addWindow(): void {
    this.toneFrequencySum += this.estimate;
    this.toneWindows++;
    this.toneLevel = Math.max(this.toneLevel, this.bank.hopMeanSquare[0] as number);
  }

  private startTone(endSample: number): void {
    this.inTone = true;
    this.toneFrequencySum = 0;
    this.toneWindows = 0;
    this.toneLevel = this.bank.hopMeanSquare[0] as number;
    // The tone began at the earliest hop of the window that is as loud as the newest one.
    let hopsBack = 0;
    const energies = this.bank.hopMeanSquare;
    while (hopsBack + 1 < WINDOW_HOPS && (energies[hopsBack + 1] as number) >= EDGE_SHARE * this.toneLevel) hopsBack++;
    this.toneStart = endSample - (hopsBack + 1) * HOP_SAMPLES;
    // Edges, not the hops at which tones were found: a tone is found later after its start than after its end.
    this.toneFollowsAnother = this.toneStart - this.lastToneEnd <= ISOLATION_SAMPLES;
    if (this.pending && this.toneStart - this.pendingEnd <= ISOLATION_SAMPLES) this.pending = false; // a beep needs quiet after it, too
  }

  private endTone(endSample: number): void {
    this.inTone = false;
    // The tone's last loud hop is within the window that just stopped holding it.
    let hopsBack = 0;
    const energies = this.bank.hopMeanSquare;
    while (hopsBack < WINDOW_HOPS && (energies[hopsBack] as number) < EDGE_SHARE * this.toneLevel) hopsBack++;
    const end = endSample - hopsBack * HOP_SAMPLES;
    this.lastToneEnd = end;
    const length = end - this.toneStart;
    const { minDurationMs, maxDurationMs } = this.options;
    if (this.toneFollowsAnother || length < minDurationMs * SAMPLES_PER_MS || length > maxDurationMs * SAMPLES_PER_MS) {
      return;
    }
    const frequencyHz = this.toneFrequencySum / this.toneWindows;
    const { minFrequencyHz, maxFrequencyHz } = this.options;
    if (Math.round(frequencyHz) < minFrequencyHz || Math.round(frequencyHz) > maxFrequencyHz) return;
    if (this.callProgressHz.some((toneHz) => Math.abs(frequencyHz - toneHz) <= CALL_PROGRESS_MATCH * toneHz)) return;
    this.pending = true;
    this.pendingStart = this.toneStart;
    this.pendingEnd = end;
    this.pendingFrequency = frequencyHz;
    this.pendingDecisionSample = end + ISOLATION_SAMPLES + START_FOUND_WITHIN_SAMPLES;
  }
}
