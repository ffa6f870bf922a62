/**
 * voice-mfa/twilio: the Twilio voice provider. This entry point is the only
 * one that loads twilio-node (an optional peer dependency).
 *
 * @packageDocumentation
 * @module voice-mfa/twilio
 */

// Exported: what an application needs to place calls with Twilio and mount its
// webhooks (the provider and its options, the webhook handler, listener and
// server with their request, response and option types), what a durable call
// registry implements, and the codes of dials the pacing refused. How Twilio's
// reports map to events, TwiML, signatures, the pacer and the REST adapter stay
// internal. api/voice-mfa-twilio.api.md records the surface (`npm run api`
// updates it).

export {
  InMemoryTwilioCallRegistry,
  type MaybePromise,
  type TwilioCallRegistry,
  type TwilioWebhookTarget,
} from './callRegistry.js';
export type { TwilioCallParams, TwilioCallWebhook } from './callWebhook.js';
export {
  createTwilioWebhookListener,
  type TwilioWebhookHandler,
  type TwilioWebhookListener,
  type TwilioWebhookListenerOptions,
} from './createTwilioWebhookListener.js';
export {
  createTwilioWebhookServer,
  type TwilioWebhookListenerSource,
  type TwilioWebhookServerOptions,
} from './createTwilioWebhookServer.js';
export { DIAL_QUEUE_DEADLINE, DIAL_QUEUE_FULL } from './dialPacer.js';
export {
  handleTwilioWebhook,
  type TwilioWebhookOptions,
  type TwilioWebhookRequest,
  type TwilioWebhookResponse,
  type TwilioWebhookService,
} from './handleTwilioWebhook.js';
export type { KeyCollectionStyle } from './keyCollection.js';
export type { TwilioMediaStreamEndpoint, TwilioMediaStreamOptions } from './mediaStreams.js';
export type { TwilioCallCreateParams, TwilioCallsApi, TwilioCallUpdateParams } from './twilioCallsApi.js';
export { TwilioVoiceProvider, type TwilioVoiceProviderOptions } from './twilioVoiceProvider.js';
export { TWILIO_NEURAL_VOICES } from './voices.js';
export {
  type GatherShape,
  TWILIO_WEBHOOK_ROUTES,
  type TwilioWebhookRoute,
  type WebhookQuery,
} from './webhookRoutes.js';
