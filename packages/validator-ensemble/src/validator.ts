import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { LessonloopError, type Clock, type EdgeCase, type Lesson, type Scope, type Vote } from "@lessonloop/core";
import { NO_MODEL_USAGE, VoteSchema, chatModelName, parseWith, clip, type CaseEvidence, type ModelUsage } from "@lessonloop/core/internal";
import type PQueue from "p-queue";
import { describeDecision, AgentDecisionSchema } from "./agent-decision.js";
import { countsAsBreak, showsBreak, showsFix, wasReplayed } from "./case-evidence.js";
import { corroborated, trustedFor } from "./case-trust.js";
import { ReplayOutcomeSchema, type ReplayRunner } from "./replay-runner.js";

/**
 * One peer validator: a model, a prompt or a crew member, with an id. It
 * replays edge cases with and without the lesson (through the ensemble's
 * `ReplayRunner`) and votes on what it saw — never on what others voted.
 */
export interface Validator {
  /** Unique within the ensemble. A validator whose id is the lesson's proposer never votes on it. */
  id: string;
  /** The model the role-play runner asks to play the agent (and to judge rubrics). A sandbox runner may ignore it. */
  model?: BaseChatModel;
  /** This validator's own instructions for the role-play (e.g. a persona or a house style); replaces the runner's default. */
  prompt?: string;
  /** Static weight of its vote under the `weighted` policy, multiplied by its track record. Default 1. */
  weight?: number;
}

/** The rules a validator votes by. */
export interface VoteRules {
  /**
   * Whether breaking a previously passing case is allowed (the policy's
   * `allowRegressions`). When false, any break is a rejection. When true, a
   * validator approves when it fixes a must_pass case and fixes more cases than it breaks.
   */
  allowRegressions: boolean;
  /**
   * Share of the cases that must have run both ways (with and without the
   * lesson) for a decisive vote; below it the validator abstains. In (0, 1].
   */
  minRunShare: number;
}

/** One case a validator replayed, with what it showed. */
export interface ReplayedCase {
  edgeCase: EdgeCase;
  evidence: CaseEvidence;
}

/** A validator's decision, before it is stamped into a `Vote`. */
export interface VoteDecision {
  decision: Vote["decision"];
  reason: string;
  /** Cases that failed without the lesson and passed with it. */
  fixes: string[];
  /** Cases that passed without the lesson and failed with it. */
  breaks: string[];
}

function list(ids: readonly string[], max = 10): string {
  const shown = ids.slice(0, max).join(", ");
  return ids.length > max ? `${shown}, … (${ids.length - max} more)` : shown;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/**
 * The rules of a vote, applied to the replays of one validator. For each case:
 * a **fix** failed without the lesson and passed with it; a **break** passed
 * without and failed with it (unless a re-check did not see it again: then it
 * is neither); a case **ran** when both replays gave a result, or the one
 * with the lesson passed and the one without was not needed (`withoutSkipped`).
 *
 * 1. No cases at all → **abstain** (nothing to judge by).
 * 2. Any break (and regressions not allowed) → **reject**, even if some other
 *    replays could not run: a break is decisive.
 * 3. Fewer than `minRunShare` of the cases ran → **abstain** (errors, timeouts,
 *    checks the runner cannot decide).
 * 4. Fixes at least one `must_pass` case (and, with regressions allowed, fixes
 *    more cases than it breaks) → **approve**. Only fixes the case's truth may
 *    carry count: a case resting on one user's word (`truth.source`
 *    "user_feedback") counts for a lesson scoped to that user, or beside the
 *    word of a second user; otherwise such must_pass fixes are **rejected** as
 *    not enough, and such fixes never outweigh breaks.
 * 5. Otherwise → **reject**: the lesson fixes nothing that needs fixing (or,
 *    with regressions allowed, breaks as much as it fixes).
 */
export function decideVote(cases: readonly ReplayedCase[], rules: VoteRules, lessonScope?: Scope): VoteDecision {
  const fixes: string[] = [];
  const breaks: string[] = [];
  const mustPassFixes: string[] = [];
  // Fixes whose truth may carry this lesson; the others rest on one user's word about a lesson that reaches further.
  const trustedFixes: string[] = [];
  const hearsay: EdgeCase[] = [];
  let ran = 0;
  for (const { edgeCase, evidence } of cases) {
    if (!wasReplayed(evidence)) continue;
    ran += 1;
    if (showsFix(evidence)) {
      fixes.push(edgeCase.id);
      if (edgeCase.kind === "must_pass") mustPassFixes.push(edgeCase.id);
      if (trustedFor(edgeCase, lessonScope)) trustedFixes.push(edgeCase.id);
      else hearsay.push(edgeCase);
    }
    if (countsAsBreak(evidence)) breaks.push(edgeCase.id);
  }
  // Several users' word together is evidence, as the environment's is.
  if (corroborated(hearsay)) trustedFixes.push(...hearsay.map((edgeCase) => edgeCase.id));
  const trustedMustPass = mustPassFixes.filter((id) => trustedFixes.includes(id));
  const verdict = (decision: Vote["decision"], reason: string): VoteDecision => ({ decision, reason, fixes, breaks });

  if (cases.length === 0) {
    return verdict("abstain", "No edge cases to replay: none is stored within the lesson's scope and no motivating case was given.");
  }
  if (breaks.length > 0 && !rules.allowRegressions) {
    const fixed = fixes.length > 0 ? ` It fixes ${plural(fixes.length, "case")} (${list(fixes)}).` : "";
    return verdict(
      "reject",
      `Breaks ${plural(breaks.length, "previously passing case")}: ${list(breaks)} passed without the lesson and failed with it.${fixed}`,
    );
  }
  const needed = Math.max(1, Math.ceil(rules.minRunShare * cases.length));
  if (ran < needed) {
    return verdict(
      "abstain",
      `Could not run enough cases: ${ran} of ${cases.length} replayed both ways, ${needed} needed; the others failed, timed out or could not be checked.`,
    );
  }
  const ranText = `${plural(ran, "case")} replayed both ways`;
  const contradicted = cases.filter(({ edgeCase }) => mustPassFixes.includes(edgeCase.id) && edgeCase.truth?.contradictedBy !== undefined);
  const oneUsersWord =
    mustPassFixes.length > 0 && trustedMustPass.length === 0
      ? contradicted.length > 0
        ? `its must_pass fixes (${list(mustPassFixes)}) rest on one user's word, which the episode's own signals contradict (${list(contradicted.map(({ edgeCase }) => `${edgeCase.id}: ${edgeCase.truth?.contradictedBy}`))})`
        : `its must_pass fixes (${list(mustPassFixes)}) rest on one user's word, and the lesson reaches beyond that user`
      : undefined;
  if (rules.allowRegressions && breaks.length > 0) {
    // Fixes of cases resting on one user's word never outweigh breaks.
    if (trustedMustPass.length > 0 && trustedFixes.length > breaks.length) {
      return verdict(
        "approve",
        `Fixes ${plural(fixes.length, "case")} (${list(fixes)}), must_pass ${list(mustPassFixes)}, and breaks ${breaks.length} (${list(breaks)}), which the policy allows; ${ranText}.`,
      );
    }
    return verdict(
      "reject",
      `Breaks ${plural(breaks.length, "case")} (${list(breaks)}) and fixes ${trustedFixes.length}${trustedFixes.length < fixes.length ? ` it may count (${fixes.length - trustedFixes.length} rest on one user's word)` : ""}${mustPassFixes.length === 0 ? ", no must_pass case among them" : ""}: no net gain; ${ranText}.`,
    );
  }
  if (oneUsersWord !== undefined) {
    return verdict("reject", `Not enough to pass on: ${oneUsersWord}; a second user's, the environment's or an evaluator's evidence is needed, or a lesson for that user only; ${ranText}.`);
  }
  if (mustPassFixes.length > 0) {
    return verdict("approve", `Fixes ${plural(mustPassFixes.length, "must_pass case")} (${list(mustPassFixes)}) and breaks none; ${ranText}.`);
  }
  const otherFixes = fixes.length > 0 ? ` (it fixes ${list(fixes)}, none of them must_pass)` : "";
  return verdict("reject", `Fixes no must_pass case that failed without the lesson${otherFixes}; ${ranText}. A lesson must fix something that needs fixing.`);
}

/**
 * Which cases need their replay without the lesson even when they pass with
 * it: those where a fix can change {@link decideVote}'s decision. A case that
 * passes with the lesson cannot be a break, so for the others the replay
 * without is run only when the one with the lesson fails (to tell a break from
 * a case that failed anyway). A fix counts for must_pass cases; for every case
 * when regressions are weighed against fixes; and for a case resting on one
 * user's word that is not trusted for the lesson, when some must_pass case is
 * untrusted too (a second user's fix may corroborate it).
 */
export function baselineNeeded(cases: readonly EdgeCase[], rules: Pick<VoteRules, "allowRegressions">, lessonScope?: Scope): (edgeCase: EdgeCase) => boolean {
  const corroborationCounts = cases.some((edgeCase) => edgeCase.kind === "must_pass" && !trustedFor(edgeCase, lessonScope));
  return (edgeCase) => rules.allowRegressions || edgeCase.kind === "must_pass" || (corroborationCounts && !trustedFor(edgeCase, lessonScope));
}

/** Why a validator's remaining replays were cancelled. */
class ValidatorGaveUp extends Error {
  constructor(failures: number) {
    super(`skipped: the validator gave up after ${failures} failed replays`);
    this.name = "ValidatorGaveUp";
  }
}

/** A replay's result for the evidence: pass, fail or `null` (could not run), with a short note. */
export interface ReplayResult {
  passed: boolean | null;
  note: string;
}

const NOTE_HALF = 990;

function describeOutput(output: unknown): string | undefined {
  if (output === undefined) return undefined;
  const decision = AgentDecisionSchema.safeParse(output);
  if (decision.success) return describeDecision(decision.data);
  if (typeof output === "string") return JSON.stringify(clip(output, 300));
  try {
    return clip(JSON.stringify(output), 300);
  } catch {
    return clip(String(output), 300);
  }
}

/** What went wrong, in one line; timeouts say so. */
export function describeFailure(error: unknown, timeoutMs?: number): string {
  if (typeof error === "object" && error !== null && "name" in error && error.name === "TimeoutError") {
    return timeoutMs === undefined ? "timed out" : `timed out after ${timeoutMs} ms`;
  }
  if (LessonloopError.isInstance(error)) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Why a validator's remaining replays were cancelled: the verdict was decided without them. */
export class VerdictDecided extends Error {
  constructor(readonly why: string) {
    super(`skipped: ${why}`);
    this.name = "VerdictDecided";
  }
}

/** Re-checks a break a validator saw on one case; `confirmed: null` when the re-check could not run. */
export type ConfirmBreak = (request: { validator: Validator; edgeCase: EdgeCase; signal: AbortSignal }) => Promise<NonNullable<CaseEvidence["confirmation"]>>;

/** The other lessons in the agent's context when a case is replayed with (or without) the candidate. */
export type ReplayContext = (edgeCase: EdgeCase, withLesson: boolean) => readonly Lesson[];

export interface RunValidatorParams {
  validator: Validator;
  lesson: Lesson;
  /** What else is in the agent's context on each replay: the lessons memory serves, the episode's other candidates. */
  contextOf: ReplayContext;
  /** The cases to replay, most decisive first (must_pass, then the most relevant stored cases). */
  cases: readonly EdgeCase[];
  runner: ReplayRunner;
  /** The ensemble's queue: bounds concurrency and times out each call (aborting its signal). */
  queue: PQueue;
  /** The per-call timeout the queue applies, for the evidence notes. */
  timeoutMs: number;
  /** After this many failed replays (errors, timeouts) the validator's remaining replays are cancelled. */
  maxFailures: number;
  rules: VoteRules;
  clock: Clock;
  /** Cancels everything (the graph run was aborted); the error propagates. */
  signal?: AbortSignal | undefined;
  /**
   * Aborted by the ensemble, with a {@link VerdictDecided} reason, once the
   * verdict no longer depends on the replays left: they are cancelled and the
   * validator votes on the cases it replayed, saying it stopped early and why.
   */
  stop?: AbortSignal | undefined;
  /** Told each time a case has been replayed both ways (with its evidence, after any re-check). */
  onCase?: (evidence: CaseEvidence) => void;
  /** Re-checks a break before it may veto the lesson; without it a break stands as seen. */
  confirmBreak?: ConfirmBreak | undefined;
  /** Told what each replay spent (the runner's report, else one call). */
  onUsage?: (usage: ModelUsage) => void;
  /**
   * Whether a case's replay without the lesson is needed when it passes with
   * it ({@link baselineNeeded}). When it says no, the replay with the lesson
   * runs first and the one without only if it fails. Without it, both always run.
   */
  baselineNeeded?: ((edgeCase: EdgeCase) => boolean) | undefined;
}

/** What `runner.replay` gave, as evidence: pass, fail or `null` (could not run), with a short note. */
export async function replayOnce({
  runner,
  queue,
  edgeCase,
  lesson,
  companions,
  validator,
  attempt,
  signal,
  priority,
}: {
  runner: ReplayRunner;
  queue: PQueue;
  edgeCase: EdgeCase;
  lesson: Lesson | undefined;
  companions: readonly Lesson[];
  validator: Validator;
  attempt: number;
  signal: AbortSignal;
  priority: number;
}): Promise<{ passed: boolean | null; note: string; usage: ModelUsage } | { error: unknown; usage: ModelUsage }> {
  let raw: unknown;
  let started = false;
  try {
    raw = await queue.add(
      ({ signal: callSignal }) => {
        started = true;
        return runner.replay({ edgeCase, lesson, companions, validator, attempt, signal: callSignal ?? signal });
      },
      { signal, priority },
    );
  } catch (error) {
    // A replay that started may have spent a call before it failed; one cancelled in the queue spent nothing.
    return { error, usage: started ? ONE_CALL : NO_MODEL_USAGE };
  }
  const outcome = ReplayOutcomeSchema.safeParse(raw);
  if (!outcome.success) {
    return { error: new LessonloopError("invalid_input", "The replay runner returned a malformed outcome (expected { passed: boolean | null, output?, note? }).", { cause: outcome.error }), usage: ONE_CALL };
  }
  const { passed, output, note, usage = ONE_CALL } = outcome.data;
  const parts = [passed === null ? "could not be checked" : passed ? "passed" : "failed"];
  const shown = describeOutput(output);
  if (shown !== undefined) parts.push(shown);
  if (note !== undefined && note !== "") parts.push(note);
  return { passed, note: parts.join(" — "), usage };
}

/** What a replay whose runner reports no usage is counted as. */
const ONE_CALL: ModelUsage = Object.freeze({ calls: 1, promptTokens: 0, completionTokens: 0 });

/**
 * Replays the cases with and without the lesson for one validator and casts
 * its vote. The validator is given the lesson and the cases only. Cases are
 * queued in the order given (earlier cases first, across validators), so the
 * decisive ones run first. A failing or hanging replay becomes `null`
 * evidence; a break is re-checked by `confirmBreak` before it counts; when the
 * ensemble aborts `stop`, the cases not yet replayed are dropped and the vote
 * is cast on those that were. The validator votes by {@link decideVote}.
 */
export async function runValidator({
  validator,
  lesson,
  contextOf,
  cases,
  runner,
  queue,
  timeoutMs,
  maxFailures,
  rules,
  clock,
  signal,
  stop,
  onCase,
  confirmBreak,
  onUsage,
  baselineNeeded,
}: RunValidatorParams): Promise<Vote> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  const onStop = (): void => controller.abort(stop?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  stop?.addEventListener("abort", onStop, { once: true });
  if (stop?.aborted) onStop();
  let failures = 0;
  const stopped = () => stop?.aborted === true && controller.signal.reason === stop.reason;

  const replay = async (edgeCase: EdgeCase, withLesson: boolean, priority: number): Promise<ReplayResult | undefined> => {
    const result = await replayOnce({ runner, queue, edgeCase, lesson: withLesson ? lesson : undefined, companions: contextOf(edgeCase, withLesson), validator, attempt: 1, signal: controller.signal, priority });
    onUsage?.(result.usage);
    if (!("error" in result)) return result;
    if (signal?.aborted) throw signal.reason;
    // Cancelled because the verdict was decided: not a failure, not evidence.
    if (stopped()) return undefined;
    if (!controller.signal.aborted) {
      failures += 1;
      if (failures >= maxFailures) controller.abort(new ValidatorGaveUp(failures));
    }
    return { passed: null, note: describeFailure(result.error, timeoutMs) };
  };

  // The replay with the lesson first; the one without only when it failed, to tell a break from a case that fails
  // anyway — queued ahead of every case still waiting, since a possible break is what decides a rejection.
  const replayWithFirst = async (edgeCase: EdgeCase, priority: number): Promise<[ReplayResult | undefined, ReplayResult | undefined]> => {
    const withIt = await replay(edgeCase, true, priority);
    if (withIt === undefined) return [undefined, undefined];
    if (withIt.passed === false) return [await replay(edgeCase, false, cases.length + 1), withIt];
    const why = withIt.passed ? "the case passed with the lesson, so it cannot be a break" : "the replay with the lesson gave no result";
    return [{ passed: null, note: `not replayed: ${why}` }, withIt];
  };

  try {
    const replayed = await Promise.all(
      cases.map(async (edgeCase, index): Promise<ReplayedCase | undefined> => {
        const priority = cases.length - index;
        const lazy = baselineNeeded !== undefined && !baselineNeeded(edgeCase);
        const [without, withIt] = lazy ? await replayWithFirst(edgeCase, priority) : await Promise.all([replay(edgeCase, false, priority), replay(edgeCase, true, priority)]);
        if (without === undefined || withIt === undefined) return undefined;
        const evidence: CaseEvidence = {
          caseId: edgeCase.id,
          passedWithout: without.passed,
          passedWith: withIt.passed,
          note: `without: ${clip(without.note, NOTE_HALF)} | with: ${clip(withIt.note, NOTE_HALF)}`,
          ...(lazy && withIt.passed === true ? { withoutSkipped: true as const } : {}),
        };
        if (showsBreak(evidence) && confirmBreak !== undefined && !controller.signal.aborted) {
          const confirmation = await confirmBreak({ validator, edgeCase, signal: controller.signal });
          if (signal?.aborted) throw signal.reason;
          if (stopped() && confirmation.confirmed === null) return undefined;
          evidence.confirmation = confirmation;
        }
        onCase?.(evidence);
        return { edgeCase, evidence };
      }),
    );
    const ran = replayed.filter((entry): entry is ReplayedCase => entry !== undefined);
    const why = stopped() && ran.length < cases.length ? (stop?.reason as VerdictDecided).why : undefined;
    const { decision, reason } = why === undefined ? decideVote(ran, rules, lesson.scope) : decideStoppedVote(ran, rules, lesson.scope);
    return castVote({
      validator,
      lesson,
      decision,
      reason: why === undefined ? reason : `Stopped early after ${ran.length} of ${cases.length} cases (${why}). ${reason}`,
      evidence: ran.map((entry) => entry.evidence),
      stoppedEarly: why,
      clock,
    });
  } finally {
    signal?.removeEventListener("abort", onAbort);
    stop?.removeEventListener("abort", onStop);
  }
}

/**
 * The vote of a validator the ensemble stopped because the verdict was
 * decided. A break among the cases it finished rejects as it would at the
 * end; anything else — an approval, or "fixes nothing" — needs the cases it
 * never finished, so it abstains.
 */
export function decideStoppedVote(ran: readonly ReplayedCase[], rules: VoteRules, lessonScope?: Scope): VoteDecision {
  const vote = decideVote(ran, rules, lessonScope);
  if (vote.breaks.length > 0 && !rules.allowRegressions) return vote;
  const seen = ran.length === 0 ? "None of its cases had finished." : `Its ${plural(ran.length, "finished case")} showed no break; the rest would decide its vote.`;
  return { ...vote, decision: "abstain", reason: seen };
}

/** Stamps and parses a vote. */
export function castVote({
  validator,
  lesson,
  decision,
  reason,
  evidence = [],
  stoppedEarly,
  clock,
}: {
  validator: Validator;
  lesson: Lesson;
  decision: Vote["decision"];
  reason: string;
  evidence?: CaseEvidence[];
  stoppedEarly?: string;
  clock: Clock;
}): Vote {
  const model = validator.model === undefined ? undefined : chatModelName(validator.model);
  return parseWith(
    VoteSchema,
    {
      validator: validator.id,
      lessonId: lesson.id,
      decision,
      reason: clip(reason, 4_000),
      evidence,
      ...(model === undefined ? {} : { model: clip(model, 200) }),
      ...(stoppedEarly === undefined ? {} : { stoppedEarly: clip(stoppedEarly, 1_000) }),
      castAt: clock.now().toISOString(),
    },
    `vote of validator "${validator.id}"`,
  );
}
