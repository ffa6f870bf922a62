/**
 * "Records" in SPEC.md: what each attempt records, what a result carries, and
 * the legacy MFA Server report codes.
 */
import { describe, expect, it } from 'vitest';
import {
  type AttemptRecord,
  attemptsOf,
  type LegacyResultCode,
  toLegacyResultCode,
} from '../../src/machine/outcomes.js';
import { type Harness, startHarness } from '../support/harness.js';
import {
  acceptsOnly,
  advance,
  approveOnBackupAfterBusy,
  BACKUP,
  COMPLETED,
  PRIMARY,
  startAnswered,
  startWaitingForInput,
} from './helpers.js';

describe('a finished snapshot', () => {
  it('keeps the attempts once, in the output: the context hands them over at the final status', async () => {
    const h = await approveOnBackupAfterBusy();

    const snapshot = h.actor.getSnapshot();
    expect(snapshot.status).toBe('done');
    expect(h.output().attempts.map((attempt) => attempt.result)).toEqual(['busy', 'approved']);
    expect(snapshot.context.attempts).toEqual([]);
    expect(attemptsOf(snapshot)).toEqual(h.output().attempts);
    const persisted = JSON.stringify(h.actor.getPersistedSnapshot());
    expect(persisted.split('"callId":"CA2"')).toHaveLength(2);
  });
});

describe('SPEC records: each attempt records …', () => {
  it('SPEC rule: "timestamps of dial, ringing, answer, greeting end, end" on the clock of the events', async () => {
    const h = await startHarness({ targets: [PRIMARY] });
    await advance(h, 800);
    await h.dialed('CA1');
    await advance(h, 700);
    await h.send({ type: 'call.ringing', callId: 'CA1' });
    await advance(h, 5_500);
    await h.send({ type: 'call.answered', callId: 'CA1' });
    await advance(h, 4_000);
    await h.promptFinished('CA1');
    await advance(h, 2_000);
    await h.keys('CA1', '#');

    const output = h.output();
    expect(output.attempts[0]?.times).toEqual({
      dialedAt: 0,
      ringingAt: 1_500,
      answeredAt: 7_000,
      greetingEndedAt: 11_000,
      endedAt: 13_000,
    });
    expect(output.startedAt).toBe(0);
    expect(output.endedAt).toBe(13_000);
  });

  it('SPEC rule: timestamps never go back: an event stamped before what the machine already knows is dated at the latest time known', async () => {
    const h = await startAnswered();
    await advance(h, 5_000);
    await h.promptFinished('CA1');
    // A provider's report delivered late, with the time the provider stamped on it.
    await h.sendRaw({ type: 'call.digits', callId: 'CA1', digits: '#', at: 1_000 });

    expect(h.output().status).toBe('approved');
    expect(h.output().attempts[0]?.times).toMatchObject({ greetingEndedAt: 5_000, endedAt: 5_000 });
    expect(h.output().endedAt).toBe(5_000);
  });

  it('SPEC rule: "timestamps" of a backup start at its own dial, after the primary ended', async () => {
    const h = await startHarness({ targets: [PRIMARY, BACKUP] });
    await h.dialed('CA1');
    await advance(h, 4_000);
    await h.ended('CA1', { status: 'busy' });
    await advance(h, 1_000);
    await h.answer('CA2');

    const [first, second] = h.actor.getSnapshot().context.attempts;
    expect(first?.times).toEqual({
      dialedAt: 0,
      ringingAt: null,
      answeredAt: null,
      greetingEndedAt: null,
      endedAt: 4_000,
    });
    expect(second?.times).toMatchObject({ dialedAt: 4_000, ringingAt: 5_000, answeredAt: 5_000, endedAt: null });
  });

  it('SPEC rule: "timestamps" of an unanswered call leave answer and greeting end empty', async () => {
    const h = await startHarness({ targets: [PRIMARY] });
    await h.dialed('CA1');
    await advance(h, 2_000);
    await h.send({ type: 'call.ringing', callId: 'CA1' });
    await advance(h, 30_000);

    expect(h.output().attempts[0]?.times).toEqual({
      dialedAt: 0,
      ringingAt: 2_000,
      answeredAt: null,
      greetingEndedAt: null,
      // The ring timer counts from the first ring.
      endedAt: 32_000,
    });
  });

  it('SPEC rule: "the target as dialled (E.164, extension), callId"', async () => {
    const h = await startHarness(
      { targets: [{ number: '+1 (425) 555-0100', extension: ',,1234' }] },
      { checkNumber: () => ({ ok: true, e164: PRIMARY, extension: ',,1234', country: 'US' }) },
    );
    await h.answer('CA1');
    await h.send({ type: 'call.digitsSent', callId: 'CA1' });
    await h.keys('CA1', '#');

    expect(h.output().attempts[0]).toMatchObject({
      target: { input: '+1 (425) 555-0100 x,,1234', e164: PRIMARY, extension: ',,1234', country: 'US' },
      callId: 'CA1',
      result: 'approved',
    });
  });

  it('SPEC rule: "the result (and SIT kind …)"', async () => {
    const h = await startHarness({ targets: [PRIMARY] });
    await h.dialed('CA1');
    await h.ended('CA1', { status: 'sit', sitKind: 'vacant-code', sipCode: 404 });

    expect(h.output().attempts[0]).toMatchObject({ result: 'sit', sitKind: 'vacant-code', sipCode: 404 });
  });

  it('SPEC rule: "SIP code / Q.850 cause when the provider gave them" → both kept, with the provider\'s own code', async () => {
    const h = await startHarness({ targets: [PRIMARY] });
    await h.dialed('CA1');
    await h.ended('CA1', { status: 'failed', sipCode: 503, q850Cause: 34, providerCode: '32016' });

    expect(h.output().attempts[0]).toMatchObject({
      result: 'failed',
      sitKind: null,
      sipCode: 503,
      q850Cause: 34,
      providerCode: '32016',
    });
  });

  it('SPEC rule: "SIP code / Q.850 cause when the provider gave them" → also for an answered call that hung up', async () => {
    const h = await startAnswered();
    await h.ended('CA1', { status: 'completed', sipCode: 200, q850Cause: 16 });

    expect(h.output().attempts[0]).toMatchObject({ result: 'hung-up', sipCode: 200, q850Cause: 16 });
  });

  it('SPEC rule: "SIP code / Q.850 cause when the provider gave them" → none given, none recorded', async () => {
    const h = await startHarness({ targets: [PRIMARY] });
    await h.dialed('CA1');
    await h.ended('CA1', { status: 'busy' });

    expect(h.output().attempts[0]).toMatchObject({ result: 'busy', sipCode: null, q850Cause: null, sitKind: null });
  });

  it('SPEC rule: "how many digits were typed (never which)" → every key, over several entries', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '5');
    await h.keys('CA1', '5#');
    await h.promptFinished('CA1');
    await h.keys('CA1', '#');

    expect(h.output().attempts[0]).toMatchObject({ keysPressed: 4, invalidEntries: 1, result: 'approved' });
  });

  it('SPEC rule: "how many digits were typed" → up to the key that decided: keys after it in the same report were not taken', async () => {
    for (const [keys, status, counted] of [
      ['0#55', 'fraud', 2],
      ['#55', 'approved', 1],
    ] as const) {
      const h = await startWaitingForInput();
      await h.keys('CA1', keys);

      expect(h.output().status).toBe(status);
      expect(h.output().attempts[0]?.keysPressed).toBe(counted);
    }
  });

  it('SPEC rule: "how many digits were typed" → counted per attempt', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '12');
    await advance(h, 10_000);
    await h.promptFinished('CA1');
    await advance(h, 10_000);
    await h.answer('CA2');
    await h.keys('CA2', '#');

    expect(h.output().attempts.map((a) => a.keysPressed)).toEqual([2, 1]);
  });

  it('SPEC rule: "A verification result carries its status, a reason, and the attempts."', async () => {
    const h = await startHarness({ targets: [PRIMARY, BACKUP] });
    await h.dialed('CA1');
    await h.ended('CA1', { status: 'no-answer' });
    await h.answer('CA2');
    await h.keys('CA2', '0#');

    const output = h.output();
    expect(output).toMatchObject({ status: 'fraud', reason: 'fraud-code' });
    expect(output.attempts.map((a) => [a.index, a.result])).toEqual([
      [0, 'no-answer'],
      [1, 'fraud'],
    ]);
    // A result is plain data: it survives a JSON round trip unchanged.
    expect(JSON.parse(JSON.stringify(output))).toEqual(output);
  });
});

describe('SPEC records: the legacy MFA Server report codes', () => {
  const legacy = (h: Harness, index = 0): LegacyResultCode | null => {
    const attempt = h.output().attempts[index] as AttemptRecord;
    return toLegacyResultCode(attempt, h.actor.getSnapshot().context.input.mode);
  };

  it('SPEC rule: "approved with `#` → `SUCCESS_NO_PIN`"', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '#');
    expect(legacy(h)).toBe('SUCCESS_NO_PIN');
  });

  it('SPEC rule: "with PIN → `SUCCESS_WITH_PIN`"', async () => {
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin: acceptsOnly('739164') });
    await h.keys('CA1', '739164#');
    expect(legacy(h)).toBe('SUCCESS_WITH_PIN');
  });

  it('SPEC rule: "`hung-up` → `FAILED_USER_HUNGUP_ON_US`"', async () => {
    const h = await startWaitingForInput();
    await h.ended('CA1', COMPLETED);
    expect(legacy(h)).toBe('FAILED_USER_HUNGUP_ON_US');
  });

  it('SPEC rule: "`no-response` → `SUCCESS_NO_PIN_BUT_TIMEOUT` (sic: … "answered, no response, typically voicemail")"', async () => {
    const h = await startWaitingForInput({ targets: [PRIMARY] });
    await advance(h, 10_000);
    expect(legacy(h)).toBe('SUCCESS_NO_PIN_BUT_TIMEOUT');
  });

  it.each([
    ['busy', { status: 'busy' }],
    ['SIT', { status: 'sit', sitKind: 'intercept' }],
    ['no-answer', { status: 'no-answer' }],
  ] as const)(
    'SPEC rule: "busy / SIT / no-answer → `CONFIG_ISSUE` ("phone unreachable")" → %s',
    async (_name, ending) => {
      const h = await startHarness({ targets: [PRIMARY] });
      await h.dialed('CA1');
      await h.ended('CA1', ending);
      expect(legacy(h)).toBe('CONFIG_ISSUE');
    },
  );

  it('SPEC rule: "invalid number → `FAILED_INVALID_PHONENUMBER`"', async () => {
    const h = await startHarness({ targets: ['12'] });
    expect(h.output().attempts[0]?.result).toBe('invalid-number');
    expect(legacy(h)).toBe('FAILED_INVALID_PHONENUMBER');
  });

  it('SPEC rule: "fraud → `FAILED_FRAUD_CODE_ENTERED`"', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '0#');
    expect(legacy(h)).toBe('FAILED_FRAUD_CODE_ENTERED');
  });

  it('SPEC rule: an attempt still in progress, or canceled, has no legacy code', async () => {
    const h = await startWaitingForInput();
    const live = h.actor.getSnapshot().context.attempts[0] as AttemptRecord;
    expect(toLegacyResultCode(live, 'standard')).toBeNull();
    await h.send({ type: 'verification.cancel' });
    expect(legacy(h)).toBeNull();
  });
});
