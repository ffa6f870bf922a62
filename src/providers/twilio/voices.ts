/**
 * The `<Say>` voice when a request names none. Twilio's own default is its
 * legacy `man` voice; a neural voice of the prompt's language is chosen
 * instead where one is known.
 *
 * @module
 */
import type { SpeechSettings } from '../../machine/types.js';
import { isRecord } from '../../request/normalizeRequest.js';
import { CONTROL_CHARACTER } from '../../request/text.js';

/**
 * Neural voices (Amazon Polly through Twilio, `Polly.<Name>-Neural`) by BCP 47
 * language tag, used when a request's `speech` names no voice.
 *
 * @example
 * ```ts
 * TWILIO_NEURAL_VOICES['en-US']; // 'Polly.Joanna-Neural'
 * new TwilioVoiceProvider({ ...options, defaultVoices: { ...TWILIO_NEURAL_VOICES, 'en-US': 'Polly.Matthew-Neural' } });
 * ```
 */
export const TWILIO_NEURAL_VOICES: Readonly<Record<string, string>> = {
  'en-US': 'Polly.Joanna-Neural',
  'en-GB': 'Polly.Amy-Neural',
  'en-AU': 'Polly.Olivia-Neural',
  'de-DE': 'Polly.Vicki-Neural',
  'fr-FR': 'Polly.Lea-Neural',
  'es-ES': 'Polly.Lucia-Neural',
  'it-IT': 'Polly.Bianca-Neural',
  'pt-BR': 'Polly.Camila-Neural',
  'ja-JP': 'Polly.Takumi-Neural',
};

/** Twilio's `<Say>` language when none is given. */
const TWILIO_DEFAULT_LANGUAGE = 'en-US';

/**
 * The speech settings to say a prompt with: the request's voice if it names
 * one, else the default voice of its language (`en-US` when it names none),
 * else none (Twilio then chooses).
 *
 * @example
 * ```ts
 * withDefaultVoice({ language: 'en-GB' }, TWILIO_NEURAL_VOICES); // { language: 'en-GB', voice: 'Polly.Amy-Neural' }
 * withDefaultVoice({ language: 'sv-SE' }, TWILIO_NEURAL_VOICES); // { language: 'sv-SE' }
 * ```
 */
export function withDefaultVoice(speech: SpeechSettings, defaults: Readonly<Record<string, string>>): SpeechSettings {
  if (speech.voice !== undefined) return speech;
  const voice = voiceOf(defaults, speech.language ?? TWILIO_DEFAULT_LANGUAGE);
  return voice === undefined ? speech : { ...speech, voice };
}

/**
 * The voice of `language` among the map's own entries (a language such as
 * `constructor` must not find what every object inherits), in any case:
 * language tags are case-insensitive (RFC 5646), `en-us` is `en-US`.
 */
function voiceOf(defaults: Readonly<Record<string, string>>, language: string): string | undefined {
  if (Object.hasOwn(defaults, language)) return defaults[language];
  const wanted = language.toLowerCase();
  const key = Object.keys(defaults).find((name) => name.toLowerCase() === wanted);
  return key === undefined ? undefined : defaults[key];
}

/**
 * Whether `value` can serve as `defaultVoices`: an object whose every entry
 * names a voice (a string with something to read, no control characters).
 *
 * @example
 * ```ts
 * isVoiceMap({ 'en-US': 'Polly.Joanna-Neural' }); // true
 * isVoiceMap({ 'en-US': '' }); // false
 * ```
 */
export function isVoiceMap(value: unknown): value is Readonly<Record<string, string>> {
  return (
    isRecord(value) &&
    Object.values(value).every(
      (voice) => typeof voice === 'string' && voice.trim() !== '' && !CONTROL_CHARACTER.test(voice),
    )
  );
}
