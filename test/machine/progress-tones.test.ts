/**
 * SPEC step 2, "`sit` — special information tones … `busy` …", when the tones
 * are heard in the call's audio rather than signalled: in early media before an
 * answer, or after a carrier answered a disconnected number with an intercept
 * recording. The attempt ends at once with the tones' result and rolls over.
 */
import { describe, expect, it } from 'vitest';
import { startHarness } from '../support/harness.js';
import { attemptAt, BACKUP, dialled, hungUp, isFinished, PRIMARY, startAnswered } from './helpers.js';

describe('SPEC rule: "`sit` — special information tones, with the kind when known" — heard in the audio', () => {
  it('after the answer (an intercept recording): sit with its kind, hung up, the backup dialled at once', async () => {
    const h = await startAnswered();
    h.clock.set(h.clock.now() + 1_200);
    await h.send({ type: 'call.progressTone', callId: 'CA1', tone: 'sit', sitKind: 'intercept' });
    expect(attemptAt(h, 0)).toMatchObject({ result: 'sit', sitKind: 'intercept', times: { endedAt: 1_200 } });
    expect(hungUp(h)).toEqual(['CA1']);
    expect(h.last('hangUp').farewell).toEqual([]);
    expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
    expect(isFinished(h)).toBe(false);
  });

  it('before the answer (early media while ringing): sit, the ringing call cancelled, rollover', async () => {
    const h = await startHarness({ targets: [PRIMARY, BACKUP] });
    await h.dialed('CA1');
    await h.send({ type: 'call.ringing', callId: 'CA1' });
    await h.send({ type: 'call.progressTone', callId: 'CA1', tone: 'sit', sitKind: 'vacant-code' });
    expect(attemptAt(h, 0)).toMatchObject({ result: 'sit', sitKind: 'vacant-code', answeredBy: null });
    expect(hungUp(h)).toEqual(['CA1']);
    expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
  });

  it.each([
    [{ tone: 'busy' }, { result: 'busy', sitKind: null }],
    [{ tone: 'reorder' }, { result: 'sit', sitKind: 'reorder' }],
    [{ tone: 'sit' }, { result: 'sit', sitKind: 'unknown' }],
  ] as const)('%j heard → %j', async (tones, expected) => {
    const h = await startAnswered();
    await h.send({ type: 'call.progressTone', callId: 'CA1', ...tones });
    expect(attemptAt(h, 0)).toMatchObject(expected);
    expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
  });

  it('while the extension digits are sent (the switchboard side is disconnected): sit, rollover', async () => {
    const h = await startAnswered({ targets: [{ number: PRIMARY, extension: '1234' }, BACKUP] });
    await h.send({ type: 'call.progressTone', callId: 'CA1', tone: 'sit', sitKind: 'no-circuit' });
    expect(attemptAt(h, 0)).toMatchObject({ result: 'sit', sitKind: 'no-circuit' });
    expect(dialled(h)).toEqual([PRIMARY, BACKUP]);
  });

  it('after a key a person is there: tones change nothing and # still approves', async () => {
    const h = await startAnswered();
    await h.keys('CA1', '1');
    await h.send({ type: 'call.progressTone', callId: 'CA1', tone: 'sit', sitKind: 'intercept' });
    expect(hungUp(h)).toEqual([]);
    expect(h.actor.getSnapshot().context.ignoredEvents.unexpected).toBe(1);
    await h.keys('CA1', '#');
    await h.promptFinished('CA1');
    await h.keys('CA1', '#');
    expect(h.output().status).toBe('approved');
  });

  it('tones of a call that is not live are stale', async () => {
    const h = await startAnswered();
    await h.send({ type: 'call.progressTone', callId: 'CA-old', tone: 'busy' });
    expect(h.actor.getSnapshot().context.ignoredEvents.stale).toBe(1);
    expect(hungUp(h)).toEqual([]);
  });

  it.each([
    ['an unknown tone', { type: 'call.progressTone', callId: 'CA1', tone: 'beep' }],
    ['a kind for a busy tone', { type: 'call.progressTone', callId: 'CA1', tone: 'busy', sitKind: 'intercept' }],
    ['an unknown kind', { type: 'call.progressTone', callId: 'CA1', tone: 'sit', sitKind: 'disconnected' }],
    ['no callId', { type: 'call.progressTone', tone: 'sit' }],
  ])('malformed: %s changes nothing', async (_, event) => {
    const h = await startAnswered();
    await h.sendRaw({ ...event, at: h.clock.now() });
    expect(hungUp(h)).toEqual([]);
    expect(attemptAt(h, 0).result).toBeNull();
  });
});
