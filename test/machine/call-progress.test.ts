/**
 * Step 2 of SPEC.md, "Dial": the call-progress results, each ending the
 * attempt and rolling over, and the SIP / Q.850 mappings behind them.
 */
import { describe, expect, it } from 'vitest';
import type { CallEnding, SitKind } from '../../src/machine/events.js';
import { startHarness } from '../support/harness.js';
import { advance, BACKUP, dialled, hungUp, isFinished, PRIMARY, THIRD } from './helpers.js';

/** Dials the primary target, lets it ring, and ends it with `ending` before anyone answers. */
async function endWhileRinging(ending: CallEnding) {
  const h = await startHarness({ targets: [PRIMARY, BACKUP] });
  await h.dialed('CA1');
  await h.send({ type: 'call.ringing', callId: 'CA1' });
  await h.ended('CA1', ending);
  return h;
}

async function expectRollover(ending: CallEnding, result: string, sitKind: SitKind | null = null) {
  const h = await endWhileRinging(ending);
  expect(isFinished(h)).toBe(false);
  expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({ result, sitKind });
  // Roll over: the backup is dialled next.
  expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
  return h;
}

describe('SPEC step 2: call-progress results end the attempt and roll over', () => {
  describe('SPEC rule: "`busy` — busy signal (SIP 486/600, Q.850 cause 17)."', () => {
    it.each([486, 600])('SPEC rule: "`busy` — busy signal (SIP 486/600 …)" ← SIP %i', async (sipCode) => {
      const h = await expectRollover({ status: 'failed', sipCode }, 'busy');
      expect(h.actor.getSnapshot().context.attempts[0]?.sipCode).toBe(sipCode);
    });

    it('SPEC rule: "`busy` — busy signal (… Q.850 cause 17)" ← Q.850 cause 17', async () => {
      const h = await expectRollover({ status: 'failed', q850Cause: 17 }, 'busy');
      expect(h.actor.getSnapshot().context.attempts[0]?.q850Cause).toBe(17);
    });

    it('SPEC rule: "`busy` — busy signal" ← the provider\'s busy status', async () => {
      await expectRollover({ status: 'busy' }, 'busy');
    });
  });

  describe('SPEC rule: "`sit` — special information tones ("tri-tones"), with the kind when known"', () => {
    it.each<SitKind>(['vacant-code', 'intercept', 'no-circuit', 'reorder', 'unknown'])(
      'SPEC rule: "`sit` — special information tones, with the kind when known" → kind %s',
      async (sitKind) => {
        await expectRollover({ status: 'sit', sitKind }, 'sit', sitKind);
      },
    );

    it('SPEC rule: "`sit` … with the kind when known" → kind not known: `unknown`', async () => {
      await expectRollover({ status: 'sit' }, 'sit', 'unknown');
    });

    it('SPEC rule: "`intercept` (number disconnected or changed)" ← SIP 410 / Q.850 22', async () => {
      await expectRollover({ status: 'failed', sipCode: 410 }, 'sit', 'intercept');
      await expectRollover({ status: 'failed', q850Cause: 22 }, 'sit', 'intercept');
    });

    it('SPEC rule: tones heard win over the codes sent with them', async () => {
      await expectRollover({ status: 'failed', sipCode: 486, sitKind: 'no-circuit' }, 'sit', 'no-circuit');
    });
  });

  describe('SPEC rule: "`invalid-number` — the carrier says the number does not exist (SIP 404/484/604, Q.850 1/28) or the provider refuses it as invalid."', () => {
    it.each([404, 484, 604])(
      'SPEC rule: "`invalid-number` — the carrier says the number does not exist (SIP 404/484/604 …)" ← SIP %i',
      async (sipCode) => {
        await expectRollover({ status: 'failed', sipCode }, 'invalid-number');
      },
    );

    it.each([1, 28])(
      'SPEC rule: "`invalid-number` — the carrier says the number does not exist (… Q.850 1/28)" ← Q.850 cause %i',
      async (q850Cause) => {
        await expectRollover({ status: 'failed', q850Cause }, 'invalid-number');
      },
    );

    it('SPEC rule: "`invalid-number` — … or the provider refuses it as invalid" (e.g. Twilio 21217)', async () => {
      const h = await startHarness({ targets: [PRIMARY, BACKUP] });
      await h.send({
        type: 'call.dialFailed',
        attempt: 0,
        ending: { status: 'invalid-number', providerCode: '21217' },
      });

      expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({
        result: 'invalid-number',
        providerCode: '21217',
        callId: null,
      });
      expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
    });
  });

  describe('SPEC rule: "`no-answer` — ring timer expired or the carrier reports no answer (408/480, Q.850 18/19). The call is cancelled."', () => {
    it.each([408, 480])(
      'SPEC rule: "`no-answer` — … the carrier reports no answer (408/480 …)" ← SIP %i',
      async (sipCode) => {
        await expectRollover({ status: 'failed', sipCode }, 'no-answer');
      },
    );

    it.each([18, 19])(
      'SPEC rule: "`no-answer` — … the carrier reports no answer (… Q.850 18/19)" ← Q.850 cause %i',
      async (q850Cause) => {
        await expectRollover({ status: 'failed', q850Cause }, 'no-answer');
      },
    );

    it('SPEC rule: "`no-answer` — … the carrier reports no answer" ← the provider\'s no-answer status', async () => {
      await expectRollover({ status: 'no-answer' }, 'no-answer');
    });

    it('SPEC rule: "ring timer expired" (`ringTimeoutMs`, default 30 000) → not at 29 999 ms, at 30 000 ms the call is cancelled', async () => {
      const h = await startHarness({ targets: [PRIMARY, BACKUP] });
      await h.dialed('CA1');
      await h.send({ type: 'call.ringing', callId: 'CA1' });
      await advance(h, 29_999);
      expect(h.sent('hangUp')).toEqual([]);
      expect(dialled(h)).toEqual([PRIMARY]);

      await advance(h, 1);
      expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({
        result: 'no-answer',
        times: { endedAt: 30_000 },
      });
      expect(hungUp(h)).toEqual(['CA1']);
      expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
    });

    it('SPEC rule: "While ringing, a ring timer runs (`ringTimeoutMs`)" → configurable, and passed to the provider', async () => {
      const h = await startHarness({ targets: [PRIMARY, BACKUP], timing: { ringTimeoutMs: 20_000 } });
      expect(h.last('dial').ringTimeoutMs).toBe(20_000);
      await h.dialed('CA1');
      await h.send({ type: 'call.ringing', callId: 'CA1' });
      await advance(h, 19_999);
      expect(dialled(h)).toEqual([PRIMARY]);
      await advance(h, 1);
      expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({ result: 'no-answer', timedOut: 'ring' });
    });

    it('SPEC rule: "The call is cancelled." → the carrier\'s report of our cancel (487) afterwards changes nothing', async () => {
      const h = await startHarness({ targets: [PRIMARY, BACKUP] });
      await h.dialed('CA1');
      await h.send({ type: 'call.ringing', callId: 'CA1' });
      await advance(h, 30_000);
      await h.ended('CA1', { status: 'canceled', sipCode: 487 });

      expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({ result: 'no-answer', sipCode: null });
      expect(h.actor.getSnapshot().context.ignoredEvents.stale).toBe(1);
    });
  });

  describe('SPEC rule: "While ringing, a ring timer runs" — queueing and post-dial delay are not ringing', () => {
    it('time before the first ring does not count: a call queued 50 s then ringing gets its full 30 s', async () => {
      const h = await startHarness({ targets: [PRIMARY, BACKUP] });
      await h.dialed('CA1');
      await advance(h, 50_000);
      expect(dialled(h)).toEqual([PRIMARY]);
      await h.send({ type: 'call.ringing', callId: 'CA1' });
      await advance(h, 29_999);
      expect(hungUp(h)).toEqual([]);
      await advance(h, 1);
      expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({
        result: 'no-answer',
        timedOut: 'ring',
        times: { ringingAt: 50_000, endedAt: 80_000 },
      });
      expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
    });

    it('a call that never rings within `dialTimeoutMs` is cancelled as `failed`, not `no-answer`, and the backup dialled', async () => {
      const h = await startHarness({ targets: [PRIMARY, BACKUP] });
      expect(h.last('dial').dialTimeoutMs).toBe(90_000);
      await h.dialed('CA1');
      await advance(h, 89_999);
      expect(hungUp(h)).toEqual([]);
      await advance(h, 1);
      expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({
        result: 'failed',
        timedOut: 'dial',
        times: { ringingAt: null, endedAt: 90_000 },
      });
      expect(hungUp(h)).toEqual(['CA1']);
      expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
    });

    it('the dial bound also cuts ringing short: queued 80 s, it rings 10 s and is `no-answer` timed out by the dial', async () => {
      const h = await startHarness({ targets: [PRIMARY, BACKUP] });
      await h.dialed('CA1');
      await advance(h, 80_000);
      await h.send({ type: 'call.ringing', callId: 'CA1' });
      await advance(h, 9_999);
      expect(hungUp(h)).toEqual([]);
      await advance(h, 1);
      expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({
        result: 'no-answer',
        timedOut: 'dial',
        times: { endedAt: 90_000 },
      });
    });

    it('a dial the provider never acknowledges is `failed` at the dial bound', async () => {
      const h = await startHarness({ targets: [PRIMARY, BACKUP], timing: { dialTimeoutMs: 40_000 } });
      await advance(h, 40_000);
      expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({
        result: 'failed',
        timedOut: 'dial',
        callId: null,
      });
      expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
    });

    it('`dialTimeoutMs` defaults to the ring time plus a minute and may not be shorter than the ring time', async () => {
      const h = await startHarness({ targets: [PRIMARY], timing: { ringTimeoutMs: 45_000 } });
      expect(h.last('dial')).toMatchObject({ ringTimeoutMs: 45_000, dialTimeoutMs: 105_000 });
      await expect(
        startHarness({ targets: [PRIMARY], timing: { ringTimeoutMs: 45_000, dialTimeoutMs: 44_999 } }),
      ).rejects.toThrow(/timing\.dialTimeoutMs: must be at least timing\.ringTimeoutMs/);
    });

    it('outcomes that are not timeouts leave `timedOut` empty', async () => {
      const h = await expectRollover({ status: 'busy' }, 'busy');
      expect(h.actor.getSnapshot().context.attempts[0]?.timedOut).toBeNull();
    });
  });

  describe('SPEC rule: "`failed` — any other carrier or provider failure (5xx, Q.850 27/34/38/41/42, a provider API error)."', () => {
    it.each([500, 502, 503, 504])(
      'SPEC rule: "`failed` — any other carrier or provider failure (5xx …)" ← SIP %i',
      async (sipCode) => {
        await expectRollover({ status: 'failed', sipCode }, 'failed');
      },
    );

    it.each([27, 34, 38, 41, 42])(
      'SPEC rule: "`failed` — any other carrier or provider failure (… Q.850 27/34/38/41/42 …)" ← Q.850 cause %i',
      async (q850Cause) => {
        await expectRollover({ status: 'failed', q850Cause }, 'failed');
      },
    );

    it('SPEC rule: "`failed` — any other … provider failure (… a provider API error)" ← a dial the provider could not place', async () => {
      const h = await startHarness({ targets: [PRIMARY, BACKUP] });
      await h.send({ type: 'call.dialFailed', attempt: 0, ending: { status: 'failed', providerCode: '20429' } });

      expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({ result: 'failed', providerCode: '20429' });
      expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
    });

    it('SPEC rule: "`failed` — any other carrier or provider failure" ← a call reported "completed" that was never answered', async () => {
      await expectRollover({ status: 'completed' }, 'failed');
    });
  });

  it('SPEC rule: a Q.850 cause wins over the SIP code (TELEPHONY.md: "Prefer a `Reason: Q.850;cause=N` header … over the status code")', async () => {
    await expectRollover({ status: 'failed', sipCode: 503, q850Cause: 17 }, 'busy');
    await expectRollover({ status: 'failed', sipCode: 486, q850Cause: 34 }, 'failed');
  });

  it('SPEC rule: call-progress results roll over in order: busy, then SIT, then no answer → unreachable', async () => {
    const h = await startHarness({ targets: [PRIMARY, BACKUP, THIRD] });
    await h.dialed('CA1');
    await h.ended('CA1', { status: 'busy', sipCode: 486 });
    await h.dialed('CA2');
    await h.ended('CA2', { status: 'sit', sitKind: 'intercept' });
    await h.dialed('CA3');
    await h.send({ type: 'call.ringing', callId: 'CA3' });
    await advance(h, 30_000);

    expect(dialled(h)).toEqual([PRIMARY, BACKUP, THIRD]);
    expect(h.output().status).toBe('unreachable');
    expect(h.output().attempts.map((a) => a.result)).toEqual(['busy', 'sit', 'no-answer']);
  });
});
