/**
 * Special information tones: the four North American codes and the ITU-T
 * E.180 sequence, synthesised across their tolerances (frequency ±0.2 %,
 * duration ±5 %, −10 to −30 dBm0, white noise down to 10 dB SNR, gaps up to
 * 4 ms, or up to 30 ms for E.180, whose pause our reference does not give),
 * followed by an announcement, are classified,
 * timed and measured. The sequences below are TELEPHONY.md's table, written
 * out here independently of the library's own.
 */
import { describe, expect, it } from 'vitest';
import { AudioAnalyser, classifySit, SIT_SEQUENCES, type SitDetection, type SitKind } from '../../src/audio/index.js';
import {
  addNoise,
  analyse,
  concat,
  renderSegments,
  type Segment,
  silence,
  speechLike,
  toMulaw,
  uniform,
} from './signals.js';
import { describeDetections, expectRate, runTrials, TRIALS_TIMEOUT_MS } from './trials.js';

type Code = 'NC' | 'IC' | 'VC' | 'RO' | 'E180';

/** TELEPHONY.md "Special information tones": [frequency Hz, duration ms] of each tone. */
const REFERENCE: Record<Code, readonly (readonly [number, number])[]> = {
  NC: [
    [985.2, 380],
    [1428.5, 380],
    [1776.7, 380],
  ],
  IC: [
    [913.8, 274],
    [1370.6, 274],
    [1776.7, 380],
  ],
  VC: [
    [985.2, 380],
    [1370.6, 274],
    [1776.7, 380],
  ],
  RO: [
    [913.8, 274],
    [1428.5, 380],
    [1776.7, 380],
  ],
  E180: [
    [950, 330],
    [1400, 330],
    [1800, 330],
  ],
};
const KIND: Record<Code, SitKind> = {
  NC: 'no-circuit',
  IC: 'intercept',
  VC: 'vacant-code',
  RO: 'reorder',
  E180: 'unknown',
};
const CODES = Object.keys(REFERENCE) as Code[];
const TRIALS_PER_CODE = 200;

/** One SIT as a carrier might send it, then the announcement; returns what the analyser should measure. */
function trial(code: Code, random: () => number): string | null {
  const level = uniform(random, -30, -10);
  const snrDb = uniform(random, 10, 40);
  const maxGapMs = code === 'E180' ? 30 : 4;
  const leadMs = uniform(random, 0, 500);
  const tones = REFERENCE[code].map(([frequencyHz, durationMs]) => ({
    frequencyHz: frequencyHz * uniform(random, 0.998, 1.002),
    durationMs: durationMs * uniform(random, 0.95, 1.05),
    dbm0: level + uniform(random, -1, 1),
  }));
  const gaps = [uniform(random, 0, maxGapMs), uniform(random, 0, maxGapMs)];
  const segments: Segment[] = tones.flatMap((tone, i) => [
    { durationMs: tone.durationMs, tones: [{ frequencyHz: tone.frequencyHz, dbm0: tone.dbm0 }] },
    ...(i < 2 ? [{ durationMs: gaps[i] as number, tones: [] }] : []),
  ]);
  const signal = concat(
    silence(leadMs),
    renderSegments(segments, random),
    silence(uniform(random, 0, 300)),
    speechLike(random, 800, level),
  );
  addNoise(signal, level - snrDb, random);
  const detections = analyse(new AudioAnalyser(), toMulaw(signal));
  const sits = detections.filter((d): d is SitDetection => d.type === 'sit');
  const setting = `${level.toFixed(1)} dBm0, SNR ${snrDb.toFixed(1)} dB`;
  if (sits.length !== 1) return `${setting}: ${describeDetections(detections)}`;
  const [sit] = sits as [SitDetection];
  if (sit.code !== code || sit.kind !== KIND[code]) return `${setting}: ${describeDetections(sits)}`;
  // Gaps are shared out between the tones on either side.
  const [g0, g1] = gaps as [number, number];
  const expectedLengths = [
    (tones[0]?.durationMs as number) + g0 / 2,
    (tones[1]?.durationMs as number) + g0 / 2 + g1 / 2,
    (tones[2]?.durationMs as number) + g1 / 2,
  ];
  const lengthErrors = sit.segments.map((segment, i) => Math.abs(segment.durationMs - (expectedLengths[i] as number)));
  const end = leadMs + tones.reduce((sum, tone) => sum + tone.durationMs, 0) + g0 + g1;
  if (Math.abs(sit.startMs - leadMs) > 15) return `${setting}: starts at ${sit.startMs}, not ${leadMs.toFixed(0)}`;
  if (lengthErrors.some((error) => error > 15)) return `${setting}: tones measured ${describeDetections(sits)}`;
  if (sit.atMs < end || sit.atMs > end + 60)
    return `${setting}: decided at ${sit.atMs}, the tones ended at ${end.toFixed(0)}`;
  return null;
}

describe('SIT classification across the tolerances', () => {
  for (const code of CODES) {
    it(
      `${code}: classified, its start within 15 ms, its tones measured within 15 ms, decided within 60 ms of the end, in at least 99 % of ${TRIALS_PER_CODE} trials`,
      () => {
        const report = runTrials(TRIALS_PER_CODE, CODES.indexOf(code) * 10_000, (random) => trial(code, random));
        expectRate(report, 0.99, `SIT ${code}`);
      },
      TRIALS_TIMEOUT_MS,
    );
  }
});

describe('SIT with a dropout early in its third tone (a lost packet)', () => {
  const TONES = [
    { frequencyHz: 913.8, durationMs: 274 },
    { frequencyHz: 1370.6, durationMs: 274 },
    { frequencyHz: 1776.7, durationMs: 380 },
  ];
  const intercept = (): Float64Array =>
    concat(
      silence(100),
      renderSegments(
        TONES.map(({ frequencyHz, durationMs }) => ({ durationMs, tones: [{ frequencyHz, dbm0: -20 }] })),
        () => 0.25,
      ),
      silence(500),
    );
  const thirdToneStart = (100 + 274 + 274) * 8;

  it.each([14, 20, 40])('a %d ms dropout 30–150 ms into the third tone still gives IC', (gapMs) => {
    for (const intoMs of [30, 150]) {
      const signal = intercept();
      const from = thirdToneStart + intoMs * 8;
      signal.fill(0, from, from + gapMs * 8);
      const sits = analyse(new AudioAnalyser(), toMulaw(signal)).filter((d): d is SitDetection => d.type === 'sit');
      expect(
        sits.map((sit) => sit.code),
        `${gapMs} ms at ${intoMs} ms`,
      ).toEqual(['IC']);
    }
  });
});

describe('classifySit', () => {
  it('has the reference sequences', () => {
    for (const code of CODES) {
      expect(SIT_SEQUENCES[code].map((tone) => [tone.frequencyHz, tone.durationMs])).toEqual(REFERENCE[code]);
    }
  });

  it.each(CODES)('classifies the nominal %s sequence', (code) => {
    const segments = REFERENCE[code].map(([frequencyHz, durationMs]) => ({ frequencyHz, durationMs }));
    expect(classifySit(segments)).toEqual({ code, kind: KIND[code] });
  });

  it('needs frequency and length to agree: a long low first tone is no listed code', () => {
    expect(
      classifySit([
        { frequencyHz: 913.8, durationMs: 380 },
        { frequencyHz: 1370.6, durationMs: 380 },
        { frequencyHz: 1776.7, durationMs: 380 },
      ]),
    ).toEqual({ code: 'other', kind: 'unknown' });
  });

  it('reports a third tone far from 1776.7/1800 Hz, a missing tone or unrelated frequencies as other', () => {
    const first = { frequencyHz: 985.2, durationMs: 380 };
    const second = { frequencyHz: 1428.5, durationMs: 380 };
    expect(classifySit([first, second, { frequencyHz: 2100, durationMs: 380 }]).code).toBe('other');
    expect(classifySit([first, second]).code).toBe('other');
    expect(
      classifySit([
        { frequencyHz: 700, durationMs: 300 },
        { frequencyHz: 1100, durationMs: 300 },
        { frequencyHz: 1800, durationMs: 300 },
      ]).code,
    ).toBe('other');
  });

  it('reports tones whose length is not a length (NaN, infinite, zero or negative) as other, not as a code', () => {
    const nominal = (code: 'NC' | 'IC' | 'E180', durationMs: number, at: number) =>
      SIT_SEQUENCES[code].map((tone, i) => (i === at ? { ...tone, durationMs } : tone));
    for (const durationMs of [Number.NaN, Number.POSITIVE_INFINITY, 0, -274]) {
      for (const at of [0, 1, 2]) {
        for (const code of ['NC', 'IC', 'E180'] as const) {
          expect(classifySit(nominal(code, durationMs, at)), `${code}, tone ${at + 1} of ${durationMs} ms`).toEqual({
            code: 'other',
            kind: 'unknown',
          });
        }
      }
    }
  });
});
