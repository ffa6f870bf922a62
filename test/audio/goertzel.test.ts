/**
 * The Goertzel filter: its power is the mean square of the component, and a
 * 256-sample window keeps the low and high variants of the SIT tones apart
 * (the reason for the SIT detector's window, TELEPHONY.md "Tone detection").
 */
import { describe, expect, it } from 'vitest';
import { goertzelPower, SAMPLE_RATE_HZ } from '../../src/audio/index.js';

const sine = (length: number, frequencyHz: number, amplitude: number, phase = 0.3): Float64Array =>
  Float64Array.from(
    { length },
    (_, n) => amplitude * Math.sin((2 * Math.PI * frequencyHz * n) / SAMPLE_RATE_HZ + phase),
  );

/** How far below its own filter a tone shows in a neighbour's, in dB. */
const separationDb = (length: number, toneHz: number, neighbourHz: number): number => {
  const tone = sine(length, toneHz, 1000);
  return 10 * Math.log10(goertzelPower(tone, toneHz) / goertzelPower(tone, neighbourHz));
};

describe('goertzelPower', () => {
  it('is the mean square of a sine at the filter frequency (A²/2)', () => {
    expect(goertzelPower(sine(160, 1000, 2000), 1000)).toBeCloseTo(2_000_000, -2);
    expect(goertzelPower(sine(256, 1776.7, 300), 1776.7) / (300 ** 2 / 2)).toBeCloseTo(1, 2);
  });

  it('adds up to the block energy for two tones, each counted once', () => {
    const block = sine(200, 697, 1000).map((x, n) => x + (sine(200, 1209, 500)[n] as number));
    expect(goertzelPower(block, 697) / 500_000).toBeCloseTo(1, 1);
    expect(goertzelPower(block, 1209) / 125_000).toBeCloseTo(1, 1);
  });

  it('is 0 for an empty block', () => {
    expect(goertzelPower([], 1000)).toBe(0);
  });

  it('over 256 samples keeps the low and high SIT variants about 20 dB apart, more than over 183 samples', () => {
    const pairs: [number, number][] = [
      [913.8, 985.2],
      [985.2, 913.8],
      [1370.6, 1428.5],
      [1428.5, 1370.6],
    ];
    for (const [tone, neighbour] of pairs) {
      const at256 = separationDb(256, tone, neighbour);
      expect(at256, `${tone} Hz in the ${neighbour} Hz filter`).toBeGreaterThan(18);
      expect(at256).toBeGreaterThan(separationDb(183, tone, neighbour));
    }
  });
});
