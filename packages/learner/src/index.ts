/**
 * @lessonloop/learner — a LangGraph node that turns a judged episode into at
 * most a few candidate lessons, reinforces or supersedes near-duplicates of
 * live lessons instead of adding paraphrases, and turns the episode into an
 * edge case; and a repairer that narrows a lesson the validators rejected.
 */
export { createLearner, DEFAULT_DUPLICATE_THRESHOLD, CANDIDATE_OVERLAP_THRESHOLD } from "./learner.js";
export type { LearnerParams, LearnerNode, LearnerInput, LearnerUpdate, LessonComparator } from "./learner.js";
export { LearnerStateAnnotation } from "./learner-state.js";
export type { LearnerState, Reinforcement, LearnerWarning, ModelTroubleWarning, RestatedRequestWarning } from "./learner-state.js";
export {
  LearnerAnswerSchema,
  ProposedLessonSchema,
  AppliesToSchema,
  LessonRelationSchema,
  LessonComparisonSchema,
  DEFAULT_LEARNER_PROMPT,
  DEFAULT_COMPARE_PROMPT,
  MAX_PROPOSED_LESSONS,
} from "./learner-prompt.js";
export type { LearnerAnswer, ProposedLesson, AppliesTo, LessonRelation } from "./learner-prompt.js";
export { lessonScope } from "./lesson-scope.js";
export { defaultToEdgeCase, keyFacts } from "./edge-case-derivation.js";
export type { ToEdgeCase, EdgeCaseDraft } from "./edge-case-derivation.js";
export {
  createLessonRepairer,
  DEFAULT_REPAIR_PROMPT,
  REPAIRED_TAG,
  RepairRequestSchema,
  RepairCaseSchema,
  RepairAnswerSchema,
  RepairedLessonSchema,
} from "./lesson-repair.js";
export type {
  LessonRepairerParams,
  LessonRepairer,
  RepairRequest,
  RepairRequestInput,
  RepairCase,
  RepairCaseInput,
  RepairResult,
  RepairWarning,
  RepairAnswer,
  RepairedLesson,
} from "./lesson-repair.js";
