export { LessonloopError } from "./errors.js";
export type { LessonloopErrorCode } from "./errors.js";

export { ScopeSchema, formatScope } from "./scope.js";
export type { Scope } from "./scope.js";
export { EpisodeSchema } from "./episode.js";
export type { Episode, EpisodeInput, Outcome, TrajectoryStep } from "./episode.js";
export type { EpisodeQueue } from "./episode-queue.js";
export { LessonSchema } from "./lesson.js";
export type { Lesson, LessonInput, LessonKind } from "./lesson.js";
export { EdgeCaseSchema } from "./edge-case.js";
export type { EdgeCase, EdgeCaseCheck, EdgeCaseInput } from "./edge-case.js";
export type { Vote, Verdict } from "./verdict.js";
export type { Snapshot, SnapshotEvidence } from "./snapshot.js";

export type { Clock } from "./clock.js";
export type { IdGenerator } from "./id-generator.js";

export type { Embedder } from "./embedder.js";
export { createLexicalEmbedder } from "./text/lexical-embedder.js";
export type { LessonMemory, RevertRequest, SnapshotDiff } from "./lesson-memory.js";
export type { EdgeCaseStore } from "./edge-case-store.js";
export { InMemoryEdgeCaseStore } from "./in-memory-edge-case-store.js";
export { InMemoryVerdictStore } from "./verdict-store.js";
export type { VerdictStore } from "./verdict-store.js";
export { InMemoryPendingLessonStore } from "./pending-lesson-store.js";
export type { PendingLessonStore, PendingLesson } from "./pending-lesson-store.js";

export { InMemoryLessonMemory } from "./in-memory-lesson-memory.js";
export { InMemoryOutcomeLedger } from "./outcome-ledger.js";
export type { OutcomeLedger } from "./outcome-ledger.js";
export type { MemoryPin } from "./memory-pin.js";
