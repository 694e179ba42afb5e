import type { Clock, Episode, Outcome, TrajectoryStep } from "@lessonloop/core";
import type { Task, TaskSignals } from "../environments/world.js";
import type { AgentRun } from "./agent.js";

/**
 * What an operator would know about how a task went, from its signals only:
 * the first failing signal decides (the state check, then the auditor, then
 * the user), else the first passing one; no signal leaves it `unknown`.
 */
export function outcomeOfSignals({ environment, audit, feedback }: TaskSignals): Outcome {
  const said: Array<{ passed: boolean; signal: Outcome["signal"] }> = [];
  if (environment !== undefined) said.push({ passed: environment.passed, signal: { source: "environment", detail: environment.detail } });
  if (audit !== undefined) said.push({ passed: audit.passed, signal: { source: "evaluator", detail: audit.reason } });
  if (feedback !== undefined) said.push({ passed: feedback.rating === "positive", signal: { source: "user_feedback", detail: feedback.text } });
  const failing = said.find(({ passed }) => !passed);
  if (failing !== undefined) return { status: "failure", signal: failing.signal };
  const passing = said[0];
  return passing === undefined ? { status: "unknown", signal: { source: "none", detail: "" } } : { status: "success", signal: passing.signal };
}

export interface EpisodeOfRunParams {
  /** The episode id; also how a replay finds its task (`originEpisode` of the edge cases). */
  id: string;
  task: Task;
  run: AgentRun;
  signals: TaskSignals;
  memoryVersion: number;
  servedLessons: readonly string[];
  clock: Clock;
}

/** The episode lessonloop records for a finished task: the agent's trajectory, then the user's and auditor's words, and the outcome they give. */
export function episodeOfRun({ id, task, run, signals, memoryVersion, servedLessons, clock }: EpisodeOfRunParams): Episode {
  const after: TrajectoryStep[] = [];
  if (signals.feedback !== undefined) after.push({ type: "message", role: "user", content: signals.feedback.text });
  const now = clock.now().toISOString();
  return {
    id,
    input: task.request,
    trajectory: [...run.trajectory, ...after].slice(-1_000),
    outcome: outcomeOfSignals(signals),
    scope: task.scope,
    memoryVersion,
    servedLessons: [...servedLessons].slice(0, 100),
    startedAt: now,
    endedAt: now,
  };
}
