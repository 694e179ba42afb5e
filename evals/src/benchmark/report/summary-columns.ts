import { RECOVERY_RUN } from "../harness/metrics.js";
import type { LatencySummary, MultiSeedStrategy, PairedComparison } from "../harness/multi-seed-results.js";
import type { Adaptation } from "../harness/results.js";
import type { MeanInterval } from "../harness/statistics.js";

/** One column of the summary table, shared by the terminal table and `report.html`. */
export interface SummaryColumn {
  /** The terminal header, on two lines so the table fits 100 columns. */
  header: readonly [string, string];
  /** The HTML header. */
  title: string;
  /** What the column means, for the report's "how to read this". */
  description: string;
  align: "left" | "right";
  /** Shown in the terminal too (the report shows every column). */
  terminal: boolean;
  cell(entry: MultiSeedStrategy): string;
}

/** A duration for people: `850 ms`, `12.3 s`, `4 min 05 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, "0")} s`;
}

/** A whole number with thousands separators, the same on every machine. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

/** What a drift touches, e.g. `invoice, refund` or `reply for dana`. */
export function formatDriftTarget(drift: { kinds: readonly string[]; users?: readonly string[] | undefined }): string {
  const kinds = drift.kinds.join(", ");
  return drift.users === undefined ? kinds : `${kinds} for ${drift.users.join(", ")}`;
}

export function formatPercent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

/** Seeds for people: `1–10` when they run on, else `1, 2, 5`. */
export function formatSeeds(seeds: readonly number[]): string {
  const contiguous = seeds.length > 2 && seeds.every((seed, at) => at === 0 || seed === (seeds[at - 1] ?? Number.NaN) + 1);
  return contiguous ? `${seeds[0]}–${seeds.at(-1)}` : seeds.join(", ");
}

/**
 * A success rate over seeds: `86.7% [84.1, 89.3]` (mean and 95% interval, in
 * percent); one seed has no interval and shows the rate alone.
 */
export function formatRateInterval(interval: MeanInterval): string {
  if (interval.df === 0) return formatPercent(interval.mean);
  const [low, high] = interval.ci95;
  return `${formatPercent(interval.mean)} [${(low * 100).toFixed(1)}, ${(high * 100).toFixed(1)}]`;
}

/** `+2.5`, `−1.0`, and `0.0` for anything that rounds to zero. */
function signed(points: number): string {
  const text = Math.abs(points).toFixed(1);
  if (text === "0.0") return text;
  return `${points > 0 ? "+" : "−"}${text}`;
}

/** A difference of rates in percentage points: `+2.5 pts`. */
export function formatPoints(difference: number): string {
  return `${signed(difference * 100)} pts`;
}

/** An interval of rate differences in percentage points: `[−1.0, +6.0]`. */
export function formatPointsRange([low, high]: readonly [number, number]): string {
  return `[${signed(low * 100)}, ${signed(high * 100)}]`;
}

/** A paired difference in percentage points: `+2.5 pts [−1.0, +6.0]`; one seed has no interval. */
export function formatPointsInterval(pair: Pick<PairedComparison, "mean" | "ci95" | "df">): string {
  return pair.df === 0 ? formatPoints(pair.mean) : `${formatPoints(pair.mean)} ${formatPointsRange(pair.ci95)}`;
}

/** Seeds won, lost and tied: `won 7 of 10 (lost 2, tied 1)`; a tie is neither won nor lost. */
export function formatSeedsWon(pair: Pick<PairedComparison, "n" | "seedsWon" | "seedsLost" | "ties">): string {
  const rest = [pair.seedsLost > 0 ? `lost ${pair.seedsLost}` : "", pair.ties > 0 ? `tied ${pair.ties}` : ""].filter(Boolean);
  return `won ${pair.seedsWon} of ${pair.n}${rest.length === 0 ? "" : ` (${rest.join(", ")})`}`;
}

/**
 * One drift's latency on one seed: the episode count, `∞` when the strategy
 * never recovered although the window was long enough, `–` when the window held
 * fewer than `RECOVERY_RUN` affected episodes (nothing to tell).
 */
export function formatLatency(adaptation: Adaptation): string {
  if (adaptation.episodesToRecover !== null) return String(adaptation.episodesToRecover);
  return adaptation.affectedEpisodes < RECOVERY_RUN ? "–" : "∞";
}

/** Pooled latency: the median over recovered drifts (`–` when none recovered). */
export function formatMedianLatency(latency: LatencySummary): string {
  if (latency.median === null) return "–";
  return Number.isInteger(latency.median) ? String(latency.median) : latency.median.toFixed(1);
}

/** Drifts never recovered, of those long enough to tell: `3/40`. */
export function formatNeverRecovered(latency: LatencySummary): string {
  const told = latency.recovered + latency.neverRecovered;
  return told === 0 ? "–" : `${latency.neverRecovered}/${told}`;
}

export const SUMMARY_COLUMNS: readonly SummaryColumn[] = [
  {
    header: ["", "strategy"],
    title: "Strategy",
    description: "How the agent learns (or not).",
    align: "left",
    terminal: true,
    cell: (entry) => entry.strategy,
  },
  {
    header: ["success", "mean [95% CI]"],
    title: "Success, mean [95% CI]",
    description: "Share of the stream's tasks that ended right: mean over seeds and its 95% confidence interval (Student t).",
    align: "right",
    terminal: true,
    cell: (entry) => formatRateInterval(entry.aggregate.success),
  },
  {
    header: ["adapt.", "median"],
    title: "Adaptation, median",
    description: `Median over every drift and seed that recovered: affected episodes before ${RECOVERY_RUN} consecutive successes.`,
    align: "right",
    terminal: true,
    cell: (entry) => formatMedianLatency(entry.aggregate.adaptationLatency),
  },
  {
    header: ["never", "recov."],
    title: "Never recovered",
    description: "Drifts (over seeds) never recovered within the stream, of those with enough affected episodes to tell.",
    align: "right",
    terminal: true,
    cell: (entry) => formatNeverRecovered(entry.aggregate.adaptationLatency),
  },
  {
    header: ["", "regr"],
    title: "Regressions",
    description: "Probe tasks that passed before a merge and failed after it, summed over seeds.",
    align: "right",
    terminal: true,
    cell: (entry) => String(entry.aggregate.regressions),
  },
  {
    header: ["wrong/", "merged"],
    title: "Wrong / merged",
    description: "Lessons merged into memory, and how many of them were wrong for the world at the time, summed over seeds.",
    align: "right",
    terminal: true,
    cell: (entry) => `${entry.aggregate.wrongMerged}/${entry.aggregate.merged}`,
  },
  {
    header: ["wrong/", "rej."],
    title: "Wrong / rejected",
    description: "Lessons the validators rejected, and how many of them were indeed wrong, summed over seeds.",
    align: "right",
    terminal: false,
    cell: (entry) => `${entry.aggregate.wrongRejected}/${entry.aggregate.rejected}`,
  },
  {
    header: ["roll", "backs"],
    title: "Rollbacks",
    description: "Times the regression monitor rolled memory back to an earlier snapshot, summed over seeds.",
    align: "right",
    terminal: true,
    cell: (entry) => String(entry.aggregate.rollbacks),
  },
  {
    header: ["calls", "/ep"],
    title: "Calls / ep.",
    description: "Model calls per episode, the agent's and learning's together (mean over seeds).",
    align: "right",
    terminal: true,
    cell: (entry) => entry.aggregate.callsPerEpisode.toFixed(1),
  },
  {
    header: ["tokens", "/ep"],
    title: "Tokens / ep.",
    description: "Prompt and completion tokens per episode, the agent's and learning's together (mean over seeds).",
    align: "right",
    terminal: true,
    cell: (entry) => formatCount(entry.aggregate.tokensPerEpisode),
  },
  {
    header: ["lesson", "tok/ep"],
    title: "Lesson tok. / ep.",
    description:
      "Prompt tokens per episode that the strategy's context (lessons, reflections, rules) added to the agent's prompt (mean over seeds); the agent reads one retrieval per task, so this is also the lesson tokens per step.",
    align: "right",
    terminal: true,
    cell: (entry) => formatCount(entry.aggregate.contextTokensPerEpisode),
  },
  {
    header: ["served", "recall"],
    title: "Served recall",
    description:
      "Of the live lessons in a task's scope that state a rule the task touches (graded by the world, never shown to a strategy), the share the retriever served, pooled over episodes and seeds; – for strategies that do not retrieve lessons.",
    align: "right",
    terminal: true,
    cell: (entry) => (entry.aggregate.servedRecall === undefined || entry.aggregate.servedRecall === null ? "–" : formatPercent(entry.aggregate.servedRecall)),
  },
  {
    header: ["", "mem"],
    title: "Memory",
    description: "Lessons (or reflections, or rules) live at the end of the stream (mean over seeds).",
    align: "right",
    terminal: false,
    cell: (entry) => (entry.seeds.reduce((sum, run) => sum + run.summary.finalMemorySize, 0) / Math.max(1, entry.seeds.length)).toFixed(1),
  },
  {
    header: ["", "wall"],
    title: "Wall / seed",
    description: "Wall-clock time of the strategy's run on the environment, mean over seeds (seeds ran side by side).",
    align: "right",
    terminal: false,
    cell: (entry) => formatDuration(entry.seeds.reduce((sum, run) => sum + run.summary.wallMs, 0) / Math.max(1, entry.seeds.length)),
  },
];
