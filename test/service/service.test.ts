import { describe, expect, it } from 'vitest';
import { SimulatedCarrier, VirtualClock } from '../../src/index.js';
import { MemoryVerificationStore } from '../../src/store/memoryStore.js';
import { startSimulatedService } from '../support/simulatedService.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';

describe('durable service on the simulated carrier', () => {
  it('voicemail, 10 s, rollover, # approves', async () => {
    const clock = new VirtualClock();
    const store = new MemoryVerificationStore({ clock });
    const carrier = new SimulatedCarrier({
      clock,
      numbers: { [PRIMARY]: { kind: 'voicemail' }, [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] } },
    });
    const { service, errors } = startSimulatedService(carrier, clock, store);
    const { verificationId } = await service.start({ targets: [PRIMARY, BACKUP] });
    const result = await service.waitForResult(verificationId);
    expect(errors).toEqual([]);
    expect(result.status).toBe('approved');
    expect(result.attempts.map((a) => a.result)).toEqual(['no-response', 'approved']);
    const audit = await store.readAudit({ verificationId });
    console.log(audit.map((r) => `${r.at} ${r.kind} ${r.what} ${r.number ?? ''} ${r.legacyCode ?? ''}`).join('\n'));
    await service.close();
    carrier.hangUpAll();
  });

  it('an event that comes at the deadline which ends the verification is logged after the final status', async () => {
    const clock = new VirtualClock();
    const store = new MemoryVerificationStore({ clock });
    // The call rings (100 ms to place it, 2 s of post-dial delay) exactly when the dial bound runs out.
    const carrier = new SimulatedCarrier({
      clock,
      numbers: { [PRIMARY]: { kind: 'voicemail', answerAfterMs: 0 } },
      timing: { apiLatencyMs: 100, postDialDelayMs: 2_000 },
    });
    const { service, errors } = startSimulatedService(carrier, clock, store);
    const { verificationId } = await service.start({
      targets: [PRIMARY],
      timing: { dialTimeoutMs: 2_100, ringTimeoutMs: 1_003 },
    });
    const result = await service.waitForResult(verificationId);
    expect(errors).toEqual([]);
    expect(result.attempts.map((a) => [a.result, a.times.endedAt])).toEqual([['failed', 2_100]]);
    const audit = await store.readAudit({ verificationId });
    // The deadline fires first and ends the verification; the ringing, stamped with the same time, comes after it.
    expect(audit.filter((row) => row.at === 2_100).map((row) => row.what)).toEqual([
      'deadline (dial)',
      'failed',
      'unreachable',
      'call.ringing',
    ]);
    await service.close();
    carrier.hangUpAll();
  });
});

describe('the audit log of events', () => {
  it('says why an event or a cancel changed nothing: another call’s (stale), or after the final status', async () => {
    const clock = new VirtualClock();
    const store = new MemoryVerificationStore({ clock });
    const carrier = new SimulatedCarrier({ clock, numbers: { [PRIMARY]: { kind: 'voicemail' } } });
    const { service, errors } = startSimulatedService(carrier, clock, store);
    const { verificationId } = await service.start({ targets: [PRIMARY] });
    await service.deliverEvent(verificationId, { type: 'call.ringing', callId: 'CA-of-another-call', at: 0 });
    await service.deliverEvent(verificationId, {
      type: 'call.dialed',
      attempt: 7,
      callId: 'CA-of-another-call',
      at: 0,
    });
    await service.cancel(verificationId);
    await service.deliverEvent(verificationId, { type: 'call.ringing', callId: 'CA-of-another-call', at: 0 });
    await service.cancel(verificationId);
    const audit = await store.readAudit({ verificationId });
    expect(audit.map((row) => [row.kind, row.what, row.reason])).toEqual([
      ['input', 'start', null],
      ['input', 'call.ringing', 'stale'],
      ['input', 'call.dialed', 'stale'],
      ['input', 'cancel', null],
      ['attempt', 'canceled', null],
      ['final', 'canceled', 'host-canceled'],
      ['input', 'call.ringing', 'after the end'],
      ['input', 'cancel', 'after the end'],
    ]);
    expect(errors).toEqual([]);
    await service.close();
    carrier.hangUpAll();
  });
});
