/**
 * Whether the prompts a request replaced can be spoken before the prompt
 * watchdog gives up on them. A provider that never reports a prompt's end
 * leaves the machine to take it as finished after `promptWatchdogMs`; a
 * greeting longer than that would start the input timer while it still
 * plays, and a `#` pressed right after it would come too late.
 *
 * @module
 */
import type { RequestIssue } from '../errors.js';
import type { PromptKind } from '../machine/commands.js';
import { buildPromptSegments, countWords } from '../machine/prompts.js';
import type { Prompts, Timing, VerificationMode } from '../machine/types.js';

/** A fast text-to-speech voice's pace, 200 words a minute: spoken text takes at least this long a word. */
export const FASTEST_MS_PER_WORD = 300;

/**
 * The problem with prompts that take longer to speak, even at a fast voice's
 * pace, than `timing.promptWatchdogMs`: a greeting or a re-prompt as the
 * machine puts it together (its notice or welcome, the instruction of the
 * mode, the fraud hint). Recordings (`play`) are not counted: their length is
 * not known here.
 */
export function promptLengthIssues(
  prompts: Partial<Prompts>,
  mode: VerificationMode,
  fraudCode: string | null,
  timing: Timing,
): RequestIssue[] {
  const kinds: PromptKind[] = ['greeting', mode === 'pin' ? 'incorrect-pin' : 'invalid-entry'];
  const issues: RequestIssue[] = [];
  for (const kind of kinds) {
    const segments = buildPromptSegments(kind, { prompts, mode, values: { fraudCode, extension: null } });
    let words = 0;
    for (const segment of segments) if ('say' in segment) words += countWords(segment.say);
    const leastMs = words * FASTEST_MS_PER_WORD;
    if (leastMs <= timing.promptWatchdogMs) continue;
    issues.push({
      path: 'timing.promptWatchdogMs',
      message:
        `the ${kind} prompt has ${words} words, at least ${leastMs} ms of speech, longer than the ` +
        `${timing.promptWatchdogMs} ms after which the machine takes a prompt as finished and starts the input ` +
        'timer: shorten the prompts or raise promptWatchdogMs',
    });
  }
  return issues;
}
