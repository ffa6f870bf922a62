/**
 * The PostgreSQL store's access to the server: queries that return bigint
 * columns as numbers, and failures of the server or the network turned into a
 * `StoreUnavailableError` that names the server (never its password).
 *
 * @module
 */
import pg from 'pg';
import { StoreUnavailableError } from '../errors.js';

/** A pool, a client taken from it, or a client of its own: whatever can run a query. */
export type Queryable = pg.Pool | pg.PoolClient | pg.Client;

const INT8_OID = 20;

/** `bigint` columns (times in ms, counts) as numbers: they stay far below 2^53. The pool's own parsers stay as the host set them. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** The server, for messages: host, port and database, from a connection string or a pool's options. */
export function describeServer(config: pg.ClientConfig): string {
  let { host, port, database } = config;
  if (config.connectionString !== undefined) {
    try {
      const url = new URL(config.connectionString);
      host ??= decodeURIComponent(url.hostname) || undefined;
      port ??= url.port === '' ? undefined : Number(url.port);
      database ??= decodeURIComponent(url.pathname.slice(1)) || undefined;
    } catch {
      // Not a URL (key=value form): say what is known.
    }
  }
  return `PostgreSQL at ${host ?? process.env.PGHOST ?? 'localhost'}:${port ?? process.env.PGPORT ?? 5432}/${database ?? process.env.PGDATABASE ?? '(default database)'}`;
}

/** SQLSTATE classes that say the server cannot serve, not that a statement is wrong. */
const UNAVAILABLE_CLASSES = ['08', '28', '53', '57', '58', '3D'];

/** The SQLSTATE of a server error; `null` for anything else (a network error, a timeout). */
const sqlState = (error: unknown): string | null =>
  error instanceof pg.DatabaseError && typeof error.code === 'string' ? error.code : null;

/** Whether the server refused a write as a duplicate key. */
export const isUniqueViolation = (error: unknown): boolean => sqlState(error) === '23505';

/**
 * A `StoreUnavailableError` for a failure of the server or the connection; a
 * statement's own error (a constraint, a syntax error) as it is.
 */
export function toStoreError(error: unknown, server: string): unknown {
  const state = sqlState(error);
  const message = error instanceof Error ? error.message : String(error);
  if (state === '55P03') {
    return new StoreUnavailableError(`${server}: a lock was held by another step for longer than the lock timeout`, {
      cause: error,
    });
  }
  if (state !== null && !UNAVAILABLE_CLASSES.some((prefix) => state.startsWith(prefix))) return error;
  return new StoreUnavailableError(`${server} cannot be used: ${message}`, { cause: error });
}

/** Runs one statement; `name` keeps its plan on each connection. */
export async function query<Row extends pg.QueryResultRow = Record<string, unknown>>(
  db: Queryable,
  server: string,
  text: string,
  values: unknown[] = [],
  name?: string,
): Promise<pg.QueryResult<Row>> {
  try {
    return await db.query<Row>({ text, values, types, ...(name === undefined ? {} : { name }) });
  } catch (error) {
    throw toStoreError(error, server);
  }
}

/** Takes a client from the pool; one that cannot be had is a `StoreUnavailableError`. */
export async function connect(pool: pg.Pool, server: string): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (error) {
    throw toStoreError(error, server);
  }
}
