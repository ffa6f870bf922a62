/**
 * The grace after a hang-up while keys were being collected: a provider that
 * cannot order a key report and the call's end (Twilio's Gather action and its
 * `completed` callback) marks the ending `keysMayFollow`, and keys reported
 * within `endingGraceMs` count as pressed before the hang-up.
 */
import { describe, expect, it, vi } from 'vitest';
import type { CallEnding } from '../../src/machine/events.js';
import {
  acceptsOnly,
  advance,
  BACKUP,
  dialled,
  isFinished,
  PRIMARY,
  results,
  startAnswered,
  startWaitingForInput,
} from './helpers.js';

const HUNG_UP_WHILE_GATHERING: CallEnding = { status: 'completed', keysMayFollow: true };

describe('SPEC rule: "hangs up without approving → denied" with keys still in flight (ending grace)', () => {
  it('`#` reported after the hang-up, within the grace, approves', async () => {
    const h = await startWaitingForInput();
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    expect(isFinished(h)).toBe(false);
    await advance(h, 2_999);
    await h.keys('CA1', '#');
    expect(h.output()).toMatchObject({ status: 'approved', reason: 'pound-key' });
    expect(h.output().attempts[0]).toMatchObject({ result: 'approved', keysPressed: 1 });
    // Nobody is on the line to hear a farewell; the call is already over.
    expect(h.sent('hangUp')).toEqual([]);
  });

  it('a hang-up with no key is denied when the grace ends, not before', async () => {
    const h = await startWaitingForInput();
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await advance(h, 2_999);
    expect(isFinished(h)).toBe(false);
    await advance(h, 1);
    expect(h.output()).toMatchObject({ status: 'denied', reason: 'hung-up' });
    expect(results(h.output())).toEqual(['hung-up']);
    expect(dialled(h)).toEqual([PRIMARY]);
  });

  it('a key stamped exactly at the end of the grace is too late', async () => {
    const h = await startWaitingForInput();
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    h.clock.set(h.clock.now() + 3_000);
    await h.keys('CA1', '#');
    expect(h.output().status).toBe('denied');
  });

  it('keys in pieces: `0` then `#` after the hang-up is the fraud code', async () => {
    const h = await startWaitingForInput();
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await h.keys('CA1', '0');
    expect(isFinished(h)).toBe(false);
    await h.keys('CA1', '#');
    expect(h.output()).toMatchObject({ status: 'fraud', reason: 'fraud-code' });
  });

  it('nothing approves without `#`: digits alone after the hang-up end in the denial', async () => {
    const h = await startWaitingForInput();
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await h.keys('CA1', '12');
    await advance(h, 3_000);
    expect(h.output()).toMatchObject({ status: 'denied', reason: 'hung-up' });
  });

  it('an invalid entry after the hang-up is counted, and the grace still ends in the denial', async () => {
    const h = await startWaitingForInput();
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await h.keys('CA1', '5#');
    expect(isFinished(h)).toBe(false);
    await advance(h, 3_000);
    expect(h.output()).toMatchObject({ status: 'denied', reason: 'hung-up' });
    expect(h.output().attempts[0]).toMatchObject({ invalidEntries: 1, keysPressed: 2 });
  });

  it('the last allowed invalid entry after the hang-up denies for invalid input at once', async () => {
    const h = await startWaitingForInput({ timing: { maxInvalidEntries: 1 } });
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await h.keys('CA1', '5#');
    expect(h.output()).toMatchObject({ status: 'denied', reason: 'invalid-input' });
  });

  it('PIN mode: the right PIN then `#` after the hang-up is checked and approves', async () => {
    const verifyPin = vi.fn(acceptsOnly('4821'));
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin });
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await h.keys('CA1', '4821#');
    expect(h.output()).toMatchObject({ status: 'approved', reason: 'pin' });
    expect(verifyPin).toHaveBeenCalledTimes(1);
  });

  it('PIN mode: a wrong PIN after the hang-up is a denial for the hang-up, with no re-prompt', async () => {
    const h = await startWaitingForInput({ mode: 'pin' }, { verifyPin: acceptsOnly('4821') });
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    const prompts = h.sent('playPrompt').length;
    await h.keys('CA1', '1111#');
    expect(h.output()).toMatchObject({ status: 'denied', reason: 'hung-up' });
    expect(h.sent('playPrompt')).toHaveLength(prompts);
  });

  it('PIN mode: the last allowed wrong PIN after the hang-up denies for the PIN at once, as the last invalid entry does', async () => {
    const h = await startWaitingForInput(
      { mode: 'pin', timing: { maxInvalidEntries: 1 } },
      { verifyPin: acceptsOnly('4821') },
    );
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await h.keys('CA1', '1111#');
    expect(h.output()).toMatchObject({ status: 'denied', reason: 'pin-failed' });
    expect(h.output().attempts[0]?.invalidEntries).toBe(1);
  });

  it('keys for another call during the grace are stale and change nothing', async () => {
    const h = await startWaitingForInput();
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await h.keys('CA-other', '#');
    expect(h.actor.getSnapshot().context.ignoredEvents.stale).toBe(1);
    await advance(h, 3_000);
    expect(h.output().status).toBe('denied');
  });

  it('a duplicate end during the grace changes nothing', async () => {
    const h = await startWaitingForInput();
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await h.keys('CA1', '#');
    expect(h.output().status).toBe('approved');
  });

  it('during the greeting too (barge-in): `#` reported after the hang-up approves', async () => {
    const h = await startAnswered();
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await h.keys('CA1', '#');
    expect(h.output().status).toBe('approved');
  });

  it('voicemail: the detector said machine, no key, hang-up with a grace → voicemail and rollover when the grace ends', async () => {
    const h = await startAnswered(
      { answeringMachineDetection: true, targets: [{ number: PRIMARY, extension: '1234' }, BACKUP] },
      { providerOffersMachineDetection: true },
    );
    // With an extension the verdict is recorded but not acted on before the greeting was heard.
    await h.send({ type: 'call.answeredBy', callId: 'CA1', answeredBy: 'machine' });
    await h.send({ type: 'call.digitsSent', callId: 'CA1' });
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await advance(h, 2_999);
    expect(dialled(h)).toEqual([PRIMARY]);
    await advance(h, 1);
    expect(h.actor.getSnapshot().context.attempts[0]?.result).toBe('voicemail');
    expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
  });

  it('voicemail: a machine verdict reported after the hang-up, within the grace, rolls over when the grace ends', async () => {
    // Twilio's asynchronous detection callback and the `completed` callback are not ordered either.
    const h = await startWaitingForInput(
      { answeringMachineDetection: true, targets: [PRIMARY, BACKUP] },
      { providerOffersMachineDetection: true },
    );
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await advance(h, 100);
    await h.send({ type: 'call.answeredBy', callId: 'CA1', answeredBy: 'machine' });
    expect(h.actor.getSnapshot().context.ignoredEvents.stale).toBe(0);
    expect(dialled(h)).toEqual([PRIMARY]);
    await advance(h, 2_900);
    expect(h.actor.getSnapshot().context.attempts[0]).toMatchObject({ result: 'voicemail', answeredBy: 'machine' });
    expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
  });

  it("PIN mode: after a voicemail grace rolls over, the backup's wrong PIN is re-prompted, not taken for the primary's hang-up", async () => {
    const h = await startWaitingForInput(
      { mode: 'pin', answeringMachineDetection: true, targets: [PRIMARY, BACKUP] },
      { providerOffersMachineDetection: true, verifyPin: acceptsOnly('4321') },
    );
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await h.send({ type: 'call.answeredBy', callId: 'CA1', answeredBy: 'machine' });
    await advance(h, 3_000);
    expect(dialled(h)).toEqual([PRIMARY, BACKUP]);

    await h.answer('CA2');
    await h.promptFinished('CA2');
    await h.keys('CA2', '1111#');
    expect(isFinished(h)).toBe(false);
    expect(h.last('playPrompt')).toMatchObject({ callId: 'CA2', kind: 'incorrect-pin' });
    await h.promptFinished('CA2');
    await h.keys('CA2', '4321#');
    expect(h.output()).toMatchObject({ status: 'approved', reason: 'pin' });
    expect(results(h.output())).toEqual(['voicemail', 'approved']);
  });

  it('a machine verdict within the grace after a key was pressed changes nothing: the hang-up is a denial', async () => {
    const h = await startWaitingForInput(
      { answeringMachineDetection: true, targets: [PRIMARY, BACKUP] },
      { providerOffersMachineDetection: true },
    );
    await h.keys('CA1', '1');
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await h.send({ type: 'call.answeredBy', callId: 'CA1', answeredBy: 'machine' });
    await advance(h, 3_000);
    expect(h.output()).toMatchObject({ status: 'denied', reason: 'hung-up' });
    expect(dialled(h)).toEqual([PRIMARY]);
  });

  it('a verdict for another call within the grace is stale', async () => {
    const h = await startWaitingForInput(
      { answeringMachineDetection: true, targets: [PRIMARY, BACKUP] },
      { providerOffersMachineDetection: true },
    );
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await h.send({ type: 'call.answeredBy', callId: 'CA-other', answeredBy: 'machine' });
    expect(h.actor.getSnapshot().context.ignoredEvents.stale).toBe(1);
    await advance(h, 3_000);
    expect(h.output()).toMatchObject({ status: 'denied', reason: 'hung-up' });
  });

  it('without `keysMayFollow` the hang-up is judged at once, as before', async () => {
    const h = await startWaitingForInput();
    await h.ended('CA1', { status: 'completed' });
    expect(h.output()).toMatchObject({ status: 'denied', reason: 'hung-up' });
  });

  it('`endingGraceMs: 0` turns the grace off', async () => {
    const h = await startWaitingForInput({ timing: { endingGraceMs: 0 } });
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    expect(h.output()).toMatchObject({ status: 'denied', reason: 'hung-up' });
  });

  it('the grace cannot outlive the verification: maxTotalMs still ends it', async () => {
    const h = await startWaitingForInput({ timing: { maxTotalMs: 5_000, inputTimeoutMs: 10_000 } });
    h.clock.set(4_000);
    await h.ended('CA1', HUNG_UP_WHILE_GATHERING);
    await advance(h, 1_000);
    expect(h.output().status).toBe('expired');
  });
});
