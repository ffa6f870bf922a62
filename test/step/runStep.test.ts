/**
 * One durable step on its own (docs/durable-service.md, "One step at a time" and
 * "Deadlines are data"): what it commits for a tick, for an event, and for
 * deadlines found late.
 */
import { describe, expect, it, vi } from 'vitest';
import type { JsonValue } from '../../src/json.js';
import type { Timing } from '../../src/machine/types.js';
import { maskPhoneNumber } from '../../src/phone/maskPhoneNumber.js';
import { SimulatedCarrier } from '../../src/providers/simulated/simulatedCarrier.js';
import type { Reception } from '../../src/providers/types.js';
import { normalizeVerificationRequest } from '../../src/request/normalizeRequest.js';
import { VirtualClock } from '../../src/runtime/clock.js';
import { createVerificationMachine } from '../../src/runtime/createVerificationActor.js';
import {
  awaitsDial,
  newStoredVerification,
  runStep,
  type StepInput,
  type StepSettings,
} from '../../src/step/runStep.js';
import { CorruptRecordError } from '../../src/store/errors.js';
import type { StepWrite, StoredVerification } from '../../src/store/types.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';
const START = 1_000_000;

function setUp(timing: Partial<Timing> = {}, pin: string | null = null, targets: string[] = [PRIMARY]) {
  const provider = new SimulatedCarrier({ clock: new VirtualClock(), numbers: {} });
  const settings: StepSettings = {
    machine: createVerificationMachine(pin === null ? {} : { verifyPin: (entry) => entry === pin }),
    provider,
    instance: 'test',
    outageThresholdMs: 10_000,
    checkTimeoutMs: 5_000,
    finishedHooks: ['finished'],
  };
  const input = normalizeVerificationRequest(
    { targets, timing, mode: pin === null ? 'standard' : 'pin' },
    {
      startedAt: START,
      hasPinVerifier: pin !== null,
      providerEnforcesInputTimeout: provider.capabilities.enforcesInputTimeout,
      providerOffersMachineDetection: provider.capabilities.machineDetection,
    },
  );
  let stored: StoredVerification = newStoredVerification('v-1', input, provider.initialState(), null, START);
  /** Runs a step at `now` and keeps what it wrote as the stored record. */
  const step = async (input: StepInput, now: number) => {
    const outcome = await runStep(settings, stored, input, now);
    if (outcome.write !== null) stored = outcome.write.verification;
    return outcome;
  };
  const event = (e: Record<string, unknown> & { type: string }, now: number) => step({ kind: 'event', event: e }, now);
  return { settings, provider, step, event, stored: () => stored };
}

const writeOf = (outcome: { write: StepWrite | null }): StepWrite => {
  if (outcome.write === null) throw new Error('the step wrote nothing');
  return outcome.write;
};

describe('a durable step', () => {
  it("gives the host's number check what it is asked about, as runVerification does: not the machine's deadline", async () => {
    const checkNumber = vi.fn(async () => ({ ok: true as const, e164: PRIMARY, extension: null, country: 'US' }));
    const { settings, step } = setUp();
    settings.machine = createVerificationMachine({ checkNumber });
    await step({ kind: 'start' }, START);
    expect(checkNumber.mock.calls).toEqual([[{ index: 0, target: PRIMARY, defaultCountry: null }]]);
  });

  it('writes nothing for a tick that finds no deadline due', async () => {
    const t = setUp();
    await t.step({ kind: 'start' }, START);
    const dueAt = t.stored().dueAt ?? 0;
    expect(dueAt).toBeGreaterThan(START);

    const early = await t.step({ kind: 'tick' }, dueAt - 1);
    expect(early).toEqual({ write: null, answer: null, finished: null });
    expect(t.stored().version).toBe(1);

    const due = await t.step({ kind: 'tick' }, dueAt);
    expect(writeOf(due).verification.version).toBe(2);
  });
  it('keeps no deadline for a finished verification, and runs its finished hooks in the step that finished it only', async () => {
    const t = setUp();
    await t.step({ kind: 'start' }, START);
    const canceled = writeOf(await t.step({ kind: 'cancel' }, START + 500));
    expect(canceled.verification.status).toBe('finished');
    expect(canceled.audit.map((row) => [row.kind, row.what])).toEqual([
      ['input', 'cancel'],
      ['attempt', 'canceled'],
      ['final', 'canceled'],
    ]);
    expect(canceled.verification.dueAt).toBeNull();
    expect(canceled.outbox.map((entry) => entry.payload)).toContainEqual({ kind: 'finished' });

    // An event after the end is logged, and changes nothing: no deadline, no second run of the hooks.
    const late = writeOf(await t.event({ type: 'call.ringing', callId: 'call-late' }, START + 600));
    expect(late.verification.dueAt).toBeNull();
    expect(late.outbox).toEqual([]);
    expect(late.audit.map((row) => row.what)).toEqual(['call.ringing']);
  });

  it('records a message that reported nothing with the provider’s reason while the verification runs, and after the end once it ended', async () => {
    const t = setUp();
    await t.step({ kind: 'start' }, START);
    vi.spyOn(t.provider, 'receive').mockImplementation((state: JsonValue) => ({
      state,
      events: [],
      answer: null,
      audit: { what: 'call created', reason: 'stale' },
    }));
    // @ts-expect-error A provider names only reasons the audit log knows.
    const unknownReason: Reception<JsonValue>['audit'] = { what: 'call created', reason: 'ignored' };
    expect(unknownReason?.reason).toBe('ignored');
    const message = { kind: 'inbound', inbound: {}, idempotencyKey: null } as const;
    const rowsOf = (write: StepWrite) => write.audit.map((row) => [row.what, row.reason]);
    expect(rowsOf(writeOf(await t.step(message, START + 100)))).toEqual([['call created', 'stale']]);
    await t.step({ kind: 'cancel' }, START + 200);
    expect(rowsOf(writeOf(await t.step(message, START + 300)))).toEqual([['call created', 'after the end']]);
  });

  it('stores the answer to a keyed message for its retries only when the answer is text', async () => {
    const t = setUp();
    await t.step({ kind: 'start' }, START);
    let answer: string | null = null;
    vi.spyOn(t.provider, 'receive').mockImplementation((state: JsonValue) => ({ state, events: [], answer }));
    const inbound = (key: string) =>
      t.step({ kind: 'inbound', inbound: { note: key }, idempotencyKey: key }, START + 100);

    const unanswered = writeOf(await inbound('k-1'));
    expect(unanswered.answer).toBeUndefined();
    answer = 'ok';
    const answered = writeOf(await inbound('k-2'));
    expect(answered.answer).toEqual({ key: 'k-2', value: 'ok' });
  });
  it('logs keys as a count (never the digits) with the attempt they came in, the number masked, the legacy code and the final reason', async () => {
    const t = setUp();
    await t.step({ kind: 'start' }, START);
    await t.event({ type: 'call.dialed', attempt: 0, callId: 'call-1' }, START + 100);
    await t.event({ type: 'call.answered', callId: 'call-1' }, START + 2_000);
    const approved = writeOf(await t.event({ type: 'call.digits', callId: 'call-1', digits: '#' }, START + 4_000));
    expect(approved.audit.map((row) => [row.kind, row.what])).toEqual([
      ['input', 'call.digits (1 key)'],
      ['attempt', 'approved'],
      ['final', 'approved'],
    ]);
    const [input, attempt, final] = approved.audit;
    expect(input?.attempt).toBe(0);
    expect(attempt?.number).toBe(maskPhoneNumber(PRIMARY));
    expect(attempt?.legacyCode).toBe('SUCCESS_NO_PIN');
    expect(final?.reason).toBe('pound-key');
    expect(JSON.stringify(approved.audit)).not.toContain('5550100');
  });
  it("records a PIN approval with MFA Server's legacy code for it", async () => {
    const t = setUp({}, '4821');
    await t.step({ kind: 'start' }, START);
    await t.event({ type: 'call.dialed', attempt: 0, callId: 'call-1' }, START + 100);
    await t.event({ type: 'call.answered', callId: 'call-1' }, START + 2_000);
    const approved = writeOf(await t.event({ type: 'call.digits', callId: 'call-1', digits: '4821#' }, START + 3_000));
    expect(approved.verification.status).toBe('finished');
    const attempt = approved.audit.find((row) => row.kind === 'attempt');
    expect([attempt?.result, attempt?.legacyCode]).toEqual(['approved', 'SUCCESS_WITH_PIN']);
    expect(JSON.stringify(approved)).not.toContain('4821');
  });
  it('refuses a stored record that voice-mfa did not write, as a corrupt record', async () => {
    const t = setUp();
    await t.step({ kind: 'start' }, START);
    const stored = t.stored();
    const { status: _status, ...withoutStatus } = stored.snapshot as Record<string, JsonValue>;
    const damaged = [
      { ...stored, snapshot: withoutStatus },
      { ...stored, input: { ...(stored.input as Record<string, JsonValue>), targets: null } },
    ];
    for (const record of damaged) {
      await expect(runStep(t.settings, record, { kind: 'tick' }, START + 1)).rejects.toBeInstanceOf(CorruptRecordError);
    }
  });
  it("stamps a provider's event with the step's time, and takes only provider events", async () => {
    const t = setUp();
    await t.step({ kind: 'start' }, START);
    await t.event({ type: 'call.dialed', attempt: 0, callId: 'call-1' }, START + 100);
    // A time the event brings with it is not believed: the network's reports are untrusted.
    await t.event({ type: 'call.answered', callId: 'call-1', at: START + 100_000 }, START + 2_000);
    // Nor may the network act as the host: a cancel comes from the host only.
    const hostEvent = writeOf(await t.event({ type: 'verification.cancel', at: START + 3_000 }, START + 3_000));
    expect(hostEvent.verification.status).toBe('active');
    expect(hostEvent.audit.map((row) => row.what)).toEqual(['malformed event']);

    const canceled = await t.step({ kind: 'cancel' }, START + 4_000);
    expect(canceled.finished?.attempts[0]?.times.answeredAt).toBe(START + 2_000);
  });
  it('logs an ended attempt once, in the step that ended it, and gives every outbox entry its own id and the time of its step', async () => {
    const t = setUp({}, null, [PRIMARY, BACKUP]);
    const writes = [writeOf(await t.step({ kind: 'start' }, START))];
    const failed = { status: 'busy', sipCode: 486 };
    writes.push(writeOf(await t.event({ type: 'call.dialFailed', attempt: 0, ending: failed }, START + 100)));
    expect(writes[1]?.audit.map((row) => [row.kind, row.what])).toEqual([
      ['input', 'call.dialFailed'],
      ['attempt', 'busy'],
    ]);
    writes.push(writeOf(await t.event({ type: 'call.dialed', attempt: 1, callId: 'call-2' }, START + 200)));
    expect(writes[2]?.audit.map((row) => row.what)).toEqual(['call.dialed']);
    writes.push(writeOf(await t.step({ kind: 'cancel' }, START + 300)));

    const ids = writes.flatMap((write) => write.outbox.map((entry) => entry.id));
    expect(ids.length).toBeGreaterThanOrEqual(4); // two dials, the hang-up, the finished hook
    expect(new Set(ids).size).toBe(ids.length);
    // Stamped with the commit's time: a sweep takes an entry for one left by a stopped instance only orphanAfterMs later.
    expect(writes.map((write) => write.outbox.map((entry) => entry.createdAt))).toEqual(
      writes.map((write) => write.outbox.map(() => write.verification.updatedAt)),
    );
  });
  it('waits for the dial of the attempt under way only, not for one of an attempt that ended', async () => {
    const t = setUp({ ringTimeoutMs: 20_000, dialTimeoutMs: 20_000 }, null, [PRIMARY, BACKUP]);
    await t.step({ kind: 'start' }, START);
    expect(awaitsDial(t.settings.machine, t.stored(), 0)).toBe(true);
    // The primary's dial was never answered by the provider: its bound ends it, and the backup is dialled.
    await t.step({ kind: 'tick' }, START + 20_000);
    expect(awaitsDial(t.settings.machine, t.stored(), 0)).toBe(false);
    expect(awaitsDial(t.settings.machine, t.stored(), 1)).toBe(true);
  });
  it('takes a deadline found more than outageThresholdMs after it fell due as missed while no instance ran', async () => {
    const replayedAt = async (lateByMs: number) => {
      const t = setUp();
      await t.step({ kind: 'start' }, START);
      const dueAt = t.stored().dueAt ?? 0;
      const { audit } = writeOf(await t.step({ kind: 'tick' }, dueAt + lateByMs));
      return audit.map((row) => row.replayed);
    };
    expect(await replayedAt(10_000)).not.toContain(true);
    expect(await replayedAt(10_001)).not.toContain(false);
  });
});
