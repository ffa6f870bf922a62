#!/usr/bin/env bash
# Packs the library, lints the tarball (publint, arethetypeswrong), installs it
# into a fresh project and uses it the way users do: ESM `import` and CommonJS
# `require()` at run time, TypeScript under node16, nodenext and bundler module
# resolution, for every entry point, and the command-line tool.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="$repo/node_modules/.bin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$repo"
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "packed $tarball ($(du -k "$work/$tarball" | cut -f1) KiB)"
contents="$(tar -tzf "$work/$tarball")"
grep -qx 'package/dist/index.d.ts' <<<"$contents" || { echo 'dist/index.d.ts missing from the package'; exit 1; }
if grep -qE '^package/(src|test)/' <<<"$contents"; then echo 'sources or tests leaked into the package'; exit 1; fi

# The tarball as the registry would get it. No rule of arethetypeswrong is
# ignored: `require` resolves to a CommonJS file (dist/index.cjs, which loads the
# ES module through Node's require(esm)), and node10 resolution finds
# voice-mfa/twilio through the twilio/package.json stub.
"$bin/publint" run "$work/$tarball" --strict
"$bin/attw" "$work/$tarball" --no-definitely-typed --no-color --format table-flipped

# No shipped source map may point at a file that is not shipped (the sources are not).
mkdir -p "$work/unpacked"
tar -xzf "$work/$tarball" -C "$work/unpacked"
"$bin/tsx" "$repo/scripts/check-source-maps.ts" "$work/unpacked/package"

# A project without "type": .mts files are ES modules, .cts and .cjs files CommonJS.
mkdir -p "$work/consumer"
cd "$work/consumer"
cat > package.json <<'JSON'
{ "name": "voice-mfa-consumer", "private": true }
JSON
# Dependencies come from the cache `npm ci` filled: no network needed for them.
# twilio is an optional peer dependency, installed the way a user of voice-mfa/twilio would.
version_of() { node -p "require('$repo/node_modules/$1/package.json').version"; }
npm install --prefer-offline --no-audit --no-fund --loglevel=error "$work/$tarball" \
  "@types/node@$(version_of @types/node)" "twilio@$(version_of twilio)" >/dev/null
# The store subpaths' drivers, installed the way a user would: pg runs (against a port where
# nothing listens: a typed error, at once); better-sqlite3 is native and compiles for a
# minute, so its subpath is checked by its types.
npm install --prefer-offline --no-audit --no-fund --loglevel=error "pg@$(version_of pg)" \
  "@types/pg@$(version_of @types/pg)" "@types/better-sqlite3@$(version_of @types/better-sqlite3)" >/dev/null

cat > esm-consumer.mts <<'TS'
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
cat > cjs-consumer.cts <<'TS'
import { runVerification, SimulatedCarrier, VirtualClock, type VerificationResult } from 'voice-mfa';

const clock = new VirtualClock();
const provider = new SimulatedCarrier({
  clock,
  numbers: { '+14255550100': { kind: 'answers', responses: [{ press: '#' }] } },
});
runVerification({ targets: ['+14255550100'] }, { provider, clock }).then((result: VerificationResult) => {
  console.log(`required: ${result.status}`);
});
TS
for flavour in esm:mts cjs:cts; do
  cat > "twilio-${flavour%%:*}-consumer.${flavour#*:}" <<'TS'
import { TwilioVoiceProvider, type TwilioVoiceProviderOptions } from 'voice-mfa/twilio';

const options: TwilioVoiceProviderOptions = {
  accountSid: `AC${'0'.repeat(32)}`,
  authToken: 'not-a-real-token',
  publicBaseUrl: 'https://verify.example.com/twilio',
};
const provider = new TwilioVoiceProvider(options);
const timedByTwilio: boolean = provider.capabilities.enforcesInputTimeout;
console.log(`${provider.name}: ${timedByTwilio}`);
TS
done
cat > stores-consumer.mts <<'TS'
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
cat > stores-cjs-consumer.cts <<'TS'
import { PostgresVerificationStore } from 'voice-mfa/postgres';
import type { SqliteVerificationStoreOptions } from 'voice-mfa/sqlite';

const sqlite: SqliteVerificationStoreOptions = { path: 'verifications.db' };
console.log(`required: ${typeof PostgresVerificationStore} ${sqlite.path}`);
TS
# voice-mfa/audio has no dependencies: the intercept tones, synthesised here, are heard as such.
for flavour in esm:mts cjs:cts; do
  cat > "audio-${flavour%%:*}-consumer.${flavour#*:}" <<'TS'
import { AudioAnalyser, type AudioDetection, dbm0ToAmplitude, encodeMulaw, SAMPLE_RATE_HZ, SIT_SEQUENCES } from 'voice-mfa/audio';

const samples: number[] = [];
for (const { frequencyHz, durationMs } of SIT_SEQUENCES.IC) {
  for (let n = 0; n < (durationMs * SAMPLE_RATE_HZ) / 1000; n++) {
    samples.push(dbm0ToAmplitude(-20) * Math.sin((2 * Math.PI * frequencyHz * n) / SAMPLE_RATE_HZ));
  }
}
for (let n = 0; n < SAMPLE_RATE_HZ / 2; n++) samples.push(0);
const audio = encodeMulaw(samples);
const analyser = new AudioAnalyser({ answeringMachine: false });
const heard: AudioDetection[] = [];
for (let at = 0; at < audio.length; at += 160) heard.push(...analyser.pushMulaw(audio.subarray(at, at + 160)));
console.log(heard.map((detection) => (detection.type === 'sit' ? `sit ${detection.kind}` : detection.type)).join(', '));
TS
done
# twilio's own declarations use jsonwebtoken's types, which are a separate
# package (@types/jsonwebtoken); declaring the one type they use lets every
# check below run with skipLibCheck off.
cat > jsonwebtoken.d.ts <<'TS'
declare module 'jsonwebtoken' {
  namespace jwt {
    type Algorithm = string;
  }
  export type Algorithm = jwt.Algorithm;
  export default jwt;
}
TS

typecheck() {
  local module="$1" resolution="$2" skip_lib_check="$3"
  shift 3
  "$bin/tsc" --noEmit --strict --target ES2022 --types node --skipLibCheck "$skip_lib_check" \
    --module "$module" --moduleResolution "$resolution" jsonwebtoken.d.ts "$@"
  echo "tsc --module $module --moduleResolution $resolution: $*"
}
esm_files=(esm-consumer.mts twilio-esm-consumer.mts stores-consumer.mts audio-esm-consumer.mts)
cjs_files=(cjs-consumer.cts twilio-cjs-consumer.cts stores-cjs-consumer.cts audio-cjs-consumer.cts)
typecheck node16 node16 false "${esm_files[@]}"
typecheck nodenext nodenext false "${esm_files[@]}" "${cjs_files[@]}"
typecheck preserve bundler false "${esm_files[@]}"
# TypeScript's node16 mode models Node 16, which could not require() an ES
# module, so it reports the require inside dist/index.d.cts itself; the user's
# code still gets every type (this check has skipLibCheck on only for that).
# CommonJS projects compiled by TypeScript use nodenext (checked strictly above).
typecheck node16 node16 true "${cjs_files[@]}"

"$bin/tsc" --strict --target ES2022 --types node --module nodenext --moduleResolution nodenext --outDir out \
  jsonwebtoken.d.ts "${esm_files[@]}" "${cjs_files[@]}"
expect_output() {
  local expected="$1" output
  shift
  output="$("$@" 2>&1)"
  echo "$*: $output"
  [ "$output" = "$expected" ] || { echo "expected: $expected"; exit 1; }
}
expect_output 'verification: approved' node out/esm-consumer.mjs
expect_output 'required: approved' node out/cjs-consumer.cjs
expect_output 'twilio: true' node out/twilio-esm-consumer.mjs
expect_output 'twilio: true' node out/twilio-cjs-consumer.cjs
expect_output 'memory verifications.db postgres: true' node out/stores-consumer.mjs
expect_output 'required: function verifications.db' node out/stores-cjs-consumer.cjs
expect_output 'sit intercept' node out/audio-esm-consumer.mjs
expect_output 'sit intercept' node out/audio-cjs-consumer.cjs

# require() and import share one copy of the library: one module state, and an
# error thrown by voice-mfa/twilio is an instance of the VoiceMfaError either
# way. Node prints no warning for it.
cat > one-copy.cjs <<'JS'
const required = require('voice-mfa');
const { TwilioVoiceProvider } = require('voice-mfa/twilio');
let thrown;
try {
  new TwilioVoiceProvider({ accountSid: 'not-an-account', authToken: 'x', publicBaseUrl: 'https://verify.example.com' });
} catch (error) {
  thrown = error;
}
import('voice-mfa').then((imported) =>
  import('voice-mfa/twilio').then((importedTwilio) => {
    const same =
      imported.VoiceMfaError === required.VoiceMfaError &&
      imported.runVerification === required.runVerification &&
      importedTwilio.TwilioVoiceProvider === TwilioVoiceProvider &&
      thrown instanceof required.VoiceMfaError &&
      thrown instanceof imported.VoiceMfaError;
    console.log(`one copy: ${same}`);
  }),
);
JS
expect_output 'one copy: true' node one-copy.cjs

# The command-line tool, as `npx voice-mfa` runs it.
cli_output="$(npx --no-install voice-mfa simulate --target '+14255550100=busy' --target '+14255550101=answers:#')"
grep -q 'final status: APPROVED' <<<"$cli_output" || { echo "npx voice-mfa simulate did not approve:"; echo "$cli_output"; exit 1; }
echo "npx voice-mfa simulate works"
echo "package check passed"
