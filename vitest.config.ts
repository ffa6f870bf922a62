import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Examples import the package by its name, as users do; in this repository that is the source.
    alias: {
      'voice-mfa/twilio': fileURLToPath(new URL('./src/providers/twilio/index.ts', import.meta.url)),
      'voice-mfa': fileURLToPath(new URL('./src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
