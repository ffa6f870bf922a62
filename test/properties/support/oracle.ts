/**
 * An independent oracle: what a verification must end with, worked out from the
 * scenario alone (the callee scripts, the request's timing, the carrier's
 * documented timing) with the rules of SPEC.md, by a small discrete-event
 * simulation of one call at a time. It shares no code with the machine; it
 * only reads the library's documented defaults.
 *
 * Fault-free runs only: it models no lost, late or duplicated events.
 */
import {
  type AnsweredBy,
  type AttemptResult,
  type CalleeScript,
  DEFAULT_TIMING,
  type PromptResponse,
  type SitKind,
  type VerificationStatus,
} from '../../../src/index.js';
import { SIMULATED_CAPABILITIES } from '../../../src/providers/simulated/simulatedCarrier.js';
import type { CalledTarget, Scenario } from './scenario.js';

/** Longest entry the spec keeps; the scripts stay far below it. */
const MAX_ENTRY_LENGTH = 32;
/** Sending an extension: one second per comma, 200 ms per key (the simulated carrier's documented model). */
const COMMA_PAUSE_MS = 1_000;
const EXTENSION_KEY_MS = 200;
/** Script defaults, as documented on the script types. */
const DEFAULT_ANSWER_AFTER_MS = { answers: 4_000, voicemail: 15_000, intercept: 500 } as const;
const DEFAULT_DECLINE_AFTER_MS = 3_000;

export interface OracleAttempt {
  index: number;
  result: AttemptResult;
  sitKind: SitKind | null;
  dialled: boolean;
  endedAt: number;
  /** When the greeting ended as the machine may record it (answered calls). */
  greetingEndedAt: number | null;
}

export interface OracleVerdict {
  status: VerificationStatus;
  attempts: OracleAttempt[];
  endedAt: number;
  /**
   * Some decision rested on two competing events due at the same instant, so
   * that only the order of timers inside the carrier decides: the exact
   * outcome is not asserted then.
   */
  ambiguous: boolean;
  /** Smallest gap (ms) between two competing events in any decision. */
  minMargin: number;
  /**
   * A deadline cut off a callee action still to come (a key, a hang-up, a
   * machine-detection verdict): had the deadline been later, the action
   * would have counted.
   */
  revealable: boolean;
}

/** Where an event comes from; events of one source are ordered among themselves. */
type Source =
  | 'callee'
  | 'voicemail-hang-up'
  | 'machine-detection'
  | 'extension-sent'
  | 'prompt-end'
  | 'watchdog'
  | 'machine-input-timer'
  | 'provider-input-timer'
  | 'ring-timer'
  | 'carrier'
  | 'deadline';

/** Events whose order against others never changes a result (they only move when the greeting is said to end). */
const NEUTRAL: ReadonlySet<Source> = new Set(['prompt-end', 'watchdog']);
/**
 * SPEC: "Deadlines are judged by event time": on the same millisecond the
 * machine's own deadlines come before anything else, the total one first.
 */
const TIE_RANK: Partial<Record<Source, number>> = { deadline: 0, 'ring-timer': 1, 'machine-input-timer': 1 };
const tieRank = (source: Source): number => TIE_RANK[source] ?? 2;

/** Pairs that lead to the same result in either order. */
const INDIFFERENT_PAIRS: ReadonlyArray<readonly [Source, Source]> = [['extension-sent', 'machine-detection']];

interface Candidate {
  source: Source;
  at: number;
  /** Scheduling order, for events of one source due together. */
  order?: number;
}

class Race {
  minMargin = Number.POSITIVE_INFINITY;
  ambiguous = false;
  revealable = false;

  choose<C extends Candidate>(candidates: C[]): C {
    let best = candidates[0] as C;
    for (const c of candidates) {
      const tie = c.at === best.at;
      if (
        c.at < best.at ||
        (tie && tieRank(c.source) < tieRank(best.source)) ||
        (tie && (c.order ?? 0) < (best.order ?? 0) && c.source === best.source)
      ) {
        best = c;
      }
    }
    if (!NEUTRAL.has(best.source)) {
      for (const c of candidates) {
        if (c === best || c.source === best.source || NEUTRAL.has(c.source) || indifferent(best.source, c.source)) {
          continue;
        }
        // A tie the machine decides by time stamps is no ambiguity.
        if (c.at === best.at && tieRank(c.source) !== tieRank(best.source)) continue;
        const gap = c.at - best.at;
        this.minMargin = Math.min(this.minMargin, gap);
        if (gap === 0) this.ambiguous = true;
      }
    }
    return best;
  }
}

function indifferent(a: Source, b: Source): boolean {
  return INDIFFERENT_PAIRS.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
}

interface Rules {
  mode: 'standard' | 'pin';
  pin: string;
  fraudCode: string | null;
  ringTimeoutMs: number;
  dialTimeoutMs: number;
  inputTimeoutMs: number;
  maxInvalidEntries: number;
  maxTotalMs: number;
  watchdogMs: number;
  /** How long the machine waits in `waitingForInput`: the input timeout, plus the grace when the provider owns it. */
  machineInputTimerMs: number;
  providerOwnsTimeout: boolean;
  reportsPromptEnd: boolean;
  machineDetection: boolean;
  reportsSitKinds: boolean;
  apiLatencyMs: number;
  postDialDelayMs: number;
  machineDetectionMs: number;
  segmentMs: number;
}

/** The dial's bound of a scenario: as given, else (docs/behaviour.md) the ring time plus a minute, at most 15 minutes. */
export function dialTimeoutOf(timing: Scenario['timing']): number {
  return timing.dialTimeoutMs ?? Math.min(900_000, timing.ringTimeoutMs + 60_000);
}

function rulesOf(scenario: Scenario): Rules {
  const capabilities = { ...SIMULATED_CAPABILITIES, ...scenario.capabilities };
  const providerOwnsTimeout = capabilities.enforcesInputTimeout;
  const inputTimeoutMs = scenario.timing.inputTimeoutMs;
  const grace = scenario.timing.providerTimeoutGraceMs ?? DEFAULT_TIMING.providerTimeoutGraceMs;
  return {
    mode: scenario.mode,
    pin: scenario.pin,
    fraudCode: scenario.fraudCode === undefined ? '0' : scenario.fraudCode === false ? null : scenario.fraudCode,
    ringTimeoutMs: scenario.timing.ringTimeoutMs,
    dialTimeoutMs: dialTimeoutOf(scenario.timing),
    inputTimeoutMs,
    maxInvalidEntries: scenario.timing.maxInvalidEntries,
    maxTotalMs: scenario.timing.maxTotalMs ?? DEFAULT_TIMING.maxTotalMs,
    watchdogMs: DEFAULT_TIMING.promptWatchdogMs,
    machineInputTimerMs: providerOwnsTimeout ? inputTimeoutMs + grace : inputTimeoutMs,
    providerOwnsTimeout,
    reportsPromptEnd: capabilities.reportsPromptEnd,
    machineDetection: scenario.answeringMachineDetection && capabilities.machineDetection,
    reportsSitKinds: capabilities.reportsSitKinds,
    apiLatencyMs: scenario.carrier.apiLatencyMs,
    postDialDelayMs: scenario.carrier.postDialDelayMs,
    machineDetectionMs: scenario.carrier.machineDetectionMs,
    segmentMs: scenario.carrier.segmentMs,
  };
}

/** Results that end the verification at once. */
const DECIDING: Partial<Record<AttemptResult, VerificationStatus>> = {
  approved: 'approved',
  fraud: 'fraud',
  'hung-up': 'denied',
  'invalid-input': 'denied',
  'pin-failed': 'denied',
  canceled: 'expired',
};

interface CallOutcome {
  result: AttemptResult;
  sitKind: SitKind | null;
  endedAt: number;
  greetingEndedAt: number | null;
}

/** The expected outcome of a scenario without faults or cancellation. */
export function predictVerification(scenario: Scenario): OracleVerdict {
  const rules = rulesOf(scenario);
  const race = new Race();
  const attempts: OracleAttempt[] = [];
  let now = 0;
  let status: VerificationStatus = 'unreachable';
  for (const [index, target] of scenario.targets.entries()) {
    if (target.kind !== 'called') {
      const result = target.kind === 'blocked' ? 'blocked-number' : 'invalid-number';
      attempts.push({ index, result, sitKind: null, dialled: false, endedAt: now, greetingEndedAt: null });
      continue;
    }
    const outcome = predictCall(rules, race, target, now);
    attempts.push({ index, dialled: true, ...outcome });
    now = outcome.endedAt;
    const decided = DECIDING[outcome.result];
    if (decided !== undefined) {
      status = decided;
      break;
    }
  }
  return {
    status,
    attempts,
    endedAt: now,
    ambiguous: race.ambiguous,
    minMargin: race.minMargin,
    revealable: race.revealable,
  };
}

/** The expected result of the one attempt at `targetIndex`, as if it were the only target (no deadline reached). */
export function predictTarget(scenario: Scenario, targetIndex: number): OracleVerdict {
  const target = scenario.targets[targetIndex];
  if (target === undefined) throw new Error(`no target ${targetIndex}`);
  return predictVerification({ ...scenario, targets: [target] });
}

/** One attempt from the dial at `dialAt`. */
function predictCall(rules: Rules, race: Race, target: CalledTarget, dialAt: number): CallOutcome {
  const { script } = target;
  const deadline: Candidate = { source: 'deadline', at: rules.maxTotalMs };
  const dialBoundAt = dialAt + rules.dialTimeoutMs;
  const expired = (): CallOutcome => ({
    result: 'canceled',
    sitKind: null,
    endedAt: rules.maxTotalMs,
    greetingEndedAt: null,
  });

  if (script.kind === 'api-error') {
    const refused = race.choose([{ source: 'carrier', at: dialAt + rules.apiLatencyMs }, deadline]);
    if (refused.source === 'deadline') return expired();
    return { result: 'failed', sitKind: null, endedAt: refused.at, greetingEndedAt: null };
  }

  // The first ring (or the carrier's verdict for lines that never ring) comes after the post-dial delay.
  const progressAt = dialAt + rules.apiLatencyMs + rules.postDialDelayMs;
  const rings = RINGING_SCRIPTS.has(script.kind) && progressAt < dialBoundAt;
  // The ring timer runs from the first ring; the dial bound covers queue, post-dial delay and ringing.
  const ringTimer: Candidate = {
    source: 'ring-timer',
    at: rings ? Math.min(progressAt + rules.ringTimeoutMs, dialBoundAt) : dialBoundAt,
  };
  const carrier = carrierEvent(rules, script, progressAt);
  const first = race.choose(carrier === null ? [ringTimer, deadline] : [carrier, ringTimer, deadline]);
  if (first.source === 'deadline') return expired();
  if (first.source === 'ring-timer' || carrier === null) {
    // A call that never rang within the dial bound reached nobody: not "no answer".
    return { result: rings ? 'no-answer' : 'failed', sitKind: null, endedAt: first.at, greetingEndedAt: null };
  }
  if (carrier.ending !== null) return { ...carrier.ending, endedAt: carrier.at, greetingEndedAt: null };
  return predictAnsweredCall(rules, race, target, carrier.at);
}

/** Scripts whose call rings (the carrier reports `ringing` after the post-dial delay). */
const RINGING_SCRIPTS: ReadonlySet<CalleeScript['kind']> = new Set([
  'no-answer',
  'declines',
  'answers',
  'voicemail',
  'intercept',
]);

interface CarrierEvent extends Candidate {
  /** `null` when the call is answered. */
  ending: { result: AttemptResult; sitKind: SitKind | null } | null;
}

/** What the carrier reports first while the call rings, or `null` when it only rings. */
function carrierEvent(rules: Rules, script: CalleeScript, progressAt: number): CarrierEvent | null {
  const ending = (result: AttemptResult, at = progressAt, sitKind: SitKind | null = null): CarrierEvent => ({
    source: 'carrier',
    at,
    ending: { result, sitKind },
  });
  switch (script.kind) {
    case 'busy':
      return ending('busy');
    case 'sit':
      if (rules.reportsSitKinds) return ending('sit', progressAt, script.sitKind);
      // A carrier with no SIT signal fails the call with the SIP code of what the tones mean.
      return script.sitKind === 'intercept'
        ? ending('sit', progressAt, 'intercept')
        : ending(script.sitKind === 'vacant-code' ? 'invalid-number' : 'failed');
    case 'invalid-number':
      return ending('invalid-number');
    case 'carrier-failure':
      return ending('failed');
    case 'no-answer':
      return script.carrierGivesUpAfterMs === undefined
        ? null
        : ending('no-answer', progressAt + script.carrierGivesUpAfterMs);
    case 'declines':
      return ending('no-answer', progressAt + (script.afterMs ?? DEFAULT_DECLINE_AFTER_MS));
    case 'answers':
    case 'voicemail':
    case 'intercept':
      return {
        source: 'carrier',
        at: progressAt + (script.answerAfterMs ?? DEFAULT_ANSWER_AFTER_MS[script.kind]),
        ending: null,
      };
    case 'api-error':
      return null;
  }
}

interface CalleeAction extends Candidate {
  source: 'callee';
  key: string | null;
}

function extensionDurationMs(extension: string): number {
  let total = 0;
  for (const key of extension) total += key === ',' ? COMMA_PAUSE_MS : EXTENSION_KEY_MS;
  return total;
}

function isMachine(answeredBy: AnsweredBy): boolean {
  return answeredBy === 'machine' || answeredBy === 'fax';
}

/** An answered call, from the answer at `answeredAt` to its end. */
function predictAnsweredCall(rules: Rules, race: Race, target: CalledTarget, answeredAt: number): CallOutcome {
  const { script } = target;
  const responses: PromptResponse[] = script.kind === 'answers' ? (script.responses ?? []) : [];
  const detectedAs: AnsweredBy =
    script.kind === 'answers' || script.kind === 'voicemail' || script.kind === 'intercept'
      ? (script.detectedAs ?? (script.kind === 'answers' ? 'human' : 'machine'))
      : 'human';
  const fraudSegments = rules.fraudCode === null ? 0 : 1;
  const greetingMs = ((target.extension === null ? 0 : 1) + 2 + fraudSegments) * rules.segmentMs;
  const repromptMs = (2 + fraudSegments) * rules.segmentMs;
  const invalidResult: AttemptResult = rules.mode === 'pin' ? 'pin-failed' : 'invalid-input';

  // Callee and carrier.
  let machineVerdictAt: number | null = rules.machineDetection ? answeredAt + rules.machineDetectionMs : null;
  const voicemailHangUpAt =
    (script.kind === 'voicemail' || script.kind === 'intercept') && script.hangUpAfterMs !== undefined
      ? answeredAt + script.hangUpAfterMs
      : null;
  let extensionSentAt: number | null = null;
  let promptEndAt: number | null = null;
  let providerTimeoutAt: number | null = null;
  let actions: CalleeAction[] = [];
  let scheduled = 0;
  let responseIndex = 0;
  // The machine.
  // Widened on purpose: prompts start in closures, which control-flow narrowing does not see.
  let phase = 'extension' as 'extension' | 'prompt' | 'waiting';
  let promptKind: 'greeting' | 'reprompt' = 'greeting';
  let promptStartedAt = answeredAt;
  let watchdogAt: number | null = null;
  let inputTimerAt: number | null = null;
  let entry = '';
  let invalidEntries = 0;
  let keysTaken = 0;
  let machineSaidSo = false;
  let greetingEndedAt: number | null = null;

  const end = (result: AttemptResult, at: number): CallOutcome => ({
    result,
    sitKind: null,
    endedAt: at,
    greetingEndedAt,
  });

  const startPrompt = (kind: 'greeting' | 'reprompt', at: number): void => {
    promptKind = kind;
    phase = 'prompt';
    promptStartedAt = at;
    watchdogAt = at + rules.watchdogMs;
    inputTimerAt = null;
    extensionSentAt = null;
    // The carrier stops what played before, with its input timer, and plays the new prompt.
    const durationMs = kind === 'greeting' ? greetingMs : repromptMs;
    promptEndAt = at + durationMs;
    providerTimeoutAt = null;
    const response: PromptResponse = responses[responseIndex++] ?? { silence: true };
    if ('silence' in response) return;
    const anchor = at + ((response.from ?? 'prompt-end') === 'prompt-start' ? 0 : durationMs);
    const startAt = anchor + (response.afterMs ?? 1_500);
    const added: CalleeAction[] =
      'hangUp' in response
        ? [{ source: 'callee', at: startAt, order: scheduled++, key: null }]
        : [...response.press].map((key, i) => ({
            source: 'callee' as const,
            at: startAt + i * (response.keyGapMs ?? 250),
            order: scheduled++,
            key,
          }));
    actions = [...actions, ...added].sort((a, b) => a.at - b.at || (a.order ?? 0) - (b.order ?? 0));
  };

  const hungUp = (at: number): CallOutcome => {
    // Before the greeting, nobody heard anything: a failure. SPEC: "presses keys, and then hangs up —
    // whatever a detector said in between" is a person's denial; a machine's verdict before any key
    // already ended the call as voicemail.
    if (phase === 'extension') return end('failed', at);
    return end(machineSaidSo && keysTaken === 0 ? 'voicemail' : 'hung-up', at);
  };

  /** An entry ended by `#`; `undefined` when the call goes on with a re-prompt. */
  const judgeEntry = (at: number): CallOutcome | undefined => {
    const judged = entry;
    entry = '';
    if (rules.fraudCode !== null && judged === rules.fraudCode) return end('fraud', at);
    if (rules.mode === 'standard' && judged === '') return end('approved', at);
    if (rules.mode === 'pin' && judged !== '' && judged.length <= MAX_ENTRY_LENGTH && judged === rules.pin) {
      return end('approved', at);
    }
    invalidEntries++;
    if (invalidEntries >= rules.maxInvalidEntries) return end(invalidResult, at);
    startPrompt('reprompt', at);
    return undefined;
  };

  /** The input timed out; `undefined` when the call goes on with a re-prompt. */
  const judgeTimeout = (at: number): CallOutcome | undefined => {
    if (actions.length > 0 || voicemailHangUpAt !== null || machineVerdictAt !== null) race.revealable = true;
    if (entry === '') return end('no-response', at);
    entry = '';
    invalidEntries++;
    if (invalidEntries >= rules.maxInvalidEntries) return end(invalidResult, at);
    startPrompt('reprompt', at);
    return undefined;
  };

  if (target.extension === null) startPrompt('greeting', answeredAt);
  else {
    extensionSentAt = answeredAt + extensionDurationMs(target.extension);
    // The extension's watchdog runs after its pauses.
    const pausesMs = [...target.extension].filter((key) => key === ',').length * COMMA_PAUSE_MS;
    watchdogAt = answeredAt + pausesMs + rules.watchdogMs;
  }

  for (;;) {
    const candidates: Candidate[] = [{ source: 'deadline', at: rules.maxTotalMs }];
    if (promptEndAt !== null) candidates.push({ source: 'prompt-end', at: promptEndAt });
    if (watchdogAt !== null) candidates.push({ source: 'watchdog', at: watchdogAt });
    if (extensionSentAt !== null) candidates.push({ source: 'extension-sent', at: extensionSentAt });
    const nextAction = actions[0];
    if (nextAction !== undefined) candidates.push(nextAction);
    if (voicemailHangUpAt !== null) candidates.push({ source: 'voicemail-hang-up', at: voicemailHangUpAt });
    if (machineVerdictAt !== null) candidates.push({ source: 'machine-detection', at: machineVerdictAt });
    if (inputTimerAt !== null) candidates.push({ source: 'machine-input-timer', at: inputTimerAt });
    if (providerTimeoutAt !== null) candidates.push({ source: 'provider-input-timer', at: providerTimeoutAt });
    const event = race.choose(candidates);
    const at = event.at;
    // The greeting's end is neutral but for one tie: at an extension a machine verdict is acted on only once the
    // greeting was heard there, so a verdict on the same millisecond is acted on or only noted by delivery order.
    const greetingEndsNow =
      phase === 'prompt' &&
      promptKind === 'greeting' &&
      ((promptEndAt === at && rules.reportsPromptEnd) || watchdogAt === at);
    if (
      greetingEndsNow &&
      machineVerdictAt === at &&
      target.extension !== null &&
      greetingEndedAt === null &&
      isMachine(detectedAs) &&
      keysTaken === 0
    ) {
      race.minMargin = 0;
      race.ambiguous = true;
    }

    switch (event.source) {
      case 'deadline':
        return { result: 'canceled', sitKind: null, endedAt: at, greetingEndedAt };

      case 'extension-sent':
        extensionSentAt = null;
        if (phase === 'extension') startPrompt('greeting', at);
        break;

      case 'watchdog':
        watchdogAt = null;
        if (phase === 'extension') startPrompt('greeting', at);
        else if (phase === 'prompt') {
          phase = 'waiting';
          inputTimerAt = at + rules.machineInputTimerMs;
          if (promptKind === 'greeting') greetingEndedAt ??= at;
        }
        break;

      case 'prompt-end':
        promptEndAt = null;
        if (rules.providerOwnsTimeout) providerTimeoutAt = at + rules.inputTimeoutMs;
        if (rules.reportsPromptEnd && phase === 'prompt') {
          phase = 'waiting';
          watchdogAt = null;
          inputTimerAt = at + rules.machineInputTimerMs;
          if (promptKind === 'greeting') greetingEndedAt ??= at;
        }
        break;

      case 'voicemail-hang-up':
        return hungUp(at);

      case 'machine-detection':
        machineVerdictAt = null;
        if (isMachine(detectedAs)) {
          // With an extension the switchboard answered: a verdict before the greeting was heard there is only noted.
          const heardAtTarget = target.extension === null || greetingEndedAt !== null;
          if (keysTaken === 0 && heardAtTarget) return end('voicemail', at);
          machineSaidSo = true;
        }
        break;

      case 'machine-input-timer':
      case 'provider-input-timer': {
        if (event.source === 'machine-input-timer') inputTimerAt = null;
        else {
          providerTimeoutAt = null;
          if (phase === 'extension') break;
          // The provider timed from the prompt's real end: one input timeout ago at the latest.
          greetingEndedAt = Math.min(
            greetingEndedAt ?? Number.POSITIVE_INFINITY,
            Math.max(promptStartedAt, at - rules.inputTimeoutMs),
          );
        }
        const outcome = judgeTimeout(at);
        if (outcome !== undefined) return outcome;
        break;
      }

      case 'callee': {
        const action = actions.shift() as CalleeAction;
        if (action.key === null) return hungUp(at);
        // The carrier: a key stops the prompt playing, whichever prompt its response answered, and
        // restarts (or, for '#', stops) its own timer.
        promptEndAt = null;
        if (rules.providerOwnsTimeout) providerTimeoutAt = action.key === '#' ? null : at + rules.inputTimeoutMs;
        if (phase === 'extension') break;
        greetingEndedAt ??= at;
        keysTaken++;
        if (action.key !== '#') {
          if (entry.length <= MAX_ENTRY_LENGTH) entry += action.key;
          phase = 'waiting';
          watchdogAt = null;
          inputTimerAt = at + rules.machineInputTimerMs;
          break;
        }
        const outcome = judgeEntry(at);
        if (outcome !== undefined) return outcome;
        break;
      }

      case 'ring-timer':
      case 'carrier':
        throw new Error(`unexpected ${event.source} on an answered call`);
    }
  }
}

/**
 * A sound upper bound on when a verification ends, from the request and the
 * number of keys in the scripts (each key may restart the input timer once):
 * per dialled target, the dial bound, the extension watchdog, and for each
 * of at most `maxInvalidEntries + 1` prompts a prompt watchdog and an input
 * timer, plus one input timer per key; capped by `maxTotalMs` and by a cancel.
 */
export function completionBoundMs(scenario: Scenario): number {
  const rules = rulesOf(scenario);
  let sum = 0;
  for (const target of scenario.targets) {
    if (target.kind !== 'called') continue;
    const keys =
      target.script.kind === 'answers'
        ? (target.script.responses ?? []).reduce((n, r) => n + ('press' in r ? r.press.length : 0), 0)
        : 0;
    sum +=
      rules.dialTimeoutMs +
      rules.watchdogMs +
      (rules.maxInvalidEntries + 1) * (rules.watchdogMs + rules.machineInputTimerMs) +
      keys * rules.machineInputTimerMs;
  }
  return Math.min(rules.maxTotalMs, scenario.cancelAfterMs ?? Number.POSITIVE_INFINITY, sum);
}
