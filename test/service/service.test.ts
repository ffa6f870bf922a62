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
});
