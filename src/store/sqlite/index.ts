/**
 * voice-mfa/sqlite: verifications in a SQLite file, the embedded default
 * store. This entry point is the only one that loads better-sqlite3 (an
 * optional peer dependency: `npm install better-sqlite3@12`).
 *
 * @packageDocumentation
 * @module voice-mfa/sqlite
 */

export type { SqliteBackup } from './backup.js';
export type { SqliteSynchronous } from './connection.js';
export { type RestoredSqliteBackup, restoreSqliteBackup } from './restore.js';
export { SqliteVerificationStore, type SqliteVerificationStoreOptions } from './sqliteStore.js';
