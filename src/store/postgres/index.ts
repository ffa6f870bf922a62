/**
 * voice-mfa/postgres: verifications in PostgreSQL, for many instances. This
 * entry point is the only one that loads pg (an optional peer dependency:
 * `npm install pg`).
 *
 * @packageDocumentation
 * @module voice-mfa/postgres
 */

export { PostgresVerificationStore, type PostgresVerificationStoreOptions } from './postgresStore.js';
