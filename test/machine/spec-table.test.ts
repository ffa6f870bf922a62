/**
 * The table "What the callee does, and what follows" in SPEC.md, one row at a time.
 */
import { describe, expect, it, vi } from 'vitest';
import { startHarness } from '../support/harness.js';
import {
  acceptsOnly,
  advance,
  BACKUP,
  COMPLETED,
  dialled,
  hungUp,
  isFinished,
  PRIMARY,
  results,
  startAnswered,
  startWaitingForInput,
} from './helpers.js';

describe('SPEC table: what the callee does, and what follows', () => {
  it('SPEC row: "presses # (standard mode, nothing typed before it)" → approved, verification approved, stop', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '#');

    const output = h.output();
    expect(output.status).toBe('approved');
    expect(output.reason).toBe('pound-key');
    expect(results(output)).toEqual(['approved']);
    // Stop: the backup is never dialled, and the call is ended after the farewell.
    expect(dialled(h)).toEqual([PRIMARY]);
    expect(h.last('hangUp')).toMatchObject({ callId: 'CA1', farewell: [{ say: expect.stringMatching(/complete/) }] });
  });

  it('SPEC row: "types the PIN then # (PIN mode)" → approved, verification approved, stop', async () => {
    const verifyPin = vi.fn(acceptsOnly('739164'));
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    await h.keys('CA1', '739');
    await h.keys('CA1', '164#');

    expect(verifyPin).toHaveBeenCalledTimes(1);
    expect(verifyPin).toHaveBeenCalledWith('739164');
    const output = h.output();
    expect(output.status).toBe('approved');
    expect(output.reason).toBe('pin');
    expect(results(output)).toEqual(['approved']);
    expect(dialled(h)).toEqual([PRIMARY]);
  });

  it('SPEC row: "types the fraud code then # (default 0#)" → fraud, verification fraud, stop; no rollover', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '0#');

    const output = h.output();
    expect(output.status).toBe('fraud');
    expect(output.reason).toBe('fraud-code');
    expect(results(output)).toEqual(['fraud']);
    expect(dialled(h)).toEqual([PRIMARY]);
    expect(h.last('hangUp')).toMatchObject({ callId: 'CA1', farewell: [{ say: expect.stringMatching(/[Ff]raud/) }] });
  });

  it('SPEC row: "types the fraud code then #" with a configured fraud code (here 73#) → fraud', async () => {
    const h = await startWaitingForInput({ fraudCode: '73' });
    await h.keys('CA1', '7');
    await h.keys('CA1', '3#');

    expect(h.output().status).toBe('fraud');
  });

  it('SPEC row: "types the fraud code then #" also reports fraud in PIN mode, without asking the PIN verifier', async () => {
    const verifyPin = vi.fn(() => true);
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    await h.keys('CA1', '0#');

    expect(h.output().status).toBe('fraud');
    expect(verifyPin).not.toHaveBeenCalled();
  });

  it('SPEC row: "types the fraud code then # (… can be disabled)" → with fraudCode false, 0# is only an invalid entry', async () => {
    const h = await startWaitingForInput({ fraudCode: false });
    await h.keys('CA1', '0#');

    expect(isFinished(h)).toBe(false);
    expect(h.last('playPrompt').kind).toBe('invalid-entry');
    expect(h.actor.getSnapshot().context.attempts[0]?.invalidEntries).toBe(1);
  });

  it('SPEC row: "hangs up without approving (during … the greeting)" → hung-up, verification denied, stop; no rollover', async () => {
    const h = await startAnswered();
    await h.ended('CA1', COMPLETED);

    const output = h.output();
    expect(output.status).toBe('denied');
    expect(output.reason).toBe('hung-up');
    expect(results(output)).toEqual(['hung-up']);
    expect(dialled(h)).toEqual([PRIMARY]);
  });

  it('SPEC row: "hangs up without approving (… after the greeting)" → hung-up, denied; an intentional denial', async () => {
    const h = await startWaitingForInput();
    await advance(h, 4_000);
    await h.ended('CA1', COMPLETED);

    expect(h.output().status).toBe('denied');
    expect(results(h.output())).toEqual(['hung-up']);
    expect(dialled(h)).toEqual([PRIMARY]);
    // The call is already over: nothing to hang up.
    expect(hungUp(h)).toEqual([]);
  });

  it('SPEC row: "hangs up without approving" after typing some digits (no #) → hung-up, denied', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '12');
    await h.ended('CA1', COMPLETED);

    expect(h.output().status).toBe('denied');
    expect(results(h.output())).toEqual(['hung-up']);
  });

  it('SPEC row: "says nothing for inputTimeoutMs after the greeting ends (voicemail answered)" → no-response, roll over', async () => {
    const h = await startWaitingForInput();
    await advance(h, 10_000);

    expect(isFinished(h)).toBe(false);
    expect(h.actor.getSnapshot().context.attempts[0]?.result).toBe('no-response');
    // The voicemail call is ended and the backup is dialled.
    expect(hungUp(h)).toEqual(['CA1']);
    expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
  });

  it('SPEC row: "answering-machine detection … says *machine* before any digit" → voicemail, hang up, roll over', async () => {
    const h = await startAnswered({ answeringMachineDetection: true }, { providerOffersMachineDetection: true });
    expect(h.last('dial').machineDetection).toBe(true);
    await h.send({ type: 'call.answeredBy', callId: 'CA1', answeredBy: 'machine' });

    const first = h.actor.getSnapshot().context.attempts[0];
    expect(first?.result).toBe('voicemail');
    expect(first?.answeredBy).toBe('machine');
    expect(hungUp(h)).toEqual(['CA1']);
    expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
  });

  it('SPEC row: "answering-machine detection … says *machine*" also covers fax: hang up, roll over', async () => {
    const h = await startAnswered({ answeringMachineDetection: true }, { providerOffersMachineDetection: true });
    await h.send({ type: 'call.answeredBy', callId: 'CA1', answeredBy: 'fax' });

    expect(h.actor.getSnapshot().context.attempts[0]?.result).toBe('voicemail');
    expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
  });

  describe('answering-machine detection with an extension: the switchboard that answers is not the callee', () => {
    const withExtension = () =>
      startAnswered(
        { answeringMachineDetection: true, targets: [{ number: PRIMARY, extension: '1234' }, BACKUP] },
        { providerOffersMachineDetection: true },
      );

    it('a *machine* verdict while the extension is sent is recorded, nothing is hung up, and `#` then approves', async () => {
      const h = await withExtension();
      await h.send({ type: 'call.answeredBy', callId: 'CA1', answeredBy: 'machine' });
      expect(h.sent('hangUp')).toEqual([]);
      expect(h.actor.getSnapshot().context.attempts[0]?.answeredBy).toBe('machine');
      await h.send({ type: 'call.digitsSent', callId: 'CA1' });
      await h.promptFinished('CA1');
      await h.keys('CA1', '#');
      expect(h.output().status).toBe('approved');
    });

    it('a *machine* verdict during the greeting at the extension is not acted on either', async () => {
      const h = await withExtension();
      await h.send({ type: 'call.digitsSent', callId: 'CA1' });
      await h.send({ type: 'call.answeredBy', callId: 'CA1', answeredBy: 'machine' });
      expect(h.sent('hangUp')).toEqual([]);
      expect(h.state()).toContain('greeting');
    });

    it('a *machine* verdict after the greeting was heard at the extension is voicemail: hang up, roll over', async () => {
      const h = await withExtension();
      await h.send({ type: 'call.digitsSent', callId: 'CA1' });
      await h.promptFinished('CA1');
      await h.send({ type: 'call.answeredBy', callId: 'CA1', answeredBy: 'machine' });
      expect(h.actor.getSnapshot().context.attempts[0]?.result).toBe('voicemail');
      expect(hungUp(h)).toEqual(['CA1']);
      expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
    });

    it('an early verdict and then silence: the input timer rolls over as `no-response`', async () => {
      const h = await withExtension();
      await h.send({ type: 'call.answeredBy', callId: 'CA1', answeredBy: 'machine' });
      await h.send({ type: 'call.digitsSent', callId: 'CA1' });
      await h.promptFinished('CA1');
      await advance(h, 10_000);
      expect(h.actor.getSnapshot().context.attempts[0]?.result).toBe('no-response');
      expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
    });
  });

  it('SPEC row: "answering-machine detection (… when it is enabled)" → a human verdict changes nothing, # still approves', async () => {
    const h = await startAnswered({ answeringMachineDetection: true }, { providerOffersMachineDetection: true });
    await h.send({ type: 'call.answeredBy', callId: 'CA1', answeredBy: 'human' });
    await h.promptFinished('CA1');
    await h.keys('CA1', '#');

    expect(h.output().status).toBe('approved');
    expect(h.output().attempts[0]?.answeredBy).toBe('human');
  });

  it('SPEC row: "answering-machine detection (when the provider offers it and it is enabled)" → not requested: no detection asked, a verdict is ignored', async () => {
    const h = await startAnswered({}, { providerOffersMachineDetection: true });
    expect(h.last('dial').machineDetection).toBe(false);
    await h.send({ type: 'call.answeredBy', callId: 'CA1', answeredBy: 'machine' });

    expect(h.state()).toContain('greeting');
    expect(h.sent('hangUp')).toEqual([]);
    expect(h.actor.getSnapshot().context.ignoredEvents.unexpected).toBe(1);
  });

  it('SPEC row: "answering-machine detection (when the provider offers it …)" → requested from a provider without it: not asked for', async () => {
    const h = await startHarness({ targets: [PRIMARY], answeringMachineDetection: true });
    expect(h.last('dial').machineDetection).toBe(false);
  });

  it('SPEC row: "presses keys, and then hangs up — whatever a detector said in between" → denied (hung-up), no rollover', async () => {
    const h = await startAnswered({ answeringMachineDetection: true }, { providerOffersMachineDetection: true });
    await h.promptFinished('CA1');
    await h.keys('CA1', '1');
    // The detector's verdict after a key is recorded but changes nothing: a person is there.
    await h.send({ type: 'call.answeredBy', callId: 'CA1', answeredBy: 'machine' });
    expect(isFinished(h)).toBe(false);
    expect(h.sent('hangUp')).toEqual([]);
    await h.ended('CA1', COMPLETED);

    expect(h.output().status).toBe('denied');
    expect(h.output().reason).toBe('hung-up');
    expect(results(h.output())).toEqual(['hung-up']);
    expect(h.output().attempts[0]?.answeredBy).toBe('machine');
    expect(dialled(h)).toEqual([PRIMARY]);
  });

  it('SPEC row: "presses keys, and then hangs up — whatever a detector said in between" → a fax verdict after keys changes nothing either', async () => {
    const h = await startAnswered({ answeringMachineDetection: true }, { providerOffersMachineDetection: true });
    await h.keys('CA1', '12');
    await h.send({ type: 'call.answeredBy', callId: 'CA1', answeredBy: 'fax' });
    await h.ended('CA1', COMPLETED);

    expect(h.output().status).toBe('denied');
    expect(dialled(h)).toEqual([PRIMARY]);
  });

  it('SPEC row: "hangs up after the provider already said *machine*" → the voicemail\'s own hang-up after detection stays voicemail', async () => {
    const h = await startAnswered({ answeringMachineDetection: true }, { providerOffersMachineDetection: true });
    await h.send({ type: 'call.answeredBy', callId: 'CA1', answeredBy: 'machine' });
    await h.ended('CA1', COMPLETED);

    expect(isFinished(h)).toBe(false);
    expect(h.actor.getSnapshot().context.attempts[0]?.result).toBe('voicemail');
    expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
  });

  it('SPEC row: "hangs up after the provider already said *machine*, no key pressed" → voicemail when the verdict was only recorded (extension not yet through)', async () => {
    const h = await startAnswered(
      { answeringMachineDetection: true, targets: [{ number: PRIMARY, extension: '1234' }, BACKUP] },
      { providerOffersMachineDetection: true },
    );
    // A switchboard sounds like a machine: the verdict is recorded, the call goes on.
    await h.send({ type: 'call.answeredBy', callId: 'CA1', answeredBy: 'machine' });
    await h.send({ type: 'call.digitsSent', callId: 'CA1' });
    expect(dialled(h)).toEqual([PRIMARY]);
    await h.ended('CA1', COMPLETED);

    expect(isFinished(h)).toBe(false);
    expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({ result: 'voicemail', answeredBy: 'machine' });
    expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
  });

  it('SPEC row: "types something else then #" → invalid entry: re-prompt ("that entry was not valid…")', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '5#');

    expect(isFinished(h)).toBe(false);
    const reprompt = h.last('playPrompt');
    expect(reprompt.kind).toBe('invalid-entry');
    expect(reprompt.segments[0]).toEqual({ say: 'That entry was not valid.' });
    expect(reprompt.promptSeq).toBe(2);
  });

  it('SPEC row: "types digits and then goes silent" → invalid entry: re-prompt', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '42');
    await advance(h, 10_000);

    expect(isFinished(h)).toBe(false);
    expect(h.last('playPrompt').kind).toBe('invalid-entry');
    expect(h.actor.getSnapshot().context.attempts[0]?.invalidEntries).toBe(1);
    expect(hungUp(h)).toEqual([]);
  });

  it('SPEC row: "types something else then #" maxInvalidEntries (default 3) times → standard mode denied (invalid-input); no rollover', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '5#');
    await h.promptFinished('CA1');
    await h.keys('CA1', '55#');
    expect(isFinished(h)).toBe(false);
    await h.promptFinished('CA1');
    await h.keys('CA1', '*#');

    const output = h.output();
    expect(output.status).toBe('denied');
    expect(output.reason).toBe('invalid-input');
    expect(results(output)).toEqual(['invalid-input']);
    expect(output.attempts[0]?.invalidEntries).toBe(3);
    expect(dialled(h)).toEqual([PRIMARY]);
    expect(h.last('hangUp')).toMatchObject({
      callId: 'CA1',
      farewell: [{ say: expect.stringMatching(/not completed/) }],
    });
  });

  it('SPEC row: "types digits and then goes silent" maxInvalidEntries times → denied (invalid-input); no rollover', async () => {
    const h = await startWaitingForInput();
    for (let entry = 1; entry <= 3; entry++) {
      await h.keys('CA1', '9');
      await advance(h, 10_000);
      if (entry < 3) await h.promptFinished('CA1');
    }

    expect(h.output().status).toBe('denied');
    expect(h.output().reason).toBe('invalid-input');
    expect(dialled(h)).toEqual([PRIMARY]);
  });

  it('SPEC row: "types something else then #" maxInvalidEntries times in PIN mode → denied (pin-failed); no rollover', async () => {
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin: acceptsOnly('739164') });
    await h.keys('CA1', '1111#');
    await h.promptFinished('CA1');
    await h.keys('CA1', '2222#');
    await h.promptFinished('CA1');
    await h.keys('CA1', '3333#');

    const output = h.output();
    expect(output.status).toBe('denied');
    expect(output.reason).toBe('pin-failed');
    expect(results(output)).toEqual(['pin-failed']);
    expect(dialled(h)).toEqual([PRIMARY]);
  });

  it('SPEC row: "after maxInvalidEntries" honours a configured limit (1: the first invalid entry denies)', async () => {
    const h = await startWaitingForInput({ timing: { maxInvalidEntries: 1 } });
    await h.keys('CA1', '5#');

    expect(h.output().status).toBe('denied');
    expect(h.output().reason).toBe('invalid-input');
  });
});
