/**
 * PIN mode, and the rule "PINs are checked in constant time by a verifier the
 * host supplies; a PIN or the digits typed never appear in logs, errors,
 * emitted events or persisted state after use."
 */
import { describe, expect, it, vi } from 'vitest';
import { MAX_ENTRY_LENGTH } from '../../src/machine/entry.js';
import type { Harness } from '../support/harness.js';
import { acceptsOnly, advance, COMPLETED, hungUp, isFinished, results, startWaitingForInput } from './helpers.js';

/** Digits that occur nowhere else in a run (not in numbers, ids or clock readings). */
const PIN = '739164';
const WRONG = '582937';

/** Everything a host could keep or log: the commands, the persisted snapshot, the output. */
function everythingVisible(h: Harness): string {
  return JSON.stringify({
    commands: h.commands,
    snapshot: h.actor.getPersistedSnapshot(),
    output: h.actor.getSnapshot().output,
  });
}

/**
 * A verifier the test answers, check by check: `answers[i](true)` lets the i-th
 * check pass if its entry is the PIN, `answers[i](false)` fails it.
 */
function verifierAnsweredLater() {
  const answers: ((release: boolean) => void)[] = [];
  const verifyPin = vi.fn((entry: string) =>
    new Promise<boolean>((resolve) => answers.push(resolve)).then((release) => release && entry === PIN),
  );
  return { answers, verifyPin };
}

/**
 * Answers the checks of a wrong PIN and then the PIN, in turn, and expects the
 * approval with every key of the two entries counted once.
 */
async function answerWrongThenPin(h: Harness, checks: ReturnType<typeof verifierAnsweredLater>): Promise<void> {
  checks.answers[0]?.(true);
  await advance(h, 1);
  expect(checks.verifyPin.mock.calls).toEqual([[WRONG], [PIN]]);
  checks.answers[1]?.(true);
  await advance(h, 1);
  expect(h.output()).toMatchObject({ status: 'approved', reason: 'pin' });
  expect(h.output().attempts[0]).toMatchObject({ invalidEntries: 1, keysPressed: 2 * PIN.length + 2 });
}

describe('SPEC PIN mode', () => {
  it('SPEC rule: "PINs are checked … by a verifier the host supplies" → it gets exactly the digits before #, once', async () => {
    const verifyPin = vi.fn(acceptsOnly(PIN));
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    await h.keys('CA1', '7');
    await h.keys('CA1', '39');
    await h.keys('CA1', '164');
    expect(verifyPin).not.toHaveBeenCalled();
    await h.keys('CA1', '#');

    expect(verifyPin.mock.calls).toEqual([[PIN]]);
    expect(h.output().status).toBe('approved');
  });

  it('SPEC rule: "types the PIN then # (PIN mode)" → the greeting asks for the PIN', async () => {
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin: acceptsOnly(PIN) });

    expect(h.last('playPrompt').segments).toContainEqual({ say: 'Please enter your PIN, followed by the pound key.' });
    expect(h.last('playPrompt').collect.mode).toBe('pin');
  });

  it('SPEC rule: (prompts) "incorrect PIN re-prompt" → a wrong PIN is re-prompted with the incorrect-PIN notice, then the right one approves', async () => {
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin: acceptsOnly(PIN) });
    await h.keys('CA1', `${WRONG}#`);

    expect(isFinished(h)).toBe(false);
    const reprompt = h.last('playPrompt');
    expect(reprompt.kind).toBe('incorrect-pin');
    expect(reprompt.segments[0]).toEqual({ say: 'That PIN was not correct.' });
    expect(h.actor.getSnapshot().context.attempts[0]?.invalidEntries).toBe(1);

    await h.promptFinished('CA1');
    await h.keys('CA1', `${PIN}#`);
    expect(h.output().status).toBe('approved');
    expect(h.output().reason).toBe('pin');
  });

  it('SPEC row: wrong PINs up to `maxInvalidEntries` (default 3) → denied (pin-failed), the farewell played', async () => {
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin: acceptsOnly(PIN) });
    for (let i = 0; i < 3; i++) {
      await h.keys('CA1', `${WRONG}#`);
      if (i < 2) await h.promptFinished('CA1');
    }

    expect(h.output()).toMatchObject({ status: 'denied', reason: 'pin-failed' });
    expect(results(h.output())).toEqual(['pin-failed']);
    expect(h.last('hangUp').farewell).toEqual([{ say: 'Your verification was not completed. Goodbye.' }]);
  });

  it('SPEC rule: a wrong PIN, an empty PIN and a timed-out PIN all count towards the same limit', async () => {
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin: acceptsOnly(PIN) });
    await h.keys('CA1', `${WRONG}#`);
    await h.promptFinished('CA1');
    await h.keys('CA1', '#');
    await h.promptFinished('CA1');
    expect(isFinished(h)).toBe(false);
    await h.keys('CA1', '12');
    await advance(h, 10_000);

    expect(h.output()).toMatchObject({ status: 'denied', reason: 'pin-failed' });
  });

  it(`SPEC rule: a PIN of up to ${MAX_ENTRY_LENGTH} keys goes to the verifier; a longer entry is a wrong PIN it never sees`, async () => {
    const longest = '7'.repeat(MAX_ENTRY_LENGTH);
    const verifyPin = vi.fn(acceptsOnly(longest));
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    await h.keys('CA1', `${longest}7#`);

    expect(verifyPin).not.toHaveBeenCalled();
    expect(h.last('playPrompt').kind).toBe('incorrect-pin');
    expect(h.actor.getSnapshot().context.attempts[0]?.invalidEntries).toBe(1);

    await h.promptFinished('CA1');
    await h.keys('CA1', `${longest}#`);
    expect(verifyPin.mock.calls).toEqual([[longest]]);
    expect(h.output()).toMatchObject({ status: 'approved', reason: 'pin' });
  });

  it('SPEC rule: "Nothing is ever approved without a yes" → a verifier that throws counts as a wrong PIN', async () => {
    const h = await startWaitingForInput(
      { mode: 'pin', timing: { maxInvalidEntries: 1 } },
      {
        verifyPin: () => {
          throw new Error('PIN store unavailable');
        },
      },
    );
    await h.keys('CA1', `${PIN}#`);

    expect(h.output()).toMatchObject({ status: 'denied', reason: 'pin-failed' });
  });

  it('SPEC rule: a verifier answering anything but `true` is not an approval', async () => {
    const h = await startWaitingForInput(
      { mode: 'pin', timing: { maxInvalidEntries: 1 } },
      { verifyPin: () => 'yes' as unknown as boolean },
    );
    await h.keys('CA1', `${PIN}#`);

    expect(h.output().status).toBe('denied');
  });

  it('SPEC rule: keys pressed while the right PIN is checked are counted; the PIN approves', async () => {
    let answer: (ok: boolean) => void = () => undefined;
    const verifyPin = vi.fn(() => new Promise<boolean>((resolve) => (answer = resolve)));
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    await h.keys('CA1', `${PIN}#`);
    await h.keys('CA1', '0#');
    answer(true);
    await advance(h, 1);

    expect(h.output().status).toBe('approved');
    expect(h.output().attempts[0]?.keysPressed).toBe(PIN.length + 1 + 2);
    expect(verifyPin).toHaveBeenCalledTimes(1);
  });

  it('SPEC row: a wrong PIN then the right one in one report (Twilio posts a whole entry) → judged in turn: approved', async () => {
    const verifyPin = vi.fn(acceptsOnly(PIN));
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    await h.keys('CA1', `${WRONG}#${PIN}#`);

    expect(verifyPin.mock.calls).toEqual([[WRONG], [PIN]]);
    expect(h.output()).toMatchObject({ status: 'approved', reason: 'pin' });
    expect(h.output().attempts[0]).toMatchObject({ invalidEntries: 1, keysPressed: 2 * PIN.length + 2 });
    // The wrong PIN was told before the right one was judged.
    expect(h.last('playPrompt').kind).toBe('incorrect-pin');
    expect(everythingVisible(h)).not.toContain(PIN);
    expect(everythingVisible(h)).not.toContain(WRONG);
  });

  it('SPEC row: keys pressed while a wrong PIN is checked are the next entry: the right PIN then approves', async () => {
    const { answers, verifyPin } = verifierAnsweredLater();
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    await h.keys('CA1', `${WRONG}#`);
    await h.keys('CA1', PIN.slice(0, 2));
    await h.keys('CA1', `${PIN.slice(2)}#`);
    // Held while the first is checked: not persisted after the verdict on them.
    expect(h.actor.getSnapshot().context.keysDuringCheck).toBe(`${PIN}#`);
    await answerWrongThenPin(h, { answers, verifyPin });
    expect(everythingVisible(h)).not.toContain(PIN);
  });

  it('SPEC row: a wrong PIN then an empty one in one report both count: the limit reached, pin-failed', async () => {
    const h = await startWaitingForInput(
      { mode: 'pin', timing: { maxInvalidEntries: 2 } },
      { verifyPin: acceptsOnly(PIN) },
    );
    await h.keys('CA1', '5##');

    expect(h.output()).toMatchObject({ status: 'denied', reason: 'pin-failed' });
    expect(h.output().attempts[0]).toMatchObject({ invalidEntries: 2, keysPressed: 3 });
  });

  it('SPEC rule: a partial entry held while a wrong PIN is checked is dropped: the re-prompt asks for the whole PIN', async () => {
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin: acceptsOnly(PIN) });
    await h.keys('CA1', `${WRONG}#${PIN.slice(0, 3)}`);
    expect(h.last('playPrompt').kind).toBe('incorrect-pin');
    expect(h.actor.getSnapshot().context).toMatchObject({ entry: '', keysDuringCheck: '' });
    // The callee types the whole PIN again, as the re-prompt asks.
    await h.keys('CA1', `${PIN}#`);

    expect(h.output()).toMatchObject({ status: 'approved', reason: 'pin' });
    expect(h.output().attempts[0]).toMatchObject({ invalidEntries: 1, keysPressed: 2 * PIN.length + 2 + 3 });
  });

  it('SPEC rule: "if the callee hangs up while the PIN is being checked, the entry still counts" → a right PIN held behind a wrong one approves', async () => {
    const { answers, verifyPin } = verifierAnsweredLater();
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    await h.keys('CA1', `${WRONG}#${PIN}#`);
    await h.ended('CA1', COMPLETED);
    await answerWrongThenPin(h, { answers, verifyPin });
    // The call is over: no farewell.
    expect(hungUp(h)).toEqual([]);
  });

  it('SPEC rule: the entry still counts after a hang-up during the check, with no ending grace either', async () => {
    const { answers, verifyPin } = verifierAnsweredLater();
    const h = await startWaitingForInput({ mode: 'pin', timing: { endingGraceMs: 0 } }, { verifyPin });
    await h.keys('CA1', `${WRONG}#${PIN}#`);
    await h.ended('CA1', COMPLETED);
    await answerWrongThenPin(h, { answers, verifyPin });
  });

  it('SPEC rule: keys typed before a hang-up during the check and reported after it are judged as on a fast check', async () => {
    const { answers, verifyPin } = verifierAnsweredLater();
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    await h.keys('CA1', `${WRONG}#`);
    await h.ended('CA1', { status: 'completed', keysMayFollow: true });
    await h.keys('CA1', `${PIN}#`);
    await answerWrongThenPin(h, { answers, verifyPin });
  });

  it('SPEC rule: three entries in one report are judged in turn, every key counted once', async () => {
    const verifyPin = vi.fn(acceptsOnly(PIN));
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    await h.keys('CA1', `${WRONG}#111111#${PIN}#`);

    expect(verifyPin.mock.calls).toEqual([[WRONG], ['111111'], [PIN]]);
    expect(h.output()).toMatchObject({ status: 'approved', reason: 'pin' });
    expect(h.output().attempts[0]).toMatchObject({ invalidEntries: 2, keysPressed: 3 * PIN.length + 3 });
  });

  it('SPEC rule: keys held past what one report carries are counted; the whole entries among the rest are judged', async () => {
    const { answers, verifyPin } = verifierAnsweredLater();
    const h = await startWaitingForInput({ mode: 'pin', timing: { maxInvalidEntries: 5 } }, { verifyPin });
    await h.keys('CA1', `${WRONG}#`);
    for (const keys of [`${'9'.repeat(33)}#`, `${'8'.repeat(23)}#`, `${PIN}#`]) await h.keys('CA1', keys);
    answers[0]?.(false);
    await advance(h, 1);

    const { context } = h.actor.getSnapshot();
    // The 33 nines are too long for a PIN (invalid), the 23 eights are checked; the PIN past 64 held keys is not held.
    expect(answers).toHaveLength(2);
    expect(context.attempts[0]).toMatchObject({ invalidEntries: 2, keysPressed: 7 + 34 + 24 + 7 });
    expect(context.ignoredEvents).toMatchObject({ unexpected: 0 });
    expect(context.keysDuringCheck).toBe('');
  });

  it('SPEC row: a wrong PIN, then the fraud code and a key while it is checked → fraud; every key counted once', async () => {
    const { answers, verifyPin } = verifierAnsweredLater();
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    await h.keys('CA1', `${WRONG}#`);
    await h.keys('CA1', '0#5');
    expect(h.actor.getSnapshot().context.attempts[0]?.keysPressed).toBe(PIN.length + 4);
    answers[0]?.(false);
    await advance(h, 1);

    expect(h.output()).toMatchObject({ status: 'fraud', reason: 'fraud-code' });
    expect(h.output().attempts[0]?.keysPressed).toBe(PIN.length + 4);
  });

  it('SPEC row: the callee hangs up while the right PIN is checked → the PIN and # came first: approved', async () => {
    let answer: (ok: boolean) => void = () => undefined;
    const h = await startWaitingForInput(
      { mode: 'pin' },
      { verifyPin: () => new Promise((resolve) => (answer = resolve)) },
    );
    await h.keys('CA1', `${PIN}#`);
    await h.ended('CA1', COMPLETED);
    answer(true);
    await advance(h, 1);

    expect(h.output().status).toBe('approved');
    // The call is already over: no farewell to play.
    expect(hungUp(h)).toEqual([]);
  });

  it('SPEC row: "hangs up without approving" while a wrong PIN is checked → hung-up, denied, the wrong PIN counted', async () => {
    let answer: (ok: boolean) => void = () => undefined;
    const h = await startWaitingForInput(
      { mode: 'pin' },
      { verifyPin: () => new Promise((resolve) => (answer = resolve)) },
    );
    await h.keys('CA1', `${WRONG}#`);
    await h.ended('CA1', COMPLETED);
    answer(false);
    await advance(h, 1);

    expect(h.output()).toMatchObject({ status: 'denied', reason: 'hung-up' });
    expect(results(h.output())).toEqual(['hung-up']);
    expect(h.output().attempts[0]?.invalidEntries).toBe(1);
    expect(hungUp(h)).toEqual([]);
  });

  it('SPEC row: the last wrong PIN allowed, then a hang-up while it is checked → the entry came first: pin-failed, as on a live call', async () => {
    let answer: (ok: boolean) => void = () => undefined;
    let asked = 0;
    const h = await startWaitingForInput(
      { mode: 'pin', timing: { maxInvalidEntries: 3 } },
      {
        verifyPin: () => {
          asked++;
          return asked < 3 ? false : new Promise((resolve) => (answer = resolve));
        },
      },
    );
    for (const pin of ['582937', '604813']) {
      await h.keys('CA1', `${pin}#`);
      await h.promptFinished('CA1');
    }
    await h.keys('CA1', `${WRONG}#`);
    await h.ended('CA1', COMPLETED);
    answer(false);
    await advance(h, 1);

    expect(h.output()).toMatchObject({ status: 'denied', reason: 'pin-failed' });
    expect(results(h.output())).toEqual(['pin-failed']);
    expect(h.output().attempts[0]?.invalidEntries).toBe(3);
    // The call is already over: no farewell to play.
    expect(hungUp(h)).toEqual([]);
  });
});

describe('SPEC rule: "a PIN or the digits typed never appear in … emitted events or persisted state after use"', () => {
  it('SPEC rule: the right PIN appears nowhere after an approval', async () => {
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin: acceptsOnly(PIN) });
    await h.keys('CA1', PIN.slice(0, 3));
    await h.keys('CA1', `${PIN.slice(3)}#`);

    expect(h.output().status).toBe('approved');
    expect(everythingVisible(h)).not.toContain(PIN);
    expect(h.actor.getSnapshot().context.entry).toBe('');
  });

  it('SPEC rule: a wrong PIN appears nowhere once it is judged, even while the call goes on', async () => {
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin: acceptsOnly(PIN) });
    await h.keys('CA1', `${WRONG}#`);

    expect(h.state()).toContain('reprompting');
    expect(everythingVisible(h)).not.toContain(WRONG);
  });

  it('SPEC rule: wrong PINs appear nowhere after a pin-failed denial', async () => {
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin: acceptsOnly(PIN) });
    for (const pin of ['582937', '604813', '915372']) {
      await h.keys('CA1', `${pin}#`);
      if (!isFinished(h)) await h.promptFinished('CA1');
    }

    expect(h.output().reason).toBe('pin-failed');
    const visible = everythingVisible(h);
    for (const pin of ['582937', '604813', '915372']) expect(visible).not.toContain(pin);
  });

  it('SPEC rule: a PIN that timed out unfinished appears nowhere', async () => {
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin: acceptsOnly(PIN) });
    await h.keys('CA1', PIN);
    await advance(h, 10_000);

    expect(h.last('playPrompt').kind).toBe('invalid-entry');
    expect(everythingVisible(h)).not.toContain(PIN);
  });

  it('SPEC rule: a verifier error that quotes the PIN does not leak it', async () => {
    const h = await startWaitingForInput(
      { mode: 'pin', timing: { maxInvalidEntries: 1 } },
      {
        verifyPin: (entry) => {
          throw new Error(`no user has PIN ${entry}`);
        },
      },
    );
    await h.keys('CA1', `${PIN}#`);

    expect(h.output().status).toBe('denied');
    expect(everythingVisible(h)).not.toContain(PIN);
  });

  const endings: [string, (h: Harness) => Promise<void>, string][] = [
    ['the callee hangs up', (h) => h.ended('CA1', COMPLETED), 'denied'],
    ['the host cancels', (h) => h.send({ type: 'verification.cancel' }), 'canceled'],
    // The deadline falls before the input timer could judge the entry.
    ['the deadline passes', (h) => advance(h, 2_000), 'expired'],
  ];

  it.each(endings)('SPEC rule: digits typed but not finished appear nowhere after %s', async (_ending, end, status) => {
    const h = await startWaitingForInput(
      { mode: 'pin', timing: { maxTotalMs: 32_000 } },
      { verifyPin: acceptsOnly(PIN) },
    );
    // Keep typing so the input timer never judges the entry.
    for (const digit of PIN) {
      await advance(h, 5_000);
      await h.keys('CA1', digit);
    }
    await end(h);

    expect(h.output().status).toBe(status);
    expect(everythingVisible(h)).not.toContain(PIN);
  });

  it('SPEC rule: a PIN being checked appears nowhere after the host cancels during the check', async () => {
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin: () => new Promise<boolean>(() => undefined) });
    await h.keys('CA1', `${PIN}#`);
    await h.send({ type: 'verification.cancel' });

    expect(h.output().status).toBe('canceled');
    expect(everythingVisible(h)).not.toContain(PIN);
  });

  it('SPEC rule: standard-mode digits typed before a hang-up appear nowhere either', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '604813');
    await h.ended('CA1', COMPLETED);

    expect(h.output().status).toBe('denied');
    expect(everythingVisible(h)).not.toContain('604813');
    expect(h.output().attempts[0]?.keysPressed).toBe(6);
  });

  it('SPEC rule: the expected PIN never enters the machine (only the verifier knows it)', async () => {
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin: acceptsOnly(PIN) });
    await h.keys('CA1', `${WRONG}#`);
    await h.promptFinished('CA1');

    expect(everythingVisible(h)).not.toContain(PIN);
    expect(JSON.stringify(h.actor.getSnapshot().context)).not.toContain(PIN);
  });
});
