/**
 * @lessonloop/replay-retriever — a LangGraph node that puts the relevant merged
 * lessons of the live (or pinned) memory snapshot into the agent's context,
 * within a token budget.
 */
export { createReplayRetriever } from "./replay-retriever.js";
export type { ReplayRetrieverParams, ReplayRetrieverNode, ReplayRetrieverState } from "./replay-retriever.js";
export { createLessonSelector } from "./lesson-selection.js";
export type { LessonSelectionParams, LessonSelector, SelectionDegradation } from "./lesson-selection.js";
export { LessonContextAnnotation, renderLessonContext, estimateTokens } from "./lesson-context.js";
export type { ServedLesson, ServedLogEntry } from "./lesson-context.js";
export type { RankingWeights, RankedLesson } from "./lesson-ranking.js";
export { InMemoryExampleSource } from "./example-source.js";
export type { ExampleSource, ExperienceExample } from "./example-source.js";
export { DEGRADED_EVENT } from "./retriever-warning.js";
export type { RetrieverWarning } from "./retriever-warning.js";
