/**
 * runVerification with nothing but a provider: the defaults a host gets in
 * its first hour. Numbers it cannot count refuse a guarded verification before
 * any call; personal numbers are never dialled.
 */
import { describe, expect, it } from 'vitest';
import {
  createAbuseGuard,
  InvalidRequestError,
  runVerification,
  SimulatedCarrier,
  VirtualClock,
} from '../../src/index.js';

const PRIMARY = '+14255550100';

const approving = (clock: VirtualClock, numbers: string[]) =>
  new SimulatedCarrier({
    clock,
    numbers: Object.fromEntries(numbers.map((n) => [n, { kind: 'answers', responses: [{ press: '#' }] }])),
  });

describe('runVerification defaults: the abuse guard fails closed', () => {
  it('a target the guard cannot count refuses the verification before any call', async () => {
    const clock = new VirtualClock();
    const carrier = approving(clock, [PRIMARY]);
    const guard = createAbuseGuard({ now: () => clock.now() });
    const run = runVerification(
      { targets: [PRIMARY, '555 0100'] },
      { provider: carrier, clock, abuseGuard: guard, userId: 'alice' },
    );
    await expect(run).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(run).rejects.toMatchObject({ issues: [{ path: 'numbers.1' }] });
    expect(carrier.calls).toEqual([]);
  });

  it('the verification records its unmasked result itself, so the cool-down holds across forms', async () => {
    const clock = new VirtualClock();
    const carrier = approving(clock, [PRIMARY]);
    const guard = createAbuseGuard({ now: () => clock.now() });
    const first = await runVerification(
      { targets: ['tel:+1-425-555-0100'] },
      { provider: carrier, clock, abuseGuard: guard, userId: 'alice' },
    );
    expect(first.status).toBe('approved');
    await expect(
      runVerification(
        { targets: ['(425) 555-0100'], defaultCountry: 'US' },
        { provider: carrier, clock, abuseGuard: guard, userId: 'bob' },
      ),
    ).rejects.toMatchObject({ rule: 'number-cooldown' });
    expect(carrier.calls).toHaveLength(1);
  });
});

describe('runVerification defaults: the dialling policy', () => {
  it('a UK 070 personal number is refused and never rings; the next target is called', async () => {
    const clock = new VirtualClock();
    const carrier = approving(clock, [PRIMARY, '+447012345678']);
    const result = await runVerification({ targets: ['+44 70 1234 5678', PRIMARY] }, { provider: carrier, clock });
    expect(result.attempts.map((a) => [a.result, a.rule])).toEqual([
      ['blocked-number', 'personal-number'],
      ['approved', null],
    ]);
    expect(carrier.calls.map((c) => c.to)).toEqual([PRIMARY]);
  });
});
