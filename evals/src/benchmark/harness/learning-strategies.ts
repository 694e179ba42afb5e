import { ChromaEdgeCaseStore, ChromaLessonMemory } from "@lessonloop/chroma";
import { judgementOutcome } from "@lessonloop/critic";
import { InMemoryOutcomeLedger, LessonloopError, type Clock, type Embedder, type Episode, type Lesson, type LessonInput } from "@lessonloop/core";
import { createSequentialIds } from "@lessonloop/core/testing";
import type { RegressionCheck } from "@lessonloop/regression-monitor";
import { mergeLesson } from "@lessonloop/snapshot-checkpointer";
import { createLearningLoop, type LearningLoop, type LearningLoopParams, type LessonResult } from "lessonloop";
import type { Task, World } from "../environments/world.js";
import { addUsage, type ModelUsage } from "./agent.js";
import { createLessonContextReader, type LessonContextReader, type ServedParts } from "./lesson-context-reader.js";
import type { ModelSuite } from "./model-suite.js";
import { createSandboxReplayRunner } from "./sandbox-replay-runner.js";
import type { LoopSettings } from "./seed-run-protocol.js";
import type { RollbackEvent } from "./results.js";
import type { LiveLesson, ProposedLessonRecord, Strategy } from "./strategy.js";

/**
 * The `createLearningLoop` params `settings` choose; a setting left out stays
 * undefined, so the loop's default applies. Replays in context use the agent's lesson token budget unless
 * `replayInContext` is `false`.
 */
export function loopValidationParams(
  { confirmBreaks, repairRounds, earlyStop, replayInContext, coverageMinCases, validatorSchedule, baselineReplays, divideStoredCases }: LoopSettings,
  budget: number,
): Pick<LearningLoopParams, "confirmBreaks" | "repairRounds" | "earlyStop" | "replayInContext" | "coverage" | "validatorSchedule" | "baselineReplays" | "divideStoredCases"> {
  return {
    confirmBreaks,
    repairRounds,
    earlyStop,
    validatorSchedule,
    baselineReplays,
    divideStoredCases,
    // Replays see what the agent's retriever would serve on each case, with the same token budget.
    replayInContext: replayInContext === false ? false : { budget },
    ...(coverageMinCases === undefined ? {} : { coverage: coverageMinCases === 0 ? false : { minCases: coverageMinCases } }),
  };
}

/** What both learning strategies share: the benchmark's Chroma server and settings. */
export interface LearningStrategyParams {
  environment: World;
  suite: ModelSuite;
  chromaUrl: string;
  /** Prefix of this run's collections (unique per run, environment and strategy). */
  name: string;
  /** Prefix of lesson and edge-case ids: the same in every run, so a seed gives the same ids (and the same draws). */
  idPrefix: string;
  embedder: Embedder;
  clock: Clock;
  seed: number;
  /** Token budget of the lessons in the agent's prompt. */
  budget: number;
  /** The task of each episode of the stream, by episode id (for the validators' replays). */
  taskOf: (episodeId: string) => Task | undefined;
  /** The stream index now. */
  now: () => number;
  /** Told about retriever degradations and learner warnings. */
  onWarning: (message: string) => void;
  /** How lessonloop's loop validates; default `{}`, the loop's own defaults. */
  loop?: LoopSettings;
}

/** What the agent reads of a lesson, and what it is graded by. */
export function lessonText(lesson: Pick<LessonInput, "trigger" | "guidance">): string {
  return `When: ${lesson.trigger}\nDo: ${lesson.guidance}`;
}

function usageSince(before: ModelUsage, after: ModelUsage): ModelUsage {
  return { calls: after.calls - before.calls, promptTokens: after.promptTokens - before.promptTokens, completionTokens: after.completionTokens - before.completionTokens };
}

async function openMemory({ chromaUrl, name, embedder, clock }: LearningStrategyParams) {
  const memory = await ChromaLessonMemory.open({ url: chromaUrl, name, embedder, clock });
  const edgeCaseStore = await ChromaEdgeCaseStore.open({ url: chromaUrl, collection: `${name}-edge-cases`, embedder });
  return { memory, edgeCaseStore, ledger: new InMemoryOutcomeLedger() };
}

async function openLoop(params: LearningStrategyParams, runner: Parameters<typeof createLearningLoop>[0]["runner"], stores: Awaited<ReturnType<typeof openMemory>>): Promise<LearningLoop> {
  const { suite, embedder, clock, idPrefix, budget, onWarning, loop = {} } = params;
  return createLearningLoop({
    learnerModel: suite.learnerModel,
    criticModel: suite.criticModel,
    validators: suite.validators.map(({ id, model }) => ({ id, model })),
    runner,
    ...stores,
    embedder,
    clock,
    ids: createSequentialIds(idPrefix),
    agentName: "bench-learner",
    ...loopValidationParams(loop, budget),
    onEvent: (event) => {
      if (event.type === "learning_failed") onWarning(`learning failed on ${event.episodeId}: ${String(event.error)}`);
      if (event.type === "warning" && (event.source === "learner" || event.source === "retriever" || event.source === "examples")) onWarning(`${event.source}: ${event.warning.message}`);
    },
  });
}

/** The revert the regression monitor made after an episode, if it made one: from the version that merged the lesson to the revert. */
function rollbacksOf(check: RegressionCheck | undefined, at: number): RollbackEvent[] {
  return check?.action === "reverted"
    ? [{ at, fromVersion: check.revert.merged, toVersion: check.revert.snapshot.version, reason: check.revert.snapshot.reason }]
    : [];
}

function liveSize(memory: ChromaLessonMemory) {
  let known: { version: number; size: number } | undefined;
  return async (): Promise<number> => {
    const version = await memory.headVersion();
    if (known?.version !== version) known = { version, size: (await memory.list({ version })).length };
    return known.size;
  };
}

/** Live lessons by version (a version never changes), for the harness's served recall. */
function liveLessonsOf(memory: ChromaLessonMemory) {
  const known = new Map<number, readonly LiveLesson[]>();
  return async (version: number): Promise<readonly LiveLesson[]> => {
    let lessons = known.get(version);
    if (lessons === undefined) {
      lessons = (await memory.list({ version })).map((lesson) => ({ id: lesson.id, text: lessonText(lesson), scope: lesson.scope }));
      // A run reads the latest versions; older ones are rarely asked again.
      if (known.size >= 64) known.delete(known.keys().next().value as number);
      known.set(version, lessons);
    }
    return lessons;
  };
}

/** The lessonloop strategy by what its agent is shown: the examples ablation. */
const SERVED_BY_STRATEGY = { lessonloop: "lessons", "lessonloop-examples": "lessons-and-examples", "examples-only": "examples" } as const satisfies Partial<
  Record<Strategy["name"], ServedParts>
>;

/**
 * lessonloop: the real learning loop (critic → learner → validator ensemble
 * replaying stored cases in the sandbox → merge, with the regression
 * monitor's automatic rollback, and successful runs kept as examples) on a
 * real Chroma memory, and the real replay-retriever putting lessons in the
 * agent's prompt. `name` chooses what the agent is shown — lessons
 * (`lessonloop`), lessons and worked examples within the same budget
 * (`lessonloop-examples`), or examples alone (`examples-only`); the loop
 * itself is the same in all three.
 */
export async function createLessonloopStrategy(params: LearningStrategyParams, name: keyof typeof SERVED_BY_STRATEGY = "lessonloop"): Promise<Strategy> {
  const { environment, suite, seed, taskOf, now, clock, budget, onWarning } = params;
  const stores = await openMemory(params);
  const tools = environment.tools.map((tool) => tool.name);
  const sandbox = createSandboxReplayRunner({ environment, suite, seed, taskOf, now });
  const loop = await openLoop(params, sandbox.runner, stores);
  const serve = SERVED_BY_STRATEGY[name];
  const read: LessonContextReader = createLessonContextReader({
    memory: stores.memory,
    ledger: stores.ledger,
    clock,
    budget,
    onWarning,
    tools,
    serve,
    // Lessons alone keep the benchmark's own retriever, as before examples existed; examples come from the loop's.
    ...(serve === "lessons" ? {} : { createRetriever: (retrieverParams) => loop.createRetriever(retrieverParams) }),
  });
  const size = liveSize(stores.memory);

  const record = ({ lesson, verdict, outcome }: LessonResult): ProposedLessonRecord => ({
    lessonId: lesson.id,
    text: lessonText(lesson),
    scope: lesson.scope,
    outcome: outcome.status === "parked" ? "parked" : outcome.status === "rejected" ? "rejected" : "merged",
    votes: `${verdict.tally.approve}-${verdict.tally.reject}${verdict.tally.abstain > 0 ? `-${verdict.tally.abstain}` : ""}`,
  });

  return {
    name,
    prepare: (task, _at, version) => read(task, version),
    async learn(episode, _task, at) {
      const before = addUsage(suite.learningUsage(), sandbox.usage());
      const result = await loop.learn(episode);
      const usage = usageSince(before, addUsage(suite.learningUsage(), sandbox.usage()));
      return { lessons: result.lessons.map(record), rollbacks: rollbacksOf(result.regressionCheck, at), usage, merged: result.merged };
    },
    memorySize: size,
    // Served recall grades the lessons served: none are, shown examples alone.
    ...(serve === "examples" ? {} : { liveLessons: liveLessonsOf(stores.memory) }),
    close: () => loop.close().then(() => undefined),
  };
}

/**
 * Unvalidated learning, as ACE- and ExpeL-style systems do it: the same
 * critic, learner, memory, retriever, outcome ledger and regression monitor
 * as lessonloop, in the learning graph's order (judge → record the outcome,
 * which may roll a hurting merge back → propose → merge), but every proposed
 * lesson is merged at once: the validation gate is the only difference.
 */
export async function createUnvalidatedStrategy(params: LearningStrategyParams): Promise<Strategy> {
  const { environment, suite, clock, budget, onWarning } = params;
  const stores = await openMemory(params);
  // The same retriever as lessonloop's, given the agent's tools the same way.
  const read = createLessonContextReader({ memory: stores.memory, ledger: stores.ledger, clock, budget, onWarning, tools: environment.tools.map((tool) => tool.name) });
  // The loop lends its critic, learner and regression monitor; its validators are never asked.
  const loop = await openLoop(params, undefined, stores);
  // The graph's record_outcome step: credit the served lessons, let the monitor judge the latest merge.
  const recordOutcome = (episode: Episode, status: ReturnType<typeof judgementOutcome>["status"]) =>
    loop.monitor.observe({
      episodeId: episode.id,
      scope: episode.scope,
      memoryVersion: episode.memoryVersion,
      servedLessons: episode.servedLessons,
      status,
      recordedAt: clock.now().toISOString(),
    });
  const size = liveSize(stores.memory);

  async function merge(lesson: Lesson): Promise<ProposedLessonRecord> {
    const proposed = { lessonId: lesson.id, text: lessonText(lesson), scope: lesson.scope };
    try {
      await mergeLesson(stores.memory, { lesson, reason: "merged as proposed (no validation)", author: "unvalidated" });
      return { ...proposed, outcome: "merged" };
    } catch (error) {
      // A candidate the memory refuses (e.g. it supersedes a lesson retired meanwhile) is not merged.
      if (!LessonloopError.isInstance(error)) throw error;
      onWarning(`unvalidated merge refused: ${error.message}`);
      return { ...proposed, outcome: "rejected", votes: "refused by memory" };
    }
  }

  return {
    name: "unvalidated",
    prepare: (task, _at, version) => read(task, version),
    async learn(episode, _task, at) {
      const before = suite.learningUsage();
      const { judgement } = await loop.critic({ episode });
      const check = await recordOutcome(episode, judgementOutcome(judgement).status);
      const lessons: ProposedLessonRecord[] = [];
      if (judgement.worthLearning) {
        const { candidates } = await loop.learner({ episode, judgement });
        for (const lesson of candidates) lessons.push(await merge(lesson));
      }
      const merged = lessons.filter((lesson) => lesson.outcome === "merged").map((lesson) => lesson.lessonId);
      return { lessons, rollbacks: rollbacksOf(check, at), usage: usageSince(before, suite.learningUsage()), merged };
    },
    memorySize: size,
    liveLessons: liveLessonsOf(stores.memory),
    close: () => loop.close().then(() => undefined),
  };
}
