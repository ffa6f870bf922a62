/**
 * The callees' lines, heard by the analyser: each script sounds like what it
 * stands for, in every tone zone, and a person or a voicemail gives no tone.
 */
import { describe, expect, it } from 'vitest';
import { AudioAnalyser } from '../../src/audio/audioAnalyser.js';
import type { AudioDetection } from '../../src/audio/detections.js';
import type { ToneZoneName } from '../../src/audio/toneZones.js';
import { type CalleeLinePhase, renderCalleeAudio } from '../../src/providers/simulated/calleeAudio.js';
import type { CalleeScript } from '../../src/providers/simulated/scripts.js';

function hear(script: CalleeScript, phase: CalleeLinePhase, durationMs: number, zone: ToneZoneName = 'us') {
  const analyser = new AudioAnalyser({ callProgress: { zones: [zone] } });
  const detections: AudioDetection[] = [];
  const audio = renderCalleeAudio(script, phase, durationMs, { zone, seed: 5 });
  for (let offset = 0; offset < audio.length; offset += 160) {
    detections.push(...analyser.pushMulaw(audio.subarray(offset, offset + 160)));
  }
  return detections;
}

const types = (detections: readonly AudioDetection[]) => [...new Set(detections.map((d) => d.type))].sort();

describe("a callee's line, as the analyser hears it", () => {
  it.each<ToneZoneName>(['us', 'uk', 'de', 'fr', 'cn', 'ru'])('rings, is busy and fails with the %s tones', (zone) => {
    expect(types(hear({ kind: 'answers' }, 'ringing', 12_500, zone))).toContain('ringback');
    expect(types(hear({ kind: 'busy', signalled: false }, 'ringing', 4_000, zone))).toContain('busy');
    expect(types(hear({ kind: 'carrier-failure' }, 'ringing', 4_000, zone))).toContain('reorder');
  });

  it.each([
    ['intercept', 'IC'],
    ['vacant-code', 'VC'],
    ['no-circuit', 'NC'],
    ['reorder', 'RO'],
    ['unknown', 'E180'],
  ] as const)(
    'an intercept recording with %s tones starts with the %s sequence, and again when it repeats',
    (sitKind, code) => {
      const sits = hear({ kind: 'intercept', sitKind }, 'answered', 20_000).filter((d) => d.type === 'sit');
      expect(sits.length).toBeGreaterThanOrEqual(2);
      for (const sit of sits) expect(sit).toMatchObject({ code, kind: sitKind });
      expect(sits[0]?.atMs).toBeLessThan(1_300);
    },
  );

  it('a person says "Hello?" and listens; a voicemail greets at length and beeps', () => {
    const person = hear({ kind: 'answers' }, 'answered', 5_000);
    expect(types(person)).toEqual(['human']);
    const voicemail = hear({ kind: 'voicemail' }, 'answered', 8_000);
    expect(types(voicemail)).toEqual(['beep', 'machine']);
  });
});
