/**
 * Running the machine yourself: create the actor, carry its commands to your
 * telephony, and send it events. `runVerification` does exactly this for you.
 *
 *   npx tsx examples/machine-only.ts
 */

import { createVerificationActor, type ProviderCommand } from 'voice-mfa';
import { SimulatedClock } from 'xstate';

const clock = new SimulatedClock();
const actor = createVerificationActor({ targets: ['+14255550100', '+14255550101'] }, { clock });
const commands: ProviderCommand[] = [];
actor.on('*', (command) => {
  commands.push(command);
  console.log(`command: ${command.type}`);
});
actor.start();
await new Promise((resolve) => setImmediate(resolve)); // the number check runs

// The primary number is answered by voicemail: the greeting plays, then 10 s of silence.
actor.send({ type: 'call.dialed', attempt: 0, callId: 'CA-1', at: clock.now() });
actor.send({ type: 'call.answered', callId: 'CA-1', at: clock.now() });
clock.increment(8_000);
actor.send({ type: 'call.promptFinished', callId: 'CA-1', promptSeq: 1, at: clock.now() });
clock.increment(10_000); // the input timer fires: no-response, hang up, dial the backup
await new Promise((resolve) => setImmediate(resolve));

actor.send({ type: 'call.dialed', attempt: 1, callId: 'CA-2', at: clock.now() });
actor.send({ type: 'call.answered', callId: 'CA-2', at: clock.now() });
actor.send({ type: 'call.digits', callId: 'CA-2', digits: '#', at: clock.now() });

const output = actor.getSnapshot().output;
console.log(`status: ${output?.status}; attempts: ${output?.attempts.map((a) => a.result).join(', ')}`);
