/**
 * Judging what the callee types: the pure entry rules, and how the machine
 * applies them to keys that arrive split over events or batched in one.
 */
import { describe, expect, it, vi } from 'vitest';
import { type EntryRules, judgeTimeout, MAX_ENTRY_LENGTH, scanKeys } from '../../src/machine/entry.js';
import { acceptsOnly, isFinished, startWaitingForInput } from './helpers.js';

const standard: EntryRules = { mode: 'standard', fraudCode: '0', maxInvalidEntries: 3 };
const pin: EntryRules = { mode: 'pin', fraudCode: '0', maxInvalidEntries: 3 };
const fresh = { entry: '', invalidEntries: 0 };

describe('entry rules (scanKeys / judgeTimeout)', () => {
  it('SPEC row: "presses # (standard mode, nothing typed before it)" → approved', () => {
    expect(scanKeys(fresh, '#', standard)).toMatchObject({ verdict: 'approved', keysTaken: 1 });
  });

  it('SPEC row: "types the fraud code then #" → fraud, in either mode', () => {
    expect(scanKeys(fresh, '0#', standard).verdict).toBe('fraud');
    expect(scanKeys(fresh, '0#', pin).verdict).toBe('fraud');
  });

  it('SPEC row: "types the PIN then # (PIN mode)" → the PIN goes to the verifier, the buffer holds only it', () => {
    expect(scanKeys(fresh, '739164#', pin)).toMatchObject({ verdict: 'check-pin', entry: '739164' });
  });

  it('SPEC rule: "`#` on its own … in PIN mode it is a wrong (empty) PIN"', () => {
    expect(scanKeys(fresh, '#', pin)).toMatchObject({ verdict: 'invalid', invalidEntries: 1 });
  });

  it('SPEC row: "types something else then #" → invalid; the limit reached → exhausted', () => {
    expect(scanKeys(fresh, '5#', standard)).toMatchObject({ verdict: 'invalid', invalidEntries: 1 });
    expect(scanKeys({ entry: '', invalidEntries: 2 }, '5#', standard).verdict).toBe('exhausted');
  });

  it('SPEC rule: a fraud code inside a longer entry is not a fraud report', () => {
    expect(scanKeys(fresh, '10#', standard).verdict).toBe('invalid');
    expect(scanKeys(fresh, '00#', standard).verdict).toBe('invalid');
  });

  it('SPEC rule: keys without # only extend the entry', () => {
    const first = scanKeys(fresh, '73', pin);
    expect(first).toMatchObject({ verdict: 'typing', entry: '73' });
    expect(scanKeys(first, '9164#', pin)).toMatchObject({ verdict: 'check-pin', entry: '739164' });
  });

  it('SPEC rule: keys after a deciding # are not taken', () => {
    expect(scanKeys(fresh, '#0#', standard)).toMatchObject({ verdict: 'approved', keysTaken: 1 });
  });

  it('SPEC rule: an over-long entry is invalid whatever it holds, and is never sent to the verifier', () => {
    const long = '1'.repeat(MAX_ENTRY_LENGTH + 10);
    const typed = scanKeys(fresh, long, pin);
    expect(typed.entry.length).toBeLessThanOrEqual(MAX_ENTRY_LENGTH + 1);
    expect(scanKeys(typed, '#', pin).verdict).toBe('invalid');
  });

  it('SPEC rule: "A timeout with nothing typed is `no-response`; with something typed it is an invalid entry."', () => {
    expect(judgeTimeout(fresh, 3)).toEqual({ verdict: 'no-response', invalidEntries: 0 });
    expect(judgeTimeout({ entry: '4', invalidEntries: 0 }, 3)).toEqual({ verdict: 'invalid', invalidEntries: 1 });
    expect(judgeTimeout({ entry: '4', invalidEntries: 2 }, 3)).toEqual({ verdict: 'exhausted', invalidEntries: 3 });
  });
});

describe('the machine applies the entry rules to keys as they arrive', () => {
  it('SPEC rule: several entries in one key event are judged in order: "5#5#" → two invalid entries, one re-prompt', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '5#5#');

    expect(isFinished(h)).toBe(false);
    expect(h.actor.getSnapshot().context.attempts[0]?.invalidEntries).toBe(2);
    expect(h.sent('playPrompt')).toHaveLength(2);
  });

  it('SPEC rule: "5#5#5#" in one event reaches the limit at once → denied', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '5#5#5#');

    expect(h.output()).toMatchObject({ status: 'denied', reason: 'invalid-input' });
  });

  it('SPEC rule: an invalid entry followed by # in the same event → the # alone approves', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '5##');

    expect(h.output().status).toBe('approved');
    expect(h.output().attempts[0]?.invalidEntries).toBe(1);
  });

  it('SPEC rule: keys after an invalid entry start the next entry', async () => {
    const verifyPin = vi.fn(acceptsOnly('739164'));
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    await h.keys('CA1', '#739');
    expect(h.last('playPrompt').kind).toBe('incorrect-pin');
    await h.keys('CA1', '164#');

    expect(verifyPin).toHaveBeenCalledWith('739164');
    expect(h.output().status).toBe('approved');
  });

  it('SPEC rule: an over-long PIN entry is refused without asking the verifier', async () => {
    const verifyPin = vi.fn(() => true);
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    await h.keys('CA1', '1'.repeat(40));
    await h.keys('CA1', '#');

    expect(verifyPin).not.toHaveBeenCalled();
    expect(h.last('playPrompt').kind).toBe('incorrect-pin');
  });

  it('SPEC rule: * is a key like any other: "*#" is an invalid entry, not an approval', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '*#');

    expect(isFinished(h)).toBe(false);
    expect(h.last('playPrompt').kind).toBe('invalid-entry');
  });
});
