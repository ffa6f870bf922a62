/**
 * voice-mfa: phone-call verification ("press the pound key to finish your
 * verification") as a pure XState v5 state machine with pluggable voice providers.
 *
 * @packageDocumentation
 * @module voice-mfa
 */

// What this entry point exports is a promise to users; everything else is
// internal and may change in any release. A name is exported when one of these
// needs it:
// - an application running verifications: runVerification with its request,
//   options, result, observation and error types; clocks; the simulated carrier
//   and its scripts; phone numbers (parsing, dialling policy, caller IDs, abuse
//   limits, masking); the legacy result codes;
// - a provider author: the provider interface, the commands, the events and how
//   a call's end is classified, the event shape check;
// - a host running its own actor: the machine, the factories that wire its
//   checks, request normalisation, its input and event types.
// How the machine works inside (entry scanning, prompt building, ignored-event
// classification, its context, its actor wrappers) and lists kept for
// validation stay internal. The machine's type still shows its context and
// action parameters to a host that reads a snapshot; they are not exported, so
// they are no promise.
// api/voice-mfa.api.md records the surface: after changing it, run
// `npm run api` and review the report's diff with the change.

export { InvalidRequestError, type RequestIssue, VoiceMfaError, type VoiceMfaErrorCode } from './errors.js';
export type { JsonValue } from './json.js';
export { type CallProgressResult, type CallProgressVerdict, classifyUnansweredEnding } from './machine/callProgress.js';
export type {
  AcceptedNumber,
  CheckDeadline,
  NumberCheckInput,
  NumberCheckResult,
  RefusedNumber,
} from './machine/checks.js';
export type {
  DialCommand,
  HangUpCommand,
  PlayPromptCommand,
  PromptKind,
  ProviderCommand,
  SendDigitsCommand,
} from './machine/commands.js';
export type {
  AnsweredBy,
  CallAnsweredByEvent,
  CallAnsweredEvent,
  CallDialedEvent,
  CallDialFailedEvent,
  CallDigitsEvent,
  CallDigitsSentEvent,
  CallEndedEvent,
  CallEnding,
  CallEndStatus,
  CallInputTimeoutEvent,
  CallProgressToneEvent,
  CallPromptFinishedEvent,
  CallRingingEvent,
  CancelEvent,
  ProgressTone,
  ProviderEvent,
  SitKind,
  TickEvent,
  VerificationEvent,
} from './machine/events.js';
export {
  type AttemptRecord,
  type AttemptResult,
  type AttemptTarget,
  type AttemptTimes,
  type DialDeadline,
  type IgnoredEventCounts,
  type LegacyResultCode,
  toLegacyResultCode,
  type VerificationReason,
  type VerificationResult,
  type VerificationStatus,
} from './machine/outcomes.js';
export { DEFAULT_PROMPTS } from './machine/prompts.js';
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
export { isWellFormedEvent } from './machine/validateEvent.js';
export { type VerificationCallMachine, verificationCallMachine } from './machine/verificationCallMachine.js';
export {
  type AbuseCheckRequest,
  type AbuseGuard,
  type AbuseGuardOptions,
  type AbuseLimits,
  type AppliedLock,
  type CountedStart,
  createAbuseGuard,
  DEFAULT_ABUSE_LIMITS,
  type DenialLockout,
  type RateLimit,
  type RecordableVerification,
  type RecordContext,
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
} from './phone/dialingPolicy.js';
export {
  type AbuseRule,
  INVALID_PHONE_NUMBER_REASONS,
  InvalidPhoneConfigurationError,
  InvalidPhoneNumberError,
  type InvalidPhoneNumberReason,
  VerificationRefusedError,
} from './phone/errors.js';
export { HIGH_RISK_DESTINATIONS } from './phone/highRiskDestinations.js';
export { type MaskPhoneNumberOptions, maskPhoneNumber } from './phone/maskPhoneNumber.js';
export { maskAttemptRecord, maskVerificationResult } from './phone/maskVerificationResult.js';
export { MemoryAbuseLimitStore, type MemoryAbuseLimitStoreOptions } from './phone/memoryAbuseLimitStore.js';
export {
  type ParsePhoneTargetOptions,
  PHONE_NUMBER_TYPES,
  type PhoneNumberType,
  type PhoneTarget,
  parsePhoneTarget,
} from './phone/parsePhoneTarget.js';
export type { SimulatedAudioAnalysis } from './providers/simulated/callListener.js';
export { InvalidSimulationError, SimulatedApiError } from './providers/simulated/errors.js';
export type { FaultPlan, FaultRecord } from './providers/simulated/faults.js';
export type {
  DelayFault,
  DialFailureFault,
  DialMatch,
  DropFault,
  DuplicateFault,
  EventMatch,
  ScriptedFault,
} from './providers/simulated/scriptedFaults.js';
export type {
  AnswersScript,
  ApiErrorScript,
  BusyScript,
  CalleeScript,
  CarrierFailureScript,
  DeclinesScript,
  HangUpResponse,
  InterceptScript,
  InvalidNumberScript,
  KeyResponse,
  NoAnswerScript,
  PromptResponse,
  ResponseAnchor,
  SilenceResponse,
  SitScript,
  VoicemailScript,
} from './providers/simulated/scripts.js';
export {
  type CarrierTiming,
  DEFAULT_CARRIER_TIMING,
  type SimulatedCall,
  type SimulatedCallEnd,
  SimulatedCarrier,
  type SimulatedCarrierOptions,
} from './providers/simulated/simulatedCarrier.js';
export type { SpeechTiming } from './providers/simulated/speech.js';
export type {
  DialPlacedReport,
  DialQueuedReport,
  DurableContext,
  DurableVoiceProvider,
  IgnoredMessageReason,
  Plan,
  ProviderCapabilities,
  ProviderEffect,
  ProviderReport,
  ProviderSession,
  Reception,
  SessionContext,
  VoiceProvider,
} from './providers/types.js';
export { DEFAULT_TIMING, type NormalizeOptions, normalizeVerificationRequest } from './request/normalizeRequest.js';
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
export type {
  AbuseLockedObservation,
  AbuseRecordFailedObservation,
  AttemptEndedObservation,
  CommandFailedObservation,
  CommandObservation,
  DialPlacedObservation,
  DialQueuedObservation,
  LoggedProviderEvent,
  MalformedEventObservation,
  ProviderEventIgnoredObservation,
  ProviderEventObservation,
  ProviderReportObservation,
  VerificationEndedObservation,
  VerificationObservation,
  VerificationStartedObservation,
} from './runtime/observations.js';
export { type RunVerificationOptions, runVerification } from './runtime/runVerification.js';
export {
  createVerificationService,
  DIAL_INTERRUPTED,
  type StartOptions,
  type VerificationService,
  type VerificationServiceOptions,
  type VerificationSubject,
} from './service/verificationService.js';
export { toAuditJsonLines } from './step/auditRows.js';
export {
  CorruptBackupError,
  CorruptRecordError,
  DuplicateVerificationError,
  InvalidServiceConfigurationError,
  ResultTimeoutError,
  ServiceClosedError,
  StaleWriteError,
  StoreUnavailableError,
  UnknownVerificationError,
} from './store/errors.js';
export { MemoryVerificationStore, type MemoryVerificationStoreOptions } from './store/memoryStore.js';
export type {
  AuditEntry,
  AuditPage,
  AuditPageRequest,
  Binding,
  LockedVerification,
  OutboxDelivery,
  OutboxEntry,
  StepWrite,
  StoredStatus,
  StoredVerification,
  VerificationStore,
} from './store/types.js';
