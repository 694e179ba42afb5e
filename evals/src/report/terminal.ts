import { RECOVERY_RUN } from "../harness/metrics.js";
import type { BenchmarkResults, EnvironmentResult } from "../harness/results.js";
import { SUMMARY_COLUMNS, formatDriftTarget, formatDuration, type SummaryColumn } from "./summary-columns.js";

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

  /** @param totalEpisodes Episodes the whole run will tick (every environment × strategy). */
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

/** Plain-text table with right- or left-aligned columns, two spaces apart. */
function renderTable(columns: readonly SummaryColumn[], rows: readonly string[][]): string[] {
  const widths = columns.map((column, at) =>
    Math.max(column.header[0].length, column.header[1].length, ...rows.map((row) => (row[at] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, at) => {
        const width = widths[at] ?? 0;
        return columns[at]?.align === "left" ? cell.padEnd(width) : cell.padStart(width);
      })
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header[0])), line(columns.map((c) => c.header[1])), ...rows.map(line)];
}

function environmentBlock(environment: EnvironmentResult): string[] {
  const lines = [`${environment.name} — ${environment.description}`];
  environment.drifts.forEach((drift, at) => {
    const words = `drift ${at + 1} at episode ${drift.at}: ${drift.change} (${formatDriftTarget(drift)})`.split(" ");
    lines.push(...wrap(words, TERMINAL_WIDTH - 2, "    ").map((text) => `  ${text}`));
  });
  if (environment.drifts.length === 0) lines.push("  no drift");
  const rows = environment.strategies.map((result) => SUMMARY_COLUMNS.map((column) => column.cell(result)));
  lines.push("", ...renderTable(SUMMARY_COLUMNS, rows));
  return lines;
}

/**
 * The run's summary for the terminal: its parameters, then one block per
 * environment with one row per strategy (the columns of `SUMMARY_COLUMNS`).
 * Laid out for `TERMINAL_WIDTH` columns.
 */
export function formatSummary(results: BenchmarkResults): string {
  const parameters = Object.entries(results.parameters).map(([key, value]) => `${key}=${String(value)}`);
  const header = [
    `lessonloop benchmark · ${results.mode} · seed ${results.seed} · ${results.episodes} episodes per environment · ${formatDuration(results.wallMs)}`,
    `machine: ${results.machine.cpus} CPUs, node ${results.machine.node}, ${results.machine.platform} · started ${results.startedAt}`,
    ...wrap(["parameters:", ...parameters], TERMINAL_WIDTH, "  "),
  ];
  const blocks = results.environments.map((environment) => environmentBlock(environment).join("\n"));
  const legend = wrap(
    [
      `adaptation latency: per drift, affected episodes before ${RECOVERY_RUN} consecutive successes (∞ never, – too few episodes);`,
      "bad/merged and bad/rej.: lessons wrong for the world at the time / all;",
      "tokens/ep: agent and learning, prompt and completion; lesson tok/ep: prompt tokens of the strategy's context.",
    ]
      .join(" ")
      .split(" "),
    TERMINAL_WIDTH,
    "",
  );
  return [header.join("\n"), ...blocks, legend.join("\n")].join("\n\n") + "\n";
}
