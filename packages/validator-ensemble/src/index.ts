/**
 * @lessonloop/validator-ensemble — a subgraph of N independent peer validators
 * that replay the relevant edge cases with and without a candidate lesson and
 * vote; a consensus policy turns the votes into a verdict.
 */
export { createValidatorEnsemble, ValidatorEnsembleInputAnnotation } from "./validator-ensemble.js";
export type { ValidatorEnsemble, ValidatorEnsembleParams, ValidationBudget } from "./validator-ensemble.js";
export { majority, supermajority, unanimous, weighted, findBreaks } from "./consensus-policy.js";
export type { ConsensusPolicy } from "./consensus-policy.js";
export type { Validator } from "./validator.js";
export type { ReplayRunner, ReplayRequest, ReplayOutcome } from "./replay-runner.js";
export { createRolePlayRunner } from "./role-play-runner.js";
export type { RolePlayRunnerParams, RolePlayTool } from "./role-play-runner.js";
export { evaluateCheck } from "./agent-decision.js";
export type { AgentDecision } from "./agent-decision.js";
export type { LessonReviewDecision, LessonReviewRequest } from "./human-review.js";
export { BUILT_IN_RISK_RULES, withoutClauses } from "./risk-rules.js";
export type { RiskRule } from "./risk-rules.js";
