/**
 * Step 4 of SPEC.md, "Waiting for input", and the deadlines of every waiting
 * state, on exact virtual time.
 */
import { describe, expect, it } from 'vitest';
import type { VerificationResult } from '../../src/machine/outcomes.js';
import type { VerificationRequest } from '../../src/machine/types.js';
import { type Harness, startHarness } from '../support/harness.js';
import {
  acceptsOnly,
  advance,
  BACKUP,
  dialled,
  isFinished,
  PRIMARY,
  startAnswered,
  startWaitingForInput,
} from './helpers.js';

const attempt0 = (h: Harness) => h.actor.getSnapshot().context.attempts[0];

describe('SPEC step 4: the input timer', () => {
  it('SPEC rule: "the input timer starts … when the greeting has finished playing" → no timeout at 9 999 ms after the greeting ended', async () => {
    const h = await startAnswered();
    await advance(h, 3_000);
    await h.promptFinished('CA1');
    await advance(h, 9_999);

    expect(h.state()).toContain('waitingForInput');
    expect(attempt0(h)?.result).toBeNull();
    expect(h.sent('hangUp')).toEqual([]);
  });

  it('SPEC rule: "`inputTimeoutMs`, default 10 000" → timeout at exactly 10 000 ms after the greeting ended', async () => {
    const h = await startAnswered();
    await advance(h, 3_000);
    await h.promptFinished('CA1');
    await advance(h, 9_999);
    await advance(h, 1);

    expect(attempt0(h)?.result).toBe('no-response');
    expect(attempt0(h)?.times.greetingEndedAt).toBe(3_000);
    expect(attempt0(h)?.times.endedAt).toBe(13_000);
  });

  it('SPEC rule: "Every digit restarts it." → timeout 10 000 ms after the last digit, not before', async () => {
    const h = await startWaitingForInput();
    await advance(h, 6_000);
    await h.keys('CA1', '4');
    // 10 s after the greeting, but only 9 999 ms after the digit.
    await advance(h, 9_999);
    expect(attempt0(h)?.invalidEntries).toBe(0);
    expect(h.state()).toContain('waitingForInput');

    await advance(h, 1);
    expect(attempt0(h)?.invalidEntries).toBe(1);
    expect(h.last('playPrompt').kind).toBe('invalid-entry');
  });

  it('SPEC rule: "Every digit restarts it." → several digits keep the call alive past 10 s in total', async () => {
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin: acceptsOnly('739164') });
    for (const digit of '739164') {
      await advance(h, 9_000);
      await h.keys('CA1', digit);
    }
    await advance(h, 9_000);
    await h.keys('CA1', '#');

    expect(h.output().status).toBe('approved');
  });

  it('SPEC rule: "Input is accepted from the moment the greeting starts (barge-in): a key press stops the greeting." → timer starts at the key', async () => {
    const h = await startAnswered();
    await advance(h, 2_000);
    await h.keys('CA1', '5');
    expect(h.state()).toContain('waitingForInput');
    expect(attempt0(h)?.times.greetingEndedAt).toBe(2_000);

    await advance(h, 9_999);
    expect(attempt0(h)?.invalidEntries).toBe(0);
    await advance(h, 1);
    expect(attempt0(h)?.invalidEntries).toBe(1);
  });

  it('SPEC rule: barge-in → the end report of the interrupted greeting does not restart the timer', async () => {
    const h = await startAnswered();
    await advance(h, 2_000);
    await h.keys('CA1', '5');
    await advance(h, 500);
    await h.promptFinished('CA1');
    await advance(h, 9_500);

    expect(attempt0(h)?.invalidEntries).toBe(1);
  });

  it('SPEC rule: no input timer runs while the greeting plays, however long it is (below the watchdog)', async () => {
    const h = await startAnswered();
    await advance(h, 25_000);
    expect(h.state()).toContain('greeting');
    await h.promptFinished('CA1');
    await advance(h, 9_999);
    expect(attempt0(h)?.result).toBeNull();
    await advance(h, 1);
    expect(attempt0(h)?.result).toBe('no-response');
    expect(attempt0(h)?.times.endedAt).toBe(35_000);
  });

  it('SPEC rule: "When the greeting (or a re-prompt) has finished playing, the input timer starts" → after a re-prompt too', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '5#');
    await advance(h, 4_000);
    await h.promptFinished('CA1');
    await advance(h, 9_999);
    expect(attempt0(h)?.result).toBeNull();
    await advance(h, 1);
    expect(attempt0(h)?.result).toBe('no-response');
    expect(attempt0(h)?.times.endedAt).toBe(14_000);
  });

  it('SPEC rule: "`inputTimeoutMs`" is configurable (5 000 ms)', async () => {
    const h = await startWaitingForInput({ timing: { inputTimeoutMs: 5_000 } });
    await advance(h, 4_999);
    expect(attempt0(h)?.result).toBeNull();
    await advance(h, 1);
    expect(attempt0(h)?.result).toBe('no-response');
  });
});

describe('SPEC: "every waiting state has a deadline"', () => {
  it('SPEC rule: "a greeting watchdog" → a provider that never reports the greeting end: the timer starts when the watchdog fires', async () => {
    const h = await startAnswered({ targets: [PRIMARY] });
    await advance(h, 30_000 + 9_999);
    expect(attempt0(h)?.result).toBeNull();
    await advance(h, 1);

    expect(h.output().status).toBe('unreachable');
    expect(h.output().attempts[0]).toMatchObject({
      result: 'no-response',
      times: { greetingEndedAt: 30_000, endedAt: 40_000 },
    });
  });

  it('SPEC rule: "a greeting watchdog" → a re-prompt whose end is never reported is covered too', async () => {
    const h = await startWaitingForInput({ targets: [PRIMARY] });
    await h.keys('CA1', '5#');
    await advance(h, 40_000);

    expect(h.output().attempts[0]).toMatchObject({ result: 'no-response', times: { endedAt: 40_000 } });
  });

  it('SPEC rule: "a greeting watchdog" → extension digits whose sending is never confirmed do not hold the call', async () => {
    const h = await startAnswered({ targets: [{ number: PRIMARY, extension: '1234' }] });
    expect(h.state()).toContain('sendingExtension');
    await advance(h, 30_000);

    expect(h.state()).toContain('greeting');
    expect(h.last('playPrompt').kind).toBe('greeting');
  });

  it("the extension's watchdog runs after its pauses: the greeting never starts while our own keys are still being sent", async () => {
    const pauses = 40;
    const h = await startAnswered({ targets: [{ number: PRIMARY, extension: `${','.repeat(pauses)}1234` }] });
    const answeredAt = h.clock.now();
    // Sending takes 40 s of pauses and then the keys: past the 30 s a prompt may take.
    await advance(h, 30_000);
    expect(h.state()).toContain('sendingExtension');
    expect(h.sent('playPrompt')).toHaveLength(0);

    await advance(h, pauses * 1_000 - 1);
    expect(h.state()).toContain('sendingExtension');
    await advance(h, 1);
    expect(h.state()).toContain('greeting');
    expect(h.clock.now() - answeredAt).toBe(pauses * 1_000 + 30_000);
  });

  it('SPEC rule: "A provider that goes silent cannot hang a verification" → a dial never acknowledged fails when the dial bound expires', async () => {
    const h = await startHarness({ targets: [PRIMARY] });
    await advance(h, 89_999);
    expect(isFinished(h)).toBe(false);
    await advance(h, 1);

    expect(h.output().status).toBe('unreachable');
    expect(h.output().attempts[0]).toMatchObject({ result: 'failed', timedOut: 'dial', times: { endedAt: 90_000 } });
  });
});

describe('SPEC / issue: provider-enforced input timeout ("Both paths must give the same result")', () => {
  /** One step of what the callee (and the provider's prompt player) does. */
  type Step = { wait: number } | { keys: string } | 'promptFinished' | 'hangUp';

  const PROVIDER_INPUT_TIMEOUT = 10_000;

  /**
   * Plays `steps` on a call that has just been answered. With `providerOwnsTimer`,
   * a provider like Twilio's `<Gather>` times out by itself 10 s after the prompt
   * ended or the last key, and reports it.
   */
  async function play(
    steps: readonly Step[],
    request: Partial<VerificationRequest>,
    providerOwnsTimer: boolean,
  ): Promise<VerificationResult> {
    const h = await startAnswered(
      { targets: [PRIMARY], ...request },
      { providerEnforcesInputTimeout: providerOwnsTimer, verifyPin: acceptsOnly('739164') },
    );
    let deadline: number | null = null;
    const prompts = () => h.sent('playPrompt').length;
    for (const step of steps) {
      if (isFinished(h)) break;
      const promptsBefore = prompts();
      if (step === 'promptFinished') {
        await h.promptFinished('CA1');
        deadline = h.clock.now() + PROVIDER_INPUT_TIMEOUT;
      } else if (step === 'hangUp') {
        await h.ended('CA1', { status: 'completed' });
      } else if ('keys' in step) {
        await h.keys('CA1', step.keys);
        deadline = h.clock.now() + PROVIDER_INPUT_TIMEOUT;
      } else {
        const end = h.clock.now() + step.wait;
        while (providerOwnsTimer && deadline !== null && deadline <= end && !isFinished(h)) {
          await advance(h, deadline - h.clock.now());
          const prompt = h.last('playPrompt');
          const before = prompts();
          await h.send({ type: 'call.inputTimeout', callId: 'CA1', promptSeq: prompt.promptSeq });
          deadline = null;
          if (prompts() === before) break;
        }
        if (!isFinished(h)) await advance(h, end - h.clock.now());
      }
      // A new prompt is playing: the provider waits for its end before timing again.
      if (prompts() !== promptsBefore) deadline = null;
    }
    return h.output();
  }

  const scripts: { name: string; steps: Step[]; request?: Partial<VerificationRequest>; status: string }[] = [
    { name: 'silence after the greeting', steps: ['promptFinished', { wait: 60_000 }], status: 'unreachable' },
    {
      name: 'a digit, then silence, then silence after the re-prompt',
      steps: ['promptFinished', { wait: 3_000 }, { keys: '4' }, { wait: 12_000 }, 'promptFinished', { wait: 60_000 }],
      status: 'unreachable',
    },
    {
      name: 'digits then silence three times',
      steps: [
        'promptFinished',
        { keys: '1' },
        { wait: 11_000 },
        'promptFinished',
        { keys: '22' },
        { wait: 11_000 },
        'promptFinished',
        { keys: '333' },
        { wait: 11_000 },
      ],
      status: 'denied',
    },
    {
      name: 'slow digits, an invalid timeout, then # after the re-prompt',
      steps: [
        'promptFinished',
        { keys: '1' },
        { wait: 9_999 },
        { keys: '2' },
        { wait: 10_000 },
        { wait: 2_000 },
        'promptFinished',
        { wait: 4_000 },
        { keys: '#' },
      ],
      status: 'approved',
    },
    {
      name: 'barge-in during the greeting, then silence',
      steps: [{ wait: 1_500 }, { keys: '5' }, { wait: 10_000 }, 'promptFinished', { wait: 30_000 }],
      status: 'unreachable',
    },
    {
      name: 'PIN mode: part of a PIN, silence, then the whole PIN',
      request: { mode: 'pin' },
      steps: ['promptFinished', { keys: '73' }, { wait: 10_000 }, 'promptFinished', { keys: '739164#' }],
      status: 'approved',
    },
    {
      name: 'PIN mode: silence with a typed PIN is not an approval',
      request: { mode: 'pin', timing: { maxInvalidEntries: 1 } },
      steps: ['promptFinished', { keys: '739164' }, { wait: 10_000 }],
      status: 'denied',
    },
    {
      name: 'a hang-up while the timer runs',
      steps: ['promptFinished', { wait: 9_000 }, 'hangUp'],
      status: 'denied',
    },
  ];

  for (const script of scripts) {
    it(`ISSUE rule: "Both paths must give the same result" → ${script.name}`, async () => {
      const byMachine = await play(script.steps, script.request ?? {}, false);
      const byProvider = await play(script.steps, script.request ?? {}, true);

      expect(byMachine.status).toBe(script.status);
      expect(byProvider).toEqual(byMachine);
    });
  }

  it('ISSUE rule: provider-enforced timeout → the machine waits for the provider and only times out itself after a grace period', async () => {
    const h = await startWaitingForInput({ targets: [PRIMARY] }, { providerEnforcesInputTimeout: true });
    expect(h.last('playPrompt').collect).toMatchObject({ inputTimeoutMs: 10_000, timeoutOwner: 'provider' });
    await advance(h, 14_999);
    expect(isFinished(h)).toBe(false);
    await advance(h, 1);

    expect(h.output().attempts[0]?.result).toBe('no-response');
  });

  it('ISSUE rule: provider-enforced timeout → a report for an earlier prompt is stale and changes nothing', async () => {
    const h = await startWaitingForInput({}, { providerEnforcesInputTimeout: true });
    await h.keys('CA1', '5#');
    await h.promptFinished('CA1');
    await h.send({ type: 'call.inputTimeout', callId: 'CA1', promptSeq: 1 });

    expect(h.state()).toContain('waitingForInput');
    expect(h.actor.getSnapshot().context.ignoredEvents.stale).toBe(1);
  });

  it('ISSUE rule: provider-enforced timeout → a provider that never reports the prompt end (like Twilio <Gather>) still times out when it says so', async () => {
    const h = await startAnswered({ targets: [PRIMARY, BACKUP] }, { providerEnforcesInputTimeout: true });
    await advance(h, 14_000);
    await h.send({ type: 'call.inputTimeout', callId: 'CA1', promptSeq: h.last('playPrompt').promptSeq });

    expect(attempt0(h)?.result).toBe('no-response');
    expect(attempt0(h)?.times.endedAt).toBe(14_000);
    // The timer started when the greeting ended, inputTimeoutMs before the report.
    expect(attempt0(h)?.times.greetingEndedAt).toBe(4_000);
    expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
  });

  it('ISSUE rule: provider-enforced timeout → reported sooner than inputTimeoutMs after the greeting started, the greeting end is recorded no earlier than its start', async () => {
    const h = await startAnswered({ targets: [PRIMARY, BACKUP] }, { providerEnforcesInputTimeout: true });
    await advance(h, 4_000);
    await h.send({ type: 'call.inputTimeout', callId: 'CA1', promptSeq: h.last('playPrompt').promptSeq });

    expect(attempt0(h)?.result).toBe('no-response');
    expect(attempt0(h)?.times).toMatchObject({ answeredAt: 0, greetingEndedAt: 0, endedAt: 4_000 });
  });

  it('ISSUE rule: provider-enforced timeout → reported during a re-prompt whose end was never reported, with digits typed: invalid entry', async () => {
    const h = await startAnswered({ targets: [PRIMARY] }, { providerEnforcesInputTimeout: true });
    // Typed while the greeting played, then silence: the provider's timer (from the key) expires.
    await h.keys('CA1', '5');
    await advance(h, 10_000);
    await h.send({ type: 'call.inputTimeout', callId: 'CA1', promptSeq: 1 });
    expect(h.last('playPrompt').kind).toBe('invalid-entry');

    await advance(h, 13_000);
    await h.send({ type: 'call.inputTimeout', callId: 'CA1', promptSeq: 2 });
    expect(h.output().attempts[0]).toMatchObject({
      result: 'no-response',
      invalidEntries: 1,
      times: { endedAt: 23_000 },
    });
  });

  it('ISSUE rule: machine-enforced timeout → a call.inputTimeout from the provider is ignored', async () => {
    const h = await startWaitingForInput();
    await h.send({ type: 'call.inputTimeout', callId: 'CA1', promptSeq: 1 });

    expect(attempt0(h)?.result).toBeNull();
    expect(h.actor.getSnapshot().context.ignoredEvents.unexpected).toBe(1);
  });
});
