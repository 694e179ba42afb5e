import type { CurvePoint } from "../harness/metrics.js";
import { html, type SafeHtml } from "./html-template.js";

/** One line of a chart. */
export interface ChartSeries {
  name: string;
  color: string;
  points: readonly CurvePoint[];
  /** SVG dash pattern, e.g. `6 4`; solid when absent. */
  dash?: string;
  /** Stroke width in px. */
  width?: number;
}

/** A vertical dashed line across the plot, labelled in the band above it (the drifts). */
export interface ChartMarker {
  at: number;
  /** Short label drawn on the chart, e.g. `D1`. */
  label: string;
  /** The full text, drawn after the label where it fits and always in the tooltip. */
  text: string;
}

/** A point marked on one series (e.g. a rollback), with a tooltip. */
export interface ChartEvent {
  at: number;
  value: number;
  color: string;
  title: string;
}

export interface LineChartParams {
  /** Accessible name of the chart. */
  title: string;
  series: readonly ChartSeries[];
  xLabel: string;
  yLabel: string;
  /** Largest x (the last episode index); at least 1 is used. */
  xMax: number;
  /** Fixed y range top (e.g. 1 for a rate); by default a round number above the data. */
  yMax?: number;
  formatY?: (value: number) => string;
  /** Whole-number y ticks only (counts). */
  integerY?: boolean;
  /** Draw each series as steps (a value holds until the next point), for counts such as memory size. */
  step?: boolean;
  markers?: readonly ChartMarker[];
  /** Draw each marker's text after its label (else the label only; the text stays in the tooltip). */
  markerText?: boolean;
  events?: readonly ChartEvent[];
  width?: number;
  height?: number;
}

const MARGIN = { top: 56, right: 20, bottom: 46, left: 60 };
/** Approximate width of one character of the 12–13 px label fonts (bold), to fit labels without measuring. */
const CHAR_PX = 7.4;

/** A step of 1, 2 or 5 × 10ⁿ giving about `target` intervals over `span`. */
function niceStep(span: number, target: number): number {
  const raw = span / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  const nice = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10;
  return nice * magnitude;
}

/** Ticks from 0 to the first step at or above `max`. */
function ticks(max: number, target: number, integer: boolean): number[] {
  const step = integer ? Math.max(1, Math.round(niceStep(max, target))) : niceStep(max, target);
  const count = Math.ceil(max / step - 1e-9);
  return Array.from({ length: count + 1 }, (_, at) => Number((at * step).toFixed(10)));
}

const round = (value: number): string => value.toFixed(1);

function fit(text: string, px: number): string {
  const chars = Math.floor(px / CHAR_PX);
  if (text.length <= chars) return text;
  return chars < 4 ? "" : `${text.slice(0, chars - 1)}…`;
}

/**
 * A line chart as inline SVG (no script, no external resource): axes with
 * ticks and labels, light grid, a legend, labelled vertical markers and
 * event dots. Scales to its container's width through its viewBox.
 */
export function lineChart({
  title,
  series,
  xLabel,
  yLabel,
  xMax: rawXMax,
  yMax: fixedYMax,
  formatY = (value) => String(value),
  integerY = false,
  step = false,
  markers = [],
  markerText = true,
  events = [],
  width = 1040,
  height = 320,
}: LineChartParams): SafeHtml {
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  // The x axis ends on a round tick at or after the last episode.
  const xTickValues = ticks(Math.max(1, rawXMax), 10, true);
  const xMax = xTickValues.at(-1) ?? 1;
  const dataMax = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.value)));
  const yTicks = ticks(fixedYMax ?? Math.max(integerY ? 4 : 1, dataMax), 5, integerY);
  const yMax = fixedYMax ?? yTicks.at(-1) ?? 1;
  const x = (value: number): number => MARGIN.left + (value / xMax) * plotWidth;
  const y = (value: number): number => MARGIN.top + plotHeight - (value / Math.max(yMax, 1e-9)) * plotHeight;
  const bottom = MARGIN.top + plotHeight;

  const grid = yTicks.map(
    (value) => html`<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${round(y(value))}" y2="${round(y(value))}"/>
<text class="tick" x="${MARGIN.left - 8}" y="${round(y(value) + 4)}" text-anchor="end">${formatY(value)}</text>`,
  );
  const xTicks = xTickValues.map(
    (value) => html`<line class="axis" x1="${round(x(value))}" x2="${round(x(value))}" y1="${bottom}" y2="${bottom + 5}"/>
<text class="tick" x="${round(x(value))}" y="${bottom + 18}" text-anchor="middle">${value}</text>`,
  );

  const sortedMarkers = [...markers].sort((a, b) => a.at - b.at);
  const markerLines = sortedMarkers.map((marker, at) => {
    const next = sortedMarkers[at + 1];
    const room = (next === undefined ? MARGIN.left + plotWidth : x(next.at)) - x(marker.at) - 10;
    const label = (markerText ? fit(`${marker.label} ${marker.text}`, room) : "") || marker.label;
    return html`<g class="marker"><title>${marker.label} at episode ${marker.at}: ${marker.text}</title>
<line x1="${round(x(marker.at))}" x2="${round(x(marker.at))}" y1="${MARGIN.top - 14}" y2="${bottom}"/>
<text x="${round(x(marker.at) + 4)}" y="${MARGIN.top - 4}">${label}</text></g>`;
  });

  const lines = series.map((s) => {
    const points = s.points.flatMap((point, at) => {
      const here = `${round(x(point.index))},${round(y(point.value))}`;
      const previous = s.points[at - 1];
      return step && previous !== undefined ? [`${round(x(point.index))},${round(y(previous.value))}`, here] : [here];
    });
    return html`<polyline class="series" stroke="${s.color}" stroke-width="${s.width ?? 2}"${s.dash === undefined ? "" : html` stroke-dasharray="${s.dash}"`} points="${points.join(" ")}"><title>${s.name}</title></polyline>`;
  });

  const dots = events.map(
    (event) => html`<circle class="event" cx="${round(x(event.at))}" cy="${round(y(event.value))}" r="5" stroke="${event.color}"><title>${event.title}</title></circle>`,
  );

  let legendX = MARGIN.left;
  const legend = series.map((s) => {
    const item = html`<g transform="translate(${round(legendX)},14)"><line x1="0" x2="22" y1="0" y2="0" stroke="${s.color}" stroke-width="3"${s.dash === undefined ? "" : html` stroke-dasharray="${s.dash}"`}/><text class="legend" x="28" y="4">${s.name}</text></g>`;
    legendX += 38 + s.name.length * CHAR_PX;
    return item;
  });

  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}">
<rect class="plot" x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}"/>
${grid}${xTicks}
<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${bottom}" y2="${bottom}"/>
<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${bottom}"/>
${markerLines}${lines}${dots}${legend}
<text class="label" x="${MARGIN.left + plotWidth / 2}" y="${height - 6}" text-anchor="middle">${xLabel}</text>
<text class="label" transform="translate(16,${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${yLabel}</text>
</svg>`;
}

/** One row of an interval chart: a mean and its interval, e.g. a paired difference. */
export interface IntervalRow {
  label: string;
  mean: number;
  low: number;
  high: number;
  /** The tooltip: what the row is and its figures. */
  title: string;
}

export interface IntervalChartParams {
  /** Accessible name of the chart. */
  title: string;
  rows: readonly IntervalRow[];
  xLabel: string;
  formatX?: (value: number) => string;
  width?: number;
  rowHeight?: number;
}

/** Colour of an interval: blue wholly above 0, orange wholly below, grey when it holds 0 (no sure difference). */
export function intervalColor(low: number, high: number): string {
  if (low > 0) return "#0072b2";
  if (high < 0) return "#d55e00";
  return "#8a8a8a";
}

const INTERVAL_MARGIN = { top: 16, right: 80, bottom: 46 };

/**
 * A forest plot as inline SVG: one row per comparison, a dot at its mean and
 * a bar over its interval, around a solid zero line; coloured by whether the
 * interval lies above 0, below it, or holds it.
 */
export function intervalChart({
  title,
  rows,
  xLabel,
  formatX = (value) => String(value),
  width = 1040,
  rowHeight = 28,
}: IntervalChartParams): SafeHtml {
  // Room for the longest label at the left of the rows.
  const left = Math.max(160, Math.ceil(Math.max(0, ...rows.map((row) => row.label.length)) * CHAR_PX) + 24);
  const plotWidth = width - left - INTERVAL_MARGIN.right;
  const plotHeight = Math.max(1, rows.length) * rowHeight;
  const height = INTERVAL_MARGIN.top + plotHeight + INTERVAL_MARGIN.bottom;
  const reach = Math.max(1e-9, ...rows.flatMap((row) => [Math.abs(row.low), Math.abs(row.high), Math.abs(row.mean)]));
  const positive = ticks(reach, 4, false);
  const edge = positive.at(-1) ?? 1;
  const xTicks = [...positive.slice(1).map((value) => -value).reverse(), ...positive];
  const x = (value: number): number => left + ((value + edge) / (2 * edge)) * plotWidth;
  const bottom = INTERVAL_MARGIN.top + plotHeight;
  const grid = xTicks.map(
    (value) => html`<line class="${value === 0 ? "axis" : "grid"}" x1="${round(x(value))}" x2="${round(x(value))}" y1="${INTERVAL_MARGIN.top}" y2="${bottom}"${value === 0 ? html` stroke-width="2"` : ""}/>
<text class="tick" x="${round(x(value))}" y="${bottom + 18}" text-anchor="middle">${formatX(value)}</text>`,
  );
  const marks = rows.map((row, at) => {
    const y = INTERVAL_MARGIN.top + at * rowHeight + rowHeight / 2;
    const color = intervalColor(row.low, row.high);
    return html`<g class="interval"><title>${row.title}</title>
<text class="legend" x="${left - 12}" y="${round(y + 4)}" text-anchor="end">${row.label}</text>
<line x1="${round(x(row.low))}" x2="${round(x(row.high))}" y1="${round(y)}" y2="${round(y)}" stroke="${color}" stroke-width="3" stroke-linecap="round"/>
<circle cx="${round(x(row.mean))}" cy="${round(y)}" r="5.5" fill="${color}"/>
<text class="tick" x="${width - INTERVAL_MARGIN.right + 10}" y="${round(y + 4)}">${formatX(row.mean)}</text></g>`;
  });
  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}">
<rect class="plot" x="${left}" y="${INTERVAL_MARGIN.top}" width="${plotWidth}" height="${plotHeight}"/>
${grid}${marks}
<text class="label" x="${left + plotWidth / 2}" y="${height - 6}" text-anchor="middle">${xLabel}</text>
</svg>`;
}

/** One cell of a heat map: its fill, up to three lines of text (the first bold) and a tooltip. */
export interface HeatCell {
  fill: string;
  lines: readonly string[];
  title: string;
}

export interface HeatMapParams {
  /** Accessible name of the chart. */
  title: string;
  /** Row labels, top to bottom. */
  rows: readonly string[];
  /** Column labels, left to right. */
  columns: readonly string[];
  /** `cells[row][column]`. */
  cells: readonly (readonly HeatCell[])[];
  /** What the rows are (drawn above their labels) and what the columns are (drawn above their labels). */
  rowLabel: string;
  columnLabel: string;
  cellWidth?: number;
  cellHeight?: number;
}

const HEAT_MARGIN = { top: 58, left: 170, right: 12, bottom: 12 };

/**
 * A heat map as inline SVG: a grid of coloured cells with their figures
 * written in them, labelled rows and columns. Scales through its viewBox.
 */
export function heatMap({ title, rows, columns, cells, rowLabel, columnLabel, cellWidth = 190, cellHeight = 78 }: HeatMapParams): SafeHtml {
  const width = HEAT_MARGIN.left + columns.length * cellWidth + HEAT_MARGIN.right;
  const height = HEAT_MARGIN.top + rows.length * cellHeight + HEAT_MARGIN.bottom;
  const columnHeads = columns.map(
    (column, at) => html`<text class="tick" x="${round(HEAT_MARGIN.left + (at + 0.5) * cellWidth)}" y="${HEAT_MARGIN.top - 8}" text-anchor="middle">${column}</text>`,
  );
  const rowHeads = rows.map(
    (row, at) => html`<text class="tick" x="${HEAT_MARGIN.left - 10}" y="${round(HEAT_MARGIN.top + (at + 0.5) * cellHeight + 4)}" text-anchor="end">${row}</text>`,
  );
  const grid = rows.map((_, row) =>
    columns.map((_, column) => {
      const cell = cells[row]?.[column];
      if (cell === undefined) return html``;
      const x = HEAT_MARGIN.left + column * cellWidth;
      const y = HEAT_MARGIN.top + row * cellHeight;
      const first = y + cellHeight / 2 - ((cell.lines.length - 1) * 16) / 2 + 5;
      return html`<g class="cell"><title>${cell.title}</title><rect x="${x + 2}" y="${y + 2}" width="${cellWidth - 4}" height="${cellHeight - 4}" rx="6" fill="${cell.fill}"/>${cell.lines.map(
        (line, at) =>
          html`<text x="${round(x + cellWidth / 2)}" y="${round(first + at * 16)}" text-anchor="middle" class="${at === 0 ? "cell-main" : "cell-sub"}">${line}</text>`,
      )}</g>`;
    }),
  );
  return html`<svg class="chart heat" viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}">
<text class="label" x="${round(HEAT_MARGIN.left + (columns.length * cellWidth) / 2)}" y="20" text-anchor="middle">${columnLabel}</text>
<text class="label" x="${HEAT_MARGIN.left - 10}" y="${HEAT_MARGIN.top - 8}" text-anchor="end">${rowLabel}</text>
${columnHeads}${rowHeads}${grid}
</svg>`;
}
