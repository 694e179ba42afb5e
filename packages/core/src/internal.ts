/**
 * @lessonloop/core/internal — what lessonloop's own packages share: parsing and
 * text helpers, model-call helpers, store-backend building blocks. Not part of
 * the public surface: no compatibility promise between minor versions.
 */
export type { LessonloopErrorOptions } from "./errors.js";
export { parseWith } from "./parse.js";
export type { ParseIssue } from "./parse.js";
export { IdSchema, TimestampSchema, VersionSchema } from "./ids.js";
export { scopeApplies, scopeContains, ScopeNameSchema, SCOPE_NAME_LIMIT } from "./scope.js";
export { OutcomeSchema, SignalSourceSchema, TrajectoryStepSchema, TASK_INPUT_LIMIT, clipTaskInput } from "./episode.js";
export type { SignalSource } from "./episode.js";
export {
  LessonKindSchema,
  LessonStatusSchema,
  ProvenanceSchema,
  MergeDecisionSchema,
  LESSON_LIMITS,
  ToolNameSchema,
  lessonAnchoredTo,
  lessonSearchText,
  promptSafeLessonText,
} from "./lesson.js";
export type { LessonStatus, Provenance, MergeDecision } from "./lesson.js";
export { EdgeCaseCheckSchema, CaseTruthSchema, MAX_CASE_TOOLS } from "./edge-case.js";
export type { CaseTruth } from "./edge-case.js";
export { VoteSchema, VerdictSchema, CaseEvidenceSchema, ConsensusPolicyNameSchema } from "./verdict.js";
export type { CaseEvidence, ConsensusPolicyName } from "./verdict.js";
export { SnapshotSchema, SnapshotEvidenceSchema } from "./snapshot.js";
export { systemClock } from "./clock.js";
export { randomId } from "./id-generator.js";
export { cosineSimilarity } from "./embedder.js";
export type { LexicalEmbedder, LexicalEmbedderParams } from "./text/lexical-embedder.js";
export { clip } from "./text/clip.js";
export { objectionsIn, MAX_OBJECTIONS } from "./text/objections.js";
export { stripInvisible, escapeInvisible, hasInvisible, invisibleCodePoints } from "./text/invisible.js";
export { redactUrlCredentials } from "./text/url-credentials.js";
export { contentWords, wordOverlap, featureSimilarity, textSimilarity, FeatureCache } from "./text/text-similarity.js";
export type { TextFeatures } from "./text/text-similarity.js";
export { chatModelName } from "./model-name.js";
export { callStructured } from "./llm/structured-call.js";
export type { StructuredCall, StructuredResult } from "./llm/structured-call.js";
export { renderTrajectory, markUntrusted, UNTRUSTED_TAG } from "./llm/trajectory-text.js";
export type { RenderTrajectoryOptions } from "./llm/trajectory-text.js";
export { ModelUsageSchema, NO_MODEL_USAGE, addModelUsage, createModelUsageMeter, totalTokens } from "./model-usage.js";
export type { ModelUsage, ModelUsageMeter } from "./model-usage.js";
export {
  CommitRequestSchema,
  RollbackRequestSchema,
  RevertRequestSchema,
  LessonSearchRequestSchema,
  LessonListRequestSchema,
  HistoryRequestSchema,
  DiffOptionsSchema,
  MAX_QUERY_LENGTH,
  MAX_LESSONS_PER_COMMIT,
  MAX_SEARCH_TOOLS,
} from "./lesson-memory.js";
export type {
  CommitRequest,
  RollbackRequest,
  LessonSearchRequest,
  LessonListRequest,
  HistoryRequest,
  DiffOptions,
  ScoredLesson,
} from "./lesson-memory.js";
export { EdgeCaseQuerySchema, EdgeCaseBatchSchema, embedEdgeCases } from "./edge-case-store.js";
export type { EdgeCaseQuery, ScoredEdgeCase } from "./edge-case-store.js";
export type { InMemoryEdgeCaseStoreParams } from "./in-memory-edge-case-store.js";
export { ExampleSchema, ExampleStaleReasonSchema, condenseTrajectory, exampleValidAt, EXAMPLE_STEP_LIMIT, MAX_EXAMPLE_STEPS, MAX_EXAMPLE_EPISODES } from "./example.js";
export type { Example, ExampleInput, ExampleStaleReason, CondenseTrajectoryOptions } from "./example.js";
export {
  ExampleSearchSchema,
  ExampleListSchema,
  ExampleScopeMatchSchema,
  MarkStaleRequestSchema,
  MAX_EXAMPLES_PER_WRITE,
  embedExamples,
  exampleScopeMatches,
  exampleServed,
  markedStale,
  oldestFirst,
  staleRequestSelects,
} from "./example-store.js";
export type { ExampleStore, ExampleSearch, ExampleList, ExampleScopeMatch, MarkStaleRequest, ScoredExample } from "./example-store.js";
export { InMemoryExampleStore } from "./in-memory-example-store.js";
export type { InMemoryExampleStoreParams } from "./in-memory-example-store.js";
export {
  PendingLessonSchema,
  PendingLessonStatusSchema,
  PendingLessonDecisionSchema,
  ParkLessonRequestSchema,
  PendingLessonDecisionRequestSchema,
  PendingLessonListRequestSchema,
  PendingLessonStoreBase,
} from "./pending-lesson-store.js";
export type {
  PendingLessonStatus,
  PendingLessonDecision,
  ParkLessonRequest,
  PendingLessonDecisionRequest,
  PendingLessonListRequest,
  InMemoryPendingLessonStoreParams,
} from "./pending-lesson-store.js";
export { RECORD_FORMAT, encodeRecord, decodeRecord, parseKnownFields } from "./stored-record.js";
export { SnapshotLog, inRanges, subtractRanges } from "./snapshot-log.js";
export type { VersionRange, LessonKey } from "./snapshot-log.js";
export { isVisible, mergeHits } from "./lesson-memory-backend.js";
export type { LessonMemoryBackend, LessonRecord, Visibility } from "./lesson-memory-backend.js";
export { LiveLessonIndex } from "./live-lesson-index.js";
export type { LiveRecord } from "./live-lesson-index.js";
export { VersionedLessonMemory, searchShared, type SharedLessonSearch } from "./versioned-lesson-memory.js";
export type { VersionedLessonMemoryParams } from "./versioned-lesson-memory.js";
export type { InMemoryLessonMemoryParams } from "./in-memory-lesson-memory.js";
export { OutcomeRecordSchema, outcomeMatches, parseLook } from "./outcome-ledger.js";
export type { OutcomeRecord, OutcomeRecordInput, LessonUtility, VersionOutcomes, OutcomeQuery, OutcomeCounts } from "./outcome-ledger.js";
export { MEMORY_PIN_KEY, MEMORY_VERSION_METADATA_KEY, MemoryPinSchema } from "./memory-pin.js";
export { createSerialQueue } from "./serial-queue.js";
export { acquireProcessLock, PROCESS_LOCK_FORMAT } from "./process-lock.js";
export type { AcquireProcessLockParams, ProcessLock, ProcessLockHolder, LockHolderState } from "./process-lock.js";
export type { SerialQueue } from "./serial-queue.js";
export { warningCause, formatWarning, printWarning } from "./warning.js";
export type { WarningCause, WarningLine } from "./warning.js";
