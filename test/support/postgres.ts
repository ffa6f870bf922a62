/**
 * PostgreSQL for the tests (vitest `globalSetup`, shared by every test file):
 * `VOICE_MFA_TEST_POSTGRES_URL` when set; else a throw-away cluster on
 * 127.0.0.1 when PostgreSQL's programs are installed, stopped and deleted
 * after the run; else the PostgreSQL tests are skipped with a message saying
 * how to run them. With `VOICE_MFA_REQUIRE_POSTGRES=1` (as in CI) a missing
 * PostgreSQL fails the run instead.
 */
import type { TestProject } from 'vitest/node';
import { findPostgresBinaries, startPostgresCluster } from './postgresCluster.js';

/** What the test files get: a server's URL, or why there is none. */
export type TestPostgres = { url: string; skipReason: null } | { url: null; skipReason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    voiceMfaPostgres: TestPostgres;
  }
}

const HOW_TO_RUN =
  'install PostgreSQL (Debian: apt-get install postgresql) or set VOICE_MFA_TEST_POSTGRES_URL to a database the tests may create schemas in';

export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  const given = process.env.VOICE_MFA_TEST_POSTGRES_URL;
  if (given !== undefined && given !== '') {
    project.provide('voiceMfaPostgres', { url: given, skipReason: null });
    return undefined;
  }
  const binaries = findPostgresBinaries();
  if (binaries === null) {
    const skipReason = `PostgreSQL tests skipped: no PostgreSQL programs found; ${HOW_TO_RUN}`;
    if (process.env.VOICE_MFA_REQUIRE_POSTGRES === '1') {
      throw new Error(`VOICE_MFA_REQUIRE_POSTGRES=1 but ${skipReason.replace('PostgreSQL tests skipped: ', '')}`);
    }
    console.warn(skipReason);
    project.provide('voiceMfaPostgres', { url: null, skipReason });
    return undefined;
  }
  const cluster = await startPostgresCluster(binaries);
  console.log(`PostgreSQL ${cluster.version} test cluster on 127.0.0.1 started in ${Math.round(cluster.startMs)} ms`);
  project.provide('voiceMfaPostgres', { url: cluster.url, skipReason: null });
  return () => cluster.stop();
}
