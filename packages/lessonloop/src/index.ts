/**
 * lessonloop — the drop-in: createLearningLoop, withLearning and the lessonloop command-line tool.
 *
 * See README.md.
 */
// ── The drop-in: learning loop, withLearning, background learning ───────────
export { createLearningLoop } from "./learning-loop.js";
export type { LearningLoop, LearningLoopParams, BackgroundLearningParams, LoopRetrieverParams, LoopSelectionParams } from "./learning-loop.js";
export { withLearning } from "./with-learning.js";
export type { WithLearningOptions, LearningTiming, RunMarker } from "./with-learning.js";
export { lessonloopMiddleware } from "./lessonloop-middleware.js";
export type { LessonloopMiddlewareOptions, LessonloopRun } from "./lessonloop-middleware.js";
export { createLearningGraph, LearningGraphAnnotation } from "./learning-graph.js";
export type { LearningGraph, LearningGraphParams, LearningGraphState, ApprovalParams } from "./learning-graph.js";
export type { LearningResult, LessonResult, LessonOutcome } from "./learning-result.js";
export { createEpisodeRecorder, trajectoryFromMessages, messageText } from "./episode-recorder.js";
export type { EpisodeRecorder, EpisodeRecorderParams, RecordedRun, TrajectoryOptions } from "./episode-recorder.js";
export { LearningQueue } from "./learning-queue.js";
export type { LearningQueueParams, LearningQueueStats, QueueFullPolicy, EnqueueOutcome } from "./learning-queue.js";
export { createFileEpisodeJournal } from "./episode-journal.js";
export type { EpisodeJournal, FileEpisodeJournalParams } from "./episode-journal.js";
export { logLearningEvent } from "./learning-events.js";
export type { LearningEvent, EpisodeSource, ShutdownReport } from "./learning-events.js";

// ── Command-line tool ───────────────────────────────────────────────────────
// The stores it shares with the learning path live with their backend: the
// interfaces and in-memory stores in @lessonloop/core, the Chroma ones in @lessonloop/chroma.
export { runCli, EXIT_CODES } from "./cli.js";
export type { CliIo } from "./cli.js";
