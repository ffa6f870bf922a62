/**
 * How keys are collected with `<Gather>` given Twilio's `finishOnKey` rules,
 * and how a Gather's `Digits` become `call.digits`. The design and why it is so
 * are in docs/twilio.md, "Collecting keys".
 *
 * In short: a `#` pressed with nothing before it in the same `<Gather>` never
 * reaches us when `finishOnKey="#"` (it counts as no input). So every Gather
 * that may receive such a `#` — the first of a prompt, and any after an entry
 * that could be complete — collects one key at a time with `finishOnKey=""`
 * and `numDigits="1"`, and `#` arrives as `Digits=#`.
 *
 * @module
 */
import type { PlayPromptCommand } from '../../machine/commands.js';
import type { GatherShape } from './webhookRoutes.js';

/**
 * How PINs are collected:
 * - `key-by-key` (default) — one request per key; relies only on documented Gather behaviour;
 * - `finish-on-key` — after the first key of a PIN that cannot be the fraud code,
 *   the rest up to `#` in one `<Gather finishOnKey="#">`; relies on Twilio's
 *   `FinishedOnKey` parameter to tell `#` from a timeout. A PIN shorter than
 *   `minPinLength` may then lose its `#` (and count as an invalid entry).
 *
 * @example
 * ```ts
 * new TwilioVoiceProvider({ ...credentials, publicBaseUrl, pinEntry: 'finish-on-key', minPinLength: 6 });
 * ```
 */
export type PinEntryStyle = 'key-by-key' | 'finish-on-key';

/**
 * What is known of the entry being typed: never the keys, only their count and whether they can still be the fraud code.
 *
 * @example
 * ```ts
 * const entry: EntryShape = advanceEntry(EMPTY_ENTRY, '12', '0'); // { length: 2, isFraudCodePrefix: false }
 * ```
 */
export interface EntryShape {
  /** Keys typed since the last `#` (or since the prompt). */
  length: number;
  /** Whether those keys are the start of (or equal to) the fraud code. */
  isFraudCodePrefix: boolean;
}

/**
 * An empty entry.
 *
 * @example
 * ```ts
 * advanceEntry(EMPTY_ENTRY, '0', '0'); // { length: 1, isFraudCodePrefix: true }
 * ```
 */
export const EMPTY_ENTRY: Readonly<EntryShape> = { length: 0, isFraudCodePrefix: true };

/**
 * The entry after `keys`: `#` ends it; other keys extend it.
 *
 * @example
 * ```ts
 * advanceEntry(EMPTY_ENTRY, '0', '0'); // { length: 1, isFraudCodePrefix: true }
 * advanceEntry(EMPTY_ENTRY, '12', '0'); // { length: 2, isFraudCodePrefix: false }
 * ```
 */
export function advanceEntry(entry: EntryShape, keys: string, fraudCode: string | null): EntryShape {
  let { length, isFraudCodePrefix } = entry;
  for (const key of keys) {
    if (key === '#') {
      length = 0;
      isFraudCodePrefix = true;
      continue;
    }
    isFraudCodePrefix = isFraudCodePrefix && fraudCode !== null && fraudCode.charAt(length) === key;
    length += 1;
  }
  return { length, isFraudCodePrefix: isFraudCodePrefix && fraudCode !== null && length <= fraudCode.length };
}

/**
 * Settings of key collection.
 *
 * @example
 * ```ts
 * const settings: KeyCollectionSettings = { pinEntry: 'key-by-key', minPinLength: 4 };
 * ```
 */
export interface KeyCollectionSettings {
  pinEntry: PinEntryStyle;
  /** Shortest PIN a host accepts; with `finish-on-key`, shorter PINs may lose their `#`. */
  minPinLength: number;
}

/**
 * The shape of the next `<Gather>` for an entry in progress.
 *
 * @example
 * ```ts
 * const settings = { pinEntry: 'finish-on-key', minPinLength: 4 } as const;
 * chooseGatherShape({ mode: 'pin', fraudCode: '0' }, { length: 1, isFraudCodePrefix: false }, settings); // 'rest'
 * chooseGatherShape({ mode: 'standard', fraudCode: '0' }, { length: 1, isFraudCodePrefix: false }, settings); // 'key'
 * ```
 */
export function chooseGatherShape(
  collect: Pick<PlayPromptCommand['collect'], 'mode' | 'fraudCode'>,
  entry: EntryShape,
  settings: KeyCollectionSettings,
): GatherShape {
  if (collect.mode !== 'pin' || settings.pinEntry !== 'finish-on-key') return 'key';
  // Only a Gather that starts inside an entry no complete PIN or fraud code can end yet may use finishOnKey="#".
  const entryMayBeComplete = entry.length === 0 || entry.isFraudCodePrefix || entry.length >= settings.minPinLength;
  return entryMayBeComplete ? 'key' : 'rest';
}

/**
 * The `<Gather>` attributes of a shape.
 *
 * @example
 * ```ts
 * toGatherKeyAttributes('key'); // { finishOnKey: '', numDigits: 1 }
 * toGatherKeyAttributes('rest'); // { finishOnKey: '#' }
 * ```
 */
export function toGatherKeyAttributes(shape: GatherShape): { finishOnKey: string; numDigits?: number } {
  return shape === 'key' ? { finishOnKey: '', numDigits: 1 } : { finishOnKey: '#' };
}

/**
 * What a Gather's action request reports.
 *
 * @example
 * ```ts
 * const report: GatherReport | null = readGatherReport('rest', { Digits: '234', FinishedOnKey: '#' }); // { keys: '234#', timedOut: false }
 * ```
 */
export interface GatherReport {
  /** Keys in the order pressed, `#` included. */
  keys: string;
  /** The Gather ended by its timeout with keys typed (a `rest` Gather only). */
  timedOut: boolean;
}

const KEYS = /^[0-9*#]{1,64}$/;

/**
 * Reads `Digits` (and `FinishedOnKey`) of a Gather's action request; `null`
 * when they are not keys. A `key` Gather posts exactly one key, `#` included.
 * A `rest` Gather posts the keys without the `#` that finished it, and, when
 * its timeout ended it, the keys typed so far: `FinishedOnKey` tells which.
 *
 * @example
 * ```ts
 * readGatherReport('key', { Digits: '#' }); // { keys: '#', timedOut: false }
 * readGatherReport('rest', { Digits: '234', FinishedOnKey: '#' }); // { keys: '234#', timedOut: false }
 * readGatherReport('rest', { Digits: '23', FinishedOnKey: '' }); // { keys: '23', timedOut: true }
 * ```
 */
export function readGatherReport(
  shape: GatherShape,
  params: { Digits?: string; FinishedOnKey?: string },
): GatherReport | null {
  const digits = params.Digits ?? '';
  if (shape === 'key') {
    return digits.length === 1 && KEYS.test(digits) ? { keys: digits, timedOut: false } : null;
  }
  if (digits !== '' && !/^[0-9*]+$/.test(digits)) return null;
  const finishedByPound = params.FinishedOnKey === '#';
  const keys = finishedByPound ? `${digits}#` : digits;
  if (!KEYS.test(keys)) return null;
  return { keys, timedOut: !finishedByPound };
}

/**
 * `<Play digits>` for extension digits: each comma (one second) becomes `ww`
 * (two half-second waits).
 *
 * @example
 * ```ts
 * toPlayDigits(',,1234'); // 'wwww1234'
 * ```
 */
export function toPlayDigits(extension: string): string {
  return extension.replaceAll(',', 'ww');
}
