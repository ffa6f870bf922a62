/**
 * One durable step of one verification: restore the machine from the stored
 * record, fire the deadlines already due (in due order, each at its own time),
 * apply the input, let the host's checks answer, and turn the outcome into
 * what the store commits in one transaction — the new snapshot, the earliest
 * deadline, the provider's state, audit rows, and the effects to run after the
 * commit (the outbox).
 *
 * @module
 */
import type { JsonValue } from '../json.js';
import type { ProviderCommand } from '../machine/commands.js';
import { earliestDeadlineAt, type VerificationContext } from '../machine/context.js';
import type { ProviderEvent, VerificationEvent } from '../machine/events.js';
import { IGNORED_KINDS } from '../machine/ignoredEvents.js';
import { attemptsOf, type VerificationResult } from '../machine/outcomes.js';
import type { VerificationInput } from '../machine/types.js';
import { isProviderEventType, isWellFormedEvent } from '../machine/validateEvent.js';
import type { VerificationCallMachine } from '../machine/verificationCallMachine.js';
import {
  type DurableContext,
  type DurableVoiceProvider,
  IGNORED_MESSAGE_REASONS,
  type IgnoredMessageReason,
  type ProviderEffect,
  type Reception,
} from '../providers/types.js';
import { MAX_DURATION_MS } from '../store/options.js';
import type { AuditEntry, OutboxEntry, StepWrite, StoredVerification } from '../store/types.js';
import { type AuditScope, attemptRow, describeEventForAudit, finalRow, inputRow } from './auditRows.js';
import { CHECK_SETTLE_GRACE_MS } from './checkTimes.js';
import { createStepActor, persistActor, restoreStepActor, type VerificationActor } from './machineSnapshots.js';
import { awaitsDialOf, reachedState, relevantCommands } from './relevantCommands.js';

/** What runs a step: the machine (built once), the provider, and a few limits. */
export interface StepSettings {
  machine: VerificationCallMachine;
  provider: DurableVoiceProvider<JsonValue, unknown>;
  /** Name of this instance, for the audit log. */
  instance: string;
  /** A deadline found more than this much after it fell due was missed while no instance ran: its step is a replay. */
  outageThresholdMs: number;
  /** Longest the host's checks (number, PIN) may take in a step; the machine was built with them bounded so (`withinTimeLimit`). */
  checkTimeoutMs: number;
  /** The hooks run once a verification finished, each its own outbox entry, in this order. */
  finishedHooks: readonly FinishedHook[];
}

/** A hook run, at least once, after a verification finished: feeding the abuse limits, the host's `onFinished`. */
export type FinishedHook = 'abuse' | 'finished';

/** What a step applies. */
export type StepInput =
  | { kind: 'start' }
  | { kind: 'tick' }
  | { kind: 'cancel' }
  /** An event from the provider, e.g. what a carrier reported or what an effect learnt. */
  | { kind: 'event'; event: unknown }
  /** A message for the provider to read first, e.g. a webhook; a retry has the same idempotency key. */
  | { kind: 'inbound'; inbound: unknown; idempotencyKey: string | null };

/** What the outbox holds: a provider's effect, or a hook run once a verification finished. */
export type OutboxPayload = { kind: 'provider'; effect: ProviderEffect } | { kind: FinishedHook };

/** The outcome of a step. */
export interface StepOutcome {
  /** What to commit; `null` when the step changed nothing (a tick with nothing due). */
  write: StepWrite | null;
  /** The answer to the step's inbound message (e.g. TwiML), when it had one. */
  answer: string | null;
  /** The result, when the verification reached its final status in this step. */
  finished: VerificationResult | null;
}

/** Guards the replay loop: no verification has anywhere near this many deadlines. */
const MAX_DEADLINES_PER_STEP = 10_000;

/** Why an input changed nothing when it came after the verification's final status. */
const AFTER_THE_END = IGNORED_MESSAGE_REASONS.afterTheEnd;

/**
 * A verification as the store holds it before its first step: version 0, no
 * snapshot. The first step's write is what the store creates.
 */
export function newStoredVerification(
  id: string,
  input: VerificationInput,
  provider: JsonValue,
  userId: string | null,
  now: number,
): StoredVerification {
  return {
    id,
    version: 0,
    status: 'active',
    input: input as unknown as JsonValue,
    snapshot: null,
    provider,
    dueAt: null,
    result: null,
    userId,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Runs one step on a stored verification at the store's time `now`.
 *
 * @example
 * ```ts
 * const outcome = await runStep(settings, stored, { kind: 'event', event: { type: 'call.answered', callId } }, now);
 * if (outcome.write !== null) await commit(outcome.write);
 * ```
 */
export async function runStep(
  settings: StepSettings,
  stored: StoredVerification,
  input: StepInput,
  now: number,
): Promise<StepOutcome> {
  const { machine, provider } = settings;
  const actor =
    stored.snapshot === null
      ? createStepActor(machine, stored.input as unknown as VerificationInput)
      : restoreStepActor(machine, stored.id, stored.snapshot, stored.input);
  const commands: ProviderCommand[] = [];
  actor.on('*', (command) => {
    commands.push(command as ProviderCommand);
  });
  const wasFinished = stored.status === 'finished';
  actor.start();
  try {
    const audit: AuditEntry[] = [];
    const scope: AuditScope = { verificationId: stored.id, instance: settings.instance, replayed: false };
    // What each input ends is recorded as the machine reaches it, before the next input's row; what starting it
    // ended (a number refused at once) is recorded after the start's row.
    const recordEnded = endingsRecorder(actor, wasFinished, scope, audit);
    actor.subscribe({ next: recordEnded });
    const fired = fireDueDeadlines(actor, now, settings.outageThresholdMs, scope, audit);
    const durable: DurableContext = { verificationId: stored.id, now };
    let providerState = stored.provider;
    let inbound: unknown = null;
    let idempotencyKey: string | null = null;
    let reception: Reception<JsonValue> | null = null;

    switch (input.kind) {
      case 'start':
        audit.push(inputRow(scope, now, 'start'));
        break;
      case 'tick':
        if (fired === 0) return { write: null, answer: null, finished: null };
        break;
      case 'cancel':
        audit.push({ ...inputRow(scope, now, 'cancel'), reason: reasonChangedNothing(actor, null) });
        send(actor, { type: 'verification.cancel', at: now });
        break;
      case 'event':
        deliver(actor, input.event, now, scope, audit);
        break;
      case 'inbound': {
        inbound = input.inbound;
        reception = provider.receive(providerState, input.inbound, durable);
        providerState = reception.state;
        idempotencyKey = input.idempotencyKey;
        for (const event of reception.events) deliver(actor, event, now, scope, audit);
        if (reception.events.length === 0) recordUnreported(actor, reception, now, scope, audit);
        break;
      }
    }
    if (actor.getSnapshot().status === 'active') send(actor, { type: 'verification.tick', at: now });
    await settleChecks(actor, settings.checkTimeoutMs);
    recordEnded();

    const snapshot = actor.getSnapshot();
    const context = snapshot.context;
    const plan = provider.plan(providerState, relevantCommands(commands, reachedState(snapshot)), inbound, durable);

    const answer = reception?.answer ?? plan.answer;
    const done = snapshot.status === 'done';
    const finished = done && !wasFinished ? (snapshot.output as VerificationResult) : null;

    const version = stored.version + 1;
    const outbox: OutboxEntry[] = [];
    const payloads: OutboxPayload[] = [
      ...plan.effects.map((effect): OutboxPayload => ({ kind: 'provider', effect })),
      ...(finished === null ? [] : settings.finishedHooks.map((kind): OutboxPayload => ({ kind }))),
    ];
    payloads.forEach((payload, index) => {
      const delivery = payload.kind === 'provider' ? payload.effect.delivery : 'at-least-once';
      outbox.push({
        id: `${stored.id}/${version}/${index}`,
        verificationId: stored.id,
        delivery,
        payload: payload as unknown as JsonValue,
        createdAt: now,
        startedAt: null,
        leaseUntil: null,
        tries: 0,
      });
    });

    const write: StepWrite = {
      verification: {
        ...stored,
        version,
        status: done ? 'finished' : 'active',
        snapshot: persistActor(actor),
        provider: plan.state,
        dueAt: done ? null : earliestDeadlineAt(context),
        result: done ? (snapshot.output as unknown as JsonValue) : null,
        updatedAt: now,
      },
      audit,
      outbox: outbox.map(({ startedAt: _s, leaseUntil: _l, tries: _t, ...entry }) => entry),
      bindings: plan.bindings,
      ...(idempotencyKey === null || answer === null ? {} : { answer: { key: idempotencyKey, value: answer } }),
    };
    return { write, answer, finished };
  } finally {
    actor.stop();
  }
}

/**
 * Whether a stored verification still waits for the dial of `attempt`. A dial
 * is carried out after its step committed, behind the effects before it (a
 * hang-up): a later step may have ended its attempt meanwhile (a cancel, a
 * deadline, on any instance), and such a dial would place a call nobody waits
 * for. Throws `CorruptRecordError` for a snapshot this machine did not write.
 */
export function awaitsDial(machine: VerificationCallMachine, stored: StoredVerification, attempt: number): boolean {
  if (stored.status !== 'active' || stored.snapshot === null) return false;
  const actor = restoreStepActor(machine, stored.id, stored.snapshot, stored.input);
  return awaitsDialOf(reachedState(actor.getSnapshot()), attempt);
}

/** Sends an event to the machine; one that has ended takes nothing more (the input is still in the audit log). */
function send(actor: VerificationActor, event: VerificationEvent): void {
  if (actor.getSnapshot().status === 'active') actor.send(event);
}

/**
 * Delivers a provider's event stamped with the step's time; a malformed one is
 * recorded and dropped. One that changed nothing is recorded with why: the
 * kind the machine counted it as (`stale`, `duplicate`, `outOfOrder`,
 * `unexpected`), or `after the end`.
 */
function deliver(actor: VerificationActor, event: unknown, now: number, scope: AuditScope, audit: AuditEntry[]): void {
  if (!isWellFormedEvent(event) || !isProviderEventType(event.type)) {
    audit.push(inputRow(scope, now, 'malformed event'));
    return;
  }
  const stamped = { ...event, at: now } as ProviderEvent;
  const before = actor.getSnapshot();
  // Pushed before the machine takes the event, so that what the event ends is recorded after it.
  const row = inputRow(scope, now, describeEventForAudit(stamped), before.context.attemptIndex);
  audit.push(row);
  if (before.status !== 'active') {
    row.reason = reasonChangedNothing(actor, null);
    return;
  }
  actor.send(stamped);
  const ignored = actor.getSnapshot().context.ignoredEvents;
  row.reason = IGNORED_KINDS.find((kind) => ignored[kind] > before.context.ignoredEvents[kind]) ?? null;
}

/**
 * Records a message that reported no event (a webhook about another call, a
 * callback after the end), so that the log holds every input, not only those
 * that reached the machine.
 */
function recordUnreported(
  actor: VerificationActor,
  reception: Reception<JsonValue>,
  now: number,
  scope: AuditScope,
  audit: AuditEntry[],
): void {
  const { what, reason } = reception.audit ?? { what: 'inbound message', reason: null };
  const row = inputRow(scope, now, what, actor.getSnapshot().context.attemptIndex);
  audit.push({ ...row, reason: reasonChangedNothing(actor, reason) });
}

/**
 * Why an input changed nothing, for the audit log: `after the end` whenever
 * the verification had ended (whatever the provider or the machine would say
 * of it), else `reason`, the provider's or the machine's.
 */
function reasonChangedNothing(
  actor: VerificationActor,
  reason: IgnoredMessageReason | null,
): IgnoredMessageReason | null {
  return actor.getSnapshot().status === 'active' ? reason : AFTER_THE_END;
}

/**
 * Records, each time it is called, the attempts that have ended since and the
 * final status once reached, so that the audit log tells what each input
 * caused before the next input: an event that comes in the same step after a
 * deadline ended the verification is logged after the final status, as an
 * event after the end. Called as an observer of the actor, after each of its
 * steps, and once more at the end of the step.
 */
function endingsRecorder(
  actor: VerificationActor,
  wasFinished: boolean,
  scope: AuditScope,
  audit: AuditEntry[],
): () => void {
  const recorded = new Set(
    attemptsOf(actor.getSnapshot())
      .filter((attempt) => attempt.result !== null)
      .map((attempt) => attempt.index),
  );
  let finalRecorded = wasFinished;
  return () => {
    const snapshot = actor.getSnapshot();
    for (const attempt of attemptsOf(snapshot)) {
      if (attempt.result === null || recorded.has(attempt.index)) continue;
      recorded.add(attempt.index);
      audit.push(attemptRow(scope, attempt, snapshot.context.input.mode));
    }
    if (!finalRecorded && snapshot.status === 'done') {
      finalRecorded = true;
      audit.push(finalRow(scope, snapshot.output as VerificationResult));
    }
  };
}

/** Which deadline falls due at `at`: the state's own, or the total one. */
function deadlineName(context: VerificationContext, at: number): string {
  return context.deadline !== null && context.deadline.at === at ? context.deadline.kind : 'total';
}

/**
 * Fires, one at a time in due order, every deadline due by `now`, each at its
 * own due time. Deadlines found later than the outage threshold were missed
 * while no instance ran: the step is then a replay (and a total deadline ends
 * the verification as interrupted). Returns how many fired.
 */
function fireDueDeadlines(
  actor: VerificationActor,
  now: number,
  outageThresholdMs: number,
  scope: AuditScope,
  audit: AuditEntry[],
): number {
  let fired = 0;
  while (fired < MAX_DEADLINES_PER_STEP) {
    const snapshot = actor.getSnapshot();
    if (snapshot.status !== 'active') break;
    const due = earliestDeadlineAt(snapshot.context);
    if (due > now) break;
    const resumed = now - due > outageThresholdMs;
    if (resumed) scope.replayed = true;
    audit.push(inputRow(scope, due, `deadline (${deadlineName(snapshot.context, due)})`));
    send(actor, resumed ? { type: 'verification.tick', at: due, resumed } : { type: 'verification.tick', at: due });
    fired++;
  }
  return fired;
}

/**
 * Waits until the host's checks the machine invoked (number, PIN) have
 * answered and the machine has moved on. Each check is bounded by `timeoutMs`
 * (see `withinTimeLimit`), and a check that failed may roll over to the next
 * number's check in the same step, so the wait lasts as long as the machine
 * keeps moving. A step never commits while a check is running: that would store
 * the check's input (a typed PIN) and leave nobody to hear its answer. Throws,
 * so that nothing is committed, if the machine stands still with a check
 * running well after the limit.
 */
async function settleChecks(actor: VerificationActor, timeoutMs: number): Promise<void> {
  const running = (): boolean =>
    actor.getSnapshot().status === 'active' &&
    Object.values(actor.getSnapshot().children).some((child) => child?.getSnapshot().status === 'active');
  let deadline = Date.now() + timeoutMs + CHECK_SETTLE_GRACE_MS;
  while (running()) {
    if (Date.now() >= deadline) {
      throw new Error(`a check of the machine did not settle within ${timeoutMs} ms; nothing was committed`);
    }
    const moved = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), Math.min(MAX_DURATION_MS, Math.max(0, deadline - Date.now())));
      const subscription = actor.subscribe({
        next: () => done(true),
        complete: () => done(true),
        error: () => done(true),
      });
      function done(changed: boolean): void {
        clearTimeout(timer);
        subscription.unsubscribe();
        resolve(changed);
      }
    });
    if (moved) deadline = Date.now() + timeoutMs + CHECK_SETTLE_GRACE_MS;
  }
}
