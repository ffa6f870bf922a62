/**
 * The two decisions the machine leaves to the host: whether a number may be
 * dialled, and whether a PIN is right. Both are injected actors
 * (`machine.provide({ actors: { checkNumber, verifyPin } })`), so the machine
 * stays pure and the expected PIN never enters its context.
 *
 * @module
 */
import { fromPromise } from 'xstate';
import type { TargetInput } from './types.js';

/** What the number check is asked about. */
export interface NumberCheckInput {
  /** Position of the target in the list. */
  index: number;
  target: TargetInput;
  /** Country for numbers written without a country code. */
  defaultCountry: string | null;
}

/** A number the check accepted, ready to dial. */
export interface AcceptedNumber {
  ok: true;
  e164: string;
  /** Extension digits (`,` = one second of pause), or `null`. */
  extension: string | null;
  /** ISO 3166-1 alpha-2 country, when known. */
  country: string | null;
  /**
   * Caller ID a dialling policy chose for this destination. A caller ID set in
   * the verification request wins over it.
   */
  callerId?: string | null;
}

/** A number the check refused: not dialled, the attempt ends with `result`. */
export interface RefusedNumber {
  ok: false;
  result: 'invalid-number' | 'blocked-number';
  /** Machine-readable reason or policy rule, e.g. `TOO_SHORT` or `premium-rate`. */
  rule: string;
}

/** The answer of a number check. */
export type NumberCheckResult = AcceptedNumber | RefusedNumber;

/** What the PIN verifier is asked about: the digits typed before `#`. */
export interface PinCheckInput {
  entry: string;
}

/** The digits and extension of a target, whichever form it was given in. */
export function splitTarget(target: TargetInput): { number: string; extension: string | null } {
  if (typeof target === 'string') return { number: target, extension: null };
  return { number: target.number, extension: target.extension ?? null };
}

/** Text of a target for records: the number, with the extension after `x`. */
export function describeTarget(target: TargetInput): string {
  const { number, extension } = splitTarget(target);
  return extension === null ? number : `${number} x${extension}`;
}

const E164 = /^\+[1-9][0-9]{6,14}$/;
const EXTENSION = /^,*[0-9*#]{1,16}$/;

/**
 * Checks a target without any numbering-plan knowledge: the number must already
 * be E.164 (`+` and 7–15 digits) and an extension digits with optional leading
 * commas. The machine's default; the library's runtime replaces it with a
 * libphonenumber-js check and a dialling policy.
 *
 * @example
 * ```ts
 * checkE164Number({ index: 0, target: '+14255550100', defaultCountry: null });
 * // { ok: true, e164: '+14255550100', extension: null, country: null }
 * ```
 */
export function checkE164Number(input: NumberCheckInput): NumberCheckResult {
  const { number, extension } = splitTarget(input.target);
  if (!E164.test(number)) return { ok: false, result: 'invalid-number', rule: 'NOT_E164' };
  if (extension !== null && !EXTENSION.test(extension)) {
    return { ok: false, result: 'invalid-number', rule: 'INVALID_EXTENSION' };
  }
  return { ok: true, e164: number, extension, country: null };
}

/**
 * Wraps a number check function as the machine's `checkNumber` actor.
 *
 * @example
 * ```ts
 * const machine = verificationCallMachine.provide({
 *   actors: { checkNumber: createNumberCheckActor((input) => myPolicy.check(input)) },
 * });
 * ```
 */
export function createNumberCheckActor(
  check: (input: NumberCheckInput) => NumberCheckResult | Promise<NumberCheckResult>,
) {
  return fromPromise<NumberCheckResult, NumberCheckInput>(async ({ input }) => check(input));
}

/**
 * Wraps a PIN verifier as the machine's `verifyPin` actor. The verifier should
 * compare in constant time (e.g. `crypto.timingSafeEqual` on hashes); it gets
 * the typed digits and answers `true` for the right PIN.
 *
 * @example
 * ```ts
 * const machine = verificationCallMachine.provide({
 *   actors: { verifyPin: createPinCheckActor(async (entry) => pinStore.matches(userId, entry)) },
 * });
 * ```
 */
export function createPinCheckActor(verify: (entry: string) => boolean | Promise<boolean>) {
  return fromPromise<boolean, PinCheckInput>(async ({ input }) => (await verify(input.entry)) === true);
}
