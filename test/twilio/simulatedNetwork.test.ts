/**
 * Where the real network differs from a mock, on the simulated Twilio network:
 * keys between Gathers (with whole-entry collection no key a person types
 * falls between two Gathers; with one Gather per key, keys typed during the
 * webhook round trip are lost), keys at a hang-up, and Twilio's queue above
 * the account's calls per second.
 */
import { describe, expect, it } from 'vitest';
import type { VerificationRequest } from '../../src/machine/types.js';
import { VirtualClock } from '../../src/runtime/clock.js';
import { runVerification } from '../../src/runtime/runVerification.js';
import { type NetworkCallee, SimulatedTwilioNetwork } from '../support/twilioNetwork.js';
import {
  type NetworkRunOptions,
  twilioProviderOn,
  typed,
  verifyOnTwilioNetwork,
} from '../support/twilioNetworkHarness.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';

const verify = (
  request: Partial<VerificationRequest>,
  callees: Record<string, NetworkCallee>,
  options?: NetworkRunOptions,
) => verifyOnTwilioNetwork({ targets: [PRIMARY], ...request }, callees, options);

describe('keys between Gathers on the simulated Twilio network', () => {
  it('standard mode: # approves, nothing lost', async () => {
    const { result, network } = await verify(
      {},
      { [PRIMARY]: { entries: [typed('#', 0)] } },
      { roundTripMs: () => 400 },
    );
    expect(result).toMatchObject({ status: 'approved', reason: 'pound-key' });
    expect(network.lostKeys).toBe(0);
    expect(network.records[0]?.posted).toEqual(['#']);
  });

  it('PIN 4821# typed 150 ms apart with a 600 ms round trip: whole-entry hears every key', async () => {
    const callees = { [PRIMARY]: { entries: [typed('4821#', 150)] } };
    const { result, network } = await verify({ mode: 'pin' }, callees, { roundTripMs: () => 600, pin: '4821' });
    expect(result).toMatchObject({ status: 'approved', reason: 'pin' });
    expect(network.records[0]).toMatchObject({ pressed: '4821#', heard: '4821#', lost: '', posted: ['4821#'] });
  });

  it('the same PIN key by key loses the keys typed during each round trip, and is locked out', async () => {
    const callees = { [PRIMARY]: { entries: [typed('4821#', 150), typed('4821#', 150), typed('4821#', 150)] } };
    const { result, network } = await verify({ mode: 'pin' }, callees, {
      roundTripMs: () => 600,
      pin: '4821',
      keyCollection: 'key-by-key',
    });
    expect(network.lostKeys).toBeGreaterThan(0);
    expect(network.records[0]?.lost).not.toBe('');
    expect(result.status).not.toBe('approved');
  });

  it('0# typed 120 ms apart: key by key the # can fall between the Gathers; whole-entry reports fraud', async () => {
    const callees = { [PRIMARY]: { entries: [typed('0#', 120)] }, [BACKUP]: { entries: [] } };
    const keyByKey = await verify({ targets: [PRIMARY, BACKUP] }, callees, {
      roundTripMs: () => 500,
      keyCollection: 'key-by-key',
    });
    expect(keyByKey.network.records[0]?.lost).toBe('#');
    expect(keyByKey.result.status).not.toBe('fraud');
    const wholeEntry = await verify({ targets: [PRIMARY, BACKUP] }, callees, { roundTripMs: () => 500 });
    expect(wholeEntry.result).toMatchObject({ status: 'fraud', reason: 'fraud-code' });
    expect(wholeEntry.network.lostKeys).toBe(0);
  });

  it('if Twilio buffered keys between Gathers, key by key would hear them all: the assumption decides', async () => {
    const callees = { [PRIMARY]: { entries: [typed('4821#', 150)] } };
    const { result, network } = await verify({ mode: 'pin' }, callees, {
      roundTripMs: () => 600,
      pin: '4821',
      keyCollection: 'key-by-key',
      keysBetweenGathers: 'buffered',
    });
    expect(result.status).toBe('approved');
    expect(network.lostKeys).toBe(0);
  });

  describe('# and then a hang-up within the entry pause', () => {
    const quickHangUp = { [PRIMARY]: { entries: [typed('#', 0)], hangUpAfterLastKeyMs: 300 } };

    it('if the Gather posts its keys at the hang-up, the # counts, in whatever order the two requests arrive', async () => {
      for (const [roundTrip, callbackDelay] of [
        [0, 1_000],
        [1_000, 0],
        [600, 600],
      ] as const) {
        const { result, network } = await verify({}, quickHangUp, {
          keysAtHangUp: 'posted',
          roundTripMs: () => roundTrip,
          callbackDelayMs: () => callbackDelay,
        });
        expect(network.records[0]?.postedAtHangUp).toBe('#');
        expect(result).toMatchObject({ status: 'approved', reason: 'pound-key' });
      }
    });

    it('if it does not, the # is never seen: a denial, never an approval', async () => {
      const { result, network } = await verify({}, quickHangUp, { keysAtHangUp: 'dropped', roundTripMs: () => 300 });
      expect(network.records[0]?.posted).toEqual([]);
      expect(result).toMatchObject({ status: 'denied', reason: 'hung-up' });
    });

    it('a hang-up after the entry pause and the round trip finds the verdict already given', async () => {
      const { result } = await verify(
        {},
        { [PRIMARY]: { entries: [typed('#', 0)], hangUpAfterLastKeyMs: 2_500 } },
        {
          keysAtHangUp: 'dropped',
          roundTripMs: () => 1_000,
        },
      );
      expect(result.status).toBe('approved');
    });
  });
});

describe("Twilio's queue above the account's calls per second", () => {
  async function burst(count: number, timing: VerificationRequest['timing']) {
    const clock = new VirtualClock();
    const numbers = Array.from({ length: count }, (_, i) => `+1425555${String(1000 + i)}`);
    const callees = Object.fromEntries(
      numbers.map((n) => [n, { answerAfterMs: 2_000, entries: [typed('#', 0)] } satisfies NetworkCallee]),
    );
    const network = new SimulatedTwilioNetwork({ clock, callees, callsPerSecond: 1 });
    // A provider set above the account's rate (or several instances sharing it)
    // leaves the queueing to Twilio, which is what these tests are about.
    const provider = twilioProviderOn(network, { callsPerSecond: 50 });
    const results = await Promise.all(
      numbers.map((n) =>
        runVerification({ targets: [n], ...(timing === undefined ? {} : { timing }) }, { provider, clock }),
      ),
    );
    return { results, network };
  }

  it('a call that waits in the queue longer than the ring time is not "no answer": the ring timer starts at the first ring', async () => {
    const { results, network } = await burst(8, { ringTimeoutMs: 5_000 });
    const starts = network.records.map((r) => r.startedAt ?? Number.NaN).sort((a, b) => a - b);
    // Twilio placed them one a second; the last waited over 5 s in the queue.
    for (let i = 1; i < starts.length; i++)
      expect((starts[i] ?? 0) - (starts[i - 1] ?? 0)).toBeGreaterThanOrEqual(1_000);
    expect(Math.max(...network.records.map((r) => (r.startedAt ?? 0) - r.createdAt))).toBeGreaterThan(5_000);
    expect(results.map((r) => r.status)).toEqual(results.map(() => 'approved'));
  });

  it('a call queued beyond the dial bound is given up as failed (timed out by the dial), not no-answer', async () => {
    const { results } = await burst(8, { ringTimeoutMs: 5_000, dialTimeoutMs: 8_000 });
    const late = results.filter((r) => r.status !== 'approved');
    expect(late.length).toBeGreaterThan(0);
    for (const result of late) {
      expect(result.status).toBe('unreachable');
      expect(result.attempts[0]).toMatchObject({ timedOut: 'dial' });
      expect(['failed', 'no-answer']).toContain(result.attempts[0]?.result);
    }
  });
});
