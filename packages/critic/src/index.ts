/**
 * @lessonloop/critic — a LangGraph node that judges whether an episode carries
 * a learning signal: deterministic signals (environment outcome, user feedback,
 * tool errors, your evaluator) first, an LLM judge only where nothing
 * deterministic decides.
 */
export { createCritic } from "./critic.js";
export type { CriticParams, CriticNode, Evaluator } from "./critic.js";
export { CriticStateAnnotation } from "./critic-state.js";
export type { CriticState, UserFeedback, EvaluatorResult } from "./critic-state.js";
export { JudgementSchema, judgementOutcome } from "./judgement.js";
export type { Judgement, JudgementInput, MemoryInstruction } from "./judgement.js";
export { detectMemoryInstructions, withoutMemoryInstructions } from "./memory-instructions.js";
export { DEFAULT_JUDGE_PROMPT } from "./llm-judge.js";
