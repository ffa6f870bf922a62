/**
 * The verification-call state machine: one verification, from the number check
 * of the primary target to a final status. It does no I/O: it emits
 * {@link ProviderCommand}s and receives {@link VerificationEvent}s.
 *
 * @module
 */
import {
  and,
  assign,
  cancel,
  emit,
  enqueueActions,
  not,
  raise,
  type StateMachine,
  type StateSchema,
  setup,
} from 'xstate';
import {
  checkBoundNumberAtOnce,
  defaultNumberCheckActor,
  defaultPinCheckActor,
  type NumberCheckInput,
  takeCheckAnswerTime,
} from './checks.js';
import type { PromptKind, ProviderCommand } from './commands.js';
import {
  createInitialContext,
  currentAttempt,
  earliestDeadlineAt,
  isStateDeadlineDue,
  keysToDeliverAfterCheck,
  totalDeadlineAt,
  type VerificationContext,
} from './context.js';
import type { EntryVerdict, TimeoutVerdict } from './entry.js';
import type { ProviderEvent, TickEvent, VerificationEvent } from './events.js';
import { hoistEntryUpdates } from './hoistEntryUpdates.js';
import type { VerificationResult } from './outcomes.js';
import { buildPromptSegments, promptOf, toSegments } from './prompts.js';
import type { Prompts, VerificationInput } from './types.js';
import {
  answerNumberCheck,
  coalesceUpdates,
  isAcceptedNumber,
  judgeEntryTimeout,
  openAttempt,
  scanEventKeys,
  UPDATES,
  updateAction,
} from './updates.js';
import { isWellFormedEvent, isWellFormedTick } from './validateEvent.js';

type Farewell = keyof Pick<Prompts, 'approved' | 'fraudReported' | 'denied'>;

const ROLLOVER = '#verification.calling.rollover';
/**
 * The one XState timer of a verification: it fires at the earliest deadline to
 * come, the state's own or the total one, and every state that can last arms
 * it on entry and disarms it on exit. One timer instead of two keeps a parked
 * verification smaller (XState keeps each pending timer in per-actor tables).
 */
const DEADLINE_TIMER = 'deadline';

/**
 * Judging deadlines by event time: an event stamped at or after a deadline
 * first lets that deadline fire (a tick to the event's time, carrying the
 * event), and is then delivered to whatever state the deadlines left. Every
 * handler of an outside event starts with it, so delivery order never decides.
 */
const CATCH_UP = { guard: 'isPastDeadline', actions: 'catchUpFirst' } as const;

const liveCallId = (context: VerificationContext, event: unknown): boolean =>
  isWellFormedEvent(event) && 'callId' in event && event.callId === context.liveCallId;

/** An event of `type` for the attempt's call, reported after it ended while its verdict is still open. */
const endedCallEvent = (context: VerificationContext, event: VerificationEvent, type: ProviderEvent['type']): boolean =>
  isWellFormedEvent(event) &&
  event.type === type &&
  context.endedBeforeVerdict !== null &&
  'callId' in event &&
  event.callId === currentAttempt(context)?.callId;

const ANSWERED = '#verification.calling.answered';

/** The live call answered: its extension's digits go first when the target has one, else the greeting. */
const ANSWER = [
  CATCH_UP,
  { guard: and(['isLiveCallEvent', 'hasExtension']), target: `${ANSWERED}.sendingExtension` },
  { guard: 'isLiveCallEvent', target: `${ANSWERED}.greeting` },
] as const;

/** What the number check is asked about the current attempt's target. */
const numberCheckInput = (context: VerificationContext): NumberCheckInput => ({
  index: context.attemptIndex,
  target: context.input.targets[context.attemptIndex] ?? '',
  defaultCountry: context.input.defaultCountry,
});

/**
 * A prompt playing: its end, reported or at its watchdog, starts the input
 * timer; keys and a provider's input timeout count during it (barge-in). The
 * greeting's end is recorded on the attempt.
 */
const promptState = (kind: 'greeting' | 'reprompt') => {
  const ended = kind === 'greeting' ? (['markGreetingEnded'] as const) : ([] as const);
  return {
    // The prompt, numbered, and its watchdog.
    entry: [
      'nextPrompt',
      { type: 'setDeadline', params: { kind: 'watchdog' } },
      { type: 'playPrompt', params: { kind } },
      'scheduleDeadline',
    ],
    exit: 'disarmDeadline',
    on: {
      'verification.tick': {
        guard: 'stateDeadlineDue',
        target: 'waitingForInput',
        actions: ['observeDeadline', ...ended, 'continueTick'],
      },
      'call.promptFinished': [
        CATCH_UP,
        { guard: 'isCurrentPromptEnd', target: 'waitingForInput', actions: ['observeTime', ...ended] },
      ],
      'call.digits': [CATCH_UP, ...keyTransitions()],
      'call.inputTimeout': [CATCH_UP, ...timeoutTransitions('provider')],
    },
  } as const;
};

/**
 * The dial bound or the ring timer ran out: the call, when there is one, is
 * hung up and forgotten, and the attempt ends with `result`.
 */
const dialTimedOut = (result: 'no-answer' | 'failed', call: 'hang up' | 'no call') =>
  ({
    target: ROLLOVER,
    actions:
      call === 'hang up'
        ? ([
            { type: 'hangUp', params: { farewell: null } },
            'observeDeadline',
            'recordDialTimeout',
            { type: 'endAttempt', params: { result } },
            'forgetLiveCall',
            'continueTick',
          ] as const)
        : ([
            'observeDeadline',
            'recordDialTimeout',
            { type: 'endAttempt', params: { result } },
            'continueTick',
          ] as const),
  }) as const;

/** Tones heard on the call: hang up and end the attempt with the result they mean (`sit` with its kind, `busy`). */
const END_BY_TONES = [
  { type: 'hangUp', params: { farewell: null } },
  'observeTime',
  'clearEntry',
  'forgetLiveCall',
  'endUnanswered',
] as const;

/**
 * Transitions for the verdicts that end an entry's call or check it, shared by
 * keys on the live call (`keysGive`) and keys reported in the grace after a
 * hang-up (`keysAfterEndGive`). After a hang-up there is no live call, so the
 * farewell's `hangUp` does nothing.
 */
const decidingKeyTransitions = <G extends 'keysGive' | 'keysAfterEndGive'>(guard: G) =>
  [
    {
      guard: { type: guard, params: { verdict: 'approved' } },
      target: '#verification.approved',
      actions: [
        { type: 'hangUp', params: { farewell: 'approved' } },
        'observeTime',
        'markGreetingEnded',
        'takeKeys',
        { type: 'endAttempt', params: { result: 'approved' } },
        'forgetLiveCall',
        'concludeApproval',
      ],
    },
    {
      guard: { type: guard, params: { verdict: 'fraud' } },
      target: '#verification.fraud',
      actions: [
        { type: 'hangUp', params: { farewell: 'fraudReported' } },
        'observeTime',
        'markGreetingEnded',
        'takeKeys',
        { type: 'endAttempt', params: { result: 'fraud' } },
        'forgetLiveCall',
        { type: 'conclude', params: { status: 'fraud', reason: 'fraud-code' } },
      ],
    },
    {
      guard: { type: guard, params: { verdict: 'exhausted' } },
      target: '#verification.denied',
      actions: [
        { type: 'hangUp', params: { farewell: 'denied' } },
        'observeTime',
        'markGreetingEnded',
        'takeKeys',
        'endAttemptForInvalidInput',
        'forgetLiveCall',
        'concludeInvalidInput',
      ],
    },
    {
      guard: { type: guard, params: { verdict: 'check-pin' } },
      target: `${ANSWERED}.checkingPin`,
      actions: ['observeTime', 'markGreetingEnded', 'takeKeys'],
    },
  ] as const;

/** Transitions for keys pressed on the live call, by the verdict on them. */
const keyTransitions = () =>
  [
    ...decidingKeyTransitions('keysGive'),
    {
      guard: { type: 'keysGive', params: { verdict: 'invalid' } },
      target: `${ANSWERED}.reprompting`,
      reenter: true,
      actions: ['observeTime', 'markGreetingEnded', 'takeKeys', 'setRepromptForWrongEntry'],
    },
    {
      // Still typing, or barge-in during a prompt: the input timer (re)starts.
      guard: { type: 'keysGive', params: { verdict: 'typing' } },
      target: `${ANSWERED}.waitingForInput`,
      reenter: true,
      actions: ['observeTime', 'markGreetingEnded', 'takeKeys'],
    },
  ] as const;

/**
 * Transitions for keys reported after the call ended (in the grace after a
 * hang-up): they were pressed before it, so they count — but nobody is there to
 * hear a re-prompt.
 */
const keysAfterEndTransitions = () =>
  [
    ...decidingKeyTransitions('keysAfterEndGive'),
    // Still typing, or an invalid entry: the grace goes on (its end is the hang-up's denial).
    { guard: 'isEndedCallKeys', actions: ['observeTime', 'markGreetingEnded', 'takeKeys'] },
  ] as const;

/**
 * Transitions for the input timeout, by the verdict on what was typed. The
 * machine's timer and a provider's timeout report share them, so both give the
 * same result.
 */
const timeoutTransitions = (reportedBy: 'timer' | 'provider') => {
  const when = (verdict: TimeoutVerdict) =>
    reportedBy === 'timer'
      ? and(['stateDeadlineDue', { type: 'timeoutGives', params: { verdict } }])
      : and(['isProviderInputTimeout', { type: 'timeoutGives', params: { verdict } }]);
  // A provider that times out on its own (Twilio's <Gather>) may never report the prompt's end.
  const observeTime =
    reportedBy === 'provider'
      ? (['observeTime', 'markPromptEndedBeforeTimeout'] as const)
      : (['observeDeadline'] as const);
  // The timer's tick goes on to the next deadline due, after the transition's updates.
  const then = reportedBy === 'provider' ? ([] as const) : (['continueTick'] as const);
  return [
    {
      guard: when('no-response'),
      target: ROLLOVER,
      actions: [
        { type: 'hangUp', params: { farewell: null } },
        ...observeTime,
        { type: 'endAttempt', params: { result: 'no-response' } },
        'forgetLiveCall',
        ...then,
      ],
    },
    {
      guard: when('exhausted'),
      target: '#verification.denied',
      actions: [
        { type: 'hangUp', params: { farewell: 'denied' } },
        ...observeTime,
        'takeTimeout',
        'endAttemptForInvalidInput',
        'forgetLiveCall',
        'concludeInvalidInput',
        ...then,
      ],
    },
    {
      guard: when('invalid'),
      target: `${ANSWERED}.reprompting`,
      reenter: true,
      actions: [...observeTime, 'takeTimeout', { type: 'setReprompt', params: { kind: 'invalid-entry' } }, ...then],
    },
  ] as const;
};

/** After a PIN check: the callee hung up meanwhile and the PIN was not right. */
const wrongPinThenHungUp = () =>
  ({
    guard: 'endedBeforeVerdict',
    target: '#verification.denied',
    actions: [
      // The PIN was judged, and wrong: it counts, as on a live call.
      'takeWrongPin',
      'clearEntry',
      { type: 'endAttempt', params: { result: 'hung-up' } },
      { type: 'conclude', params: { status: 'denied', reason: 'hung-up' } },
    ],
  }) as const;

/**
 * After a wrong PIN: denied when the limit is reached — also when the callee
 * hung up while it was checked, since the entry came first — else a hang-up
 * meanwhile denies, else re-prompt.
 */
const wrongPinTransitions = () =>
  [
    {
      guard: 'wrongPinExhausts',
      target: '#verification.denied',
      actions: [
        { type: 'hangUp', params: { farewell: 'denied' } },
        'takeWrongPin',
        'endAttemptForInvalidInput',
        'forgetLiveCall',
        'concludeInvalidInput',
      ],
    },
    {
      // The callee hung up meanwhile, but had typed another whole entry after the PIN: it came before the hang-up,
      // so it is judged as keys reported after the call's end.
      guard: and(['endedBeforeVerdict', 'holdsEntryAfterCheck']),
      target: `${ANSWERED}.endingGrace`,
      actions: ['deliverKeysDuringCheck', 'takeWrongPin', 'releaseKeysDuringCheck'],
    },
    wrongPinThenHungUp(),
    {
      // Whole entries typed after the PIN's `#` come next, as keys pressed during the re-prompt.
      target: `${ANSWERED}.reprompting`,
      actions: [
        'deliverKeysDuringCheck',
        'takeWrongPin',
        { type: 'setReprompt', params: { kind: 'incorrect-pin' } },
        'releaseKeysDuringCheck',
      ],
    },
  ] as const;

/** The machine's types, guards and actions, which every build of it shares. */
const machineSetup = setup({
  types: {
    context: {} as VerificationContext,
    events: {} as VerificationEvent,
    input: {} as VerificationInput,
    output: {} as VerificationResult,
    emitted: {} as ProviderCommand,
  },
  actors: {
    checkNumber: defaultNumberCheckActor,
    verifyPin: defaultPinCheckActor,
  },
  guards: {
    isPastDeadline: ({ context, event }) =>
      event.type !== 'verification.tick' &&
      typeof event.at === 'number' &&
      isWellFormedEvent(event) &&
      event.at >= earliestDeadlineAt(context),
    stateDeadlineDue: ({ context, event }) => isWellFormedTick(event) && isStateDeadlineDue(context, event.at),
    totalDeadlineDue: ({ context, event }) => isWellFormedTick(event) && event.at >= totalDeadlineAt(context),
    isWellFormedTick: ({ event }) => isWellFormedTick(event),
    isCurrentDialAck: ({ context, event }) =>
      event.type === 'call.dialed' && isWellFormedEvent(event) && event.attempt === context.attemptIndex,
    isCurrentDialFailure: ({ context, event }) =>
      event.type === 'call.dialFailed' && isWellFormedEvent(event) && event.attempt === context.attemptIndex,
    isUnwantedDial: ({ context, event }) =>
      event.type === 'call.dialed' && isWellFormedEvent(event) && event.callId !== context.liveCallId,
    isLiveCallEvent: ({ context, event }) => liveCallId(context, event),
    isCurrentPromptEnd: ({ context, event }) =>
      liveCallId(context, event) && event.type === 'call.promptFinished' && event.promptSeq === context.promptSeq,
    isProviderInputTimeout: ({ context, event }) =>
      liveCallId(context, event) &&
      event.type === 'call.inputTimeout' &&
      event.promptSeq === context.promptSeq &&
      context.input.inputTimeoutOwner === 'provider',
    keysGive: ({ context, event }, params: { verdict: EntryVerdict }) =>
      liveCallId(context, event) && scanEventKeys(context, event).verdict === params.verdict,
    keysAfterEndGive: ({ context, event }, params: { verdict: EntryVerdict }) =>
      endedCallEvent(context, event, 'call.digits') && scanEventKeys(context, event).verdict === params.verdict,
    timeoutGives: ({ context }, params: { verdict: TimeoutVerdict }) =>
      judgeEntryTimeout(context).verdict === params.verdict,
    hasLiveCall: ({ context }) => context.liveCallId !== null,
    hasRung: ({ context }) => currentAttempt(context)?.times.ringingAt != null,
    noKeysPressed: ({ context }) => (currentAttempt(context)?.keysPressed ?? 0) === 0,
    hasExtension: ({ context }) => (currentAttempt(context)?.target.extension ?? null) !== null,
    hasNextTarget: ({ context }) => context.attemptIndex + 1 < context.input.targets.length,
    numberAccepted: ({ event }) => 'output' in event && isAcceptedNumber(event.output),
    isTick: ({ event }) => event.type === 'verification.tick',
    attemptEnded: ({ context }) => (currentAttempt(context)?.result ?? null) !== null,
    numberToDial: ({ context }) => (currentAttempt(context)?.target.e164 ?? null) !== null,
    machineAnsweredBeforeKeys: ({ context, event }) => {
      const attempt = currentAttempt(context);
      return (
        liveCallId(context, event) &&
        context.input.machineDetection &&
        event.type === 'call.answeredBy' &&
        (event.answeredBy === 'machine' || event.answeredBy === 'fax') &&
        (attempt?.keysPressed ?? 0) === 0 &&
        // A switchboard answering an extension sounds like a machine: wait until the greeting was heard there.
        (attempt?.target.extension === null || attempt?.times.greetingEndedAt !== null)
      );
    },
    keysMayFollow: ({ context, event }) =>
      liveCallId(context, event) &&
      event.type === 'call.ended' &&
      event.ending.keysMayFollow === true &&
      context.input.timing.endingGraceMs > 0,
    isEndedCallKeys: ({ context, event }) => endedCallEvent(context, event, 'call.digits'),
    // Twilio does not order its asynchronous detection callback and the call's end either.
    isEndedCallDetection: ({ context, event }) =>
      context.input.machineDetection && endedCallEvent(context, event, 'call.answeredBy'),
    isDetectionReport: ({ context, event }) =>
      liveCallId(context, event) && context.input.machineDetection && event.type === 'call.answeredBy',
    // Once a key was pressed a person is there, whatever a detector said before or after.
    machineAnsweredWithoutKeys: ({ context }) => {
      const attempt = currentAttempt(context);
      return (attempt?.answeredBy === 'machine' || attempt?.answeredBy === 'fax') && attempt.keysPressed === 0;
    },
    pinAccepted: ({ event }) => 'output' in event && event.output === true,
    endedBeforeVerdict: ({ context }) => context.endedBeforeVerdict !== null,
    holdsEntryAfterCheck: ({ context }) => keysToDeliverAfterCheck(context) !== '',
    wrongPinExhausts: ({ context }) =>
      (currentAttempt(context)?.invalidEntries ?? 0) + 1 >= context.input.timing.maxInvalidEntries,
  },
  actions: {
    observeTime: updateAction('observeTime'),
    observeDeadline: updateAction('observeDeadline'),
    observeTotalDeadline: updateAction('observeTotalDeadline'),
    setDeadline: updateAction('setDeadline'),
    clearDeadline: updateAction('clearDeadline'),
    countCarried: updateAction('countCarried'),
    countIgnored: updateAction('countIgnored'),
    // The attempt's record, and the answer of a bound number check that answers at once (one copy of the context for both).
    openAttempt: assign(({ context, event, system }, _params: undefined) => {
      const opened = { ...context, ...openAttempt(context) };
      const answer = checkBoundNumberAtOnce(system, opened.input, numberCheckInput(opened));
      if (answer === null) return opened;
      const checked =
        'result' in answer
          ? answerNumberCheck(opened, answer.result)
          : UPDATES.failNumberCheck(opened, event, undefined);
      return { ...opened, ...checked };
    }),
    // An awaited check's done event carries no time: the time its bound check answered, when the host's clock told
    // it, is the latest the machine knows, so that what follows (a dial, a timer) is not dated from before the wait.
    observeCheckAnswer: assign(({ context, system }, _params: undefined) => {
      const at = takeCheckAnswerTime(system);
      return at === undefined || at <= context.now ? context : { ...context, now: at };
    }),
    takeNumberCheck: updateAction('takeNumberCheck'),
    failNumberCheck: updateAction('failNumberCheck'),
    handOverAttempts: updateAction('handOverAttempts'),
    markDialed: updateAction('markDialed'),
    takeCall: updateAction('takeCall'),
    markRinging: updateAction('markRinging'),
    markAnswered: updateAction('markAnswered'),
    endUnanswered: updateAction('endUnanswered'),
    recordCallEnded: updateAction('recordCallEnded'),
    recordDialTimeout: updateAction('recordDialTimeout'),
    endAttempt: updateAction('endAttempt'),
    endAttemptForInvalidInput: updateAction('endAttemptForInvalidInput'),
    endOpenAttemptAsCanceled: updateAction('endOpenAttemptAsCanceled'),
    forgetLiveCall: updateAction('forgetLiveCall'),
    recordAnsweredBy: updateAction('recordAnsweredBy'),
    markExtensionStarted: updateAction('markExtensionStarted'),
    nextPrompt: updateAction('nextPrompt'),
    markGreetingEnded: updateAction('markGreetingEnded'),
    markPromptEndedBeforeTimeout: updateAction('markPromptEndedBeforeTimeout'),
    takeKeys: updateAction('takeKeys'),
    holdKeysDuringCheck: updateAction('holdKeysDuringCheck'),
    releaseKeysDuringCheck: updateAction('releaseKeysDuringCheck'),
    takeTimeout: updateAction('takeTimeout'),
    takeWrongPin: updateAction('takeWrongPin'),
    clearEntry: updateAction('clearEntry'),
    setReprompt: updateAction('setReprompt'),
    setRepromptForWrongEntry: updateAction('setRepromptForWrongEntry'),
    holdEnding: updateAction('holdEnding'),
    holdEndingDuringPinCheck: updateAction('holdEndingDuringPinCheck'),
    conclude: updateAction('conclude'),
    concludeApproval: updateAction('concludeApproval'),
    concludeExpired: updateAction('concludeExpired'),
    concludeInvalidInput: updateAction('concludeInvalidInput'),
    // The earliest of the state's deadline (set just before by `setDeadline`, or none) and the total one.
    scheduleDeadline: raise(
      ({ context }): TickEvent => ({ type: 'verification.tick', at: earliestDeadlineAt(context) }),
      { id: DEADLINE_TIMER, delay: ({ context }) => Math.max(0, earliestDeadlineAt(context) - context.now) },
    ),
    disarmDeadline: cancel(DEADLINE_TIMER),
    catchUpFirst: raise(
      ({ event }): TickEvent => ({
        type: 'verification.tick',
        at: event.at ?? 0,
        redeliver: event as NonNullable<TickEvent['redeliver']>,
      }),
    ),
    // Once a deadline fired, the same tick looks for the next one due; when none is left it delivers its event.
    continueTick: raise(({ event }) => event as TickEvent),
    deliverCarried: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'verification.tick' && event.redeliver !== undefined) enqueue.raise(event.redeliver);
    }),
    // Whole entries held while the PIN was checked, as keys of the call (live, or ended since). Without a time of
    // their own: they were typed before the verdict, so no deadline that state sets (an ending grace of 0) is past.
    deliverKeysDuringCheck: enqueueActions(({ context, enqueue }) => {
      const digits = keysToDeliverAfterCheck(context);
      const callId =
        context.liveCallId ?? (context.endedBeforeVerdict === null ? null : currentAttempt(context)?.callId);
      if (digits === '' || callId === null || callId === undefined) return;
      enqueue.raise({ type: 'call.digits', callId, digits });
    }),
    hangUpLateCall: emit(({ context, event }) => ({
      type: 'hangUp' as const,
      callId: event.type === 'call.dialed' ? event.callId : '',
      farewell: [],
      speech: context.input.speech,
    })),
    // The dial of the attempt, after `markDialed`.
    dial: enqueueActions(({ context, enqueue }) => {
      const attempt = currentAttempt(context);
      if (attempt === undefined || attempt.target.e164 === null) return;
      enqueue.emit({
        type: 'dial',
        attempt: context.attemptIndex,
        to: attempt.target.e164,
        extension: attempt.target.extension,
        callerId: attempt.callerId,
        ringTimeoutMs: context.input.timing.ringTimeoutMs,
        dialTimeoutMs: context.input.timing.dialTimeoutMs,
        machineDetection: context.input.machineDetection,
      });
    }),
    // Hangs up the live call, if any; `forgetLiveCall` then records that it is gone.
    hangUp: enqueueActions(({ context, enqueue }, params: { farewell: Farewell | null }) => {
      if (context.liveCallId === null) return;
      enqueue.emit({
        type: 'hangUp',
        callId: context.liveCallId,
        farewell:
          params.farewell === null
            ? []
            : toSegments([promptOf(context.input.prompts, params.farewell)], {
                fraudCode: context.input.fraudCode,
                extension: null,
              }),
        speech: context.input.speech,
      });
    }),
    // The extension's digits, after `markExtensionStarted`.
    sendExtensionDigits: enqueueActions(({ context, enqueue }) => {
      const extension = currentAttempt(context)?.target.extension ?? null;
      if (context.liveCallId === null || extension === null) return;
      enqueue.emit({ type: 'sendDigits', callId: context.liveCallId, digits: extension });
    }),
    // The prompt numbered by `nextPrompt`.
    playPrompt: enqueueActions(({ context, enqueue }, params: { kind: 'greeting' | 'reprompt' }) => {
      if (context.liveCallId === null) return;
      const kind: PromptKind = params.kind === 'greeting' ? 'greeting' : context.repromptKind;
      const { input } = context;
      enqueue.emit({
        type: 'playPrompt',
        callId: context.liveCallId,
        promptSeq: context.promptSeq,
        kind,
        segments: buildPromptSegments(kind, {
          prompts: input.prompts,
          mode: input.mode,
          values: { fraudCode: input.fraudCode, extension: currentAttempt(context)?.target.extension ?? null },
        }),
        speech: input.speech,
        collect: {
          mode: input.mode,
          fraudCode: input.fraudCode,
          inputTimeoutMs: input.timing.inputTimeoutMs,
          timeoutOwner: input.inputTimeoutOwner,
        },
      });
    }),
  },
});

/**
 * The machine from its definition, `arrange` changing the config before the
 * updates it lists are coalesced.
 */
const buildMachine = (arrange: <C>(config: C) => C) =>
  machineSetup.createMachine(
    coalesceUpdates(
      arrange({
        id: 'verification',
        context: ({ input }) => createInitialContext(input),
        // XState runs every active state's exit actions once the output is taken at the final state. Keys typed but
        // never judged (a hang-up, cancel or deadline cut the entry short) must not outlive the call.
        exit: ['clearEntry', 'handOverAttempts'],
        initial: 'calling',
        states: {
          calling: {
            on: {
              'verification.tick': [
                {
                  guard: 'totalDeadlineDue',
                  target: 'expired',
                  actions: [
                    { type: 'hangUp', params: { farewell: null } },
                    'observeTotalDeadline',
                    'endOpenAttemptAsCanceled',
                    'forgetLiveCall',
                    'concludeExpired',
                  ],
                },
                // Nothing (more) is due: time has still moved on, and a carried event now finds its state.
                { guard: 'isWellFormedTick', actions: ['observeTime', 'deliverCarried'] },
                { actions: 'countIgnored' },
              ],
              'verification.cancel': [
                CATCH_UP,
                {
                  target: 'canceled',
                  actions: [
                    { type: 'hangUp', params: { farewell: null } },
                    'observeTime',
                    'endOpenAttemptAsCanceled',
                    'forgetLiveCall',
                    { type: 'conclude', params: { status: 'canceled', reason: 'host-canceled' } },
                  ],
                },
              ],
              'call.dialed': [
                CATCH_UP,
                {
                  // A call placed for an attempt already given up on, or a second call for this one: end it, never keep two calls.
                  guard: 'isUnwantedDial',
                  actions: ['hangUpLateCall', 'countIgnored'],
                },
                { actions: 'countIgnored' },
              ],
              '*': [CATCH_UP, { actions: 'countIgnored' }],
            },
            initial: 'checkingNumber',
            // An attempt's states sit right under `calling`, without a state of their own around them: XState walks
            // every active level to rebuild the snapshot at each step and update, and with one level less a bare actor
            // runs a verification about 16 % faster (the whole runtime about 11 %).
            states: {
              // Every attempt starts here, with its record; a check that answered when the attempt opened has decided,
              // any other is awaited.
              checkingNumber: {
                entry: 'openAttempt',
                always: [
                  { guard: 'attemptEnded', target: ROLLOVER },
                  { guard: and(['numberToDial', 'isTick']), target: 'readyToDial' },
                  { guard: 'numberToDial', target: 'connecting' },
                  { target: 'awaitingNumberCheck' },
                ],
              },
              // A deadline rolled over to this attempt: the dial goes out once the same tick has fired every
              // deadline due by its time (the total one may end the verification first), at the tick's time. It needs
              // no timer: it is entered only by a tick that goes on (`continueTick`), within the same macrostep.
              readyToDial: {
                on: {
                  'verification.tick': {
                    guard: not('totalDeadlineDue'),
                    target: 'connecting',
                    // The carried event is raised first: it reads nothing the updates change, and the dial's updates join them.
                    actions: ['deliverCarried', 'observeTime'],
                  },
                },
              },
              // A number check has no deadline of its own: the timer waits for the total one.
              awaitingNumberCheck: {
                entry: 'scheduleDeadline',
                exit: ['observeCheckAnswer', 'disarmDeadline'],
                invoke: {
                  src: 'checkNumber',
                  input: ({ context }) => ({ ...numberCheckInput(context), answerBy: totalDeadlineAt(context) }),
                  onDone: [
                    { guard: 'numberAccepted', target: 'connecting', actions: 'takeNumberCheck' },
                    { target: ROLLOVER, actions: 'takeNumberCheck' },
                  ],
                  onError: { target: ROLLOVER, actions: 'failNumberCheck' },
                },
              },
              connecting: {
                entry: ['markDialed', { type: 'setDeadline', params: { kind: 'dial' } }, 'dial', 'scheduleDeadline'],
                exit: 'disarmDeadline',
                on: {
                  'verification.tick': [
                    // It rang and nobody answered in time.
                    {
                      guard: and(['stateDeadlineDue', 'hasLiveCall', 'hasRung']),
                      ...dialTimedOut('no-answer', 'hang up'),
                    },
                    // Queued or in post-dial delay for the whole dial bound: never rang, so not "no answer".
                    { guard: and(['stateDeadlineDue', 'hasLiveCall']), ...dialTimedOut('failed', 'hang up') },
                    // The provider never confirmed the dial: a provider failure.
                    { guard: 'stateDeadlineDue', ...dialTimedOut('failed', 'no call') },
                  ],
                  'call.ended': [
                    CATCH_UP,
                    { guard: 'isLiveCallEvent', target: ROLLOVER, actions: ['observeTime', 'endUnanswered'] },
                  ],
                  // Tones in early media: the network's verdict before any answer.
                  'call.progressTone': [
                    CATCH_UP,
                    { guard: 'isLiveCallEvent', target: ROLLOVER, actions: END_BY_TONES },
                  ],
                },
                initial: 'awaitingDialAck',
                states: {
                  awaitingDialAck: {
                    on: {
                      'call.dialed': [
                        CATCH_UP,
                        { guard: 'isCurrentDialAck', target: 'placed', actions: ['observeTime', 'takeCall'] },
                      ],
                      'call.dialFailed': [
                        CATCH_UP,
                        { guard: 'isCurrentDialFailure', target: ROLLOVER, actions: ['observeTime', 'endUnanswered'] },
                      ],
                    },
                  },
                  placed: {
                    on: {
                      'call.ringing': [
                        CATCH_UP,
                        { guard: 'isLiveCallEvent', target: 'ringing', actions: ['observeTime', 'markRinging'] },
                      ],
                      'call.answered': ANSWER,
                    },
                  },
                  ringing: {
                    // The ring timer replaces the dial's (its deadline set first, to join the updates of the transition in).
                    entry: [{ type: 'setDeadline', params: { kind: 'ring' } }, 'disarmDeadline', 'scheduleDeadline'],
                    on: {
                      'call.answered': ANSWER,
                    },
                  },
                },
              },
              answered: {
                entry: ['observeTime', 'markAnswered'],
                on: {
                  'call.ended': [
                    CATCH_UP,
                    {
                      // Keys pressed before the hang-up may still be reported: wait for them a moment.
                      guard: 'keysMayFollow',
                      target: '.endingGrace',
                      actions: ['observeTime', 'holdEnding', 'recordCallEnded'],
                    },
                    {
                      // A machine answered and nobody pressed a key: voicemail hanging up is not a person's denial.
                      guard: and(['isLiveCallEvent', 'machineAnsweredWithoutKeys']),
                      target: ROLLOVER,
                      actions: [
                        'observeTime',
                        'recordCallEnded',
                        { type: 'endAttempt', params: { result: 'voicemail' } },
                      ],
                    },
                    {
                      guard: 'isLiveCallEvent',
                      target: '#verification.denied',
                      actions: [
                        'observeTime',
                        'recordCallEnded',
                        { type: 'endAttempt', params: { result: 'hung-up' } },
                        { type: 'conclude', params: { status: 'denied', reason: 'hung-up' } },
                      ],
                    },
                  ],
                  // A carrier that answered with an intercept recording or a tone is not a person; a key says one is there.
                  'call.progressTone': [
                    CATCH_UP,
                    { guard: and(['isLiveCallEvent', 'noKeysPressed']), target: ROLLOVER, actions: END_BY_TONES },
                  ],
                  'call.answeredBy': [
                    CATCH_UP,
                    {
                      guard: 'machineAnsweredBeforeKeys',
                      target: ROLLOVER,
                      actions: [
                        { type: 'hangUp', params: { farewell: null } },
                        'observeTime',
                        'recordAnsweredBy',
                        { type: 'endAttempt', params: { result: 'voicemail' } },
                        'forgetLiveCall',
                      ],
                    },
                    { guard: 'isDetectionReport', actions: ['observeTime', 'recordAnsweredBy'] },
                  ],
                },
                initial: 'greeting',
                states: {
                  sendingExtension: {
                    entry: [
                      'markExtensionStarted',
                      { type: 'setDeadline', params: { kind: 'extension' } },
                      'sendExtensionDigits',
                      'scheduleDeadline',
                    ],
                    exit: 'disarmDeadline',
                    on: {
                      'verification.tick': {
                        guard: 'stateDeadlineDue',
                        target: 'greeting',
                        actions: ['observeDeadline', 'continueTick'],
                      },
                      'call.digitsSent': [
                        CATCH_UP,
                        { guard: 'isLiveCallEvent', target: 'greeting', actions: 'observeTime' },
                      ],
                      'call.ended': [
                        CATCH_UP,
                        {
                          // Nobody has heard the greeting yet: not an intentional denial.
                          guard: 'isLiveCallEvent',
                          target: ROLLOVER,
                          actions: [
                            'observeTime',
                            'recordCallEnded',
                            { type: 'endAttempt', params: { result: 'failed' } },
                          ],
                        },
                      ],
                    },
                  },
                  greeting: promptState('greeting'),
                  reprompting: promptState('reprompt'),
                  waitingForInput: {
                    entry: [{ type: 'setDeadline', params: { kind: 'input' } }, 'scheduleDeadline'],
                    exit: 'disarmDeadline',
                    on: {
                      'verification.tick': timeoutTransitions('timer'),
                      'call.inputTimeout': [CATCH_UP, ...timeoutTransitions('provider')],
                      'call.digits': [CATCH_UP, ...keyTransitions()],
                    },
                  },
                  endingGrace: {
                    entry: [{ type: 'setDeadline', params: { kind: 'grace' } }, 'scheduleDeadline'],
                    exit: 'disarmDeadline',
                    on: {
                      'verification.tick': [
                        {
                          guard: and(['stateDeadlineDue', 'machineAnsweredWithoutKeys']),
                          target: ROLLOVER,
                          actions: [
                            'observeDeadline',
                            'clearEntry',
                            { type: 'endAttempt', params: { result: 'voicemail' } },
                            'continueTick',
                          ],
                        },
                        {
                          guard: 'stateDeadlineDue',
                          target: '#verification.denied',
                          actions: [
                            'observeDeadline',
                            { type: 'endAttempt', params: { result: 'hung-up' } },
                            { type: 'conclude', params: { status: 'denied', reason: 'hung-up' } },
                            'continueTick',
                          ],
                        },
                      ],
                      'call.digits': [CATCH_UP, ...keysAfterEndTransitions()],
                      // Judged when the grace ends: a key may still show that a person was there.
                      'call.answeredBy': [
                        CATCH_UP,
                        { guard: 'isEndedCallDetection', actions: ['observeTime', 'recordAnsweredBy'] },
                      ],
                    },
                  },
                  // A PIN check has no deadline of its own: the timer waits for the total one.
                  checkingPin: {
                    entry: ['clearDeadline', 'scheduleDeadline'],
                    exit: ['observeCheckAnswer', 'disarmDeadline'],
                    invoke: {
                      src: 'verifyPin',
                      input: ({ context }) => ({ entry: context.entry, answerBy: totalDeadlineAt(context) }),
                      onDone: [
                        {
                          // The PIN and # arrived before the hang-up: the entry stands.
                          guard: 'pinAccepted',
                          target: '#verification.approved',
                          actions: [
                            { type: 'hangUp', params: { farewell: 'approved' } },
                            'clearEntry',
                            { type: 'endAttempt', params: { result: 'approved' } },
                            'forgetLiveCall',
                            'concludeApproval',
                          ],
                        },
                        ...wrongPinTransitions(),
                      ],
                      // A verifier that fails counts as a wrong PIN: nothing is approved without a yes.
                      onError: wrongPinTransitions(),
                    },
                    on: {
                      'call.ended': [
                        CATCH_UP,
                        { guard: 'isLiveCallEvent', actions: ['observeTime', 'holdEndingDuringPinCheck'] },
                      ],
                      'call.digits': [
                        CATCH_UP,
                        { guard: 'isLiveCallEvent', actions: ['observeTime', 'holdKeysDuringCheck'] },
                        // Keys typed before a hang-up during the check, reported after it (Twilio's Gather).
                        { guard: 'isEndedCallKeys', actions: ['observeTime', 'holdKeysDuringCheck'] },
                      ],
                    },
                  },
                },
              },
              rollover: {
                always: [
                  { guard: 'hasNextTarget', target: 'checkingNumber' },
                  {
                    target: '#verification.unreachable',
                    actions: { type: 'conclude', params: { status: 'unreachable', reason: 'no-targets-left' } },
                  },
                ],
              },
            },
          },
          approved: { type: 'final', entry: 'countCarried' },
          denied: { type: 'final', entry: 'countCarried' },
          fraud: { type: 'final', entry: 'countCarried' },
          unreachable: { type: 'final', entry: 'countCarried' },
          canceled: { type: 'final', entry: 'countCarried' },
          expired: { type: 'final', entry: 'countCarried' },
        },
        output: ({ context }) => ({
          status: context.outcome?.status ?? 'expired',
          reason: context.outcome?.reason ?? 'deadline',
          attempts: context.attempts,
          ignoredEvents: context.ignoredEvents,
          startedAt: context.input.startedAt,
          endedAt: context.now,
        }),
      }),
    ),
  );

/** The definition; exported below under a readable type. */
const machineDefinition = buildMachine(hoistEntryUpdates);

/** A machine type with its state schema left general, so that it reads as a name rather than its whole configuration. */
type WithGeneralSchema<M> =
  M extends StateMachine<
    infer C,
    infer E,
    infer Ch,
    infer A,
    infer Ac,
    infer G,
    infer D,
    infer SV,
    infer T,
    infer I,
    infer O,
    infer Em,
    infer Me,
    StateSchema,
    infer TM
  >
    ? StateMachine<C, E, Ch, A, Ac, G, D, SV, T, I, O, Em, Me, StateSchema, TM>
    : never;

/** The type of {@link verificationCallMachine}, and of the machines `createVerificationMachine` returns. */
export type VerificationCallMachine = WithGeneralSchema<typeof machineDefinition>;

/**
 * The machine from its definition. By default the entries' leading updates
 * move into the transitions that enter them (`hoistEntryUpdates`), which
 * changes no behaviour and saves snapshots; tests build it without that
 * (`arrange` leaving the config as it is) to compare the two.
 *
 * @internal
 */
export const buildVerificationCallMachine = (
  arrange: <C>(config: C) => C = hoistEntryUpdates,
): VerificationCallMachine => buildMachine(arrange);

/**
 * The verification machine, with a plain E.164 number check and a PIN verifier
 * that rejects everything. Give a machine real ones with `machine.provide`
 * (`createVerificationMachine` does), or use `createVerificationActor`, which
 * validates the request and wires the library's number check.
 *
 * Once the machine is done, the result is its `output`; the context hands the
 * attempts over to it, so a finished snapshot keeps them once (read them with
 * `snapshot.output.attempts`).
 *
 * @example
 * ```ts
 * import { createActor } from 'xstate';
 * import { verificationCallMachine, normalizeVerificationRequest } from 'voice-mfa';
 *
 * const actor = createActor(verificationCallMachine, {
 *   input: normalizeVerificationRequest({ targets: ['+14255550100'] }),
 * });
 * actor.on('*', (command) => provider.execute(command));
 * actor.subscribe({ complete: () => console.log(actor.getSnapshot().output) });
 * actor.start();
 * ```
 */
export const verificationCallMachine: VerificationCallMachine = machineDefinition;
