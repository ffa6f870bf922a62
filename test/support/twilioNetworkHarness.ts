/**
 * A verification run end to end on the simulated Twilio network: the runtime,
 * the real Twilio provider (its TwiML, webhooks and REST effects) and the
 * network, all on one virtual clock.
 */
import type { VerificationResult } from '../../src/machine/outcomes.js';
import type { VerificationRequest } from '../../src/machine/types.js';
import {
  type KeyCollectionStyle,
  TwilioVoiceProvider,
  type TwilioVoiceProviderOptions,
} from '../../src/providers/twilio/index.js';
import { VirtualClock } from '../../src/runtime/clock.js';
import { runVerification } from '../../src/runtime/runVerification.js';
import { ACCOUNT_SID, AUTH_TOKEN, PUBLIC_BASE_URL } from './twilioFake.js';
import {
  type CalleeEntry,
  type NetworkCallee,
  SimulatedTwilioNetwork,
  type TwilioNetworkOptions,
} from './twilioNetwork.js';

export interface NetworkRun {
  result: VerificationResult;
  network: SimulatedTwilioNetwork;
}

export interface NetworkRunOptions extends Partial<Omit<TwilioNetworkOptions, 'clock' | 'callees'>> {
  keyCollection?: KeyCollectionStyle;
  /** The PIN the host's verifier accepts. */
  pin?: string;
  /** How long the host's PIN check takes, on the network's clock. Default 0 (it answers at once). */
  pinCheckMs?: number;
}

export const NETWORK_CALLER_ID = '+14255550000';

/** A Twilio provider whose REST calls and webhooks go through `network`. */
export function twilioProviderOn(
  network: SimulatedTwilioNetwork,
  options: Partial<TwilioVoiceProviderOptions> = {},
): TwilioVoiceProvider {
  const provider = new TwilioVoiceProvider({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    publicBaseUrl: PUBLIC_BASE_URL,
    defaultCallerId: NETWORK_CALLER_ID,
    calls: network.calls,
    clock: network.clock,
    ...options,
  });
  network.connect((webhook) => provider.handleWebhook(webhook));
  return provider;
}

/** Runs one verification of `request` against `callees` on a fresh network. */
export async function verifyOnTwilioNetwork(
  request: VerificationRequest,
  callees: Record<string, NetworkCallee>,
  options: NetworkRunOptions = {},
): Promise<NetworkRun> {
  const clock = new VirtualClock();
  const { keyCollection, pin, pinCheckMs = 0, ...networkOptions } = options;
  const network = new SimulatedTwilioNetwork({ clock, callees, ...networkOptions });
  const provider = twilioProviderOn(network, keyCollection === undefined ? {} : { keyCollection });
  const result = await runVerification(request, {
    provider,
    clock,
    ...(pin === undefined ? {} : { verifyPin: (entry: string) => checkedAfter(clock, pinCheckMs, entry === pin) }),
  });
  return { result, network };
}

/** A check's answer, at once or after `delayMs` of the clock. */
function checkedAfter(clock: VirtualClock, delayMs: number, matches: boolean): boolean | Promise<boolean> {
  if (delayMs === 0) return matches;
  return new Promise((resolve) => clock.setTimeout(() => resolve(matches), delayMs));
}

/** An entry typed `gapMs` apart, starting `startAfterMs` after the prompt ends. */
export function typed(keys: string, gapMs: number, startAfterMs = 500): CalleeEntry {
  return {
    keys,
    from: 'prompt-end',
    startAfterMs,
    gapsMs: Array.from({ length: Math.max(0, keys.length - 1) }, () => gapMs),
  };
}
