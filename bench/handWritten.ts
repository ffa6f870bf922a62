/**
 * The floor the library is compared with: a plain reducer of the verification
 * rules the benchmark flows exercise (dial, ring, answer, prompt, keys, input
 * timeout, rollover, busy, hang-up, PIN), with its deadline kept in its state.
 * It is fed the provider events a real run produced and must reach the same
 * status, reason and attempt results as the library (checked by the bench
 * before it measures).
 */
import type { ProviderEvent } from '../src/index.js';

/** Only the timings the flows reach. */
const RING_TIMEOUT_MS = 30_000;
const DIAL_TIMEOUT_MS = 90_000;
const PROMPT_WATCHDOG_MS = 30_000;
const INPUT_TIMEOUT_MS = 10_000;

type Phase = 'dialing' | 'ringing' | 'prompting' | 'waiting' | 'done';

export interface HandWrittenState {
  mode: 'standard' | 'pin';
  targets: number;
  attempt: number;
  results: string[];
  liveCallId: string | null;
  phase: Phase;
  entry: string;
  deadline: number;
  status: string | null;
  reason: string | null;
  commands: number;
}

export interface HandWrittenOutcome {
  status: string | null;
  reason: string | null;
  results: string[];
}

function dial(state: HandWrittenState, at: number): HandWrittenState {
  return {
    ...state,
    phase: 'dialing',
    liveCallId: null,
    entry: '',
    deadline: at + DIAL_TIMEOUT_MS,
    commands: state.commands + 1,
  };
}

function endAttempt(state: HandWrittenState, result: string, at: number, hangUp: boolean): HandWrittenState {
  const results = [...state.results, result];
  const commands = state.commands + (hangUp ? 1 : 0);
  if (state.attempt + 1 < state.targets) return dial({ ...state, results, commands, attempt: state.attempt + 1 }, at);
  return { ...state, results, commands, phase: 'done', status: 'unreachable', reason: 'no-targets-left' };
}

function decide(state: HandWrittenState, status: string, reason: string, result: string): HandWrittenState {
  return {
    ...state,
    results: [...state.results, result],
    phase: 'done',
    status,
    reason,
    commands: state.commands + 1,
  };
}

/** The verification after its deadline passed at `at`. */
export function timeOut(state: HandWrittenState, at: number): HandWrittenState {
  switch (state.phase) {
    case 'waiting':
      return endAttempt(state, 'no-response', at, true);
    case 'ringing':
      return endAttempt(state, 'no-answer', at, true);
    case 'dialing':
    case 'prompting':
      return endAttempt(state, 'failed', at, state.liveCallId !== null);
    default:
      return state;
  }
}

/** The verification after a provider event, its deadline already checked. */
export function reduce(
  state: HandWrittenState,
  event: ProviderEvent & { at: number },
  verifyPin: (entry: string) => boolean,
): HandWrittenState {
  if (state.phase === 'done') return state;
  if (event.type === 'call.dialed') {
    return event.attempt === state.attempt && state.liveCallId === null
      ? { ...state, liveCallId: event.callId }
      : state;
  }
  if (!('callId' in event) || event.callId !== state.liveCallId) return state;
  switch (event.type) {
    case 'call.ringing':
      return state.phase === 'dialing' ? { ...state, phase: 'ringing', deadline: event.at + RING_TIMEOUT_MS } : state;
    case 'call.answered':
      return state.phase === 'dialing' || state.phase === 'ringing'
        ? { ...state, phase: 'prompting', deadline: event.at + PROMPT_WATCHDOG_MS, commands: state.commands + 1 }
        : state;
    case 'call.promptFinished':
      return state.phase === 'prompting'
        ? { ...state, phase: 'waiting', deadline: event.at + INPUT_TIMEOUT_MS }
        : state;
    case 'call.digits': {
      if (state.phase !== 'waiting' && state.phase !== 'prompting') return state;
      const entry = state.entry + event.digits;
      if (!entry.endsWith('#')) return { ...state, phase: 'waiting', entry, deadline: event.at + INPUT_TIMEOUT_MS };
      const typed = entry.slice(0, -1);
      if (typed === '0') return decide(state, 'fraud', 'fraud-code', 'fraud');
      if (state.mode === 'standard' && typed === '') return decide(state, 'approved', 'pound-key', 'approved');
      if (state.mode === 'pin' && verifyPin(typed)) return decide(state, 'approved', 'pin', 'approved');
      return { ...state, entry: '', phase: 'prompting', commands: state.commands + 1 };
    }
    case 'call.ended': {
      const answered = state.phase !== 'dialing' && state.phase !== 'ringing';
      if (answered) {
        return { ...state, results: [...state.results, 'hung-up'], phase: 'done', status: 'denied', reason: 'hung-up' };
      }
      const { status } = event.ending;
      return endAttempt(
        state,
        status === 'busy' ? 'busy' : status === 'no-answer' ? 'no-answer' : 'failed',
        event.at,
        false,
      );
    }
    default:
      return state;
  }
}

/** Runs the reducer over a recorded event trace, its own deadline firing between events, to its end. */
export function runHandWritten(
  mode: 'standard' | 'pin',
  targets: number,
  events: readonly (ProviderEvent & { at: number })[],
  verifyPin: (entry: string) => boolean,
): HandWrittenOutcome {
  let state: HandWrittenState = dial(
    {
      mode,
      targets,
      attempt: 0,
      results: [],
      liveCallId: null,
      phase: 'dialing',
      entry: '',
      deadline: 0,
      status: null,
      reason: null,
      commands: 0,
    },
    0,
  );
  for (const event of events) {
    // An event stamped at or after the deadline is too late: the deadline fires first.
    while (state.phase !== 'done' && state.deadline <= event.at) state = timeOut(state, state.deadline);
    state = reduce(state, event, verifyPin);
  }
  while (state.phase !== 'done') state = timeOut(state, state.deadline);
  return { status: state.status, reason: state.reason, results: state.results };
}
