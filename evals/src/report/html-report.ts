import { DEFAULT_ROLLING_WINDOW, RECOVERY_RUN, memorySizeOverTime, rollingSuccess } from "../harness/metrics.js";
import type {
  BenchmarkResults,
  EnvironmentResult,
  LessonEvent,
  StrategyName,
  StrategyResult,
} from "../harness/results.js";
import { SafeHtml, html } from "./html-template.js";
import { SUMMARY_COLUMNS, formatDriftTarget, formatDuration, formatLatency, formatPercent } from "./summary-columns.js";
import { lineChart, type ChartSeries } from "./svg-chart.js";

/** One colour per strategy (Okabe–Ito, safe for colour-blind readers), the same in every chart and table. */
export const STRATEGY_STYLE: Record<StrategyName, { color: string; dash?: string; width?: number }> = {
  static: { color: "#8a8a8a" },
  reflection: { color: "#e69f00" },
  unvalidated: { color: "#d55e00" },
  lessonloop: { color: "#0072b2", width: 3 },
  // Dashed: the ceiling, not a contender.
  oracle: { color: "#009e73", dash: "7 4" },
};

const STYLE = `
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
footer { margin-top: 48px; color: var(--muted); font-size: 13px; }
`;

/** Longer lesson lists start folded, so the page stays scannable. */
const OPEN_LESSON_ROWS = 30;

const strategyName = (strategy: StrategyName): SafeHtml =>
  html`<span class="swatch" style="background:${STRATEGY_STYLE[strategy].color}"></span>${strategy}`;

const badge = (value: string): SafeHtml => html`<span class="badge ${value}">${value}</span>`;

function series(environment: EnvironmentResult, curve: (result: StrategyResult) => ChartSeries["points"]): ChartSeries[] {
  return environment.strategies.map((result) => ({
    name: result.strategy,
    points: curve(result),
    ...STRATEGY_STYLE[result.strategy],
  }));
}

function lastIndex(environment: EnvironmentResult): number {
  return Math.max(0, ...environment.strategies.flatMap((result) => result.episodes.map((episode) => episode.index)));
}

function driftMarkers(environment: EnvironmentResult) {
  return environment.drifts.map((drift, at) => ({ at: drift.at, label: `D${at + 1}`, text: drift.change }));
}

function summaryTable(environment: EnvironmentResult): SafeHtml {
  const best = Math.max(...environment.strategies.filter((r) => r.strategy !== "oracle").map((r) => r.summary.successRate));
  return html`<div class="scroll"><table class="summary"><thead><tr>${SUMMARY_COLUMNS.map(
    (column) => html`<th class="${column.align === "right" ? "num" : ""}" title="${column.description}">${column.title}</th>`,
  )}</tr></thead><tbody>${environment.strategies.map((result) => {
    const isBest = result.strategy !== "oracle" && result.summary.successRate === best;
    const row = isBest ? html` class="best" title="highest success below the oracle"` : "";
    return html`<tr${row}>${SUMMARY_COLUMNS.map(
      (column, at) =>
        html`<td class="${column.align === "right" ? "num" : ""}">${at === 0 ? strategyName(result.strategy) : column.cell(result)}</td>`,
    )}</tr>`;
  })}</tbody></table></div>`;
}

function adaptationTable(environment: EnvironmentResult): SafeHtml {
  if (environment.drifts.length === 0) return html`<p class="muted">No drift in this environment.</p>`;
  return html`<table><thead><tr><th>Drift</th><th class="num">At episode</th><th>Affects</th>${environment.strategies.map(
    (result) => html`<th class="num nowrap">${strategyName(result.strategy)}</th>`,
  )}</tr></thead><tbody>${environment.drifts.map((drift, at) => {
    return html`<tr><td class="text"><b>D${at + 1}</b> ${drift.change}</td><td class="num">${drift.at}</td><td>${formatDriftTarget(drift)}</td>${environment.strategies.map(
      (result) => {
        const adaptation = result.summary.adaptation.find((a) => a.driftAt === drift.at && a.change === drift.change);
        return html`<td class="num" title="${adaptation === undefined ? "" : `${adaptation.affectedEpisodes} affected episodes in the window`}">${adaptation === undefined ? "–" : formatLatency(adaptation)}</td>`;
      },
    )}</tr>`;
  })}</tbody></table>
<p class="muted">Affected episodes (of the drift's kinds, and users where it names them, before the next drift on the same ones) until the first run of ${RECOVERY_RUN} consecutive successes. ∞: never within the stream; –: fewer than ${RECOVERY_RUN} affected episodes to tell.</p>`;
}

function lessonTable(lessons: readonly LessonEvent[], { votes }: { votes: boolean }): SafeHtml {
  if (lessons.length === 0) return html`<p class="muted">None.</p>`;
  return html`<table><thead><tr><th class="num">Episode</th><th>Lesson</th><th>Scope</th>${votes ? html`<th>Votes</th>` : ""}<th>Grade</th><th>Outcome</th></tr></thead><tbody>${[
    ...lessons,
  ]
    .sort((a, b) => a.at - b.at)
    .map(
      (lesson) =>
        html`<tr><td class="num">${lesson.at}</td><td class="text">${lesson.text}</td><td>${lesson.scope}</td>${votes ? html`<td>${lesson.votes ?? "–"}</td>` : ""}<td>${badge(lesson.grade)}</td><td>${badge(lesson.outcome)}</td></tr>`,
    )}</tbody></table>`;
}

function lessonsSection(environment: EnvironmentResult): SafeHtml {
  const lessonloop = environment.strategies.find((result) => result.strategy === "lessonloop");
  const unvalidated = environment.strategies.find((result) => result.strategy === "unvalidated");
  const merged = lessonloop?.lessons.filter((lesson) => lesson.outcome === "merged") ?? [];
  const rejected = lessonloop?.lessons.filter((lesson) => lesson.outcome !== "merged") ?? [];
  const badUnvalidated = unvalidated?.lessons.filter((l) => l.outcome === "merged" && l.grade === "incorrect") ?? [];
  const countBad = (lessons: readonly LessonEvent[]) => lessons.filter((lesson) => lesson.grade === "incorrect").length;
  if (lessonloop === undefined && unvalidated === undefined) return html``;
  return html`<h3>Lessons</h3>
${
  lessonloop === undefined
    ? ""
    : html`<details${merged.length <= OPEN_LESSON_ROWS ? html` open` : ""}><summary>lessonloop merged ${merged.length} (${countBad(merged)} wrong)</summary>${lessonTable(merged, { votes: true })}</details>
<details><summary>lessonloop rejected or parked ${rejected.length} (${countBad(rejected)} wrong)</summary>${lessonTable(rejected, { votes: true })}</details>`
}
${unvalidated === undefined ? "" : html`<details><summary>unvalidated merged ${badUnvalidated.length} wrong lesson${badUnvalidated.length === 1 ? "" : "s"}</summary>${lessonTable(badUnvalidated, { votes: false })}</details>`}`;
}

function eventsSection(environment: EnvironmentResult): SafeHtml {
  const rollbacks = environment.strategies.flatMap((result) => result.rollbacks.map((event) => ({ strategy: result.strategy, event })));
  const regressions = environment.strategies.flatMap((result) => result.regressions.map((event) => ({ strategy: result.strategy, event })));
  return html`<h3>Rollbacks</h3>${
    rollbacks.length === 0
      ? html`<p class="muted">No rollback.</p>`
      : html`<table><thead><tr><th>Strategy</th><th class="num">Episode</th><th class="num">From version</th><th class="num">To version</th><th>Reason</th></tr></thead><tbody>${rollbacks.map(
          ({ strategy, event }) =>
            html`<tr><td>${strategyName(strategy)}</td><td class="num">${event.at}</td><td class="num">${event.fromVersion}</td><td class="num">${event.toVersion}</td><td class="text">${event.reason}</td></tr>`,
        )}</tbody></table>`
  }
<details><summary>Regressions ${regressions.length}</summary>${
    regressions.length === 0
      ? html`<p class="muted">None.</p>`
      : html`<table><thead><tr><th>Strategy</th><th class="num">Episode</th><th>Lesson</th><th>Probe task</th><th>Reason</th></tr></thead><tbody>${regressions.map(
          ({ strategy, event }) =>
            html`<tr><td>${strategyName(strategy)}</td><td class="num">${event.at}</td><td>${event.lessonId}</td><td>${event.probeTaskId}</td><td class="text">${event.reason}</td></tr>`,
        )}</tbody></table>`
  }</details>`;
}

function environmentSection(environment: EnvironmentResult, rollingWindow: number): SafeHtml {
  const xMax = lastIndex(environment);
  const markers = driftMarkers(environment);
  const learning = lineChart({
    title: `${environment.name}: rolling success per strategy`,
    series: series(environment, (result) => rollingSuccess(result.episodes, { window: rollingWindow })),
    xLabel: "episode",
    yLabel: `success, last ${rollingWindow} episodes`,
    xMax,
    yMax: 1,
    formatY: (value) => `${Math.round(value * 100)}%`,
    markers,
  });
  const memory = lineChart({
    title: `${environment.name}: memory size per strategy`,
    series: series(environment, (result) => memorySizeOverTime(result.episodes)),
    xLabel: "episode",
    yLabel: "lessons in memory",
    xMax,
    integerY: true,
    step: true,
    markers,
    markerText: false,
    height: 260,
    events: environment.strategies.flatMap((result) => {
      const sizes = memorySizeOverTime(result.episodes);
      return result.rollbacks.map((rollback) => ({
        at: rollback.at,
        value: sizes.find((point) => point.index === rollback.at)?.value ?? 0,
        color: STRATEGY_STYLE[result.strategy].color,
        title: `${result.strategy} rolled back v${rollback.fromVersion} → v${rollback.toVersion} at episode ${rollback.at}: ${rollback.reason}`,
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
<h3>Learning curves</h3>${learning}${driftList}
<h3>Memory size</h3>${memory}<p class="muted">Lessons (reflections for reflection, rules for oracle) live after each episode; circles mark rollbacks.</p>
<h3>Summary</h3>${summaryTable(environment)}
<h3>Adaptation latency per drift</h3>${adaptationTable(environment)}
${lessonsSection(environment)}
${eventsSection(environment)}
</section>`;
}

function overview(results: BenchmarkResults): SafeHtml {
  const strategies = results.environments[0]?.strategies.map((result) => result.strategy) ?? [];
  return html`<table><thead><tr><th>Environment</th>${strategies.map((strategy) => html`<th class="num nowrap">${strategyName(strategy)}</th>`)}</tr></thead><tbody>${results.environments.map(
    (environment) =>
      html`<tr><td><a href="${`#env-${environment.name}`}">${environment.name}</a></td>${strategies.map((strategy) => {
        const result = environment.strategies.find((r) => r.strategy === strategy);
        return html`<td class="num">${result === undefined ? "–" : formatPercent(result.summary.successRate)}</td>`;
      })}</tr>`,
  )}</tbody></table>`;
}

export interface HtmlReportParams {
  results: BenchmarkResults;
  /** Episodes per point of the learning curves; by default 10, or 1/25 of a longer stream so the curves stay readable. */
  rollingWindow?: number;
}

/**
 * `report.html`: one self-contained page (inline CSS and SVG, no script, no
 * network) with the run's parameters, how to read it, and per environment the
 * learning and memory curves, the summary table, adaptation per drift, the
 * lessons, rollbacks and regressions. Every text is escaped.
 */
export function renderHtmlReport({
  results,
  rollingWindow = Math.max(DEFAULT_ROLLING_WINDOW, Math.round(results.episodes / 25)),
}: HtmlReportParams): string {
  const isFixture = results.parameters["fixture"] === true;
  const run: [string, string][] = [
    ["mode", results.mode],
    ["seed", String(results.seed)],
    ["episodes", `${results.episodes} per environment`],
    ["started", results.startedAt],
    ["wall time", formatDuration(results.wallMs)],
    ["machine", `${results.machine.cpus} CPUs · node ${results.machine.node} · ${results.machine.platform}`],
  ];
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>lessonloop benchmark · ${results.mode} · seed ${results.seed}</title>
<style>${new SafeHtml(STYLE)}</style>
</head>
<body><main>
<h1>lessonloop benchmark</h1>
<p class="sub">${results.environments.length} environments · ${results.environments[0]?.strategies.length ?? 0} strategies on the same task stream · ${results.mode} mode · seed ${results.seed}</p>
${isFixture ? html`<p class="notice">These are fixture data, made up to test the report — not results.</p>` : ""}
<div class="grid2">
<div class="card"><h3>Run</h3><dl class="kv">${run.map(([key, value]) => html`<dt>${key}</dt><dd>${value}</dd>`)}</dl></div>
<div class="card"><h3>Parameters</h3><dl class="kv">${Object.entries(results.parameters).map(
    ([key, value]) => html`<dt>${key}</dt><dd>${String(value)}</dd>`,
  )}</dl></div>
</div>
<h3>How to read this</h3>
<ul class="read">
<li>Every strategy sees the same stream of tasks; at each drift (dashed line, <b>D1</b>, <b>D2</b> …) the world changes for some kinds of task. <b>static</b> never learns, <b>reflection</b> keeps its last few self-reflections, <b>unvalidated</b> merges every lesson it proposes, <b>lessonloop</b> merges only lessons its validators agree on and rolls back when results drop, <b>oracle</b> is told the rules in force (the ceiling).</li>
<li>Learning curves show the success rate over the last ${rollingWindow} episodes. A good learner dips at a drift and climbs back quickly; a bad lesson shows as a dip without a drift.</li>
<li>Adaptation latency counts the affected episodes after a drift until ${RECOVERY_RUN} in a row succeed: lower is better.</li>
<li>"Wrong" lessons are graded against the world at the time they were learned; the grade is never shown to a strategy.</li>
</ul>
<details><summary>Columns of the summary tables</summary><dl class="kv">${SUMMARY_COLUMNS.map(
    (column) => html`<dt>${column.title}</dt><dd>${column.description}</dd>`,
  )}</dl></details>
<h3>Success rate by environment</h3>${overview(results)}
${results.environments.map((environment) => environmentSection(environment, rollingWindow))}
<footer>Generated from results.json (schema version ${results.schemaVersion}).</footer>
</main></body>
</html>
`;
  return page.value;
}
