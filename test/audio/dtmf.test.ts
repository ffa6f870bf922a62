/**
 * DTMF from audio: all sixteen keys at standard timing; random key sequences
 * within the AT&T receiver specification quoted in Asterisk's main/dsp.c
 * (tones ≥ 40 ms, pauses ≥ 50 ms, twist up to 8 dB normal / 4 dB reverse,
 * frequency ±1.5 %, 15 dB signal to noise); what must be rejected; and no
 * false keys from speech-like audio.
 */
import { describe, expect, it } from 'vitest';
import { AudioAnalyser, type AudioDetection, type DtmfDetection } from '../../src/audio/index.js';
import {
  addNoise,
  analyse,
  concat,
  DTMF_KEYS,
  dtmfSegments,
  pick,
  type RandomSource,
  renderSegments,
  silence,
  speechLike,
  toMulaw,
  uniform,
} from './signals.js';
import { describeDetections, expectRate, runTrials, TRIALS_TIMEOUT_MS } from './trials.js';

const ALL_KEYS = '123A456B789C*0#D';

const digitsIn = (detections: readonly AudioDetection[]): string =>
  detections
    .filter((d): d is DtmfDetection => d.type === 'dtmf')
    .map((d) => d.digit)
    .join('');

const listen = (signal: Float64Array): AudioDetection[] =>
  analyse(new AudioAnalyser({ dtmf: true, answeringMachine: false }), toMulaw(signal));

const keys = (digits: string, random: RandomSource, timing: Partial<Parameters<typeof dtmfSegments>[1]> = {}) =>
  renderSegments(dtmfSegments(digits, { onMs: 50, offMs: 50, rowDbm0: -10, columnDbm0: -10, ...timing }), random);

describe('DTMF keys', () => {
  it('decodes all sixteen keys at 50 ms on, 50 ms off, each at the time its tone had lasted about 30 ms', () => {
    const found = listen(
      concat(
        silence(100),
        keys(ALL_KEYS, () => 0.4),
        silence(200),
      ),
    );
    expect(digitsIn(found)).toBe(ALL_KEYS);
    found.forEach((detection, i) => {
      const toneStart = 100 + i * 100;
      expect(detection.atMs - toneStart).toBeGreaterThanOrEqual(20);
      expect(detection.atMs - toneStart).toBeLessThanOrEqual(40);
    });
  });

  it(
    'decodes random sequences across the specification exactly, in at least 99 % of 300 sequences of 16 keys',
    () => {
      const keyNames = Object.keys(DTMF_KEYS);
      const report = runTrials(300, 5_000, (random) => {
        const digits = Array.from({ length: 16 }, () => pick(random, keyNames)).join('');
        const rowDbm0 = uniform(random, -24, -4);
        const signal = concat(
          silence(uniform(random, 0, 200)),
          keys(digits, random, {
            onMs: uniform(random, 40, 120),
            offMs: uniform(random, 50, 120),
            rowDbm0,
            // Column from 7 dB below the row (normal twist) to 3 dB above (reverse twist).
            columnDbm0: rowDbm0 + uniform(random, -7, 3),
            frequencyFactor: 1 + uniform(random, -0.015, 0.015),
          }),
        );
        addNoise(signal, rowDbm0 - uniform(random, 15, 40), random);
        const heard = digitsIn(listen(signal));
        return heard === digits ? null : `sent ${digits}, heard ${heard}`;
      });
      expectRate(report, 0.99, 'DTMF sequences');
    },
    TRIALS_TIMEOUT_MS,
  );

  it('counts a key pressed twice with a 50 ms pause twice', () => {
    for (const key of ALL_KEYS) {
      for (const phase of [0.05, 0.2, 0.35, 0.5, 0.7, 0.9]) {
        expect(digitsIn(listen(keys(key + key, () => phase))), `${key} at phase ${phase}`).toBe(key + key);
      }
    }
  });

  it('counts a key whose tone drops out for up to 15 ms once (a lost packet): so short a pause is no release (pauses are 50 ms or more)', () => {
    for (const key of ALL_KEYS) {
      for (const dropoutMs of [4, 8, 10, 12, 14, 15]) {
        for (const phase of [0.05, 0.2, 0.35, 0.5, 0.7, 0.9]) {
          const held = (onMs: number) => keys(key, () => phase, { onMs, offMs: 0, rowDbm0: -20, columnDbm0: -20 });
          const signal = concat(silence(100), held(100), silence(dropoutMs), held(100), silence(100));
          expect(digitsIn(listen(signal)), `${key}: ${dropoutMs} ms dropout at phase ${phase}`).toBe(key);
        }
      }
    }
  });

  it('rejects tones 5 % off frequency, twist of 12 dB, a single tone, and a 15 ms blip', () => {
    expect(digitsIn(listen(keys('1', () => 0.1, { onMs: 200, frequencyFactor: 1.05 })))).toBe('');
    expect(digitsIn(listen(keys('1', () => 0.1, { onMs: 200, rowDbm0: -6, columnDbm0: -18 })))).toBe('');
    expect(digitsIn(listen(keys('1', () => 0.1, { onMs: 200, rowDbm0: -60, columnDbm0: -10 })))).toBe('');
    expect(digitsIn(listen(keys('1', () => 0.1, { onMs: 15 })))).toBe('');
  });
});

describe('no false keys', () => {
  it(
    'from speech-like audio, in at least 99.9 % of 1 000 trials of 3 s',
    () => {
      const report = runTrials(1_000, 6_000, (random) => {
        const signal = speechLike(random, 3000, uniform(random, -30, -10));
        if (random() < 0.5) addNoise(signal, uniform(random, -60, -35), random);
        const found = analyse(
          new AudioAnalyser({ dtmf: true, sit: false, callProgress: false, answeringMachine: false, beep: false }),
          toMulaw(signal),
        );
        return digitsIn(found) === '' ? null : describeDetections(found);
      });
      expectRate(report, 0.999, 'speech without false keys');
    },
    TRIALS_TIMEOUT_MS,
  );
});
