/**
 * Writing a voice provider: a tiny one whose "phone" answers at once and
 * presses # as soon as the greeting ends. Real providers place calls through a
 * carrier; the contract is the same (docs/providers.md).
 *
 *   npx tsx examples/custom-provider.ts
 */
import { type ProviderCommand, runVerification, type VoiceProvider } from 'voice-mfa';

const instantPhone: VoiceProvider = {
  name: 'instant-phone',
  capabilities: {
    reportsPromptEnd: true,
    enforcesInputTimeout: false,
    machineDetection: false,
    reportsSitKinds: false,
  },
  openSession({ verificationId, emit }) {
    let calls = 0;
    return {
      execute(command: ProviderCommand) {
        switch (command.type) {
          case 'dial': {
            const callId = `${verificationId}-${++calls}`;
            console.log(`dialling ${command.attempt === 0 ? 'the primary number' : `backup ${command.attempt}`}`);
            // Events go out after the command returns, as a real network's would.
            setImmediate(() => {
              emit({ type: 'call.dialed', attempt: command.attempt, callId });
              emit({ type: 'call.answered', callId });
            });
            return;
          }
          case 'playPrompt':
            console.log(`playing: ${command.segments.map((s) => ('say' in s ? s.say : s.play)).join(' ')}`);
            setImmediate(() => {
              emit({ type: 'call.promptFinished', callId: command.callId, promptSeq: command.promptSeq });
              emit({ type: 'call.digits', callId: command.callId, digits: '#' });
            });
            return;
          case 'sendDigits':
            setImmediate(() => emit({ type: 'call.digitsSent', callId: command.callId }));
            return;
          case 'hangUp':
            console.log('hanging up');
            return;
        }
      },
      close() {},
    };
  },
};

const result = await runVerification({ targets: ['+14255550100'] }, { provider: instantPhone });
console.log(`status: ${result.status}`);
