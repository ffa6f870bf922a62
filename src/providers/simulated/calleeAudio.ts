/**
 * What a scripted callee's line sounds like, as 8 kHz G.711 μ-law — the audio
 * Twilio Media Streams would fork to a WebSocket: ringback while it rings,
 * busy or reorder tones, special information tones and an announcement, a
 * voicemail greeting and its beep, a person's "Hello?" and then silence.
 *
 * @module
 */
import { encodeMulaw } from '../../audio/mulaw.js';
import { SAMPLES_PER_MS } from '../../audio/sampleClock.js';
import {
  cadenceSegments,
  concat,
  type RandomSource,
  renderSegments,
  silence,
  sitSegments,
  speechLike,
  spokenWord,
} from '../../audio/synthesis.js';
import { TONE_ZONES, type ToneCadence, type ToneZone, type ToneZoneName } from '../../audio/toneZones.js';
import type { SitKind } from '../../machine/events.js';
import { createSeededRandom } from './random.js';
import type { CalleeScript } from './scripts.js';

/**
 * Which part of the call the line plays: before the answer (ringback, or the
 * network's early media: busy, reorder, an intercept announcement) or after it.
 *
 * @example
 * ```ts
 * const phase: CalleeLinePhase = 'answered';
 * ```
 */
export type CalleeLinePhase = 'ringing' | 'answered';

/**
 * How a callee's line is rendered.
 *
 * @example
 * ```ts
 * const options: CalleeAudioOptions = { seed: 7, zone: 'uk' };
 * ```
 */
export interface CalleeAudioOptions {
  /** Seed of the speech-like sounds and tone phases. Default 1. */
  seed?: number;
  /** Whose ringback, busy and reorder tones. Default `us`. */
  zone?: ToneZoneName | ToneZone;
}

/** Played once from the start of a phase, then `loop` over and over. */
interface LineProgram {
  once: Uint8Array;
  loop: Uint8Array;
}

const TONE_DBM0 = -20;
const VOICE_DBM0 = -16;
const SILENT_FRAME = encodeMulaw(silence(20));

const looped = (signal: Float64Array): LineProgram => ({ once: new Uint8Array(0), loop: encodeMulaw(signal) });

/** One period of a call-progress tone. */
const cadencePeriod = (tone: ToneCadence, random: RandomSource): Float64Array =>
  renderSegments(
    cadenceSegments(
      tone,
      tone.cadenceMs.reduce((sum, ms) => sum + ms, 0),
      TONE_DBM0,
    ),
    random,
  );

/** A network announcement: its tones, a moment later the recording, then a pause before it repeats. */
const announcement = (kind: SitKind, random: RandomSource): Float64Array =>
  concat(
    silence(50),
    renderSegments(sitSegments(kind, TONE_DBM0), random),
    silence(150),
    speechLike(random, 5_000, VOICE_DBM0),
    silence(1_500),
  );

function programOf(script: CalleeScript, phase: CalleeLinePhase, zone: ToneZone, random: RandomSource): LineProgram {
  if (phase === 'ringing') {
    switch (script.kind) {
      case 'busy':
        return looped(cadencePeriod(zone.busy, random));
      case 'carrier-failure':
        return looped(cadencePeriod(zone.reorder, random));
      case 'sit':
        return looped(announcement(script.sitKind, random));
      case 'invalid-number':
        return looped(announcement('vacant-code', random));
      case 'api-error':
        return looped(silence(20));
      default:
        return looped(cadencePeriod(zone.ringback, random));
    }
  }
  switch (script.kind) {
    case 'answers':
      return { once: encodeMulaw(concat(silence(300), spokenWord(random, 500, VOICE_DBM0))), loop: SILENT_FRAME };
    case 'voicemail': {
      const beep = renderSegments([{ durationMs: 500, tones: [{ frequencyHz: 1_000, dbm0: -14 }] }], random);
      const greeting = concat(silence(400), speechLike(random, 4_500, VOICE_DBM0), silence(600), beep);
      return { once: encodeMulaw(greeting), loop: SILENT_FRAME };
    }
    case 'intercept':
      return looped(announcement(script.sitKind ?? 'intercept', random));
    default:
      return looped(silence(20));
  }
}

/**
 * A callee's line as a stream: `read` hands out the next samples of the
 * current phase; `setPhase` starts the other phase from its beginning.
 *
 * @example
 * ```ts
 * const line = new CalleeLine({ kind: 'intercept' });
 * line.setPhase('answered');
 * const frame = line.read(new Uint8Array(160)); // the next 20 ms
 * ```
 */
export class CalleeLine {
  private readonly zone: ToneZone;
  private readonly random: RandomSource;
  private program: LineProgram;
  private position = 0;

  constructor(
    private readonly script: CalleeScript,
    options: CalleeAudioOptions = {},
    phase: CalleeLinePhase = 'ringing',
  ) {
    this.zone = typeof options.zone === 'object' ? options.zone : TONE_ZONES[options.zone ?? 'us'];
    this.random = createSeededRandom(options.seed ?? 1);
    this.program = programOf(script, phase, this.zone, this.random);
  }

  /** Plays the other part of the call from its beginning. */
  setPhase(phase: CalleeLinePhase): void {
    this.program = programOf(this.script, phase, this.zone, this.random);
    this.position = 0;
  }

  /** Fills `into` with the next samples of the line, as μ-law, and returns it. */
  read(into: Uint8Array): Uint8Array {
    const { once, loop } = this.program;
    for (let i = 0; i < into.length; i++, this.position++) {
      into[i] =
        this.position < once.length
          ? (once[this.position] as number)
          : (loop[(this.position - once.length) % loop.length] as number);
    }
    return into;
  }
}

/**
 * `durationMs` of what a scripted callee's line carries in one phase of a
 * call, as 8 kHz μ-law: what the simulated carrier listens to, and what a
 * test can stream to a Media Streams server in Twilio's place.
 *
 * @example
 * ```ts
 * const audio = renderCalleeAudio({ kind: 'intercept', sitKind: 'vacant-code' }, 'answered', 3_000);
 * audio.length; // 24 000 bytes: SIT, then the start of the announcement
 * ```
 */
export function renderCalleeAudio(
  script: CalleeScript,
  phase: CalleeLinePhase,
  durationMs: number,
  options: CalleeAudioOptions = {},
): Uint8Array {
  const samples = Math.max(0, Math.round(durationMs * SAMPLES_PER_MS));
  return new CalleeLine(script, options, phase).read(new Uint8Array(samples));
}
