import { RECOVERY_RUN } from "../harness/metrics.js";
import type { Adaptation, StrategyResult } from "../harness/results.js";

/** One column of the summary table, shared by the terminal table and `report.html`. */
export interface SummaryColumn {
  /** The terminal header, on two lines so the table fits 100 columns. */
  header: readonly [string, string];
  /** The HTML header. */
  title: string;
  /** What the column means, for the report's "how to read this". */
  description: string;
  align: "left" | "right";
  cell(result: StrategyResult): string;
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

/**
 * One drift's latency: the episode count, `∞` when the strategy never
 * recovered although the window was long enough, `–` when the window held
 * fewer than `RECOVERY_RUN` affected episodes (nothing to tell).
 */
export function formatLatency(adaptation: Adaptation): string {
  if (adaptation.episodesToRecover !== null) return String(adaptation.episodesToRecover);
  return adaptation.affectedEpisodes < RECOVERY_RUN ? "–" : "∞";
}

export const SUMMARY_COLUMNS: readonly SummaryColumn[] = [
  {
    header: ["", "strategy"],
    title: "Strategy",
    description: "How the agent learns (or not).",
    align: "left",
    cell: (result) => result.strategy,
  },
  {
    header: ["", "success"],
    title: "Success",
    description: "Share of the stream's tasks that ended right.",
    align: "right",
    cell: (result) => formatPercent(result.summary.successRate),
  },
  {
    header: ["adaptation", "latency"],
    title: "Adaptation latency",
    description: `Per drift: affected episodes before ${RECOVERY_RUN} consecutive successes (∞ never, – too few episodes).`,
    align: "left",
    cell: (result) =>
      result.summary.adaptation.length === 0 ? "–" : result.summary.adaptation.map(formatLatency).join(", "),
  },
  {
    header: ["", "regr"],
    title: "Regressions",
    description: "Probe tasks that passed before a merge and failed after it.",
    align: "right",
    cell: (result) => String(result.summary.regressions),
  },
  {
    header: ["bad/", "merged"],
    title: "Bad / merged",
    description: "Lessons merged into memory, and how many of them were wrong for the world at the time.",
    align: "right",
    cell: (result) => `${result.summary.badLessonsMerged}/${result.summary.lessonsMerged}`,
  },
  {
    header: ["bad/", "rej."],
    title: "Bad / rejected",
    description: "Lessons the validators rejected, and how many of them were indeed wrong.",
    align: "right",
    cell: (result) => `${result.summary.badLessonsRejected}/${result.summary.lessonsRejected}`,
  },
  {
    header: ["roll", "backs"],
    title: "Rollbacks",
    description: "Times the regression monitor rolled memory back to an earlier snapshot.",
    align: "right",
    cell: (result) => String(result.summary.rollbacks),
  },
  {
    header: ["calls", "/ep"],
    title: "Calls / ep.",
    description: "Model calls per episode, the agent's and learning's together.",
    align: "right",
    cell: (result) => result.summary.modelCallsPerEpisode.toFixed(1),
  },
  {
    header: ["tokens", "/ep"],
    title: "Tokens / ep.",
    description: "Prompt and completion tokens per episode, the agent's and learning's together.",
    align: "right",
    cell: (result) => formatCount(result.summary.tokensPerEpisode),
  },
  {
    header: ["lesson", "tok/ep"],
    title: "Lesson tok. / ep.",
    description: "Prompt tokens per episode that the strategy's context (lessons, reflections, rules) added to the agent's prompt.",
    align: "right",
    cell: (result) => formatCount(result.summary.contextTokensPerEpisode),
  },
  {
    header: ["", "mem"],
    title: "Memory",
    description: "Lessons (or reflections, or rules) live at the end of the stream.",
    align: "right",
    cell: (result) => String(result.summary.finalMemorySize),
  },
  {
    header: ["", "wall"],
    title: "Wall time",
    description: "Wall-clock time of the strategy's run on the environment.",
    align: "right",
    cell: (result) => formatDuration(result.summary.wallMs),
  },
];
