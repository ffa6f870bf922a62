#!/usr/bin/env bash
# Packs the library, installs the tarball into a fresh project and uses it the
# way a user would: ESM imports, types resolving under `tsc`, and a real run.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$repo"
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "packed $tarball ($(du -k "$work/$tarball" | cut -f1) KiB)"
contents="$(tar -tzf "$work/$tarball")"
grep -qx 'package/dist/index.d.ts' <<<"$contents" || { echo 'dist/index.d.ts missing from the package'; exit 1; }
if grep -qE '^package/(src|test)/' <<<"$contents"; then echo 'sources or tests leaked into the package'; exit 1; fi

mkdir -p "$work/consumer"
cd "$work/consumer"
cat > package.json <<'JSON'
{ "name": "voice-mfa-consumer", "private": true, "type": "module" }
JSON
# Dependencies come from the cache `npm ci` filled: no network needed for them.
npm install --prefer-offline --no-audit --no-fund --loglevel=error "$work/$tarball" "@types/node@$(node -p "require('$repo/node_modules/@types/node/package.json').version")" >/dev/null

cat > consumer.ts <<'TS'
import { runVerification, SimulatedCarrier, VirtualClock, type VerificationResult } from 'voice-mfa';
import { verificationCallMachine } from 'voice-mfa';

const clock = new VirtualClock();
const provider = new SimulatedCarrier({
  clock,
  numbers: { '+14255550100': { kind: 'answers', responses: [{ press: '#' }] } },
});
const result: VerificationResult = await runVerification({ targets: ['+14255550100'] }, { provider, clock });
const machineId: string = verificationCallMachine.id;
console.log(`${machineId}: ${result.status}`);
TS
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true, "types": ["node"], "outDir": "out", "skipLibCheck": false } }
JSON
"$repo/node_modules/.bin/tsc" -p .
output="$(node out/consumer.js)"
echo "consumer printed: $output"
[ "$output" = "verification: approved" ] || { echo "unexpected output from the installed package"; exit 1; }

# The command-line tool, as `npx voice-mfa` runs it.
cli_output="$(npx --no-install voice-mfa simulate --target '+14255550100=busy' --target '+14255550101=answers:#')"
grep -q 'final status: APPROVED' <<<"$cli_output" || { echo "npx voice-mfa simulate did not approve:"; echo "$cli_output"; exit 1; }
echo "npx voice-mfa simulate works"

# The Twilio subpath, with twilio (an optional peer dependency) installed the way a user would.
npm install --prefer-offline --no-audit --no-fund --loglevel=error "twilio@$(node -p "require('$repo/node_modules/twilio/package.json').version")" >/dev/null
cat > twilio-consumer.ts <<'TS'
import { TWILIO_CAPABILITIES, TwilioVoiceProvider } from 'voice-mfa/twilio';

const provider = new TwilioVoiceProvider({
  accountSid: `AC${'0'.repeat(32)}`,
  authToken: 'not-a-real-token',
  publicBaseUrl: 'https://verify.example.com/twilio',
});
const timedByTwilio: boolean = TWILIO_CAPABILITIES.enforcesInputTimeout;
console.log(`${provider.name}: ${timedByTwilio}`);
TS
# twilio's own declarations need @types/jsonwebtoken; ours were checked strictly above.
"$repo/node_modules/.bin/tsc" -p . --skipLibCheck
output="$(node out/twilio-consumer.js)"
echo "twilio consumer printed: $output"
[ "$output" = "twilio: true" ] || { echo "unexpected output from voice-mfa/twilio"; exit 1; }
# The store subpaths, with their drivers installed the way a user would. pg runs (against
# a port where nothing listens: a typed error, at once); better-sqlite3 is native and
# compiles for a minute, so its subpath is checked by its types.
version_of() { node -p "require('$repo/node_modules/$1/package.json').version"; }
npm install --prefer-offline --no-audit --no-fund --loglevel=error "pg@$(version_of pg)" "@types/pg@$(version_of @types/pg)" "@types/better-sqlite3@$(version_of @types/better-sqlite3)" >/dev/null
cat > stores-consumer.ts <<'TS'
import { MemoryVerificationStore, StoreUnavailableError } from 'voice-mfa';
import { PostgresVerificationStore } from 'voice-mfa/postgres';
import type { SqliteVerificationStoreOptions } from 'voice-mfa/sqlite';

const sqlite: SqliteVerificationStoreOptions = { path: 'verifications.db', synchronous: 'full' };
const memory = new MemoryVerificationStore();
const postgres = new PostgresVerificationStore({ connectionString: 'postgres://app@127.0.0.1:1/app', connectionTimeoutMs: 2_000 });
try {
  await postgres.migrate();
  console.log('migrated without a server');
} catch (error) {
  console.log(`${memory.kind} ${sqlite.path} ${postgres.kind}: ${error instanceof StoreUnavailableError}`);
} finally {
  await postgres.close();
}
TS
"$repo/node_modules/.bin/tsc" -p . --skipLibCheck
output="$(node out/stores-consumer.js)"
echo "stores consumer printed: $output"
[ "$output" = "memory verifications.db postgres: true" ] || { echo "unexpected output from the store subpaths"; exit 1; }
echo "package check passed"
