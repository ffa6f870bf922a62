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
export const HISTORY_HOPS = 16;
const HISTORY_MASK = HISTORY_HOPS - 1;

/** How often the running phase of each frequency is renormalised against rounding drift. */
const RENORMALISE_EVERY_HOPS = 1_024;

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
  private readonly energies = new Float64Array(HISTORY_HOPS);
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
    return count - 1;
  }

  /** Filters one hop of {@link HOP_SAMPLES} samples. */
  processHop(hop: Float64Array): void {
    const slot = this.hops & HISTORY_MASK;
    let energy = 0;
    for (let n = 0; n < HOP_SAMPLES; n++) {
      const x = hop[n] as number;
      energy += x * x;
    }
    this.energies[slot] = energy;
    const { coefficients } = this;
    const count = coefficients.length;
    // Four filters per pass over the hop: their recurrences are independent, so the processor overlaps them.
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
        const a0 = x + a * a1 - a2;
        const b0 = x + b * b1 - b2;
        const c0 = x + c * c1 - c2;
        const d0 = x + d * d1 - d2;
        a2 = a1;
        a1 = a0;
        b2 = b1;
        b1 = b0;
        c2 = c1;
        c1 = c0;
        d2 = d1;
        d1 = d0;
      }
      this.store(bin, slot, a1, a2);
      this.store(bin + 1, slot, b1, b2);
      this.store(bin + 2, slot, c1, c2);
      this.store(bin + 3, slot, d1, d2);
    }
    for (; bin < count; bin++) {
      const a = coefficients[bin] as number;
      let a1 = 0;
      let a2 = 0;
      for (let n = 0; n < HOP_SAMPLES; n++) {
        const a0 = (hop[n] as number) + a * a1 - a2;
        a2 = a1;
        a1 = a0;
      }
      this.store(bin, slot, a1, a2);
    }
    this.hops++;
    if (this.hops % RENORMALISE_EVERY_HOPS === 0) this.renormalisePhases();
  }

  /** Keeps one filter's hop result, referred to the stream start, and advances its phase by a hop. */
  private store(bin: number, slot: number, previous: number, beforePrevious: number): void {
    // The hop's DFT up to a constant phase factor: previous − e^{−iω}·beforePrevious.
    const re = previous - (this.cosines[bin] as number) * beforePrevious;
    const im = (this.sines[bin] as number) * beforePrevious;
    const pRe = this.phaseRe[bin] as number;
    const pIm = this.phaseIm[bin] as number;
    const at = bin * HISTORY_HOPS + slot;
    this.historyRe[at] = re * pRe - im * pIm;
    this.historyIm[at] = re * pIm + im * pRe;
    const sRe = this.stepRe[bin] as number;
    const sIm = this.stepIm[bin] as number;
    this.phaseRe[bin] = pRe * sRe - pIm * sIm;
    this.phaseIm[bin] = pRe * sIm + pIm * sRe;
  }

  /**
   * Power of frequency `bin` over the last `windowHops` hops, as a mean
   * square (a sine of amplitude A at that frequency gives A²/2).
   */
  power(bin: number, windowHops: number): number {
    const base = bin * HISTORY_HOPS;
    let re = 0;
    let im = 0;
    for (let back = 1; back <= windowHops; back++) {
      const at = base + ((this.hops - back) & HISTORY_MASK);
      re += this.historyRe[at] as number;
      im += this.historyIm[at] as number;
    }
    const length = windowHops * HOP_SAMPLES;
    return (2 * (re * re + im * im)) / (length * length);
  }

  /**
   * How far, in Hz, the tone near frequency `bin` is from it: the window of
   * the last `windowHops` hops, compared with the same window one hop
   * earlier, has turned by 2π·Δ·32/8000 for a tone Δ Hz away. Whole windows
   * (not single hops) keep other tones' leakage out of the phase. Meaningful
   * within ±125 Hz, when one tone dominates the filter.
   */
  frequencyOffsetHz(bin: number, windowHops: number): number {
    const base = bin * HISTORY_HOPS;
    let nowRe = 0;
    let nowIm = 0;
    for (let back = 1; back <= windowHops; back++) {
      const at = base + ((this.hops - back) & HISTORY_MASK);
      nowRe += this.historyRe[at] as number;
      nowIm += this.historyIm[at] as number;
    }
    const newest = base + ((this.hops - 1) & HISTORY_MASK);
    const dropped = base + ((this.hops - 1 - windowHops) & HISTORY_MASK);
    const beforeRe = nowRe - (this.historyRe[newest] as number) + (this.historyRe[dropped] as number);
    const beforeIm = nowIm - (this.historyIm[newest] as number) + (this.historyIm[dropped] as number);
    const turnRe = nowRe * beforeRe + nowIm * beforeIm;
    const turnIm = nowIm * beforeRe - nowRe * beforeIm;
    return (Math.atan2(turnIm, turnRe) * SAMPLE_RATE_HZ) / (2 * Math.PI * HOP_SAMPLES);
  }

  /** Mean square of the `windowHops` hops that ended `hopsAgo` hops before the latest one. */
  energy(windowHops: number, hopsAgo = 0): number {
    let sum = 0;
    for (let back = 1 + hopsAgo; back <= windowHops + hopsAgo; back++) {
      sum += this.energies[(this.hops - back) & HISTORY_MASK] as number;
    }
    return sum / (windowHops * HOP_SAMPLES);
  }

  private renormalisePhases(): void {
    for (let bin = 0; bin < this.phaseRe.length; bin++) {
      const magnitude = Math.hypot(this.phaseRe[bin] as number, this.phaseIm[bin] as number);
      this.phaseRe[bin] = (this.phaseRe[bin] as number) / magnitude;
      this.phaseIm[bin] = (this.phaseIm[bin] as number) / magnitude;
    }
  }
}
