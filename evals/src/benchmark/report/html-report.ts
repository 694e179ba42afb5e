import { DEFAULT_ROLLING_WINDOW, RECOVERY_RUN, meanAcross, rollingMean, summarizeLatency } from "../harness/metrics.js";
import {
  GENERATED_BY_BENCH,
  type MultiSeedEnvironment,
  type MultiSeedResults,
  type MultiSeedStrategy,
  type SeedRun,
} from "../harness/multi-seed-results.js";
import type { LessonEvent, StrategyName } from "../harness/results.js";
import { SafeHtml, html } from "./html-template.js";
import {
  SUMMARY_COLUMNS,
  formatDriftTarget,
  formatDuration,
  formatLatency,
  formatMedianLatency,
  formatPercent,
  formatPointsInterval,
  formatRateInterval,
  formatSeeds,
  formatSeedsWon,
} from "./summary-columns.js";
import { intervalChart, lineChart, type ChartSeries } from "./svg-chart.js";

/** One colour per strategy (Okabe–Ito, safe for colour-blind readers), the same in every chart and table. */
export const STRATEGY_STYLE: Record<StrategyName, { color: string; dash?: string; width?: number }> = {
  static: { color: "#8a8a8a" },
  reflection: { color: "#e69f00" },
  unvalidated: { color: "#d55e00" },
  lessonloop: { color: "#0072b2", width: 3 },
  "lessonloop-examples": { color: "#56b4e9", width: 2 },
  "examples-only": { color: "#cc79a7" },
  // Dashed: the ceiling, not a contender.
  oracle: { color: "#009e73", dash: "7 4" },
};

/** The stylesheet of the benchmark's pages (report.html, sweep.html), inlined in each. */
export const REPORT_STYLE = `
:root { color-scheme: light; --ink: #1d232b; --muted: #5b6572; --line: #dde2e8; --soft: #f4f6f9; --accent: #0072b2; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 32px 28px 64px; }
h1 { font-size: 28px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 22px; margin: 48px 0 4px; padding-top: 20px; border-top: 2px solid var(--ink); }
h3 { font-size: 16px; margin: 28px 0 8px; }
p { margin: 6px 0; }
.sub, .muted { color: var(--muted); }
.notice { background: #fff4d6; border: 1px solid #e6c35c; border-radius: 6px; padding: 8px 12px; margin: 16px 0; }
.maps { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 16px 32px; margin-top: 16px; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px 32px; margin-top: 16px; }
.card { background: var(--soft); border-radius: 8px; padding: 14px 18px; }
.card h3 { margin-top: 0; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
ul.read { padding-left: 20px; margin: 0; }
ul.read li { margin: 4px 0; }
table { border-collapse: collapse; width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 13px; line-height: 1.3; border-bottom: 2px solid var(--line); vertical-align: bottom; }
.scroll { overflow-x: auto; }
table.summary td { white-space: nowrap; }
table.summary th, table.summary td { padding: 6px 7px; }
td.num, th.num { text-align: right; }
td.text { overflow-wrap: anywhere; }
.nowrap { white-space: nowrap; }
tr.best td { background: #eef6fb; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 8px; vertical-align: -1px; }
.badge { display: inline-block; font-size: 12px; font-weight: 600; border-radius: 4px; padding: 0 6px; }
.badge.correct { background: #e3f4ec; color: #0b6b45; }
.badge.incorrect { background: #fde8e1; color: #a33a12; }
.badge.merged { background: #e6f0f8; color: #0b4f7c; }
.badge.rejected, .badge.parked { background: #eceef1; color: #4a525c; }
details { margin: 10px 0; border: 1px solid var(--line); border-radius: 8px; padding: 6px 14px; }
details > summary { cursor: pointer; font-weight: 600; padding: 4px 0; }
details[open] > summary { margin-bottom: 6px; }
.drifts { margin: 6px 0 0; padding-left: 0; list-style: none; font-size: 14px; color: var(--muted); }
.drifts b { color: var(--ink); }
svg.chart { display: block; width: 100%; height: auto; margin: 8px 0 0; }
svg .plot { fill: #fcfdfe; stroke: none; }
svg .grid { stroke: #e7ebf0; stroke-width: 1; }
svg .axis { stroke: #8c96a3; stroke-width: 1; }
svg .tick { fill: #5b6572; font-size: 12px; }
svg .label { fill: #3b4450; font-size: 13px; font-weight: 600; }
svg .legend { fill: #1d232b; font-size: 13px; }
svg .series { fill: none; stroke-linejoin: round; stroke-linecap: round; }
svg .marker line { stroke: #6b7480; stroke-width: 1.2; stroke-dasharray: 4 4; }
svg .marker text { fill: #3b4450; font-size: 12px; font-weight: 600; }
svg .event { fill: #fff; stroke-width: 2.5; }
td.up { color: #0b4f7c; font-weight: 600; }
svg.chart.heat { max-width: 760px; }
svg .cell-main { fill: #1d232b; font-size: 16px; font-weight: 700; }
svg .cell-sub { fill: #3b4450; font-size: 12px; }
p.caption { font-size: 15px; margin: 8px 0 4px; }
td.down { color: #a33a12; font-weight: 600; }
footer { margin-top: 48px; color: var(--muted); font-size: 13px; }
`;

/**
 * The start of every report page up to its body: the generated mark, a
 * Content-Security-Policy that allows no script and nothing from outside, the
 * title and the report style.
 */
export function reportHead(generatedBy: string, title: string): SafeHtml {
  return html`<!doctype html>
<!-- Generated ${generatedBy}. -->
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${title}</title>
<style>${new SafeHtml(REPORT_STYLE)}</style>
</head>`;
}

/** Longer lists start folded, so the page stays scannable. */
const OPEN_LESSON_ROWS = 30;
/** Rows a list shows at most; results.json keeps every one. */
const MAX_LIST_ROWS = 200;

const strategyName = (strategy: StrategyName): SafeHtml =>
  html`<span class="swatch" style="background:${STRATEGY_STYLE[strategy].color}"></span>${strategy}`;

const badge = (value: string): SafeHtml => html`<span class="badge ${value}">${value}</span>`;

/** Every seed's items of one kind, each with its seed, in seed order. */
function perSeed<Item>(entry: MultiSeedStrategy | undefined, items: (run: SeedRun) => readonly Item[]): { seed: number; item: Item }[] {
  return (entry?.seeds ?? []).flatMap((run) => items(run).map((item) => ({ seed: run.seed, item })));
}

function capped<Item>(rows: readonly Item[]): { shown: readonly Item[]; more: SafeHtml | "" } {
  if (rows.length <= MAX_LIST_ROWS) return { shown: rows, more: "" };
  return { shown: rows.slice(0, MAX_LIST_ROWS), more: html`<p class="muted">… and ${rows.length - MAX_LIST_ROWS} more in results.json.</p>` };
}

function lastIndex(environment: MultiSeedEnvironment): number {
  return Math.max(0, ...environment.strategies.map((entry) => (entry.seeds[0]?.episodes.passed.length ?? 1) - 1));
}

function driftMarkers(environment: MultiSeedEnvironment) {
  return environment.drifts.map((drift, at) => ({ at: drift.at, label: `D${at + 1}`, text: drift.change }));
}

/** The learning curve averaged over seeds: per episode the share of seeds that passed, then a rolling mean. */
function meanLearningCurve(entry: MultiSeedStrategy, window: number): ChartSeries["points"] {
  const passes = entry.seeds.map((run) => [...run.episodes.passed].map((char) => (char === "1" ? 1 : 0)));
  return rollingMean(meanAcross(passes), { window });
}

function meanMemoryCurve(entry: MultiSeedStrategy): ChartSeries["points"] {
  return meanAcross(entry.seeds.map((run) => run.episodes.memorySize)).map((value, index) => ({ index, value }));
}

function series(environment: MultiSeedEnvironment, curve: (entry: MultiSeedStrategy) => ChartSeries["points"]): ChartSeries[] {
  return environment.strategies.map((entry) => ({ name: entry.strategy, points: curve(entry), ...STRATEGY_STYLE[entry.strategy] }));
}

function summaryTable(environment: MultiSeedEnvironment): SafeHtml {
  const contenders = environment.strategies.filter((entry) => entry.strategy !== "oracle");
  const best = Math.max(...contenders.map((entry) => entry.aggregate.success.mean));
  return html`<div class="scroll"><table class="summary"><thead><tr>${SUMMARY_COLUMNS.map(
    (column) => html`<th class="${column.align === "right" ? "num" : ""}" title="${column.description}">${column.title}</th>`,
  )}</tr></thead><tbody>${environment.strategies.map((entry) => {
    const isBest = entry.strategy !== "oracle" && entry.aggregate.success.mean === best;
    const row = isBest ? html` class="best" title="highest mean success below the oracle (see the paired comparisons for whether it is a sure lead)"` : "";
    return html`<tr${row}>${SUMMARY_COLUMNS.map(
      (column, at) => html`<td class="${column.align === "right" ? "num" : ""}">${at === 0 ? strategyName(entry.strategy) : column.cell(entry)}</td>`,
    )}</tr>`;
  })}</tbody></table></div>`;
}

/** Per seed: every strategy's success, and each learner's wrong merges · regressions · rollbacks. */
function perSeedTable(environment: MultiSeedEnvironment, seeds: readonly number[]): SafeHtml {
  const learners = environment.strategies.filter((entry) => entry.seeds.some((run) => run.lessons.length + run.regressions.length + run.rollbacks.length > 0));
  return html`<div class="scroll"><table class="per-seed"><thead><tr><th class="num">Seed</th>${environment.strategies.map(
    (entry) => html`<th class="num nowrap">${strategyName(entry.strategy)}<br>success</th>`,
  )}${learners.map((entry) => html`<th class="num nowrap">${strategyName(entry.strategy)}<br>wrong · regr · roll</th>`)}</tr></thead><tbody>${seeds.map(
    (seed, at) =>
      html`<tr><td class="num">${seed}</td>${environment.strategies.map((entry) => {
        const run = entry.seeds[at];
        return html`<td class="num">${run === undefined ? "–" : formatPercent(run.summary.successRate)}</td>`;
      })}${learners.map((entry) => {
        const run = entry.seeds[at];
        return html`<td class="num">${run === undefined ? "–" : `${run.summary.badLessonsMerged} · ${run.summary.regressions} · ${run.summary.rollbacks}`}</td>`;
      })}</tr>`,
  )}<tr><td class="num"><b>total</b></td>${environment.strategies.map(() => html`<td></td>`)}${learners.map(
    (entry) => html`<td class="num"><b>${entry.aggregate.wrongMerged} · ${entry.aggregate.regressions} · ${entry.aggregate.rollbacks}</b></td>`,
  )}</tr></tbody></table></div>
<p class="muted">wrong · regr · roll: wrong lessons merged, regressions, rollbacks on that seed.</p>`;
}

function adaptationTable(environment: MultiSeedEnvironment): SafeHtml {
  if (environment.drifts.length === 0) return html`<p class="muted">No drift in this environment.</p>`;
  return html`<div class="scroll"><table><thead><tr><th>Drift</th><th class="num">At episode</th><th>Affects</th>${environment.strategies.map(
    (entry) => html`<th class="num nowrap">${strategyName(entry.strategy)}</th>`,
  )}</tr></thead><tbody>${environment.drifts.map(
    (drift, at) =>
      html`<tr><td class="text"><b>D${at + 1}</b> ${drift.change}</td><td class="num">${drift.at}</td><td>${formatDriftTarget(drift)}</td>${environment.strategies.map(
        (entry) => {
          const adaptations = entry.seeds.flatMap((run) => run.summary.adaptation.filter((a) => a.driftAt === drift.at && a.change === drift.change));
          if (adaptations.length === 0) return html`<td class="num">–</td>`;
          const latency = summarizeLatency(adaptations);
          const never = latency.neverRecovered > 0 ? ` · ∞ ${latency.neverRecovered}/${latency.recovered + latency.neverRecovered}` : "";
          return html`<td class="num nowrap" title="${`per seed: ${adaptations.map(formatLatency).join(", ")}`}">${formatMedianLatency(latency)}${never}</td>`;
        },
      )}</tr>`,
  )}</tbody></table></div>
<p class="muted">Median over seeds of the affected episodes (of the drift's kinds, and users where it names them, before the next drift on the same ones) until the first run of ${RECOVERY_RUN} consecutive successes, over the seeds that recovered; ∞ k/n: k of the n seeds with enough affected episodes never recovered within the stream. Hover a cell for every seed's figure.</p>`;
}

function lessonTable(lessons: readonly { seed: number; item: LessonEvent }[], { votes }: { votes: boolean }): SafeHtml {
  if (lessons.length === 0) return html`<p class="muted">None.</p>`;
  const { shown, more } = capped([...lessons].sort((a, b) => a.seed - b.seed || a.item.at - b.item.at));
  return html`<table><thead><tr><th class="num">Seed</th><th class="num">Episode</th><th>Lesson</th><th>Scope</th>${votes ? html`<th>Votes</th>` : ""}<th>Grade</th><th>Outcome</th></tr></thead><tbody>${shown.map(
    ({ seed, item: lesson }) =>
      html`<tr><td class="num">${seed}</td><td class="num">${lesson.at}</td><td class="text">${lesson.text}</td><td>${lesson.scope}</td>${votes ? html`<td>${lesson.votes ?? "–"}</td>` : ""}<td>${badge(lesson.grade)}</td><td>${badge(lesson.outcome)}</td></tr>`,
  )}</tbody></table>${more}`;
}

function lessonsSection(environment: MultiSeedEnvironment): SafeHtml {
  const lessonloop = environment.strategies.find((entry) => entry.strategy === "lessonloop");
  const unvalidated = environment.strategies.find((entry) => entry.strategy === "unvalidated");
  if (lessonloop === undefined && unvalidated === undefined) return html``;
  const merged = perSeed(lessonloop, (run) => run.lessons.filter((lesson) => lesson.outcome === "merged"));
  const rejected = perSeed(lessonloop, (run) => run.lessons.filter((lesson) => lesson.outcome !== "merged"));
  const badUnvalidated = perSeed(unvalidated, (run) => run.lessons.filter((lesson) => lesson.outcome === "merged" && lesson.grade === "incorrect"));
  const countBad = (lessons: readonly { item: LessonEvent }[]) => lessons.filter(({ item }) => item.grade === "incorrect").length;
  return html`<h3>Lessons, every seed</h3>
${
  lessonloop === undefined
    ? ""
    : html`<details${merged.length <= OPEN_LESSON_ROWS ? html` open` : ""}><summary>lessonloop merged ${merged.length} (${countBad(merged)} wrong)</summary>${lessonTable(merged, { votes: true })}</details>
<details><summary>lessonloop rejected or parked ${rejected.length} (${countBad(rejected)} wrong)</summary>${lessonTable(rejected, { votes: true })}</details>`
}
${unvalidated === undefined ? "" : html`<details><summary>unvalidated merged ${badUnvalidated.length} wrong lesson${badUnvalidated.length === 1 ? "" : "s"}</summary>${lessonTable(badUnvalidated, { votes: false })}</details>`}`;
}

function eventsSection(environment: MultiSeedEnvironment): SafeHtml {
  const rollbacks = environment.strategies.flatMap((entry) => perSeed(entry, (run) => run.rollbacks).map((row) => ({ strategy: entry.strategy, ...row })));
  const regressions = environment.strategies.flatMap((entry) => perSeed(entry, (run) => run.regressions).map((row) => ({ strategy: entry.strategy, ...row })));
  const shownRollbacks = capped(rollbacks);
  const shownRegressions = capped(regressions);
  return html`<h3>Rollbacks, every seed</h3>${
    rollbacks.length === 0
      ? html`<p class="muted">No rollback.</p>`
      : html`<table><thead><tr><th>Strategy</th><th class="num">Seed</th><th class="num">Episode</th><th class="num">From version</th><th class="num">To version</th><th>Reason</th></tr></thead><tbody>${shownRollbacks.shown.map(
          ({ strategy, seed, item }) =>
            html`<tr><td>${strategyName(strategy)}</td><td class="num">${seed}</td><td class="num">${item.at}</td><td class="num">${item.fromVersion}</td><td class="num">${item.toVersion}</td><td class="text">${item.reason}</td></tr>`,
        )}</tbody></table>${shownRollbacks.more}`
  }
<details><summary>Regressions, every seed: ${regressions.length}</summary>${
    regressions.length === 0
      ? html`<p class="muted">None.</p>`
      : html`<table><thead><tr><th>Strategy</th><th class="num">Seed</th><th class="num">Episode</th><th>Lesson</th><th>Probe task</th><th>Reason</th></tr></thead><tbody>${shownRegressions.shown.map(
          ({ strategy, seed, item }) =>
            html`<tr><td>${strategyName(strategy)}</td><td class="num">${seed}</td><td class="num">${item.at}</td><td>${item.lessonId}</td><td>${item.probeTaskId}</td><td class="text">${item.reason}</td></tr>`,
        )}</tbody></table>${shownRegressions.more}`
  }</details>`;
}

function environmentSection(environment: MultiSeedEnvironment, results: MultiSeedResults, rollingWindow: number): SafeHtml {
  const xMax = lastIndex(environment);
  const markers = driftMarkers(environment);
  const seeds = results.seeds.length;
  const over = seeds === 1 ? "one seed" : `mean over ${seeds} seeds`;
  const learning = lineChart({
    title: `${environment.name}: rolling success per strategy, ${over}`,
    series: series(environment, (entry) => meanLearningCurve(entry, rollingWindow)),
    xLabel: "episode",
    yLabel: `success, last ${rollingWindow} episodes`,
    xMax,
    yMax: 1,
    formatY: (value) => `${Math.round(value * 100)}%`,
    markers,
  });
  const memory = lineChart({
    title: `${environment.name}: memory size per strategy, ${over}`,
    series: series(environment, meanMemoryCurve),
    xLabel: "episode",
    yLabel: "lessons in memory",
    xMax,
    step: true,
    markers,
    markerText: false,
    height: 260,
    events: environment.strategies.flatMap((entry) => {
      const sizes = meanMemoryCurve(entry);
      return perSeed(entry, (run) => run.rollbacks).map(({ seed, item: rollback }) => ({
        at: rollback.at,
        value: sizes[rollback.at]?.value ?? 0,
        color: STRATEGY_STYLE[entry.strategy].color,
        title: `${entry.strategy}, seed ${seed}: rolled back v${rollback.fromVersion} → v${rollback.toVersion} at episode ${rollback.at}: ${rollback.reason}`,
      }));
    }),
  });
  const driftList =
    environment.drifts.length === 0
      ? html`<p class="muted">No drift in this environment.</p>`
      : html`<ul class="drifts">${environment.drifts.map(
          (drift, at) => html`<li><b>D${at + 1}</b> at episode ${drift.at}: ${drift.change} <span>(${formatDriftTarget(drift)})</span></li>`,
        )}</ul>`;
  return html`<section id="${`env-${environment.name}`}">
<h2>${environment.name}</h2>
<p class="sub">${environment.description}</p>
<h3>Learning curves, ${over}</h3>${learning}${driftList}
<h3>Memory size, ${over}</h3>${memory}<p class="muted">Lessons (reflections for reflection, rules for oracle) live after each episode, ${over}; circles mark rollbacks (the seed is in the tooltip).</p>
<h3>Summary over seeds</h3>${summaryTable(environment)}
<h3>Seed by seed</h3>${perSeedTable(environment, results.seeds)}
<h3>Adaptation latency per drift</h3>${adaptationTable(environment)}
${lessonsSection(environment)}
${eventsSection(environment)}
</section>`;
}

function overview(results: MultiSeedResults): SafeHtml {
  const strategies = results.environments[0]?.strategies.map((entry) => entry.strategy) ?? [];
  return html`<div class="scroll"><table><thead><tr><th>Environment</th>${strategies.map((strategy) => html`<th class="num nowrap">${strategyName(strategy)}</th>`)}</tr></thead><tbody>${results.environments.map(
    (environment) =>
      html`<tr><td><a href="${`#env-${environment.name}`}">${environment.name}</a></td>${strategies.map((strategy) => {
        const entry = environment.strategies.find((candidate) => candidate.strategy === strategy);
        return html`<td class="num nowrap">${entry === undefined ? "–" : formatRateInterval(entry.aggregate.success)}</td>`;
      })}</tr>`,
  )}</tbody></table></div>`;
}

function pairedSection(results: MultiSeedResults): SafeHtml {
  const pairs = results.environments.flatMap((environment) => environment.paired.map((pair) => ({ environment: environment.name, pair })));
  if (pairs.length === 0) return html``;
  const chart = intervalChart({
    title: "Paired success differences per environment, with 95% intervals",
    rows: pairs.map(({ environment, pair }) => ({
      label: `${environment}: ${pair.strategy} − ${pair.baseline}`,
      mean: pair.mean * 100,
      low: pair.ci95[0] * 100,
      high: pair.ci95[1] * 100,
      title: `${environment}, ${pair.strategy} − ${pair.baseline}: ${formatPointsInterval(pair)}, ${formatSeedsWon(pair)}`,
    })),
    xLabel: "success difference, percentage points (right of 0: lessonloop ahead)",
    formatX: (value) => `${value > 0 ? "+" : ""}${value.toFixed(Math.abs(value) < 10 && value !== 0 ? 1 : 0)}`,
  });
  return html`<h3>lessonloop against unvalidated learning and the frozen agent, seed by seed</h3>
<p class="muted">Each row: per seed, lessonloop's success minus the other strategy's on the same tasks; the dot is the mean difference, the bar its 95% interval. Blue: the whole interval is above 0 (lessonloop ahead); orange: below 0; grey: the interval holds 0, no sure difference.</p>
${chart}
<div class="scroll"><table><thead><tr><th>Environment</th><th>Comparison</th><th class="num">Mean [95% CI]</th><th>Seeds</th><th>Per seed (pts)</th></tr></thead><tbody>${pairs.map(
    ({ environment, pair }) =>
      html`<tr><td>${environment}</td><td class="nowrap">${pair.strategy} − ${pair.baseline}</td><td class="num nowrap ${pair.ci95[0] > 0 ? "up" : pair.ci95[1] < 0 ? "down" : ""}">${formatPointsInterval(pair)}</td><td class="nowrap">${formatSeedsWon(pair)}</td><td class="text">${pair.differences.map((difference) => (difference * 100).toFixed(1)).join(", ")}</td></tr>`,
  )}</tbody></table></div>`;
}

export interface HtmlReportParams {
  results: MultiSeedResults;
  /** Episodes per point of the learning curves; by default 10, or 1/25 of a longer stream so the curves stay readable. */
  rollingWindow?: number;
}

/**
 * `report.html`: one self-contained page (inline CSS and SVG, no script, no
 * network) with the run's seeds and parameters, how to read it, success over
 * seeds with 95% intervals, the paired comparisons, and per environment the
 * learning and memory curves averaged over seeds, the summary table, every
 * seed's figures, adaptation per drift, the lessons, rollbacks and
 * regressions. Every text is escaped.
 */
export function renderHtmlReport({
  results,
  rollingWindow = Math.max(DEFAULT_ROLLING_WINDOW, Math.round(results.episodes / 25)),
}: HtmlReportParams): string {
  const isFixture = results.parameters["fixture"] === true;
  const seeds = results.seeds.length;
  const run: [string, string][] = [
    ["mode", results.mode],
    ["seeds", `${seeds} (${formatSeeds(results.seeds)})`],
    ["episodes", `${results.episodes} per environment and seed`],
    ["started", results.startedAt],
    ["wall time", `${formatDuration(results.wallMs)}, ${results.jobs} seed${results.jobs === 1 ? "" : "s"} at a time`],
    ["machine", `${results.machine.cpus} CPUs · node ${results.machine.node} · ${results.machine.platform}`],
  ];
  const page = html`${reportHead(GENERATED_BY_BENCH, `lessonloop benchmark · ${results.mode} · ${seeds} seed${seeds === 1 ? "" : "s"}`)}
<body><main>
<h1>lessonloop benchmark</h1>
<p class="sub">${results.environments.length} environments · ${results.environments[0]?.strategies.length ?? 0} strategies on the same task streams · ${results.mode} mode · ${seeds} seed${seeds === 1 ? "" : "s"} (${formatSeeds(results.seeds)})</p>
${isFixture ? html`<p class="notice">These are fixture data, made up to test the report — not results.</p>` : ""}
${seeds === 1 ? html`<p class="notice">One seed: no confidence interval and no paired statistics to speak of. Run several seeds (<code>pnpm bench</code> runs 1–10) before comparing strategies.</p>` : ""}
<div class="grid2">
<div class="card"><h3>Run</h3><dl class="kv">${run.map(([key, value]) => html`<dt>${key}</dt><dd>${value}</dd>`)}</dl></div>
<div class="card"><h3>Parameters</h3><dl class="kv">${Object.entries(results.parameters).map(
    ([key, value]) => html`<dt>${key}</dt><dd>${String(value)}</dd>`,
  )}</dl></div>
</div>
<h3>How to read this</h3>
<ul class="read">
<li>Each seed is a whole run: its own task streams and the simulated models' own draws; within a seed every strategy sees the same tasks. At each drift (dashed line, <b>D1</b>, <b>D2</b> …) the world changes for some kinds of task. <b>static</b> never learns, <b>reflection</b> keeps its last few self-reflections, <b>unvalidated</b> merges every lesson it proposes, <b>lessonloop</b> merges only lessons its validators agree on and rolls back when results drop, <b>oracle</b> is told the rules in force (the ceiling).</li>
<li>Success is the mean over ${seeds} seed${seeds === 1 ? "" : "s"} with its 95% confidence interval in brackets (Student t, ${seeds - 1} degree${seeds === 2 ? "" : "s"} of freedom). Counts (merges, wrong merges, regressions, rollbacks) are summed over seeds; the seed-by-seed table has each seed's own.</li>
<li>Paired differences compare two strategies seed by seed on the same tasks, which removes the seeds' own ups and downs; "won 7 of 10" counts the seeds where lessonloop did better, and a tie counts as neither won nor lost.</li>
<li>Learning curves show, per episode, the share of seeds that passed, averaged over the last ${rollingWindow} episodes. A good learner dips at a drift and climbs back quickly; a bad lesson shows as a dip without a drift.</li>
<li>Adaptation latency counts the affected episodes after a drift until ${RECOVERY_RUN} in a row succeed: lower is better. The tables give the median over drifts and seeds that recovered, with the never-recovered ones counted apart.</li>
<li>"Wrong" lessons are graded against the world at the time they were learned; the grade is never shown to a strategy.</li>
</ul>
<details><summary>Columns of the summary tables</summary><dl class="kv">${SUMMARY_COLUMNS.map(
    (column) => html`<dt>${column.title}</dt><dd>${column.description}</dd>`,
  )}</dl></details>
<h3>Success rate by environment, mean [95% CI] over seeds</h3>${overview(results)}
${pairedSection(results)}
${results.environments.map((environment) => environmentSection(environment, results, rollingWindow))}
<footer>Generated ${GENERATED_BY_BENCH} · from results.json (schema version ${results.schemaVersion}).</footer>
</main></body>
</html>
`;
  return page.value;
}
