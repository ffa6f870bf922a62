import { describe, expect, it } from 'vitest';
import { runVerification, SimulatedCarrier, VirtualClock } from '../../src/index.js';

describe('seed story on the simulated carrier', () => {
  it('voicemail → 10 s → rollover → backup approves', async () => {
    const clock = new VirtualClock();
    const carrier = new SimulatedCarrier({
      clock,
      numbers: {
        '+14255550100': { kind: 'voicemail' },
        '+14255550101': { kind: 'answers', responses: [{ press: '#' }] },
      },
    });
    const result = await runVerification({ targets: ['+14255550100', '+14255550101'] }, { provider: carrier, clock });
    expect(result.status).toBe('approved');
    expect(result.attempts.map((a) => a.result)).toEqual(['no-response', 'approved']);
  });
});
