import type { Scope } from "@lessonloop/core";
import type { SimPlanner } from "../sim/planner.js";

/**
 * What an agent, a learner, a critic or a validator may know of a world: its
 * documented tools, its task stream and sessions that answer tool calls and
 * end with the signals an operator sees. Nothing here says what the world's
 * rules are now, how a task should have ended, or when the world changes —
 * that is in `environment.ts`, which only the harness's scoring and the oracle
 * import (a test holds every other module to it).
 */

/** The four worlds of the benchmark. */
export type EnvironmentName = "api-drift" | "user-preferences" | "policy-shift" | "poisoned-feedback";

/** One task of an environment's stream. */
export interface Task {
  /** Unique within the environment and stable for a seed, e.g. `api-drift#17`. */
  id: string;
  /** Position in the stream (0-based); the world drifts by it. */
  index: number;
  /** What kind of job it is (`invoice`, `shipment`, `refund`, …); drifts name the kinds they affect. */
  kind: string;
  /** What the user asks, in words: the episode input and all the agent knows of the task. */
  request: string;
  /** Who asks: the tenant, and the user where users differ. */
  scope: Scope;
}

/** A tool as the agent's documentation describes it: the original API, never the drifted one. */
export interface ToolSpec {
  name: string;
  description: string;
  /** Parameter name → description (type, unit, format) as documented. */
  parameters: Record<string, string>;
  /** Parameters the documentation marks required. */
  required: readonly string[];
}

/** What a tool call returned: the text the agent reads. */
export interface ToolResult {
  content: string;
  isError: boolean;
}

/** A signal the agent's operator would see after a task (nothing hidden: no rule is named unless the text names it). */
export interface TaskSignals {
  /** The end-of-task check of the resulting state, as an operator's monitoring reports it. */
  environment?: { passed: boolean; detail: string };
  /** The user's reaction, when they have one (a complaint, or thanks). */
  feedback?: { rating: "positive" | "negative"; text: string };
  /** An auditor's finding, when an auditor looked. */
  audit?: { passed: boolean; reason: string };
}

/**
 * One run of one task against the world as it is at some point of the
 * stream. Deterministic: the same task at the same point with the same calls
 * gives the same results and signals.
 */
export interface Session {
  callTool(name: string, args: Record<string, unknown>): ToolResult;
  /** Ends the task with the agent's final answer to the user; returns what the operator sees of how it went. */
  finish(answer: string): TaskSignals;
}

/** A world as its agent (and the agent's learner, critic and validators) can see it. */
export interface World {
  readonly name: EnvironmentName;
  readonly description: string;
  /** The tools as documented at the start (the agent's knowledge). */
  readonly tools: readonly ToolSpec[];
  /** The stream length the world is made for (the harness's default `count`). */
  readonly defaultTaskCount?: number;
  /** The task stream for a seed. */
  tasks(params: { seed: number; count: number }): Task[];
  /** A fresh session of `task` against the world as it is at task index `at` (replays use an old task at the current point). */
  open(task: Task, at: number): Session;
  /**
   * How the simulated agent works this world's tasks from the documented tools
   * (sim mode); it knows nothing a real agent could not. A world without one
   * runs with real models only.
   */
  readonly simPlanner?: SimPlanner;
}
