/**
 * voice-mfa/twilio: the Twilio voice provider. This entry point is the only
 * one that loads twilio-node (an optional peer dependency).
 *
 * @packageDocumentation
 */

export {
  InMemoryTwilioCallRegistry,
  type MaybePromise,
  type TwilioCallRegistry,
  type TwilioWebhookTarget,
} from './callRegistry.js';
export {
  type CallStatusMeaning,
  TWILIO_ANSWERED_BY,
  TWILIO_CALL_STATUS_EVENTS,
  TWILIO_ERROR_CODE_STATUS,
  type TwilioCallStatus,
  toAnsweredBy,
  toCallEnding,
  toDialFailure,
  toTwilioCallStatus,
} from './callStatusMapping.js';
export { CALL_SID_PATTERN, type TwilioCallParams, type TwilioCallWebhook } from './callWebhook.js';
export {
  createTwilioWebhookListener,
  type TwilioWebhookHandler,
  type TwilioWebhookListener,
  type TwilioWebhookListenerOptions,
} from './createTwilioWebhookListener.js';
export {
  DEFAULT_MAX_BODY_BYTES,
  handleTwilioWebhook,
  type TwilioWebhookOptions,
  type TwilioWebhookRequest,
  type TwilioWebhookResponse,
} from './handleTwilioWebhook.js';
export type { PinEntryStyle } from './keyCollection.js';
export { isValidTwilioSignature } from './signature.js';
export {
  type TwilioCallCreateParams,
  type TwilioCallsApi,
  type TwilioCallUpdateParams,
  toTwilioCallsApi,
} from './twilioCallsApi.js';
export { TWILIO_CAPABILITIES, TwilioVoiceProvider, type TwilioVoiceProviderOptions } from './twilioVoiceProvider.js';
export {
  type GatherShape,
  TWILIO_WEBHOOK_ROUTES,
  type TwilioWebhookRoute,
  type WebhookQuery,
} from './webhookRoutes.js';
