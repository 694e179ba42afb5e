/**
 * @lessonloop/critic — a LangGraph node that judges whether an episode carries
 * a learning signal: deterministic signals (environment outcome, user feedback,
 * tool errors, your evaluator) first, an LLM judge only where nothing
 * deterministic decides.
 */
export { createCritic } from "./critic.js";
export type { CriticParams, CriticNode, CriticInput, Evaluator } from "./critic.js";
export { CriticStateAnnotation, UserFeedbackSchema, EvaluatorResultSchema } from "./critic-state.js";
export type { CriticState, UserFeedback, UserFeedbackInput, EvaluatorResult, EvaluatorVerdict } from "./critic-state.js";
export {
  JudgementSchema,
  JudgementStatusSchema,
  FailureSchema,
  RecoverySchema,
  ToolCallRefSchema,
  MemoryInstructionSchema,
  MAX_MEMORY_INSTRUCTIONS,
  MAX_MEMORY_INSTRUCTION_CHARS,
  judgementOutcome,
} from "./judgement.js";
export type { Judgement, JudgementInput, JudgementStatus, Failure, Recovery, ToolCallRef, MemoryInstruction } from "./judgement.js";
export { detectMemoryInstructions, findMemoryInstructions, withoutMemoryInstructions } from "./memory-instructions.js";
export type { MemoryInstructionSpan, FindMemoryInstructionsOptions } from "./memory-instructions.js";
export { JudgeAnswerSchema, DEFAULT_JUDGE_PROMPT } from "./llm-judge.js";
export type { JudgeAnswer } from "./llm-judge.js";
