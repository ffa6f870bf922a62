/**
 * G.711 μ-law: decoding against the values of the G.711 tables, the digital
 * milliwatt, exact round trips of every code, and the quantisation error of
 * every 16-bit sample.
 */
import { describe, expect, it } from 'vitest';
import {
  dbm0ToAmplitude,
  decodeMulaw,
  encodeMulaw,
  goertzelPower,
  InvalidAudioConfigurationError,
  linearToMulaw,
  mulawToLinear,
} from '../../src/audio/index.js';

/** What `make` throws. */
function thrownBy(make: () => unknown): unknown {
  try {
    make();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

describe('μ-law decoding', () => {
  it('gives the G.711 decoder outputs at the ends of every segment (14-bit values, ×4 on the 16-bit scale)', () => {
    // G.711 Table 2 (μ-law): first and last output value of each of the eight positive segments.
    const table: [number, number][] = [
      [0xff, 0],
      [0xf0, 30],
      [0xef, 33],
      [0xe0, 93],
      [0xdf, 99],
      [0xd0, 219],
      [0xcf, 231],
      [0xc0, 471],
      [0xbf, 495],
      [0xb0, 975],
      [0xaf, 1023],
      [0xa0, 1983],
      [0x9f, 2079],
      [0x90, 3999],
      [0x8f, 4191],
      [0x80, 8031],
    ];
    for (const [code, value] of table) {
      expect(mulawToLinear(code), `code 0x${code.toString(16)}`).toBe(value * 4);
      // The negative half mirrors it: the sign is bit 7 of the code.
      expect(mulawToLinear(code & 0x7f), `code 0x${(code & 0x7f).toString(16)}`).toBe(value === 0 ? 0 : -value * 4);
    }
  });

  it('decodes the G.711 digital milliwatt (1E 0B 0B 1E 9E 8B 8B 9E) to a 1 kHz sine at 0 dBm0', () => {
    const period = Uint8Array.of(0x1e, 0x0b, 0x0b, 0x1e, 0x9e, 0x8b, 0x8b, 0x9e);
    const codes = new Uint8Array(160).map((_, n) => period[n % 8] as number);
    const samples = decodeMulaw(codes);
    const levelDbm0 = 10 * Math.log10(goertzelPower(samples, 1000) / (dbm0ToAmplitude(0) ** 2 / 2));
    expect(Math.abs(levelDbm0)).toBeLessThan(0.05);
  });

  it('decodes into a given array, and refuses one that is too short', () => {
    const into = new Int16Array(4);
    expect(decodeMulaw(Uint8Array.of(0x80, 0x00), into)).toBe(into);
    expect([...into]).toEqual([32124, -32124, 0, 0]);
    const refusal = thrownBy(() => decodeMulaw(new Uint8Array(3), new Int16Array(2)));
    expect(refusal).toBeInstanceOf(InvalidAudioConfigurationError);
    expect(refusal).toMatchObject({
      code: 'INVALID_CONFIGURATION',
      issues: [{ path: 'into', message: 'holds 2 samples, fewer than the 3 of the input' }],
      message: 'Invalid decodeMulaw arguments: into: holds 2 samples, fewer than the 3 of the input',
    });
  });
});

describe('μ-law encoding', () => {
  it('round-trips every code exactly, except negative zero (0x7F), which encodes as silence (0xFF)', () => {
    for (let code = 0; code < 256; code++) {
      expect(linearToMulaw(mulawToLinear(code)), `code 0x${code.toString(16)}`).toBe(code === 0x7f ? 0xff : code);
    }
  });

  it('keeps every 16-bit sample within half a quantisation step (4 + |x|/30)', () => {
    let worst = 0;
    for (let sample = -32_768; sample <= 32_767; sample++) {
      const clipped = Math.max(-32_635, Math.min(32_635, sample));
      const error = Math.abs(mulawToLinear(linearToMulaw(sample)) - clipped);
      worst = Math.max(worst, error / (4 + Math.abs(clipped) / 30));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('clips beyond ±32 635, rounds fractions and encodes silence as 0xFF', () => {
    expect(linearToMulaw(100_000)).toBe(0x80);
    expect(linearToMulaw(-100_000)).toBe(0x00);
    expect(linearToMulaw(0)).toBe(0xff);
    expect(linearToMulaw(0.4)).toBe(0xff);
    expect(linearToMulaw(131.6)).toBe(linearToMulaw(132));
  });

  it('encodes arrays exactly as sample by sample, fractions and out-of-range values included', () => {
    const samples = Float64Array.from({ length: 200_000 }, (_, i) => -40_000 + i * 0.4003);
    expect([...encodeMulaw(samples)]).toEqual([...samples].map(linearToMulaw));
  });

  it('encodes a sample that is not a number as silence (0xFF), one at a time and in arrays alike', () => {
    expect(linearToMulaw(Number.NaN)).toBe(0xff);
    expect([...encodeMulaw([Number.NaN, 1000, Number.NaN])]).toEqual([0xff, linearToMulaw(1000), 0xff]);
    // Infinities are out of range like any other: clipped.
    expect([...encodeMulaw([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])]).toEqual([0x80, 0x00]);
    expect([linearToMulaw(Number.POSITIVE_INFINITY), linearToMulaw(Number.NEGATIVE_INFINITY)]).toEqual([0x80, 0x00]);
  });

  it('encodes into a given array, and refuses one that is too short', () => {
    const into = new Uint8Array(3);
    expect(encodeMulaw([0, 32_767, -32_768], into)).toBe(into);
    expect([...into]).toEqual([0xff, 0x80, 0x00]);
    const refusal = thrownBy(() => encodeMulaw([1, 2, 3], new Uint8Array(2)));
    expect(refusal).toBeInstanceOf(InvalidAudioConfigurationError);
    expect(refusal).toMatchObject({
      code: 'INVALID_CONFIGURATION',
      issues: [{ path: 'into', message: 'holds 2 bytes, fewer than the 3 of the input' }],
      message: 'Invalid encodeMulaw arguments: into: holds 2 bytes, fewer than the 3 of the input',
    });
  });
});
