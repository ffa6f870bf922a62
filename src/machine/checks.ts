/**
 * The two decisions the machine leaves to the host: whether a number may be
 * dialled, and whether a PIN is right. Both are invoked actors, so the machine
 * stays pure and the expected PIN never enters its context. The runtime gives
 * them to one actor with {@link bindHostChecks} (the machine is built once); a
 * host may give them to a machine with
 * `machine.provide({ actors: { checkNumber, verifyPin } })`.
 *
 * @module
 */
import { type AnyActorRef, fromPromise } from 'xstate';
import type { TargetInput, VerificationInput } from './types.js';

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

/**
 * The answer of a number check. An answer of another shape (no `e164`, one
 * that is not `+` and digits, an extension that cannot be keyed, a refusal
 * with another `result`) fails the attempt with the rule
 * `MALFORMED_CHECK_RESULT`, and nothing of it is dialled.
 */
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

/**
 * A number in E.164 and nothing else. E.164 caps a number at 15 digits, country
 * code included, and sets no least length; the shortest numbers any plan assigns
 * have 6 (Austria's `+43 1110`, Germany's `+49 1640` pagers, Iran's `+98 9602`).
 */
export const E164_NUMBER = /^\+[1-9][0-9]{5,14}$/;
/** The form of an extension the machine can key: optional pauses (commas), then 1–16 keys. */
export const EXTENSION = /^,*[0-9*#]{1,16}$/;

/** The pause a comma of an extension stands for. */
export const EXTENSION_PAUSE_MS = 1_000;

/** How long the pauses (commas) of an extension hold its keys back. */
export const extensionPauseMs = (extension: string): number =>
  (extension.length - extension.replaceAll(',', '').length) * EXTENSION_PAUSE_MS;

/**
 * Checks a target without any numbering-plan knowledge: the number must already
 * be E.164 (`+` and 6–15 digits) and an extension digits with optional leading
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
  if (!E164_NUMBER.test(number)) return { ok: false, result: 'invalid-number', rule: 'NOT_E164' };
  if (extension !== null && !EXTENSION.test(extension)) {
    return { ok: false, result: 'invalid-number', rule: 'INVALID_EXTENSION' };
  }
  return { ok: true, e164: number, extension, country: null };
}

// E.164's shape as numbering plans fill it: `+` and digits, the first not 0. At most 20: libphonenumber-js reads
// national numbers of up to 17 digits after a code of up to 3, and some assigned ones (German, Japanese toll-free)
// pass E.164's 15.
const E164_SHAPE = /^\+[1-9][0-9]{1,19}$/;
const COUNTRY_CODE = /^[A-Za-z]{2}$/;
const REFUSAL_RESULTS: readonly unknown[] = ['invalid-number', 'blocked-number'] satisfies RefusedNumber['result'][];

/** `value` when `pattern` matches it, `null` when it is absent (`undefined`, `null` or `''`), else `undefined`. */
const optionalText = (value: unknown, pattern: RegExp): string | null | undefined => {
  if (value === undefined || value === null || value === '') return null;
  return typeof value === 'string' && pattern.test(value) ? value : undefined;
};

/**
 * A number check's answer when it keeps the contract of
 * {@link NumberCheckResult}, with the fields it may leave out set to `null`
 * (an empty extension or caller ID is left out, a country is read in capitals,
 * a refusal without a result is `invalid-number`); otherwise `null`. A host's
 * check is code the machine does not trust: a number that is not E.164, an
 * extension that cannot be keyed or a refusal with a result the check may not
 * give would reach the dial or the record.
 */
export function readNumberCheckResult(answer: unknown): NumberCheckResult | null {
  if (typeof answer !== 'object' || answer === null) return null;
  const { ok, e164, extension, country, callerId, result, rule } = answer as Record<string, unknown>;
  if (ok === true) {
    if (typeof e164 !== 'string' || !E164_SHAPE.test(e164)) return null;
    const keys = optionalText(extension, EXTENSION);
    const region = optionalText(country, COUNTRY_CODE);
    const from = optionalText(callerId, E164_SHAPE);
    if (keys === undefined || region === undefined || from === undefined) return null;
    return { ok, e164, extension: keys, country: region?.toUpperCase() ?? null, callerId: from };
  }
  if (ok === false && (result === undefined || REFUSAL_RESULTS.includes(result)) && typeof rule === 'string') {
    return { ok, result: (result ?? 'invalid-number') as RefusedNumber['result'], rule };
  }
  return null;
}

/** A number check as the host writes it. */
export type NumberCheckFunction = (input: NumberCheckInput) => NumberCheckResult | Promise<NumberCheckResult>;

/** A PIN verifier as the host writes it: `true` for the right PIN. */
export type PinVerifierFunction = (entry: string) => boolean | Promise<boolean>;

/** The host's checks for one verification; a check left out keeps the machine's default. */
export interface HostChecks {
  checkNumber?: NumberCheckFunction;
  verifyPin?: PinVerifierFunction;
  /**
   * The verification's clock: when given, a check that answers later is
   * stamped with the time it answered, as the provider's events are.
   */
  clock?: { now(): number };
}

// Keyed by the actor system, which a verification's actor shares with the checks it invokes.
const checksBySystem = new WeakMap<object, HostChecks>();
// Keyed by the verification's input: XState opens the first attempt while it constructs the actor, before its system can be bound.
const checksByInput = new WeakMap<object, HostChecks>();

/**
 * Gives one actor of the machine the host's checks, before it starts: pass
 * the actor and the input it was created with, and bind the input before
 * creating the actor. One machine then serves every verification: building a
 * machine per verification (`provide`) costs more than running one.
 *
 * @example
 * ```ts
 * const checks = { checkNumber: createNumberCheck(), verifyPin: (entry) => pins.matches(userId, entry) };
 * bindHostChecks(input, checks);
 * const actor = createActor(verificationCallMachine, { input });
 * bindHostChecks(actor, checks);
 * actor.start();
 * ```
 */
export function bindHostChecks(owner: AnyActorRef | VerificationInput, checks: HostChecks): void {
  if ('system' in owner && typeof owner.system === 'object' && owner.system !== null) {
    checksBySystem.set(owner.system, checks);
  } else checksByInput.set(owner, checks);
}

/** The checks bound to the actor system an invoked check runs in. */
function hostChecksOf(system: unknown): HostChecks | undefined {
  const key = systemKey(system);
  return key === null ? undefined : checksBySystem.get(key);
}

/** An actor system as a key of the maps here; `null` outside an actor (a pure transition). */
function systemKey(system: unknown): object | null {
  return typeof system === 'object' && system !== null ? system : null;
}

/** What a bound number check answered at once: its result, or how it failed. */
export type ImmediateNumberCheck = { result: NumberCheckResult } | { error: unknown };

// A bound check's answer that comes later, for the invoked check to await rather than asking again.
const pendingNumberChecks = new WeakMap<object, { index: number; answer: Promise<NumberCheckResult> }>();

/** Whether a check answered with a promise (or any thenable) rather than at once. */
export const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

/**
 * Asks the check bound to the actor system (or to the verification's input)
 * about a target, when the attempt opens. A check that answers at once (the library's own does) is decided in
 * the same step, with no invoked actor; one that answers later is left
 * pending for the machine's `checkNumber` actor, and so is everything when no
 * check is bound (a machine given its checks by `provide`).
 */
export function checkBoundNumberAtOnce(
  system: unknown,
  verification: VerificationInput,
  input: NumberCheckInput,
): ImmediateNumberCheck | null {
  const check = (hostChecksOf(system) ?? checksByInput.get(verification))?.checkNumber;
  if (check === undefined) return null;
  let answer: NumberCheckResult | Promise<NumberCheckResult>;
  try {
    answer = check(input);
  } catch (error) {
    return { error };
  }
  if (!isThenable(answer)) return { result: answer };
  const pending = Promise.resolve(answer);
  // Awaited by the invoked check; a verification that ends first must not leave an unhandled rejection.
  pending.catch(() => {});
  // Without a system to keep it for (a pure transition), the invoked check asks again.
  const key = systemKey(system);
  if (key !== null) pendingNumberChecks.set(key, { index: input.index, answer: pending });
  return null;
}

/** The pending answer of the bound check for the target at `index`, taken once. */
function takePendingNumberCheck(system: unknown, index: number): Promise<NumberCheckResult> | undefined {
  const key = systemKey(system);
  const pending = key === null ? undefined : pendingNumberChecks.get(key);
  if (key === null || pending === undefined || pending.index !== index) return undefined;
  pendingNumberChecks.delete(key);
  return pending.answer;
}

// When each verification's last awaited check answered, by its system, until the machine takes it.
const checkAnswerTimes = new WeakMap<object, number>();

/** Notes, by the bound clock, when an awaited check answered (or failed). */
function noteCheckAnswer(system: unknown): void {
  const key = systemKey(system);
  const clock = hostChecksOf(key)?.clock;
  if (key !== null && clock !== undefined) checkAnswerTimes.set(key, clock.now());
}

/**
 * When the check the machine awaited answered, if the host's clock told:
 * XState's done event carries no time, and the state that follows arms its
 * timer from the time the machine last knew.
 */
export function takeCheckAnswerTime(system: unknown): number | undefined {
  const key = systemKey(system);
  if (key === null) return undefined;
  const at = checkAnswerTimes.get(key);
  checkAnswerTimes.delete(key);
  return at;
}

/**
 * What the machine gives an awaited check besides the check's own input: the
 * verification's total deadline, by which its answer must come to count. A
 * check actor given by `provide` gets it in its input too, and may stop
 * waiting then.
 *
 * @example
 * ```ts
 * const verifyPin = fromPromise<boolean, { entry: string } & CheckDeadline>(async ({ input }) =>
 *   pins.matches(input.entry, { until: input.answerBy }),
 * );
 * ```
 */
export interface CheckDeadline {
  /** Clock reading of the total deadline. */
  answerBy?: number;
}

/**
 * The answer of `ask`, noted with the time it came. One that came at or after
 * `answerBy` on the bound clock, while the deadline's timer had not fired yet
 * (a check that held the thread, a busy process), is never delivered:
 * deadlines are judged by event time, so the timer, already due, ends the
 * verification and the late answer changes nothing.
 */
async function answerInTime<T>(system: unknown, answerBy: number | undefined, ask: () => Promise<T>): Promise<T> {
  let answer: { value: T } | { error: unknown };
  try {
    answer = { value: await ask() };
  } catch (error) {
    answer = { error };
  }
  const clock = hostChecksOf(system)?.clock;
  if (answerBy !== undefined && clock !== undefined && clock.now() >= answerBy) return new Promise<T>(() => {});
  noteCheckAnswer(system);
  if ('error' in answer) throw answer.error;
  return answer.value;
}

/**
 * The machine's `checkNumber` actor: the bound host check's pending answer, or
 * the bound check, else {@link checkE164Number}.
 */
export const defaultNumberCheckActor = fromPromise<NumberCheckResult, NumberCheckInput & CheckDeadline>(
  async ({ input: { answerBy, ...input }, system }) =>
    answerInTime(
      system,
      answerBy,
      async () =>
        takePendingNumberCheck(system, input.index) ?? (hostChecksOf(system)?.checkNumber ?? checkE164Number)(input),
    ),
);

/** The machine's `verifyPin` actor: the bound host verifier, else one that rejects every PIN. */
export const defaultPinCheckActor = fromPromise<boolean, PinCheckInput & CheckDeadline>(
  async ({ input: { answerBy, entry }, system }) =>
    answerInTime(system, answerBy, async () => {
      const verify = hostChecksOf(system)?.verifyPin;
      return verify === undefined ? false : (await verify(entry)) === true;
    }),
);

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
export function createNumberCheckActor(check: NumberCheckFunction) {
  // The check gets what it is asked about, as the library's own actor gives it: not the machine's deadline.
  return fromPromise<NumberCheckResult, NumberCheckInput & CheckDeadline>(
    async ({ input: { answerBy: _, ...input } }) => check(input),
  );
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
export function createPinCheckActor(verify: PinVerifierFunction) {
  return fromPromise<boolean, PinCheckInput>(async ({ input }) => (await verify(input.entry)) === true);
}
