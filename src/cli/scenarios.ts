/**
 * The demo's scenarios: the seed's stories, each on scripted callees.
 *
 * @module
 */
import type { Scenario } from './scenario.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';
const SECOND_BACKUP = '+14255550102';

/**
 * The scenarios `voice-mfa demo` plays, in order.
 *
 * @example
 * ```ts
 * for (const scenario of DEMO_SCENARIOS) console.log(scenario.name);
 * ```
 */
export const DEMO_SCENARIOS: readonly Scenario[] = [
  {
    name: 'The callee presses # and is verified',
    request: { targets: [PRIMARY, BACKUP] },
    callees: { [PRIMARY]: { kind: 'answers', responses: [{ press: '#', afterMs: 2_000 }] } },
  },
  {
    name: 'The callee hangs up during the greeting: an intentional denial, no rollover',
    request: { targets: [PRIMARY, BACKUP] },
    callees: {
      [PRIMARY]: { kind: 'answers', responses: [{ hangUp: true, from: 'prompt-start', afterMs: 3_000 }] },
      [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] },
    },
  },
  {
    name: 'Voicemail answers, 10 s of silence after the greeting, the backup approves',
    request: { targets: [PRIMARY, BACKUP] },
    callees: {
      [PRIMARY]: { kind: 'voicemail', answerAfterMs: 12_000 },
      [BACKUP]: { kind: 'answers', responses: [{ press: '#', afterMs: 2_500 }] },
    },
  },
  {
    name: 'Busy signal, the backup approves',
    request: { targets: [PRIMARY, BACKUP] },
    callees: { [PRIMARY]: { kind: 'busy' }, [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] } },
  },
  {
    name: 'Tri-tones (number disconnected), the backup approves',
    request: { targets: [PRIMARY, BACKUP] },
    callees: {
      [PRIMARY]: { kind: 'sit', sitKind: 'intercept' },
      [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] },
    },
  },
  {
    name: 'A disconnected number answered by its intercept recording: the tri-tones heard in the audio, the backup approves',
    request: { targets: [PRIMARY, BACKUP] },
    callees: {
      [PRIMARY]: { kind: 'intercept' },
      [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] },
    },
    audioAnalysis: true,
  },
  {
    name: 'An invalid primary number is never dialled, the backup approves',
    request: { targets: ['+1 425 555', BACKUP] },
    callees: { [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] } },
  },
  {
    name: 'A premium-rate backup is refused by the dialling policy and never dialled',
    request: { targets: [PRIMARY, '+44 909 879 0000', SECOND_BACKUP] },
    callees: {
      [PRIMARY]: { kind: 'busy' },
      [SECOND_BACKUP]: { kind: 'answers', responses: [{ press: '#' }] },
    },
  },
  {
    name: 'Every number unreachable',
    request: { targets: [PRIMARY, BACKUP, SECOND_BACKUP] },
    callees: {
      [PRIMARY]: { kind: 'busy' },
      [BACKUP]: { kind: 'sit', sitKind: 'vacant-code' },
      [SECOND_BACKUP]: { kind: 'no-answer' },
    },
  },
  {
    name: 'PIN mode: the right PIN then #',
    request: { targets: [PRIMARY], mode: 'pin' },
    pin: '4821',
    callees: { [PRIMARY]: { kind: 'answers', responses: [{ press: '4821#', afterMs: 1_500, keyGapMs: 400 }] } },
  },
  {
    name: 'PIN mode: a wrong PIN three times',
    request: { targets: [PRIMARY, BACKUP], mode: 'pin' },
    pin: '4821',
    callees: {
      [PRIMARY]: {
        kind: 'answers',
        responses: [{ press: '1111#' }, { press: '2222#' }, { press: '3333#' }],
      },
      [BACKUP]: { kind: 'answers', responses: [{ press: '4821#' }] },
    },
  },
  {
    name: 'The callee reports fraud with 0#',
    request: { targets: [PRIMARY, BACKUP] },
    callees: {
      [PRIMARY]: { kind: 'answers', responses: [{ press: '0#', afterMs: 1_000 }] },
      [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] },
    },
  },
  {
    name: 'An office number with an extension (two seconds of pause, then 1234)',
    request: { targets: [{ number: PRIMARY, extension: ',,1234' }] },
    callees: { [PRIMARY]: { kind: 'answers', answerAfterMs: 2_000, responses: [{ press: '#', afterMs: 2_000 }] } },
  },
  {
    name: 'Answering-machine detection hangs up on voicemail at once',
    request: { targets: [PRIMARY, BACKUP], answeringMachineDetection: true },
    callees: {
      [PRIMARY]: { kind: 'voicemail', answerAfterMs: 12_000 },
      [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] },
    },
  },
];
