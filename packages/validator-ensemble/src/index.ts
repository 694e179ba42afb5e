/**
 * @lessonloop/validator-ensemble — a subgraph of N independent peer validators
 * that replay the relevant edge cases with and without a candidate lesson and
 * vote; a consensus policy turns the votes into a verdict.
 */
export {
  createValidatorEnsemble,
  ValidatorEnsembleAnnotation,
  ValidatorEnsembleInputAnnotation,
  ValidatorEnsembleOutputAnnotation,
  MAX_MOTIVATING_CASES,
} from "./validator-ensemble.js";
export type {
  ValidatorEnsemble,
  ValidatorEnsembleParams,
  ValidatorEnsembleState,
  ValidatorEnsembleUpdate,
  ValidatorEnsembleInput,
  ValidatorEnsembleOutput,
  ValidationInput,
  ValidationBudget,
} from "./validator-ensemble.js";
export { majority, supermajority, unanimous, weighted, findBreaks } from "./consensus-policy.js";
export type {
  ConsensusPolicy,
  ConsensusPolicyParams,
  SupermajorityParams,
  WeightedParams,
  ConsensusContext,
  ConsensusOutcome,
  VoteTally,
} from "./consensus-policy.js";
export { decideVote } from "./validator.js";
export type { Validator, VoteRules, VoteDecision, ReplayedCase } from "./validator.js";
export { ReplayOutcomeSchema } from "./replay-runner.js";
export type { ReplayRunner, ReplayRequest, ReplayOutcome } from "./replay-runner.js";
export { createRolePlayRunner, DEFAULT_ROLE_PLAY_PROMPT } from "./role-play-runner.js";
export type { RolePlayRunnerParams, RolePlayTool } from "./role-play-runner.js";
export { AgentDecisionSchema, evaluateCheck, describeDecision } from "./agent-decision.js";
export type { AgentDecision } from "./agent-decision.js";
export { LessonReviewDecisionSchema } from "./human-review.js";
export type { LessonReviewDecision, LessonReviewRequest, LessonReview, ReviewEvidence } from "./human-review.js";
export { BUILT_IN_RISK_RULES, findRisks, withoutClauses } from "./risk-rules.js";
export type { RiskRule, RiskFinding } from "./risk-rules.js";
export { isVerified, trustedFor, corroborated } from "./case-trust.js";
