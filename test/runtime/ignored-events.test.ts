/**
 * "Events that change nothing are counted" (docs/behaviour.md): `onEvent` says
 * which events were ignored and why, and events that arrive after the final
 * status — while the provider session closes, e.g. during a farewell — are
 * counted as stale in the result too.
 */
import { describe, expect, it } from 'vitest';
import { runVerification, SimulatedCarrier, type VerificationObservation, VirtualClock } from '../../src/index.js';
import { createManualProvider } from '../support/manualProvider.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ignored events in the observation stream and the result', () => {
  it('onEvent tells a stale event from the others, right after the event itself', async () => {
    const clock = new VirtualClock();
    const carrier = new SimulatedCarrier({
      clock,
      numbers: {
        [PRIMARY]: { kind: 'voicemail' },
        [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] },
      },
    });
    const seen: VerificationObservation[] = [];
    const result = await runVerification(
      { targets: [PRIMARY, BACKUP] },
      { provider: carrier, clock, onEvent: (o) => seen.push(o) },
    );

    const ignored = seen.filter((o) => o.type === 'provider.ignored');
    expect(ignored).toHaveLength(1);
    const [first] = ignored;
    expect(first?.type === 'provider.ignored' && first.reason).toBe('stale');
    expect(first?.type === 'provider.ignored' && first.event).toMatchObject({
      type: 'call.ended',
      callId: 'CA-sim-0001',
    });
    const index = seen.indexOf(first as VerificationObservation);
    expect(seen[index - 1]).toMatchObject({
      type: 'provider.event',
      event: { type: 'call.ended', callId: 'CA-sim-0001' },
    });
    expect(result.ignoredEvents).toEqual({ stale: 1, duplicate: 0, outOfOrder: 0, unexpected: 0 });
  });

  it('a duplicate and an out-of-order event are named as such; a malformed one counts as unexpected', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const manual = createManualProvider({ holdClose: true });
    const seen: VerificationObservation[] = [];
    const pending = runVerification(
      { targets: [PRIMARY] },
      { provider: manual.provider, clock, onEvent: (o) => seen.push(o) },
    );
    await settle();
    manual.emit({ type: 'call.dialed', attempt: 0, callId: 'CA1' });
    manual.emit({ type: 'call.ringing', callId: 'CA1' });
    manual.emit({ type: 'call.answered', callId: 'CA1' });
    manual.emit({ type: 'call.answered', callId: 'CA1' });
    manual.emit({ type: 'call.ringing', callId: 'CA1' });
    manual.emit({ type: 'call.digits', callId: 'CA1', digits: 'not keys' });
    manual.emit({ type: 'call.digits', callId: 'CA1', digits: '#' });
    await settle();
    manual.finishClose();
    const result = await pending;

    const reasons = seen.flatMap((o) => (o.type === 'provider.ignored' ? [[o.event.type, o.reason]] : []));
    expect(reasons).toEqual([
      ['call.answered', 'duplicate'],
      ['call.ringing', 'outOfOrder'],
    ]);
    expect(seen.filter((o) => o.type === 'provider.malformed')).toHaveLength(1);
    expect(result.status).toBe('approved');
    expect(result.ignoredEvents).toEqual({ stale: 0, duplicate: 1, outOfOrder: 1, unexpected: 1 });
  });

  it('events that arrive while the final hang-up runs are counted as stale, and the end is told after them', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const manual = createManualProvider({ holdClose: true });
    const seen: VerificationObservation[] = [];
    let resolved = false;
    const pending = runVerification(
      { targets: [PRIMARY] },
      { provider: manual.provider, clock, onEvent: (o) => seen.push(o) },
    ).then((result) => {
      resolved = true;
      return result;
    });
    await settle();
    manual.emit({ type: 'call.dialed', attempt: 0, callId: 'CA1' });
    manual.emit({ type: 'call.answered', callId: 'CA1' });
    manual.emit({ type: 'call.digits', callId: 'CA1', digits: '#' });
    await settle();
    expect(manual.isClosing()).toBe(true);
    expect(resolved).toBe(false);

    // The farewell plays; meanwhile the callee presses more keys and the carrier reports the end.
    manual.emit({ type: 'call.digits', callId: 'CA1', digits: '1' });
    manual.emit({ type: 'call.ended', callId: 'CA1', ending: { status: 'completed' } });
    manual.finishClose();
    const result = await pending;

    expect(result.status).toBe('approved');
    expect(result.ignoredEvents.stale).toBe(2);
    const late = seen.filter((o) => o.type === 'provider.ignored');
    expect(late.map((o) => o.type === 'provider.ignored' && [o.event.type, o.reason])).toEqual([
      ['call.digits', 'stale'],
      ['call.ended', 'stale'],
    ]);
    const ended = seen.filter((o) => o.type === 'verification.ended');
    expect(ended).toHaveLength(1);
    expect(seen.at(-1)?.type).toBe('verification.ended');
    expect(ended[0]?.type === 'verification.ended' && ended[0].result.ignoredEvents.stale).toBe(2);
  });

  it('nothing is observed or counted once the result was handed over', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const manual = createManualProvider({ holdClose: true });
    const seen: VerificationObservation[] = [];
    const pending = runVerification(
      { targets: [PRIMARY] },
      { provider: manual.provider, clock, onEvent: (o) => seen.push(o) },
    );
    await settle();
    manual.emit({ type: 'call.dialed', attempt: 0, callId: 'CA1' });
    manual.emit({ type: 'call.answered', callId: 'CA1' });
    manual.emit({ type: 'call.ended', callId: 'CA1', ending: { status: 'completed' } });
    await settle();
    manual.finishClose();
    const result = await pending;
    const count = seen.length;
    manual.emit({ type: 'call.ended', callId: 'CA1', ending: { status: 'completed' } });
    await settle();
    expect(seen).toHaveLength(count);
    expect(result.status).toBe('denied');
    expect(result.ignoredEvents.stale).toBe(0);
  });

  it('a provider may not send host events: a tick or a cancel from it is malformed', async () => {
    const clock = new VirtualClock({ autoAdvance: false });
    const manual = createManualProvider({ holdClose: true });
    const seen: VerificationObservation[] = [];
    const pending = runVerification(
      { targets: [PRIMARY] },
      { provider: manual.provider, clock, onEvent: (o) => seen.push(o) },
    );
    await settle();
    manual.emit({ type: 'call.dialed', attempt: 0, callId: 'CA1' });
    manual.emit({ type: 'verification.cancel' });
    manual.emit({ type: 'verification.tick', at: 10_000_000 });
    manual.emit({ type: 'call.answered', callId: 'CA1' });
    manual.emit({ type: 'call.digits', callId: 'CA1', digits: '#' });
    await settle();
    manual.finishClose();
    const result = await pending;
    expect(result.status).toBe('approved');
    expect(seen.filter((o) => o.type === 'provider.malformed')).toHaveLength(2);
    expect(result.ignoredEvents.unexpected).toBe(2);
  });
});
