/**
 * An independent generator: sox (a program we did not write) encodes tones to
 * μ-law; our decoder and detectors must read them. sox also checks the codec
 * itself: it decodes all 256 codes, and encodes every 16-bit value.
 * Skipped, with a note, where sox is not installed (apt-get install sox).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AudioAnalyser, type AudioDetection, decodeMulaw, encodeMulaw, mulawToLinear } from '../../src/audio/index.js';
import { analyse, DTMF_KEYS } from './signals.js';
import { describeDetections } from './trials.js';

const soxInstalled = spawnSync('sox', ['--version']).error === undefined;
if (!soxInstalled) {
  // CI installs sox and sets this: a sox test that skips there proves nothing.
  if (process.env.VOICE_MFA_REQUIRE_SOX === '1') throw new Error('VOICE_MFA_REQUIRE_SOX=1 but sox is not on PATH');
  console.warn('sox is not on PATH: the sox tests are skipped (apt-get install sox)');
}

const RAW_MULAW = ['-t', 'raw', '-r', '8000', '-e', 'u-law', '-b', '8', '-c', '1'];
const RAW_LINEAR = ['-t', 'raw', '-r', '8000', '-e', 'signed', '-b', '16', '-c', '1', '-L'];

function sox(args: readonly string[], input?: Uint8Array): Uint8Array {
  const result = spawnSync('sox', args, { input, maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`sox ${args.join(' ')} failed: ${result.stderr.toString()}`);
  return new Uint8Array(result.stdout);
}

/**
 * μ-law audio made by sox's synth effect; `chains` are effect chains played one after another.
 * Without dither (-D), which sox draws at random: the same audio on every run.
 */
const synthesise = (chains: readonly string[]): Uint8Array =>
  sox(['-D', '-n', '-r', '8000', '-c', '1', '-e', 'u-law', '-t', 'raw', '-', ...chains.join(' : ').split(' ')]);

const detect = (audio: Uint8Array): AudioDetection[] => analyse(new AudioAnalyser({ dtmf: true }), audio);

const sitChains = (tones: readonly [number, number][]): string[] =>
  tones.map(([frequencyHz, ms], i) => {
    const pad = i === 0 ? ' pad 0.3 0' : i === 2 ? ' pad 0 1' : '';
    return `synth ${ms / 1000} sine ${frequencyHz} gain -24${pad}`;
  });

describe.skipIf(!soxInstalled)('audio made by sox (skipped without sox: apt-get install sox)', () => {
  it('our decoder gives what sox decodes, for all 256 codes', () => {
    const codes = Uint8Array.from({ length: 256 }, (_, code) => code);
    const theirs = sox([...RAW_MULAW, '-', ...RAW_LINEAR, '-'], codes);
    const view = new DataView(theirs.buffer, theirs.byteOffset, theirs.byteLength);
    const expected = Array.from({ length: 256 }, (_, i) => view.getInt16(2 * i, true));
    expect([...decodeMulaw(codes)]).toEqual(expected);
  });

  it('our encoder gives the codes sox gives for more than 99 % of the 16-bit values, and a neighbouring code for the rest', () => {
    const values = Int16Array.from({ length: 65_536 }, (_, i) => i - 32_768);
    const bytes = new Uint8Array(2 * values.length);
    const view = new DataView(bytes.buffer);
    for (const [i, value] of values.entries()) view.setInt16(2 * i, value, true);
    // -D: no dither, so sox encodes each value as it is.
    const theirs = sox(['-D', ...RAW_LINEAR, '-', ...RAW_MULAW, '-'], bytes);
    const ours = encodeMulaw(values);
    const differences = values.filter((_, i) => ours[i] !== theirs[i]);
    expect(differences.length / values.length).toBeLessThan(0.01);
    for (const [i, value] of values.entries()) {
      if (ours[i] === theirs[i]) continue;
      // sox first cuts samples to G.711's 14 bits, which moves some values across a decision boundary.
      const apart = Math.abs(mulawToLinear(ours[i] as number) - mulawToLinear(theirs[i] as number));
      expect(apart, `value ${value}`).toBeLessThanOrEqual(2 * (4 + Math.abs(value) / 30));
    }
  });

  const sitCodes: [string, [number, number][]][] = [
    [
      'NC',
      [
        [985.2, 380],
        [1428.5, 380],
        [1776.7, 380],
      ],
    ],
    [
      'IC',
      [
        [913.8, 274],
        [1370.6, 274],
        [1776.7, 380],
      ],
    ],
    [
      'VC',
      [
        [985.2, 380],
        [1370.6, 274],
        [1776.7, 380],
      ],
    ],
    [
      'RO',
      [
        [913.8, 274],
        [1428.5, 380],
        [1776.7, 380],
      ],
    ],
  ];
  it.each(sitCodes)('SIT %s', (code, tones) => {
    const found = detect(synthesise(sitChains(tones)));
    const sits = found.filter((d) => d.type === 'sit');
    expect(
      sits.map((d) => d.type === 'sit' && d.code),
      describeDetections(found),
    ).toEqual([code]);
  });

  it.each([
    ['busy', 'synth 0.5 sine 480 sine mix 620 gain -20 pad 0 0.5 repeat 4'],
    ['reorder', 'synth 0.25 sine 480 sine mix 620 gain -20 pad 0 0.25 repeat 6'],
    ['ringback', 'synth 2 sine 440 sine mix 480 gain -20 pad 0 4 repeat 1'],
  ])('US %s', (type, chain) => {
    const found = detect(synthesise([chain]));
    const tones = found.filter((d) => d.type === 'busy' || d.type === 'reorder' || d.type === 'ringback');
    expect(
      tones.map((d) => d.type),
      describeDetections(found),
    ).toEqual([type]);
  });

  it('DTMF keys 1 5 9 # 0 * D', () => {
    const digits = '159#0*D';
    const chains = [...digits].map((digit) => {
      const [row, column] = DTMF_KEYS[digit] as [number, number];
      return `synth 0.07 sine ${row} sine mix ${column} gain -12 pad 0 0.06`;
    });
    const found = detect(synthesise(chains));
    expect(found.flatMap((d) => (d.type === 'dtmf' ? [d.digit] : [])).join('')).toBe(digits);
  });
});
