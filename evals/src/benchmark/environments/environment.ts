import { LessonloopError, type Scope } from "@lessonloop/core";
import type { Session, Task, TaskSignals, World } from "./world.js";

/**
 * A world's hidden side: its drift schedule, the rules in force, how each
 * task should have ended. Only the harness's scoring (success, regressions,
 * lesson grades, adaptation), the report and the oracle may import this
 * module; agents, learners, critics, validators and learning strategies see a
 * {@link World} (a test enforces it).
 */

export type { EnvironmentName, Session, Task, TaskSignals, ToolResult, ToolSpec, World } from "./world.js";

/** A scheduled change of the world. */
export interface DriftPoint {
  /** The first task index that sees the change. */
  at: number;
  /** What changed, for the report. */
  change: string;
  /** The task kinds it affects, for adaptation latency. */
  kinds: readonly string[];
  /** The users it affects, when it affects only some (a preference that changes); all users when left out. */
  users?: readonly string[];
}

/** How a finished task really ended: the ground truth the signals may get wrong (a wrong complaint, a vague audit). */
export interface TaskTruth {
  passed: boolean;
  reason: string;
}

/** How right a lesson is for the world at a point of the stream: grading for the metrics, never shown to a strategy. */
export type LessonGrade = "correct" | "incorrect";

/** A world with its hidden side: what the harness scores by and the oracle is told. */
export interface Environment extends World {
  readonly drifts: readonly DriftPoint[];
  /** The ground truth of a session this world opened, once it is finished. */
  truthOf(session: Session): TaskTruth;
  /** The oracle's knowledge: the rules in force at `at` that differ from the documentation, as lesson texts for the task's scope. */
  oracleLessons(task: Task, at: number): string[];
  /** Metrics only: whether a lesson (its text and scope) is right for the world at `at`. */
  gradeLesson(lesson: { text: string; scope: Scope }, at: number): LessonGrade;
  /**
   * Metrics only (served recall): whether a lesson's text states a rule `task`
   * touches — right or wrong, since a retriever cannot tell — read exactly, as
   * grading reads it. Whether its scope reaches the task is the caller's check.
   */
  lessonApplies(lesson: { text: string }, task: Task): boolean;
}

/**
 * Where a world's sessions leave their ground truth when they finish, for
 * {@link Environment.truthOf}: the session object the agent holds carries
 * only what it may see.
 */
export function createTruthBook(world: string) {
  const truths = new WeakMap<Session, TaskTruth>();
  return {
    record(session: Session, truth: TaskTruth): void {
      truths.set(session, truth);
    },
    truthOf(session: Session): TaskTruth {
      const truth = truths.get(session);
      if (truth === undefined) {
        throw new LessonloopError("invalid_input", `${world}: that session was not opened by this world or is not finished yet; call finish(answer) first.`);
      }
      return truth;
    },
  };
}

export type TruthBook = ReturnType<typeof createTruthBook>;

/** How a task ended: the truth and the signals an operator saw. */
export interface TaskOutcome extends TaskTruth {
  signals: TaskSignals;
}

/** Ends `session` with `answer` and reads its truth: how the harness scores a run. */
export function finishTask(environment: Environment, session: Session, answer: string): TaskOutcome {
  const signals = session.finish(answer);
  return { ...environment.truthOf(session), signals };
}
