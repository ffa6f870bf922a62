/**
 * How keys are collected with `<Gather>` so that none falls between two
 * Gathers, and how a Gather's `Digits` become `call.digits`. The design, and
 * the Twilio pages it rests on, are in docs/twilio.md, "Collecting keys".
 *
 * In short: a key pressed while no Gather runs is lost (Twilio documents no
 * buffering), and every Gather that reports ends, so a Gather must not end
 * while the callee is still typing. A `whole-entry` Gather (the default)
 * takes any number of keys with `finishOnKey=""` — so `#` is an ordinary key
 * and a bare `#` arrives as `Digits=#` — and ends only after a short silence
 * (the entry pause); silence without keys falls through, within the same
 * document, to the next Gather of a chain that covers the input timeout, with
 * no request in between. `key-by-key` (one key per Gather) reports each key at
 * once, but loses the keys pressed during every round trip.
 *
 * @module
 */
import type { PlayPromptCommand } from '../../machine/commands.js';
import type { GatherShape } from './webhookRoutes.js';

/**
 * How keys are collected:
 * - `whole-entry` (default) — one Gather takes the whole entry and reports it
 *   after the entry pause; no key falls between Gathers while a person types;
 * - `key-by-key` — a Gather per key, reported at once; keys pressed during
 *   the webhook round trip after each key are lost on Twilio.
 *
 * @example
 * ```ts
 * new TwilioVoiceProvider({ ...credentials, publicBaseUrl, keyCollection: 'whole-entry', entryPauseSeconds: 2 });
 * ```
 */
export type KeyCollectionStyle = 'whole-entry' | 'key-by-key';

/**
 * Settings of key collection.
 *
 * @example
 * ```ts
 * const settings: KeyCollectionSettings = { style: 'whole-entry', entryPauseSeconds: null };
 * ```
 */
export interface KeyCollectionSettings {
  style: KeyCollectionStyle;
  /**
   * Silence after the last key, in whole seconds, before a whole-entry Gather
   * reports what was typed; `null` for the default of the mode.
   */
  entryPauseSeconds: number | null;
}

/**
 * The default entry pause by mode, in seconds: in standard mode an entry is
 * one key (`#`), so the verdict follows it quickly; people pause inside a PIN.
 *
 * @example
 * ```ts
 * DEFAULT_ENTRY_PAUSE_SECONDS.pin; // 2
 * ```
 */
export const DEFAULT_ENTRY_PAUSE_SECONDS: Readonly<Record<PlayPromptCommand['collect']['mode'], number>> = {
  standard: 1,
  pin: 2,
};

/** Longest entry pause allowed, in seconds: beyond it the verdict after `#` would keep a person waiting. */
export const MAX_ENTRY_PAUSE_SECONDS = 5;

/** Most keys a whole-entry Gather takes before it reports (`numDigits`): more than any valid entry. */
export const MAX_GATHER_DIGITS = 64;

/** One `<Gather>` of a chain. */
export interface GatherStep {
  shape: GatherShape;
  /** `timeout` in whole seconds: silence before it reports its keys or, with none, falls through. */
  timeoutSeconds: number;
}

/**
 * The Gathers of one document, in order, that wait `silenceSeconds` in all
 * for a key. Whole-entry Gathers each wait the entry pause, the last one the
 * rest; a key-by-key Gather waits it all.
 *
 * @example
 * ```ts
 * planGatherChain('standard', { style: 'whole-entry', entryPauseSeconds: null }, 3);
 * // [{ shape: 'entry', timeoutSeconds: 1 }, { shape: 'entry', timeoutSeconds: 1 }, { shape: 'entry', timeoutSeconds: 1 }]
 * planGatherChain('pin', { style: 'key-by-key', entryPauseSeconds: null }, 10); // [{ shape: 'key', timeoutSeconds: 10 }]
 * ```
 */
export function planGatherChain(
  mode: PlayPromptCommand['collect']['mode'],
  settings: KeyCollectionSettings,
  silenceSeconds: number,
): GatherStep[] {
  const total = Math.max(1, Math.ceil(silenceSeconds));
  if (settings.style === 'key-by-key') return [{ shape: 'key', timeoutSeconds: total }];
  const pause = settings.entryPauseSeconds ?? DEFAULT_ENTRY_PAUSE_SECONDS[mode];
  const chain: GatherStep[] = [];
  for (let waited = 0; waited < total; waited += pause) {
    chain.push({ shape: 'entry', timeoutSeconds: Math.min(pause, total - waited) });
  }
  return chain;
}

/**
 * Seconds of silence the Gathers after a report wait for: a whole-entry
 * Gather already waited the entry pause after the last key, which counts
 * towards the input timeout (every key restarts it).
 *
 * @example
 * ```ts
 * silenceAfterReportSeconds('entry', 10, 'pin', { style: 'whole-entry', entryPauseSeconds: null }); // 8
 * silenceAfterReportSeconds('key', 10, 'pin', { style: 'key-by-key', entryPauseSeconds: null }); // 10
 * ```
 */
export function silenceAfterReportSeconds(
  reportedBy: GatherShape,
  inputTimeoutSeconds: number,
  mode: PlayPromptCommand['collect']['mode'],
  settings: KeyCollectionSettings,
): number {
  if (reportedBy === 'key') return inputTimeoutSeconds;
  const pause = settings.entryPauseSeconds ?? DEFAULT_ENTRY_PAUSE_SECONDS[mode];
  return Math.max(1, inputTimeoutSeconds - pause);
}

/**
 * The key attributes of a Gather: never a finishing key, so that `#` is
 * reported like any other key, bare or not.
 *
 * @example
 * ```ts
 * toGatherKeyAttributes('key'); // { finishOnKey: '', numDigits: 1 }
 * toGatherKeyAttributes('entry'); // { finishOnKey: '', numDigits: 64 }
 * ```
 */
export function toGatherKeyAttributes(shape: GatherShape): { finishOnKey: ''; numDigits: number } {
  return { finishOnKey: '', numDigits: shape === 'key' ? 1 : MAX_GATHER_DIGITS };
}

/**
 * What a Gather's action request reports.
 *
 * @example
 * ```ts
 * const report: GatherReport | null = readGatherReport('entry', { Digits: '4821#' }); // { keys: '4821#' }
 * ```
 */
export interface GatherReport {
  /** Keys in the order pressed, `#` included. */
  keys: string;
}

const KEY = /^[0-9*#]$/;
const ENTRY = new RegExp(`^[0-9*#]{1,${MAX_GATHER_DIGITS}}$`);

/**
 * Reads `Digits` of a Gather's action request; `null` when they are not keys
 * the Gather could have sent. A key Gather posts exactly one key; a
 * whole-entry Gather up to `MAX_GATHER_DIGITS`, `#` included wherever typed.
 *
 * @example
 * ```ts
 * readGatherReport('key', { Digits: '#' }); // { keys: '#' }
 * readGatherReport('entry', { Digits: '0#' }); // { keys: '0#' }
 * readGatherReport('entry', { Digits: '12a' }); // null
 * ```
 */
export function readGatherReport(shape: GatherShape, params: { Digits?: string }): GatherReport | null {
  const digits = params.Digits ?? '';
  return (shape === 'key' ? KEY : ENTRY).test(digits) ? { keys: digits } : null;
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
