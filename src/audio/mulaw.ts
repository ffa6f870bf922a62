/**
 * G.711 μ-law: 8-bit logarithmic codes to 16-bit linear samples and back, as
 * Twilio Media Streams deliver them (`audio/x-mulaw`, 8 kHz). The decoder is
 * a 256-entry table; the encoder is the classic segment search. Both follow
 * the ITU-T G.711 reference (bias 0x84, clip 32 635, silence 0xFF).
 *
 * @module
 */
import { InvalidAudioConfigurationError } from './errors.js';

const BIAS = 0x84;
const CLIP = 32_635;
const SIGN_BIT = 0x80;

function decodeCode(code: number): number {
  const inverted = ~code & 0xff;
  const magnitude = (((inverted & 0x0f) << 3) + BIAS) << ((inverted & 0x70) >> 4);
  return inverted & SIGN_BIT ? BIAS - magnitude : magnitude - BIAS;
}

/** Linear value of every μ-law code, indexed by the code. Shared, read-only by convention. */
export const MULAW_DECODE_TABLE: Int16Array = Int16Array.from({ length: 256 }, (_, code) => decodeCode(code));

/**
 * Linear 16-bit value of one μ-law code (0–255).
 *
 * @example
 * ```ts
 * mulawToLinear(0xff); // 0 (silence)
 * mulawToLinear(0x80); // 32124, the largest positive value
 * ```
 */
export function mulawToLinear(code: number): number {
  return MULAW_DECODE_TABLE[code & 0xff] as number;
}

/**
 * μ-law code of one linear 16-bit sample (rounded, and clipped at ±32 635;
 * NaN, which has no level, is silence).
 *
 * @example
 * ```ts
 * linearToMulaw(0);     // 0xff
 * linearToMulaw(32767); // 0x80
 * ```
 */
export function linearToMulaw(sample: number): number {
  // NaN would otherwise fall through every comparison below and make no code at all.
  const rounded = Number.isNaN(sample) ? 0 : Math.round(sample);
  const signMask = rounded < 0 ? 0x7f : 0xff;
  const magnitude = Math.min(rounded < 0 ? -rounded : rounded, CLIP) + BIAS;
  // The segment is the position of the highest set bit above bit 7 (the bias guarantees bit 7 or higher).
  const segment = 24 - Math.clz32(magnitude);
  return ((segment << 4) | ((magnitude >> (segment + 3)) & 0x0f)) ^ signMask;
}

/**
 * Decodes μ-law bytes to linear samples, into `into` when given (it must be
 * at least as long: a shorter one is an `InvalidAudioConfigurationError`),
 * otherwise into a new array.
 *
 * @example
 * ```ts
 * const payload = Buffer.from(message.media.payload, 'base64'); // a Twilio Media Streams frame
 * const samples = decodeMulaw(payload); // Int16Array of 160 samples for 20 ms
 * ```
 */
export function decodeMulaw(codes: Uint8Array, into: Int16Array = new Int16Array(codes.length)): Int16Array {
  if (into.length < codes.length) throw tooShort('decodeMulaw', into.length, codes.length, 'samples');
  for (let i = 0; i < codes.length; i++) into[i] = MULAW_DECODE_TABLE[codes[i] as number] as number;
  return into;
}

/** The refusal of an output array `into` shorter than the input. */
function tooShort(codec: string, holds: number, needed: number, unit: string): InvalidAudioConfigurationError {
  return new InvalidAudioConfigurationError(
    [{ path: 'into', message: `holds ${holds} ${unit}, fewer than the ${needed} of the input` }],
    `${codec} arguments`,
  );
}

/** μ-law code of every 16-bit value (offset by 32 768), built on first use: 64 KiB that make encoding a lookup. */
let encodeTable: Uint8Array | null = null;

function getEncodeTable(): Uint8Array {
  if (encodeTable === null) encodeTable = Uint8Array.from({ length: 65_536 }, (_, i) => linearToMulaw(i - 32_768));
  return encodeTable;
}

/**
 * Encodes linear 16-bit samples to μ-law bytes, into `into` when given (it
 * must be at least as long: a shorter one is an
 * `InvalidAudioConfigurationError`), otherwise into a new array; each sample as
 * {@link linearToMulaw} encodes it.
 *
 * @example
 * ```ts
 * const tone = Int16Array.from({ length: 160 }, (_, n) => 2000 * Math.sin((2 * Math.PI * 1000 * n) / 8000));
 * const payload = encodeMulaw(tone); // 160 bytes, ready for base64
 * ```
 */
export function encodeMulaw(samples: ArrayLike<number>, into: Uint8Array = new Uint8Array(samples.length)): Uint8Array {
  if (into.length < samples.length) throw tooShort('encodeMulaw', into.length, samples.length, 'bytes');
  const table = getEncodeTable();
  for (let i = 0; i < samples.length; i++) {
    // Rounded and clipped to the table: floor(x + 0.5) + 32 768, within 0…65 535. NaN fails both
    // comparisons and is silence, the code of 0.
    const index = (samples[i] as number) + 32_768.5;
    into[i] = table[index <= 0 ? 0 : index >= 65_535 ? 65_535 : Number.isNaN(index) ? 32_768 : index | 0] as number;
  }
  return into;
}
