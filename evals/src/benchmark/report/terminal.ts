import { RECOVERY_RUN } from "../harness/metrics.js";
import type { MultiSeedEnvironment, MultiSeedResults, MultiSeedStrategy } from "../harness/multi-seed-results.js";
import {
  SUMMARY_COLUMNS,
  formatDriftTarget,
  formatDuration,
  formatPointsInterval,
  formatSeeds,
  formatSeedsWon,
  type SummaryColumn,
} from "./summary-columns.js";

/** The width the summary is laid out for. */
export const TERMINAL_WIDTH = 100;

/** What the progress bar writes to: `process.stderr`, or a test's recorder. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBarParams {
  /** Where to draw; stderr by default, so stdout carries only the results. */
  stream?: ProgressStream;
  /** Redraw one line in place (a terminal) or print sparse lines (CI logs); by default, whether the stream is a TTY. */
  interactive?: boolean;
  /** Milliseconds clock, for the elapsed time and the estimate. */
  now?: () => number;
  /** Least time between two redraws in place, so a fast run does not flood the terminal. */
  redrawMs?: number;
  /** Lines a non-interactive run prints between start and done: one each time another 1/`lines` of the work is done. */
  lines?: number;
}

const BAR_WIDTH = 24;

/**
 * The benchmark's progress on stderr. The runner calls `start(total)`, then
 * `tick(label)` after each episode, then `done()`.
 */
export class ProgressBar {
  readonly #stream: ProgressStream;
  readonly #interactive: boolean;
  readonly #now: () => number;
  readonly #redrawMs: number;
  readonly #lines: number;
  #total = 0;
  #done = 0;
  #startedAt = 0;
  #lastDrawAt = Number.NEGATIVE_INFINITY;
  #printedSteps = 0;
  #label = "";

  constructor({
    stream = process.stderr,
    interactive = stream.isTTY === true,
    now = Date.now,
    redrawMs = 100,
    lines = 10,
  }: ProgressBarParams = {}) {
    this.#stream = stream;
    this.#interactive = interactive;
    this.#now = now;
    this.#redrawMs = redrawMs;
    this.#lines = Math.max(1, Math.floor(lines));
  }

  /** @param totalEpisodes Episodes the whole run will tick (every seed × environment × strategy). */
  start(totalEpisodes: number): void {
    if (!Number.isInteger(totalEpisodes) || totalEpisodes < 0) {
      throw new RangeError(`ProgressBar.start needs a whole number of episodes, got ${totalEpisodes}.`);
    }
    this.#total = totalEpisodes;
    this.#done = 0;
    this.#printedSteps = 0;
    this.#startedAt = this.#now();
    this.#lastDrawAt = Number.NEGATIVE_INFINITY;
    this.#label = "";
    if (this.#interactive) this.#redraw();
    else this.#stream.write(`running ${totalEpisodes} episodes\n`);
  }

  /**
   * @param label What is running, e.g. `api-drift · lessonloop`.
   * @param episodes Episodes finished since the last tick.
   */
  tick(label: string, episodes = 1): void {
    this.#done += episodes;
    this.#label = label;
    if (this.#interactive) {
      if (this.#now() - this.#lastDrawAt >= this.#redrawMs) this.#redraw();
      return;
    }
    // One line each time the run crosses another 1/lines of the work, whatever the tick size.
    const step = this.#total === 0 ? this.#lines : Math.floor((Math.min(this.#done, this.#total) / this.#total) * this.#lines);
    if (step > this.#printedSteps && step < this.#lines) {
      this.#printedSteps = step;
      this.#stream.write(`${this.#status()}\n`);
    }
  }

  /**
   * A line of its own above the bar, e.g. `seed 3 done`: on a terminal the bar
   * is redrawn under it; in a log it is printed as it is.
   */
  note(line: string): void {
    if (this.#interactive) {
      this.#stream.write(`\r\x1b[K${line}\n`);
      this.#redraw();
    } else {
      this.#stream.write(`${line}\n`);
    }
  }

  done(): void {
    const elapsed = formatDuration(this.#now() - this.#startedAt);
    if (this.#interactive) {
      this.#redraw();
      this.#stream.write("\n");
    } else {
      this.#stream.write(`done: ${this.#done} episodes in ${elapsed}\n`);
    }
  }

  #redraw(): void {
    this.#lastDrawAt = this.#now();
    const share = this.#share();
    const filled = Math.round(share * BAR_WIDTH);
    const bar = `${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}`;
    const width = (this.#stream.columns ?? TERMINAL_WIDTH) - 1;
    // \r back to the line's start, \x1b[K clears what a longer previous line left.
    this.#stream.write(`\r${truncate(`${bar} ${this.#status()}`, width)}\x1b[K`);
  }

  #share(): number {
    return this.#total === 0 ? 1 : Math.min(1, this.#done / this.#total);
  }

  #status(): string {
    const share = this.#share();
    const elapsedMs = this.#now() - this.#startedAt;
    const percent = `${Math.floor(share * 100)}%`.padStart(4);
    const left = share > 0 && share < 1 ? `, ~${formatDuration((elapsedMs / share) * (1 - share))} left` : "";
    const label = this.#label === "" ? "" : ` · ${this.#label}`;
    return `${percent} ${this.#done}/${this.#total} episodes · ${formatDuration(elapsedMs)}${left}${label}`;
  }
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** Words laid out in lines of at most `width` characters, each line after the first indented. */
function wrap(words: readonly string[], width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = `${indent}${word}`;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

/** Widths that fit every cell of `rows`, column by column. */
function columnWidths(rows: readonly (readonly string[])[]): number[] {
  const columns = Math.max(0, ...rows.map((row) => row.length));
  return Array.from({ length: columns }, (_, at) => Math.max(0, ...rows.map((row) => (row[at] ?? "").length)));
}

/**
 * Plain-text table: one header line per entry of `headers`, columns two spaces
 * apart, aligned per `align`; `widths` (e.g. shared by every environment's table) when given.
 */
function renderTable(
  headers: readonly (readonly string[])[],
  align: readonly ("left" | "right")[],
  rows: readonly string[][],
  widths: readonly number[] = columnWidths([...headers, ...rows]),
): string[] {
  const all = [...headers, ...rows];
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, at) => (align[at] === "left" ? cell.padEnd(widths[at] ?? 0) : cell.padStart(widths[at] ?? 0)))
      .join("  ")
      .trimEnd();
  return all.map(line);
}

const TERMINAL_COLUMNS: readonly SummaryColumn[] = SUMMARY_COLUMNS.filter((column) => column.terminal);

/** Strategies that proposed a lesson on some seed: the ones whose wrong merges, regressions and rollbacks mean something. */
function learners(environment: MultiSeedEnvironment): MultiSeedStrategy[] {
  return environment.strategies.filter((entry) => entry.seeds.some((run) => run.lessons.length > 0 || run.regressions.length > 0 || run.rollbacks.length > 0));
}

/** Per seed, each learner's wrong merges, regressions and rollbacks, in blocks of seeds that fit the width. */
function perSeedBlock(environment: MultiSeedEnvironment, seeds: readonly number[]): string[] {
  const entries = learners(environment);
  if (entries.length === 0) return [];
  const metrics = [
    ["wrong merged", (run: MultiSeedStrategy["seeds"][number]) => run.summary.badLessonsMerged],
    ["regressions", (run: MultiSeedStrategy["seeds"][number]) => run.summary.regressions],
    ["rollbacks", (run: MultiSeedStrategy["seeds"][number]) => run.summary.rollbacks],
  ] as const;
  const label = Math.max(...entries.map((entry) => entry.strategy.length)) + 2 + Math.max(...metrics.map(([name]) => name.length));
  const cell = Math.max(3, ...seeds.map((seed) => String(seed).length + 1), ...entries.flatMap((entry) => entry.seeds.flatMap((run) => metrics.map(([, value]) => String(value(run)).length + 1))));
  const perLine = Math.max(1, Math.floor((TERMINAL_WIDTH - 2 - label - 8) / cell));
  const lines: string[] = [];
  for (let from = 0; from < seeds.length; from += perLine) {
    const slice = seeds.slice(from, from + perLine);
    const last = from + perLine >= seeds.length;
    lines.push(`  ${"per seed".padEnd(label - 4)}seed${slice.map((seed) => String(seed).padStart(cell)).join("")}${last ? "   total" : ""}`);
    for (const entry of entries) {
      metrics.forEach(([name, value], at) => {
        const values = entry.seeds.map(value);
        const head = `${at === 0 ? entry.strategy : ""}`.padEnd(label - name.length) + name;
        const total = last ? String(values.reduce((sum, v) => sum + v, 0)).padStart(8) : "";
        lines.push(`  ${head}${values.slice(from, from + perLine).map((v) => String(v).padStart(cell)).join("")}${total}`);
      });
    }
  }
  return lines;
}

const TERMINAL_HEADERS = [TERMINAL_COLUMNS.map((column) => column.header[0]), TERMINAL_COLUMNS.map((column) => column.header[1])];

const summaryRows = (environment: MultiSeedEnvironment) => environment.strategies.map((entry) => TERMINAL_COLUMNS.map((column) => column.cell(entry)));

function environmentBlock(environment: MultiSeedEnvironment, seeds: readonly number[], widths: readonly number[]): string[] {
  const lines = [`${environment.name} — ${environment.description}`];
  environment.drifts.forEach((drift, at) => {
    const words = `drift ${at + 1} at episode ${drift.at}: ${drift.change} (${formatDriftTarget(drift)})`.split(" ");
    lines.push(...wrap(words, TERMINAL_WIDTH - 2, "    ").map((text) => `  ${text}`));
  });
  if (environment.drifts.length === 0) lines.push("  no drift");
  lines.push("", ...renderTable(TERMINAL_HEADERS, TERMINAL_COLUMNS.map((column) => column.align), summaryRows(environment), widths));
  if (environment.paired.length > 0) {
    lines.push(
      "",
      ...renderTable(
        [["paired success, seed by seed", "mean [95% CI]", "seeds"]],
        ["left", "right", "left"],
        environment.paired.map((pair) => [`  ${pair.strategy} − ${pair.baseline}`, formatPointsInterval(pair), formatSeedsWon(pair)]),
      ).map((line) => `  ${line}`),
    );
  }
  const perSeed = perSeedBlock(environment, seeds);
  if (perSeed.length > 0) lines.push("", ...perSeed);
  return lines;
}

/**
 * The run's summary for the terminal: its seeds and parameters, then one
 * block per environment — one row per strategy (means over seeds with 95%
 * intervals, counts summed over seeds), the paired comparisons, and each
 * learner's wrong merges, regressions and rollbacks seed by seed. Laid out for
 * `TERMINAL_WIDTH` columns.
 */
export function formatSummary(results: MultiSeedResults): string {
  const parameters = Object.entries(results.parameters).map(([key, value]) => `${key}=${String(value)}`);
  const seeds = results.seeds.length;
  const header = [
    `lessonloop benchmark · ${results.mode} · ${seeds} seed${seeds === 1 ? "" : "s"} (${formatSeeds(results.seeds)}) · ${results.episodes} episodes per environment`,
    `${formatDuration(results.wallMs)} with ${results.jobs} job${results.jobs === 1 ? "" : "s"} · machine: ${results.machine.cpus} CPUs, node ${results.machine.node}, ${results.machine.platform} · started ${results.startedAt}`,
    ...wrap(["parameters:", ...parameters], TERMINAL_WIDTH, "  "),
    seeds === 1
      ? "ONE SEED: no confidence interval — run several seeds (--seeds 1-10) before comparing strategies."
      : `figures: mean over ${seeds} seeds [95% confidence interval, Student t, df ${seeds - 1}]; counts summed over seeds.`,
  ];
  // One set of widths for every environment's table, so the columns line up down the page.
  const widths = columnWidths([...TERMINAL_HEADERS, ...results.environments.flatMap(summaryRows)]);
  const blocks = results.environments.map((environment) => environmentBlock(environment, results.seeds, widths).join("\n"));
  const legend = wrap(
    [
      `adapt. median: affected episodes after a drift before ${RECOVERY_RUN} consecutive successes, median over drifts and seeds that recovered;`,
      "never recov.: drifts (× seeds) never recovered, of those with enough episodes to tell;",
      "wrong/merged: lessons wrong for the world at the time / all merged;",
      "paired: per seed, the first strategy's success minus the second's on the same tasks, in percentage points; a tie is neither won nor lost;",
      "tokens/ep: agent and learning, prompt and completion; lesson tok/ep: prompt tokens of the strategy's context.",
    ]
      .join(" ")
      .split(" "),
    TERMINAL_WIDTH,
    "",
  );
  return [header.join("\n"), ...blocks, legend.join("\n")].join("\n\n") + "\n";
}
