import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { formatScope, type Embedder } from "@lessonloop/core";
import { scopeApplies } from "@lessonloop/core/internal";
import { createManualClock } from "@lessonloop/core/testing";
import { estimateTokens } from "@lessonloop/replay-retriever";
import { finishTask, type Environment } from "../environments/environment.js";
import type { Task } from "../environments/world.js";
import type { Agent } from "./agent.js";
import { episodeOfRun } from "./episode-of-run.js";
import { createOracleStrategy, createStaticStrategy } from "./fixed-context-strategies.js";
import { createLessonloopStrategy, createUnvalidatedStrategy } from "./learning-strategies.js";
import { servedStale, summarize } from "./metrics.js";
import type { ModelSuite } from "./model-suite.js";
import { createReflectionStrategy } from "./reflection-strategy.js";
import type {
  BenchmarkResults,
  EnvironmentResult,
  EpisodeRecord,
  LessonEvent,
  RegressionEvent,
  RollbackEvent,
  ServedExamples,
  StrategyName,
  StrategyResult,
} from "./results.js";
import { loopSettingsParameters, type LoopSettings } from "./seed-run-protocol.js";
import type { PreparedContext, Strategy } from "./strategy.js";

/** Told how far the run is (the terminal's progress bar). */
export interface BenchmarkProgress {
  start(totalEpisodes: number): void;
  tick(label: string): void;
  done(): void;
}

export interface RunBenchmarkParams {
  suite: ModelSuite;
  environments: readonly Environment[];
  strategies: readonly StrategyName[];
  seed: number;
  /** Tasks in each environment's stream. */
  episodes: number;
  /** The Chroma server the learning strategies' memories live on (a throwaway one: each run makes new collections). */
  chromaUrl: string;
  embedder: Embedder;
  /** Probe tasks replayed before and after each merge to count regressions. Default 10. */
  probes?: number;
  /** Token budget of the lessons in the agent's prompt. Default 600 (the retriever's default). */
  budget?: number;
  /** How lessonloop's loop validates (confirm breaks, repair rounds …); each setting left out keeps the loop's default, and each one set is in the results' parameters. Default `{}`. */
  loop?: LoopSettings;
  progress?: BenchmarkProgress;
  onWarning?: (message: string) => void;
  /** Prefix of the run's Chroma collections (letters and digits); runs sharing a server at once need different ones. Default: from the start time. */
  runId?: string;
}

const MINUTE = 60_000;

/** Seeds of the probe set, apart from the stream's own. */
const PROBE_SEED_OFFSET = 7_919;

interface StrategyRunParams extends RunBenchmarkParams {
  environment: Environment;
  tasks: readonly Task[];
  probeTasks: readonly Task[];
  strategy: StrategyName;
  runId: string;
}

async function createStrategy(name: StrategyName, params: StrategyRunParams, clock: ReturnType<typeof createManualClock>, tasks: Map<string, Task>, now: () => number): Promise<Strategy> {
  const { environment, suite, chromaUrl, embedder, seed, budget = 600, onWarning = () => {}, runId, loop = {} } = params;
  const learning = {
    environment,
    suite,
    chromaUrl,
    embedder,
    clock,
    seed,
    budget,
    name: `${runId}-${environment.name}-${name}`,
    idPrefix: `${environment.name}-${name}`,
    taskOf: (episodeId: string) => tasks.get(episodeId),
    now,
    onWarning,
    loop,
  };
  switch (name) {
    case "static":
      return createStaticStrategy();
    case "oracle":
      return createOracleStrategy(environment);
    case "reflection":
      return createReflectionStrategy({ reflector: suite.reflector });
    case "unvalidated":
      return createUnvalidatedStrategy(learning);
    case "lessonloop":
    case "lessonloop-examples":
    case "examples-only":
      return createLessonloopStrategy(learning, name);
  }
}

/** Runs a task once with a given context and says whether the resulting state was right. */
async function attempt(agent: Agent, environment: Environment, task: Task, at: number, context: string) {
  const session = environment.open(task, at);
  const run = await agent.run({ task, session, tools: environment.tools, context });
  return { run, outcome: finishTask(environment, session, run.answer) };
}

/**
 * Served recall of one retrieval: the lessons live at the version served that
 * reach the task's scope and state a rule the task touches (the world grades
 * that; the strategy never sees it), and how many of them were served.
 */
async function recallOf(strategy: Strategy, environment: Environment, task: Task, prepared: PreparedContext): Promise<{ applicable: number; served: number } | undefined> {
  if (strategy.liveLessons === undefined) return undefined;
  const served = new Set(prepared.servedLessons);
  const applicable = (await strategy.liveLessons(prepared.memoryVersion)).filter(
    (lesson) => scopeApplies(lesson.scope, task.scope) && environment.lessonApplies({ text: lesson.text }, task),
  );
  return { applicable: applicable.length, served: applicable.filter((lesson) => served.has(lesson.id)).length };
}

/** The episode a served example was first kept from (`example-<episode id>`, as the loop names it). */
const EXAMPLE_ID = /^example-(.+)$/;

/** The examples served to `task`, graded against the drift schedule (`servedStale`; the strategy never sees it). */
function servedExamplesOf(prepared: PreparedContext, task: Task, environment: Environment, taskOfEpisode: (episodeId: string) => Task | undefined): ServedExamples | undefined {
  if (prepared.examples === undefined) return undefined;
  const { ids, lessonTokens, exampleTokens } = prepared.examples;
  const stale = ids.filter((id) => {
    const recorded = taskOfEpisode(EXAMPLE_ID.exec(id)?.[1] ?? "");
    return recorded !== undefined && servedStale({ index: recorded.index, kind: recorded.kind, user: recorded.scope.user }, task.index, environment.drifts);
  });
  return { served: ids.length, staleServed: stale.length, lessonTokens, exampleTokens };
}

/**
 * Regressions of a merge: probe tasks that pass with the memory as it was
 * before the merge and fail with it as it is after, both against the world
 * as it is at the merge.
 */
async function probeRegressions(
  strategy: Strategy,
  agent: Agent,
  { environment, probeTasks }: StrategyRunParams,
  at: number,
  versionBefore: number,
  lessonIds: readonly string[],
): Promise<RegressionEvent[]> {
  const found: RegressionEvent[] = [];
  for (const probe of probeTasks) {
    const before = await attempt(agent, environment, probe, at, (await strategy.prepare(probe, at, versionBefore)).text);
    if (!before.outcome.passed) continue;
    const after = await attempt(agent, environment, probe, at, (await strategy.prepare(probe, at)).text);
    if (!after.outcome.passed) found.push({ at, lessonId: lessonIds.join(","), probeTaskId: probe.id, reason: after.outcome.reason });
  }
  return found;
}

async function runStrategy(params: StrategyRunParams): Promise<StrategyResult> {
  const { environment, tasks, suite, strategy: name, progress } = params;
  const clock = createManualClock("2026-01-05T09:00:00.000Z");
  const taskByEpisode = new Map<string, Task>();
  let now = 0;
  const strategy = await createStrategy(name, params, clock, taskByEpisode, () => now);
  const agent = suite.createAgent(environment);
  const episodes: EpisodeRecord[] = [];
  const lessons: LessonEvent[] = [];
  const rollbacks: RollbackEvent[] = [];
  const regressions: RegressionEvent[] = [];
  let measuringMs = 0;
  const started = performance.now();
  try {
    for (const task of tasks) {
      now = task.index;
      clock.advance(MINUTE);
      const prepared = await strategy.prepare(task, task.index);
      const grading = performance.now();
      const recall = await recallOf(strategy, environment, task, prepared);
      measuringMs += performance.now() - grading;
      const examples = servedExamplesOf(prepared, task, environment, (episodeId) => taskByEpisode.get(episodeId));
      const { run, outcome } = await attempt(agent, environment, task, task.index, prepared.text);
      const episodeId = `${environment.name}.${task.index}`;
      taskByEpisode.set(episodeId, task);
      const episode = episodeOfRun({ id: episodeId, task, run, signals: outcome.signals, memoryVersion: prepared.memoryVersion, servedLessons: prepared.servedLessons, clock });
      const learned = await strategy.learn(episode, task, task.index);
      for (const lesson of learned.lessons) {
        const grade = environment.gradeLesson({ text: lesson.text, scope: lesson.scope }, task.index);
        lessons.push({ ...lesson, at: task.index, scope: formatScope(lesson.scope), grade });
      }
      rollbacks.push(...learned.rollbacks);
      if (learned.merged.length > 0) {
        const probing = performance.now();
        regressions.push(...(await probeRegressions(strategy, agent, params, task.index, prepared.memoryVersion, learned.merged)));
        measuringMs += performance.now() - probing;
      }
      episodes.push({
        index: task.index,
        taskId: task.id,
        kind: task.kind,
        ...(task.scope.user === undefined ? {} : { user: task.scope.user }),
        passed: outcome.passed,
        reason: outcome.reason,
        agent: run.usage,
        learning: learned.usage,
        contextTokens: estimateTokens(prepared.text),
        memorySize: await strategy.memorySize(),
        memoryVersion: prepared.memoryVersion,
        ...(recall === undefined ? {} : { recall }),
        ...(examples === undefined ? {} : { examples }),
      });
      progress?.tick(`${environment.name} · ${name}`);
    }
  } finally {
    await strategy.close();
  }
  const wallMs = performance.now() - started - measuringMs;
  const summary = summarize({ episodes, lessons, rollbacks, regressions, drifts: environment.drifts, wallMs });
  return { strategy: name, episodes, lessons, rollbacks, regressions, summary };
}

/**
 * Runs every strategy over every environment's task stream — the same tasks,
 * the same agent and models — and gathers what each did. Strategies run one
 * after another so their timings do not disturb each other.
 */
export async function runBenchmark(params: RunBenchmarkParams): Promise<BenchmarkResults> {
  const { suite, environments, strategies, seed, episodes, probes = 10, budget = 600, loop = {}, progress } = params;
  const startedAt = new Date();
  const started = performance.now();
  // Collections of earlier runs on a reused server must not be read back: every run names its own.
  const runId = params.runId ?? `bench${startedAt.getTime().toString(36)}`;
  progress?.start(environments.length * strategies.length * episodes);
  const results: EnvironmentResult[] = [];
  try {
    for (const environment of environments) {
      const tasks = environment.tasks({ seed, count: episodes });
      const probeTasks = environment.tasks({ seed: seed + PROBE_SEED_OFFSET, count: probes });
      const perStrategy: StrategyResult[] = [];
      for (const strategy of strategies) {
        perStrategy.push(await runStrategy({ ...params, environment, tasks, probeTasks, strategy, runId }));
      }
      results.push({
        name: environment.name,
        description: environment.description,
        drifts: environment.drifts.map(({ at, change, kinds, users }) => ({
          at,
          change,
          kinds: [...kinds],
          ...(users === undefined ? {} : { users: [...users] }),
        })),
        strategies: perStrategy,
      });
    }
  } finally {
    progress?.done();
  }
  return {
    schemaVersion: 1,
    mode: suite.mode,
    seed,
    episodes,
    parameters: { ...suite.parameters, probes, lessonBudgetTokens: budget, ...loopSettingsParameters(loop) },
    startedAt: startedAt.toISOString(),
    wallMs: performance.now() - started,
    machine: { cpus: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
    environments: results,
  };
}
