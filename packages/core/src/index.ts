export { LessonloopError } from "./errors.js";
export type { LessonloopErrorCode, LessonloopErrorOptions } from "./errors.js";
export { parseWith } from "./parse.js";
export type { ParseIssue } from "./parse.js";

export { IdSchema, TimestampSchema, VersionSchema } from "./ids.js";
export { ScopeSchema, scopeApplies, scopeContains, formatScope } from "./scope.js";
export type { Scope } from "./scope.js";
export { EpisodeSchema, OutcomeSchema, SignalSourceSchema, TrajectoryStepSchema } from "./episode.js";
export type { Episode, EpisodeInput, Outcome, SignalSource, TrajectoryStep } from "./episode.js";
export { LessonSchema, LessonKindSchema, LessonStatusSchema, ProvenanceSchema, MergeDecisionSchema, LESSON_LIMITS, lessonSearchText, promptSafeLessonText } from "./lesson.js";
export type { Lesson, LessonInput, LessonKind, LessonStatus, Provenance, MergeDecision } from "./lesson.js";
export { EdgeCaseSchema, EdgeCaseCheckSchema, CaseTruthSchema } from "./edge-case.js";
export type { EdgeCase, EdgeCaseCheck, EdgeCaseInput, CaseTruth } from "./edge-case.js";
export { VoteSchema, VerdictSchema, CaseEvidenceSchema, ConsensusPolicyNameSchema } from "./verdict.js";
export type { Vote, Verdict, CaseEvidence, ConsensusPolicyName } from "./verdict.js";
export { SnapshotSchema } from "./snapshot.js";
export type { Snapshot } from "./snapshot.js";

export { systemClock } from "./clock.js";
export type { Clock } from "./clock.js";
export { randomId } from "./id-generator.js";
export type { IdGenerator } from "./id-generator.js";

export { cosineSimilarity } from "./embedder.js";
export type { Embedder } from "./embedder.js";
export { createLexicalEmbedder } from "./text/lexical-embedder.js";
export type { LexicalEmbedder, LexicalEmbedderParams } from "./text/lexical-embedder.js";
export { clip } from "./text/clip.js";
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
  LessonSearchRequestSchema,
  LessonListRequestSchema,
  HistoryRequestSchema,
  DiffOptionsSchema,
  MAX_QUERY_LENGTH,
  MAX_LESSONS_PER_COMMIT,
} from "./lesson-memory.js";
export type {
  LessonMemory,
  CommitRequest,
  RollbackRequest,
  LessonSearchRequest,
  LessonListRequest,
  HistoryRequest,
  DiffOptions,
  ScoredLesson,
  SnapshotDiff,
} from "./lesson-memory.js";
export { EdgeCaseQuerySchema, EdgeCaseBatchSchema } from "./edge-case-store.js";
export type { EdgeCaseStore, EdgeCaseQuery, ScoredEdgeCase } from "./edge-case-store.js";
export { InMemoryEdgeCaseStore } from "./in-memory-edge-case-store.js";
export type { InMemoryEdgeCaseStoreParams } from "./in-memory-edge-case-store.js";
export { InMemoryVerdictStore } from "./verdict-store.js";
export type { VerdictStore } from "./verdict-store.js";
export {
  PendingLessonSchema,
  PendingLessonStatusSchema,
  PendingLessonDecisionSchema,
  ParkLessonRequestSchema,
  PendingLessonDecisionRequestSchema,
  PendingLessonListRequestSchema,
  PendingLessonStoreBase,
  InMemoryPendingLessonStore,
} from "./pending-lesson-store.js";
export type {
  PendingLessonStore,
  PendingLesson,
  PendingLessonStatus,
  PendingLessonDecision,
  ParkLessonRequest,
  PendingLessonDecisionRequest,
  PendingLessonListRequest,
  InMemoryPendingLessonStoreParams,
} from "./pending-lesson-store.js";
export { RECORD_FORMAT, encodeRecord, decodeRecord } from "./stored-record.js";

export { SnapshotLog, inRanges, subtractRanges } from "./snapshot-log.js";
export type { VersionRange } from "./snapshot-log.js";
export type { LessonMemoryBackend, LessonRecord, Visibility } from "./lesson-memory-backend.js";
export { VersionedLessonMemory } from "./versioned-lesson-memory.js";
export type { VersionedLessonMemoryParams } from "./versioned-lesson-memory.js";
export { InMemoryLessonMemory } from "./in-memory-lesson-memory.js";
export type { InMemoryLessonMemoryParams } from "./in-memory-lesson-memory.js";
export { OutcomeRecordSchema, InMemoryOutcomeLedger } from "./outcome-ledger.js";
export type { OutcomeLedger, OutcomeRecord, OutcomeRecordInput, LessonUtility, VersionOutcomes } from "./outcome-ledger.js";
export { MEMORY_PIN_KEY, MEMORY_VERSION_METADATA_KEY, MemoryPinSchema } from "./memory-pin.js";
export type { MemoryPin } from "./memory-pin.js";
