/**
 * lessonloop/testing — scripted learner and peer models and in-process stores,
 * to test a graph with learning offline (see "Testing offline" in README.md).
 */
export { scriptedLearnerModel, scriptedPeerModel } from "./scripted-models.js";
export type {
  ScriptedLearnerModelParams,
  ScriptedPeerModelParams,
  ScriptedRepair,
  ScriptedEpisodeJudgement,
  PeerDecision,
  RolePlayRequest,
  RubricRequest,
  ShownLesson,
} from "./scripted-models.js";
export { inMemoryStores } from "./in-memory-stores.js";
export { ScriptedChatModel } from "@lessonloop/core/testing";
export type { ScriptedAnswer, ScriptedCall } from "@lessonloop/core/testing";
