/**
 * The Goertzel algorithm: the power of one frequency in a block of samples,
 * one multiply and two adds per sample, the standard tone detector of
 * telephony (Asterisk, spandsp and libteletone use it for DTMF).
 *
 * @module
 */
import { SAMPLE_RATE_HZ } from './sampleClock.js';

/** Angular frequency, in radians per sample, of `frequencyHz` at the analysis rate. */
export const angularFrequency = (frequencyHz: number): number => (2 * Math.PI * frequencyHz) / SAMPLE_RATE_HZ;

/**
 * Power of `frequencyHz` in a block of 8 kHz samples, as the mean square of
 * that component: a sine of amplitude A at the frequency gives A²/2, the
 * same scale as the block's own mean square, so the ratio of the two is the
 * share of the block's energy at that frequency.
 *
 * @example
 * ```ts
 * const block = Float64Array.from({ length: 256 }, (_, n) => 1000 * Math.sin((2 * Math.PI * 1000 * n) / 8000));
 * goertzelPower(block, 1000); // ≈ 500 000 (1000² / 2)
 * goertzelPower(block, 1400); // ≈ 0
 * ```
 */
export function goertzelPower(samples: ArrayLike<number>, frequencyHz: number): number {
  const length = samples.length;
  if (length === 0) return 0;
  const coefficient = 2 * Math.cos(angularFrequency(frequencyHz));
  let previous = 0;
  let beforePrevious = 0;
  for (let n = 0; n < length; n++) {
    const current = (samples[n] as number) - beforePrevious + coefficient * previous;
    beforePrevious = previous;
    previous = current;
  }
  const squaredMagnitude =
    previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious;
  return (2 * squaredMagnitude) / (length * length);
}
