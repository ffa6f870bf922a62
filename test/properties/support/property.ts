/**
 * Running a property: the run count comes from `PROPERTY_RUNS` (default 1 000),
 * and a failure reports the seed, the replay path and the shrunk counterexample.
 * Replay one with `PROPERTY_SEED=<seed> PROPERTY_PATH=<path>`.
 */
import fc from 'fast-check';
import { expect } from 'vitest';

const DEFAULT_RUNS = 1_000;

function readInteger(name: string, min: number): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min)
    throw new Error(`${name} must be an integer from ${min}, got ${raw}`);
  return value;
}

/** Runs per property. */
export const PROPERTY_RUNS = readInteger('PROPERTY_RUNS', 1) ?? DEFAULT_RUNS;

/** Vitest timeout for one property: generous, since a property is many verifications. */
export const PROPERTY_TIMEOUT_MS = Math.max(60_000, PROPERTY_RUNS * 300);

/**
 * One seed for the properties of a test file that share a generator, so that
 * they see the same scenarios and can reuse one run per scenario (see
 * `memoizeRuns`). `PROPERTY_SEED` still wins.
 */
export const FILE_SEED = readInteger('PROPERTY_SEED', Number.MIN_SAFE_INTEGER) ?? (Math.random() * 2 ** 31) | 0;

function replayParameters(): { seed?: number; path?: string } {
  const seed = readInteger('PROPERTY_SEED', Number.MIN_SAFE_INTEGER);
  const path = process.env.PROPERTY_PATH;
  return {
    ...(seed === undefined ? {} : { seed }),
    ...(path === undefined || path === '' ? {} : { path }),
  };
}

/**
 * Checks `predicate` against `PROPERTY_RUNS` values of `arbitrary`. On failure it
 * throws (and prints) fast-check's report (seed, path, shrunk counterexample and
 * the error it raised) and how to replay it.
 */
export async function assertProperty<T>(
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void>,
  parameters: fc.Parameters<[T]> = {},
): Promise<void> {
  const details = await fc.check(fc.asyncProperty(arbitrary, predicate), {
    numRuns: PROPERTY_RUNS,
    includeErrorInReport: true,
    ...replayParameters(),
    ...parameters,
  });
  if (!details.failed && !details.interrupted) return;
  const { testPath, currentTestName } = expect.getState();
  const title = currentTestName?.split(' > ').at(-1) ?? '';
  const report = [
    fc.defaultReportMessage(details) ?? 'Property failed',
    `Replay: PROPERTY_SEED=${details.seed} PROPERTY_PATH=${details.counterexamplePath ?? ''} ` +
      `npx vitest run ${testPath ?? ''} -t ${JSON.stringify(title)}`,
  ].join('\n\n');
  console.error(report);
  throw new Error(report);
}
