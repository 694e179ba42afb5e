import { ScopeSchema, formatScope, type Lesson, type LessonMemory, type OutcomeLedger, type Scope, type Snapshot, type SnapshotDiff } from "@lessonloop/core";
import { SnapshotEvidenceSchema, createSerialQueue, parseWith, type OutcomeRecordInput } from "@lessonloop/core/internal";
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

/** A comparison of the runs served a lesson (or a version) with comparable runs before it. */
export interface RegressionComparison {
  /** `"fisher-exact-one-sided"`: the p-value is the hypergeometric lower tail of the judged side's successes. */
  test: "fisher-exact-one-sided";
  /** Runs before the change: for a lesson, runs in its scope served from versions before its merge (`version` is the one it was merged onto). */
  before: VersionTally;
  /** Runs with the change: for a lesson, runs in its scope that were served it (`version` is the one that merged it). */
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

/** Emitted (and returned) when the monitor reverted a lesson. */
export interface RegressionRevert {
  /** The lesson that hurt, now out of live memory. */
  lesson: string;
  /** The version that merged it. */
  merged: number;
  /** The revert's history entry: its reason says what happened, its `evidence` carries the comparison. */
  snapshot: Snapshot;
  /** What the revert changed: `removed` is the lesson (full record), `added` any it had superseded, live again. */
  diff: SnapshotDiff;
  comparison: RegressionComparison;
}

/** Where one watched lesson stands after a check. */
export type LessonRegressionCheck =
  | {
      lesson: string;
      merged: number;
      /** This look was taken already; the next falls when the runs served the lesson reach `nextLookAt` known outcomes. */
      reason: "awaiting_next_look";
      episodes: number;
      nextLookAt: number;
    }
  | {
      lesson: string;
      merged: number;
      reason: Exclude<RegressionDecision, "regressed">;
      comparison: RegressionComparison;
    };

/** What one check found: each watched lesson's standing, and the revert it made, if any. */
export type RegressionCheck =
  | { action: "none"; lessons: LessonRegressionCheck[] }
  | { action: "reverted"; revert: RegressionRevert; lessons: LessonRegressionCheck[] };

const WatchSchema = z
  .object({
    watchVersions: z.number().int("must be a whole number").min(1, "must be at least 1"),
    maxLooks: z.number().int("must be a whole number").min(1, "must be at least 1"),
  })
  .strict();

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
  /** The memory whose lessons are watched and reverted. */
  memory: LessonMemory;
  /**
   * Where outcomes are credited to the lessons served; `observe` records into
   * it. The monitor keeps its looks there too, so with a durable ledger
   * (`ChromaOutcomeLedger`) a restarted monitor resumes where it stopped.
   */
  ledger: OutcomeLedger;
  /**
   * Chance of reverting a lesson that did not change the success rate, over
   * all looks at it (look `k` runs the one-sided Fisher's exact test at
   * `alpha / 2^(k+1)`). Default 0.05.
   */
  alpha?: number;
  /** Known outcomes (success or failure) needed on each side before anything is decided; at least 5. Default 20. */
  minEpisodes?: number;
  /** Smallest drop in success rate, absolute (0.1 = 10 points), that can trigger a revert. Default 0.1. */
  minDrop?: number;
  /** Compare only the runs within this scope. Default: each lesson's own scope, since only runs there could be served it. */
  scope?: Scope;
  /** A lesson is watched while the version that merged it is among the newest `watchVersions` versions. Default 200. */
  watchVersions?: number;
  /** Looks taken at a lesson before it is cleared and no longer watched (at `minEpisodes · 2^k`, k < maxLooks). Default 5 (20 … 320 runs). */
  maxLooks?: number;
  /** Author of the revert snapshots. Default `regression-monitor`. */
  author?: string;
  /**
   * Called once per revert, after it is in history. Awaited; if it throws,
   * the error reaches the caller of `check`/`observe`, and the revert stands.
   */
  onRevert?: (revert: RegressionRevert) => void | Promise<void>;
}

export interface RegressionMonitor {
  /**
   * Judges each recently merged lesson still live: the runs that were served
   * it against the runs in its scope served from versions before its merge
   * (see `evaluateRegression`). When one did significantly worse, reverts that
   * lesson alone (`memory.revert`: what it superseded comes back, whatever
   * merged after it stays) and emits `onRevert`; at most one revert a check,
   * the lesson with the smallest p-value. Checks run one at a time.
   */
  check(): Promise<RegressionCheck>;
  /** Records an outcome in the ledger, then checks. */
  observe(outcome: OutcomeRecordInput): Promise<RegressionCheck>;
}

const percent = (rate: number | null) => (rate === null ? "n/a" : `${(rate * 100).toFixed(1)}%`);

/** The revert's reason: one readable line. The figures also go, typed, in the snapshot's `evidence`. */
function revertReason(comparison: RegressionComparison, lessonId: string): string {
  const { before, after, drop, pValue, lookAlpha } = comparison;
  const scope = comparison.scope === undefined ? "all runs" : `runs in ${formatScope(comparison.scope)}`;
  return (
    `Regression after lesson ${lessonId} merged at v${after.version}: success ${percent(after.rate)} (${after.successes}/${after.episodes}) of runs served it ` +
    `vs ${percent(before.rate)} (${before.successes}/${before.episodes}) before v${after.version}, ` +
    `drop ${((drop ?? 0) * 100).toFixed(1)} points, one-sided Fisher exact p=${(pValue ?? 1).toPrecision(3)} ≤ ${lookAlpha.toPrecision(3)} ` +
    `(look ${comparison.look}, ${scope}). Reverted ${lessonId}.`
  );
}

/** Memories written before snapshots carried `evidence` kept it as JSON on a reason line starting with this. */
const LEGACY_EVIDENCE_PREFIX = "evidence: ";

// A tally as the typed evidence keeps it, unknown keys of those older records dropped.
const TallySchema = SnapshotEvidenceSchema.shape.before.strip();
// Rollbacks stored before snapshots had typed evidence: the same comparison as JSON in the reason,
// its tallies per version, without the lessons taken out.
const ComparisonSchema = SnapshotEvidenceSchema.omit({ lessons: true }).extend({ before: TallySchema, after: TallySchema, thresholds: ThresholdsSchema }).strip();

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
 * Creates a monitor that reverts a merged lesson when the runs that were
 * served it do significantly worse than comparable runs before its merge.
 *
 * Outcomes are credited to the lessons actually served in each run
 * (`servedLessons`). For each lesson merged within the newest `watchVersions`
 * versions and still live, it compares the runs in the lesson's scope that
 * were served it with the runs in that scope served from versions before its
 * merge. Runs served a lesson this monitor reverted count on neither side.
 * The rule (all must hold, see `evaluateRegression`): at least `minEpisodes`
 * known outcomes on each side; a drop in success rate of at least `minDrop`;
 * one-sided Fisher's exact p ≤ `alpha / 2^(k+1)` at look `k`. Looks fall when
 * the runs served the lesson reach `minEpisodes · 2^k` known outcomes (20,
 * 40, 80 … by default), each taken once and kept in the ledger, so checking
 * after every outcome keeps the chance of reverting a harmless lesson within
 * `alpha`, also across restarts. A single failure never triggers it. Call
 * `observe` for each finished run (or `record` on the ledger, then `check`).
 *
 * Only one monitor should act on a ledger: two would take each look twice.
 */
export function createRegressionMonitor({
  memory,
  ledger,
  alpha = 0.05,
  minEpisodes = 20,
  minDrop = 0.1,
  scope,
  watchVersions = 200,
  maxLooks = 5,
  author = "regression-monitor",
  onRevert,
}: RegressionMonitorParams): RegressionMonitor {
  parseWith(ThresholdsSchema, { alpha, minEpisodes, minDrop }, "regression monitor thresholds");
  parseWith(WatchSchema, { watchVersions, maxLooks }, "regression monitor watch");
  const fixedScope = scope === undefined ? undefined : parseWith(ScopeSchema, scope, "regression monitor scope");
  /** The live lessons at the head last read, by id: re-read only when the head moves. */
  let live: { head: number; lessons: Map<string, Lesson> } | undefined;
  /** Checks run one at a time: two at once could both revert the same lesson. */
  const serial = createSerialQueue();

  async function liveAt(head: number): Promise<Map<string, Lesson>> {
    if (live?.head !== head) live = { head, lessons: new Map((await memory.list({ version: head })).map((lesson) => [lesson.id, lesson])) };
    return live.lessons;
  }

  /** The lessons to judge (newest merge first), and the lessons this monitor reverted (their runs are left out). */
  async function watched(head: number): Promise<{ lessons: { lesson: Lesson; merged: number }[]; reverted: string[] }> {
    const recent = await memory.history({ limit: watchVersions });
    const lessonsLive = await liveAt(head);
    const seen = new Set<string>();
    const lessons: { lesson: Lesson; merged: number }[] = [];
    const reverted: string[] = [];
    for (const snapshot of recent) {
      if (snapshot.kind === "commit") {
        for (const id of snapshot.change.added) {
          const lesson = lessonsLive.get(id);
          if (lesson === undefined || seen.has(id)) continue;
          seen.add(id);
          lessons.push({ lesson, merged: snapshot.version });
        }
      } else if (snapshot.author === author && snapshot.evidence !== undefined) {
        reverted.push(...snapshot.evidence.lessons);
      }
    }
    return { lessons, reverted };
  }

  async function runCheck(): Promise<RegressionCheck> {
    const head = await memory.headVersion();
    const { lessons, reverted } = await watched(head);
    const taken = await ledger.looks(lessons.map(({ lesson }) => lesson.id));
    const standings: LessonRegressionCheck[] = [];
    let worst: { lesson: Lesson; merged: number; comparison: RegressionComparison } | undefined;
    for (const { lesson, merged } of lessons) {
      const last = taken.get(lesson.id) ?? -1;
      if (last >= maxLooks - 1) continue;
      const compared = fixedScope ?? lesson.scope;
      const [beforeCounts, afterCounts] = await Promise.all([
        ledger.countOutcomes({ scope: compared, beforeVersion: merged, notServed: reverted }),
        ledger.countOutcomes({ scope: compared, served: lesson.id, notServed: reverted }),
      ]);
      const before = { version: merged - 1, ...beforeCounts };
      const after = { version: merged, ...afterCounts };
      const episodes = after.successes + after.failures;
      const look = regressionLook(episodes, minEpisodes);
      const enough = Math.min(before.successes + before.failures, episodes) >= minEpisodes;
      if (enough && look <= last) {
        standings.push({ lesson: lesson.id, merged, reason: "awaiting_next_look", episodes, nextLookAt: minEpisodes * 2 ** (last + 1) });
        continue;
      }
      const comparison: RegressionComparison = { ...evaluateRegression({ before, after, alpha, minEpisodes, minDrop, look }), scope: compared };
      if (comparison.decision === "regressed") {
        if (worst === undefined || (comparison.pValue ?? 1) < (worst.comparison.pValue ?? 1)) worst = { lesson, merged, comparison };
        continue;
      }
      // A look that decided nothing is spent; a revert that failed (store down) leaves its look open for the next check.
      if (enough) await ledger.saveLook(lesson.id, look);
      standings.push({ lesson: lesson.id, merged, reason: comparison.decision, comparison });
    }
    if (worst === undefined) return { action: "none", lessons: standings };

    const { lesson, merged, comparison } = worst;
    const snapshot = await memory.revert({
      lessons: [lesson.id],
      scope: lesson.scope,
      reason: revertReason(comparison, lesson.id),
      evidence: { ...comparison, lessons: [lesson.id] },
      author,
    });
    await ledger.saveLook(lesson.id, comparison.look);
    const diff = await memory.diff(snapshot.parent ?? snapshot.version - 1, snapshot.version);
    const revert: RegressionRevert = { lesson: lesson.id, merged, snapshot, diff, comparison };
    await onRevert?.(revert);
    return { action: "reverted", revert, lessons: standings };
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
