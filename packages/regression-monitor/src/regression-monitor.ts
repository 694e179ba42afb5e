import { ScopeSchema, formatScope, type LessonMemory, type OutcomeLedger, type Scope, type Snapshot, type SnapshotDiff } from "@lessonloop/core";
import { VersionSchema, createSerialQueue, parseWith, type OutcomeRecordInput } from "@lessonloop/core/internal";
import { z } from "zod";
import { fisherExactLowerTail } from "./fisher-exact-test.js";

/** Outcomes of the runs served from one memory version (within the compared scope). */
export interface VersionTally {
  version: number;
  successes: number;
  failures: number;
  /** Runs whose outcome is not known; they take no part in the test. */
  unknown: number;
  /** `successes + failures`. */
  episodes: number;
  /** `successes / episodes`; `null` with no episodes. */
  rate: number | null;
}

/** The thresholds of the regression rule. */
export interface RegressionThresholds {
  /**
   * Chance of rolling back a merge that did not hurt, over all the looks at it:
   * look `k` tests at `alpha / 2^(k+1)`, so the looks together spend at most `alpha`.
   */
  alpha: number;
  /** Episodes with a known outcome needed on each side before anything is decided; looks fall at `minEpisodes · 2^k`. */
  minEpisodes: number;
  /** Smallest drop in success rate (absolute, 0–1) worth a rollback. */
  minDrop: number;
}

/** Why a comparison did or did not call for a rollback. */
export type RegressionDecision = "too_few_episodes" | "drop_too_small" | "not_significant" | "regressed";

/** A comparison of a merged version with its parent. */
export interface RegressionComparison {
  /** `"fisher-exact-one-sided"`: the p-value is the hypergeometric lower tail of the merged version's successes. */
  test: "fisher-exact-one-sided";
  /** Runs served from the parent version. */
  before: VersionTally;
  /** Runs served from the merged version. */
  after: VersionTally;
  /** `before.rate - after.rate`; `null` when either side has no episodes. */
  drop: number | null;
  /** `null` when a side has fewer than `minEpisodes` (the test is not run). */
  pValue: number | null;
  /** Which look this is (0 at `minEpisodes` episodes after the merge, 1 at twice that, …). */
  look: number;
  /** The level this look tests at: `alpha / 2^(look+1)`. */
  lookAlpha: number;
  /** The runs compared: those within this scope, or every run when absent. */
  scope?: Scope;
  thresholds: RegressionThresholds;
  decision: RegressionDecision;
}

/** Emitted (and returned) when the monitor rolled a merge back. */
export interface RegressionRollback {
  /** The merged version that regressed. */
  merged: number;
  /** The version it was merged onto, now live again. */
  restored: number;
  /** The rollback's history entry: its reason says what happened, its `evidence` carries the comparison. */
  snapshot: Snapshot;
  /** What the rollback changed: `removed` are the retired lessons (full records), `added` any the merge had superseded. */
  diff: SnapshotDiff;
  /** Ids of the lessons the rollback retired: the offending merge's lessons. */
  retiredLessons: string[];
  comparison: RegressionComparison;
}

/** What one check found. */
export type RegressionCheck =
  | {
      action: "none";
      /** The live version is not a commit (the genesis, or a rollback): there is no merge to judge. */
      reason: "head_not_a_merge";
      head: number;
    }
  | {
      action: "none";
      /** This look was taken already; the next falls when the merged version has `nextLookAt` known outcomes. */
      reason: "awaiting_next_look";
      merged: number;
      episodes: number;
      nextLookAt: number;
    }
  | {
      action: "none";
      reason: Exclude<RegressionDecision, "regressed">;
      comparison: RegressionComparison;
    }
  | { action: "rolled_back"; rollback: RegressionRollback };

const ThresholdsSchema = z
  .object({
    alpha: z.number().gt(0, "must be above 0").lt(1, "must be below 1"),
    minEpisodes: z.number().int("must be a whole number").min(5, "must be at least 5: fewer outcomes cannot show a regression, and a single failure must never trigger a rollback"),
    minDrop: z.number().min(0, "must be 0 or more").max(1, "must be at most 1"),
  })
  .strict();

/**
 * The look that `episodes` known outcomes of a merged version reach: -1 below
 * `minEpisodes`, else the largest `k` with `minEpisodes · 2^k ≤ episodes`.
 */
export function regressionLook(episodes: number, minEpisodes: number): number {
  if (episodes < minEpisodes) return -1;
  let look = 0;
  while (minEpisodes * 2 ** (look + 1) <= episodes) look++;
  return look;
}

type Counts = Omit<VersionTally, "episodes" | "rate">;

function tally(counts: Counts): VersionTally {
  const episodes = counts.successes + counts.failures;
  return { ...counts, episodes, rate: episodes === 0 ? null : counts.successes / episodes };
}

/**
 * The regression rule, without any store. Given the runs of a parent version
 * (`before`) and of the version merged onto it (`after`), the merge regressed
 * when all hold:
 * - each side has at least `minEpisodes` known outcomes (unknown ones are ignored);
 * - the success rate dropped by at least `minDrop` (absolute);
 * - a one-sided Fisher's exact test gives p ≤ `alpha / 2^(look+1)`.
 *
 * Looking again as outcomes arrive would inflate false alarms, so the monitor
 * looks only at `minEpisodes · 2^k` episodes and spends `alpha` over the looks
 * (a union bound: at most `alpha` in total).
 */
export function evaluateRegression({
  before,
  after,
  alpha = 0.05,
  minEpisodes = 20,
  minDrop = 0.1,
  look,
}: {
  /** Outcomes of the runs served from the parent version. */
  before: Counts;
  /** Outcomes of the runs served from the merged version. */
  after: Counts;
  /** False-rollback budget over all looks. Default 0.05. */
  alpha?: number;
  /** Known outcomes needed on each side. Default 20. */
  minEpisodes?: number;
  /** Smallest absolute drop in success rate that counts. Default 0.1 (10 points). */
  minDrop?: number;
  /** Which look this is. Default: the one `after`'s episodes reach (`regressionLook`). */
  look?: number;
}): Omit<RegressionComparison, "scope"> {
  const thresholds = parseWith(ThresholdsSchema, { alpha, minEpisodes, minDrop }, "regression thresholds");
  const beforeTally = tally(before);
  const afterTally = tally(after);
  const index = Math.max(0, look ?? regressionLook(afterTally.episodes, thresholds.minEpisodes));
  const drop = beforeTally.rate === null || afterTally.rate === null ? null : beforeTally.rate - afterTally.rate;
  const base = { test: "fisher-exact-one-sided" as const, before: beforeTally, after: afterTally, drop, look: index, lookAlpha: thresholds.alpha / 2 ** (index + 1), thresholds };
  if (beforeTally.episodes < thresholds.minEpisodes || afterTally.episodes < thresholds.minEpisodes) {
    return { ...base, pValue: null, decision: "too_few_episodes" };
  }
  const pValue = fisherExactLowerTail(before, after);
  // A tiny tolerance so a drop of exactly `minDrop` (e.g. 0.8 → 0.7) is not lost to rounding.
  if (drop === null || drop < thresholds.minDrop - 1e-12) return { ...base, pValue, decision: "drop_too_small" };
  if (pValue > base.lookAlpha) return { ...base, pValue, decision: "not_significant" };
  return { ...base, pValue, decision: "regressed" };
}

export interface RegressionMonitorParams {
  /** The memory whose merges are watched and rolled back. */
  memory: LessonMemory;
  /** Where outcomes are credited to memory versions; `observe` records into it. */
  ledger: OutcomeLedger;
  /**
   * Chance of rolling back a merge that did not change the success rate, over
   * all looks at it (look `k` runs the one-sided Fisher's exact test at
   * `alpha / 2^(k+1)`). Default 0.05.
   */
  alpha?: number;
  /** Known outcomes (success or failure) needed from each version before anything is decided; at least 5. Default 20. */
  minEpisodes?: number;
  /** Smallest drop in success rate, absolute (0.1 = 10 points), that can trigger a rollback. Default 0.1. */
  minDrop?: number;
  /**
   * Compare only the runs within this scope. Default: the narrowest scope that
   * holds every lesson the merge added (their common tenant, and user/agent
   * where all agree), since only runs there could have been served them; every
   * run when the lessons span tenants or the merge only retired lessons.
   */
  scope?: Scope;
  /** Author of the rollback snapshots. Default `regression-monitor`. */
  author?: string;
  /**
   * Called once per rollback, after it is in history. Awaited; if it throws,
   * the error reaches the caller of `check`/`observe`, and the rollback stands.
   */
  onRollback?: (rollback: RegressionRollback) => void | Promise<void>;
}

export interface RegressionMonitor {
  /**
   * Judges the live version: when it is a merge (a commit) whose runs do worse
   * than its parent's by the rule (see `evaluateRegression`), rolls back to the
   * parent, retiring the merge's lessons, and emits `onRollback`. Checks run one
   * at a time; a version that is no longer live is never judged, so one merge is
   * rolled back at most once.
   */
  check(): Promise<RegressionCheck>;
  /** Records an outcome in the ledger, then checks. */
  observe(outcome: OutcomeRecordInput): Promise<RegressionCheck>;
}

/** The narrowest scope holding all of `scopes`, or `undefined` when they span tenants (or there are none). */
function coveringScope(scopes: readonly Scope[]): Scope | undefined {
  const [first, ...rest] = scopes;
  if (first === undefined || rest.some((scope) => scope.tenant !== first.tenant)) return undefined;
  const covering: Scope = { tenant: first.tenant };
  if (first.user !== undefined && rest.every((scope) => scope.user === first.user)) covering.user = first.user;
  if (first.agent !== undefined && rest.every((scope) => scope.agent === first.agent)) covering.agent = first.agent;
  return covering;
}

const percent = (rate: number | null) => (rate === null ? "n/a" : `${(rate * 100).toFixed(1)}%`);

/** The rollback's reason: one readable line. The figures also go, typed, in the snapshot's `evidence`. */
function rollbackReason(comparison: RegressionComparison, lessonIds: readonly string[]): string {
  const { before, after, drop, pValue, lookAlpha } = comparison;
  const shown = lessonIds.slice(0, 10).join(", ") + (lessonIds.length > 10 ? ` and ${lessonIds.length - 10} more` : "");
  const scope = comparison.scope === undefined ? "all runs" : `runs in ${formatScope(comparison.scope)}`;
  return (
    `Regression after merge v${after.version}: success ${percent(after.rate)} (${after.successes}/${after.episodes}) ` +
    `vs ${percent(before.rate)} (${before.successes}/${before.episodes}) at v${before.version}, ` +
    `drop ${((drop ?? 0) * 100).toFixed(1)} points, one-sided Fisher exact p=${(pValue ?? 1).toPrecision(3)} ≤ ${lookAlpha.toPrecision(3)} ` +
    `(look ${comparison.look}, ${scope}). Rolled back to v${before.version}, retiring ${shown || "no lessons"}.`
  );
}

/** Memories written before snapshots carried `evidence` kept it as JSON on a reason line starting with this. */
const LEGACY_EVIDENCE_PREFIX = "evidence: ";

const TallySchema = z.object({
  version: VersionSchema,
  successes: z.number().int().min(0),
  failures: z.number().int().min(0),
  unknown: z.number().int().min(0),
  episodes: z.number().int().min(0),
  rate: z.number().min(0).max(1).nullable(),
});
const ComparisonSchema = z.object({
  test: z.literal("fisher-exact-one-sided"),
  before: TallySchema,
  after: TallySchema,
  drop: z.number().nullable(),
  pValue: z.number().min(0).max(1).nullable(),
  look: z.number().int().min(0),
  lookAlpha: z.number().gt(0).lt(1),
  scope: ScopeSchema.optional(),
  thresholds: ThresholdsSchema,
  decision: z.enum(["too_few_episodes", "drop_too_small", "not_significant", "regressed"]),
});

/**
 * The comparison that made the regression monitor undo a version, for
 * `history` readers (the CLI): the snapshot's typed `evidence`, or, for
 * snapshots written before it existed, the JSON line of their reason;
 * `undefined` for any other snapshot.
 */
export function regressionEvidenceOf(snapshot: Snapshot): RegressionComparison | undefined {
  if (snapshot.evidence !== undefined) {
    const { lessons: _lessons, ...comparison } = snapshot.evidence;
    return comparison;
  }
  if (snapshot.kind !== "rollback") return undefined;
  const line = snapshot.reason.split("\n").find((candidate) => candidate.startsWith(LEGACY_EVIDENCE_PREFIX));
  if (line === undefined) return undefined;
  try {
    const parsed = ComparisonSchema.safeParse(JSON.parse(line.slice(LEGACY_EVIDENCE_PREFIX.length)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates a monitor that rolls a merge back when the runs served from it do
 * significantly worse than the runs served from the version before it.
 *
 * The rule (all must hold, see `evaluateRegression`): at least `minEpisodes`
 * known outcomes on each side; a drop in success rate of at least `minDrop`;
 * one-sided Fisher's exact p ≤ `alpha / 2^(k+1)` at look `k`. Looks fall when
 * the merged version reaches `minEpisodes · 2^k` known outcomes (20, 40, 80 …
 * by default), each taken once, so checking after every outcome keeps the
 * chance of rolling back a harmless merge within `alpha`. A single failure
 * never triggers it. Call `observe` for each finished run (or `record` on the
 * ledger, then `check`).
 *
 * Which looks were taken is kept in this process: a restarted monitor takes
 * the look the current count reaches once more.
 *
 * Only one monitor (and one writer) should act on a memory: a commit landing
 * between a check and its rollback would be rolled back with it.
 */
export function createRegressionMonitor({
  memory,
  ledger,
  alpha = 0.05,
  minEpisodes = 20,
  minDrop = 0.1,
  scope,
  author = "regression-monitor",
  onRollback,
}: RegressionMonitorParams): RegressionMonitor {
  parseWith(ThresholdsSchema, { alpha, minEpisodes, minDrop }, "regression monitor thresholds");
  const fixedScope = scope === undefined ? undefined : parseWith(ScopeSchema, scope, "regression monitor scope");
  /** The compared scope of each merged version, found once from its lessons. */
  const scopes = new Map<number, Scope | undefined>();
  /** The last look taken at each merged version. */
  const looks = new Map<number, number>();
  /** Checks run one at a time: two at once could both roll back the same merge. */
  const serial = createSerialQueue();

  async function mergeScope(merged: Snapshot): Promise<Scope | undefined> {
    if (fixedScope !== undefined) return fixedScope;
    if (!scopes.has(merged.version)) {
      const diff = await memory.diff(merged.parent ?? 0, merged.version);
      scopes.set(merged.version, coveringScope(diff.added.map((lesson) => lesson.scope)));
    }
    return scopes.get(merged.version);
  }

  async function runCheck(): Promise<RegressionCheck> {
    const head = await memory.headVersion();
    const merged = await memory.snapshot(head);
    if (merged.kind !== "commit" || merged.parent === null) return { action: "none", reason: "head_not_a_merge", head };
    const parent = merged.parent;
    const compared = await mergeScope(merged);
    const [before, after] = await Promise.all([ledger.versionOutcomes(parent, compared), ledger.versionOutcomes(head, compared)]);
    const look = regressionLook(after.successes + after.failures, minEpisodes);
    const taken = looks.get(head) ?? -1;
    const enough = Math.min(before.successes + before.failures, after.successes + after.failures) >= minEpisodes;
    if (enough && look <= taken) {
      return { action: "none", reason: "awaiting_next_look", merged: head, episodes: after.successes + after.failures, nextLookAt: minEpisodes * 2 ** (taken + 1) };
    }
    const comparison: RegressionComparison = {
      ...evaluateRegression({ before, after, alpha, minEpisodes, minDrop, look }),
      ...(compared === undefined ? {} : { scope: compared }),
    };
    if (comparison.decision !== "regressed") {
      if (enough) looks.set(head, look);
      return { action: "none", reason: comparison.decision, comparison };
    }
    // A failed rollback (store down) leaves this look open, so the next check tries again.

    const snapshot = await memory.rollback({
      to: parent,
      // A commit that landed after this look is not this merge's to undo.
      expectedHead: head,
      reason: rollbackReason(comparison, merged.change.added),
      evidence: { ...comparison, lessons: merged.change.added },
      author,
    });
    // `expectedHead` made the rollback's parent the merge it undid.
    const diff = await memory.diff(head, snapshot.version);
    const rollback: RegressionRollback = {
      merged: head,
      restored: parent,
      snapshot,
      diff,
      retiredLessons: snapshot.change.retired,
      comparison,
    };
    scopes.delete(head);
    await onRollback?.(rollback);
    return { action: "rolled_back", rollback };
  }

  const check = (): Promise<RegressionCheck> => serial(runCheck);

  return {
    check,
    async observe(outcome) {
      await ledger.record(outcome);
      return check();
    },
  };
}
