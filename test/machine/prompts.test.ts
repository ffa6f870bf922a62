/**
 * "Prompts" in SPEC.md: the default English prompts, each replaceable, with a
 * language/voice setting.
 */
import { describe, expect, it } from 'vitest';
import type { PlayPromptCommand } from '../../src/machine/commands.js';
import { startHarness } from '../support/harness.js';
import { acceptsOnly, PRIMARY, startAnswered, startWaitingForInput } from './helpers.js';

const spoken = (prompt: PlayPromptCommand): string =>
  prompt.segments.map((s) => ('say' in s ? s.say : `[${s.play}]`)).join(' ');

describe('SPEC prompts', () => {
  it('SPEC rule: (prompts) standard: "… press the pound key to finish your verification."', async () => {
    const h = await startAnswered({ fraudCode: false });

    expect(h.last('playPrompt').segments).toEqual([
      { say: 'Hello. This is your sign-in verification call.' },
      { say: 'Press the pound key to finish your verification.' },
    ]);
  });

  it('SPEC rule: (prompts) PIN: "… enter your PIN followed by the pound key."', async () => {
    const h = await startAnswered({ mode: 'pin', fraudCode: false }, { verifyPin: acceptsOnly('739164') });

    expect(spoken(h.last('playPrompt'))).toMatch(/enter your PIN,? followed by the pound key\.$/);
  });

  it('SPEC rule: (prompts) with fraud alert: "… If you did not start this, press zero pound to report fraud."', async () => {
    const h = await startAnswered();

    expect(h.last('playPrompt').segments.at(-1)).toEqual({
      say: 'If you did not start this, press zero pound to report fraud.',
    });
  });

  it('SPEC rule: (prompts) "(the digit follows the configured fraud code)" → fraud code 73 is spoken as "seven three"', async () => {
    const h = await startAnswered({ fraudCode: '73' });

    expect(spoken(h.last('playPrompt'))).toContain('press seven three pound to report fraud.');
    expect(h.last('playPrompt').collect.fraudCode).toBe('73');
  });

  it('SPEC rule: (prompts) with the fraud code disabled, no fraud alert is offered', async () => {
    const h = await startAnswered({ fraudCode: false });

    expect(spoken(h.last('playPrompt'))).not.toMatch(/fraud/i);
    expect(h.last('playPrompt').collect.fraudCode).toBeNull();
  });

  it('SPEC rule: (prompts) extension: "Please transfer this call to extension 1234." comes first, digits spoken one by one', async () => {
    const h = await startHarness({ targets: [{ number: PRIMARY, extension: ',,1234' }] });
    await h.answer('CA1');
    await h.send({ type: 'call.digitsSent', callId: 'CA1' });

    expect(h.last('playPrompt').segments[0]).toEqual({
      say: 'Please transfer this call to extension one two three four.',
    });
  });

  it('SPEC rule: (prompts) "invalid entry … re-prompts" → the notice, then the instruction again', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '5#');

    expect(h.last('playPrompt').segments).toEqual([
      { say: 'That entry was not valid.' },
      { say: 'Press the pound key to finish your verification.' },
      { say: 'If you did not start this, press zero pound to report fraud.' },
    ]);
  });

  it('SPEC rule: (prompts) "incorrect PIN re-prompts" → the notice, then the PIN instruction again', async () => {
    const h = await startWaitingForInput({ mode: 'pin', fraudCode: false }, { verifyPin: acceptsOnly('739164') });
    await h.keys('CA1', '1111#');

    expect(h.last('playPrompt').segments).toEqual([
      { say: 'That PIN was not correct.' },
      { say: 'Please enter your PIN, followed by the pound key.' },
    ]);
  });

  it('SPEC rule: (prompts) "each replaceable (text for text-to-speech …)"', async () => {
    const h = await startAnswered({
      fraudCode: '9',
      prompts: {
        welcome: 'Contoso security check.',
        standard: 'Press pound to sign in.',
        fraudHint: 'Not you? Press {fraudCode} pound.',
      },
    });

    expect(h.last('playPrompt').segments).toEqual([
      { say: 'Contoso security check.' },
      { say: 'Press pound to sign in.' },
      { say: 'Not you? Press nine pound.' },
    ]);
  });

  it('SPEC rule: (prompts) "each replaceable (… or an audio URL)"', async () => {
    const h = await startAnswered({
      fraudCode: false,
      prompts: { welcome: { play: 'https://example.com/welcome.mp3' } },
    });

    expect(h.last('playPrompt').segments[0]).toEqual({ play: 'https://example.com/welcome.mp3' });
  });

  it('SPEC rule: (prompts) an empty replacement leaves the prompt out', async () => {
    const h = await startAnswered({ fraudCode: false, prompts: { welcome: '' } });

    expect(h.last('playPrompt').segments).toEqual([{ say: 'Press the pound key to finish your verification.' }]);
  });

  it('SPEC rule: (prompts) "with a language/voice setting" → passed with every prompt and farewell', async () => {
    const speech = { language: 'en-GB', voice: 'Polly.Amy' };
    const h = await startAnswered({ speech });
    await h.keys('CA1', '#');

    expect(h.sent('playPrompt').map((p) => p.speech)).toEqual([speech]);
    expect(h.last('hangUp').speech).toEqual(speech);
  });

  it('SPEC rule: (prompts) the farewells after approval, fraud and denial are replaceable', async () => {
    const prompts = { approved: 'Approved, bye.', fraudReported: 'Reported, bye.', denied: 'Denied, bye.' };
    const approved = await startWaitingForInput({ prompts });
    await approved.keys('CA1', '#');
    const fraud = await startWaitingForInput({ prompts });
    await fraud.keys('CA1', '0#');
    const denied = await startWaitingForInput({ prompts, timing: { maxInvalidEntries: 1 } });
    await denied.keys('CA1', '5#');

    expect(approved.last('hangUp').farewell).toEqual([{ say: 'Approved, bye.' }]);
    expect(fraud.last('hangUp').farewell).toEqual([{ say: 'Reported, bye.' }]);
    expect(denied.last('hangUp').farewell).toEqual([{ say: 'Denied, bye.' }]);
  });

  it('SPEC rule: (prompts) each prompt gets the next sequence number, so late reports can be told apart', async () => {
    const h = await startWaitingForInput();
    await h.keys('CA1', '5#');
    await h.promptFinished('CA1');
    await h.keys('CA1', '6#');

    expect(h.sent('playPrompt').map((p) => p.promptSeq)).toEqual([1, 2, 3]);
  });
});
