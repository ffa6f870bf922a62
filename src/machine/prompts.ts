/**
 * Default prompts and how the spoken parts of a call are put together.
 *
 * @module
 */
import type { PromptKind } from './commands.js';
import type { PromptInput, PromptSegment, Prompts, VerificationMode } from './types.js';

/**
 * The default English prompts. `{fraudCode}` and `{extension}` are spoken digit by digit.
 *
 * @example
 * ```ts
 * const prompts = { ...DEFAULT_PROMPTS, standard: 'Press pound to sign in.' };
 * ```
 */
export const DEFAULT_PROMPTS: Readonly<Prompts> = {
  welcome: 'Hello. This is your sign-in verification call.',
  standard: 'Press the pound key to finish your verification.',
  pin: 'Please enter your PIN, followed by the pound key.',
  fraudHint: 'If you did not start this, press {fraudCode} pound to report fraud.',
  extension: 'Please transfer this call to extension {extension}.',
  invalidEntry: 'That entry was not valid.',
  incorrectPin: 'That PIN was not correct.',
  approved: 'Thank you. Your verification is complete. Goodbye.',
  fraudReported: 'Thank you. Fraud has been reported. Goodbye.',
  denied: 'Your verification was not completed. Goodbye.',
};

const DIGIT_WORDS: Readonly<Record<string, string>> = {
  '0': 'zero',
  '1': 'one',
  '2': 'two',
  '3': 'three',
  '4': 'four',
  '5': 'five',
  '6': 'six',
  '7': 'seven',
  '8': 'eight',
  '9': 'nine',
  '*': 'star',
  '#': 'pound',
};

/**
 * Spells keys as words so that text-to-speech reads "1234" as "one two three four".
 *
 * @example
 * ```ts
 * spellDigits(',,12'); // 'one two'
 * ```
 */
export function spellDigits(keys: string): string {
  return [...keys]
    .map((key) => DIGIT_WORDS[key])
    .filter((word): word is string => word !== undefined)
    .join(' ');
}

/** Values for the placeholders of a prompt. */
export interface PromptValues {
  fraudCode: string | null;
  extension: string | null;
}

/** A text with its placeholders filled in; most texts have none and are taken as they are. */
function fillPlaceholders(text: string, values: PromptValues): string {
  if (!text.includes('{')) return text;
  return text
    .replaceAll('{fraudCode}', spellDigits(values.fraudCode ?? ''))
    .replaceAll('{extension}', spellDigits(values.extension ?? ''));
}

function toSegment(prompt: PromptInput, values: PromptValues): PromptSegment | null {
  if (typeof prompt === 'string') return prompt.trim() === '' ? null : { say: fillPlaceholders(prompt, values) };
  if ('say' in prompt) return prompt.say.trim() === '' ? null : { say: fillPlaceholders(prompt.say, values) };
  return prompt.play === '' ? null : { play: prompt.play };
}

/** Builds the segments of a list of prompts, skipping the empty ones. */
export function toSegments(prompts: readonly PromptInput[], values: PromptValues): PromptSegment[] {
  return prompts.map((p) => toSegment(p, values)).filter((s): s is PromptSegment => s !== null);
}

/** A prompt as replaced, or its default. */
export function promptOf(replaced: Partial<Prompts>, key: keyof Prompts): PromptInput {
  return replaced[key] ?? DEFAULT_PROMPTS[key];
}

/** What decides the words of a prompt. */
export interface PromptContext {
  /** The prompts replaced; the others are {@link DEFAULT_PROMPTS}. */
  prompts: Partial<Prompts>;
  mode: VerificationMode;
  values: PromptValues;
}

/**
 * The segments of a greeting or re-prompt: the extension request (greeting of a
 * target with an extension), a welcome or a notice, the instruction for the mode,
 * and the fraud hint when a fraud code is enabled.
 *
 * @example
 * ```ts
 * buildPromptSegments('greeting', { prompts: DEFAULT_PROMPTS, mode: 'standard', values: { fraudCode: '0', extension: null } });
 * ```
 */
export function buildPromptSegments(
  kind: PromptKind,
  { prompts: replaced, mode, values }: PromptContext,
): PromptSegment[] {
  const parts: PromptInput[] =
    kind === 'greeting'
      ? values.extension === null
        ? [promptOf(replaced, 'welcome')]
        : [promptOf(replaced, 'extension'), promptOf(replaced, 'welcome')]
      : [promptOf(replaced, kind === 'invalid-entry' ? 'invalidEntry' : 'incorrectPin')];
  parts.push(promptOf(replaced, mode === 'pin' ? 'pin' : 'standard'));
  if (values.fraudCode !== null) parts.push(promptOf(replaced, 'fraudHint'));
  return toSegments(parts, values);
}
