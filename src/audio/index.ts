/**
 * voice-mfa/audio: pure, streaming analysis of a call's audio (8 kHz, G.711
 * μ-law or 16-bit linear) — special information tones, busy / reorder /
 * ringback by cadence, the app_amd answering-machine heuristic, beeps and
 * DTMF — with the μ-law codec and Goertzel filter it is built on. No
 * dependencies and no Node-specific APIs: it runs anywhere.
 *
 * @packageDocumentation
 * @module voice-mfa/audio
 */

export type { SitKind } from '../machine/events.js';
export {
  type AnsweringMachineOptions,
  DEFAULT_ANSWERING_MACHINE_OPTIONS,
} from './answeringMachineDetector.js';
export { AudioAnalyser } from './audioAnalyser.js';
export type { BeepOptions } from './beepDetector.js';
export type { CallProgressOptions } from './cadenceDetector.js';
export type {
  AnsweringMachineCause,
  AnsweringMachineDetection,
  AudioDetection,
  BeepDetection,
  CallProgressToneDetection,
  CallProgressToneType,
  DtmfDetection,
  DtmfDigit,
  SitDetection,
} from './detections.js';
export type { DtmfOptions } from './dtmfDetector.js';
export { InvalidAudioConfigurationError } from './errors.js';
export { goertzelPower } from './goertzel.js';
export { dbm0ToAmplitude } from './levels.js';
export { decodeMulaw, encodeMulaw, linearToMulaw, mulawToLinear } from './mulaw.js';
export type { AudioAnalyserOptions } from './options.js';
export { SAMPLE_RATE_HZ } from './sampleClock.js';
export type { SitOptions } from './sitDetector.js';
export { classifySit, type DefinedSitCode, SIT_SEQUENCES, type SitCode, type SitSegment } from './sitTones.js';
export { TONE_ZONES, type ToneCadence, type ToneZone, type ToneZoneName } from './toneZones.js';
