/**
 * @lessonloop/replay-retriever — a LangGraph node that puts the relevant merged
 * lessons of the live (or pinned) memory snapshot into the agent's context,
 * within a token budget.
 */
export { createReplayRetriever } from "./replay-retriever.js";
export type { ReplayRetrieverParams, ReplayRetrieverNode, ReplayRetrieverState, ReplayRetrieverUpdate } from "./replay-retriever.js";
export { createLessonSelector } from "./lesson-selection.js";
export type { LessonSelectionParams, LessonSelectionRequest, LessonSelection, LessonSelector, SelectionDegradation } from "./lesson-selection.js";
export { LessonContextAnnotation, SERVED_LOG_LIMIT, renderLessonContext, estimateTokens } from "./lesson-context.js";
export type { LessonContext, LessonContextRenderer, ServedLesson, ServedExample, ServedLogEntry } from "./lesson-context.js";
export { DEFAULT_RANKING_WEIGHTS } from "./lesson-ranking.js";
export type { RankingWeights, RankedLesson } from "./lesson-ranking.js";
export { InMemoryExampleSource, condenseTrajectory } from "./example-source.js";
export type { ExampleSource, ExampleQuery, ExperienceExample, InMemoryExampleSourceParams, CondenseTrajectoryOptions } from "./example-source.js";
export { DEGRADED_EVENT } from "./retriever-warning.js";
export type { RetrieverWarning, RetrieverWarningSource } from "./retriever-warning.js";
