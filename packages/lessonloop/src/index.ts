/**
 * lessonloop — the drop-in: createLearningLoop, lessonloopMiddleware for createAgent
 * agents, withLearning for hand-built StateGraphs. The command-line tool's entry
 * is `lessonloop/cli`.
 *
 * See README.md.
 */
// ── The drop-in: learning loop, withLearning, background learning ───────────
export { createLearningLoop } from "./learning-loop.js";
export type { LearningLoop, LearningLoopParams, BackgroundLearningParams, LoopRetrieverParams, LoopSelectionParams } from "./learning-loop.js";
export { withLearning } from "./with-learning.js";
export type { WithLearningOptions, LearningTiming } from "./with-learning.js";
export { lessonloopMiddleware } from "./lessonloop-middleware.js";
export type { LessonloopMiddlewareOptions, LessonloopRun } from "./lessonloop-middleware.js";
export { createLearningGraph } from "./learning-graph.js";
export type { LearningGraph, LearningGraphParams, ApprovalParams } from "./learning-graph.js";
export type { LearningResult, LessonResult, LessonOutcome } from "./learning-result.js";
export { createEpisodeRecorder } from "./episode-recorder.js";
export type { EpisodeRecorder, EpisodeRecorderParams } from "./episode-recorder.js";
export type { QueueFullPolicy } from "./learning-queue.js";
export { createFileEpisodeJournal } from "./episode-journal.js";
export { createLearningWorker } from "./learning-worker.js";
export type { LearningWorker } from "./learning-worker.js";
export type { EpisodeJournal, FileEpisodeJournalParams } from "./episode-journal.js";
export type { LearningEvent, LearningWarning, ShutdownReport } from "./learning-events.js";

