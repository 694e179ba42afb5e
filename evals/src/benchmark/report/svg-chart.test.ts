import { describe, expect, it } from "vitest";
import { heatMap, intervalChart, intervalColor, lineChart } from "./svg-chart.js";

const points = (values: number[]) => values.map((value, index) => ({ index, value }));

/** Every polyline vertex of a chart, as numbers. */
function vertices(svg: string): { x: number; y: number }[] {
  return [...svg.matchAll(/points="([^"]*)"/g)].flatMap(([, list]) =>
    (list ?? "").split(" ").map((pair) => {
      const [x, y] = pair.split(",").map(Number);
      return { x: x ?? Number.NaN, y: y ?? Number.NaN };
    }),
  );
}

function plotBox(svg: string) {
  const match = /<rect class="plot" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(svg);
  const [x, y, width, height] = (match?.slice(1) ?? []).map(Number);
  return { left: x ?? 0, top: y ?? 0, right: (x ?? 0) + (width ?? 0), bottom: (y ?? 0) + (height ?? 0) };
}

describe("lineChart", () => {
  it("keeps every line inside the plot, with a y axis that reaches above the data", () => {
    const svg = lineChart({
      title: "memory",
      series: [{ name: "a", color: "#000", points: points([0, 3, 17, 56, 41]) }],
      xLabel: "episode",
      yLabel: "lessons",
      // Not a round number: the axis must still end on a tick.
      xMax: 37,
      integerY: true,
      step: true,
    }).value;
    const box = plotBox(svg);
    for (const vertex of vertices(svg)) {
      expect(vertex.x).toBeGreaterThanOrEqual(box.left);
      expect(vertex.x).toBeLessThanOrEqual(box.right);
      expect(vertex.y).toBeGreaterThanOrEqual(box.top);
      expect(vertex.y).toBeLessThanOrEqual(box.bottom);
    }
    // x ticks stay on the axis too, the last one at its end.
    const xTicks = [...svg.matchAll(/<line class="axis" x1="([\d.]+)" x2="[\d.]+" y1="[\d.]+" y2="[\d.]+"\/>\n<text class="tick"/g)].map(([, x]) => Number(x));
    expect(xTicks.length).toBeGreaterThan(1);
    for (const x of xTicks) expect(x).toBeLessThanOrEqual(box.right + 1e-9);
    expect(xTicks.at(-1)).toBeCloseTo(box.right, 5);
    const yTicks = [...svg.matchAll(/text-anchor="end">(\d+)</g)].map(([, value]) => Number(value));
    expect(yTicks[0]).toBe(0);
    expect(yTicks.at(-1)).toBeGreaterThanOrEqual(56);
    expect(yTicks.every((value) => Number.isInteger(value))).toBe(true);
  });

  it("draws steps for counts: each value holds until the next point", () => {
    const svg = lineChart({
      title: "t",
      series: [{ name: "a", color: "#000", points: points([1, 2]) }],
      xLabel: "x",
      yLabel: "y",
      xMax: 1,
      yMax: 2,
      step: true,
    }).value;
    const [first, corner, last] = vertices(svg);
    expect(corner?.x).toBe(last?.x);
    expect(corner?.y).toBe(first?.y);
  });

  it("labels markers with their text where it fits and shortens it where it does not", () => {
    const svg = lineChart({
      title: "t",
      series: [],
      xLabel: "x",
      yLabel: "y",
      xMax: 100,
      yMax: 1,
      markers: [
        { at: 10, label: "D1", text: "a long change that cannot fit before the next marker" },
        { at: 12, label: "D2", text: "short" },
      ],
    }).value;
    expect(svg).toContain(">D1</text>");
    expect(svg).toContain(">D2 short</text>");
    expect(svg).toContain("<title>D1 at episode 10: a long change that cannot fit before the next marker</title>");
  });
});

describe("intervalChart", () => {
  const rows = [
    { label: "ahead", mean: 5, low: 2, high: 8, title: "a" },
    { label: "unsure", mean: 1, low: -3, high: 4, title: "b" },
    { label: "behind", mean: -6, low: -9, high: -1, title: "c" },
  ];
  const svg = intervalChart({ title: "paired", rows, xLabel: "pts" }).value;

  it("draws each row's interval and mean inside the plot, on a scale around 0", () => {
    const box = plotBox(svg);
    const bars = [...svg.matchAll(/<line x1="([-\d.]+)" x2="([-\d.]+)" y1="([\d.]+)" y2="[\d.]+" stroke="([^"]+)"/g)];
    expect(bars).toHaveLength(3);
    const dots = [...svg.matchAll(/<circle cx="([-\d.]+)" cy="[\d.]+" r="5.5" fill="([^"]+)"/g)];
    // The zero line: the axis line inside the plot.
    const zero = Number(/<line class="axis" x1="([\d.]+)"/.exec(svg)?.[1]);
    expect(zero).toBeGreaterThan(box.left);
    expect(zero).toBeLessThan(box.right);
    rows.forEach((row, at) => {
      const [, x1, x2] = bars[at] ?? [];
      const cx = Number(dots[at]?.[1]);
      expect(Number(x1)).toBeGreaterThanOrEqual(box.left);
      expect(Number(x2)).toBeLessThanOrEqual(box.right);
      expect(cx).toBeGreaterThanOrEqual(Number(x1));
      expect(cx).toBeLessThanOrEqual(Number(x2));
      // Left of zero for negative figures, right for positive ones.
      expect(Math.sign(Number(x1) - zero)).toBe(Math.sign(row.low));
      expect(Math.sign(Number(x2) - zero)).toBe(Math.sign(row.high));
    });
    expect(dots.map(([, , color]) => color)).toEqual([intervalColor(2, 8), intervalColor(-3, 4), intervalColor(-9, -1)]);
    expect(new Set(dots.map(([, , color]) => color)).size).toBe(3);
  });

  it("labels each row and keeps its tooltip", () => {
    for (const row of rows) {
      expect(svg).toContain(`>${row.label}</text>`);
      expect(svg).toContain(`<title>${row.title}</title>`);
    }
  });
});

describe("heatMap", () => {
  const cell = (fill: string, text: string) => ({ fill, lines: [text, "sub"], title: `tip ${text}` });
  const svg = heatMap({
    title: "grid",
    rows: ["r0", "r1"],
    columns: ["c0", "c1", "c2"],
    cells: [
      [cell("#111111", "a"), cell("#222222", "b"), cell("#333333", "c")],
      [cell("#444444", "d"), cell("#555555", "e"), cell("#666666", "f")],
    ],
    rowLabel: "rows",
    columnLabel: "columns",
  }).value;

  it("draws a cell per row and column, in reading order, each with its fill, text and tooltip", () => {
    const rects = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="[\d.]+" rx="6" fill="([^"]+)"/g)];
    expect(rects.map(([, , , fill]) => fill)).toEqual(["#111111", "#222222", "#333333", "#444444", "#555555", "#666666"]);
    const [a, b, , d] = rects.map(([, x, y]) => ({ x: Number(x), y: Number(y) }));
    expect(b?.x).toBeGreaterThan(a?.x ?? Infinity);
    expect(b?.y).toBe(a?.y);
    expect(d?.y).toBeGreaterThan(a?.y ?? Infinity);
    expect(d?.x).toBe(a?.x);
    for (const text of ["a", "b", "c", "d", "e", "f"]) {
      expect(svg).toContain(`class="cell-main">${text}</text>`);
      expect(svg).toContain(`<title>tip ${text}</title>`);
    }
  });

  it("labels rows and columns", () => {
    for (const label of ["r0", "r1", "c0", "c1", "c2", "rows", "columns"]) expect(svg).toContain(`>${label}</text>`);
  });
});
