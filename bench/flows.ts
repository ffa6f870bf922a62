/**
 * The verifications the benchmarks run on the simulated carrier: the seed
 * story and a fixed mix of the common ways a verification goes.
 */
import type { CalleeScript, VerificationRequest } from '../src/index.js';

const PRIMARY = '+14255550100';
const BACKUP = '+14255550101';

/** A PIN the flows' PIN verifier accepts. */
export const BENCH_PIN = '4821';

/** One verification: the request, what each number does, and the host's PIN check if it needs one. */
export interface BenchFlow {
  name: string;
  request: VerificationRequest;
  numbers: Record<string, CalleeScript>;
  verifyPin?: (entry: string) => boolean;
}

const verifyPin = (entry: string): boolean => entry === BENCH_PIN;

/** Voicemail on the first number, 10 s of silence, rollover, the backup presses #. */
export const SEED_STORY: BenchFlow = {
  name: 'seed story',
  request: { targets: [PRIMARY, BACKUP] },
  numbers: { [PRIMARY]: { kind: 'voicemail' }, [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] } },
};

/** The mix: approve, hang-up, voicemail → rollover → approve, busy → approve, PIN. */
export const MIX: readonly BenchFlow[] = [
  {
    name: 'approve',
    request: { targets: [PRIMARY] },
    numbers: { [PRIMARY]: { kind: 'answers', responses: [{ press: '#' }] } },
  },
  {
    name: 'hang-up',
    request: { targets: [PRIMARY] },
    numbers: { [PRIMARY]: { kind: 'answers', responses: [{ hangUp: true }] } },
  },
  { ...SEED_STORY, name: 'voicemail → rollover → approve' },
  {
    name: 'busy → approve',
    request: { targets: [PRIMARY, BACKUP] },
    numbers: { [PRIMARY]: { kind: 'busy' }, [BACKUP]: { kind: 'answers', responses: [{ press: '#' }] } },
  },
  {
    name: 'PIN',
    request: { targets: [PRIMARY], mode: 'pin' },
    numbers: { [PRIMARY]: { kind: 'answers', responses: [{ press: `${BENCH_PIN}#` }] } },
    verifyPin,
  },
];
