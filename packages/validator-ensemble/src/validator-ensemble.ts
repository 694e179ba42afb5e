import { Annotation, END, START, StateGraph, interrupt, type BaseCheckpointSaver, type LangGraphRunnableConfig } from "@langchain/langgraph";
import {
  EdgeCaseSchema,
  LessonSchema,
  LessonloopError,
  type Clock,
  type EdgeCase,
  type EdgeCaseInput,
  type EdgeCaseStore,
  type Lesson,
  type LessonInput,
  type Verdict,
  type Vote,
} from "@lessonloop/core";
import {
  MAX_QUERY_LENGTH,
  VerdictSchema,
  lessonSearchText,
  parseWith,
  systemClock,
  type ModelUsage,
  NO_MODEL_USAGE,
  addModelUsage,
  totalTokens,
  clip,
} from "@lessonloop/core/internal";
import PQueue from "p-queue";
import { z } from "zod";
import { majority, type ConsensusPolicy } from "./consensus-policy.js";
import {
  LessonReviewDecisionSchema,
  RESUME_HELP,
  applyEdit,
  summarizeEvidence,
  type LessonReview,
  type LessonReviewRequest,
} from "./human-review.js";
import type { ReplayRunner } from "./replay-runner.js";
import { anotherValidatorNeeded, decidedEarly, type PendingValidator } from "./early-stop.js";
import { isVerified } from "./case-trust.js";
import { wasReplayed } from "./case-evidence.js";
import { CASE_POOL_FACTOR, dealStoredCases, selectCases } from "./case-selection.js";
import { BUILT_IN_RISK_RULES, findRisks, type RiskFinding, type RiskRule } from "./risk-rules.js";
import { VerdictDecided, baselineNeeded, castVote, describeFailure, replayOnce, runValidator, type ConfirmBreak, type ReplayContext, type Validator, type VoteRules } from "./validator.js";

/** At most this many motivating cases per lesson (they are replayed by every validator). */
export const MAX_MOTIVATING_CASES = 50;

/**
 * What the ensemble is invoked with. A parent graph whose state has these keys
 * can add the compiled ensemble as a node.
 */
export const ValidatorEnsembleInputAnnotation = Annotation.Root({
  /** The candidate lesson (parsed with `LessonSchema`; an invalid one is an `invalid_input` error). */
  lesson: Annotation<LessonInput | undefined>,
  /**
   * The agent that proposed the lesson. It never validates it: a validator with
   * this id is excluded. Default: the lesson's `provenance.agent` (which is
   * excluded in any case).
   */
  proposer: Annotation<string | null | undefined>,
  /** The cases that motivated the lesson (e.g. the failure it should fix, as `must_pass`); every validator replays them. */
  motivatingCases: Annotation<EdgeCaseInput[] | null | undefined>,
  /**
   * The other candidates proposed from the same episode. They are in the
   * agent's context in both runs of every replay, so a lesson that fixes one of
   * a case's several faults shows it; each companion is validated on its own.
   */
  companionLessons: Annotation<LessonInput[] | null | undefined>,
  /**
   * What is left of a budget above the lesson's own (e.g. the learning
   * episode's): the lesson may spend no more than this and `budget` allow.
   */
  validationBudget: Annotation<ValidationBudget | null | undefined>,
});

/** A cap on what validating one lesson may spend; reaching it stops the replays. */
export interface ValidationBudget {
  /** Model calls (a runner that reports no usage counts one call per replay). */
  modelCalls?: number;
  /** Prompt plus completion tokens, as the runner reported them. */
  tokens?: number;
}

/** What the ensemble returns: the verdict and the lesson it is about (edited, if a human edited it). */
export const ValidatorEnsembleOutputAnnotation = Annotation.Root({
  /** The parsed lesson the verdict is about; after a human edit, the edited lesson. */
  lesson: Annotation<LessonInput | undefined>,
  /** The ensemble's verdict (parsed `Verdict`): decision, policy, tally, every vote with its evidence, reason. */
  verdict: Annotation<Verdict | undefined>,
});

/** The proposer, motivating cases and companion lessons of the lesson being validated, parsed. */
export interface ValidationInput {
  proposer: string;
  motivatingCases: EdgeCase[];
  companions: Lesson[];
  /** The budget left above the lesson's own, when the caller gave one. */
  budget?: ValidationBudget;
}

/** The ensemble's whole state: input, output and its working keys. */
export const ValidatorEnsembleAnnotation = Annotation.Root({
  ...ValidatorEnsembleInputAnnotation.spec,
  ...ValidatorEnsembleOutputAnnotation.spec,
  /** Working key: the parsed proposer and motivating cases (the input keys are cleared once read). */
  validationInput: Annotation<ValidationInput | null | undefined>,
  /** Working key: the votes, written once every validator has voted (no validator reads it). */
  votes: Annotation<Vote[] | null | undefined>,
  /** Working key: what the replays cost, and why the verdict is undecided when the budget ran out first. */
  spent: Annotation<{ usage: ModelUsage; undecided?: string } | null | undefined>,
  /** Working key: why some cases were replayed without the lessons memory serves on them, when they were. */
  unserved: Annotation<string | null | undefined>,
  /** Working key: which validators started as needed and which did not, when they were started as needed. */
  staged: Annotation<string | null | undefined>,
  /** Working key: how the stored cases were divided among the validators, when they were. */
  divided: Annotation<string | null | undefined>,
  /** Working key: the side effects the lesson steers and the replayed cases that exercise each. */
  risks: Annotation<RiskFinding[] | null | undefined>,
  /** Working key: validators excluded as the proposer. */
  excludedValidators: Annotation<string[] | null | undefined>,
  /** Working key: the human reviewer's decision, when there was a review. */
  review: Annotation<LessonReview | null | undefined>,
});

export type ValidatorEnsembleState = typeof ValidatorEnsembleAnnotation.State;
export type ValidatorEnsembleUpdate = typeof ValidatorEnsembleAnnotation.Update;
export type ValidatorEnsembleInput = typeof ValidatorEnsembleInputAnnotation.Update;
export type ValidatorEnsembleOutput = typeof ValidatorEnsembleOutputAnnotation.State;

export interface ValidatorEnsembleParams {
  /**
   * The peer validators: different models, prompts or crew members. Ids must
   * be unique. The lesson's proposer (input `proposer`, and the lesson's
   * `provenance.agent`) is excluded from voting on its own lesson.
   */
  validators: readonly Validator[];
  /** Replays an edge case with and without the lesson: a sandbox or simulator, or `createRolePlayRunner()`. */
  runner: ReplayRunner;
  /** Where the cases most relevant to a lesson are found, within the lesson's scope (e.g. `ChromaEdgeCaseStore`). */
  edgeCaseStore: EdgeCaseStore;
  /**
   * Turns the votes into a verdict: `majority()`, `supermajority()`,
   * `unanimous()`, `weighted()`. Default `majority({ quorum: min(2, validators) })`.
   */
  policy?: ConsensusPolicy;
  /** How many of the most relevant stored cases each validator replays (besides the motivating cases), 1–100. Default 8. */
  casesPerValidator?: number;
  /** Replays running at once, over all validators. Default 4. */
  concurrency?: number;
  /**
   * The longest one replay may take (ms). Past it the replay's signal aborts,
   * the replay counts as not run, and the queue moves on. Default 60 000.
   */
  timeoutMs?: number;
  /**
   * Replays (runner calls) allowed per lesson, over all validators. Each
   * validator needs 2 × its cases; validators are served in order, and those
   * that would overrun the budget abstain ("budget exhausted") without running.
   * With the role-play runner a replay is one model call (two for a rubric case).
   * Default 200.
   */
  maxReplaysPerLesson?: number;
  /** A validator whose replays fail (error or timeout) this many times stops; its remaining replays are cancelled. Default 3. */
  maxFailuresPerValidator?: number;
  /** Share of its cases a validator must replay both ways to vote approve/reject on them; else it abstains. Default 0.5. */
  minRunShare?: number;
  /**
   * Stop replaying once the verdict is decided: after every replayed case the
   * policy is asked whether any way the validators still replaying could vote
   * would get the lesson approved; when none would, their remaining replays
   * are aborted (through the signal the runner gets) and each votes on what it
   * replayed, its vote saying it stopped early and why. The verdict is the one
   * the full run would reach. Default true.
   */
  earlyStop?: boolean;
  /**
   * How a break (a case that passed without the lesson and failed with it) is
   * re-checked before it may veto the lesson: `"other-validator"` — the next
   * peer replays the case both ways; `"same-validator"` — the validator replays
   * it again (a new attempt); `"off"` — a break vetoes as seen. A break the
   * re-check does not see again does not count; one it could not run stands.
   * Re-check replays count against `maxReplaysPerLesson`. Default "other-validator".
   */
  confirmBreaks?: "off" | "same-validator" | "other-validator";
  /**
   * When the validators start. `"all-at-once"`: every eligible validator
   * replays from the start. `"as-needed"`: the first `quorum` validators (in
   * the order given) start; once all started have voted, the next one starts
   * only while the verdict is undecided — a vote the unstarted could still
   * outvote or tip (split votes, abstentions short of the quorum, weights), or a
   * break one run saw and its re-check did not. A validator that never starts
   * votes abstain ("not started", `stoppedEarly` says why) and cannot veto the
   * lesson with a break it would have seen: fewer replays, less safety. Early
   * stop counts the unstarted as able to vote either way. Default "all-at-once".
   */
  validatorSchedule?: "all-at-once" | "as-needed";
  /**
   * When a case is replayed without the lesson. `"as-needed"`: for a case
   * whose fix cannot change the vote (not must_pass, regressions not weighed,
   * its truth not needed to corroborate another's), the replay with the lesson
   * runs first and the one without only if it fails — a case that passes with
   * the lesson cannot be a break, so its vote and the verdict are the ones
   * `"always"` reaches, while the evidence records it as `withoutSkipped`.
   * `"always"`: every case both ways, at once (the fix count of every case
   * is known). Default "as-needed".
   */
  baselineReplays?: "always" | "as-needed";
  /**
   * Whose stored cases are divided among the validators instead of replayed
   * by each. `"one-user-lessons"`: for a lesson scoped to one user (its harm
   * reaches no one else), each validator that starts first replays the
   * motivating cases and its share of the stored cases, dealt most relevant
   * first — each stored case is replayed once, a break is still re-checked
   * (`confirmBreaks`) and still vetoes, and the lesson is approved only when
   * every stored case was replayed (a share its validator could not run
   * leaves the verdict undecided). `"never"`: every validator replays every
   * case, an independent second look at each. Not applied when the policy
   * allows regressions (each validator weighs fixes against breaks over all
   * the cases). Default "one-user-lessons".
   */
  divideStoredCases?: "never" | "one-user-lessons";
  /**
   * What validating one lesson may spend in model calls and tokens (as the
   * runner reports them). When it is spent before the verdict is decided, the
   * remaining replays are aborted and the lesson is rejected as undecided
   * (`verdict.undecided` says so; the learning loop can park it for a human
   * instead). Default: no cap beyond `maxReplaysPerLesson`.
   */
  budget?: ValidationBudget;
  /**
   * The lessons memory would serve the agent on a case, at the head the
   * candidate would merge onto — e.g. `createLessonSelector` from
   * `@lessonloop/replay-retriever` over that memory, with the case's input and
   * scope. They are in the agent's context in both runs of the case, except
   * those the candidate supersedes (only the run without it has them): a
   * lesson is judged by what the agent would really see beside it, and lessons
   * that combine are run together. Asked once per case; when it fails the case
   * is replayed without them and its evidence note says so. Default: none.
   */
  servedLessons?: (edgeCase: EdgeCase, signal: AbortSignal | undefined) => Promise<readonly Lesson[]>;
  /**
   * Coverage before trust: a lesson that steers a side effect a rule flags
   * (who receives mail, addresses, payments, checks turned off, anything
   * outside the tenant — `BUILT_IN_RISK_RULES`; add your own) is approved only
   * when at least `minCases` of the stored cases the validators replayed
   * exercise that effect. Otherwise the verdict is a rejection whose
   * `uncoveredRisk` says what is missing (the learning loop parks it for a
   * human when it has an approval store). `false` turns it off. Default
   * `{ rules: BUILT_IN_RISK_RULES, minCases: 2 }`.
   */
  coverage?: false | { rules?: readonly RiskRule[]; minCases?: number };
  /**
   * Which lessons need a human's approval. For those, after the ensemble's
   * verdict the subgraph calls LangGraph's `interrupt()` with a
   * `LessonReviewRequest` (the lesson, the verdict, its evidence) and resumes on
   * `{ decision: "approve" | "reject" }` or `{ decision: "edit", lesson }`.
   * Needs a checkpointer (here or on the parent graph). Default: none need it.
   */
  requiresApproval?: (lesson: Lesson, verdict: Verdict) => boolean;
  /**
   * Checkpointer to compile the subgraph with. Leave it out when the ensemble is
   * a node of a parent graph that has one (the subgraph uses the parent's);
   * give one (e.g. `MemorySaver`) to run the ensemble on its own with human approval.
   */
  checkpointer?: BaseCheckpointSaver;
  /** Stamps votes and verdicts. Default the system clock. */
  clock?: Clock;
  /** Name of the compiled graph (shows in traces). Default "validator_ensemble". */
  name?: string;
}

const NumbersSchema = z.object({
  casesPerValidator: z.number().int().min(1).max(100),
  concurrency: z.number().int().min(1).max(100),
  timeoutMs: z.number().int().min(1).max(2_147_483_647),
  maxReplaysPerLesson: z.number().int().min(1),
  maxFailuresPerValidator: z.number().int().min(1),
  minRunShare: z.number().gt(0).max(1),
});

const ValidatorsSchema = z
  .array(z.object({ id: z.string().min(1).max(200), weight: z.number().min(0).finite().optional() }).loose())
  .min(1, "give at least one validator")
  .superRefine((validators, context) => {
    const seen = new Set<string>();
    validators.forEach((validator, index) => {
      if (seen.has(validator.id)) context.addIssue({ code: "custom", path: [index, "id"], message: `"${validator.id}" is used twice; validator ids must be unique` });
      seen.add(validator.id);
    });
  });

const MotivatingCasesSchema = z.array(EdgeCaseSchema).max(MAX_MOTIVATING_CASES);
const BudgetSchema = z.object({ modelCalls: z.number().int().min(0).optional(), tokens: z.number().int().min(0).optional() }).strict();
/** The learner proposes a few lessons per episode (at most 10). */
const CompanionLessonsSchema = z.array(LessonSchema).max(10);
/** What memory serves on one case: a retriever's few lessons. */
const ServedLessonsSchema = z.array(LessonSchema).max(100);
const ProposerSchema = z.string().min(1).max(200);
const MinCasesSchema = z.number().int().min(0).max(100);
const ScheduleSchema = z.enum(["all-at-once", "as-needed"]);
const BaselineReplaysSchema = z.enum(["always", "as-needed"]);
const DivideStoredCasesSchema = z.enum(["never", "one-user-lessons"]);

/** Longest reason a verdict keeps (the schema's bound). */
const MAX_REASON = 4_000;

/** Must-pass cases first (they decide whether a lesson fixes anything), the rest in the order found (most relevant first). */
function decisiveFirst(cases: readonly EdgeCase[]): EdgeCase[] {
  return [...cases.filter((edgeCase) => edgeCase.kind === "must_pass"), ...cases.filter((edgeCase) => edgeCase.kind !== "must_pass")];
}

function quoteList(ids: readonly string[]): string {
  return ids.map((id) => `"${id}"`).join(", ");
}

/**
 * Creates the validator ensemble: a compiled LangGraph subgraph that takes a
 * candidate lesson (`lesson`, `proposer`, optional `motivatingCases`) and
 * returns a `verdict`.
 *
 * 1. The cases most relevant to the lesson (its trigger and guidance, within
 *    its scope, `casesPerValidator` of them) are read from the edge-case store
 *    once, and the motivating cases added.
 * 2. Every validator except the proposer replays each case with and without
 *    the lesson through `runner`, in parallel, bounded by one p-queue
 *    (concurrency, per-call timeout that aborts the call, replay budget). A
 *    validator sees the lesson and the cases only — never another's vote.
 * 3. Each votes by the rules of `decideVote`; the policy turns the votes into
 *    the verdict.
 * 4. If `requiresApproval` says so, a human approves, rejects or edits (an
 *    edited lesson is validated again, once, and that verdict is final).
 */
export function createValidatorEnsemble({
  validators,
  runner,
  edgeCaseStore,
  policy = majority({ quorum: Math.min(2, Math.max(1, validators.length)) }),
  casesPerValidator = 8,
  concurrency = 4,
  timeoutMs = 60_000,
  maxReplaysPerLesson = 200,
  maxFailuresPerValidator = 3,
  minRunShare = 0.5,
  earlyStop = true,
  confirmBreaks = "other-validator",
  validatorSchedule = "all-at-once",
  baselineReplays = "as-needed",
  divideStoredCases = "one-user-lessons",
  budget = {},
  servedLessons,
  coverage = {},
  requiresApproval,
  checkpointer,
  clock = systemClock,
  name = "validator_ensemble",
}: ValidatorEnsembleParams) {
  parseWith(ValidatorsSchema, validators, "validators");
  parseWith(BudgetSchema, budget, "validation budget");
  const asNeeded = parseWith(ScheduleSchema, validatorSchedule, "validatorSchedule") === "as-needed";
  const lazyBaselines = parseWith(BaselineReplaysSchema, baselineReplays, "baselineReplays") === "as-needed";
  const divideOneUsers = parseWith(DivideStoredCasesSchema, divideStoredCases, "divideStoredCases") === "one-user-lessons" && !policy.allowRegressions;
  const numbers = parseWith(
    NumbersSchema,
    { casesPerValidator, concurrency, timeoutMs, maxReplaysPerLesson, maxFailuresPerValidator, minRunShare },
    "validator ensemble params",
  );
  const rules: VoteRules = { allowRegressions: policy.allowRegressions, minRunShare: numbers.minRunShare };
  const trust = coverage === false ? undefined : { rules: coverage.rules ?? BUILT_IN_RISK_RULES, minCases: parseWith(MinCasesSchema, coverage.minCases ?? 2, "coverage.minCases") };
  const weights = new Map(validators.map((validator) => [validator.id, validator.weight ?? 1]));

  /** Parses the input and clears the input keys, so a later run on the same thread starts clean. */
  function receiveLesson(state: ValidatorEnsembleState): ValidatorEnsembleUpdate {
    if (state.lesson === undefined) {
      throw new LessonloopError("invalid_input", 'The validator ensemble was invoked without a lesson. Invoke it with { lesson, proposer }.', {
        details: { issues: [{ path: "lesson", message: "is required" }] },
      });
    }
    const lesson = parseWith(LessonSchema, state.lesson, "lesson to validate");
    const proposer = parseWith(ProposerSchema, state.proposer ?? lesson.provenance.agent, "proposer");
    const motivatingCases = parseWith(MotivatingCasesSchema, state.motivatingCases ?? [], "motivating cases");
    const companions = parseWith(CompanionLessonsSchema, state.companionLessons ?? [], "companion lessons").filter((companion) => companion.id !== lesson.id);
    const validationBudget = state.validationBudget === null || state.validationBudget === undefined ? undefined : parseWith(BudgetSchema, state.validationBudget, "validation budget");
    return {
      lesson,
      validationInput: { proposer, motivatingCases, companions, ...(validationBudget === undefined ? {} : { budget: validationBudget }) },
      proposer: null,
      motivatingCases: null,
      companionLessons: null,
      validationBudget: null,
      spent: null,
      unserved: null,
      risks: null,
      staged: null,
      divided: null,
      votes: null,
      excludedValidators: null,
      review: null,
    };
  }

  async function relevantCases(lesson: Lesson, motivatingCases: readonly EdgeCase[]): Promise<EdgeCase[]> {
    const query = lessonSearchText(lesson).slice(0, MAX_QUERY_LENGTH);
    const pool = await edgeCaseStore.findRelevant({ query, scope: lesson.scope, k: numbers.casesPerValidator * CASE_POOL_FACTOR });
    const cases = new Map<string, EdgeCase>();
    for (const edgeCase of motivatingCases) cases.set(edgeCase.id, edgeCase);
    const aboutTools = new Set([...(lesson.tools ?? []), ...motivatingCases.flatMap((edgeCase) => edgeCase.tools ?? [])]);
    for (const edgeCase of selectCases(pool, lesson, numbers.casesPerValidator, aboutTools)) if (!cases.has(edgeCase.id)) cases.set(edgeCase.id, edgeCase);
    return [...cases.values()];
  }

  /**
   * What else is in the agent's context on each case: the lessons memory
   * serves there (asked once per case) and the episode's other candidates. The
   * run with the candidate drops what the candidate replaces.
   */
  async function replayContext(
    lesson: Lesson,
    companions: readonly Lesson[],
    cases: readonly EdgeCase[],
    signal: AbortSignal | undefined,
  ): Promise<{ contextOf: ReplayContext; unserved: string | undefined }> {
    const served = new Map<string, readonly Lesson[]>();
    const unserved = new Map<string, string>();
    if (servedLessons !== undefined) {
      await Promise.all(
        cases.map(async (edgeCase) => {
          try {
            served.set(edgeCase.id, parseWith(ServedLessonsSchema, await servedLessons(edgeCase, signal), `lessons served on case "${edgeCase.id}"`));
          } catch (error) {
            if (signal?.aborted) throw signal.reason;
            unserved.set(edgeCase.id, error instanceof Error ? error.message : String(error));
          }
        }),
      );
    }
    const replaced = new Set([lesson.id, ...lesson.supersedes]);
    const contextOf: ReplayContext = (edgeCase, withLesson) => {
      const seen = new Set<string>();
      const context: Lesson[] = [];
      for (const other of [...companions, ...(served.get(edgeCase.id) ?? [])]) {
        if (seen.has(other.id) || (withLesson && replaced.has(other.id))) continue;
        seen.add(other.id);
        context.push(other);
      }
      return context;
    };
    const [first] = unserved.values();
    const problem =
      first === undefined ? undefined : `${unserved.size} of ${cases.length} cases were replayed without the lessons memory serves on them (${clip(first, 300)}).`;
    return { contextOf, unserved: problem };
  }

  async function replayAndVote(state: ValidatorEnsembleState, config: LangGraphRunnableConfig): Promise<ValidatorEnsembleUpdate> {
    const lesson = parseWith(LessonSchema, state.lesson, "lesson to validate");
    const input = state.validationInput ?? { proposer: lesson.provenance.agent, motivatingCases: [], companions: [] };
    const cap = {
      modelCalls: Math.min(budget.modelCalls ?? Infinity, input.budget?.modelCalls ?? Infinity),
      tokens: Math.min(budget.tokens ?? Infinity, input.budget?.tokens ?? Infinity),
    };
    const isProposer = (validator: Validator) => validator.id === input.proposer || validator.id === lesson.provenance.agent;
    const excluded = validators.filter(isProposer).map((validator) => validator.id);
    const eligible = validators.filter((validator) => !isProposer(validator));
    if (eligible.length === 0) return { votes: [], excludedValidators: excluded, spent: { usage: NO_MODEL_USAGE } };

    const cases = decisiveFirst(await relevantCases(lesson, input.motivatingCases));
    const { contextOf, unserved } = await replayContext(lesson, input.companions, cases, config.signal);
    const queue = new PQueue({ concurrency: numbers.concurrency, timeout: numbers.timeoutMs });
    let left = numbers.maxReplaysPerLesson;

    // Validators started: all of them, or (as needed) the first `quorum`; the others start one by one while the verdict is undecided.
    let started = asNeeded ? Math.min(eligible.length, Math.max(1, policy.quorum)) : eligible.length;
    // A one-user lesson's stored cases are dealt among the validators that start first; one started later replays them all.
    const motivating = new Set(input.motivatingCases.map((edgeCase) => edgeCase.id));
    const shares = divideOneUsers && lesson.scope.user !== undefined && started > 1 ? dealStoredCases(cases, motivating, eligible.slice(0, started).map((validator) => validator.id)) : undefined;
    const casesOf = (validator: Validator): readonly EdgeCase[] => shares?.get(validator.id) ?? cases;

    // What the early stop watches: votes cast, the evidence of the validators still replaying, and those not started yet (they could vote either way).
    const stop = new AbortController();
    const finished: Vote[] = [];
    const running = new Map<string, PendingValidator>();
    const pendingNow = (): PendingValidator[] => [...running.values(), ...eligible.slice(started).map((validator) => ({ validator: validator.id, cases, evidence: [] }))];
    const context = { weightOf: (id: string) => weights.get(id) ?? 1 };
    const watch = (): void => {
      if (!earlyStop || stop.signal.aborted) return;
      const outcome = decidedEarly({ policy, finished, pending: pendingNow(), lessonId: lesson.id, context });
      if (outcome.decided) stop.abort(new VerdictDecided(outcome.reason));
    };

    // What the replays spent; past the cap the rest is cancelled and, unless already decided, the verdict is undecided.
    let usage: ModelUsage = NO_MODEL_USAGE;
    let undecided: string | undefined;
    const spend = (spent: ModelUsage): void => {
      usage = addModelUsage(usage, spent);
      if (stop.signal.aborted || (usage.calls < cap.modelCalls && totalTokens(usage) < cap.tokens)) return;
      const why = `the validation budget is spent (${usage.calls} model calls, ${totalTokens(usage)} tokens; cap ${[
        ...(Number.isFinite(cap.modelCalls) ? [`${cap.modelCalls} calls`] : []),
        ...(Number.isFinite(cap.tokens) ? [`${cap.tokens} tokens`] : []),
      ].join(", ")})`;
      const outcome = decidedEarly({ policy, finished, pending: pendingNow(), lessonId: lesson.id, context });
      if (!outcome.decided) undecided = why;
      stop.abort(new VerdictDecided(outcome.decided ? outcome.reason : why));
    };

    const confirmBreak: ConfirmBreak | undefined =
      confirmBreaks === "off"
        ? undefined
        : async ({ validator, edgeCase, signal }) => {
            const at = eligible.findIndex((candidate) => candidate.id === validator.id);
            const checker = confirmBreaks === "same-validator" || eligible.length === 1 ? validator : (eligible[(at + 1) % eligible.length] as Validator);
            if (left < 2) return { by: checker.id, confirmed: null, note: "the replay budget left no room to re-check the break; it stands" };
            left -= 2;
            const request = { runner, queue, edgeCase, validator: checker, attempt: 2, signal, priority: cases.length + 1 };
            const [without, withIt] = await Promise.all([
              replayOnce({ ...request, lesson: undefined, companions: contextOf(edgeCase, false) }),
              replayOnce({ ...request, lesson, companions: contextOf(edgeCase, true) }),
            ]);
            spend(without.usage);
            spend(withIt.usage);
            if ("error" in without || "error" in withIt) {
              const error = "error" in without ? without.error : (withIt as { error: unknown }).error;
              return { by: checker.id, confirmed: null, note: `the re-check could not run (${describeFailure(error, numbers.timeoutMs)}); the break stands` };
            }
            const note = `re-check without: ${clip(without.note, 900)} | with: ${clip(withIt.note, 900)}`;
            if (without.passed === null || withIt.passed === null) return { by: checker.id, confirmed: null, note };
            return { by: checker.id, confirmed: without.passed && !withIt.passed, note };
          };

    const runOne = async (validator: Validator): Promise<Vote> => {
      const cast = (decision: Vote["decision"], reason: string) => {
        const vote = castVote({ validator, lesson, decision, reason, clock });
        finished.push(vote);
        return vote;
      };
      const mine = casesOf(validator);
      if (mine.length === 0) {
        return cast("abstain", "No edge cases to replay: none is stored within the lesson's scope and no motivating case was given.");
      }
      const needed = 2 * mine.length;
      if (needed > left) {
        return cast(
          "abstain",
          `Replay budget exhausted: ${needed} replays needed (${mine.length} cases, with and without the lesson), ` +
            `${left} of ${numbers.maxReplaysPerLesson} left for this lesson.`,
        );
      }
      left -= needed;
      const progress: PendingValidator = { validator: validator.id, cases: mine, evidence: [] };
      running.set(validator.id, progress);
      try {
        const vote = await runValidator({
          validator,
          lesson,
          contextOf,
          cases: mine,
          runner,
          queue,
          timeoutMs: numbers.timeoutMs,
          maxFailures: numbers.maxFailuresPerValidator,
          rules,
          clock,
          signal: config.signal,
          stop: stop.signal,
          confirmBreak,
          onUsage: spend,
          baselineNeeded: lazyBaselines ? baselineNeeded(cases, rules, lesson.scope) : undefined,
          onCase: (evidence) => {
            progress.evidence = [...progress.evidence, evidence];
            watch();
          },
        });
        finished.push(vote);
        return vote;
      } finally {
        running.delete(validator.id);
        watch();
      }
    };
    const votes = await Promise.all(eligible.slice(0, started).map(runOne));
    let staged: string | undefined;
    if (asNeeded) {
      const first = votes.map((vote) => vote.validator);
      const later: string[] = [];
      let notStarted = "every validator was needed";
      while (started < eligible.length) {
        if (stop.signal.aborted) {
          notStarted = stop.signal.reason instanceof VerdictDecided ? stop.signal.reason.why : String(stop.signal.reason);
          break;
        }
        const stage = anotherValidatorNeeded({ policy, votes, unstarted: eligible.slice(started).map((validator) => validator.id), lessonId: lesson.id, context });
        if (!stage.needed) {
          notStarted = stage.reason;
          break;
        }
        const next = eligible[started] as Validator;
        started += 1;
        later.push(`${next.id} (${stage.reason})`);
        const vote = await runOne(next);
        votes.push({ ...vote, reason: clip(`Started as needed: ${stage.reason}. ${vote.reason}`, 4_000) });
      }
      const skipped = eligible.slice(started);
      for (const validator of skipped) {
        votes.push(castVote({ validator, lesson, decision: "abstain", reason: `Not started: ${notStarted}.`, stoppedEarly: notStarted, clock }));
      }
      staged = clip(
        `Validators started as needed: ${quoteList(first)} first${later.length === 0 ? "" : `; then ${later.join("; ")}`}` +
          `${skipped.length === 0 ? "" : `; not started: ${quoteList(skipped.map((validator) => validator.id))} (${notStarted})`}.`,
        1_000,
      );
    }
    // Stored cases (not the motivating ones) some validator replayed: what the lesson was really tried on.
    const tried = new Set(votes.flatMap((vote) => vote.evidence.filter(wasReplayed).map((entry) => entry.caseId)));
    // Coverage is earned by cases whose truth is more than one user's word: an attacker's marked successes cover nothing.
    const covering = cases.filter((edgeCase) => !motivating.has(edgeCase.id) && tried.has(edgeCase.id) && isVerified(edgeCase));
    const risks = trust === undefined ? [] : findRisks(lesson, covering, trust.rules).map((risk) => ({ ...risk, covered: risk.coveredBy.length >= trust.minCases }));
    let divided: string | undefined;
    if (shares !== undefined) {
      const stored = cases.filter((edgeCase) => !motivating.has(edgeCase.id));
      const unreplayed = stored.filter((edgeCase) => !tried.has(edgeCase.id)).map((edgeCase) => edgeCase.id);
      divided = clip(
        `The lesson reaches one user, so its ${stored.length} stored cases were divided among ${quoteList([...shares.keys()])}` +
          ` (${[...shares.entries()].map(([id, share]) => `${id}: ${share.length - motivating.size}`).join(", ")}); ${stored.length - unreplayed.length} were replayed.`,
        1_000,
      );
      // A share nobody replayed was checked by no one: votes that would approve without it do not decide.
      if (unreplayed.length > 0 && undecided === undefined && policy.decide(votes, context).decision === "approved") {
        undecided = clip(`${unreplayed.length} of the stored cases divided among the validators were not replayed (${quoteList(unreplayed.slice(0, 10))}), so no one checked them`, 1_000);
      }
    }
    return {
      votes,
      excludedValidators: excluded,
      spent: { usage, ...(undecided === undefined ? {} : { undecided }) },
      unserved: unserved ?? null,
      staged: staged ?? null,
      divided: divided ?? null,
      risks,
    };
  }

  /** Why an approval is not trusted yet: the side effects too few replayed cases exercise. */
  function uncoveredRiskOf(risks: readonly RiskFinding[]): string | undefined {
    if (trust === undefined) return undefined;
    const uncovered = risks.filter((risk) => risk.covered === false);
    if (uncovered.length === 0) return undefined;
    const each = uncovered.map((risk) => `${risk.rule} ("${clip(risk.text, 80)}": ${risk.coveredBy.length} of the replayed stored cases exercise it)`);
    return clip(`It steers ${each.join("; ")}; ${trust.minCases} needed before votes alone may merge it. A human can approve it, or it waits for cases that exercise it.`, 1_000);
  }

  function tallyVotes(state: ValidatorEnsembleState): ValidatorEnsembleUpdate {
    const lesson = parseWith(LessonSchema, state.lesson, "lesson to validate");
    const votes = state.votes ?? [];
    const excluded = state.excludedValidators ?? [];
    const outcome = policy.decide(votes, { weightOf: (id) => weights.get(id) ?? 1 });
    const notes: string[] = [];
    if (state.review?.decision === "edit") notes.push("The lesson was edited by a human reviewer and validated again.");
    const undecided = state.spent?.undecided;
    if (undecided !== undefined) notes.push(`Undecided: ${undecided} before the verdict was decided, so the lesson is not approved.`);
    else notes.push(outcome.reason);
    if (excluded.length > 0) {
      notes.push(
        `Excluded as the proposer of the lesson: ${quoteList(excluded)} (a validator never votes on its own lesson).`,
      );
    }
    if (votes.length === 0) notes.push("No validator was eligible to vote.");
    if (state.unserved !== undefined && state.unserved !== null) notes.push(state.unserved);
    if (state.staged !== undefined && state.staged !== null) notes.push(state.staged);
    if (state.divided !== undefined && state.divided !== null) notes.push(state.divided);
    const risks = state.risks ?? [];
    const uncoveredRisk = undecided === undefined && outcome.decision === "approved" ? uncoveredRiskOf(risks) : undefined;
    if (uncoveredRisk !== undefined) notes.unshift(`Not trusted on votes alone: ${uncoveredRisk}`);
    const verdict = parseWith(
      VerdictSchema,
      {
        lessonId: lesson.id,
        decision: undecided === undefined && uncoveredRisk === undefined ? outcome.decision : "rejected",
        policy: { name: policy.name, quorum: policy.quorum, threshold: policy.threshold },
        tally: outcome.tally,
        votes,
        reason: clip(notes.join(" "), MAX_REASON),
        ...(state.spent === undefined || state.spent === null ? {} : { usage: state.spent.usage }),
        ...(undecided === undefined ? {} : { undecided }),
        ...(risks.length === 0 ? {} : { risks }),
        ...(uncoveredRisk === undefined ? {} : { uncoveredRisk }),
        decidedAt: clock.now().toISOString(),
      },
      "verdict",
    );
    return { verdict };
  }

  function routeAfterTally(state: ValidatorEnsembleState): "human_review" | typeof END {
    if (requiresApproval === undefined || state.review?.decision === "edit" || state.verdict === undefined) return END;
    const lesson = parseWith(LessonSchema, state.lesson, "lesson to validate");
    return requiresApproval(lesson, state.verdict) ? "human_review" : END;
  }

  function humanReview(state: ValidatorEnsembleState): ValidatorEnsembleUpdate {
    const lesson = parseWith(LessonSchema, state.lesson, "lesson to validate");
    const verdict = parseWith(VerdictSchema, state.verdict, "verdict to review");
    const evidence = summarizeEvidence(verdict);
    let problem: string | undefined;
    // Each pass asks again; an unusable answer is explained in the next request.
    for (;;) {
      const request: LessonReviewRequest = {
        type: "lessonloop.lesson_review",
        lesson,
        verdict,
        evidence,
        resumeWith: RESUME_HELP,
        ...(problem === undefined ? {} : { problem }),
      };
      const answer: unknown = interrupt(request);
      const parsed = LessonReviewDecisionSchema.safeParse(answer);
      if (!parsed.success) {
        problem = `The answer ${clip(JSON.stringify(answer) ?? String(answer), 200)} is not a review decision. ${RESUME_HELP}`;
        continue;
      }
      const review = parsed.data;
      const note = review.note === undefined || review.note === "" ? "" : ` ("${clip(review.note, 500)}")`;
      if (review.decision === "edit") {
        const edited = applyEdit(lesson, review.lesson);
        if ("problem" in edited) {
          problem = edited.problem;
          continue;
        }
        return {
          lesson: edited.lesson,
          review: { decision: "edit", original: lesson, ...(review.note === undefined ? {} : { note: review.note }) },
        };
      }
      const decision = review.decision === "approve" ? "approved" : "rejected";
      const reviewed = parseWith(
        VerdictSchema,
        {
          ...verdict,
          decision,
          reason: clip(
            `${review.decision === "approve" ? "Approved" : "Rejected"} by a human reviewer${note}. ` +
              `The ensemble had ${verdict.decision} the lesson: ${verdict.reason}`,
            MAX_REASON,
          ),
          decidedAt: clock.now().toISOString(),
        },
        "reviewed verdict",
      );
      return { verdict: reviewed, review: { decision: review.decision, ...(review.note === undefined ? {} : { note: review.note }) } };
    }
  }

  function routeAfterReview(state: ValidatorEnsembleState): "replay_and_vote" | typeof END {
    return state.review?.decision === "edit" ? "replay_and_vote" : END;
  }

  const graph = new StateGraph(ValidatorEnsembleAnnotation, {
    input: ValidatorEnsembleInputAnnotation,
    output: ValidatorEnsembleOutputAnnotation,
  })
    .addNode("receive_lesson", receiveLesson)
    .addNode("replay_and_vote", replayAndVote)
    .addNode("tally_votes", tallyVotes)
    .addNode("human_review", humanReview)
    .addEdge(START, "receive_lesson")
    .addEdge("receive_lesson", "replay_and_vote")
    .addEdge("replay_and_vote", "tally_votes")
    .addConditionalEdges("tally_votes", routeAfterTally, ["human_review", END])
    .addConditionalEdges("human_review", routeAfterReview, ["replay_and_vote", END]);
  return graph.compile({ ...(checkpointer === undefined ? {} : { checkpointer }), name });
}

/** The compiled ensemble subgraph. */
export type ValidatorEnsemble = ReturnType<typeof createValidatorEnsemble>;
