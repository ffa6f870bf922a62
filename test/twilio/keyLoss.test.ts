/**
 * Keys between Gathers, on the simulated Twilio network: with whole-entry
 * collection no key a person types falls between two Gathers; with one Gather
 * per key, keys typed during the webhook round trip are lost.
 */
import { describe, expect, it } from 'vitest';
import type { VerificationRequest } from '../../src/machine/types.js';
import type { NetworkCallee } from '../support/twilioNetwork.js';
import { type NetworkRunOptions, typed, verifyOnTwilioNetwork } from '../support/twilioNetworkHarness.js';

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
