/**
 * Test files' side of PostgreSQL: a suite that runs against the server the
 * global setup provided (or is skipped, saying why), in schemas of its own so
 * that files run in parallel, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, inject, it } from 'vitest';

const postgres = inject('voiceMfaPostgres');

/** A schema name no other test uses. */
export function uniqueSchemaName(): string {
  return `test_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/**
 * Describes a suite that needs PostgreSQL; `body` gets the server's URL and a
 * maker of fresh schema names, dropped after the suite.
 */
export function describeWithPostgres(name: string, body: (url: string, newSchema: () => string) => void): void {
  const { url, skipReason } = postgres;
  if (url === null) {
    describe.skip(name, () => {
      it(skipReason, () => {});
    });
    return;
  }
  describe(name, () => {
    const schemas: string[] = [];
    afterAll(async () => {
      const client = new pg.Client(url);
      await client.connect();
      try {
        for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    });
    body(url, () => {
      const schema = uniqueSchemaName();
      schemas.push(schema);
      return schema;
    });
  });
}
