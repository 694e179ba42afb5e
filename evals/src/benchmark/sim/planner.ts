import type { Task } from "../environments/world.js";
import type { Directive, PreferenceAspect, PreferenceDirective } from "./lesson-language.js";

/**
 * What a world's simulated planner sees and does: the narrow interface
 * between the simulated agent (`sim-agent.ts`, which applies lessons and
 * slips) and each world's knowledge of its own documented tools.
 */

/** The result of one tool call as the planner reads it. */
export interface CallResult {
  ok: boolean;
  data: Record<string, unknown>;
  text: string;
  tool: string;
}

/** What a planner works with: the world through directives, and the agent's slips. */
export interface PlanContext {
  task: Task;
  /** Calls a tool after applying the directives the agent follows. */
  exec(name: string, args: Record<string, unknown>): CallResult;
  /** Looks up several ids: one call each, or one batch call when a directive says so. */
  lookupMany(tool: string, param: string, ids: readonly string[]): { ok: true; records: Record<string, unknown>[] } | { ok: false; failed: CallResult };
  /** The followed directives of one kind (in the order read). */
  followed: readonly Directive[];
  preference<A extends PreferenceAspect>(aspect: A): Extract<PreferenceDirective, { aspect: A }>["value"] | undefined;
  /** `value` as the agent writes it: off by one when it slips on this task. */
  slip(value: number): number;
  mistake: boolean;
}

/**
 * How the simulated agent works one world's tasks from its documentation: reads
 * `context.task.request` and the tool results, calls tools through
 * `context.exec` (which applies the lessons the agent follows) and returns the
 * answer to the user. A world supplies its own (`World.simPlanner`); it may know
 * the world's documented tools and rules only, never its hidden side.
 */
export type SimPlanner = (context: PlanContext) => string;

export const cantFinish = (result: CallResult) => `I could not finish the task: ${result.tool} answered "${result.text}".`;
export const notUnderstood = "I could not understand the request.";
