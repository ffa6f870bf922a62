/**
 * Beeps: a single steady tone of 440–2000 Hz lasting at least 200 ms, alone,
 * after a greeting — found with its start, end and frequency; and the
 * sounds that are not beeps: SIT tones, DTMF, chords, short blips, tones out
 * of range, sweeps.
 */
import { describe, expect, it } from 'vitest';
import { AudioAnalyser, type AudioDetection, type BeepDetection } from '../../src/audio/index.js';
import {
  addNoise,
  analyse,
  concat,
  dtmfSegments,
  renderSegments,
  silence,
  speechLike,
  toMulaw,
  uniform,
} from './signals.js';
import { describeDetections, expectRate, runTrials, TRIALS_TIMEOUT_MS } from './trials.js';

const beeps = (detections: readonly AudioDetection[]): BeepDetection[] =>
  detections.filter((d): d is BeepDetection => d.type === 'beep');

const tone = (frequencyHz: number, durationMs: number, dbm0 = -15): Float64Array =>
  renderSegments([{ durationMs, tones: [{ frequencyHz, dbm0 }] }], () => 0.1);

const beepsIn = (signal: Float64Array): BeepDetection[] => beeps(analyse(new AudioAnalyser(), toMulaw(signal)));

describe('beep after a greeting', () => {
  it(
    'is found with its start and end within 12 ms and its frequency within 1 %, in at least 99 % of 300 trials',
    () => {
      const report = runTrials(300, 3_000, (random) => {
        const level = uniform(random, -30, -10);
        const frequencyHz = uniform(random, 450, 1990);
        const durationMs = uniform(random, 220, 1500);
        const greeting = speechLike(random, uniform(random, 1500, 4000), level);
        const startMs = greeting.length / 8 + uniform(random, 100, 600);
        const signal = concat(
          greeting,
          silence(startMs - greeting.length / 8),
          tone(frequencyHz, durationMs, level + uniform(random, -3, 3)),
          silence(500),
        );
        addNoise(signal, level - uniform(random, 15, 40), random);
        const found = beepsIn(signal);
        const [beep] = found;
        const ok =
          found.length === 1 &&
          beep !== undefined &&
          Math.abs(beep.startMs - startMs) <= 12 &&
          Math.abs(beep.endMs - (startMs + durationMs)) <= 12 &&
          Math.abs(beep.frequencyHz - frequencyHz) <= frequencyHz * 0.01 &&
          beep.atMs >= beep.endMs &&
          beep.atMs <= beep.endMs + 100;
        const expected = `${frequencyHz.toFixed(0)} Hz ${startMs.toFixed(0)}–${(startMs + durationMs).toFixed(0)}`;
        return ok ? null : `expected ${expected}: ${describeDetections(found)}`;
      });
      expectRate(report, 0.99, 'beep');
    },
    TRIALS_TIMEOUT_MS,
  );
});

describe('the band edges', () => {
  it('a beep at either edge of the band counts, at any phase; one just outside it does not', () => {
    for (const phase of [0.1, 0.3, 0.6, 0.9]) {
      const at = (frequencyHz: number) =>
        beeps(
          analyse(
            new AudioAnalyser(),
            toMulaw(
              concat(
                silence(300),
                renderSegments([{ durationMs: 500, tones: [{ frequencyHz, dbm0: -20 }] }], () => phase),
                silence(800),
              ),
            ),
          ),
        ).map((beep) => beep.frequencyHz);
      expect(at(440), `440 Hz at phase ${phase}`).toEqual([440]);
      expect(at(2000), `2000 Hz at phase ${phase}`).toEqual([2000]);
      expect(at(436), `436 Hz at phase ${phase}`).toEqual([]);
      expect(at(2010), `2010 Hz at phase ${phase}`).toEqual([]);
    }
  });
});

describe('not beeps', () => {
  it('the three tones of a SIT', () => {
    const sit = renderSegments(
      [
        { durationMs: 380, tones: [{ frequencyHz: 985.2, dbm0: -20 }] },
        { durationMs: 274, tones: [{ frequencyHz: 1370.6, dbm0: -20 }] },
        { durationMs: 380, tones: [{ frequencyHz: 1776.7, dbm0: -20 }] },
      ],
      () => 0.3,
    );
    expect(beepsIn(concat(silence(300), sit, silence(1000)))).toEqual([]);
  });

  it('DTMF keys held for 300 ms, even with the column 4 dB below the row', () => {
    const keys = renderSegments(
      dtmfSegments('852#', { onMs: 300, offMs: 200, rowDbm0: -15, columnDbm0: -19 }),
      () => 0.7,
    );
    expect(beepsIn(keys)).toEqual([]);
  });

  it('a tone with another tone 40 ms before or after it; 60 ms apart, each is a beep', () => {
    const pair = (gapMs: number) =>
      beepsIn(concat(silence(500), tone(1000, 400), silence(gapMs), tone(1500, 300), silence(500)));
    const lead = (gapMs: number) =>
      beepsIn(concat(silence(500), tone(1500, 100), silence(gapMs), tone(1000, 400), silence(500)));
    expect(pair(40)).toEqual([]);
    expect(lead(40)).toEqual([]);
    expect(pair(60).map((beep) => beep.frequencyHz)).toEqual([1000, 1500]);
    expect(lead(60).map((beep) => beep.frequencyHz)).toEqual([1000]);
  });

  it('a chord, a 150 ms blip, tones below 440 Hz and above 2000 Hz, and a sweep', () => {
    const chord = renderSegments(
      [{ durationMs: 800, tones: [523.3, 659.3, 784].map((frequencyHz) => ({ frequencyHz, dbm0: -20 })) }],
      () => 0.2,
    );
    const sweep = Float64Array.from(
      { length: 8000 },
      (_, n) => 3000 * Math.sin(2 * Math.PI * (600 * (n / 8000) + 300 * (n / 8000) ** 2)),
    );
    for (const signal of [chord, tone(1000, 150), tone(350, 800), tone(2400, 800), sweep]) {
      expect(beepsIn(concat(silence(500), signal, silence(500)))).toEqual([]);
    }
  });

  it("the tones of a zone being listened for: China's 450 Hz busy tone is busy, not beeps; beeps when China is not listened for", () => {
    const busy = renderSegments(
      Array.from({ length: 8 }, (_, k) => ({
        durationMs: 350,
        tones: k % 2 === 0 ? [{ frequencyHz: 450, dbm0: -20 }] : [],
      })),
      () => 0.4,
    );
    const inChina = analyse(
      new AudioAnalyser({ callProgress: { zones: ['cn'] }, answeringMachine: false }),
      toMulaw(busy),
    );
    expect(inChina.map((d) => d.type)).toEqual(['busy']);
    expect(beepsIn(busy).length).toBeGreaterThan(0);
  });

  it('a steady tone longer than maxDurationMs; one within a changed frequency range is a beep', () => {
    expect(beepsIn(concat(tone(1000, 6000), silence(300)))).toEqual([]);
    const analyser = new AudioAnalyser({ beep: { minFrequencyHz: 300, maxDurationMs: 8000 } });
    const found = beeps(analyse(analyser, toMulaw(concat(silence(200), tone(350, 6000), silence(300)))));
    expect(found.map((beep) => beep.frequencyHz)).toEqual([350]);
  });
});
