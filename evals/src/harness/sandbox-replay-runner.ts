import type { Lesson } from "@lessonloop/core";
import { renderLessonContext, type ServedLesson } from "@lessonloop/replay-retriever";
import type { ReplayOutcome, ReplayRequest, ReplayRunner } from "@lessonloop/validator-ensemble";
import type { Environment, Task } from "../environments/environment.js";
import type { ModelUsage } from "./agent.js";
import { addUsage, NO_USAGE } from "./agent.js";
import type { ReadContext } from "./lesson-context-reader.js";
import type { ModelSuite } from "./model-suite.js";
import { keyedDraw } from "../keyed-draw.js";

export interface SandboxReplayRunnerParams {
  environment: Environment;
  suite: ModelSuite;
  seed: number;
  /** The task an episode ran (edge cases name their episode in `originEpisode`). */
  taskOf: (episodeId: string) => Task | undefined;
  /** The stream index now: replays run against the world as it is now. */
  now: () => number;
  /** The live memory's context for a task, as the agent would get it now. */
  liveContext: (task: Task) => Promise<ReadContext>;
}

/** The candidate as the retriever would serve it: first, fully relevant. */
function servedCandidate(lesson: Lesson): ServedLesson {
  return { lesson, score: 1, relevance: 1, utility: 0.5, recency: 1, redundancy: 0, rank: Number.POSITIVE_INFINITY };
}

/**
 * The validators' sandbox: re-executes a stored case's task in the simulated
 * world as it is now, with the live lessons, the episode's other candidates
 * and — for the "with" run — the candidate in the agent's context, and judges
 * the resulting state. Each
 * validator misreads a replay's result at its own `errorRate`, independently
 * of the others (decided by a hash, so runs are reproducible whatever the
 * order the ensemble's queue runs replays in).
 */
export function createSandboxReplayRunner({ environment, suite, seed, taskOf, now, liveContext }: SandboxReplayRunnerParams) {
  const agents = new Map(suite.validators.map((validator) => [validator.id, { validator, agent: suite.createReplayAgent(environment, validator) }]));
  let usage: ModelUsage = NO_USAGE;

  const runner: ReplayRunner = {
    async replay({ edgeCase, lesson, companions = [], validator, signal }: ReplayRequest): Promise<ReplayOutcome> {
      const peer = agents.get(validator.id);
      if (peer === undefined) throw new Error(`No simulated validator "${validator.id}" in the model suite.`);
      const task = edgeCase.originEpisode === undefined ? undefined : taskOf(edgeCase.originEpisode);
      if (task === undefined) throw new Error(`Edge case ${edgeCase.id} names no episode of this stream; the sandbox cannot re-run it.`);
      const at = now();
      const live = await liveContext(task);
      const candidates = (lesson === undefined ? companions : [lesson, ...companions]).map(servedCandidate);
      const context = candidates.length === 0 ? live.text : renderLessonContext({ lessons: [...candidates, ...live.served], examples: [] });
      const session = environment.open(task, at);
      const run = await peer.agent.run({ task, session, tools: environment.tools, context, signal });
      usage = addUsage(usage, run.usage);
      const outcome = session.finish(run.answer);
      const misread = keyedDraw(seed, "misread", validator.id, edgeCase.id, lesson?.id ?? "-", at) < peer.validator.errorRate;
      const passed = misread ? !outcome.passed : outcome.passed;
      return { passed, output: run.answer, note: outcome.reason };
    },
  };
  return {
    runner,
    /** Model calls and tokens the replays have spent so far. */
    usage: () => usage,
  };
}
