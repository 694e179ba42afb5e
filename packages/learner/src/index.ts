/**
 * @lessonloop/learner — a LangGraph node that turns a judged episode into at
 * most a few candidate lessons, reinforces or supersedes near-duplicates of
 * live lessons instead of adding paraphrases, and turns the episode into an
 * edge case; and a repairer that narrows a lesson the validators rejected.
 */
export { createLearner } from "./learner.js";
export type { LearnerParams, LearnerNode, LearnerInput, LearnerUpdate } from "./learner.js";
export { LearnerStateAnnotation } from "./learner-state.js";
export type { LearnerState, Reinforcement, LearnerWarning } from "./learner-state.js";
export { LessonComparisonSchema, DEFAULT_LEARNER_PROMPT } from "./learner-prompt.js";
export type { LearnerAnswer, ProposedLesson, AppliesTo, LessonRelation } from "./learner-prompt.js";
export { lessonScope } from "./lesson-scope.js";
export { createLessonRepairer } from "./lesson-repair.js";
export type { LessonRepairerParams, LessonRepairer, RepairCase, RepairWarning } from "./lesson-repair.js";
