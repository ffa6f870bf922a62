import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Examples import the package by its name, as users do; in this repository that is the source.
    alias: {
      'voice-mfa/twilio': fileURLToPath(new URL('./src/providers/twilio/index.ts', import.meta.url)),
      'voice-mfa/sqlite': fileURLToPath(new URL('./src/store/sqlite/index.ts', import.meta.url)),
      'voice-mfa/postgres': fileURLToPath(new URL('./src/store/postgres/index.ts', import.meta.url)),
      'voice-mfa/audio': fileURLToPath(new URL('./src/audio/index.ts', import.meta.url)),
      'voice-mfa': fileURLToPath(new URL('./src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // PostgreSQL for the tests that need it: a throw-away cluster, or VOICE_MFA_TEST_POSTGRES_URL.
    globalSetup: ['test/support/postgres.ts'],
    environment: 'node',
  },
});
