import type { TrajectoryStep } from "@lessonloop/core";
import type { Session, Task, ToolSpec } from "../environments/world.js";

/** Model calls and tokens spent by a role (agent, learner, validators …). */
export interface ModelUsage {
  calls: number;
  promptTokens: number;
  completionTokens: number;
}

/** What an agent did on one task. */
export interface AgentRun {
  /** Every message, tool call and tool result, in order. */
  trajectory: TrajectoryStep[];
  /** The final answer to the user (also the last assistant message of the trajectory). */
  answer: string;
  usage: ModelUsage;
}

/** What an agent is given for one task. */
export interface AgentRunParams {
  task: Task;
  /** The world the calls go to; the agent ends the task with `session.finish(answer)` left to the caller. */
  session: Session;
  /** The tools as documented (the original API). */
  tools: readonly ToolSpec[];
  /**
   * What the strategy puts in the system prompt besides the documentation:
   * the replay-retriever's lesson context, reflections, the oracle's rules, or
   * nothing. The agent knows only what reaches it here.
   */
  context: string;
  signal?: AbortSignal;
}

/** The agent under test: the simulated one (`sim`) or a real model with tools (`openai`). */
export interface Agent {
  run(params: AgentRunParams): Promise<AgentRun>;
}

export function addUsage(total: ModelUsage, more: ModelUsage): ModelUsage {
  return {
    calls: total.calls + more.calls,
    promptTokens: total.promptTokens + more.promptTokens,
    completionTokens: total.completionTokens + more.completionTokens,
  };
}

export const NO_USAGE: ModelUsage = Object.freeze({ calls: 0, promptTokens: 0, completionTokens: 0 });
