/**
 * Whole verifications per second of real time, three ways over the same
 * flows: through `runVerification` and the simulated carrier (the library as
 * users run it), the same provider events into a bare XState actor of the
 * machine, and the same events into a hand-written reducer of the rules.
 */
import {
  createNumberCheck,
  normalizeVerificationRequest,
  type ProviderEvent,
  runVerification,
  SimulatedCarrier,
  type VerificationResult,
  VirtualClock,
  type VoiceProvider,
} from '../src/index.js';
import type { HostChecks } from '../src/machine/checks.js';
import { createPreparedActor } from '../src/runtime/createVerificationActor.js';
import type { BenchFlow } from './flows.js';
import { runHandWritten } from './handWritten.js';

export type StampedEvent = ProviderEvent & { at: number };

/** What a flow ends with, for comparing the three ways. */
export interface FlowOutcome {
  status: string | null;
  reason: string | null;
  results: (string | null)[];
}

export const outcomeOf = (result: VerificationResult): FlowOutcome => ({
  status: result.status,
  reason: result.reason,
  results: result.attempts.map((attempt) => attempt.result),
});

/** A provider that hands every event it emits to `record`, stamped with the clock, as the runtime stamps it. */
function recording(provider: VoiceProvider, clock: VirtualClock, record: (event: StampedEvent) => void): VoiceProvider {
  return {
    name: provider.name,
    capabilities: provider.capabilities,
    openSession: (context) =>
      provider.openSession({
        ...context,
        emit: (event) => {
          record({ ...event, at: clock.now() } as StampedEvent);
          context.emit(event);
        },
      }),
  };
}

/** A simulated carrier with the callees of `flow`. */
export function carrierFor(flow: BenchFlow, clock: VirtualClock): SimulatedCarrier {
  return new SimulatedCarrier({ clock, numbers: flow.numbers });
}

/** One verification of `flow` through runVerification and `provider`: the promise of its result. */
export function startRuntimeFlow(
  flow: BenchFlow,
  clock: VirtualClock,
  provider: VoiceProvider,
): Promise<VerificationResult> {
  return runVerification(flow.request, { provider, clock, verifyPin: flow.verifyPin });
}

/** One verification of `flow` through runVerification and a simulated carrier of its own, to its outcome. */
export function runRuntimeFlow(
  flow: BenchFlow,
  clock = new VirtualClock(),
  record?: (event: StampedEvent) => void,
): Promise<FlowOutcome> {
  const carrier = carrierFor(flow, clock);
  const provider = record === undefined ? carrier : recording(carrier, clock, record);
  // Chained rather than awaited: no suspended frame of the bench's own per verification.
  return startRuntimeFlow(flow, clock, provider).then(outcomeOf);
}

/** Lets promise callbacks (the machine's invoked number and PIN checks) run. */
async function drainMicrotasks(): Promise<void> {
  for (let i = 0; i < 8; i++) await null;
}

/**
 * A flow recorded once, ready to be replayed: its events, the host's checks
 * made once and the request normalised once (the bare actor pays for neither).
 */
export interface PreparedFlow {
  flow: BenchFlow;
  events: StampedEvent[];
  expected: FlowOutcome;
  checks: HostChecks;
  input: ReturnType<typeof normalizeVerificationRequest>;
}

export async function prepareFlow(flow: BenchFlow): Promise<PreparedFlow> {
  const events: StampedEvent[] = [];
  const expected = await runRuntimeFlow(flow, new VirtualClock(), (event) => events.push(event));
  const carrier = carrierFor(flow, new VirtualClock());
  // The library's number check, as the runtime binds it to each actor of the one machine.
  const checks: HostChecks = { checkNumber: createNumberCheck(), verifyPin: flow.verifyPin };
  const input = normalizeVerificationRequest(flow.request, {
    startedAt: 0,
    hasPinVerifier: flow.verifyPin !== undefined,
    providerEnforcesInputTimeout: carrier.capabilities.enforcesInputTimeout,
    providerOffersMachineDetection: carrier.capabilities.machineDetection,
  });
  return { flow, events, expected, checks, input };
}

/** The recorded events into a bare actor of the machine on a virtual clock; its own timers fire between them. */
export async function runBareActor(prepared: PreparedFlow): Promise<FlowOutcome> {
  const clock = new VirtualClock({ autoAdvance: false });
  // A fresh input per run, as the runtime makes one per verification, with the checks bound as the runtime binds them.
  const actor = createPreparedActor({ input: { ...prepared.input }, checks: prepared.checks, clock });
  actor.start();
  await drainMicrotasks();
  for (const event of prepared.events) {
    clock.advanceBy(event.at - clock.now());
    await drainMicrotasks();
    actor.send(event);
    await drainMicrotasks();
  }
  while (actor.getSnapshot().status === 'active' && clock.fireNext()) await drainMicrotasks();
  const snapshot = actor.getSnapshot();
  actor.stop();
  return snapshot.output === undefined
    ? { status: null, reason: null, results: [] }
    : outcomeOf(snapshot.output as VerificationResult);
}

/** The recorded events into the hand-written reducer. */
export function runHandWrittenFlow(prepared: PreparedFlow): FlowOutcome {
  const { flow } = prepared;
  return runHandWritten(
    flow.request.mode ?? 'standard',
    flow.request.targets.length,
    prepared.events,
    flow.verifyPin ?? (() => false),
  );
}

/** Throws unless the three ways agree on every flow. */
export async function checkSameOutcomes(prepared: readonly PreparedFlow[]): Promise<void> {
  for (const flow of prepared) {
    const expected = JSON.stringify(flow.expected);
    const bare = JSON.stringify(await runBareActor(flow));
    const handWritten = JSON.stringify(runHandWrittenFlow(flow));
    if (bare !== expected || handWritten !== expected) {
      throw new Error(
        `${flow.flow.name}: the library ended ${expected}, the bare actor ${bare}, the hand-written reducer ${handWritten}`,
      );
    }
  }
}

/** Verifications per second of `run` over `flows` in turn, for at least `minMs`. */
export async function perSecond<T>(flows: readonly T[], run: (flow: T) => unknown, minMs: number): Promise<number> {
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (const flow of flows) {
      await run(flow);
      count++;
    }
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return (count / elapsed) * 1000;
}
