/**
 * A real verification call through Twilio: your phone rings, you hear the
 * greeting, you press # (or type a PIN and #).
 *
 *   TWILIO_ACCOUNT_SID=AC… TWILIO_AUTH_TOKEN=… TWILIO_CALLER_ID=+1… \
 *   VOICE_MFA_PUBLIC_URL=https://<your-tunnel>/twilio VERIFY_TO=+1… \
 *   npx tsx examples/twilio-live.ts
 *
 * It serves the webhooks on http://127.0.0.1:$PORT (default 8080), with
 * deadlines that fit Twilio's; expose that port publicly (a tunnel such as
 * ngrok or cloudflared, or a reverse proxy) at VOICE_MFA_PUBLIC_URL, which may
 * carry user:password@ for HTTP basic auth. Optional: VERIFY_TO takes backups
 * after commas, VERIFY_PIN switches to PIN mode with that PIN, VERIFY_AMD=1
 * turns on answering-machine detection, TWILIO_WEBHOOK_SHARED_KEY_SECRET
 * checks webhooks a Twilio Webhook Rule signs with a SharedKey,
 * VERIFY_MEDIA_STREAMS=1 listens to each answered call through Media Streams
 * (the tunnel must pass WebSockets; needs the ws package) so that an intercept
 * recording rolls over at once. Calls cost money. See docs/twilio.md.
 */
import { timingSafeEqual } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { runVerification, type VerificationRequest } from 'voice-mfa';
import { createTwilioWebhookServer, TwilioVoiceProvider } from 'voice-mfa/twilio';

/**
 * Where the live example reads its settings and writes its output.
 *
 * @example
 * ```ts
 * await runLiveExample({ env: { ...process.env, PORT: '9090' }, print: console.error });
 * ```
 */
export interface LiveExampleOptions {
  env?: Readonly<Record<string, string | undefined>>;
  print?: (line: string) => void;
}

const REQUIRED = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_CALLER_ID', 'VOICE_MFA_PUBLIC_URL', 'VERIFY_TO'];

const USAGE = [
  'This example places a real call with your Twilio account. Set:',
  '  TWILIO_ACCOUNT_SID    your live Account SID (AC…)',
  '  TWILIO_AUTH_TOKEN     its Auth Token (also verifies the webhook signatures)',
  '  TWILIO_CALLER_ID      a Twilio number or verified caller ID, E.164 (+1…)',
  '  VOICE_MFA_PUBLIC_URL  the public https URL that reaches this process, e.g. https://abc.ngrok.app/twilio',
  '                        (https://user:password@… makes Twilio authenticate with HTTP basic auth)',
  '  VERIFY_TO             the number to call, E.164; backups after commas',
  'Optional: PORT (default 8080), VERIFY_PIN (PIN mode), VERIFY_AMD=1 (answering-machine detection),',
  '  TWILIO_WEBHOOK_SHARED_KEY_SECRET (webhooks a Webhook Rule signs with a SharedKey),',
  '  VERIFY_MEDIA_STREAMS=1 (hear tri-tones in the audio: Media Streams on wss://…/media-stream).',
  'Then run: npx tsx examples/twilio-live.ts — see docs/twilio.md.',
];

/** Compares a typed PIN in constant time. */
function pinVerifier(expected: string): (entry: string) => boolean {
  const want = Buffer.from(expected);
  return (entry) => {
    const got = Buffer.from(entry);
    return got.length === want.length && timingSafeEqual(got, want);
  };
}

/**
 * Runs one live verification and prints its result. Returns the exit code.
 *
 * @example
 * ```ts
 * await runLiveExample({ env: process.env });
 * ```
 */
export async function runLiveExample(options: LiveExampleOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const print = options.print ?? ((line: string) => console.log(line));
  const missing = REQUIRED.filter((name) => (env[name] ?? '') === '');
  if (missing.length > 0) {
    for (const line of USAGE) print(line);
    print(`Missing: ${missing.join(', ')}`);
    return 0;
  }
  const port = Number(env.PORT ?? 8080);
  const provider = new TwilioVoiceProvider({
    accountSid: env.TWILIO_ACCOUNT_SID as string,
    authToken: env.TWILIO_AUTH_TOKEN as string,
    publicBaseUrl: env.VOICE_MFA_PUBLIC_URL as string,
    defaultCallerId: env.TWILIO_CALLER_ID as string,
    ...(env.TWILIO_WEBHOOK_SHARED_KEY_SECRET ? { sharedKeySecret: env.TWILIO_WEBHOOK_SHARED_KEY_SECRET } : {}),
    ...(env.VERIFY_MEDIA_STREAMS === '1' ? { mediaStreams: {} } : {}),
    onError: (error) => print(`provider: ${error.message}`),
  });
  const server = createTwilioWebhookServer(provider);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const streams = env.VERIFY_MEDIA_STREAMS === '1' ? await provider.listenForMediaStreams(server) : null;
  // A password in the public URL stays off the screen.
  const shown = (env.VOICE_MFA_PUBLIC_URL as string).replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:•••@');
  print(`Webhooks on http://127.0.0.1:${port}, public at ${shown}`);
  const pin = env.VERIFY_PIN;
  const request: VerificationRequest = {
    targets: (env.VERIFY_TO as string).split(',').map((target) => target.trim()),
    mode: pin === undefined || pin === '' ? 'standard' : 'pin',
    answeringMachineDetection: env.VERIFY_AMD === '1',
  };
  try {
    const result = await runVerification(request, {
      provider,
      ...(request.mode === 'pin' ? { verifyPin: pinVerifier(pin as string) } : {}),
      onEvent: (observation) => {
        if (observation.type === 'provider.event') print(`  ${observation.event.type}`);
        if (observation.type === 'attempt.ended') {
          const { index, result, sitKind } = observation.attempt;
          print(`attempt ${index + 1}: ${result}${sitKind === null ? '' : ` (${sitKind})`}`);
        }
      },
    });
    print(`verification: ${result.status} (${result.reason})`);
    return result.status === 'approved' ? 0 : 1;
  } finally {
    // Give Twilio's last status callbacks a moment before the server goes away.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await streams?.close();
    server.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runLiveExample();
}
