/**
 * "Rules that always hold" in SPEC.md (the PIN privacy rule is in pin-mode.test.ts).
 */
import { describe, expect, it, vi } from 'vitest';
import type { Harness } from '../support/harness.js';
import { acceptsOnly, advance, isFinished, results, startAnswered, startWaitingForInput } from './helpers.js';

describe('SPEC rules that always hold', () => {
  it('SPEC rule: "`#` on its own approves only in standard mode"', async () => {
    const h = await startWaitingForInput({ mode: 'standard' });
    await h.keys('CA1', '#');

    expect(h.output().status).toBe('approved');
  });

  it('SPEC rule: "in PIN mode it [`#` on its own] is a wrong (empty) PIN" → re-prompt for the PIN, verifier not asked', async () => {
    const verifyPin = vi.fn(() => true);
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    await h.keys('CA1', '#');

    expect(isFinished(h)).toBe(false);
    expect(verifyPin).not.toHaveBeenCalled();
    expect(h.last('playPrompt').kind).toBe('incorrect-pin');
    expect(h.actor.getSnapshot().context.attempts[0]?.invalidEntries).toBe(1);
  });

  it('SPEC rule: "in PIN mode it [`#` on its own] is a wrong (empty) PIN" → three bare # deny with pin-failed', async () => {
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin: () => true });
    await h.keys('CA1', '#');
    await h.promptFinished('CA1');
    await h.keys('CA1', '#');
    await h.promptFinished('CA1');
    await h.keys('CA1', '#');

    expect(h.output().status).toBe('denied');
    expect(h.output().reason).toBe('pin-failed');
  });

  it('SPEC rule: "Digits typed during the greeting count." → # during the greeting approves', async () => {
    const h = await startAnswered();
    expect(h.state()).toContain('greeting');
    await h.keys('CA1', '#');

    expect(h.output().status).toBe('approved');
  });

  it('SPEC rule: "Digits typed during the greeting count." → PIN digits typed during the greeting join the ones after it', async () => {
    const verifyPin = vi.fn(acceptsOnly('739164'));
    const h = await startAnswered({ mode: 'pin' }, { verifyPin });
    await h.keys('CA1', '739');
    // The greeting was interrupted; a late report of its end must not reset the entry.
    await h.promptFinished('CA1');
    await h.keys('CA1', '164#');

    expect(verifyPin).toHaveBeenCalledWith('739164');
    expect(h.output().status).toBe('approved');
  });

  it('SPEC rule: "Digits typed during the greeting count." → the fraud code during the greeting reports fraud', async () => {
    const h = await startAnswered();
    await h.keys('CA1', '0#');

    expect(h.output().status).toBe('fraud');
  });

  it('SPEC rule: "Digits typed during the greeting count." → keys during a re-prompt count too', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '5#');
    expect(h.state()).toContain('reprompting');
    await h.keys('CA1', '#');

    expect(h.output().status).toBe('approved');
  });

  it('SPEC rule: "A timeout with nothing typed is `no-response`"', async () => {
    const h = await startWaitingForInput({ targets: ['+14255550100'] });
    await advance(h, 10_000);

    expect(results(h.output())).toEqual(['no-response']);
    expect(h.output().status).toBe('unreachable');
  });

  it('SPEC rule: "A timeout … with something typed it is an invalid entry."', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '7');
    await advance(h, 10_000);

    expect(isFinished(h)).toBe(false);
    expect(h.actor.getSnapshot().context.attempts[0]?.result).toBeNull();
    expect(h.actor.getSnapshot().context.attempts[0]?.invalidEntries).toBe(1);
    expect(h.last('playPrompt').kind).toBe('invalid-entry');
  });

  it('SPEC rule: "A timeout … with something typed it is an invalid entry." → in PIN mode too: an unfinished PIN is an invalid entry and is not checked', async () => {
    const verifyPin = vi.fn(() => true);
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    await h.keys('CA1', '739164');
    await advance(h, 10_000);

    expect(verifyPin).not.toHaveBeenCalled();
    expect(h.last('playPrompt').kind).toBe('invalid-entry');
  });

  it('SPEC rule: "Nothing is ever approved without `#`." → the right PIN without # is not approved', async () => {
    const verifyPin = vi.fn(acceptsOnly('739164'));
    const h = await startWaitingForInput({ mode: 'pin', timing: { maxInvalidEntries: 1 } }, { verifyPin });
    await h.keys('CA1', '739164');
    await advance(h, 10_000);

    expect(verifyPin).not.toHaveBeenCalled();
    expect(h.output().status).toBe('denied');
    expect(h.output().reason).toBe('pin-failed');
  });

  it('SPEC rule: "Nothing is ever approved without `#`." → silence, keys other than #, and a hang-up never approve', async () => {
    const scripts: ((h: Harness) => Promise<void>)[] = [
      async (h) => advance(h, 200_000),
      async (h) => {
        await h.keys('CA1', '1234567890*');
        await advance(h, 200_000);
      },
      async (h) => h.ended('CA1', { status: 'completed' }),
    ];
    for (const script of scripts) {
      const h = await startWaitingForInput();
      await script(h);
      expect(h.output().status).not.toBe('approved');
      expect(results(h.output())).not.toContain('approved');
    }
  });
});
