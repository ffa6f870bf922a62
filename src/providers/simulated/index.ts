export type { SimulatedAudioAnalysis } from './callListener.js';
export { InvalidSimulationError, SimulatedApiError } from './errors.js';
export { type Delivery, type FaultPlan, type FaultRecord, FaultSchedule } from './faults.js';
export { createSeededRandom, type RandomSource } from './random.js';
export {
  type DelayFault,
  type DialFailureFault,
  type DialMatch,
  type DropFault,
  type DuplicateFault,
  type EventMatch,
  SCRIPTED_FAULT_ACTIONS,
  type ScriptedFault,
} from './scriptedFaults.js';
export {
  type AnswersScript,
  type ApiErrorScript,
  type BusyScript,
  CALLEE_SCRIPT_KINDS,
  type CalleeScript,
  type CarrierFailureScript,
  type DeclinesScript,
  type HangUpResponse,
  type InterceptScript,
  type InvalidNumberScript,
  type KeyResponse,
  type NoAnswerScript,
  type PromptResponse,
  type ResponseAnchor,
  type SilenceResponse,
  type SitScript,
  type VoicemailScript,
} from './scripts.js';
export {
  type CarrierTiming,
  DEFAULT_CARRIER_TIMING,
  SIMULATED_CAPABILITIES,
  type SimulatedCall,
  type SimulatedCallEnd,
  SimulatedCarrier,
  type SimulatedCarrierOptions,
} from './simulatedCarrier.js';
export {
  DEFAULT_SPEECH_TIMING,
  estimateDigitsDurationMs,
  estimatePlayDurationMs,
  type SpeechTiming,
} from './speech.js';
