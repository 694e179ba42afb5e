import type { Episode, Scope } from "@lessonloop/core";
import type { Task } from "../environments/world.js";
import type { ModelUsage } from "./agent.js";
import type { LessonEvent, RollbackEvent, StrategyName } from "./results.js";

/** What a strategy puts in the agent's prompt for one task. */
export interface PreparedContext {
  /** The text added to the system prompt ("" for none). */
  text: string;
  /** Lessons served, for credit assignment (memory strategies). */
  servedLessons: string[];
  /** The memory version the text was read from (0 for strategies without versioned memory). */
  memoryVersion: number;
  /** Strategies that can serve worked examples: the ids of those served, and the tokens the lessons and the examples took of `text`. */
  examples?: { ids: string[]; lessonTokens: number; exampleTokens: number };
}

/** A lesson a strategy proposed from an episode, before the harness grades it against the world. */
export interface ProposedLessonRecord extends Omit<LessonEvent, "at" | "grade" | "scope"> {
  scope: Scope;
}

/** A lesson live in a strategy's memory, as the harness grades it (metrics only). */
export interface LiveLesson {
  id: string;
  /** What the agent reads of it (`lessonText`). */
  text: string;
  scope: Scope;
}

/** What a strategy did with one finished episode. */
export interface LearnedFromEpisode {
  lessons: ProposedLessonRecord[];
  rollbacks: RollbackEvent[];
  /** Model calls and tokens it spent learning (critic, learner, validators' replays, reflections). */
  usage: ModelUsage;
  /** Ids of the lessons that became live from this episode (regression probes run when non-empty). */
  merged: string[];
}

/**
 * One way of running an agent over a task stream: what goes in its prompt,
 * and what it does after each episode. Every strategy gets the same tasks,
 * agent and models; only this differs.
 */
export interface Strategy {
  readonly name: StrategyName;
  /** Context for `task` from the live memory, or from memory `version` when given (regression probes). */
  prepare(task: Task, at: number, version?: number): Promise<PreparedContext>;
  /** Learns from an episode the agent just ran at stream index `at`. */
  learn(episode: Episode, task: Task, at: number): Promise<LearnedFromEpisode>;
  /** Lessons (or reflections) live now. */
  memorySize(): Promise<number>;
  /**
   * The lessons live at a memory version, for served recall: strategies that
   * retrieve from versioned memory have it; those that serve everything they
   * keep (or nothing) do not. The harness reads it for grading only.
   */
  liveLessons?(version: number): Promise<readonly LiveLesson[]>;
  /** Releases what the strategy holds (collections stay on the benchmark's throwaway server). */
  close(): Promise<void>;
}
