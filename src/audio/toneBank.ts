/**
 * A bank of Goertzel filters over a sliding window, shared by every detector
 * of an analyser so that each frequency is filtered once per sample.
 *
 * Audio is cut into hops of 32 samples (4 ms). Per hop and frequency the bank
 * keeps the complex Goertzel result of that hop with its phase referred to the
 * stream start; the sum of the last k hops is then exactly the DFT of the last
 * k·32 samples at that frequency. So detectors read windows of 128 samples
 * (DTMF) or 256 samples (SIT, call-progress tones) every 4 ms for the price of
 * one non-overlapping Goertzel pass, and tone edges are placed to within 4 ms.
 *
 * @module
 */
import { angularFrequency } from './goertzel.js';
import { SAMPLE_RATE_HZ } from './sampleClock.js';

/** Samples per hop: the step at which detectors run (4 ms at 8 kHz). */
export const HOP_SAMPLES = 32;

/** Hops of history kept, so windows up to 512 samples (64 ms). */
const HISTORY_HOPS = 16;
const HISTORY_MASK = HISTORY_HOPS - 1;
const RECIPROCALS = Float64Array.from({ length: HISTORY_HOPS + 1 }, (_, k) => (k === 0 ? 0 : 1 / k));

/** Goertzel filters at chosen frequencies over a sliding window of hops, and the energy of recent hops. */
export class ToneBank {
  private frequencies: number[] = [];
  private coefficients = new Float64Array(0);
  private cosines = new Float64Array(0);
  private sines = new Float64Array(0);
  private stepRe = new Float64Array(0);
  private stepIm = new Float64Array(0);
  private phaseRe = new Float64Array(0);
  private phaseIm = new Float64Array(0);
  private historyRe = new Float64Array(0);
  private historyIm = new Float64Array(0);
  /** A window's DFT at one filter, as `sumWindow` leaves it. */
  private readonly window = new Float64Array(2);
  /** Each filter's last two states after the latest hop. */
  private ends = new Float64Array(0);
  /** Mean square of each recent hop: [0] the newest, [k] the one k hops before it. */
  readonly hopMeanSquare = new Float64Array(HISTORY_HOPS);
  /** Mean square of the last k hops together, at [k] (1 to HISTORY_HOPS). */
  readonly windowMeanSquare = new Float64Array(HISTORY_HOPS + 1);
  private hops = 0;

  /** Index of `frequencyHz` in the bank, adding it if new. Only before the first hop. */
  addFrequency(frequencyHz: number): number {
    const existing = this.frequencies.indexOf(frequencyHz);
    if (existing >= 0) return existing;
    if (this.hops > 0) throw new Error('ToneBank: frequencies are fixed once audio has been processed');
    this.frequencies.push(frequencyHz);
    const count = this.frequencies.length;
    const omegas = this.frequencies.map(angularFrequency);
    this.coefficients = Float64Array.from(omegas, (omega) => 2 * Math.cos(omega));
    this.cosines = Float64Array.from(omegas, Math.cos);
    this.sines = Float64Array.from(omegas, Math.sin);
    this.stepRe = Float64Array.from(omegas, (omega) => Math.cos(omega * HOP_SAMPLES));
    this.stepIm = Float64Array.from(omegas, (omega) => -Math.sin(omega * HOP_SAMPLES));
    this.phaseRe = new Float64Array(count).fill(1);
    this.phaseIm = new Float64Array(count);
    this.historyRe = new Float64Array(count * HISTORY_HOPS);
    this.historyIm = new Float64Array(count * HISTORY_HOPS);
    this.ends = new Float64Array(2 * count);
    return count - 1;
  }

  /** Filters one hop of {@link HOP_SAMPLES} samples. */
  processHop(hop: Float64Array): void {
    const slot = this.hops & HISTORY_MASK;
    this.measureEnergy(hop);
    const { coefficients } = this;
    const count = coefficients.length;
    // Four filters per pass over the hop: their recurrences are independent, so the processor overlaps them.
    // `x − s2 + c·s1` rather than `x + c·s1 − s2`: the subtraction does not wait for the multiplication,
    // which shortens the chain each sample waits on.
    let bin = 0;
    for (; bin + 3 < count; bin += 4) {
      const a = coefficients[bin] as number;
      const b = coefficients[bin + 1] as number;
      const c = coefficients[bin + 2] as number;
      const d = coefficients[bin + 3] as number;
      let a1 = 0;
      let a2 = 0;
      let b1 = 0;
      let b2 = 0;
      let c1 = 0;
      let c2 = 0;
      let d1 = 0;
      let d2 = 0;
      for (let n = 0; n < HOP_SAMPLES; n++) {
        const x = hop[n] as number;
        const a0 = x - a2 + a * a1;
        const b0 = x - b2 + b * b1;
        const c0 = x - c2 + c * c1;
        const d0 = x - d2 + d * d1;
        a2 = a1;
        a1 = a0;
        b2 = b1;
        b1 = b0;
        c2 = c1;
        c1 = c0;
        d2 = d1;
        d1 = d0;
      }
      this.ends[2 * bin] = a1;
      this.ends[2 * bin + 1] = a2;
      this.ends[2 * bin + 2] = b1;
      this.ends[2 * bin + 3] = b2;
      this.ends[2 * bin + 4] = c1;
      this.ends[2 * bin + 5] = c2;
      this.ends[2 * bin + 6] = d1;
      this.ends[2 * bin + 7] = d2;
    }
    for (; bin < count; bin++) {
      const a = coefficients[bin] as number;
      let a1 = 0;
      let a2 = 0;
      for (let n = 0; n < HOP_SAMPLES; n++) {
        const a0 = (hop[n] as number) - a2 + a * a1;
        a2 = a1;
        a1 = a0;
      }
      this.ends[2 * bin] = a1;
      this.ends[2 * bin + 1] = a2;
    }
    this.storeHop(slot);
    this.hops++;
    if (count > 0) this.renormalisePhase(this.hops % count);
  }

  /** Scales one filter's running phase back to magnitude 1 (one filter a hop), against rounding drift. */
  private renormalisePhase(bin: number): void {
    const magnitude = Math.sqrt((this.phaseRe[bin] as number) ** 2 + (this.phaseIm[bin] as number) ** 2);
    this.phaseRe[bin] = (this.phaseRe[bin] as number) / magnitude;
    this.phaseIm[bin] = (this.phaseIm[bin] as number) / magnitude;
  }

  /** Keeps each filter's hop result, referred to the stream start, and advances its phase by a hop. */
  private storeHop(slot: number): void {
    const { ends, cosines, sines, phaseRe, phaseIm, stepRe, stepIm, historyRe, historyIm } = this;
    for (let bin = 0; bin < cosines.length; bin++) {
      const previous = ends[2 * bin] as number;
      const beforePrevious = ends[2 * bin + 1] as number;
      // The hop's DFT up to a constant phase factor: previous − e^{−iω}·beforePrevious.
      const re = previous - (cosines[bin] as number) * beforePrevious;
      const im = (sines[bin] as number) * beforePrevious;
      const pRe = phaseRe[bin] as number;
      const pIm = phaseIm[bin] as number;
      const at = bin * HISTORY_HOPS + slot;
      historyRe[at] = re * pRe - im * pIm;
      historyIm[at] = re * pIm + im * pRe;
      const sRe = stepRe[bin] as number;
      const sIm = stepIm[bin] as number;
      phaseRe[bin] = pRe * sRe - pIm * sIm;
      phaseIm[bin] = pRe * sIm + pIm * sRe;
    }
  }

  /**
   * Power of each frequency in `bins` over the last `windowHops` hops, as a
   * mean square (a sine of amplitude A at that frequency gives A²/2), into
   * `out` (results go into an array, so that no number is boxed per call).
   */
  powers(bins: Int32Array, windowHops: number, out: Float64Array): void {
    const length = windowHops * HOP_SAMPLES;
    const scale = 2 / (length * length);
    const { window } = this;
    for (let i = 0; i < bins.length; i++) {
      this.sumWindow(bins[i] as number, windowHops);
      out[i] = scale * ((window[0] as number) ** 2 + (window[1] as number) ** 2);
    }
  }

  /**
   * How far, in Hz, the tone near each frequency in `bins` is from it, into
   * `out`: the window of the last `windowHops` hops, compared with the same
   * window one hop earlier, has turned by 2π·Δ·32/8000 for a tone Δ Hz away.
   * Whole windows (not single hops) keep other tones' leakage out of the
   * phase. Meaningful within ±125 Hz, when one tone dominates the filter.
   */
  frequencyOffsetsHz(bins: Int32Array, windowHops: number, out: Float64Array): void {
    const { window } = this;
    for (let i = 0; i < bins.length; i++) {
      const base = (bins[i] as number) * HISTORY_HOPS;
      this.sumWindow(bins[i] as number, windowHops);
      const nowRe = window[0] as number;
      const nowIm = window[1] as number;
      const newest = base + ((this.hops - 1) & HISTORY_MASK);
      const dropped = base + ((this.hops - 1 - windowHops) & HISTORY_MASK);
      const beforeRe = nowRe - (this.historyRe[newest] as number) + (this.historyRe[dropped] as number);
      const beforeIm = nowIm - (this.historyIm[newest] as number) + (this.historyIm[dropped] as number);
      const turnRe = nowRe * beforeRe + nowIm * beforeIm;
      const turnIm = nowIm * beforeRe - nowRe * beforeIm;
      out[i] = (Math.atan2(turnIm, turnRe) * SAMPLE_RATE_HZ) / (2 * Math.PI * HOP_SAMPLES);
    }
  }

  /** The DFT of filter `bin` over the last `windowHops` hops, into `window` (real, imaginary). */
  private sumWindow(bin: number, windowHops: number): void {
    const base = bin * HISTORY_HOPS;
    let re = 0;
    let im = 0;
    for (let back = 1; back <= windowHops; back++) {
      const at = base + ((this.hops - back) & HISTORY_MASK);
      re += this.historyRe[at] as number;
      im += this.historyIm[at] as number;
    }
    this.window[0] = re;
    this.window[1] = im;
  }

  /** Updates the hop and window mean squares with a new hop. Results go into arrays, so that no number is boxed per hop. */
  private measureEnergy(hop: Float64Array): void {
    let sum = 0;
    for (let n = 0; n < HOP_SAMPLES; n++) {
      const x = hop[n] as number;
      sum += x * x;
    }
    const { hopMeanSquare, windowMeanSquare } = this;
    for (let back = HISTORY_HOPS - 1; back > 0; back--) hopMeanSquare[back] = hopMeanSquare[back - 1] as number;
    hopMeanSquare[0] = sum / HOP_SAMPLES;
    let total = 0;
    for (let hops = 1; hops <= HISTORY_HOPS; hops++) {
      total += hopMeanSquare[hops - 1] as number;
      windowMeanSquare[hops] = total * (RECIPROCALS[hops] as number);
    }
  }
}
