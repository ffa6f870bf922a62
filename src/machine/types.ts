/**
 * The verification request: what a host asks for, and the normalised input the
 * machine runs on. Everything here is plain JSON data.
 *
 * @module
 */

/** How the callee approves: `#` alone, or a PIN followed by `#`. */
export type VerificationMode = 'standard' | 'pin';

/**
 * One phone target as the host gives it: a number as a person typed it, or an
 * object with a separate extension.
 *
 * @example
 * ```ts
 * const primary: TargetInput = '+1 425 555 0100';
 * const office: TargetInput = { number: '+44 20 7946 0000', extension: ',,1234' };
 * ```
 */
export type TargetInput = string | { number: string; extension?: string; label?: string };

/**
 * One piece of spoken audio: text for text-to-speech, or the URL of a recording.
 *
 * @example
 * ```ts
 * const tts: PromptSegment = { say: 'Press the pound key to finish your verification.' };
 * const recording: PromptSegment = { play: 'https://example.com/greeting.mp3' };
 * ```
 */
export type PromptSegment = { say: string } | { play: string };

/**
 * A replaceable prompt: plain text (spoken by text-to-speech) or a segment.
 * Text may contain `{fraudCode}` (spoken digit by digit, e.g. "zero") and
 * `{extension}` placeholders.
 */
export type PromptInput = string | PromptSegment;

/**
 * The prompts of a verification call. Every one has an English default
 * ({@link DEFAULT_PROMPTS}); a request replaces any of them.
 */
export interface Prompts {
  /** First sentence of the greeting. */
  welcome: PromptInput;
  /** Instruction in standard mode, asking for `#`. */
  standard: PromptInput;
  /** Instruction in PIN mode, asking for the PIN and `#`. */
  pin: PromptInput;
  /** Added after the instruction when a fraud code is enabled. */
  fraudHint: PromptInput;
  /** Played first when the target has an extension. */
  extension: PromptInput;
  /** Re-prompt notice after an invalid entry (followed by the instruction again). */
  invalidEntry: PromptInput;
  /** Re-prompt notice after a wrong PIN (followed by the instruction again). */
  incorrectPin: PromptInput;
  /** Played before hanging up after an approval. */
  approved: PromptInput;
  /** Played before hanging up after a fraud report. */
  fraudReported: PromptInput;
  /** Played before hanging up after too many invalid entries. */
  denied: PromptInput;
}

/** Language and voice for text-to-speech, passed through to the provider. */
export interface SpeechSettings {
  /** BCP 47 language tag, e.g. `en-US`, `en-GB`, `zh-CN`. */
  language?: string;
  /** Provider-specific voice name, e.g. `Polly.Joanna` on Twilio. */
  voice?: string;
}

/** Timers and limits of a verification, all in milliseconds. */
export interface Timing {
  /** How long the phone may ring (from the first ring the provider reports) before the call is cancelled (`no-answer`). */
  ringTimeoutMs: number;
  /**
   * Longest a whole dial may take, from the dial command to the answer: the
   * provider's queue, post-dial delay and ringing. Default `ringTimeoutMs` plus
   * one minute. When it runs out the call is cancelled: `no-answer` if the phone
   * rang, else `failed` (a call stuck in a queue or in post-dial delay never
   * reached anyone); the attempt's `timedOut` says `dial`.
   */
  dialTimeoutMs: number;
  /**
   * After the callee hung up while keys were being collected, how long the
   * machine waits for keys pressed before the hang-up that the provider may
   * still report (Twilio does not order a Gather's action and the call's end).
   * It can delay a denial, never approve without `#`. `0`: none.
   */
  endingGraceMs: number;
  /** Silence allowed after a prompt finished, restarted by every key press. */
  inputTimeoutMs: number;
  /** Invalid entries after which the verification is denied. */
  maxInvalidEntries: number;
  /** Overall deadline of the verification (`expired`). */
  maxTotalMs: number;
  /**
   * Longest a prompt (greeting, re-prompt, extension digits) may take before the machine
   * stops waiting for the provider to report its end.
   */
  promptWatchdogMs: number;
  /**
   * When the provider enforces the input timeout itself, extra time the machine
   * waits for its report before it times out on its own.
   */
  providerTimeoutGraceMs: number;
}

/** Caller ID to present: one number, or one per destination country with a default. */
export type CallerIdConfig = string | { default?: string; byCountry?: Record<string, string> };

/**
 * A verification request as a host writes it. Only `targets` is required.
 *
 * @example
 * ```ts
 * const request: VerificationRequest = {
 *   targets: ['+14255550100', '+14255550199'],
 *   mode: 'standard',
 *   callerId: '+14255550000',
 * };
 * ```
 */
export interface VerificationRequest {
  /** Ordered phone targets: the primary number first, then backups. */
  targets: readonly TargetInput[];
  /** `standard` (press `#`) or `pin` (PIN then `#`). Default `standard`. */
  mode?: VerificationMode;
  /** Digits that report fraud when followed by `#` (1–4 digits), or `false` to disable. Default `'0'`. */
  fraudCode?: string | false;
  /**
   * ISO 3166-1 alpha-2 country (any case) used for numbers written without a
   * country code; one with no numbering plan (`ZZ`, `UK` for `GB`) is refused.
   */
  defaultCountry?: string;
  /**
   * Caller ID to present; wins over the dialling policy's. Checked as the
   * policy's is (a valid number, no extension, country keys with a numbering
   * plan) and written in E.164.
   */
  callerId?: CallerIdConfig;
  /** Replacements for any of the default prompts. */
  prompts?: Partial<Prompts>;
  /** Language and voice of text-to-speech. */
  speech?: SpeechSettings;
  /** Replacements for any of the default timers and limits. */
  timing?: Partial<Timing>;
  /**
   * Ask the provider for answering-machine detection (when it offers it): a call
   * answered by a machine is then hung up at once and rolled over. Default `false`:
   * voicemail is recognised by the input timeout.
   */
  answeringMachineDetection?: boolean;
}

/** Who enforces the input timeout: the machine's own timer, or the provider (e.g. Twilio's `<Gather timeout>`). */
export type InputTimeoutOwner = 'machine' | 'provider';

/**
 * The machine's input: a request with every default filled in (except the
 * prompts, which keep only those the request replaces) and every value
 * checked, plus what the provider can do. Build it with `normalizeVerificationRequest`.
 */
export interface VerificationInput {
  targets: readonly TargetInput[];
  mode: VerificationMode;
  /** The fraud code digits, or `null` when disabled. */
  fraudCode: string | null;
  defaultCountry: string | null;
  callerId: { default: string | null; byCountry: Record<string, string> };
  /** The prompts the request replaces; the others are {@link DEFAULT_PROMPTS}. */
  prompts: Partial<Prompts>;
  speech: SpeechSettings;
  timing: Timing;
  /** Answering-machine detection requested and offered by the provider. */
  machineDetection: boolean;
  inputTimeoutOwner: InputTimeoutOwner;
  /** Clock reading at the start, in the unit of the events' `at` (milliseconds). */
  startedAt: number;
}
