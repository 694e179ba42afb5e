import {
  Annotation,
  END,
  START,
  StateGraph,
  type AnnotationRoot,
  type BaseChannel,
  type BaseCheckpointSaver,
  type CompiledStateGraph,
  type LangGraphRunnableConfig,
  type LastValue,
  type OverwriteValue,
} from "@langchain/langgraph";
import type { CriticNode } from "@lessonloop/critic";
import { judgementOutcome } from "@lessonloop/critic";
import {
  EdgeCaseSchema,
  EpisodeSchema,
  LessonSchema,
  type Clock,
  type EdgeCaseInput,
  type EdgeCaseStore,
  type Lesson,
  type LessonInput,
  type PendingLessonStore,
  type Verdict,
  type VerdictStore,
} from "@lessonloop/core";
import { parseWith, type ModelUsage, NO_MODEL_USAGE, addModelUsage, totalTokens } from "@lessonloop/core/internal";
import { LearnerStateAnnotation, type LearnerNode, type LessonRepairer, type RepairCase } from "@lessonloop/learner";
import type { RegressionCheck, RegressionMonitor } from "@lessonloop/regression-monitor";
import type { MergeNode, MergeResult } from "@lessonloop/snapshot-checkpointer";
import { findBreaks, withoutClauses, type ValidationBudget, type ValidatorEnsemble } from "@lessonloop/validator-ensemble";
import type { ExampleRecorder, ExampleRecording } from "./example-recorder.js";
import type { LessonOutcome, LessonResult } from "./learning-result.js";

/** Lessons a human must approve: approved by the ensemble, they are parked instead of merged. */
export interface ApprovalParams {
  /** Which ensemble-approved lessons wait for a human, e.g. `(lesson) => lesson.kind === "constraint"`. */
  required: (lesson: Lesson, verdict: Verdict) => boolean;
  /** Where they wait, with their verdict and edge cases, for `lessonloop approve` / `reject`. */
  pendingLessons: PendingLessonStore;
}

const replace = <T>(_previous: T, next: T): T => next;

// The state's keys and the compiled graph are typed by name, so the published
// declarations refer to these types instead of spelling out every schema at each use.
/** A key that keeps the last value written (`Annotation<T>`). */
type LastValueKey<T> = () => LastValue<T>;
/** A key whose every write replaces it, with a default (`Annotation<T>({ reducer: replace, default })`). */
type ReplacedKey<T> = BaseChannel<T, OverwriteValue<T> | T>;

/** The learning graph's state keys: the learner's, then the loop's own. */
type LearningGraphSpec = typeof LearnerStateAnnotation.spec & {
  /** The candidate being validated (input of the ensemble, read by the merge node). */
  lesson: LastValueKey<LessonInput | undefined>;
  /** The agent that proposed `lesson`: it never validates its own lesson. */
  proposer: LastValueKey<string | null | undefined>;
  /** The cases that motivated `lesson` (the episode as a `must_pass` case); every validator replays them. */
  motivatingCases: LastValueKey<EdgeCaseInput[] | null | undefined>;
  /** The episode's other candidates, in context in both runs of `lesson`'s replays. */
  companionLessons: LastValueKey<LessonInput[] | null | undefined>;
  /** The ensemble's verdict on `lesson`. */
  verdict: LastValueKey<Verdict | undefined>;
  /** What the merge node did with `lesson`. */
  mergeResult: LastValueKey<MergeResult | undefined>;
  /** Set when `lesson` was parked for a human instead of merged. */
  parkedLesson: LastValueKey<string | undefined>;
  /** Candidates still to validate, in the learner's order. */
  pendingLessons: ReplacedKey<Lesson[]>;
  /** One entry per validated candidate, in order. */
  lessonResults: ReplacedKey<LessonResult[]>;
  /** What the regression monitor said after the episode's outcome was recorded. */
  regressionCheck: LastValueKey<RegressionCheck | undefined>;
  /** Regression cases stored from an episode that taught no lesson. */
  storedEdgeCases: ReplacedKey<number>;
  /** What is left of the episode's validation budget for `lesson` (input of the ensemble). */
  validationBudget: LastValueKey<ValidationBudget | null | undefined>;
  /** What validating the episode's candidates has spent so far (the verdicts' usage, summed). */
  validationSpent: ReplacedKey<ModelUsage>;
  /** Repairs tried on the current candidate (0 for the learner's own proposal). */
  repairRound: ReplacedKey<number>;
  /** What the episode did to the examples: a success kept or strengthened one, a failure made similar ones stale. */
  exampleRecording: LastValueKey<ExampleRecording | undefined>;
};

/**
 * The learning graph's state: the critic's and learner's keys
 * (`episode`, `feedback`, `judgement`, `candidates`, `reinforcements`,
 * `edgeCases`, `learnerWarnings`), the validator ensemble's (`lesson`,
 * `proposer`, `motivatingCases`, `verdict`), the merge node's (`mergeResult`)
 * and the loop's own bookkeeping.
 */
export const LearningGraphAnnotation: AnnotationRoot<LearningGraphSpec> = Annotation.Root({
  ...LearnerStateAnnotation.spec,
  lesson: Annotation<LessonInput | undefined>,
  proposer: Annotation<string | null | undefined>,
  motivatingCases: Annotation<EdgeCaseInput[] | null | undefined>,
  companionLessons: Annotation<LessonInput[] | null | undefined>,
  verdict: Annotation<Verdict | undefined>,
  mergeResult: Annotation<MergeResult | undefined>,
  parkedLesson: Annotation<string | undefined>,
  pendingLessons: Annotation<Lesson[]>({ reducer: replace, default: () => [] }),
  lessonResults: Annotation<LessonResult[]>({ reducer: replace, default: () => [] }),
  regressionCheck: Annotation<RegressionCheck | undefined>,
  storedEdgeCases: Annotation<number>({ reducer: replace, default: () => 0 }),
  validationBudget: Annotation<ValidationBudget | null | undefined>,
  validationSpent: Annotation<ModelUsage>({ reducer: replace, default: () => NO_MODEL_USAGE }),
  repairRound: Annotation<number>({ reducer: replace, default: () => 0 }),
  exampleRecording: Annotation<ExampleRecording | undefined>,
});
export type LearningGraphState = typeof LearningGraphAnnotation.State;

export interface LearningGraphParams {
  /** Judges the episode (`createCritic`). */
  critic: CriticNode;
  /** Proposes candidate lessons and derives the episode's edge case (`createLearner`). */
  learner: LearnerNode;
  /** The compiled validator ensemble (`createValidatorEnsemble`). */
  ensemble: ValidatorEnsemble;
  /** Commits approved lessons with their edge cases (`createMergeNode`). */
  merge: MergeNode;
  /** Records the episode's outcome to the ledger and rolls back a merge that hurts (`createRegressionMonitor`). */
  monitor: RegressionMonitor;
  /** Where regression cases of episodes that taught nothing are kept. */
  edgeCaseStore: EdgeCaseStore;
  /** The proposer id of the learner's lessons, excluded from validating them. */
  proposer: string;
  /**
   * Whether an episode that proposes no lesson still leaves its `regression`
   * edge case (a success to keep right) in the edge-case store. Default true.
   */
  keepRegressionCases?: boolean;
  /** Stamps outcome records. */
  clock: Clock;
  /** Checkpointer of the learning graph. Default none. */
  checkpointer?: BaseCheckpointSaver;
  /** Keeps the verdict of every merged lesson, for `lessonloop show`. Default none. */
  verdictStore?: VerdictStore;
  /** Lessons that need a human's approval before they are merged. Default none. */
  approval?: ApprovalParams;
  /**
   * What validating all the candidates of one episode may spend; each lesson
   * is validated with what is left (the ensemble's own per-lesson cap applies
   * too). Default: no cap.
   */
  episodeBudget?: ValidationBudget;
  /**
   * What happens to a lesson whose validation budget ran out before its
   * verdict was decided: `"reject"` it (default), or `"park"` it for a human
   * (needs `approval`; without it the lesson is rejected).
   */
  whenBudgetSpent?: "reject" | "park";
  /**
   * Narrows a lesson the ensemble rejected because it broke stored cases
   * (`createLessonRepairer`); each repair is validated as any lesson is.
   * Default none: a rejected lesson is dropped.
   */
  repairer?: LessonRepairer;
  /** Repairs tried per rejected candidate. Default 1. */
  repairRounds?: number;
  /** Keeps judged successes as examples and marks stale those a failure or a rollback outdated (`createExampleRecorder`). Default none. */
  examples?: ExampleRecorder;
}

/** The learning graph's nodes. */
type LearningGraphNode =
  | typeof START
  | "critic"
  | "record_outcome"
  | "learner"
  | "queue_lessons"
  | "next_lesson"
  | "validate_lesson"
  | "count_validation"
  | "merge_lesson"
  | "park_lesson"
  | "record_result"
  | "repair_lesson"
  | "store_edge_cases";

/** The compiled learning graph. */
export type LearningGraph = CompiledStateGraph<LearningGraphState, typeof LearningGraphAnnotation.Update, LearningGraphNode, LearningGraphSpec, LearningGraphSpec>;

/**
 * The learning path as one LangGraph graph:
 *
 * ```
 * START → critic → record_outcome → learner ─┬─ candidates ─► queue_lessons → next_lesson → validate_lesson → count_validation ─┬─► merge_lesson ─┬─► record_result ─┐
 *                                             │                                 ▲                                              └─► park_lesson ──┘                   │
 *                                             │                                 └──────────────────────────── more candidates ───────────────────────────────────────┘
 *                                             └─ none ─► store_edge_cases → END
 * ```
 *
 * Candidates are validated and merged one at a time, so two lessons of one
 * episode never race for the same memory version. A lesson the ensemble
 * approved that `approval.required` selects is parked for a human instead of
 * merged, and so is one the votes approved that steers a side effect too few
 * stored cases exercise (`verdict.uncoveredRisk`), and one whose validation
 * budget ran out undecided when `whenBudgetSpent` is `"park"`; the verdict of every merged lesson goes to
 * `verdictStore`. Each lesson is validated with what is left of the
 * episode's `episodeBudget`.
 */
export function createLearningGraph({
  critic,
  learner,
  ensemble,
  merge,
  monitor,
  edgeCaseStore,
  proposer,
  keepRegressionCases = true,
  clock,
  checkpointer,
  verdictStore,
  approval,
  episodeBudget = {},
  whenBudgetSpent = "reject",
  repairer,
  repairRounds = 1,
  examples,
}: LearningGraphParams): LearningGraph {
  async function recordOutcome(state: LearningGraphState): Promise<Partial<LearningGraphState>> {
    const episode = parseWith(EpisodeSchema, state.episode, "episode in state");
    if (state.judgement === undefined) return {};
    const { status } = judgementOutcome(state.judgement);
    const regressionCheck = await monitor.observe({
      episodeId: episode.id,
      scope: episode.scope,
      memoryVersion: episode.memoryVersion,
      servedLessons: episode.servedLessons,
      status,
      recordedAt: clock.now().toISOString(),
    });
    // After the monitor: a rollback it just made is seen, so the examples it undid are stale before this one is recorded.
    const flagged = (state.judgement.memoryInstructions ?? []).length > 0 || state.judgement.contradictedBy !== undefined;
    const exampleRecording = examples === undefined ? undefined : await examples.record(episode, status, { flagged });
    return { regressionCheck, exampleRecording };
  }

  function queueLessons(state: LearningGraphState): Partial<LearningGraphState> {
    return { pendingLessons: state.candidates, lessonResults: [], validationSpent: NO_MODEL_USAGE };
  }

  /** What is left of the episode's budget, for the next lesson. */
  function budgetLeft(spent: ModelUsage): ValidationBudget | undefined {
    const { modelCalls, tokens } = episodeBudget;
    if (modelCalls === undefined && tokens === undefined) return undefined;
    return {
      ...(modelCalls === undefined ? {} : { modelCalls: Math.max(0, modelCalls - spent.calls) }),
      ...(tokens === undefined ? {} : { tokens: Math.max(0, tokens - totalTokens(spent)) }),
    };
  }

  /** The ensemble's input for `lesson`, a candidate of the episode or the repair of one. */
  function validationOf(state: LearningGraphState, lesson: LessonInput | undefined, candidateId: string | undefined): Partial<LearningGraphState> {
    return {
      lesson,
      proposer,
      motivatingCases: state.edgeCases.filter((edgeCase) => edgeCase.kind === "must_pass"),
      // A failure with two causes needs two lessons: each is judged by what it adds to the others.
      companionLessons: state.candidates.filter((candidate) => candidate.id !== candidateId),
      verdict: undefined,
      mergeResult: undefined,
      parkedLesson: undefined,
      validationBudget: budgetLeft(state.validationSpent) ?? null,
    };
  }

  function nextLesson(state: LearningGraphState): Partial<LearningGraphState> {
    const [lesson, ...rest] = state.pendingLessons;
    return { ...validationOf(state, lesson, lesson?.id), pendingLessons: rest, repairRound: 0 };
  }

  /** A rejected candidate that broke stored cases, with repairs left to try. */
  function repairable(state: LearningGraphState): boolean {
    const { verdict } = state;
    if (verdict === undefined || verdict.decision !== "rejected" || verdict.undecided !== undefined) return false;
    if (state.repairRound >= repairRounds) return false;
    // Approved by the votes but carrying an uncovered side effect: with no human to ask, cut the clause and try the rest.
    if (verdict.uncoveredRisk !== undefined) return approval === undefined;
    return repairer !== undefined && findBreaks(verdict.votes).size > 0;
  }

  /**
   * The rejected lesson without the sentences that steer an uncovered side
   * effect, as a new candidate linked to it; undefined when nothing would be
   * left, or the flagged words are in the trigger.
   */
  function withoutUncoveredClauses(rejected: Lesson, verdict: Verdict, round: number): LessonInput | undefined {
    const texts = (verdict.risks ?? []).filter((risk) => risk.covered === false).map((risk) => risk.text);
    const { guidance, cut } = withoutClauses(rejected.guidance, texts);
    if (cut.length === 0 || guidance === "" || texts.some((text) => rejected.trigger.toLowerCase().includes(text.toLowerCase()))) return undefined;
    const now = clock.now().toISOString();
    return {
      ...rejected,
      id: `${rejected.id.slice(0, 100)}-cut-${round}`,
      guidance,
      rationale: `${rejected.rationale} Cut from "${rejected.id}" because no verified stored case exercises what it steers: ${cut.map((sentence) => `"${sentence}"`).join(" ")}`.slice(0, 2_000),
      provenance: { ...rejected.provenance, proposedAt: now, repairOf: rejected.id },
      status: "proposed",
      tags: [...new Set([...rejected.tags, "repaired"])].slice(0, 20),
      createdAt: now,
    };
  }

  /** The cases the verdict says a lesson broke and fixed, with the evidence of the vote that saw it first. */
  async function casesOf(verdict: Verdict, known: readonly EdgeCaseInput[]): Promise<{ broken: RepairCase[]; fixed: RepairCase[] }> {
    const breaks = findBreaks(verdict.votes);
    const evidence = new Map<string, { kind: "broken" | "fixed"; entry: Verdict["votes"][number]["evidence"][number] }>();
    for (const entry of verdict.votes.flatMap((vote) => vote.evidence)) {
      if (evidence.has(entry.caseId)) continue;
      if (breaks.has(entry.caseId) && entry.passedWithout === true && entry.passedWith === false) evidence.set(entry.caseId, { kind: "broken", entry });
      else if (entry.passedWithout === false && entry.passedWith === true) evidence.set(entry.caseId, { kind: "fixed", entry });
    }
    const broken: RepairCase[] = [];
    const fixed: RepairCase[] = [];
    for (const [caseId, { kind, entry }] of evidence) {
      const local = known.find((edgeCase) => edgeCase.id === caseId);
      const edgeCase = local === undefined ? await edgeCaseStore.get(caseId) : parseWith(EdgeCaseSchema, local, "edge case in state");
      if (edgeCase === undefined) continue;
      (kind === "broken" ? broken : fixed).push({ edgeCase, evidence: entry });
    }
    return { broken, fixed };
  }

  /** Asks the repairer for a narrower lesson; a repair goes back to validation, anything else moves on. */
  async function repairLesson(state: LearningGraphState, config: LangGraphRunnableConfig): Promise<Partial<LearningGraphState>> {
    const rejected = parseWith(LessonSchema, state.lesson, "lesson in state");
    const verdict = state.verdict;
    if (verdict === undefined) return { lesson: undefined };
    const round = state.repairRound + 1;
    if (verdict.uncoveredRisk !== undefined) {
      const reduced = withoutUncoveredClauses(rejected, verdict, round);
      return reduced === undefined ? { lesson: undefined, repairRound: round } : { ...validationOf(state, reduced, rejected.id), repairRound: round };
    }
    if (repairer === undefined) return { lesson: undefined };
    const result = await repairer({ lesson: rejected, round, ...(await casesOf(verdict, state.edgeCases)) }, config);
    if (result.status !== "repaired") return { lesson: undefined, repairRound: round };
    return { ...validationOf(state, result.lesson, rejected.id), repairRound: round };
  }

  /** Adds the verdict's cost to the episode's. */
  function countValidation(state: LearningGraphState): Partial<LearningGraphState> {
    return { validationSpent: addModelUsage(state.validationSpent, state.verdict?.usage ?? NO_MODEL_USAGE) };
  }

  function afterValidation(state: LearningGraphState): "park_lesson" | "merge_lesson" {
    if (needsApproval(state)) return "park_lesson";
    if (state.verdict?.undecided !== undefined && whenBudgetSpent === "park" && approval !== undefined) return "park_lesson";
    // Approved by the votes but steering a side effect too few stored cases exercise: a human decides.
    if (state.verdict?.uncoveredRisk !== undefined && approval !== undefined) return "park_lesson";
    return "merge_lesson";
  }

  function needsApproval(state: LearningGraphState): boolean {
    const { lesson, verdict } = state;
    if (approval === undefined || lesson === undefined || verdict?.decision !== "approved") return false;
    return approval.required(parseWith(LessonSchema, lesson, "lesson in state"), verdict);
  }

  async function parkLesson(state: LearningGraphState): Promise<Partial<LearningGraphState>> {
    const { lesson, verdict } = state;
    if (approval === undefined || lesson === undefined || verdict === undefined) return {};
    const parked = await approval.pendingLessons.park({
      lesson,
      verdict,
      edgeCases: state.edgeCases,
      note:
        verdict.undecided !== undefined
          ? `Undecided: ${verdict.undecided}; waits for a human.`
          : verdict.uncoveredRisk !== undefined
            ? `Approved by the votes (${verdict.tally.approve} approve / ${verdict.tally.reject} reject / ${verdict.tally.abstain} abstain) but not covered: ${verdict.uncoveredRisk}`
            : `Approved by the validator ensemble (${verdict.tally.approve} approve / ${verdict.tally.reject} reject / ${verdict.tally.abstain} abstain); waits for a human.`,
    });
    return { parkedLesson: parked.lesson.id };
  }

  async function recordResult(state: LearningGraphState): Promise<Partial<LearningGraphState>> {
    const { lesson, verdict, mergeResult, parkedLesson } = state;
    if (lesson === undefined || verdict === undefined) return {};
    const outcome: LessonOutcome | undefined = parkedLesson !== undefined ? { status: "parked", lessonId: parkedLesson } : mergeResult;
    if (outcome === undefined) return {};
    if (verdictStore !== undefined && (outcome.status === "merged" || outcome.status === "already_merged")) await verdictStore.put(verdict);
    // The examples the lesson changes stop being served from its version on.
    if (examples !== undefined && (outcome.status === "merged" || outcome.status === "already_merged")) {
      await examples.lessonMerged({ lesson, version: outcome.snapshot.version, episode: parseWith(EpisodeSchema, state.episode, "episode in state") });
    }
    const lessonResults = [...state.lessonResults, { lesson, verdict, outcome }];
    if (outcome.status !== "duplicate") return { lessonResults };
    // Another worker merged this lesson meanwhile: the episode confirms it, as a repeat found at proposal would.
    const episodeId = parseWith(EpisodeSchema, state.episode, "episode in state").id;
    const confirmed = state.reinforcements.some((reinforcement) => reinforcement.lessonId === outcome.duplicateOf);
    const reinforcements = confirmed ? state.reinforcements : [...state.reinforcements, { lessonId: outcome.duplicateOf, episodeId, score: outcome.score }];
    return { lessonResults, reinforcements };
  }

  async function storeEdgeCases(state: LearningGraphState): Promise<Partial<LearningGraphState>> {
    if (!keepRegressionCases) return {};
    const cases = state.edgeCases.filter((edgeCase) => edgeCase.kind === "regression");
    if (cases.length > 0) await edgeCaseStore.add(cases);
    return { storedEdgeCases: cases.length };
  }

  const graph = new StateGraph(LearningGraphAnnotation)
    .addNode("critic", (state: LearningGraphState, config: LangGraphRunnableConfig) => critic(state, config))
    .addNode("record_outcome", recordOutcome)
    .addNode("learner", (state: LearningGraphState, config: LangGraphRunnableConfig) => learner(state, config))
    .addNode("queue_lessons", queueLessons)
    .addNode("next_lesson", nextLesson)
    .addNode("validate_lesson", ensemble)
    .addNode("count_validation", countValidation)
    .addNode("merge_lesson", (state: LearningGraphState, config: LangGraphRunnableConfig) => merge(state, config))
    .addNode("park_lesson", parkLesson)
    .addNode("record_result", recordResult)
    .addNode("repair_lesson", repairLesson)
    .addNode("store_edge_cases", storeEdgeCases)
    .addEdge(START, "critic")
    .addEdge("critic", "record_outcome")
    .addEdge("record_outcome", "learner")
    .addConditionalEdges("learner", (state) => (state.candidates.length > 0 ? "queue_lessons" : "store_edge_cases"), [
      "queue_lessons",
      "store_edge_cases",
    ])
    .addEdge("queue_lessons", "next_lesson")
    .addEdge("next_lesson", "validate_lesson")
    .addEdge("validate_lesson", "count_validation")
    .addConditionalEdges("count_validation", afterValidation, ["park_lesson", "merge_lesson"])
    .addEdge("merge_lesson", "record_result")
    .addEdge("park_lesson", "record_result")
    .addConditionalEdges("record_result", (state) => (repairable(state) ? "repair_lesson" : state.pendingLessons.length > 0 ? "next_lesson" : END), [
      "repair_lesson",
      "next_lesson",
      END,
    ])
    .addConditionalEdges("repair_lesson", (state) => (state.lesson !== undefined ? "validate_lesson" : state.pendingLessons.length > 0 ? "next_lesson" : END), [
      "validate_lesson",
      "next_lesson",
      END,
    ])
    .addEdge("store_edge_cases", END);
  return graph.compile({ ...(checkpointer === undefined ? {} : { checkpointer }), name: "lessonloop_learning" });
}
