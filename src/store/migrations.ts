/**
 * Schema migrations of the SQL stores: numbered steps applied in order, each
 * recorded in the store's version table.
 *
 * @module
 */
import { StoreUnavailableError } from './errors.js';

/** One step of a store's schema. */
export interface Migration {
  /** 1, 2, 3…: the schema version this step brings the store to. */
  version: number;
  /** What the step does, as recorded beside its version. */
  description: string;
  /** The SQL statements, run in one transaction. */
  statements: readonly string[];
}

/** The schema version the last migration brings a store to. */
export function latestSchemaVersion(migrations: readonly Migration[]): number {
  return migrations.at(-1)?.version ?? 0;
}

/**
 * The migrations still to apply to a schema at `current`. A schema newer than
 * this library knows is refused: an older release must not write into it.
 */
export function pendingMigrations(current: number, migrations: readonly Migration[], where: string): Migration[] {
  const latest = latestSchemaVersion(migrations);
  if (current > latest) {
    throw new StoreUnavailableError(
      `${where} has schema version ${current}, newer than this release of voice-mfa knows (${latest}): upgrade voice-mfa`,
    );
  }
  return migrations.filter((migration) => migration.version > current);
}

/** Refuses to work on a schema that `migrate()` has not brought to this library's version. */
export function checkSchemaVersion(current: number, migrations: readonly Migration[], where: string): void {
  if (pendingMigrations(current, migrations, where).length > 0) {
    throw new StoreUnavailableError(
      `${where} has schema version ${current}, this release of voice-mfa needs ${latestSchemaVersion(migrations)}: call store.migrate() first`,
    );
  }
}
