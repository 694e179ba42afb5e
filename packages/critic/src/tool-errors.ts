import { type Episode, type TrajectoryStep } from "@lessonloop/core";
import { clip } from "@lessonloop/core/internal";
import { MAX_DETAIL, type Failure, type Recovery, type ToolCallRef } from "./judgement.js";

type ToolResultStep = Extract<TrajectoryStep, { type: "tool_result" }>;

/** The tool errors of a trajectory, and which of them a later call of the same tool recovered. */
export interface ToolErrorReport {
  /** Every tool result marked `isError`, in order. */
  errors: { step: number; result: ToolResultStep }[];
  /** The first error no later successful result of the same tool followed; undefined when all recovered. */
  unrecovered: Failure | undefined;
  /** The first error and the later call of the same tool that worked; undefined when none recovered. */
  recovery: Recovery | undefined;
}

function callOf(trajectory: readonly TrajectoryStep[], callId: string, name: string): ToolCallRef {
  const call = trajectory.find((step) => step.type === "tool_call" && step.id === callId);
  return call?.type === "tool_call" ? { name: call.name, args: { ...call.args } } : { name, args: {} };
}

/**
 * Finds the tool errors of an episode. An error counts as recovered when a later
 * result of the same tool is not an error (a successful retry).
 */
export function inspectToolErrors(episode: Episode): ToolErrorReport {
  const { trajectory } = episode;
  const errors: ToolErrorReport["errors"] = [];
  trajectory.forEach((step, index) => {
    if (step.type === "tool_result" && step.isError) errors.push({ step: index, result: step });
  });

  const laterSuccess = (after: number, name: string): number | undefined => {
    for (let index = after + 1; index < trajectory.length; index++) {
      const step = trajectory[index];
      if (step?.type === "tool_result" && step.name === name && !step.isError) return index;
    }
    return undefined;
  };

  let unrecovered: Failure | undefined;
  let recovery: Recovery | undefined;
  for (const { step, result } of errors) {
    const retryStep = laterSuccess(step, result.name);
    if (retryStep === undefined) {
      unrecovered ??= { step, tool: result.name, error: clip(result.content, MAX_DETAIL) };
      continue;
    }
    if (recovery !== undefined) continue;
    const retry = trajectory[retryStep] as ToolResultStep;
    recovery = {
      errorStep: step,
      error: clip(result.content, MAX_DETAIL),
      failedCall: callOf(trajectory, result.callId, result.name),
      retryStep,
      retryCall: callOf(trajectory, retry.callId, retry.name),
    };
  }
  return { errors, unrecovered, recovery };
}

/** The failure to report for an episode that failed: the unrecovered tool error, else the last tool error. */
export function failingToolStep(report: ToolErrorReport): Failure | undefined {
  if (report.unrecovered !== undefined) return report.unrecovered;
  const last = report.errors.at(-1);
  return last === undefined ? undefined : { step: last.step, tool: last.result.name, error: clip(last.result.content, MAX_DETAIL) };
}
