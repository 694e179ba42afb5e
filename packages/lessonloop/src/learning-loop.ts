import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { ChromaServer } from "@lessonloop/chroma";
import { createCritic, judgementOutcome, type CriticNode, type Evaluator } from "@lessonloop/critic";
import {
  EpisodeSchema,
  LessonloopError,
  createLexicalEmbedder,
  type Clock,
  type EdgeCase,
  type EdgeCaseStore,
  type Embedder,
  type EpisodeInput,
  type IdGenerator,
  type Lesson,
  type LessonMemory,
  type OutcomeLedger,
  type VerdictStore,
} from "@lessonloop/core";
import { clip, createModelUsageMeter, parseWith, promptSafeLessonText, randomId, systemClock, type ExampleStore, type ModelUsage } from "@lessonloop/core/internal";
import { createLearner, createLessonRepairer, type LearnerNode } from "@lessonloop/learner";
import {
  DEGRADED_EVENT,
  createLessonSelector,
  createReplayRetriever,
  type LessonSelectionParams,
  type ExampleSource,
  type LessonSelector,
  type ReplayRetrieverNode,
  type ReplayRetrieverParams,
  type ReplayRetrieverState,
} from "@lessonloop/replay-retriever";
import { createRegressionMonitor, type RegressionCheck, type RegressionMonitor, type RegressionMonitorParams } from "@lessonloop/regression-monitor";
import { createMergeNode, type MergeNode } from "@lessonloop/snapshot-checkpointer";
import {
  createRolePlayRunner,
  createValidatorEnsemble,
  type ConsensusPolicy,
  type ReplayRunner,
  type RiskRule,
  type RolePlayTool,
  type Validator,
  type ValidatorEnsemble,
} from "@lessonloop/validator-ensemble";
import { defaultStores } from "./default-stores.js";
import type { EpisodeJournal } from "./episode-journal.js";
import { episodeWarning, logLearningEvent, type LearningEvent, type LearningWarning, type ShutdownReport } from "./learning-events.js";
import { createCachedExampleSource, mirroredWrites } from "./cached-example-source.js";
import { createExampleRecorder, type ExampleRecorder, type ExampleRecordingParams } from "./example-recorder.js";
import { createLearningGraph, type ApprovalParams, type LearningGraph, type LearningGraphState } from "./learning-graph.js";
import { LearningQueue, type EnqueueOutcome, type LearnNowOptions, type LearningQueueStats, type QueueFullPolicy } from "./learning-queue.js";
import type { LearningResult } from "./learning-result.js";
import { servedOnCases } from "./served-on-cases.js";

/** How background learning queues, bounds and keeps episodes. */
export interface BackgroundLearningParams {
  /** Most episodes waiting to be learned (not counting those being learned). Default 100. */
  maxQueued?: number;
  /**
   * What happens to a new episode when `maxQueued` are waiting: `"block"`
   * (default: the caller waits for room), `"persist"` (to the journal, learned
   * after the next start) or `"drop-oldest"` (with an `episode_dropped` event).
   */
  onFull?: QueueFullPolicy;
  /**
   * The write-ahead log of background episodes, e.g.
   * `createFileEpisodeJournal({ path })`: each episode is appended before
   * `enqueue` returns and marked done once learned, so one that was
   * acknowledged survives a crash or a store outage; a new loop with the same
   * journal learns every pending episode first. One process owns a file
   * journal; the loop's `close()` closes it. Default none: episodes live in
   * memory and `shutdown()` returns the unlearned ones in `unpersisted`.
   */
  journal?: EpisodeJournal;
  /** Whether a new loop queues the journal's pending episodes at start. Default true. */
  replayJournal?: boolean;
  /**
   * First pause (ms) before learning that failed on an unreachable store
   * (`store_unavailable`, e.g. Chroma restarting) is tried again; it doubles
   * up to `maxRetryDelayMs`. Default 1 000.
   */
  retryDelayMs?: number;
  /** Longest pause between such retries (ms). Default 30 000. */
  maxRetryDelayMs?: number;
  /** Episodes learned at once. Default 1 (merges one at a time, no two runs proposing the same lesson). */
  concurrency?: number;
  /** The longest one episode's learning may take (ms). Default 300 000. */
  learnTimeoutMs?: number;
  /** How long `shutdown()` waits for the queue to drain before persisting the rest (ms). Default 30 000. */
  drainTimeoutMs?: number;
}

export interface LearningLoopParams {
  /** The model that proposes lessons (the learner) and compares near-duplicates. */
  learnerModel: BaseChatModel;
  /**
   * The peer validators' models, one validator each (ids `peer-1`, `peer-2`, …),
   * played through `runner`: distinct instances, three or more recommended. The
   * learner's own model instance, if listed, is given the proposer's id and so
   * never votes on its own lessons; a list of it alone, which could never
   * merge anything, is refused. Ignored when `validators` is given.
   */
  validatorModels?: readonly BaseChatModel[];
  /** Validators with their own ids, prompts and weights, instead of `validatorModels`. */
  validators?: readonly Validator[];
  /**
   * The critic's LLM judge, asked only when no deterministic signal (tool
   * errors, user feedback, `evaluator`) decides an episode. Default
   * `learnerModel`; `null` for no judge (such episodes are `unknown`).
   */
  criticModel?: BaseChatModel | null;
  /** Your own check of an episode (`{ passed, reason, check? }` or `undefined`), consulted by the critic. */
  evaluator?: Evaluator;
  /**
   * Replays edge cases with and without a lesson. Default
   * `createRolePlayRunner({ agentDescription, tools })`: each validator's model
   * role-plays the agent. Pass a sandbox runner that re-executes your agent
   * where you have one.
   */
  runner?: ReplayRunner;
  /** What the agent is, for the role-play runner. */
  agentDescription?: string;
  /** The agent's tools, for the role-play runner. */
  tools?: readonly RolePlayTool[];
  /**
   * Shared lesson memory: any `LessonMemory` (`InMemoryLessonMemory`, or
   * `openChromaStores(…).memory` of `@lessonloop/chroma`). Default: the
   * memory `memoryName` on the embedded (or `chromaUrl`) Chroma server.
   */
  memory?: LessonMemory;
  /** Stored edge cases: any `EdgeCaseStore` (`InMemoryEdgeCaseStore` …). Default: collection `edgeCaseCollection` on the same Chroma server. */
  edgeCaseStore?: EdgeCaseStore;
  /** Where outcomes are credited to lessons and memory versions, and the regression monitor keeps its looks. Default: with the default memory, its Chroma ledger (`<memoryName>-outcomes`, kept across restarts); else an `InMemoryOutcomeLedger`. */
  ledger?: OutcomeLedger;
  /**
   * Where successful runs are kept as examples (experience replay): each
   * judged success becomes one, condensed, or strengthens a near-identical one
   * of its scope; a failure on a similar task, or a rollback past it, makes it
   * stale (kept, not served). Default: with the default Chroma memory,
   * `<memoryName>-examples` beside it; with a memory of your own, one in this
   * process (`InMemoryExampleStore`). `false`: none recorded nor served. The
   * loop's retrievers search a copy of each tenant's examples in this process,
   * scored with `embedder` (give the store the same): the loop's own writes are
   * served at once, other processes' within 30 s.
   */
  exampleStore?: ExampleStore | false;
  /** How successes become examples: the near-duplicate and staleness similarities, the bound per scope. */
  exampleRecording?: ExampleRecordingParams;
  /** Embedder of the default Chroma memory and store (and of the learner's candidate comparison). Default `createLexicalEmbedder()`. */
  embedder?: Embedder;
  /**
   * Chroma server to use for the default memory and store (e.g. the value of
   * `CHROMA_URL`, read at your app's edge). Default: start the embedded server
   * (`startChroma`), stopped by `close()`.
   */
  chromaUrl?: string;
  /**
   * Data folder of the embedded Chroma server, kept across restarts. Default
   * `.lessonloop` in the working directory (printed once at start), where
   * `npx lessonloop` run in that directory finds the memory. `null` for a
   * temporary folder, removed by `close()`.
   */
  chromaPath?: string | null;
  /** Name of the default Chroma memory. Default `"lessonloop"`. */
  memoryName?: string;
  /** Collection of the default edge-case store. Default `"<memoryName>-edge-cases"` (where `lessonloop approve` looks). */
  edgeCaseCollection?: string;
  /** The learner's name: the proposer of every lesson, recorded in provenance and excluded from validating. Default `"lessonloop-learner"`. */
  agentName?: string;
  /** Most candidate lessons per episode (1–10). Default 3. */
  maxLessonsPerEpisode?: number;
  /** Consensus policy of the ensemble. Default `majority({ quorum: min(2, validators) })`. */
  policy?: ConsensusPolicy;
  /** Stored cases each validator replays besides the motivating ones. Default 8. */
  casesPerValidator?: number;
  /** Longest one replay may take (ms). Default 60 000. */
  validationTimeoutMs?: number;
  /** Stop replaying once the verdict is decided (the same verdict, fewer replays). Default true. */
  earlyStop?: boolean;
  /**
   * How many times a lesson rejected for breaking stored cases is handed back
   * to the learner model, with the cases it broke and fixed, for a narrower
   * version (validated again like any lesson; `provenance.repairOf` links it
   * to the rejected one). 0 turns repair off. Default 1.
   */
  repairRounds?: number;
  /** How a break is re-checked before it may veto a lesson. Default `"other-validator"`. */
  confirmBreaks?: "off" | "same-validator" | "other-validator";
  /**
   * When the validators start: `"all-at-once"`, or `"as-needed"` — the first
   * `quorum` peers, then one more at a time only while the verdict is undecided
   * (split votes, abstentions short of the quorum, a break its re-check
   * disputed). Fewer replays; a peer that never starts cannot veto with a break
   * only it would have seen. Default `"all-at-once"`.
   */
  validatorSchedule?: "all-at-once" | "as-needed";
  /**
   * When a case is replayed without the lesson: `"as-needed"` — a case whose
   * fix cannot change the vote is replayed with the lesson first, and without
   * only if that fails (a case that passes with the lesson cannot be a break);
   * the verdict is the one `"always"` reaches. `"always"` — every case both
   * ways. Default `"as-needed"`.
   */
  baselineReplays?: "always" | "as-needed";
  /**
   * Whose stored cases are divided among the validators: `"one-user-lessons"`
   * — a lesson that reaches one user only has each stored case replayed by one
   * validator (a break is still re-checked by another and vetoes; a share no
   * one could replay leaves the verdict undecided); `"never"` — every
   * validator replays every case. Default `"one-user-lessons"`.
   */
  divideStoredCases?: "never" | "one-user-lessons";
  /**
   * Replay each case beside the lessons memory would serve on it (at the head
   * the lesson would merge onto), chosen as the replay-retriever chooses them
   * — pass the same settings your retriever uses (`maxLessons`, `budget`,
   * `minRelevance` …). A lesson is then judged by what the agent would really
   * see, and lessons that only do harm together are run together. `false`
   * replays the candidate with its episode's other candidates only. Default
   * `{}`: the retriever's defaults, this loop's ledger and clock.
   */
  replayInContext?: false | LoopSelectionParams;
  /**
   * Coverage before trust: a lesson steering a side effect (recipients,
   * addresses, payments, checks turned off, anything outside the tenant —
   * `BUILT_IN_RISK_RULES` of `@lessonloop/validator-ensemble`, extend with your
   * own rules) merges on votes only when `minCases` of the stored cases the
   * validators replayed exercise it; otherwise it is parked for a human (with
   * `approval`) or rejected. `false` turns it off. Default `{ minCases: 2 }`.
   */
  coverage?: false | { rules?: readonly RiskRule[]; minCases?: number };
  /**
   * Caps on what validation may spend, in model calls and tokens as the replay
   * runners report them: per lesson, and over all the candidates of one
   * episode. When a cap is reached before the verdict is decided, the lesson
   * is rejected as undecided — or, with `whenSpent: "park"` and `approval`
   * set, parked for a human. Default: no caps.
   */
  validationBudget?: {
    modelCallsPerLesson?: number;
    tokensPerLesson?: number;
    modelCallsPerEpisode?: number;
    tokensPerEpisode?: number;
    whenSpent?: "reject" | "park";
  };
  /**
   * Lessons a human must approve: those `approval.required` selects, once the
   * ensemble approved them, are parked in `approval.pendingLessons` (with their
   * verdict and edge cases) instead of merged; `lessonloop approve` merges
   * them. Default: none, consensus merges.
   */
  approval?: ApprovalParams;
  /**
   * Keeps every merged lesson's verdict (all votes and evidence), for
   * `lessonloop show`. Default: with the default Chroma memory, a
   * `ChromaVerdictStore` beside it (`<memoryName>-verdicts`); otherwise none.
   */
  verdictStore?: VerdictStore;
  /** Checkpointer of the learning graph (each episode is its own thread). Default none. */
  checkpointer?: BaseCheckpointSaver;
  /** Settings of the regression monitor (`alpha`, `minEpisodes`, `minDrop`, `onRevert` …). */
  regression?: Omit<RegressionMonitorParams, "memory" | "ledger">;
  /** Whether episodes that teach no lesson leave their `regression` edge case in the store. Default true. */
  keepRegressionCases?: boolean;
  /** Background learning: queue bound, full-queue policy, journal. */
  background?: BackgroundLearningParams;
  /** Time source. Default the system clock. */
  clock?: Clock;
  /** Ids of lessons and edge cases. Default random UUIDs. */
  ids?: IdGenerator;
  /**
   * Told about every episode's fate (learned, failed, dropped, persisted) and
   * every warning of the parts this loop assembles (learner, repairer, the
   * retrievers of `createRetriever`, withLearning's checkpointer,
   * lessonloopMiddleware): the one channel to listen to. Default: failures,
   * drops and warnings on the console.
   */
  onEvent?: (event: LearningEvent) => void;
  /**
   * One console line per verdict (merged, rejected, parked): for episodes
   * learned in sync (`"sync"`, default — a rejection is otherwise seen by no
   * one who did not subscribe), for every episode (`"always"`), or none (`"off"`).
   */
  logVerdicts?: "sync" | "always" | "off";
}

/** How the lessons served in validation replays are chosen: the selection's params without the loop's own memory (ledger and clock default to the loop's). */
export type LoopSelectionParams = Omit<LessonSelectionParams, "memory">;

/** What `createRetriever` takes: the retriever's params without the loop's own memory and ledger. */
export type LoopRetrieverParams<S extends ReplayRetrieverState = ReplayRetrieverState> = Omit<ReplayRetrieverParams<S>, "memory" | "ledger" | "onWarning"> &
  Partial<Pick<ReplayRetrieverParams<S>, "ledger">>;

/** The assembled learning loop: its parts, its learning graph, and its queue. */
export interface LearningLoop {
  readonly memory: LessonMemory;
  readonly edgeCaseStore: EdgeCaseStore;
  readonly ledger: OutcomeLedger;
  /** Where successful runs are kept as examples; undefined when examples are off. */
  readonly exampleStore: ExampleStore | undefined;
  /** Where merged lessons' verdicts are kept, if anywhere. */
  readonly verdictStore: VerdictStore | undefined;
  readonly validators: readonly Validator[];
  readonly critic: CriticNode;
  readonly learner: LearnerNode;
  readonly ensemble: ValidatorEnsemble;
  readonly merge: MergeNode;
  readonly monitor: RegressionMonitor;
  /** critic → record outcome → learner → for each candidate: ensemble → merge. */
  readonly learningGraph: LearningGraph;
  /** The embedded Chroma server this loop started, if any (stopped by `close()`). */
  readonly chroma: ChromaServer | undefined;
  /** A replay-retriever node reading this loop's memory, crediting through its ledger, serving its examples (unless given `examples`). */
  createRetriever<S extends ReplayRetrieverState>(params: LoopRetrieverParams<S>): ReplayRetrieverNode<S>;
  /** A lesson selector on this memory, crediting through its ledger, with its examples (unless given `examples`): how the retriever node and lessonloopMiddleware choose lessons, outside any graph. */
  createSelector(params?: LoopSelectionParams): LessonSelector;
  /**
   * Runs the learning graph on one episode now (ahead of queued ones) and
   * returns what it made of it. `signal` aborts it; `retry: false` throws a
   * store outage instead of retrying it here (a learning worker's queue retries).
   */
  learn(episode: EpisodeInput, options?: LearnNowOptions): Promise<LearningResult>;
  /**
   * Credits an episode's outcome to the lessons it was served, without
   * learning from it: judged by the critic's deterministic signals only (the
   * environment's outcome, tool errors, the evaluator; never the LLM judge),
   * recorded in the ledger and checked by the regression monitor. How
   * episodes are credited with learning off and when the full queue drops
   * one; a learned episode is credited by the learning graph instead.
   * withLearning and lessonloopMiddleware do not wait for it (the run returns
   * first); `idle()` and `close()` do. A failure is a `crediting` warning.
   */
  credit(episode: EpisodeInput): Promise<RegressionCheck>;
  /** Hands an episode to background learning: returns once it is queued (or persisted, by the full-queue policy). */
  enqueue(episode: EpisodeInput): Promise<EnqueueOutcome>;
  /** Resolves when no episode is queued or being learned, and no outcome is being credited. */
  idle(): Promise<void>;
  /** Queue counts. */
  readonly stats: LearningQueueStats;
  /** Listens to the loop's events; returns the unsubscribe function. */
  subscribe(listener: (event: LearningEvent) => void): () => void;
  /** Reports a warning on the loop's channel, as a `warning` event: how withLearning and lessonloopMiddleware report theirs. */
  warn(warning: LearningWarning): void;
  /**
   * Stops taking episodes, waits up to `timeoutMs` (default
   * `background.drainTimeoutMs`) for the queue to drain, then persists what is
   * left to the journal (or returns it). Idempotent after the first call.
   */
  shutdown(options?: { timeoutMs?: number }): Promise<ShutdownReport>;
  /** `shutdown()`, then closes the journal (releasing its lock) and stops the embedded Chroma server if this loop started it. */
  close(options?: { timeoutMs?: number }): Promise<ShutdownReport>;
}

/** How often (ms) serving examples looks for rollbacks made outside this loop, at most. */
const ROLLBACK_LOOK_MS = 30_000;

function buildValidators(learnerModel: BaseChatModel, agentName: string, validators: readonly Validator[] | undefined, models: readonly BaseChatModel[] | undefined): Validator[] {
  if (validators !== undefined && validators.length > 0) return [...validators];
  if (models === undefined || models.length === 0) {
    throw new LessonloopError(
      "invalid_input",
      "createLearningLoop needs peer validators: pass validatorModels (three or more models recommended) or validators ([{ id, model }]).",
      { details: { issues: [{ path: "validatorModels", message: "give at least one model" }] } },
    );
  }
  const repeated = models.findIndex((model, index) => models.indexOf(model) !== index);
  if (repeated !== -1) {
    throw new LessonloopError(
      "invalid_input",
      `validatorModels lists one model instance twice (positions ${models.indexOf(models[repeated] as BaseChatModel) + 1} and ${repeated + 1}): pass distinct instances, one per peer — a model repeated only repeats its vote.`,
      { details: { issues: [{ path: `validatorModels.${repeated}`, message: "the same instance as an earlier entry" }] } },
    );
  }
  // The learner's own model instance votes under the proposer's id, which the ensemble excludes.
  return models.map((model, index) => ({ id: model === learnerModel ? agentName : `peer-${index + 1}`, model }));
}

/** Validators of which none may vote on the learner's lessons could never merge one: refused rather than learning nothing, silently. */
function refuseOnlyProposer(validators: readonly Validator[], agentName: string, fromModels: boolean): void {
  if (validators.length === 0 || validators.some((validator) => validator.id !== agentName)) return;
  const what = fromModels ? "validatorModels holds only the learner's own model" : `every validator has the learner's id "${agentName}"`;
  throw new LessonloopError(
    "invalid_input",
    `${what}, which never votes on its own lessons, so no lesson could ever merge. Pass at least one other model as a peer (validatorModels: [peerA, peerB, peerC]), distinct from learnerModel.`,
    { details: { issues: [{ path: fromModels ? "validatorModels" : "validators", message: "no validator other than the proposer" }] } },
  );
}

/** One line for a candidate's verdict: what became of it, the tally, the reason. */
function verdictLine({ lesson, verdict, outcome }: LearningResult["lessons"][number], episodeId: string): string {
  const fate = outcome.status === "already_merged" ? "already merged" : outcome.status === "duplicate" ? `a duplicate of ${outcome.duplicateOf}, merged meanwhile` : outcome.status;
  const { approve, reject, abstain } = verdict.tally;
  const trigger = clip(promptSafeLessonText(lesson.trigger), 80);
  return `[lessonloop] lesson ${outcome.lessonId} ${fate} (${verdict.policy.name}: ${approve} approve, ${reject} reject, ${abstain} abstain; episode ${episodeId}) "${trigger}": ${clip(promptSafeLessonText(verdict.reason), 300)}`;
}

function toResult(state: LearningGraphState, models: ModelUsage): LearningResult {
  const episode = parseWith(EpisodeSchema, state.episode, "episode in state");
  return {
    episodeId: episode.id,
    judgement: state.judgement,
    candidates: state.candidates,
    reinforcements: state.reinforcements,
    edgeCases: state.edgeCases,
    lessons: state.lessonResults,
    merged: state.lessonResults.filter(({ outcome }) => outcome.status === "merged").map(({ outcome }) => outcome.lessonId),
    parked: state.lessonResults.filter(({ outcome }) => outcome.status === "parked").map(({ outcome }) => outcome.lessonId),
    regressionCheck: state.regressionCheck,
    example: state.exampleRecording,
    learnerWarnings: state.learnerWarnings,
    usage: { validation: state.validationSpent, models },
  };
}

/**
 * Assembles the learning loop from your models, memory and edge-case store:
 * critic, learner, validator ensemble, merge node, regression monitor, the
 * learning graph that runs them, a retriever factory, and a bounded queue for
 * background learning.
 *
 * With no `memory` / `edgeCaseStore` it opens them on Chroma, in one place
 * (`defaultStores`, with `openChromaStores`): the embedded server, or the one
 * at `chromaUrl`, with the offline lexical embedder; `close()` stops what it
 * started. Episodes left in the background journal by a previous
 * loop are queued at start.
 */
export async function createLearningLoop(params: LearningLoopParams): Promise<LearningLoop> {
  const started: { chroma?: ChromaServer | undefined } = {};
  try {
    return await assembleLearningLoop(params, started);
  } catch (error) {
    // A loop that fails after starting the embedded server must not leave it running.
    await started.chroma?.stop().catch(() => undefined);
    throw error;
  }
}

async function assembleLearningLoop(
  {
  learnerModel,
  validatorModels,
  validators,
  criticModel,
  evaluator,
  runner,
  agentDescription,
  tools = [],
  memory,
  edgeCaseStore,
  ledger: givenLedger,
  exampleStore: givenExampleStore,
  exampleRecording = {},
  embedder = createLexicalEmbedder(),
  chromaUrl,
  chromaPath,
  memoryName = "lessonloop",
  edgeCaseCollection = `${memoryName}-edge-cases`,
  agentName = "lessonloop-learner",
  maxLessonsPerEpisode = 3,
  policy,
  casesPerValidator,
  validationTimeoutMs,
  earlyStop,
  confirmBreaks,
  validatorSchedule,
  baselineReplays,
  divideStoredCases,
  replayInContext = {},
  coverage,
  validationBudget = {},
  repairRounds = 1,
  approval,
  verdictStore,
  checkpointer,
  regression = {},
  keepRegressionCases = true,
  background = {},
  clock = systemClock,
  ids = randomId,
  onEvent = logLearningEvent,
  logVerdicts = "sync",
}: LearningLoopParams,
  started: { chroma?: ChromaServer | undefined },
): Promise<LearningLoop> {
  const peers = buildValidators(learnerModel, agentName, validators, validatorModels);
  refuseOnlyProposer(peers, agentName, validators === undefined || validators.length === 0);
  const { maxQueued, onFull, journal, replayJournal = true, concurrency, learnTimeoutMs, retryDelayMs, maxRetryDelayMs, drainTimeoutMs = 30_000 } = background;

  const {
    memory: resolvedMemory,
    edgeCaseStore: resolvedStore,
    verdictStore: verdicts,
    ledger,
    exampleStore,
    chroma,
  } = await defaultStores({ memory, edgeCaseStore, verdictStore, ledger: givenLedger, exampleStore: givenExampleStore, embedder, chromaUrl, chromaPath, memoryName, edgeCaseCollection, clock });
  started.chroma = chroma;

  const listeners = new Set<(event: LearningEvent) => void>([onEvent]);
  if (logVerdicts !== "off") {
    listeners.add((event) => {
      if (event.type !== "episode_learned" || (logVerdicts === "sync" && event.mode !== "sync")) return;
      for (const result of event.result.lessons) console.info(verdictLine(result, event.episodeId));
    });
  }
  const emit = (event: LearningEvent): void => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        console.warn(`[lessonloop] an onEvent listener threw on ${event.type}: ${String(error)}`);
      }
    }
  };

  // Every part's warnings go to the one channel, `onEvent`.
  const warn = (warning: LearningWarning): void => emit({ type: "warning", ...warning });

  const critic = createCritic({
    ...(criticModel === null ? {} : { model: criticModel ?? learnerModel }),
    evaluator,
    clock,
  });
  const learner = createLearner({
    model: learnerModel,
    memory: resolvedMemory,
    agentName,
    maxLessons: maxLessonsPerEpisode,
    embedder,
    ids,
    clock,
    onWarning: (warning) => warn({ source: "learner", warning }),
  });
  const ensemble = createValidatorEnsemble({
    validators: peers,
    runner: runner ?? createRolePlayRunner({ agentDescription, tools }),
    edgeCaseStore: resolvedStore,
    policy,
    casesPerValidator,
    timeoutMs: validationTimeoutMs,
    earlyStop,
    confirmBreaks,
    validatorSchedule,
    baselineReplays,
    divideStoredCases,
    coverage,
    ...(replayInContext === false ? {} : { servedLessons: servedOnCases(createLessonSelector({ ledger, clock, ...replayInContext, memory: resolvedMemory })) }),
    budget: {
      modelCalls: validationBudget.modelCallsPerLesson,
      tokens: validationBudget.tokensPerLesson,
    },
    clock,
  });
  // The learner's near-duplicate check again at the commit: two workers learning one lesson at once merge it once.
  const merge = createMergeNode({ memory: resolvedMemory, edgeCaseStore: resolvedStore, nearDuplicateSince: learner.nearDuplicateSince });
  const monitor = createRegressionMonitor({ ...regression, memory: resolvedMemory, ledger });
  // No model: only deterministic signals decide, so crediting an episode that is not learned costs no model call.
  const deterministicCritic = createCritic({ evaluator, clock });
  const creditNow = async (input: EpisodeInput): Promise<RegressionCheck> => {
    const episode = parseWith(EpisodeSchema, input, "episode");
    const { judgement } = await deterministicCritic({ episode });
    return monitor.observe({
      episodeId: episode.id,
      scope: episode.scope,
      memoryVersion: episode.memoryVersion,
      servedLessons: episode.servedLessons,
      status: judgementOutcome(judgement).status,
      recordedAt: clock.now().toISOString(),
    });
  };
  // Credits in flight, so idle() and shutdown() wait for those a run handed over without waiting.
  const crediting = new Set<Promise<RegressionCheck>>();
  const credit = (input: EpisodeInput): Promise<RegressionCheck> => {
    const done = creditNow(input);
    crediting.add(done);
    const settled = () => crediting.delete(done);
    done.then(settled, settled);
    return done;
  };
  const creditsSettled = async (): Promise<void> => {
    await Promise.allSettled([...crediting]);
  };
  const examplesWarning = (effect: string) => (error: unknown) =>
    warn({
      source: "retriever",
      warning: {
        type: DEGRADED_EVENT,
        source: "examples",
        effect,
        code: LessonloopError.isInstance(error) ? error.code : "store_unavailable",
        message: error instanceof Error ? error.message : String(error),
        cause: error,
      },
    });
  // Examples are searched in this process (a Chroma query with a scope filter costs the agent's first step 8–65 ms: pnpm bench:component examples).
  const cachedExamples =
    exampleStore === undefined
      ? undefined
      : createCachedExampleSource({ store: exampleStore, embedder, clock, onError: examplesWarning("served the examples loaded before") });
  const exampleRecorder =
    exampleStore === undefined || cachedExamples === undefined
      ? undefined
      : createExampleRecorder({ ...exampleRecording, store: mirroredWrites(exampleStore, cachedExamples), memory: resolvedMemory });
  // An example store in trouble must not keep lessons from being learned: the learning graph goes on, and says so.
  const recordingFailed = (episode: EpisodeInput, error: unknown): string => {
    const warning = episodeWarning(episode.id, error);
    warn({ source: "examples", warning });
    return warning.message;
  };
  const graphExamples: ExampleRecorder | undefined =
    exampleRecorder === undefined
      ? undefined
      : {
          reconcileRollbacks: () => exampleRecorder.reconcileRollbacks(),
          record: (episode, status, options) => exampleRecorder.record(episode, status, options).catch((error: unknown) => ({ status: "failed" as const, message: recordingFailed(episode, error) })),
          lessonMerged: (request) =>
            exampleRecorder.lessonMerged(request).catch((error: unknown) => {
              recordingFailed(request.episode, error);
              return [];
            }),
        };
  const learningGraph = createLearningGraph({
    critic,
    learner,
    ensemble,
    merge,
    monitor,
    edgeCaseStore: resolvedStore,
    proposer: agentName,
    keepRegressionCases,
    clock,
    checkpointer,
    verdictStore: verdicts,
    approval,
    episodeBudget: {
      ...(validationBudget.modelCallsPerEpisode === undefined ? {} : { modelCalls: validationBudget.modelCallsPerEpisode }),
      ...(validationBudget.tokensPerEpisode === undefined ? {} : { tokens: validationBudget.tokensPerEpisode }),
    },
    whenBudgetSpent: validationBudget.whenSpent,
    ...(graphExamples === undefined ? {} : { examples: graphExamples }),
    ...(repairRounds > 0 ? { repairer: createLessonRepairer({ model: learnerModel, agentName, ids, clock, onWarning: (warning) => warn({ source: "repair", warning }) }), repairRounds } : {}),
  });
  // critic, record_outcome, learner, queue/store, then four steps per candidate, with room to spare.
  const recursionLimit = 10 + 5 * (1 + repairRounds) * maxLessonsPerEpisode;

  const queue = new LearningQueue({
    // Outside any caller's run context: LangChain passes a run's config (callbacks,
    // stream handlers, checkpointer) on to runnables started inside it, and the
    // learning graph is not part of the user's run, its stream or its checkpoints.
    learn: (episode, signal) =>
      AsyncLocalStorageProviderSingleton.getInstance().run(undefined, async () => {
        const meter = createModelUsageMeter();
        const state = await learningGraph.invoke(
          { episode },
          { signal, recursionLimit, callbacks: [meter.handler], ...(checkpointer === undefined ? {} : { configurable: { thread_id: `lessonloop-learn-${episode.id}` } }) },
        );
        return toResult(state, meter.usage());
      }),
    concurrency,
    maxQueued,
    onFull,
    journal,
    learnTimeoutMs,
    retryDelayMs,
    maxRetryDelayMs,
    onEvent: emit,
    onDropped: async (episode) => {
      try {
        await credit(episode);
      } catch (error) {
        warn({ source: "crediting", warning: episodeWarning(episode.id, error) });
      }
    },
  });

  if (journal !== undefined && replayJournal) {
    // They stay in the journal until learned: a crash during the replay loses none.
    const episodes = await journal.pending();
    if (episodes.length > 0) {
      queue.requeue(episodes);
      emit({ type: "journal_replayed", episodeIds: episodes.map((episode) => episode.id) });
    }
  }

  // The loop's retrievers serve its examples beside its lessons, unless given another source.
  // A rollback made elsewhere (the CLI, another process) is looked for in the background at most every ROLLBACK_LOOK_MS while runs are served.
  let lookedForRollbacks = Number.NEGATIVE_INFINITY;
  const lookForRollbacks = (): void => {
    const now = clock.now().getTime();
    if (exampleRecorder === undefined || now - lookedForRollbacks < ROLLBACK_LOOK_MS) return;
    lookedForRollbacks = now;
    exampleRecorder.reconcileRollbacks().catch(examplesWarning("served examples a rollback may have undone"));
  };
  const servedExamples: { examples?: ExampleSource } =
    cachedExamples === undefined
      ? {}
      : {
          examples: {
            findExamples(request) {
              lookForRollbacks();
              return cachedExamples.findExamples(request);
            },
          },
        };

  let shutdownReport: Promise<ShutdownReport> | undefined;
  const shutdown = (options: { timeoutMs?: number } = {}): Promise<ShutdownReport> => {
    shutdownReport ??= queue.shutdown({ timeoutMs: options.timeoutMs ?? drainTimeoutMs }).then(async (report) => {
      await creditsSettled();
      return report;
    });
    return shutdownReport;
  };

  return {
    memory: resolvedMemory,
    edgeCaseStore: resolvedStore,
    ledger,
    exampleStore,
    verdictStore: verdicts,
    validators: peers,
    critic,
    learner,
    ensemble,
    merge,
    monitor,
    learningGraph,
    chroma,
    createRetriever: (params) =>
      createReplayRetriever({ ledger, clock, ...servedExamples, ...params, memory: resolvedMemory, onWarning: (warning) => warn({ source: "retriever", warning }) }),
    createSelector: (params = {}) => createLessonSelector({ ledger, clock, ...servedExamples, ...params, memory: resolvedMemory }),
    learn: (episode, options) => queue.learnNow(episode, options),
    credit,
    enqueue: (episode) => queue.enqueue(episode),
    async idle() {
      await queue.idle();
      await creditsSettled();
    },
    get stats() {
      return queue.stats;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    warn,
    shutdown,
    async close(options) {
      const report = await shutdown(options);
      // What is left was persisted by shutdown(): the journal can go to its next owner.
      await journal?.close?.();
      await chroma?.stop();
      return report;
    },
  };
}
