import type { EdgeCaseCheck, Lesson } from "@lessonloop/core";
import { objectionsIn } from "@lessonloop/core/internal";
import { renderLessonContext, type ServedLesson } from "@lessonloop/replay-retriever";
import { evaluateCheck, type ReplayOutcome, type ReplayRequest, type ReplayRunner } from "@lessonloop/validator-ensemble";
import type { Task, TaskSignals, World } from "../environments/world.js";
import type { AgentRun, ModelUsage } from "./agent.js";
import { addUsage, NO_USAGE } from "./agent.js";
import { outcomeOfSignals } from "./episode-of-run.js";
import type { ModelSuite } from "./model-suite.js";
import { keyedDraw } from "../keyed-draw.js";

export interface SandboxReplayRunnerParams {
  /** The world the sandbox re-executes tasks in: its tools and the signals it shows, never its hidden rules. */
  environment: World;
  suite: ModelSuite;
  seed: number;
  /** The task an episode ran (edge cases name their episode in `originEpisode`). */
  taskOf: (episodeId: string) => Task | undefined;
  /** The stream index now: replays run against the world as it is now. */
  now: () => number;
}

/** A lesson in a replay's context as the retriever would serve it: fully relevant (the candidate comes first). */
function servedCandidate(lesson: Lesson): ServedLesson {
  return { lesson, score: 1, relevance: 1, utility: 0.5, recency: 1, redundancy: 0, rank: Number.POSITIVE_INFINITY };
}

/**
 * What a rubric about one of several objections asks, as a judge reads it:
 * the objections it quotes, the last being the one it checks.
 */
function objectionOf(rubric: string): { raised: string[]; checked: string } | undefined {
  if (!rubric.includes("This case checks one of them:")) return undefined;
  const quoted = [...rubric.matchAll(/"(?:[^"\\]|\\.)*"/g)].map((match) => JSON.parse(match[0]) as string);
  const checked = quoted.pop();
  return checked === undefined || quoted.length === 0 ? undefined : { raised: quoted, checked };
}

/**
 * How a validator judges a replay from what the sandbox shows it: the case's
 * own deterministic check (`answer`, `tool_call`) on what the agent did, and
 * the signals the re-run ended with (the state check, the auditor, the
 * user's reaction) — the same texts an operator reads. A failing check or a
 * failing signal fails the replay; a passing check, or for a rubric a passing
 * signal, passes it; nothing to go by is `null` (the ensemble counts it as
 * "could not run"). A rubric about one of the user's objections passes when
 * the user's reaction no longer raises it nor anything not raised before. A wrong complaint or a stale stored answer misleads it,
 * as it would mislead a real validator.
 */
export function judgeReplay(check: EdgeCaseCheck, run: Pick<AgentRun, "answer" | "trajectory">, signals: TaskSignals): { passed: boolean | null; note: string } {
  let byCheck: boolean | null;
  switch (check.type) {
    case "answer":
      byCheck = evaluateCheck(check, { type: "answer", answer: run.answer });
      break;
    case "tool_call":
      byCheck = run.trajectory.some((step) => step.type === "tool_call" && evaluateCheck(check, { type: "tool_call", name: step.name, args: step.args }) === true);
      break;
    default:
      byCheck = null;
  }
  const shown = outcomeOfSignals(signals);
  const objection = check.type === "rubric" ? objectionOf(check.rubric) : undefined;
  if (objection !== undefined && shown.status === "failure" && shown.signal.source === "user_feedback") {
    const now = objectionsIn(shown.signal.detail);
    const passed = !now.includes(objection.checked) && now.every((raised) => objection.raised.includes(raised));
    return { passed, note: passed ? `the user no longer objects ${JSON.stringify(objection.checked)} (still: ${shown.signal.detail})` : shown.signal.detail };
  }
  if (byCheck === false) return { passed: false, note: `the case's ${check.type} check failed` };
  if (shown.status === "failure") return { passed: false, note: shown.signal.detail };
  if (byCheck === true || shown.status === "success") return { passed: true, note: byCheck === true ? `the case's ${check.type} check passed` : shown.signal.detail };
  return { passed: null, note: "the sandbox showed nothing to judge the case by" };
}

/**
 * The validators' sandbox: re-executes a stored case's task in the simulated
 * world as it is now, with the live lessons, the episode's other candidates
 * and — for the "with" run — the candidate in the agent's context, and judges
 * the replay by what it shows ({@link judgeReplay}). On top of that, each
 * validator misreads a replay at its own stated `errorRate`, independently
 * of the others (decided by a hash, so runs are reproducible whatever the
 * order the ensemble's queue runs replays in).
 */
export function createSandboxReplayRunner({ environment, suite, seed, taskOf, now }: SandboxReplayRunnerParams) {
  const agents = new Map(suite.validators.map((validator) => [validator.id, { validator, agent: suite.createReplayAgent(environment, validator) }]));
  let usage: ModelUsage = NO_USAGE;

  const runner: ReplayRunner = {
    async replay({ edgeCase, lesson, companions = [], validator, attempt = 1, signal }: ReplayRequest): Promise<ReplayOutcome> {
      const peer = agents.get(validator.id);
      if (peer === undefined) throw new Error(`No simulated validator "${validator.id}" in the model suite.`);
      const task = edgeCase.originEpisode === undefined ? undefined : taskOf(edgeCase.originEpisode);
      if (task === undefined) throw new Error(`Edge case ${edgeCase.id} names no episode of this stream; the sandbox cannot re-run it.`);
      const at = now();
      // The ensemble hands over what memory serves on the case and the episode's other candidates, as the loop's retriever would choose them.
      const lessons = (lesson === undefined ? companions : [lesson, ...companions]).map(servedCandidate);
      const context = lessons.length === 0 ? "" : renderLessonContext({ lessons, examples: [] });
      const session = environment.open(task, at);
      const run = await peer.agent.run({ task, session, tools: environment.tools, context, signal });
      usage = addUsage(usage, run.usage);
      const judged = judgeReplay(edgeCase.check, run, session.finish(run.answer));
      const misread = judged.passed !== null && keyedDraw(seed, "misread", validator.id, edgeCase.id, lesson?.id ?? "-", at, attempt) < peer.validator.errorRate;
      return { passed: misread ? !judged.passed : judged.passed, output: run.answer, note: misread ? `misread: ${judged.note}` : judged.note, usage: run.usage };
    },
  };
  return {
    runner,
    /** Model calls and tokens the replays have spent so far. */
    usage: () => usage,
  };
}
