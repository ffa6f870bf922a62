/**
 * voice-mfa/audio: pure analysis of a call's audio (8 kHz, G.711 μ-law or
 * 16-bit linear). No dependencies and no Node-specific APIs: it runs
 * anywhere.
 *
 * @packageDocumentation
 */

export { goertzelPower } from './goertzel.js';
export { dbm0ToAmplitude } from './levels.js';
export { decodeMulaw, encodeMulaw, linearToMulaw, mulawToLinear } from './mulaw.js';
export { SAMPLE_RATE_HZ } from './sampleClock.js';
