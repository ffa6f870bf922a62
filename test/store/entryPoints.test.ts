/**
 * Users of the memory store never load a database driver: the root entry
 * point imports neither better-sqlite3 nor pg, and each subpath loads its own
 * driver only. Checked in a fresh Node process, by the CommonJS module cache
 * both drivers land in.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Imports `entry` in a new process and lists the driver packages it loaded. */
function driversLoadedBy(entry: string): string[] {
  const probe = `
    import { createRequire } from 'node:module';
    import { pathToFileURL } from 'node:url';
    await import(pathToFileURL(${JSON.stringify(entry)}).href);
    const loaded = Object.keys(createRequire(import.meta.url).cache)
      .map((path) => /node_modules\\/(better-sqlite3|pg)\\//.exec(path)?.[1])
      .filter((name) => name !== undefined);
    console.log(JSON.stringify([...new Set(loaded)].sort()));
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`importing ${entry} failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '[]') as string[];
}

describe('entry points load only their own driver', () => {
  it.each([
    ['src/index.ts', []],
    ['src/store/sqlite/index.ts', ['better-sqlite3']],
    ['src/store/postgres/index.ts', ['pg']],
    ['src/audio/index.ts', []],
  ])(
    '%s loads %j',
    (entry, drivers) => {
      expect(driversLoadedBy(entry)).toEqual(drivers);
    },
    60_000,
  );
});
