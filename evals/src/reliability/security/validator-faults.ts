import { createLexicalEmbedder } from "@lessonloop/core";
import { ChromaEdgeCaseStore } from "@lessonloop/chroma";
import type { EdgeCaseInput, LessonInput, Verdict } from "@lessonloop/core";
import { percentile } from "@lessonloop/core/testing";
import {
  createValidatorEnsemble,
  majority,
  supermajority,
  unanimous,
  weighted,
  type ConsensusPolicy,
  type ReplayOutcome,
  type ReplayRequest,
  type ReplayRunner,
} from "@lessonloop/validator-ensemble";
import type { ScenarioReport } from "../scenario-report.js";

/** How a faulty validator's replays go wrong. */
export type ValidatorFault =
  | "honest"
  /** Every replay throws. */
  | "throws"
  /** Every replay hangs until its signal aborts. */
  | "hangs"
  /** Every replay hangs and ignores its signal: the ensemble can only abandon it. */
  | "hangs-deaf"
  /** Wrong shapes: strings, null, arrays, `passed: "yes"`, non-string notes, circular values. */
  | "garbage"
  /** Right shape, absurd size: megabyte outputs and notes. */
  | "huge";

const T = "2026-01-01T00:00:00.000Z";
const SCOPE = { tenant: "faults" };

const CASES: EdgeCaseInput[] = [
  { id: "must-fix", input: "refund a damaged parcel", check: { type: "rubric", rubric: "refunds it" }, kind: "must_pass", scope: SCOPE, createdAt: T },
  { id: "reg-1", input: "refund a late parcel", check: { type: "rubric", rubric: "declines" }, kind: "regression", scope: SCOPE, createdAt: T },
  { id: "reg-2", input: "track a parcel", check: { type: "rubric", rubric: "tracks" }, kind: "regression", scope: SCOPE, createdAt: T },
  { id: "reg-3", input: "reset a password", check: { type: "rubric", rubric: "resets" }, kind: "regression", scope: SCOPE, createdAt: T },
];

const lesson = (id: string, good: boolean): LessonInput => ({
  id,
  trigger: good ? "a parcel arrived damaged" : "any refund request",
  guidance: good ? "refund the damaged parcel" : "refund every parcel at once",
  kind: "recovery",
  scope: SCOPE,
  provenance: { agent: "learner", model: "scripted", proposedAt: T },
  createdAt: T,
});

const MEGABYTE = "x".repeat(1_000_000);
const circular = (): Record<string, unknown> => {
  const value: Record<string, unknown> = { passed: "maybe" };
  value["self"] = value;
  return value;
};
const GARBAGE: (() => unknown)[] = [
  () => "passed",
  () => null,
  () => [],
  () => ({ passed: "yes" }),
  () => ({ passed: true, note: 42 }),
  () => ({ ok: true }),
  () => undefined,
  circular,
  () => ({ passed: 1n }),
  () => MEGABYTE,
];

/** The honest sandbox: the good lesson fixes `must-fix`; the bad one also breaks `reg-1`. */
function honestOutcome({ edgeCase, lesson: candidate }: ReplayRequest): { passed: boolean } {
  if (candidate === undefined) return { passed: edgeCase.kind === "regression" };
  const good = candidate.guidance.includes("damaged");
  if (edgeCase.id === "must-fix") return { passed: true };
  return { passed: good || edgeCase.id !== "reg-1" };
}

/** A runner that plays each validator's fault, and counts hanging replays that were aborted. */
export function faultyRunner(faults: ReadonlyMap<string, ValidatorFault>): ReplayRunner & { hung: number; aborted: number; pending: () => number } {
  let garbageIndex = 0;
  const state = {
    hung: 0,
    aborted: 0,
    pending: () => state.hung - state.aborted,
    async replay(request: ReplayRequest): Promise<ReplayOutcome> {
      const fault = faults.get(request.validator.id) ?? "honest";
      switch (fault) {
        case "honest":
          return honestOutcome(request);
        case "throws":
          throw new Error("validator model unreachable (ECONNRESET)");
        case "hangs":
          state.hung += 1;
          return new Promise<never>((_, reject) => {
            const onAbort = () => {
              state.aborted += 1;
              reject(request.signal.reason);
            };
            if (request.signal.aborted) onAbort();
            else request.signal.addEventListener("abort", onAbort, { once: true });
          });
        case "hangs-deaf":
          return new Promise<never>(() => undefined);
        case "garbage":
          // Garbage breaks the runner's contract on purpose: the ensemble must parse it, not trust the type.
          return GARBAGE[garbageIndex++ % GARBAGE.length]?.() as ReplayOutcome;
        case "huge":
          return { ...honestOutcome(request), output: MEGABYTE, note: MEGABYTE };
      }
    },
  };
  return state;
}

/** The rules of the consensus policies as documented, written out independently of their code. */
export function expectedDecision(policy: ConsensusPolicy, approve: number, reject: number): Verdict["decision"] {
  if (approve + reject < policy.quorum) return "rejected";
  if (approve === reject) return "rejected";
  return approve / (approve + reject) >= policy.threshold ? "approved" : "rejected";
}

const POLICIES: (() => ConsensusPolicy)[] = [
  () => majority({ quorum: 2 }),
  () => supermajority({ quorum: 3 }),
  () => unanimous({ quorum: 2 }),
  () => weighted({ quorum: 2 }),
];

/** Validator line-ups: the honest ones and the faulty ones. */
const LINEUPS: ValidatorFault[][] = [
  ["honest", "honest", "honest", "throws", "hangs", "garbage"],
  ["honest", "honest", "hangs", "hangs", "hangs-deaf", "huge"],
  ["honest", "throws", "hangs", "garbage", "hangs-deaf"],
  ["throws", "hangs", "garbage", "hangs-deaf"],
  ["honest", "honest", "honest", "honest", "huge", "garbage", "throws"],
];

export interface ValidatorFaultsParams {
  chromaUrl: string;
  collectionPrefix: string;
  /** Per-replay timeout of the ensemble (ms). Default 150. */
  timeoutMs?: number;
  /** Replays at once. Default 4. */
  concurrency?: number;
  /** Repetitions of the whole grid. Default 1. */
  rounds?: number;
}

export interface ValidatorFaultRun {
  policy: string;
  /** Whether the ensemble stopped once the verdict was decided. */
  earlyStop: boolean;
  lineup: string;
  good: boolean;
  decision: Verdict["decision"];
  expected: Verdict["decision"];
  /** Every faulty validator abstained, every honest one voted as its replays say (or, stopped early, abstained). */
  abstentionsRight: boolean;
  ms: number;
  boundMs: number;
  /** Votes of validators stopped because the verdict was decided. */
  votesStoppedEarly: number;
  /** Hanging replays still not aborted when the ensemble returned. */
  pendingHangs: number;
  verdictBytes: number;
}

/**
 * Runs the real `createValidatorEnsemble` (cases from a real Chroma store)
 * with validators that throw, hang (honouring or ignoring their signal),
 * return garbage or absurdly large outcomes, under each consensus policy and
 * line-up, for a good and a bad lesson. Checks the verdict against the
 * policy's documented rules with the faulty validators abstaining, the
 * wall time against its bound, that every hang was aborted, and that the
 * verdict stays small.
 */
export async function runValidatorFaults({ chromaUrl, collectionPrefix, timeoutMs = 150, concurrency = 4, rounds = 1 }: ValidatorFaultsParams): Promise<{ report: ScenarioReport; runs: ValidatorFaultRun[] }> {
  const edgeCaseStore = await ChromaEdgeCaseStore.open({ url: chromaUrl, collection: `${collectionPrefix}-cases`, embedder: createLexicalEmbedder() });
  await edgeCaseStore.add(CASES);
  const maxFailures = 3;
  const runs: ValidatorFaultRun[] = [];
  let counter = 0;
  for (let round = 0; round < rounds; round++) {
    for (const earlyStop of [false, true]) {
      for (const makePolicy of POLICIES) {
        for (const lineup of LINEUPS) {
          for (const good of [true, false]) {
            const policy = makePolicy();
            const validators = lineup.map((fault, index) => ({ id: `${fault}-${index + 1}` }));
            const faults = new Map(validators.map((validator, index) => [validator.id, lineup[index] as ValidatorFault]));
            const runner = faultyRunner(faults);
            const ensemble = createValidatorEnsemble({ validators, runner, edgeCaseStore, policy, timeoutMs, concurrency, maxFailuresPerValidator: maxFailures, casesPerValidator: CASES.length, earlyStop });
            const started = performance.now();
            const { verdict } = await ensemble.invoke({ lesson: lesson(`lesson-${++counter}`, good), proposer: "learner" });
            const ms = performance.now() - started;
            if (verdict === undefined) throw new Error("the ensemble returned no verdict");
            const honest = lineup.filter((fault) => fault === "honest" || fault === "huge").length;
            const expected = expectedDecision(policy, good ? honest : 0, good ? 0 : honest);
            // A validator stopped once the verdict was decided votes from the cases it finished: it may abstain, never vote against them.
            const votedRight = verdict.votes.every((vote) => {
              const fault = faults.get(vote.validator);
              const honestVote = good ? "approve" : "reject";
              if (fault !== "honest" && fault !== "huge") return vote.decision === "abstain";
              return vote.decision === honestVote || (vote.stoppedEarly !== undefined && vote.decision === "abstain");
            });
            // Each hanging validator holds at most `maxFailures + concurrency - 1` slots for one timeout each before it gives up.
            const hangers = lineup.filter((fault) => fault === "hangs" || fault === "hangs-deaf").length;
            const boundMs = Math.ceil((hangers * (maxFailures + concurrency - 1)) / concurrency + 1) * timeoutMs + 1_000;
            runs.push({
              policy: policy.name,
              earlyStop,
              lineup: lineup.join("+"),
              good,
              decision: verdict.decision,
              expected,
              abstentionsRight: votedRight && verdict.votes.length === lineup.length,
              ms,
              boundMs,
              votesStoppedEarly: verdict.votes.filter((vote) => vote.stoppedEarly !== undefined).length,
              pendingHangs: runner.pending(),
              verdictBytes: JSON.stringify(verdict).length,
            });
          }
        }
      }
    }
  }
  const wrong = runs.filter((run) => run.decision !== run.expected || !run.abstentionsRight).length;
  const overBound = runs.filter((run) => run.ms > run.boundMs).length;
  const pendingHangs = runs.reduce((sum, run) => sum + run.pendingHangs, 0);
  const times = runs.map((run) => run.ms);
  const maxVerdictBytes = Math.max(...runs.map((run) => run.verdictBytes));
  return {
    runs,
    report: {
      name: "validators-that-fail",
      passed: wrong === 0 && overBound === 0 && pendingHangs === 0,
      figures: {
        ensembleRuns: runs.length,
        runsStoppedEarly: runs.filter((run) => run.votesStoppedEarly > 0).length,
        wrongVerdicts: wrong,
        overTimeBound: overBound,
        hangsNotAborted: pendingHangs,
        p50Ms: Math.round(percentile(times, 50)),
        maxMs: Math.round(Math.max(...times)),
        timeoutMs,
        maxVerdictBytes,
      },
      notes: [
        `Policies: majority(q2), supermajority(q3), unanimous(q2), weighted(q2); ${LINEUPS.length} line-ups of honest, throwing, hanging (aborted / deaf), garbage and megabyte validators; a good and a bad lesson each; with early stop off and on.`,
        `Time bound per run: ceil(hangers × (maxFailures ${maxFailures} + concurrency ${concurrency} − 1) / concurrency + 1) × timeout + 1 s.`,
        "Deaf hangs (ignoring their signal) are abandoned by the queue's timeout, not stopped: their promises stay pending.",
      ],
    },
  };
}
