/**
 * Cost of each TwiML shape the webhooks answer with, in microseconds per
 * document. Run: node --import tsx bench/twiml.ts
 */
import { DEFAULT_PROMPTS } from '../src/machine/prompts.js';
import * as twiml from '../src/providers/twilio/twiml.js';

type Shapes = Pick<
  typeof twiml,
  'toGatherTwiml' | 'toHangUpTwiml' | 'toHoldTwiml' | 'toSendDigitsTwiml' | 'toEmptyTwiml'
>;

const URL_BASE = 'https://verify.example.com/twilio';
const TOKEN = '0123456789abcdef0123456789abcdef';
const speech = { language: 'en-US', voice: 'Polly.Joanna-Neural' };
const greeting = [
  { say: DEFAULT_PROMPTS.welcome as string },
  { say: 'Press the pound key to finish your verification.' },
  { say: 'If you did not start this, press zero pound to report fraud.' },
];

/** Microseconds per document of each shape. */
export function twimlMicros(shapes: Shapes, documents = 20_000): Record<string, number> {
  const cases: [string, () => string][] = [
    [
      'gather (greeting, one Gather)',
      () =>
        shapes.toGatherTwiml({
          segments: greeting,
          speech,
          gathers: [{ shape: 'entry', timeoutSeconds: 10 }],
          actionUrl: `${URL_BASE}/gather?t=${TOKEN}&s=2&p=1`,
          timeoutUrl: `${URL_BASE}/timeout?t=${TOKEN}&s=2&p=1`,
        }),
    ],
    [
      'hang-up with farewell',
      () => shapes.toHangUpTwiml([{ say: 'Thank you. Your verification is complete. Goodbye.' }], speech),
    ],
    ['hold', () => shapes.toHoldTwiml(`${URL_BASE}/poll?t=${TOKEN}`, 1)],
    ['extension digits', () => shapes.toSendDigitsTwiml(',,1234', `${URL_BASE}/digits-sent?t=${TOKEN}`)],
    ['empty', () => shapes.toEmptyTwiml()],
  ];
  const micros: Record<string, number> = {};
  for (const [name, make] of cases) {
    for (let i = 0; i < documents / 10; i++) make();
    const start = performance.now();
    for (let i = 0; i < documents; i++) make();
    micros[name] = ((performance.now() - start) * 1000) / documents;
  }
  return micros;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, micros] of Object.entries(twimlMicros(twiml)))
    console.log(`${name.padEnd(32)} ${micros.toFixed(2)} µs`);
}
