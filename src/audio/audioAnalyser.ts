/**
 * The streaming audio analyser: feed it a call's audio as it arrives, in
 * frames of any size, and it reports what it hears with the time, counted in
 * samples from the first one.
 *
 * @module
 */
import { AnsweringMachineDetector } from './answeringMachineDetector.js';
import { BeepDetector } from './beepDetector.js';
import { CadenceDetector, type ResolvedCallProgressOptions } from './cadenceDetector.js';
import type { AudioDetection, EmitDetection } from './detections.js';
import { DtmfDetector } from './dtmfDetector.js';
import { MULAW_DECODE_TABLE } from './mulaw.js';
import { type AudioAnalyserOptions, resolveAnalyserOptions } from './options.js';
import { SAMPLES_PER_MS } from './sampleClock.js';
import { SitDetector } from './sitDetector.js';
import { HOP_SAMPLES, ToneBank } from './toneBank.js';

const NO_DETECTIONS: readonly AudioDetection[] = Object.freeze([]);

/** Frequencies of the call-progress tones, among those listened for, that are played alone. */
function singleToneFrequencies(callProgress: ResolvedCallProgressOptions | null): number[] {
  const tones = (callProgress?.zones ?? []).flatMap((zone) => [zone.ringback, zone.busy, zone.reorder]);
  return [...new Set(tones.filter((tone) => tone.frequenciesHz.length === 1).flatMap((tone) => tone.frequenciesHz))];
}

/**
 * Listens to one call's audio (8 kHz, mono) and reports special information
 * tones, busy / reorder / ringback, the answering-machine verdict, beeps and,
 * when enabled, DTMF keys. One analyser per stream; it keeps no reference to
 * the frames it is given and allocates nothing per frame unless it has
 * something to report.
 *
 * @example
 * ```ts
 * const analyser = new AudioAnalyser({ callProgress: { zones: ['us'] } });
 * socket.on('message', (data) => {
 *   const message = JSON.parse(String(data));
 *   if (message.event !== 'media') return;
 *   for (const detection of analyser.pushMulaw(Buffer.from(message.media.payload, 'base64'))) {
 *     if (detection.type === 'sit') console.log(`${detection.kind} at ${detection.atMs} ms`);
 *   }
 * });
 * ```
 */
export class AudioAnalyser {
  private readonly bank = new ToneBank();
  // One field per detector, so that each call below has a single target the JIT can inline.
  private readonly sit: SitDetector | null;
  private readonly cadence: CadenceDetector | null;
  private readonly answeringMachine: AnsweringMachineDetector | null;
  private readonly beep: BeepDetector | null;
  private readonly dtmf: DtmfDetector | null;
  private readonly hop = new Float64Array(HOP_SAMPLES);
  private hopFill = 0;
  private hops = 0;
  private found: AudioDetection[] | null = null;
  private readonly emit: EmitDetection = (detection) => {
    if (this.found === null) this.found = [];
    this.found.push(detection);
  };

  /**
   * @throws {@link InvalidAudioConfigurationError} when an option cannot work; every problem is listed.
   *
   * @example
   * ```ts
   * const analyser = new AudioAnalyser({ callProgress: { zones: ['de'] }, dtmf: true });
   * ```
   */
  constructor(options: AudioAnalyserOptions = {}) {
    const resolved = resolveAnalyserOptions(options);
    this.sit = resolved.sit && new SitDetector(this.bank, resolved.sit);
    this.cadence = resolved.callProgress && new CadenceDetector(this.bank, resolved.callProgress);
    this.answeringMachine = resolved.answeringMachine && new AnsweringMachineDetector(resolved.answeringMachine);
    this.beep =
      resolved.beep && new BeepDetector(this.bank, resolved.beep, singleToneFrequencies(resolved.callProgress));
    this.dtmf = resolved.dtmf && new DtmfDetector(this.bank, resolved.dtmf);
  }

  /**
   * Samples given so far, by every push since the analyser was made. Audio is
   * analysed in hops of 32 samples (4 ms): up to 31 of the samples counted
   * may wait for the rest of their hop, and what they hold is reported by a
   * later push. Detection times never pass this count.
   *
   * @example
   * ```ts
   * analyser.pushMulaw(frame); // 160 bytes
   * analyser.sampleCount; // 160 more than before
   * ```
   */
  get sampleCount(): number {
    return this.hops * HOP_SAMPLES + this.hopFill;
  }

  /**
   * Milliseconds of audio given so far: the stream time of the next sample
   * ({@link AudioAnalyser.sampleCount} at 8 samples a millisecond).
   *
   * @example
   * ```ts
   * for (let i = 0; i < 50; i++) analyser.pushMulaw(frame); // 50 frames of 20 ms
   * analyser.elapsedMs; // 1000
   * ```
   */
  get elapsedMs(): number {
    return this.sampleCount / SAMPLES_PER_MS;
  }

  /**
   * Analyses μ-law bytes (G.711, as Twilio Media Streams send them) and
   * returns what was detected in them, oldest first — usually nothing (a
   * shared empty array).
   *
   * @example
   * ```ts
   * const detections = analyser.pushMulaw(new Uint8Array(160).fill(0xff)); // 20 ms of silence
   * detections.length; // 0
   * ```
   */
  pushMulaw(codes: Uint8Array): readonly AudioDetection[] {
    const { hop } = this;
    const decode = MULAW_DECODE_TABLE;
    let fill = this.hopFill;
    for (let i = 0; i < codes.length; i++) {
      hop[fill++] = decode[codes[i] as number] as number;
      if (fill === hop.length) {
        fill = 0;
        this.analyseHop();
      }
    }
    this.hopFill = fill;
    return this.takeDetections();
  }

  /**
   * Analyses 16-bit linear samples; otherwise as {@link AudioAnalyser.pushMulaw}.
   *
   * @example
   * ```ts
   * const detections = analyser.pushLinear(decodeMulaw(payload));
   * ```
   */
  pushLinear(samples: Int16Array): readonly AudioDetection[] {
    const { hop } = this;
    let fill = this.hopFill;
    for (let i = 0; i < samples.length; i++) {
      hop[fill++] = samples[i] as number;
      if (fill === hop.length) {
        fill = 0;
        this.analyseHop();
      }
    }
    this.hopFill = fill;
    return this.takeDetections();
  }

  private analyseHop(): void {
    this.hops++;
    this.bank.processHop(this.hop);
    const endSample = this.hops * HOP_SAMPLES;
    const { hop, emit } = this;
    this.sit?.onHop(hop, endSample, emit);
    this.cadence?.onHop(hop, endSample, emit);
    this.answeringMachine?.onHop(hop, endSample, emit);
    this.beep?.onHop(hop, endSample, emit);
    this.dtmf?.onHop(hop, endSample, emit);
  }

  private takeDetections(): readonly AudioDetection[] {
    const found = this.found;
    if (found === null) return NO_DETECTIONS;
    this.found = null;
    return found;
  }
}
