import { reportHead } from "../report/html-report.js";
import { SafeHtml, html } from "../report/html-template.js";
import {
  formatDuration,
  formatPoints,
  formatPointsInterval,
  formatPointsRange,
  formatRateInterval,
  formatSeeds,
  formatSeedsWon,
} from "../report/summary-columns.js";
import { heatMap, type HeatCell } from "../report/svg-chart.js";
import { GENERATED_BY_SWEEP, type SweepCell, type SweepPoint, type SweepResults } from "./sweep-results.js";

/** Lightest and deepest fills of a sure lead and of a sure loss; the fill of no sure difference. */
const AHEAD = ["#e3eef7", "#5b9bd0"] as const;
const BEHIND = ["#fbe6dc", "#ec925f"] as const;
const UNSURE = "#e9ecef";

/** A difference this large (20 points) gets the strongest colour. */
const FULL_COLOUR_AT = 0.2;

function mix(from: string, to: string, share: number): string {
  const channel = (hex: string, at: number) => Number.parseInt(hex.slice(1 + at * 2, 3 + at * 2), 16);
  const mixed = [0, 1, 2].map((at) => Math.round(channel(from, at) + (channel(to, at) - channel(from, at)) * share));
  return `#${mixed.map((value) => value.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * A cell's colour by the sign of the paired difference: blue when its whole
 * interval is above 0 (lessonloop ahead), orange when below, grey when it holds
 * 0; deeper for larger differences.
 */
export function differenceFill({ mean, ci95: [low, high] }: Pick<SweepCell["paired"], "mean" | "ci95">): string {
  const strength = Math.min(1, Math.abs(mean) / FULL_COLOUR_AT);
  if (low > 0) return mix(AHEAD[0], AHEAD[1], strength);
  if (high < 0) return mix(BEHIND[0], BEHIND[1], strength);
  return UNSURE;
}

const legend = html`<p class="muted"><span class="swatch" style="background:${AHEAD[1]}"></span>lessonloop ahead (the interval above 0; deeper: a larger lead) <span class="swatch" style="background:${BEHIND[1]};margin-left:16px"></span>behind (below 0) <span class="swatch" style="background:${UNSURE};margin-left:16px"></span>no sure difference (the interval holds 0)</p>`;

/** lessonloop's model calls per episode over unvalidated's, e.g. `×3.4`. */
export function callsRatio(cell: SweepCell): string {
  const base = cell.unvalidated.callsPerEpisode;
  return base === 0 ? "×–" : `×${(cell.lessonloop.callsPerEpisode / base).toFixed(1)}`;
}

const percent = (rate: number) => `${Math.round(rate * 1000) / 10}%`;
const scaleLabel = (scale: number) => `×${scale}${scale === 0 ? " (none)" : scale === 1 ? " (default)" : ""}`;

function heatCell(point: SweepPoint, cell: SweepCell, where: string): HeatCell {
  return {
    fill: differenceFill(cell.paired),
    lines: [
      formatPoints(cell.paired.mean),
      `${cell.paired.df === 0 ? "" : `${formatPointsRange(cell.paired.ci95)} · `}won ${cell.paired.seedsWon}/${cell.paired.n}`,
      `calls ${callsRatio(cell)}`,
    ],
    title: `${where}, learner errors ${scaleLabel(point.learnerErrorScale)}, validators misread ${percent(point.validatorMisreadRate)} of replays — lessonloop ${formatRateInterval(cell.lessonloop.success)}, ${cell.lessonloop.callsPerEpisode.toFixed(1)} calls/ep; unvalidated ${formatRateInterval(cell.unvalidated.success)}, ${cell.unvalidated.callsPerEpisode.toFixed(1)} calls/ep; difference ${formatPointsInterval(cell.paired)}, ${formatSeedsWon(cell.paired)}`,
  };
}

function sweepHeatMap(results: SweepResults, where: string, cellOf: (point: SweepPoint) => SweepCell | undefined, small = false): SafeHtml {
  const { learnerErrorScales: scales, validatorMisreadRates: misreads } = results.grid;
  return heatMap({
    title: `${where}: lessonloop − unvalidated success by learner error scale and validator misread rate`,
    rows: scales.map(scaleLabel),
    columns: misreads.map(percent),
    cells: scales.map((scale) =>
      misreads.map((misread) => {
        const point = results.points.find((candidate) => candidate.learnerErrorScale === scale && candidate.validatorMisreadRate === misread);
        const cell = point === undefined ? undefined : cellOf(point);
        return point === undefined || cell === undefined ? { fill: "#ffffff", lines: ["–"], title: "not run" } : heatCell(point, cell, where);
      }),
    ),
    rowLabel: "learner errors",
    columnLabel: "validators misread, per replay",
    ...(small ? { cellWidth: 170, cellHeight: 72 } : {}),
  });
}

function table(results: SweepResults, where: string, cellOf: (point: SweepPoint) => SweepCell | undefined): SafeHtml {
  return html`<div class="scroll"><table><thead><tr><th>Learner errors</th><th class="num">Misread</th><th class="num">lessonloop success</th><th class="num">calls/ep</th><th class="num">unvalidated success</th><th class="num">calls/ep</th><th class="num">Difference [95% CI]</th><th>Seeds</th><th class="num">Wrong/merged (ll · unv.)</th></tr></thead><tbody>${results.points.map(
    (point) => {
      const cell = cellOf(point);
      if (cell === undefined) return html``;
      const sure = cell.paired.ci95[0] > 0 ? "up" : cell.paired.ci95[1] < 0 ? "down" : "";
      return html`<tr><td class="nowrap">${scaleLabel(point.learnerErrorScale)}</td><td class="num">${percent(point.validatorMisreadRate)}</td><td class="num nowrap">${formatRateInterval(cell.lessonloop.success)}</td><td class="num">${cell.lessonloop.callsPerEpisode.toFixed(1)}</td><td class="num nowrap">${formatRateInterval(cell.unvalidated.success)}</td><td class="num">${cell.unvalidated.callsPerEpisode.toFixed(1)}</td><td class="num nowrap ${sure}">${formatPointsInterval(cell.paired)}</td><td class="nowrap">${formatSeedsWon(cell.paired)}</td><td class="num nowrap">${cell.lessonloop.wrongMerged}/${cell.lessonloop.merged} · ${cell.unvalidated.wrongMerged}/${cell.unvalidated.merged}</td></tr>`;
    },
  )}</tbody></table></div><p class="muted">${where}. Success: mean over seeds [95% CI]; wrong/merged summed over seeds.</p>`;
}

/**
 * `sweep.html`: one self-contained page (inline CSS and SVG, no script) with
 * a heat map of lessonloop − unvalidated success per grid point (all
 * environments, then each), the calls ratio in each cell, and the figures
 * behind them. Every text is escaped.
 */
export function renderSweepReport(results: SweepResults): string {
  const seeds = results.seeds.length;
  const caption = `How to read: each cell is one setting of the simulated learner's error rates (rows, as multiples of its defaults) and of the validators' misread rate (columns); its figure is lessonloop's success minus unvalidated learning's in percentage points, mean over ${seeds} seed${seeds === 1 ? "" : "s"} [95% CI] — blue where lessonloop is ahead beyond doubt (the whole interval above 0), orange where it is behind, grey where the interval holds 0 — and "calls ×k" is lessonloop's model calls per episode over unvalidated's.`;
  const rates = results.defaultLearnerRates;
  const page = html`${reportHead(GENERATED_BY_SWEEP, "lessonloop sweep · learner and validator error rates")}
<body><main>
<h1>lessonloop against unvalidated learning, across error rates</h1>
<p class="sub">${results.environments.length} environments · ${seeds} seed${seeds === 1 ? "" : "s"} (${formatSeeds(results.seeds)}) per grid point · ${results.episodes} episodes each · ${results.mode} mode · ${formatDuration(results.wallMs)} with ${results.jobs} processes · ${results.machine.cpus} CPUs, node ${results.machine.node}</p>
${seeds === 1 ? html`<p class="notice">One seed per grid point: no confidence interval. Run several seeds (the default is 1–3) before reading differences.</p>` : ""}
<p class="caption">${caption}</p>
${legend}
<h2>All environments</h2>
${sweepHeatMap(results, "all environments", (point) => point.overall)}
<p class="muted">Each seed's success over all environments is the mean of its per-environment successes; unvalidated learning has no validators, so one run per learner setting and seed serves its whole row. Learner defaults (×1): false lessons ${rates.falseLessonRate}, over-general ${rates.overGeneralRate}, credulous toward injected instructions ${rates.credulityInjection} and toward wrong feedback ${rates.credulityFeedback}, each multiplied by the row's factor and capped at 1; each of the three validators misreads a replay at the column's rate.</p>
<h2>Per environment</h2>
<div class="maps">${results.environments.map(
    (name) => html`<div><h3>${name}</h3>${sweepHeatMap(results, name, (point) => point.environments.find((entry) => entry.name === name), true)}</div>`,
  )}</div>
<h2>The figures</h2>
${table(results, "All environments", (point) => point.overall)}
${results.environments.map((name) => html`<details><summary>${name}</summary>${table(results, name, (point) => point.environments.find((entry) => entry.name === name))}</details>`)}
<footer>Generated ${GENERATED_BY_SWEEP} · from sweep.json (schema version ${results.schemaVersion}) · started ${results.startedAt}.</footer>
</main></body>
</html>
`;
  return page.value;
}

/** The sweep for the terminal: one line per grid point over all environments. */
export function formatSweepSummary(results: SweepResults): string {
  const head = [
    `lessonloop sweep · ${results.seeds.length} seed${results.seeds.length === 1 ? "" : "s"} (${formatSeeds(results.seeds)}) per point · ${results.episodes} episodes · ${results.environments.join(", ")}`,
    `${formatDuration(results.wallMs)} with ${results.jobs} processes · lessonloop − unvalidated success, all environments, mean [95% CI]`,
    "",
  ];
  const rows = results.points.map((point) => {
    const cell = point.overall;
    return [
      `learner ${scaleLabel(point.learnerErrorScale)}`,
      `misread ${percent(point.validatorMisreadRate)}`,
      formatPointsInterval(cell.paired),
      formatSeedsWon(cell.paired),
      `ll ${formatRateInterval(cell.lessonloop.success)}`,
      `calls ${callsRatio(cell)}`,
    ];
  });
  const widths = rows[0]?.map((_, at) => Math.max(...rows.map((row) => (row[at] ?? "").length))) ?? [];
  return [...head, ...rows.map((row) => row.map((text, at) => text.padEnd(widths[at] ?? 0)).join("  ").trimEnd())].join("\n") + "\n";
}
