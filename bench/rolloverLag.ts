/**
 * Rollover lag on the real clock: how late the backup is dialled after the
 * first call's input deadline, with many verifications in flight. A provider
 * that answers at once parks every verification at its first prompt, then
 * finishes all the prompts in one go, so that the deadlines are exactly where
 * the bench puts them: spread over a window, or all in the same millisecond.
 */
import type { ProviderCommand, ProviderEvent, VoiceProvider } from '../src/index.js';
import { runVerification, systemClock } from '../src/index.js';
import { percentile } from './stats.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';

/**
 * p99 of the lag (ms) between each verification's input deadline and the dial
 * of its backup. Verification `i` of `count` waits `inputTimeoutMs(i)` for input.
 */
export async function rolloverLagP99Ms(count: number, inputTimeoutMs: (index: number) => number): Promise<number> {
  const parked: (() => void)[] = [];
  let releaseAll: () => void = () => {};
  const allParked = new Promise<void>((resolve) => {
    releaseAll = resolve;
  });
  const lags: number[] = [];

  const runs = Array.from({ length: count }, (_, index) => {
    let deadline = Number.NaN;
    const provider: VoiceProvider = {
      name: 'instant',
      capabilities: {
        reportsPromptEnd: true,
        enforcesInputTimeout: false,
        machineDetection: false,
        reportsSitKinds: false,
      },
      openSession: ({ emit }) => {
        const later = (event: ProviderEvent): void => {
          setImmediate(() => emit(event));
        };
        return {
          execute(command: ProviderCommand) {
            if (command.type === 'dial') {
              const callId = `CA-${index}-${command.attempt}`;
              if (command.attempt === 1) lags.push(Date.now() - deadline);
              later({ type: 'call.dialed', attempt: command.attempt, callId });
              later({ type: 'call.answered', callId });
            } else if (command.type === 'playPrompt') {
              if (command.promptSeq === 1) {
                // The first prompt ends when every verification has reached it.
                parked.push(() => {
                  deadline = Date.now() + inputTimeoutMs(index);
                  emit({ type: 'call.promptFinished', callId: command.callId, promptSeq: command.promptSeq });
                });
                if (parked.length === count) releaseAll();
              } else {
                later({ type: 'call.digits', callId: command.callId, digits: '#' });
              }
            } else if (command.type === 'hangUp') {
              later({ type: 'call.ended', callId: command.callId, ending: { status: 'completed' } });
            }
          },
          close() {},
        };
      },
    };
    return runVerification(
      { targets: [PRIMARY, BACKUP], timing: { inputTimeoutMs: inputTimeoutMs(index) } },
      { provider, clock: systemClock, maskNumbers: false },
    );
  });
  await allParked;
  for (const finishPrompt of parked) finishPrompt();
  const results = await Promise.all(runs);
  const notApproved = results.filter((result) => result.status !== 'approved').length;
  if (notApproved > 0 || lags.length !== count) {
    throw new Error(`rollover: ${notApproved} of ${count} not approved, ${lags.length} backups dialled`);
  }
  return percentile(lags, 0.99);
}
