/**
 * A login server's phone verification, run against the simulated carrier:
 * PIN mode, a backup number, abuse limits, masked numbers in the logs.
 *
 *   npx tsx examples/simulated-login.ts
 */
import { timingSafeEqual } from 'node:crypto';
import { createAbuseGuard, runVerification, SimulatedCarrier, VerificationRefusedError, VirtualClock } from 'voice-mfa';

const clock = new VirtualClock();

// Alice's desk phone goes to voicemail; her mobile answers, she types a wrong PIN, then the right one.
const carrier = new SimulatedCarrier({
  clock,
  numbers: {
    '+1 425 555 0100': { kind: 'voicemail' },
    '+1 425 555 0101': { kind: 'answers', responses: [{ press: '0000#' }, { press: '739164#' }] },
  },
});

// Compare in constant time; in a real server the PIN would be a salted hash in the user store.
const expectedPin = Buffer.from('739164');
const verifyPin = (entry: string): boolean => {
  const typed = Buffer.from(entry);
  return typed.length === expectedPin.length && timingSafeEqual(typed, expectedPin);
};

const abuseGuard = createAbuseGuard({ now: () => clock.now() });

async function verifyAlice(): Promise<void> {
  try {
    const result = await runVerification(
      {
        targets: ['(425) 555-0100', '(425) 555-0101'],
        defaultCountry: 'US',
        mode: 'pin',
        callerId: '+1 425 555 0000',
      },
      {
        provider: carrier,
        clock,
        verifyPin,
        abuseGuard,
        userId: 'alice',
        maskNumbers: true,
        onEvent: (o) => {
          if (o.type === 'attempt.ended') console.log(`  ${o.attempt.target.e164}: ${o.attempt.result}`);
        },
      },
    );
    console.log(`status: ${result.status} (${result.reason})`);
  } catch (error) {
    if (error instanceof VerificationRefusedError) {
      console.log(`refused: ${error.rule}, retry in ${Math.ceil(error.retryAfterMs / 1000)} s`);
      return;
    }
    throw error;
  }
}

console.log('first login:');
await verifyAlice();
console.log('second login, straight away:');
await verifyAlice(); // the desk phone was just called: the cool-down refuses a new call to it
