/**
 * SPEC rules on the real Twilio provider, run on the simulated Twilio network
 * with Twilio's key model (a key pressed while no `<Gather>` runs is lost):
 * whatever the webhook round trips (0–1 500 ms), with one webhook in five sent
 * twice (Twilio's retry), and however fast a person types (down to 80 ms
 * between keys), no key is lost and the verification ends
 * as the entries typed say — the same as with no network delay at all. Against
 * one Gather per key, the same property fails.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { VerificationStatus } from '../../src/machine/outcomes.js';
import type { VerificationRequest } from '../../src/machine/types.js';
import type { KeyCollectionStyle } from '../../src/providers/twilio/index.js';
import { DEFAULT_ENTRY_PAUSE_SECONDS } from '../../src/providers/twilio/keyCollection.js';
import type { CalleeEntry, NetworkCallee } from '../support/twilioNetwork.js';
import { verifyOnTwilioNetwork } from '../support/twilioNetworkHarness.js';
import { assertProperty, PROPERTY_RUNS, PROPERTY_TIMEOUT_MS } from './support/property.js';

const PRIMARY = '+14255550100';
const MAX_INVALID_ENTRIES = 3;
const FASTEST_TYPING_MS = 80;
const MAX_ROUND_TRIP_MS = 1_500;

type Mode = 'standard' | 'pin';

interface KeyScenario {
  mode: Mode;
  pin: string;
  fraudCode: '0' | false;
  entries: CalleeEntry[];
  /** After the last key: hang up this much later, or wait for the farewell. */
  hangUpAfterLastKeyMs: number | null;
  /** Seed of the network's delays. */
  seed: number;
}

/** What an entry is, before its keys are chosen: the PIN is only known once the scenario is. */
type EntryKind = 'pound' | 'fraud' | 'right-pin' | 'wrong-pin' | 'invalid' | 'no-pound';

const entryKeys = (kind: EntryKind, pin: string, junk: string): string => {
  switch (kind) {
    case 'pound':
      return '#';
    case 'fraud':
      return '0#';
    case 'right-pin':
      return `${pin}#`;
    case 'wrong-pin':
      return `${pin.slice(0, -1)}${(Number(pin.at(-1)) + 1) % 10}#`;
    case 'invalid':
      return `${junk}#`;
    case 'no-pound':
      return junk;
  }
};

/**
 * A person's typing: gaps from 80 ms up to just under the entry pause — a
 * longer pause inside an entry ends it (docs/twilio.md, "Collecting keys").
 */
function entryArb(mode: Mode, pin: string): fc.Arbitrary<CalleeEntry> {
  const longestGapMs = DEFAULT_ENTRY_PAUSE_SECONDS[mode] * 1_000 - 150;
  const kinds: EntryKind[] =
    mode === 'standard'
      ? ['pound', 'fraud', 'invalid', 'no-pound']
      : ['right-pin', 'wrong-pin', 'pound', 'fraud', 'invalid', 'no-pound'];
  return fc
    .record({
      kind: fc.constantFrom(...kinds),
      // Junk never starts with the fraud code's 0, so that it is never the fraud code by accident.
      junk: fc.stringMatching(/^[1-9][0-9*]{0,5}$/),
      from: fc.constantFrom('prompt-start' as const, 'prompt-end' as const),
      startAfterMs: fc.integer({ min: 0, max: 4_000 }),
      gapsMs: fc.array(fc.integer({ min: FASTEST_TYPING_MS, max: longestGapMs }), { minLength: 40, maxLength: 40 }),
    })
    .map(({ kind, junk, from, startAfterMs, gapsMs }) => {
      const keys = entryKeys(kind, pin, junk);
      return { keys, from, startAfterMs, gapsMs: gapsMs.slice(0, keys.length - 1) };
    });
}

const keyScenarioArb: fc.Arbitrary<KeyScenario> = fc
  .record({
    mode: fc.constantFrom<Mode>('standard', 'pin'),
    pin: fc.stringMatching(/^[1-9][0-9]{3,7}$/),
    fraudCode: fc.constantFrom('0' as const, false as const),
  })
  .chain(({ mode, pin, fraudCode }) =>
    fc.record({
      mode: fc.constant(mode),
      pin: fc.constant(pin),
      fraudCode: fc.constant(fraudCode),
      entries: fc.array(entryArb(mode, pin), { minLength: 1, maxLength: MAX_INVALID_ENTRIES + 1 }),
      hangUpAfterLastKeyMs: fc.option(fc.integer({ min: 0, max: 4_000 }), { nil: null }),
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    }),
  );

/** SPEC's table: the status the entries lead to, judged in order. */
function expectedStatus(scenario: KeyScenario): VerificationStatus {
  let invalid = 0;
  for (const { keys } of scenario.entries) {
    const entry = keys.endsWith('#') ? keys.slice(0, -1) : null;
    if (entry !== null && scenario.fraudCode !== false && entry === scenario.fraudCode) return 'fraud';
    if (entry !== null && scenario.mode === 'standard' && entry === '') return 'approved';
    if (entry !== null && scenario.mode === 'pin' && entry === scenario.pin) return 'approved';
    invalid++;
    if (invalid >= MAX_INVALID_ENTRIES) return 'denied';
  }
  // Entries ran out: hanging up is a denial; silence after a prompt is no response, and no target is left.
  return scenario.hangUpAfterLastKeyMs === null ? 'unreachable' : 'denied';
}

/** Deterministic delays from a seed (a small linear congruential generator). */
function delays(seed: number, maxMs: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return Math.floor((state / 2 ** 32) * (maxMs + 1));
  };
}

async function run(scenario: KeyScenario, keyCollection: KeyCollectionStyle, maxDelayMs: number) {
  const request: VerificationRequest = {
    targets: [PRIMARY],
    mode: scenario.mode,
    fraudCode: scenario.fraudCode,
    timing: { maxInvalidEntries: MAX_INVALID_ENTRIES },
  };
  const callee: NetworkCallee = { entries: scenario.entries, hangUpAfterLastKeyMs: scenario.hangUpAfterLastKeyMs };
  const retry = delays(scenario.seed ^ 0x2545f491, 9);
  return verifyOnTwilioNetwork(
    request,
    { [PRIMARY]: callee },
    {
      keyCollection,
      pin: scenario.pin,
      roundTripMs: delays(scenario.seed, maxDelayMs),
      callbackDelayMs: delays(scenario.seed ^ 0x5bd1e995, maxDelayMs),
      // Assumed: a Gather cut short by a hang-up posts its keys (docs/twilio.md says what if not).
      keysAtHangUp: 'posted',
      // With delays, one webhook in five also reaches us twice, as Twilio's retry after a connection failure does.
      ...(maxDelayMs > 0 ? { retriedWebhooks: () => retry() < 2 } : {}),
    },
  );
}

/** What the whole-entry runs covered, so that a generator that stopped reaching a case is noticed. */
const seen = { statuses: new Set<VerificationStatus>(), modes: new Set<Mode>(), keysPostedAtHangUp: 0, bargeIns: 0 };

/** The property: nothing lost, and the status the entries say, with and without network delay. */
async function keysAllCount(scenario: KeyScenario, keyCollection: KeyCollectionStyle): Promise<void> {
  const calm = await run(scenario, keyCollection, 0);
  const busy = await run(scenario, keyCollection, MAX_ROUND_TRIP_MS);
  expect(busy.network.lostKeys, 'keys lost between Gathers').toBe(0);
  // Calls in progress are ended with `completed`: Twilio ignores `canceled` for them.
  expect(busy.network.records.map((r) => r.ineffectiveCancels)).toEqual(busy.network.records.map(() => 0));
  expect(busy.result.status).toBe(calm.result.status);
  expect(calm.result.status).toBe(expectedStatus(scenario));
  if (keyCollection !== 'whole-entry') return;
  seen.statuses.add(busy.result.status);
  seen.modes.add(scenario.mode);
  if (busy.network.records.some((r) => r.postedAtHangUp !== null)) seen.keysPostedAtHangUp++;
  if (scenario.entries.some((e) => e.from === 'prompt-start')) seen.bargeIns++;
}

describe('Twilio key collection under network delay', () => {
  afterAll(() => {
    if (PROPERTY_RUNS < 200 || seen.modes.size === 0) return;
    expect([...seen.statuses].sort()).toEqual(['approved', 'denied', 'fraud', 'unreachable']);
    expect([...seen.modes].sort()).toEqual(['pin', 'standard']);
    expect(seen.keysPostedAtHangUp).toBeGreaterThan(0);
    expect(seen.bargeIns).toBeGreaterThan(0);
  });

  it(
    'whole-entry: no key is lost and the status is the one with no delay, in every mode',
    async () => {
      await assertProperty(keyScenarioArb, (scenario) => keysAllCount(scenario, 'whole-entry'));
    },
    PROPERTY_TIMEOUT_MS * 2,
  );

  it(
    'key-by-key: the same property fails — keys typed during a round trip are lost',
    async () => {
      const details = await fc.check(
        fc.asyncProperty(keyScenarioArb, (scenario) => keysAllCount(scenario, 'key-by-key')),
        { numRuns: Math.min(PROPERTY_RUNS, 200) },
      );
      expect(details.failed).toBe(true);
      const [counterexample] = details.counterexample ?? [];
      expect(counterexample).toBeDefined();
      const lost = await run(counterexample as KeyScenario, 'key-by-key', MAX_ROUND_TRIP_MS);
      const calm = await run(counterexample as KeyScenario, 'key-by-key', 0);
      // The shrunk counterexample loses keys to the round trips, or changes the outcome with them.
      expect(lost.network.lostKeys > 0 || lost.result.status !== calm.result.status).toBe(true);
    },
    PROPERTY_TIMEOUT_MS,
  );
});
