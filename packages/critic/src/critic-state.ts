import { Annotation } from "@langchain/langgraph";
import { type EpisodeInput } from "@lessonloop/core";
import { EdgeCaseCheckSchema } from "@lessonloop/core/internal";
import { z } from "zod";
import type { Judgement } from "./judgement.js";

/**
 * Explicit feedback of the user on a run: `positive` decides success,
 * `negative` failure, `neutral` decides nothing.
 */
export const UserFeedbackSchema = z
  .object({
    sentiment: z.enum(["positive", "negative", "neutral"]),
    /** What the user said, e.g. "wrong, I asked for euros". */
    text: z.string().max(10_000).default(""),
  })
  .strict();
export type UserFeedback = z.infer<typeof UserFeedbackSchema>;
export type UserFeedbackInput = z.input<typeof UserFeedbackSchema>;

/** What an evaluator says about an episode; `undefined` when it cannot tell. */
export const EvaluatorResultSchema = z
  .object({
    passed: z.boolean(),
    /** Why, e.g. "order A-17 was refunded 12.50 EUR". */
    reason: z.string().max(10_000),
    /**
     * The deterministic check behind the verdict, for the task's edge case, e.g.
     * `{ type: "environment", predicate: "order-refunded", params: { order: "A-17" } }`.
     */
    check: EdgeCaseCheckSchema.optional(),
  })
  .strict();
export type EvaluatorResult = z.input<typeof EvaluatorResultSchema>;
/** An evaluator result after parsing. */
export type EvaluatorVerdict = z.output<typeof EvaluatorResultSchema>;

/**
 * The state keys the critic reads (`episode`, `feedback`) and writes
 * (`judgement`). Spread it into a graph's state:
 *
 * ```ts
 * const State = Annotation.Root({ ...CriticStateAnnotation.spec, ...MyState.spec });
 * ```
 */
export const CriticStateAnnotation = Annotation.Root({
  /** The episode to judge (parsed with `EpisodeSchema`). */
  episode: Annotation<EpisodeInput | undefined>,
  /** The user's explicit feedback on the episode, when there is any. */
  feedback: Annotation<UserFeedbackInput | undefined>,
  /** Written by the critic. */
  judgement: Annotation<Judgement | undefined>,
});
export type CriticState = typeof CriticStateAnnotation.State;
