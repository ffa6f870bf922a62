/**
 * "Events from providers are untrusted" in SPEC.md: stale, duplicate,
 * out-of-order, late and malformed events change nothing and are counted.
 */
import { describe, expect, it } from 'vitest';
import type { IgnoredEventCounts } from '../../src/machine/outcomes.js';
import { MAX_DIGITS_PER_EVENT } from '../../src/machine/validateEvent.js';
import { type Harness, startHarness } from '../support/harness.js';
import {
  advance,
  BACKUP,
  COMPLETED,
  dialled,
  hungUp,
  isFinished,
  PRIMARY,
  startAnswered,
  startWaitingForInput,
  THIRD,
} from './helpers.js';

/** Everything the machine knows, except the counters of ignored events. */
function observable(h: Harness) {
  const snapshot = h.actor.getSnapshot();
  const { ignoredEvents: _ignored, ...context } = snapshot.context;
  return { value: snapshot.value, status: snapshot.status, context, commands: h.commands.length };
}

/** Sends `event` and checks that it changed nothing but the count of its kind. */
async function expectIgnored(h: Harness, event: unknown, kind: keyof IgnoredEventCounts, raw = false) {
  const before = observable(h);
  const counts = { ...h.actor.getSnapshot().context.ignoredEvents };
  if (raw) await h.sendRaw(event);
  else await h.send(event as never);
  expect(observable(h)).toEqual(before);
  expect(h.actor.getSnapshot().context.ignoredEvents).toEqual({ ...counts, [kind]: counts[kind] + 1 });
}

describe('SPEC: "An event whose callId is not the live call\'s, or that arrives after the attempt or the verification ended, changes nothing; it is recorded as stale."', () => {
  it('SPEC rule: a key press on another callId changes nothing (stale)', async () => {
    const h = await startWaitingForInput();
    await expectIgnored(h, { type: 'call.digits', callId: 'CA-other', digits: '#' }, 'stale');

    await h.keys('CA1', '#');
    expect(h.output().status).toBe('approved');
  });

  it('SPEC rule: a hang-up on another callId does not deny (stale)', async () => {
    const h = await startWaitingForInput();
    await expectIgnored(h, { type: 'call.ended', callId: 'CA-other', ending: COMPLETED }, 'stale');
  });

  it('SPEC rule: events of an attempt that already ended change nothing (stale)', async () => {
    const h = await startHarness({ targets: [PRIMARY, BACKUP] });
    await h.dialed('CA1');
    await h.ended('CA1', { status: 'busy' });
    await h.answer('CA2');

    await expectIgnored(h, { type: 'call.answered', callId: 'CA1' }, 'stale');
    await expectIgnored(h, { type: 'call.digits', callId: 'CA1', digits: '#' }, 'stale');
    await expectIgnored(h, { type: 'call.ended', callId: 'CA1', ending: COMPLETED }, 'stale');
    await expectIgnored(h, { type: 'call.dialFailed', attempt: 0, ending: { status: 'failed' } }, 'stale');
    expect(h.actor.getSnapshot().context.attempts[0]?.result).toBe('busy');
  });

  it('SPEC rule: a prompt report for an earlier prompt is stale: it neither ends the re-prompt nor starts the timer', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '5#');
    await expectIgnored(h, { type: 'call.promptFinished', callId: 'CA1', promptSeq: 1 }, 'stale');
    expect(h.state()).toContain('reprompting');
  });

  it('SPEC rule: "… or that arrives after … the verification ended, changes nothing" → the result stays as it was', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '#');
    const output = structuredClone(h.output());
    const commands = h.commands.length;

    await h.ended('CA1', COMPLETED);
    await h.keys('CA1', '0#');
    await h.send({ type: 'call.answered', callId: 'CA1' });
    await h.send({ type: 'verification.cancel' });
    await advance(h, 600_000);

    expect(h.output()).toEqual(output);
    expect(h.commands).toHaveLength(commands);
  });
});

describe('SPEC: "Duplicates change nothing."', () => {
  it('SPEC rule: a second `ringing` changes nothing (duplicate) and keeps the first ringing time', async () => {
    const h = await startHarness({ targets: [PRIMARY] });
    await h.dialed('CA1');
    await advance(h, 1_000);
    await h.send({ type: 'call.ringing', callId: 'CA1' });
    await advance(h, 1_000);
    await expectIgnored(h, { type: 'call.ringing', callId: 'CA1' }, 'duplicate');
    expect(h.actor.getSnapshot().context.attempts[0]?.times.ringingAt).toBe(1_000);
  });

  it('SPEC rule: a second `answered` does not replay the greeting (duplicate)', async () => {
    const h = await startAnswered();
    await expectIgnored(h, { type: 'call.answered', callId: 'CA1' }, 'duplicate');
    expect(h.sent('playPrompt')).toHaveLength(1);
  });

  it('SPEC rule: a second `dialed` for the live call changes nothing (duplicate)', async () => {
    const h = await startAnswered();
    await expectIgnored(h, { type: 'call.dialed', attempt: 0, callId: 'CA1' }, 'duplicate');
  });

  it('SPEC rule: a repeated prompt-end report does not restart the input timer (duplicate)', async () => {
    const h = await startWaitingForInput();
    await advance(h, 5_000);
    await expectIgnored(h, { type: 'call.promptFinished', callId: 'CA1', promptSeq: 1 }, 'duplicate');
    await advance(h, 5_000);

    expect(h.actor.getSnapshot().context.attempts[0]?.result).toBe('no-response');
  });
});

describe('SPEC: "Out-of-order delivery … never resurrects an ended call."', () => {
  it('SPEC rule: "`ringing` after `answered`" changes nothing (out of order)', async () => {
    const h = await startAnswered();
    await expectIgnored(h, { type: 'call.ringing', callId: 'CA1' }, 'outOfOrder');
  });

  it('SPEC rule: "`answered` after `completed`" never resurrects the call: the denial stands', async () => {
    const h = await startHarness({ targets: [PRIMARY, BACKUP] });
    await h.answer('CA1');
    await h.ended('CA1', COMPLETED);
    const output = structuredClone(h.output());
    await h.send({ type: 'call.answered', callId: 'CA1' });

    expect(h.output()).toEqual(output);
    expect(h.sent('playPrompt')).toHaveLength(1);
  });

  it('SPEC rule: "`answered` after `completed`" of an unanswered call that rolled over is stale and plays nothing', async () => {
    const h = await startHarness({ targets: [PRIMARY, BACKUP] });
    await h.dialed('CA1');
    await h.ended('CA1', { status: 'no-answer' });
    await h.dialed('CA2');
    await expectIgnored(h, { type: 'call.answered', callId: 'CA1' }, 'stale');
    expect(h.sent('playPrompt')).toEqual([]);
  });

  it('SPEC rule: a dial failure after the dial was acknowledged changes nothing (out of order)', async () => {
    const h = await startHarness({ targets: [PRIMARY] });
    await h.dialed('CA1');
    await expectIgnored(h, { type: 'call.dialFailed', attempt: 0, ending: { status: 'failed' } }, 'outOfOrder');
  });

  it('SPEC rule: key presses before the call is answered are not taken', async () => {
    const h = await startHarness({ targets: [PRIMARY] });
    await h.dialed('CA1');
    await h.send({ type: 'call.ringing', callId: 'CA1' });
    await expectIgnored(h, { type: 'call.digits', callId: 'CA1', digits: '#' }, 'unexpected');
    expect(h.actor.getSnapshot().context.attempts[0]?.keysPressed).toBe(0);
  });

  it('SPEC rule: event clock readings never go backwards in the records', async () => {
    const h = await startHarness({ targets: [PRIMARY] });
    await advance(h, 5_000);
    await h.dialed('CA1');
    await h.sendRaw({ type: 'call.ringing', callId: 'CA1', at: 1_000 });

    const times = h.actor.getSnapshot().context.attempts[0]?.times;
    expect(times?.ringingAt).toBeGreaterThanOrEqual(times?.dialedAt ?? Number.POSITIVE_INFINITY);
  });
});

describe('SPEC: a late `call.dialed` for an earlier attempt ("never has two calls live at once")', () => {
  it('SPEC rule: a dial acknowledged after its attempt was given up on is hung up at once', async () => {
    const h = await startHarness({ targets: [PRIMARY, BACKUP] });
    // The provider never confirms the first dial within the dial bound: the attempt fails and the backup is dialled.
    await advance(h, 90_000);
    expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
    await h.answer('CA2');

    await h.send({ type: 'call.dialed', attempt: 0, callId: 'CA-late' });
    expect(hungUp(h)).toEqual(['CA-late']);
    expect(h.last('hangUp')).toMatchObject({ callId: 'CA-late', farewell: [] });
    expect(h.actor.getSnapshot().context.liveCallId).toBe('CA2');
    expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({ result: 'failed', callId: null });
    expect(h.actor.getSnapshot().context.ignoredEvents.stale).toBe(1);

    // The live call goes on undisturbed.
    await h.promptFinished('CA2');
    await h.keys('CA2', '#');
    expect(h.output().status).toBe('approved');
    expect(h.output().attempts[1]?.callId).toBe('CA2');
  });

  it('SPEC rule: a second, different call reported for the current attempt is hung up, the first stays live', async () => {
    const h = await startAnswered();
    await h.send({ type: 'call.dialed', attempt: 0, callId: 'CA-twin' });

    expect(hungUp(h)).toEqual(['CA-twin']);
    expect(h.actor.getSnapshot().context.liveCallId).toBe('CA1');
    expect(h.state()).toContain('greeting');
  });

  it('SPEC rule: "never has two calls live at once" → each call is hung up before the next target is dialled', async () => {
    const h = await startHarness({ targets: [PRIMARY, BACKUP, THIRD] });
    await h.answer('CA1');
    await h.promptFinished('CA1');
    await advance(h, 10_000);
    await h.dialed('CA2');
    await h.send({ type: 'call.ringing', callId: 'CA2' });
    await advance(h, 30_000);
    await h.dialed('CA3');

    const callCommands = h.commands.flatMap((c) =>
      c.type === 'dial' ? [`dial ${c.to}`] : c.type === 'hangUp' ? [`hangUp ${c.callId}`] : [],
    );
    expect(callCommands).toEqual([`dial ${PRIMARY}`, 'hangUp CA1', `dial ${BACKUP}`, 'hangUp CA2', `dial ${THIRD}`]);
  });
});

describe('SPEC: malformed events change nothing', () => {
  const malformed: [string, unknown][] = [
    ['a letter among the digits', { type: 'call.digits', callId: 'CA1', digits: '#x' }],
    ['a DTMF key outside 0–9, * and # (A–D)', { type: 'call.digits', callId: 'CA1', digits: '#A' }],
    ['empty digits', { type: 'call.digits', callId: 'CA1', digits: '' }],
    ['digits as a number', { type: 'call.digits', callId: 'CA1', digits: 1234 }],
    ['a huge digit string', { type: 'call.digits', callId: 'CA1', digits: '#'.repeat(100_000) }],
    ['a missing callId', { type: 'call.digits', digits: '#' }],
    ['a callId of the wrong type', { type: 'call.digits', callId: 1, digits: '#' }],
    ['an empty callId', { type: 'call.ended', callId: '', ending: { status: 'completed' } }],
    ['a huge callId', { type: 'call.ended', callId: 'C'.repeat(1_000_000), ending: { status: 'completed' } }],
    ['a missing ending', { type: 'call.ended', callId: 'CA1' }],
    ['an unknown end status', { type: 'call.ended', callId: 'CA1', ending: { status: 'exploded' } }],
    ['a negative SIP code', { type: 'call.ended', callId: 'CA1', ending: { status: 'failed', sipCode: -486 } }],
    [
      'an out-of-range Q.850 cause',
      { type: 'call.ended', callId: 'CA1', ending: { status: 'failed', q850Cause: 999 } },
    ],
    [
      'a Q.850 cause past the 7-bit range (127)',
      { type: 'call.ended', callId: 'CA1', ending: { status: 'failed', q850Cause: 128 } },
    ],
    ['an unknown SIT kind', { type: 'call.ended', callId: 'CA1', ending: { status: 'sit', sitKind: 'loud' } }],
    ['a fractional prompt number', { type: 'call.promptFinished', callId: 'CA1', promptSeq: 1.5 }],
    ['a prompt number as a string', { type: 'call.promptFinished', callId: 'CA1', promptSeq: '1' }],
    ['an unknown detection verdict', { type: 'call.answeredBy', callId: 'CA1', answeredBy: 'robot' }],
    ['a clock reading that is not a number', { type: 'call.digits', callId: 'CA1', digits: '#', at: Number.NaN }],
    ['an unknown event type', { type: 'call.teleported', callId: 'CA1' }],
    ['a tick whose time is a string', { type: 'verification.tick', at: '1e12' }],
    ['a tick whose time is infinite', { type: 'verification.tick', at: Number.POSITIVE_INFINITY }],
    ['a tick without a time', { type: 'verification.tick' }],
    ['a tick with a `resumed` that is not a boolean', { type: 'verification.tick', at: 1e12, resumed: 'yes' }],
    [
      'a tick carrying another tick',
      { type: 'verification.tick', at: 1, redeliver: { type: 'verification.tick', at: 1e12 } },
    ],
    [
      'a tick carrying a malformed event',
      { type: 'verification.tick', at: 1, redeliver: { type: 'call.digits', callId: 'CA1', digits: 'x' } },
    ],
  ];

  it.each(malformed)('SPEC rule: an event with %s changes nothing (unexpected)', async (_name, event) => {
    const h = await startWaitingForInput();
    await expectIgnored(h, event, 'unexpected', true);
    expect(isFinished(h)).toBe(false);
  });

  it(`SPEC rule: a batch of up to ${MAX_DIGITS_PER_EVENT} keys is taken; one key more is malformed and changes nothing`, async () => {
    const h = await startWaitingForInput();
    await expectIgnored(
      h,
      { type: 'call.digits', callId: 'CA1', digits: '1'.repeat(MAX_DIGITS_PER_EVENT + 1) },
      'unexpected',
    );

    await h.keys('CA1', '1'.repeat(MAX_DIGITS_PER_EVENT));
    expect(h.actor.getSnapshot().context.attempts[0]?.keysPressed).toBe(MAX_DIGITS_PER_EVENT);
    expect(h.actor.getSnapshot().context.ignoredEvents.unexpected).toBe(1);
  });

  it('SPEC rule: an event that is not an object is refused when sent and changes nothing', async () => {
    const h = await startWaitingForInput();
    const before = observable(h);
    await expect(h.sendRaw('call.digits')).rejects.toThrow();

    expect(observable(h)).toEqual(before);
    expect(h.status()).toBe('active');
  });

  it('SPEC rule: a tick that carries itself changes nothing and returns', async () => {
    const h = await startWaitingForInput();
    const tick: Record<string, unknown> = { type: 'verification.tick', at: 1 };
    tick.redeliver = tick;
    await expectIgnored(h, tick, 'unexpected', true);
  });

  it('SPEC rule: a malformed event is never half-applied: the call still times out on time', async () => {
    const h = await startWaitingForInput();
    await advance(h, 5_000);
    await h.sendRaw({ type: 'call.digits', callId: 'CA1', digits: '12z' });
    await advance(h, 5_000);

    expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({ result: 'no-response', keysPressed: 0 });
  });
});

describe('SPEC: ignored events are "counted in the record" by kind', () => {
  it('SPEC rule: the result counts stale, duplicate, out-of-order and unexpected events separately', async () => {
    const h = await startHarness({ targets: [PRIMARY] });
    await h.dialed('CA1');
    await h.send({ type: 'call.ringing', callId: 'CA1' });
    await h.send({ type: 'call.ringing', callId: 'CA1' }); // duplicate
    await h.send({ type: 'call.answered', callId: 'CA1' });
    await h.send({ type: 'call.answered', callId: 'CA1' }); // duplicate
    await h.send({ type: 'call.ringing', callId: 'CA1' }); // out of order
    await h.send({ type: 'call.digits', callId: 'CA9', digits: '#' }); // stale
    await h.sendRaw({ type: 'call.digits', callId: 'CA1', digits: 'abc' }); // unexpected
    await h.promptFinished('CA1');
    await h.keys('CA1', '#');

    expect(h.output().status).toBe('approved');
    expect(h.output().ignoredEvents).toEqual({ stale: 1, duplicate: 2, outOfOrder: 1, unexpected: 1 });
  });

  it('SPEC rule: a clean call ignores nothing', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '#');

    expect(h.output().ignoredEvents).toEqual({ stale: 0, duplicate: 0, outOfOrder: 0, unexpected: 0 });
  });
});
