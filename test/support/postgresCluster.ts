/**
 * A throw-away PostgreSQL cluster for tests and benchmarks: `initdb` in a
 * temporary folder, a server on 127.0.0.1 only (no Unix socket) at a free
 * port, stopped and deleted afterwards. PostgreSQL refuses to run as root, so
 * as root it runs as the `postgres` user (or `nobody`), which owns the folder.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A running cluster. */
export interface PostgresCluster {
  /** Connection string of its `postgres` database, as the superuser `postgres` (trusted on 127.0.0.1). */
  url: string;
  /** The server's major version, e.g. `15`. */
  version: string;
  /** How long `initdb` and the start took. */
  startMs: number;
  /** Stops the server and deletes its folder. */
  stop(): void;
}

/** The folder holding `initdb`, `pg_ctl` and `postgres`: Debian's newest `/usr/lib/postgresql/<n>/bin`, else one on PATH. */
export function findPostgresBinaries(): string | null {
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((name) => /^\d+$/.test(name) && existsSync(join(debian, name, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(debian, versions[0], 'bin');
  }
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (folder !== '' && existsSync(join(folder, 'initdb')) && existsSync(join(folder, 'pg_ctl'))) return folder;
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}

/** The user the server runs as when we are root, with its ids. */
function serverUser(): { name: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      return { name, uid, gid };
    } catch {
      // No such user: try the next.
    }
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as');
}

/**
 * Starts a cluster; throws with PostgreSQL's own log when it cannot. Tests
 * run it without flushing to the disk (it is thrown away); `durable` keeps
 * PostgreSQL's defaults (`fsync`, `synchronous_commit`), for benchmarks.
 */
export async function startPostgresCluster(
  binaries: string,
  options: { durable?: boolean } = {},
): Promise<PostgresCluster> {
  const started = performance.now();
  const user = serverUser();
  const folder = mkdtempSync(join(tmpdir(), 'voice-mfa-postgres-'));
  const data = join(folder, 'data');
  const log = join(folder, 'server.log');
  if (user !== null) chownSync(folder, user.uid, user.gid);
  const run = (program: string, args: string[]) =>
    execFileSync(
      user === null ? join(binaries, program) : 'runuser',
      user === null ? args : ['-u', user.name, '--', join(binaries, program), ...args],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: folder },
    );
  const port = await freePort();
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const settings = [
      '-c listen_addresses=127.0.0.1',
      `-p ${port}`,
      "-c unix_socket_directories=''",
      '-c max_connections=300',
      // A test cluster is thrown away: it need not survive a power cut.
      ...(options.durable === true ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    ].join(' ');
    run('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', settings, 'start']);
  } catch (error) {
    const output = existsSync(log) ? execFileSync('cat', [log], { encoding: 'utf8' }) : '';
    rmSync(folder, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${output}`);
  }
  const version = run('postgres', ['--version']).replace(/^.*\s(\d+)[.\d]*.*$/s, '$1');
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    version,
    startMs: performance.now() - started,
    stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
  };
}
