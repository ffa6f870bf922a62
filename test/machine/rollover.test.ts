/**
 * "Rollover and the end" in SPEC.md.
 */
import { describe, expect, it, vi } from 'vitest';
import { describeAttemptResult, isRolloverResult } from '../../src/machine/outcomes.js';
import { type Harness, startHarness } from '../support/harness.js';
import { SPEC_ROLLS_OVER, SPEC_STOPS } from '../support/specRollover.js';
import {
  acceptsOnly,
  advance,
  approveOnBackupAfterBusy,
  BACKUP,
  COMPLETED,
  dialled,
  hungUp,
  isFinished,
  PRIMARY,
  results,
  startAnswered,
  startWaitingForInput,
  THIRD,
} from './helpers.js';

describe('SPEC: rollover', () => {
  it('SPEC rule: "Rollover goes to the next target in list order, each at most once."', async () => {
    const h = await startHarness({ targets: [PRIMARY, BACKUP, THIRD] });
    await h.dialed('CA1');
    await h.ended('CA1', { status: 'no-answer' });
    await h.dialed('CA2');
    await h.ended('CA2', { status: 'no-answer' });
    await h.dialed('CA3');
    await h.ended('CA3', { status: 'no-answer' });
    await advance(h, 600_000);

    expect(dialled(h)).toEqual([PRIMARY, BACKUP, THIRD]);
    expect(h.sent('dial').map((d) => d.attempt)).toEqual([0, 1, 2]);
    expect(h.output().attempts.map((a) => a.index)).toEqual([0, 1, 2]);
  });

  it('SPEC rule: "Rollover goes to the next target" → the same number listed twice is still only a target each', async () => {
    const h = await startHarness({ targets: [PRIMARY, PRIMARY] });
    await h.dialed('CA1');
    await h.ended('CA1', { status: 'busy' });
    await h.dialed('CA2');
    await h.ended('CA2', { status: 'busy' });

    expect(h.sent('dial')).toHaveLength(2);
    expect(h.output().status).toBe('unreachable');
  });

  it('SPEC rule: "Rollover goes to the next target" → a backup that answers can approve', async () => {
    const h = await approveOnBackupAfterBusy();

    expect(h.output().status).toBe('approved');
    expect(results(h.output())).toEqual(['busy', 'approved']);
  });

  it('SPEC rule: "When no target is left, the verification ends **unreachable**; its attempts say why (e.g. `busy`, `sit:intercept`, `no-response`)."', async () => {
    const h = await startHarness({ targets: [PRIMARY, BACKUP, THIRD] });
    await h.dialed('CA1');
    await h.ended('CA1', { status: 'busy', sipCode: 486 });
    await h.dialed('CA2');
    await h.ended('CA2', { status: 'sit', sitKind: 'intercept' });
    await h.answer('CA3');
    await h.promptFinished('CA3');
    await advance(h, 10_000);

    const output = h.output();
    expect(output.status).toBe('unreachable');
    expect(output.reason).toBe('no-targets-left');
    expect(output.attempts.map(describeAttemptResult)).toEqual(['busy', 'sit:intercept', 'no-response']);
  });

  it('SPEC rule: a denial on the primary never reaches the backups ("no rollover")', async () => {
    const h = await startAnswered({ targets: [PRIMARY, BACKUP, THIRD] });
    await h.ended('CA1', COMPLETED);

    expect(h.output().status).toBe('denied');
    expect(dialled(h)).toEqual([PRIMARY]);
  });

  it('SPEC table: `isRolloverResult` names exactly the attempt results after which SPEC rolls over', () => {
    expect(SPEC_ROLLS_OVER.filter((result) => !isRolloverResult(result))).toEqual([]);
    expect(SPEC_STOPS.filter(isRolloverResult)).toEqual([]);
  });
});

describe('SPEC: "The host can **cancel** a verification at any time (the live call is hung up): **canceled**."', () => {
  const phases: [string, (h: Harness) => Promise<void>, string | null][] = [
    ['while dialling (before the provider confirmed the call)', async () => undefined, null],
    [
      'while ringing',
      async (h) => {
        await h.dialed('CA1');
        await h.send({ type: 'call.ringing', callId: 'CA1' });
      },
      'CA1',
    ],
    ['during the greeting', async (h) => h.answer('CA1'), 'CA1'],
    [
      'while waiting for input',
      async (h) => {
        await h.answer('CA1');
        await h.promptFinished('CA1');
        await h.keys('CA1', '12');
      },
      'CA1',
    ],
    [
      'during a re-prompt',
      async (h) => {
        await h.answer('CA1');
        await h.keys('CA1', '5#');
      },
      'CA1',
    ],
  ];

  it.each(phases)('SPEC rule: cancel %s → canceled, the live call hung up', async (_phase, reach, liveCall) => {
    const h = await startHarness({ targets: [PRIMARY, BACKUP] });
    await reach(h);
    await advance(h, 1_000);
    const at = h.clock.now();
    await h.send({ type: 'verification.cancel' });

    const output = h.output();
    expect(output.status).toBe('canceled');
    expect(output.reason).toBe('host-canceled');
    expect(output.attempts).toHaveLength(1);
    expect(output.attempts[0]).toMatchObject({ result: 'canceled', times: { endedAt: at } });
    expect(output.endedAt).toBe(at);
    expect(hungUp(h)).toEqual(liveCall === null ? [] : [liveCall]);
    expect(dialled(h)).toEqual([PRIMARY]);
  });

  it('SPEC rule: cancel while the number is being checked → canceled, nothing dialled', async () => {
    let release: (value: { ok: true; e164: string; extension: null; country: null }) => void = () => undefined;
    const h = await startHarness(
      { targets: [PRIMARY] },
      { checkNumber: () => new Promise((resolve) => (release = resolve)) },
    );
    await h.send({ type: 'verification.cancel' });
    release({ ok: true, e164: PRIMARY, extension: null, country: null });
    await advance(h, 1);

    expect(h.output().status).toBe('canceled');
    expect(h.sent('dial')).toEqual([]);
  });

  it('SPEC rule: cancel while a PIN is being checked → canceled, the call hung up, a late "right PIN" answer ignored', async () => {
    let answer: (ok: boolean) => void = () => undefined;
    const h = await startWaitingForInput(
      { mode: 'pin' },
      { verifyPin: () => new Promise((resolve) => (answer = resolve)) },
    );
    await h.keys('CA1', '739164#');
    expect(h.state()).toContain('checkingPin');
    await h.send({ type: 'verification.cancel' });
    answer(true);
    await advance(h, 1);

    expect(h.output().status).toBe('canceled');
    expect(hungUp(h)).toEqual(['CA1']);
  });

  it('SPEC rule: cancel between attempts keeps the results of the earlier ones', async () => {
    const h = await startHarness({ targets: [PRIMARY, BACKUP] });
    await h.dialed('CA1');
    await h.ended('CA1', { status: 'busy' });
    await h.send({ type: 'verification.cancel' });

    expect(results(h.output())).toEqual(['busy', 'canceled']);
  });
});

describe('SPEC: "An overall deadline (`maxTotalMs`, default 180 000 …) ends it **expired**."', () => {
  it('SPEC rule: not expired at 179 999 ms, expired at 180 000 ms, the live call hung up', async () => {
    const h = await startAnswered();
    await h.promptFinished('CA1');
    // The callee keeps typing, so the input timer never ends the call.
    while (h.clock.now() + 9_000 < 179_999) {
      await advance(h, 9_000);
      await h.keys('CA1', '1');
    }
    await advance(h, 179_999 - h.clock.now());
    expect(isFinished(h)).toBe(false);
    await advance(h, 1);

    const output = h.output();
    expect(output.status).toBe('expired');
    expect(output.reason).toBe('deadline');
    expect(output.endedAt).toBe(180_000);
    expect(output.attempts[0]).toMatchObject({ result: 'canceled', times: { endedAt: 180_000 } });
    expect(hungUp(h)).toEqual(['CA1']);
  });

  it('SPEC rule: "a verification whose total deadline passed while nothing ran ends `expired` with a reason saying the service was interrupted"', async () => {
    for (const resumed of [true, false]) {
      const h = await startWaitingForInput();
      // The tick a service sends when it runs again after an outage: every deadline due by then fires in order.
      await h.sendRaw({ type: 'verification.tick', at: 180_000, ...(resumed ? { resumed } : {}) });

      expect(h.output()).toMatchObject({ status: 'expired', reason: resumed ? 'service-interrupted' : 'deadline' });
      expect(results(h.output())).toEqual(['no-response', 'canceled']);
      // The backup's turn came at the total deadline: it is never dialled.
      expect(dialled(h)).toEqual([PRIMARY]);
    }
  });

  it('SPEC rule: "`maxTotalMs`" is configurable and bounds a verification whose PIN check never answers', async () => {
    const h = await startWaitingForInput(
      { mode: 'pin', timing: { maxTotalMs: 60_000 } },
      { verifyPin: () => new Promise<boolean>(() => undefined) },
    );
    await h.keys('CA1', '1234#');
    await advance(h, 59_999);
    expect(isFinished(h)).toBe(false);
    await advance(h, 1);

    expect(h.output().status).toBe('expired');
    expect(h.output().endedAt).toBe(60_000);
  });

  it('SPEC rule: "`maxTotalMs`" bounds a verification whose number check never answers', async () => {
    const h = await startHarness(
      { targets: [PRIMARY, BACKUP], timing: { maxTotalMs: 60_000 } },
      { checkNumber: () => new Promise<never>(() => undefined) },
    );
    await advance(h, 59_999);
    expect(isFinished(h)).toBe(false);
    await advance(h, 1);

    expect(h.output()).toMatchObject({ status: 'expired', endedAt: 60_000 });
    expect(results(h.output())).toEqual(['canceled']);
    expect(dialled(h)).toEqual([]);
  });

  it('SPEC rule: "`maxTotalMs`" holds when a number check answers late: what follows is timed from its answer', async () => {
    const answers: (() => void)[] = [];
    const h = await startHarness(
      { targets: [PRIMARY, BACKUP], timing: { maxTotalMs: 30_000 } },
      {
        checkNumber: ({ target }) =>
          new Promise((resolve) => {
            const e164 = String(target);
            answers.push(() => resolve({ ok: true, e164, extension: null, country: 'US' }));
          }),
      },
    );
    await advance(h, 20_000);
    for (const answer of answers) answer();
    await advance(h, 0);
    expect(dialled(h)).toEqual([PRIMARY]);
    await advance(h, 9_999);
    expect(isFinished(h)).toBe(false);
    await advance(h, 1);

    expect(h.output()).toMatchObject({ status: 'expired', endedAt: 30_000 });
    expect(h.output().attempts[0]?.times.dialedAt).toBe(20_000);
  });

  it('SPEC rule: "`maxTotalMs`" holds when a PIN check answers late: the re-prompt is timed from its answer', async () => {
    let h: Harness | null = null;
    h = await startHarness(
      { targets: [PRIMARY], mode: 'pin', timing: { maxTotalMs: 40_000, maxInvalidEntries: 3 } },
      { verifyPin: () => new Promise<boolean>((resolve) => h?.clock.setTimeout(() => resolve(false), 20_000)) },
    );
    await h.answer('CA1');
    await h.promptFinished('CA1');
    await h.keys('CA1', '1234#');
    await advance(h, 20_000);
    // The wrong PIN's re-prompt started when the verifier answered.
    expect(h.sent('playPrompt').map((c) => c.kind)).toEqual(['greeting', 'incorrect-pin']);
    await advance(h, 19_999);
    expect(isFinished(h)).toBe(false);
    await advance(h, 1);

    expect(h.output()).toMatchObject({ status: 'expired', endedAt: 40_000 });
  });

  it('SPEC rule: the deadline covers the whole verification, not one attempt', async () => {
    const h = await startHarness({ targets: [PRIMARY, BACKUP], timing: { maxTotalMs: 40_000 } });
    await h.dialed('CA1');
    await h.send({ type: 'call.ringing', callId: 'CA1' });
    await advance(h, 30_000);
    await h.dialed('CA2');
    await advance(h, 10_000);

    expect(h.output().status).toBe('expired');
    expect(results(h.output())).toEqual(['no-answer', 'canceled']);
    expect(hungUp(h)).toEqual(['CA1', 'CA2']);
  });
});

describe('SPEC: "A verification reaches exactly one of them, exactly once, in bounded time."', () => {
  it('SPEC rule: "Final statuses: `approved`, `denied`, `fraud`, `unreachable`, `canceled`, `expired`." — each is reachable', async () => {
    const statuses = new Set<string>();
    const approve = await startWaitingForInput();
    await approve.keys('CA1', '#');
    statuses.add(approve.output().status);
    const deny = await startWaitingForInput();
    await deny.ended('CA1', COMPLETED);
    statuses.add(deny.output().status);
    const fraud = await startWaitingForInput();
    await fraud.keys('CA1', '0#');
    statuses.add(fraud.output().status);
    const unreachable = await startHarness({ targets: ['nope'] });
    statuses.add(unreachable.output().status);
    const cancel = await startWaitingForInput();
    await cancel.send({ type: 'verification.cancel' });
    statuses.add(cancel.output().status);
    const expire = await startWaitingForInput({ timing: { maxTotalMs: 5_000 } });
    await advance(expire, 5_000);
    statuses.add(expire.output().status);

    expect([...statuses].sort()).toEqual(['approved', 'canceled', 'denied', 'expired', 'fraud', 'unreachable']);
  });

  it('SPEC rule: "exactly once" → the actor completes once, and a second ending event cannot change the status', async () => {
    const h = await startWaitingForInput();
    const completions = vi.fn();
    const outputs: string[] = [];
    h.actor.subscribe({
      next: (snapshot) => {
        if (snapshot.status === 'done') outputs.push(snapshot.output.status);
      },
      complete: completions,
    });
    await h.keys('CA1', '#');
    await h.keys('CA1', '0#');
    await h.ended('CA1', COMPLETED);
    await h.send({ type: 'verification.cancel' });
    await advance(h, 200_000);

    expect(completions).toHaveBeenCalledTimes(1);
    expect(outputs).toEqual(['approved']);
  });

  it('SPEC rule: "in bounded time" → a provider that says nothing at all: finished by the dial bounds, before maxTotalMs', async () => {
    const h = await startHarness({ targets: [PRIMARY, BACKUP, THIRD], timing: { dialTimeoutMs: 30_000 } });
    await advance(h, 89_999);
    expect(isFinished(h)).toBe(false);
    await advance(h, 1);

    expect(h.output().status).toBe('unreachable');
    expect(results(h.output())).toEqual(['failed', 'failed', 'failed']);
  });

  it('SPEC rule: "in bounded time" → with the default bounds a silent provider is stopped by maxTotalMs', async () => {
    const h = await startHarness({ targets: [PRIMARY, BACKUP, THIRD] });
    await advance(h, 180_000);

    expect(h.output().status).toBe('expired');
    // The second dial bound falls due with the overall deadline, which wins the tie.
    expect(results(h.output())).toEqual(['failed', 'canceled']);
  });

  it('SPEC rule: "in bounded time" → a callee who keeps making invalid entries is denied, not kept on the line', async () => {
    const verifyPin = vi.fn(acceptsOnly('739164'));
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    for (let i = 0; i < 10 && !isFinished(h); i++) {
      await h.keys('CA1', '0000#');
      await h.promptFinished('CA1');
    }

    expect(h.output().status).toBe('denied');
    expect(verifyPin).toHaveBeenCalledTimes(3);
  });
});
