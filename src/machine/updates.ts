/**
 * The machine's context updates, as pure functions of the context, the event
 * and the action's params. The machine registers each as a named `assign`,
 * and {@link coalesceUpdates} merges the updates a transition lists one after
 * another into one `assign`: XState copies the context and rebuilds its
 * snapshot for every `assign`, which is most of what a transition costs.
 *
 * @module
 */
import { assign } from 'xstate';
import { classifyUnansweredEnding } from './callProgress.js';
import { type AcceptedNumber, extensionPauseMs, readNumberCheckResult } from './checks.js';
import type { PromptKind } from './commands.js';
import {
  chooseCallerId,
  createAttemptRecord,
  currentAttempt,
  type DeadlineKind,
  eventTime,
  inputTimerMs,
  keysHeldDuringCheck,
  keysToDeliverAfterCheck,
  patchCurrentAttempt,
  totalDeadlineAt,
  type VerificationContext,
} from './context.js';
import { judgeTimeout, scanKeys } from './entry.js';
import type { CallEnding, VerificationEvent } from './events.js';
import { classifyIgnoredEvent } from './ignoredEvents.js';
import type { AttemptResult, VerificationReason, VerificationStatus } from './outcomes.js';
import { MAX_DIGITS_PER_EVENT } from './validateEvent.js';

/** A change of the context: the fields it sets. */
export type Update<P = undefined> = (
  context: VerificationContext,
  event: VerificationEvent,
  params: P,
) => Partial<VerificationContext>;

/** Keys held during a PIN check: as many as one report may carry, since they are handed on as one. */
const MAX_KEYS_HELD = MAX_DIGITS_PER_EVENT;

const keysOf = (event: VerificationEvent): string => (event.type === 'call.digits' ? event.digits : '');

/** The verdict of `keys` on the entry so far. */
const scanContextKeys = (context: VerificationContext, keys: string) =>
  scanKeys({ entry: context.entry, invalidEntries: currentAttempt(context)?.invalidEntries ?? 0 }, keys, {
    mode: context.input.mode,
    fraudCode: context.input.fraudCode,
    maxInvalidEntries: context.input.timing.maxInvalidEntries,
  });

/** The verdict of the keys an event carries on the entry so far. */
export const scanEventKeys = (context: VerificationContext, event: VerificationEvent) =>
  scanContextKeys(context, keysOf(event));

/** The verdict of an input timeout on the entry so far. */
export const judgeEntryTimeout = (context: VerificationContext) =>
  judgeTimeout(
    { entry: context.entry, invalidEntries: currentAttempt(context)?.invalidEntries ?? 0 },
    context.input.timing.maxInvalidEntries,
  );

/** What an event says about how the call ended; tones heard on a call end it as the network's verdict. */
export const endingOf = (event: VerificationEvent): CallEnding | null => {
  if (event.type === 'call.ended' || event.type === 'call.dialFailed') return event.ending;
  if (event.type !== 'call.progressTone') return null;
  if (event.tone === 'busy') return { status: 'busy' };
  return { status: 'sit', sitKind: event.tone === 'reorder' ? 'reorder' : (event.sitKind ?? 'unknown') };
};

const endingCodes = (ending: CallEnding) => ({
  sipCode: ending.sipCode ?? null,
  q850Cause: ending.q850Cause ?? null,
  providerCode: ending.providerCode ?? null,
});

const invalidInputResult = (context: VerificationContext): AttemptResult =>
  context.input.mode === 'pin' ? 'pin-failed' : 'invalid-input';

const emptyTimes = () => ({ dialedAt: null, ringingAt: null, answeredAt: null, greetingEndedAt: null, endedAt: null });

/** When a state's deadline of `kind`, armed now, falls due. */
const deadlineAt = (context: VerificationContext, kind: DeadlineKind): number => {
  const { timing } = context.input;
  const dialEndsAt = (currentAttempt(context)?.times.dialedAt ?? context.now) + timing.dialTimeoutMs;
  switch (kind) {
    case 'dial':
      return dialEndsAt;
    case 'ring':
      // Ringing counts from the first ring, and the whole dial stays bounded.
      return Math.min(context.now + timing.ringTimeoutMs, dialEndsAt);
    case 'watchdog':
      return context.now + timing.promptWatchdogMs;
    case 'extension':
      // The pauses are ours: a greeting started before they end would hear our own keys as the callee's.
      return context.now + extensionPauseMs(currentAttempt(context)?.target.extension ?? '') + timing.promptWatchdogMs;
    case 'input':
      return context.now + inputTimerMs(context.input);
    case 'grace':
      return context.now + timing.endingGraceMs;
  }
};

const endAttemptWith = (context: VerificationContext, result: AttemptResult) =>
  patchCurrentAttempt(context, (a) => ({ result, times: { ...a.times, endedAt: context.now } }));

const observeTime: Update = (context, event) => ({ now: eventTime(context, event) });
// A deadline happened at its due time, whatever the time of the tick that found it due.
const observeDeadline: Update = (context) => ({ now: Math.max(context.now, context.deadline?.at ?? context.now) });
const observeTotalDeadline: Update = (context) => ({ now: Math.max(context.now, totalDeadlineAt(context)) });
const setDeadline: Update<{ kind: DeadlineKind }> = (context, _, params) => ({
  deadline: { kind: params.kind, at: deadlineAt(context, params.kind) },
});
const clearDeadline: Update = () => ({ deadline: null });
// The verification ended at a deadline before the event it carried could be delivered: that event came too late.
const countCarried: Update = (context, event) =>
  event.type === 'verification.tick' && event.redeliver !== undefined
    ? { ignoredEvents: { ...context.ignoredEvents, stale: context.ignoredEvents.stale + 1 } }
    : {};
const countIgnored: Update = (context, event) => {
  const kind = classifyIgnoredEvent(context, event);
  return { ignoredEvents: { ...context.ignoredEvents, [kind]: context.ignoredEvents[kind] + 1 } };
};
/**
 * The attempt after the last one ended (or the first): a rollover needs no
 * update of its own. Not a named update: the machine's `openAttempt` also asks
 * a bound number check, which a merged run of updates would skip.
 */
export const openAttempt = (context: VerificationContext): Partial<VerificationContext> => ({
  attemptIndex: context.attempts.length,
  attempts: [...context.attempts, createAttemptRecord(context, context.attempts.length)],
  liveCallId: null,
  callPhase: 'none',
  entry: '',
  endedBeforeVerdict: null,
  // A number check has no deadline of its own; the total one bounds it.
  deadline: null,
});

/** The rule of an attempt whose number check answered outside its contract. */
export const MALFORMED_CHECK_RESULT = 'MALFORMED_CHECK_RESULT';

/** Whether a number check's answer accepts the number, in the shape the contract gives; any other answer refuses it. */
export const isAcceptedNumber = (output: unknown): output is AcceptedNumber =>
  readNumberCheckResult(output)?.ok === true;

/**
 * The current attempt with the number check's answer: the number to dial, or
 * the refusal as the attempt's result. An answer outside the check's contract
 * fails the attempt, as a check that throws does, with the rule
 * {@link MALFORMED_CHECK_RESULT}.
 */
export const answerNumberCheck = (context: VerificationContext, output: unknown): Partial<VerificationContext> => {
  const answer = readNumberCheckResult(output);
  if (answer?.ok === true) {
    return {
      attempts: patchCurrentAttempt(context, (attempt) => ({
        target: { ...attempt.target, e164: answer.e164, extension: answer.extension, country: answer.country },
        callerId: chooseCallerId(context.input.callerId, answer.country) ?? answer.callerId ?? null,
      })),
    };
  }
  return {
    attempts: patchCurrentAttempt(context, () => ({
      result: answer === null ? 'failed' : answer.result,
      rule: answer === null ? MALFORMED_CHECK_RESULT : answer.rule,
      times: { ...emptyTimes(), endedAt: context.now },
    })),
  };
};

const takeNumberCheck: Update = (context, event) =>
  answerNumberCheck(context, 'output' in event ? (event as { output?: unknown }).output : undefined);

// Once the machine is done its output holds the attempts: the context need not keep a second copy in every snapshot.
const handOverAttempts: Update = () => ({ attempts: [] });
const failNumberCheck: Update = (context) => ({
  attempts: patchCurrentAttempt(context, () => ({
    result: 'failed',
    rule: 'NUMBER_CHECK_ERROR',
    times: { ...emptyTimes(), endedAt: context.now },
  })),
});
const markDialed: Update = (context) => {
  const attempt = currentAttempt(context);
  if (attempt === undefined || attempt.target.e164 === null) return {};
  return { attempts: patchCurrentAttempt(context, (a) => ({ times: { ...a.times, dialedAt: context.now } })) };
};
const takeCall: Update = (context, event) => ({
  liveCallId: event.type === 'call.dialed' ? event.callId : context.liveCallId,
  callPhase: 'placed',
  attempts: patchCurrentAttempt(context, () => ({ callId: event.type === 'call.dialed' ? event.callId : null })),
});
const markRinging: Update = (context) => ({
  callPhase: 'ringing',
  attempts: patchCurrentAttempt(context, (a) => ({ times: { ...a.times, ringingAt: context.now } })),
});
const markAnswered: Update = (context) => ({
  callPhase: 'answered',
  attempts: patchCurrentAttempt(context, (a) => ({ times: { ...a.times, answeredAt: context.now } })),
});
const endUnanswered: Update = (context, event) => {
  const ending = endingOf(event) ?? { status: 'failed' as const };
  const { result, sitKind } = classifyUnansweredEnding(ending);
  return {
    liveCallId: null,
    attempts: patchCurrentAttempt(context, (a) => ({
      result,
      sitKind,
      ...endingCodes(ending),
      times: { ...a.times, endedAt: context.now },
    })),
  };
};
const recordCallEnded: Update = (context, event) => {
  const ending = endingOf(event);
  return {
    liveCallId: null,
    attempts: ending === null ? context.attempts : patchCurrentAttempt(context, () => endingCodes(ending)),
  };
};
const recordDialTimeout: Update = (context) => ({
  attempts: patchCurrentAttempt(context, (a) => {
    const ringingAt = a.times.ringingAt;
    const rangFully =
      context.deadline?.kind === 'ring' &&
      ringingAt !== null &&
      context.deadline.at - ringingAt >= context.input.timing.ringTimeoutMs;
    return { timedOut: rangFully ? 'ring' : 'dial' };
  }),
});
const endAttempt: Update<{ result: AttemptResult }> = (context, _, params) => ({
  attempts: endAttemptWith(context, params.result),
});
const endAttemptForInvalidInput: Update = (context) => ({
  attempts: endAttemptWith(context, invalidInputResult(context)),
});
const endOpenAttemptAsCanceled: Update = (context) =>
  currentAttempt(context)?.result === null ? { attempts: endAttemptWith(context, 'canceled') } : {};
/** The live call was hung up: it is no longer live (the `hangUp` command went out just before). */
const forgetLiveCall: Update = () => ({ liveCallId: null });
const recordAnsweredBy: Update = (context, event) =>
  event.type === 'call.answeredBy'
    ? { attempts: patchCurrentAttempt(context, () => ({ answeredBy: event.answeredBy })) }
    : {};
/** Extension digits go out now (when there is a call and an extension): they count as a prompt. */
const markExtensionStarted: Update = (context) =>
  context.liveCallId === null || (currentAttempt(context)?.target.extension ?? null) === null
    ? {}
    : { promptStartedAt: context.now };
/** A prompt goes out now (when there is a call), with the next sequence number. */
const nextPrompt: Update = (context) =>
  context.liveCallId === null ? {} : { promptSeq: context.promptSeq + 1, promptStartedAt: context.now };
const markGreetingEnded: Update = (context) => ({
  attempts: patchCurrentAttempt(context, (a) => ({
    times: { ...a.times, greetingEndedAt: a.times.greetingEndedAt ?? context.now },
  })),
});
// The provider's timeout proves the prompt ended an input timeout ago at the latest: earlier than
// a watchdog that fired meanwhile may have recorded.
const markPromptEndedBeforeTimeout: Update = (context) => ({
  attempts: patchCurrentAttempt(context, (a) => ({
    times: {
      ...a.times,
      greetingEndedAt: Math.min(
        a.times.greetingEndedAt ?? Number.POSITIVE_INFINITY,
        Math.max(context.promptStartedAt, context.now - context.input.timing.inputTimeoutMs),
      ),
    },
  })),
});
/**
 * The verdict of `keys` on the entry so far, what of them is held for after a
 * PIN check (keys after a PIN's `#` are the next entry's), and how many count
 * as pressed: those judged, and those held.
 */
const judgeKeys = (context: VerificationContext, keys: string) => {
  const result = scanContextKeys(context, keys);
  const held = result.verdict === 'check-pin' ? keys.slice(result.keysTaken) : '';
  return { result, held, counted: result.keysTaken + held.length };
};

const takeKeys: Update = (context, event) => {
  const { result, held, counted } = judgeKeys(context, keysOf(event));
  return {
    entry: result.entry,
    keysDuringCheck: held.slice(0, MAX_KEYS_HELD),
    attempts: patchCurrentAttempt(context, (a) => ({
      keysPressed: a.keysPressed + counted,
      invalidEntries: result.invalidEntries,
    })),
  };
};
// Keys typed while the PIN is checked count, and wait for its verdict.
const holdKeysDuringCheck: Update = (context, event) => ({
  keysDuringCheck: (keysHeldDuringCheck(context) + keysOf(event)).slice(0, MAX_KEYS_HELD),
  attempts: patchCurrentAttempt(context, (a) => ({ keysPressed: a.keysPressed + keysOf(event).length })),
});
// The held keys are handed on once the PIN was judged wrong (after `takeWrongPin`): raised as the call's keys,
// whose judging counts again the keys it takes, which were counted when held.
const releaseKeysDuringCheck: Update = (context) => {
  const delivered = keysToDeliverAfterCheck(context);
  const recounted = delivered === '' ? 0 : judgeKeys(context, delivered).counted;
  return {
    keysDuringCheck: '',
    attempts:
      recounted === 0
        ? context.attempts
        : patchCurrentAttempt(context, (a) => ({ keysPressed: a.keysPressed - recounted })),
  };
};
const takeTimeout: Update = (context) => {
  const { invalidEntries } = judgeEntryTimeout(context);
  return { entry: '', attempts: patchCurrentAttempt(context, () => ({ invalidEntries })) };
};
const takeWrongPin: Update = (context) => ({
  entry: '',
  attempts: patchCurrentAttempt(context, (a) => ({ invalidEntries: a.invalidEntries + 1 })),
});
const clearEntry: Update = () => ({ entry: '', keysDuringCheck: '' });
const setReprompt: Update<{ kind: PromptKind }> = (_, __, params) => ({ repromptKind: params.kind });
const setRepromptForWrongEntry: Update = (context) => ({
  repromptKind: context.input.mode === 'pin' ? 'incorrect-pin' : 'invalid-entry',
});
const holdEnding: Update = (_, event) => ({ endedBeforeVerdict: endingOf(event) });
const holdEndingDuringPinCheck: Update = (context, event) => {
  const ending = endingOf(event);
  return {
    endedBeforeVerdict: ending,
    liveCallId: null,
    attempts: ending === null ? context.attempts : patchCurrentAttempt(context, () => endingCodes(ending)),
  };
};
const conclude: Update<{ status: VerificationStatus; reason: VerificationReason }> = (_, __, params) => ({
  outcome: params,
});
const concludeApproval: Update = (context) => ({
  outcome: { status: 'approved', reason: context.input.mode === 'pin' ? 'pin' : 'pound-key' },
});
// A total deadline found only when the service ran again after missing it says so.
const concludeExpired: Update = (_, event) => ({
  outcome: {
    status: 'expired',
    reason: event.type === 'verification.tick' && event.resumed === true ? 'service-interrupted' : 'deadline',
  },
});
const concludeInvalidInput: Update = (context) => ({
  outcome: { status: 'denied', reason: context.input.mode === 'pin' ? 'pin-failed' : 'invalid-input' },
});

/** Every context update of the machine, by the name its transitions use. */
export const UPDATES = {
  observeTime,
  observeDeadline,
  observeTotalDeadline,
  setDeadline,
  clearDeadline,
  countCarried,
  countIgnored,
  takeNumberCheck,
  handOverAttempts,
  failNumberCheck,
  markDialed,
  takeCall,
  markRinging,
  markAnswered,
  endUnanswered,
  recordCallEnded,
  recordDialTimeout,
  endAttempt,
  endAttemptForInvalidInput,
  endOpenAttemptAsCanceled,
  forgetLiveCall,
  recordAnsweredBy,
  markExtensionStarted,
  nextPrompt,
  markGreetingEnded,
  markPromptEndedBeforeTimeout,
  takeKeys,
  holdKeysDuringCheck,
  releaseKeysDuringCheck,
  takeTimeout,
  takeWrongPin,
  clearEntry,
  setReprompt,
  setRepromptForWrongEntry,
  holdEnding,
  holdEndingDuringPinCheck,
  conclude,
  concludeApproval,
  concludeExpired,
  concludeInvalidInput,
};

type UpdateName = keyof typeof UPDATES;
type ParamsOf<N extends UpdateName> = Parameters<(typeof UPDATES)[N]>[2];

/** One update as a named `assign` action of the machine. */
export function updateAction<N extends UpdateName>(name: N) {
  const update = UPDATES[name] as Update<ParamsOf<N>>;
  return assign<VerificationContext, VerificationEvent, ParamsOf<N>, VerificationEvent, never>(
    ({ context, event }, params) => update(context, event, params),
  );
}

/** An action as a machine config lists it: a name, or a name with params. */
export type ActionReference = string | { type: string; params?: unknown } | ((...args: never[]) => unknown);

/** Whether a listed action is one of {@link UPDATES}. */
export const isUpdate = (action: ActionReference): action is UpdateName | { type: UpdateName; params?: unknown } =>
  typeof action === 'string'
    ? Object.hasOwn(UPDATES, action)
    : typeof action === 'object' && Object.hasOwn(UPDATES, action.type);

/** One `assign` that applies, in order, updates a list named one after another. */
function mergedUpdate(run: readonly (UpdateName | { type: UpdateName; params?: unknown })[]) {
  const steps = run.map((action) =>
    typeof action === 'string'
      ? { update: UPDATES[action] as Update<unknown>, params: undefined }
      : { update: UPDATES[action.type] as Update<unknown>, params: action.params },
  );
  return assign<VerificationContext, VerificationEvent, undefined, VerificationEvent, never>(({ context, event }) => {
    const next = { ...context };
    for (const { update, params } of steps) Object.assign(next, update(next, event, params));
    return next;
  });
}

/** An action list with every run of two or more updates merged into one `assign`. */
function coalesceList(actions: unknown): unknown {
  if (!Array.isArray(actions)) return actions;
  const result: unknown[] = [];
  let run: (UpdateName | { type: UpdateName; params?: unknown })[] = [];
  const flush = () => {
    if (run.length === 1) result.push(run[0]);
    else if (run.length > 1) result.push(mergedUpdate(run));
    run = [];
  };
  for (const action of actions as ActionReference[]) {
    if (isUpdate(action)) run.push(action);
    else {
      flush();
      result.push(action);
    }
  }
  flush();
  return result;
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/**
 * A state's config with each of its transitions (`on`, `always`, an invoked
 * actor's `onDone`, `onError` and `onSnapshot`) replaced by what `map` makes of
 * it, one transition at a time; the rest of the state as it was.
 */
export function mapStateTransitions(state: Record<string, unknown>, map: (transition: unknown) => unknown) {
  const mapAll = (transitions: unknown) => (Array.isArray(transitions) ? transitions.map(map) : map(transitions));
  const config = { ...state };
  if (isObject(config.on)) {
    config.on = Object.fromEntries(Object.entries(config.on).map(([type, t]) => [type, mapAll(t)]));
  }
  if (config.always !== undefined) config.always = mapAll(config.always);
  if (isObject(config.invoke)) {
    const invoke = { ...config.invoke };
    for (const key of ['onDone', 'onError', 'onSnapshot'] as const) {
      if (invoke[key] !== undefined) invoke[key] = mapAll(invoke[key]);
    }
    config.invoke = invoke;
  }
  return config;
}

/** A transition with its actions coalesced. */
const coalesceTransition = (transition: unknown): unknown =>
  isObject(transition) && 'actions' in transition
    ? { ...transition, actions: coalesceList(transition.actions) }
    : transition;

/**
 * A machine config whose action lists apply consecutive updates as one
 * `assign` each: the same changes in the same order, with one copy of the
 * context and one new snapshot instead of several. Nothing else changes.
 */
export function coalesceUpdates<C>(config: C): C {
  if (!isObject(config)) return config;
  const state = mapStateTransitions(config, coalesceTransition);
  for (const key of ['entry', 'exit'] as const) if (key in state) state[key] = coalesceList(state[key]);
  if (isObject(state.states)) {
    state.states = Object.fromEntries(Object.entries(state.states).map(([name, s]) => [name, coalesceUpdates(s)]));
  }
  return state as C;
}
