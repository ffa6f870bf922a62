/**
 * Where the real network differs from a mock, on the simulated Twilio network:
 * keys between Gathers (with whole-entry collection no key a person types
 * falls between two Gathers; with one Gather per key, keys typed during the
 * webhook round trip are lost), keys at a hang-up, and Twilio's queue above
 * the account's calls per second.
 */
import { describe, expect, it } from 'vitest';
import type { VerificationRequest } from '../../src/machine/types.js';
import { toCallCreateParams } from '../../src/providers/twilio/dialRequest.js';
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

  it('a call canceled while queued never dials: the next call takes its turn', async () => {
    const clock = new VirtualClock();
    const numbers = ['+14255551000', '+14255551001', '+14255551002'];
    const callees = Object.fromEntries(numbers.map((n) => [n, { answerAfterMs: 2_000, entries: [typed('#', 0)] }]));
    const network = new SimulatedTwilioNetwork({ clock, callees, callsPerSecond: 0.2 });
    const provider = twilioProviderOn(network, { callsPerSecond: 50 });
    // The second verification is canceled at 2 s, its call still queued (its turn is 5 s after the first's).
    const cancelSecond = new AbortController();
    clock.setTimeout(() => cancelSecond.abort(), 2_000);
    const results = await Promise.all(
      numbers.map((n, i) =>
        runVerification({ targets: [n] }, { provider, clock, ...(i === 1 ? { signal: cancelSecond.signal } : {}) }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['approved', 'canceled', 'approved']);
    const [first, second, third] = network.records;
    expect(second).toMatchObject({ startedAt: null, endedBy: 'rest' });
    expect((third?.startedAt ?? 0) - (first?.startedAt ?? 0)).toBe(5_000);
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

describe("Twilio's call progress: 201 first, the outcome by status callback", () => {
  it('a number that does not exist is still created (201); the failure comes by callback with SIP 404: invalid-number, then the backup', async () => {
    const { result, network } = await verify(
      { targets: [PRIMARY, BACKUP] },
      { [BACKUP]: { entries: [typed('#', 0)] } },
      { callbackDelayMs: () => 300 },
    );
    expect(result.status).toBe('approved');
    expect(network.records.map((r) => r.to)).toEqual([PRIMARY, BACKUP]);
    expect(network.records[0]?.endedBy).toBe('network');
    expect(result.attempts[0]).toMatchObject({
      result: 'invalid-number',
      sipCode: 404,
      providerCode: null,
      callId: network.records[0]?.sid,
    });
  });

  it.each<{
    endsAs: NonNullable<NetworkCallee['endsAs']>;
    result: string;
    providerCode: string | null;
    sipCode?: number | null;
  }>([
    { endsAs: { status: 'busy', sipCode: 486 }, result: 'busy', providerCode: null },
    // Without a code the network sends the one of the status: busy is 486, a failure 500 (not 487, our cancel).
    { endsAs: { status: 'busy' }, result: 'busy', providerCode: null, sipCode: 486 },
    { endsAs: { status: 'failed' }, result: 'failed', providerCode: null, sipCode: 500 },
    { endsAs: { status: 'no-answer' }, result: 'no-answer', providerCode: null, sipCode: 480 },
    { endsAs: { status: 'failed', sipCode: 410 }, result: 'sit', providerCode: null },
    { endsAs: { status: 'failed', sipCode: 503 }, result: 'failed', providerCode: null },
    { endsAs: { status: 'failed', errorCode: '13224' }, result: 'invalid-number', providerCode: '13224' },
    { endsAs: { status: 'failed', errorCode: '13227' }, result: 'failed', providerCode: '13227' },
    { endsAs: { status: 'failed', errorCode: '32016' }, result: 'failed', providerCode: '32016' },
    { endsAs: { status: 'failed', errorCode: '32017' }, result: 'failed', providerCode: '32017' },
    { endsAs: { status: 'no-answer', sipCode: 480 }, result: 'no-answer', providerCode: null },
  ])(
    'a call Twilio ends $endsAs.status (SIP $endsAs.sipCode, error $endsAs.errorCode) becomes $result and rolls over',
    async ({ endsAs, result, providerCode, sipCode = endsAs.sipCode ?? null }) => {
      const { result: outcome, network } = await verify(
        { targets: [PRIMARY, BACKUP] },
        { [PRIMARY]: { entries: [], endsAs }, [BACKUP]: { entries: [typed('#', 0)] } },
      );
      expect(outcome.status).toBe('approved');
      expect(network.records[0]?.endedBy).toBe('network');
      expect(outcome.attempts[0]).toMatchObject({ result, providerCode, sipCode });
    },
  );

  it.each([
    [21211, 'invalid-number'],
    [21217, 'invalid-number'],
    [21214, 'failed'],
    [21215, 'failed'],
    [21216, 'failed'],
    [21210, 'failed'],
    [21212, 'failed'],
    [21219, 'failed'],
  ])('a create refused with %i (no call) becomes %s and rolls over', async (code, result) => {
    const { result: outcome, network } = await verify(
      { targets: [PRIMARY, BACKUP] },
      { [PRIMARY]: { entries: [], refusedWith: code }, [BACKUP]: { entries: [typed('#', 0)] } },
    );
    expect(outcome.status).toBe('approved');
    expect(network.records.map((r) => r.to)).toEqual([BACKUP]);
    expect(outcome.attempts[0]).toMatchObject({ result, providerCode: String(code), callId: null });
  });
});

describe('Twilio rings about 5 s past Timeout', () => {
  it('an answer 2 s after the ring time is too late: our ring timer cancels the call first', async () => {
    const { result, network } = await verify(
      { timing: { ringTimeoutMs: 30_000 } },
      { [PRIMARY]: { answerAfterMs: 32_000, entries: [typed('#', 0)] } },
    );
    expect(result).toMatchObject({ status: 'unreachable' });
    expect(result.attempts[0]).toMatchObject({ result: 'no-answer', timedOut: 'ring' });
    expect(network.records[0]).toMatchObject({ endedBy: 'rest', answeredAt: null });
  });

  it('an answer just before our cancel arrives: Twilio ignores the cancel, and the call is hung up unheard', async () => {
    // Our ring timer fires 30 s after the ring; the cancel reaches Twilio 100 ms later, after the answer.
    const { result, network } = await verify(
      { timing: { ringTimeoutMs: 30_000 } },
      { [PRIMARY]: { answerAfterMs: 30_050, entries: [typed('#', 0)] } },
      { roundTripMs: () => 400 },
    );
    await network.clock.runUntilIdle();
    expect(result.attempts[0]).toMatchObject({ result: 'no-answer', timedOut: 'ring' });
    expect(network.records[0]).toMatchObject({ ineffectiveCancels: 1, endedBy: 'twiml', pressed: '' });
    expect(network.records[0]?.answeredAt).not.toBeNull();
  });

  it("Twilio's own ring timeout ends an unanswered call with SIP 487 when no cancel came", async () => {
    const clock = new VirtualClock();
    const network = new SimulatedTwilioNetwork({ clock, callees: { [PRIMARY]: { answerAfterMs: null, entries: [] } } });
    const callbacks: Record<string, string>[] = [];
    network.connect(async (request) => {
      callbacks.push(Object.fromEntries(new URLSearchParams(request.body as string)));
      return { status: 200, contentType: 'text/xml', body: '<Response/>' };
    });
    const params = toCallCreateParams(
      {
        type: 'dial',
        attempt: 0,
        to: PRIMARY,
        extension: null,
        callerId: null,
        ringTimeoutMs: 30_000,
        dialTimeoutMs: 90_000,
        machineDetection: false,
      },
      { from: '+14255550000', publicBaseUrl: 'https://verify.example.test/twilio', token: '0'.repeat(32) },
    );
    const created = network.calls.create(params);
    await clock.runUntilIdle();
    await created;
    const ended = callbacks.find((c) => c.CallStatus === 'no-answer');
    const ringing = callbacks.find((c) => c.CallStatus === 'ringing');
    expect(ended).toMatchObject({ SipResponseCode: '487', CallDuration: '0' });
    expect(Date.parse(ended?.Timestamp ?? '') - Date.parse(ringing?.Timestamp ?? '')).toBe(35_000);
    expect(callbacks.map((c) => c.SequenceNumber)).toEqual(['0', '1', '2']);
  });
});

describe('webhooks Twilio sends twice (a retry after a connection failure)', () => {
  it.each<{ name: string; request: Partial<VerificationRequest>; keys: string; status: string; pin?: string }>([
    { name: '#', request: {}, keys: '#', status: 'approved' },
    { name: 'a wrong entry, then #', request: {}, keys: '5#', status: 'approved' },
    { name: 'the fraud code', request: {}, keys: '0#', status: 'fraud' },
    { name: 'a PIN', request: { mode: 'pin' }, keys: '4821#', status: 'approved', pin: '4821' },
  ])('every request and callback arrives twice: $name counts once', async ({ request, keys, status, pin }) => {
    const entries = keys === '5#' ? [typed('5#', 200), typed('#', 0)] : [typed(keys, 200)];
    const options = { roundTripMs: () => 300, callbackDelayMs: () => 200, ...(pin === undefined ? {} : { pin }) };
    const once = await verify(request, { [PRIMARY]: { entries } }, options);
    const twice = await verify(request, { [PRIMARY]: { entries } }, { ...options, retriedWebhooks: () => true });
    expect(twice.network.retriedWebhooks).toBeGreaterThanOrEqual(5);
    expect(twice.result.status).toBe(status);
    expect(twice.result.status).toBe(once.result.status);
    expect(twice.result.attempts.map((a) => [a.result, a.keysPressed, a.invalidEntries])).toEqual(
      once.result.attempts.map((a) => [a.result, a.keysPressed, a.invalidEntries]),
    );
    expect(twice.result.ignoredEvents).toEqual(once.result.ignoredEvents);
  });

  it('a retry sent while the first request still waits for a slow PIN check counts once', async () => {
    // The PIN check takes 1.5 s: Twilio's retry, 500 ms after each request, comes while the first one waits.
    const request: Partial<VerificationRequest> = { mode: 'pin' };
    const callees = { [PRIMARY]: { entries: [typed('4821#', 200)] } };
    const options = { roundTripMs: () => 300, pin: '4821', pinCheckMs: 1_500 };
    const once = await verify(request, callees, options);
    const twice = await verify(request, callees, { ...options, retriedWebhooks: () => true, webhookRetryAfterMs: 500 });
    expect(twice.network.retriedWebhooks).toBeGreaterThanOrEqual(3);
    expect(once.result.status).toBe('approved');
    expect(twice.result.status).toBe('approved');
    // The same, though later: each TwiML answer that runs is the retry's.
    expect(twice.result.attempts.map((a) => [a.result, a.keysPressed, a.invalidEntries])).toEqual(
      once.result.attempts.map((a) => [a.result, a.keysPressed, a.invalidEntries]),
    );
    // At least the entry's: its PIN check was still running when the retry came.
    expect(twice.network.retriedBeforeAnswer).toBeGreaterThanOrEqual(1);
    expect(twice.network.records[0]?.posted).toEqual(once.network.records[0]?.posted);
    expect(twice.result.ignoredEvents).toEqual(once.result.ignoredEvents);
  });
});

describe('keys typed after an entry is posted and before the re-prompt arrives', () => {
  // 5# is posted 1 s after the # (the entry pause); the next # comes 200 ms later, while the answer is on its way.
  const impatient = {
    [PRIMARY]: {
      entries: [{ keys: '5##', from: 'prompt-end' as const, startAfterMs: 500, gapsMs: [200, 1_200] }, typed('#', 0)],
    },
  };

  it('are lost: the entry is invalid, and only the # typed after the re-prompt approves', async () => {
    const { result, network } = await verify({}, impatient, { roundTripMs: () => 600 });
    expect(network.records[0]).toMatchObject({ pressed: '5###', lost: '#', posted: ['5#', '#'] });
    expect(result).toMatchObject({ status: 'approved', reason: 'pound-key' });
    expect(result.attempts[0]?.invalidEntries).toBe(1);
  });

  it('if Twilio buffered them, the # would reach the re-prompt and approve at once', async () => {
    const { result, network } = await verify({}, impatient, { roundTripMs: () => 600, keysBetweenGathers: 'buffered' });
    // The buffered # is the whole second entry: the one the callee keeps for after the re-prompt is never typed.
    expect(network.records[0]).toMatchObject({ pressed: '5##', lost: '', posted: ['5#', '#'] });
    expect(result).toMatchObject({ status: 'approved', reason: 'pound-key' });
    expect(result.attempts[0]?.invalidEntries).toBe(1);
    // Approved as the re-prompt starts, long before a # typed after the re-prompt (the keys lost) approves.
    const whenLost = await verify({}, impatient, { roundTripMs: () => 600 });
    const approvedAt = result.attempts[0]?.times.endedAt ?? Number.POSITIVE_INFINITY;
    expect(approvedAt).toBeLessThan((whenLost.result.attempts[0]?.times.endedAt ?? 0) - 5_000);
  });
});

describe('the switch from one chained Gather to the next (not documented: an assumption)', () => {
  // The first Gather after the greeting falls through 1 s after it; # comes 100 ms later.
  const poundAfterFirstGather = { [PRIMARY]: { entries: [typed('#', 0, 1_100)] } };

  it('with no gap, the next Gather hears the #', async () => {
    const { result, network } = await verify({}, poundAfterFirstGather, { gatherSwitchMs: 0 });
    expect(result).toMatchObject({ status: 'approved', reason: 'pound-key' });
    expect(network.lostKeys).toBe(0);
  });

  it('with a 200 ms gap, the # falls into it and is lost: no-response, never an approval', async () => {
    const { result, network } = await verify({}, poundAfterFirstGather, { gatherSwitchMs: 200 });
    expect(network.records[0]).toMatchObject({ pressed: '#', lost: '#', posted: [] });
    expect(result).toMatchObject({ status: 'unreachable' });
    expect(result.attempts[0]?.result).toBe('no-response');
  });

  it('with a 200 ms gap and keys buffered between Gathers, the # reaches the next one', async () => {
    const { result } = await verify({}, poundAfterFirstGather, { gatherSwitchMs: 200, keysBetweenGathers: 'buffered' });
    expect(result).toMatchObject({ status: 'approved', reason: 'pound-key' });
  });
});

describe("Twilio's asynchronous answering-machine detection", () => {
  it.each([
    ['human', 'approved'],
    ['unknown', 'approved'],
    ['machine_start', 'voicemail'],
    ['machine_end_beep', 'voicemail'],
    ['machine_end_silence', 'voicemail'],
    ['machine_end_other', 'voicemail'],
    ['fax', 'voicemail'],
  ])('AnsweredBy=%s posted during the greeting: the primary ends %s', async (answeredBy, primaryResult) => {
    const { result, network } = await verify(
      { targets: [PRIMARY, BACKUP], answeringMachineDetection: true },
      {
        [PRIMARY]: { entries: [typed('#', 0)], answeredBy, answeredByAfterMs: 2_000 },
        [BACKUP]: { entries: [typed('#', 0)], answeredBy: 'human' },
      },
      { callbackDelayMs: () => 300 },
    );
    expect(result.status).toBe('approved');
    expect(result.attempts[0]?.result).toBe(primaryResult);
    expect(network.records[0]?.amdPosted).toBe(answeredBy);
    if (primaryResult === 'voicemail') expect(network.records[0]?.pressed).toBe('');
  });

  it('a machine verdict after the # reached us changes nothing (a person is there)', async () => {
    // # during the greeting at 1 s; the Gather posts it 1 s later and it reaches us at 3 s; the verdict comes at 6 s.
    const bargeIn = { keys: '#', from: 'prompt-start' as const, startAfterMs: 1_000, gapsMs: [] };
    const { result, network } = await verify(
      { answeringMachineDetection: true },
      { [PRIMARY]: { entries: [bargeIn], answeredBy: 'machine_end_other', answeredByAfterMs: 6_000 } },
      { roundTripMs: () => 2_000 },
    );
    await network.clock.runUntilIdle();
    expect(result).toMatchObject({ status: 'approved', reason: 'pound-key' });
    expect(network.records[0]?.amdPosted).toBe('machine_end_other');
  });

  it('a machine verdict that overtakes a # still on its way: voicemail and rollover, the # never counts', async () => {
    // # at 1 s, posted at 2 s, reaching us at 3 s; the (wrong) verdict reaches us at 2.2 s.
    const bargeIn = { keys: '#', from: 'prompt-start' as const, startAfterMs: 1_000, gapsMs: [] };
    const { result } = await verify(
      { targets: [PRIMARY, BACKUP], answeringMachineDetection: true },
      {
        [PRIMARY]: { entries: [bargeIn], answeredBy: 'machine_start', answeredByAfterMs: 2_200 },
        [BACKUP]: { entries: [typed('#', 0)] },
      },
      { roundTripMs: () => 2_000 },
    );
    expect(result.status).toBe('approved');
    expect(result.attempts.map((a) => [a.result, a.keysPressed])).toEqual([
      ['voicemail', 0],
      ['approved', 1],
    ]);
  });

  it('without detection asked for, no verdict is posted', async () => {
    const { result, network } = await verify(
      {},
      { [PRIMARY]: { entries: [typed('#', 0)], answeredBy: 'machine_start' } },
    );
    expect(result.status).toBe('approved');
    expect(network.records[0]?.amdPosted).toBeNull();
  });
});
