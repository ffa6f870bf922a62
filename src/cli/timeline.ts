/**
 * A scenario run as a readable timeline:
 * `t=37.720s  no input for 10 s after the greeting → rollover to backup 1`.
 *
 * @module
 */
import type { IgnoredKind } from '../machine/ignoredEvents.js';
import { type AttemptRecord, describeAttemptResult, isRolloverResult } from '../machine/outcomes.js';
import type { PromptSegment } from '../machine/types.js';
import { DEFAULT_TIMING } from '../request/normalizeRequest.js';
import type { LoggedProviderEvent, VerificationObservation } from '../runtime/observations.js';
import type { ScenarioRun } from './scenario.js';

/** One line of a timeline: when, and what. */
export interface TimelineEntry {
  /** Milliseconds since the verification started. */
  atMs: number;
  /** A command to the provider, an event from it, or a note on the verification. */
  kind: 'command' | 'event' | 'note';
  text: string;
}

const KIND_OF: Record<VerificationObservation['type'], TimelineEntry['kind']> = {
  'verification.started': 'note',
  command: 'command',
  'command.failed': 'event',
  'provider.event': 'event',
  'provider.ignored': 'note',
  'provider.malformed': 'event',
  'provider.dialQueued': 'note',
  'provider.dialPlaced': 'note',
  'attempt.ended': 'note',
  'verification.ended': 'note',
  'abuse.locked': 'note',
  'abuse.recordFailed': 'note',
};

const IGNORED_WORDS: Record<IgnoredKind, string> = {
  stale: 'stale',
  duplicate: 'duplicate',
  outOfOrder: 'out-of-order',
  unexpected: 'unexpected',
};

/** `primary`, `backup 1`, `backup 2`… */
export function targetName(index: number): string {
  return index === 0 ? 'primary' : `backup ${index}`;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)}s`;

const sayText = (segments: readonly PromptSegment[]): string => {
  // A prompt may hold line breaks and tabs; a timeline line, and a diagram's line made from it, holds none.
  const text = segments
    .map((s) => ('say' in s ? s.say : `[audio ${s.play}]`))
    .join(' ')
    .replace(/\s+/g, ' ');
  return text.length > 72 ? `${text.slice(0, 71)}…` : text;
};

function explainAttempt(attempt: AttemptRecord, inputTimeoutMs: number, mode: 'standard' | 'pin'): string {
  const codes = [
    attempt.sipCode === null ? null : `SIP ${attempt.sipCode}`,
    attempt.q850Cause === null ? null : `Q.850 ${attempt.q850Cause}`,
    attempt.providerCode === null ? null : `code ${attempt.providerCode}`,
  ].filter((c) => c !== null);
  const withCodes = (text: string) => (codes.length === 0 ? text : `${text} (${codes.join(', ')})`);
  switch (attempt.result) {
    case 'approved':
      return mode === 'pin' ? 'the right PIN and # → approved' : '# pressed → approved';
    case 'hung-up':
      return 'the callee hung up without approving → denied, no rollover';
    case 'no-response':
      return `no input for ${inputTimeoutMs / 1000} s after the greeting`;
    case 'voicemail':
      return 'answered by a machine';
    case 'fraud':
      return 'the fraud code was entered → fraud reported, no rollover';
    case 'invalid-input':
      return `${attempt.invalidEntries} invalid entries → denied`;
    case 'pin-failed':
      return `${attempt.invalidEntries} wrong PINs → denied`;
    case 'busy':
      return withCodes('busy');
    case 'sit':
      return withCodes(`tri-tones (${attempt.sitKind ?? 'unknown'})`);
    case 'invalid-number':
      return attempt.rule === null
        ? withCodes('the number does not exist')
        : `invalid number (${attempt.rule}), not dialled`;
    case 'blocked-number':
      return `refused by the dialling policy (${attempt.rule ?? 'policy'}), not dialled`;
    case 'no-answer':
      return withCodes('no answer');
    case 'failed':
      return withCodes('the call failed');
    case 'canceled':
      return 'canceled';
    case null:
      return 'in progress';
  }
}

function describeEvent(event: LoggedProviderEvent): string | null {
  switch (event.type) {
    case 'call.dialed':
      return `call placed (${event.callId})`;
    case 'call.dialFailed':
      return `the provider refused the call${event.ending.providerCode === undefined ? '' : ` (code ${event.ending.providerCode})`}`;
    case 'call.ringing':
      return `ringing (${event.callId})`;
    case 'call.answered':
      return `answered (${event.callId})`;
    case 'call.answeredBy':
      return `answering-machine detection: ${event.answeredBy}`;
    case 'call.digitsSent':
      return 'extension digits sent';
    case 'call.promptFinished':
      return 'prompt finished; the input timer starts';
    case 'call.digits':
      return `callee pressed ${event.keys === 1 ? 'a key' : `${event.keys} keys`}`;
    case 'call.inputTimeout':
      return 'the provider reports no input';
    case 'call.progressTone':
      return `the audio is ${event.tone === 'sit' ? `tri-tones (${event.sitKind ?? 'unknown'})` : `a ${event.tone} tone`}`;
    case 'call.ended':
      return `call ended (${event.callId}, ${event.ending.status})`;
  }
}

interface TimelineSettings {
  targets: number;
  inputTimeoutMs: number;
  mode: 'standard' | 'pin';
}

function describeObservation(observation: VerificationObservation, settings: TimelineSettings): string | null {
  const { targets, inputTimeoutMs, mode } = settings;
  switch (observation.type) {
    case 'verification.started':
      return `verification started: ${observation.targets} target${observation.targets === 1 ? '' : 's'}, ${observation.mode} mode`;
    case 'command': {
      const { command } = observation;
      switch (command.type) {
        case 'dial':
          // Masked unless the run was played with `maskNumbers: false`.
          return `dial ${targetName(command.attempt)} ${command.to}${command.extension === null ? '' : ` (extension ${command.extension})`}`;
        case 'sendDigits':
          return `send extension digits ${command.digits}`;
        case 'playPrompt':
          return `play ${command.kind}: "${sayText(command.segments)}"`;
        case 'hangUp':
          return command.farewell.length === 0 ? 'hang up' : `say "${sayText(command.farewell)}" and hang up`;
      }
      return null;
    }
    case 'command.failed':
      return `the provider failed to ${observation.command}: ${observation.message}`;
    case 'provider.event':
      return describeEvent(observation.event);
    case 'provider.ignored':
      return `ignored: ${IGNORED_WORDS[observation.reason]} ${observation.event.type}, changes nothing`;
    case 'provider.malformed':
      return 'a malformed provider event was dropped';
    case 'provider.dialQueued':
      return `the dial waits in the provider's queue (${observation.queueLength} waiting, about ${seconds(observation.waitMs)})`;
    case 'provider.dialPlaced':
      return `the provider placed the dial after ${seconds(observation.waitMs)}${observation.retries === 0 ? '' : ` and ${observation.retries} retries`}`;
    case 'attempt.ended': {
      const { attempt } = observation;
      const why = explainAttempt(attempt, inputTimeoutMs, mode);
      const next =
        attempt.result !== null && isRolloverResult(attempt.result)
          ? attempt.index + 1 < targets
            ? ` → rollover to ${targetName(attempt.index + 1)}`
            : ' → no target left'
          : '';
      return `${targetName(attempt.index)}: ${describeAttemptResult(attempt)} — ${why}${next}`;
    }
    case 'abuse.locked':
      return `abuse limits: ${observation.locks.map((lock) => `${lock.subject} locked (${lock.rule})`).join(', ')}`;
    case 'abuse.recordFailed':
      return `abuse limits could not record the result: ${observation.message}`;
    case 'verification.ended': {
      const { result } = observation;
      const ignored = Object.values(result.ignoredEvents).reduce((a, b) => a + b, 0);
      return `final status: ${result.status.toUpperCase()} (${result.reason})${ignored === 0 ? '' : `; ${ignored} event${ignored === 1 ? '' : 's'} ignored`}`;
    }
  }
}

/**
 * The timeline of a scenario run, one entry per observation worth reading.
 *
 * @example
 * ```ts
 * for (const entry of toTimeline(run)) console.log(entry.atMs, entry.text);
 * ```
 */
export function toTimeline(run: ScenarioRun): TimelineEntry[] {
  const { request } = run.scenario;
  const settings: TimelineSettings = {
    targets: request.targets.length,
    inputTimeoutMs: request.timing?.inputTimeoutMs ?? DEFAULT_TIMING.inputTimeoutMs,
    mode: request.mode ?? 'standard',
  };
  const start = run.result.startedAt;
  const entries: TimelineEntry[] = [];
  for (const observation of run.observations) {
    const text = describeObservation(observation, settings);
    if (text !== null) entries.push({ atMs: observation.at - start, kind: KIND_OF[observation.type], text });
  }
  return entries;
}

/**
 * The timeline as text, with the scenario's name as a heading.
 *
 * @example
 * ```ts
 * console.log(formatTimeline(await playScenario(scenario)));
 * ```
 */
export function formatTimeline(run: ScenarioRun): string {
  const lines = toTimeline(run).map((entry) => `  t=${seconds(entry.atMs).padEnd(9)} ${entry.text}`);
  return [`▶ ${run.scenario.name}`, ...lines].join('\n');
}
