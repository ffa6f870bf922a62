/**
 * voice-mfa: phone-call verification ("press the pound key to finish your
 * verification") as a pure XState v5 state machine with pluggable voice providers.
 *
 * @packageDocumentation
 */

export { InvalidRequestError, type RequestIssue, VoiceMfaError, type VoiceMfaErrorCode } from './errors.js';
export { type CallProgressResult, type CallProgressVerdict, classifyUnansweredEnding } from './machine/callProgress.js';
export {
  type AcceptedNumber,
  checkE164Number,
  createNumberCheckActor,
  createPinCheckActor,
  type NumberCheckInput,
  type NumberCheckResult,
  type PinCheckInput,
  type RefusedNumber,
} from './machine/checks.js';
export type {
  DialCommand,
  HangUpCommand,
  PlayPromptCommand,
  PromptKind,
  ProviderCommand,
  SendDigitsCommand,
} from './machine/commands.js';
export type { CallPhase, DeadlineKind, StateDeadline, VerificationContext } from './machine/context.js';
export {
  type EntryProgress,
  type EntryRules,
  type EntryVerdict,
  judgeTimeout,
  type KeyScan,
  MAX_ENTRY_LENGTH,
  scanKeys,
  type TimeoutVerdict,
} from './machine/entry.js';
export {
  type AnsweredBy,
  CALL_END_STATUSES,
  type CallAnsweredByEvent,
  type CallAnsweredEvent,
  type CallDialedEvent,
  type CallDialFailedEvent,
  type CallDigitsEvent,
  type CallDigitsSentEvent,
  type CallEndedEvent,
  type CallEnding,
  type CallEndStatus,
  type CallInputTimeoutEvent,
  type CallPromptFinishedEvent,
  type CallRingingEvent,
  type CancelEvent,
  PROVIDER_EVENT_TYPES,
  type ProviderEvent,
  SIT_KINDS,
  type SitKind,
  type TickEvent,
  type VerificationEvent,
} from './machine/events.js';
export { classifyIgnoredEvent, type IgnoredKind } from './machine/ignoredEvents.js';
export {
  type AttemptRecord,
  type AttemptResult,
  type AttemptTarget,
  type AttemptTimes,
  describeAttemptResult,
  type IgnoredEventCounts,
  isRolloverResult,
  type LegacyResultCode,
  ROLLOVER_RESULTS,
  toLegacyResultCode,
  type VerificationReason,
  type VerificationResult,
  type VerificationStatus,
} from './machine/outcomes.js';
export {
  buildPromptSegments,
  DEFAULT_PROMPTS,
  type PromptContext,
  type PromptValues,
  spellDigits,
  toSegments,
} from './machine/prompts.js';
export type {
  CallerIdConfig,
  InputTimeoutOwner,
  PromptInput,
  PromptSegment,
  Prompts,
  SpeechSettings,
  TargetInput,
  Timing,
  VerificationInput,
  VerificationMode,
  VerificationRequest,
} from './machine/types.js';
export { isWellFormedEvent, MAX_CALL_ID_LENGTH, MAX_DIGITS_PER_EVENT } from './machine/validateEvent.js';
export { type VerificationCallMachine, verificationCallMachine } from './machine/verificationCallMachine.js';
export {
  type AbuseCheckRequest,
  type AbuseGuard,
  type AbuseGuardOptions,
  type AbuseLimits,
  type AppliedLock,
  createAbuseGuard,
  DEFAULT_ABUSE_LIMITS,
  type DenialLockout,
  type RateLimit,
  type RecordableVerification,
} from './phone/abuseGuard.js';
export type { AbuseLimitStore, AbuseLock, AbuseLockRule, EventRetention } from './phone/abuseLimitStore.js';
export { type CallerIdChoice, resolveCallerId, selectCallerId } from './phone/callerId.js';
export { createNumberCheck, type NumberCheck } from './phone/createNumberCheck.js';
export {
  DEFAULT_DIALING_POLICY,
  DEFAULT_REFUSED_TYPES,
  type DialingPolicy,
  type DialingPolicyOptions,
  type DialingRule,
  type DialingVerdict,
  judgeDialingPolicy,
  resolveDialingPolicy,
  toDialingRule,
} from './phone/dialingPolicy.js';
export {
  type AbuseRule,
  INVALID_PHONE_NUMBER_REASONS,
  InvalidPhoneConfigurationError,
  InvalidPhoneNumberError,
  type InvalidPhoneNumberReason,
  VerificationRefusedError,
} from './phone/errors.js';
export { isKeyableExtension, type SplitExtension, splitExtension } from './phone/extension.js';
export { MASK, type MaskPhoneNumberOptions, maskPhoneNumber } from './phone/maskPhoneNumber.js';
export { maskAttemptRecord, maskVerificationResult } from './phone/maskVerificationResult.js';
export { MemoryAbuseLimitStore, type MemoryAbuseLimitStoreOptions } from './phone/memoryAbuseLimitStore.js';
export {
  MAX_PHONE_NUMBER_LENGTH,
  type ParsePhoneTargetOptions,
  PHONE_NUMBER_TYPES,
  type PhoneNumberType,
  type PhoneTarget,
  parsePhoneTarget,
} from './phone/parsePhoneTarget.js';
export * from './providers/simulated/index.js';
export type { ProviderCapabilities, ProviderSession, SessionContext, VoiceProvider } from './providers/types.js';
export {
  DEFAULT_TIMING,
  FRAUD_CODE_PATTERN,
  MAX_TARGETS,
  type NormalizeOptions,
  normalizeVerificationRequest,
} from './request/normalizeRequest.js';
export {
  type RuntimeClock,
  systemClock,
  type TimerHandle,
  VirtualClock,
  type VirtualClockOptions,
} from './runtime/clock.js';
export {
  createVerificationActor,
  createVerificationMachine,
  type MachineClock,
  type VerificationActorOptions,
} from './runtime/createVerificationActor.js';
export {
  type AbuseLockedObservation,
  type AbuseRecordFailedObservation,
  type AttemptEndedObservation,
  type CommandFailedObservation,
  type CommandObservation,
  type LoggedProviderEvent,
  type MalformedEventObservation,
  type ProviderEventIgnoredObservation,
  type ProviderEventObservation,
  toLoggedEvent,
  type UnstampedObservation,
  type VerificationEndedObservation,
  type VerificationObservation,
  type VerificationStartedObservation,
} from './runtime/observations.js';
export { type RunVerificationOptions, runVerification } from './runtime/runVerification.js';
export {
  CorruptBackupError,
  CorruptRecordError,
  DuplicateVerificationError,
  StaleWriteError,
  StoreUnavailableError,
  UnknownVerificationError,
} from './store/errors.js';
export { MemoryVerificationStore, type MemoryVerificationStoreOptions } from './store/memoryStore.js';
export type {
  AuditEntry,
  Binding,
  JsonValue,
  LockedVerification,
  OutboxDelivery,
  OutboxEntry,
  StepWrite,
  StoredStatus,
  StoredVerification,
  VerificationStore,
} from './store/types.js';
