import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LessonloopError } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import { summaryOfResults } from "../harness/combine-seeds.js";
import { MultiSeedResultsSchema, type MultiSeedResults } from "../harness/multi-seed-results.js";
import { renderHtmlReport } from "./html-report.js";

/** Where `writeResults` put the files. */
export interface WrittenResults {
  resultsPath: string;
  summaryPath: string;
  reportPath: string;
}

/**
 * JSON with two-space indents, but every list of plain values (numbers,
 * strings, booleans) on one line: the per-episode lists of `results.json`
 * stay small and the rest stays readable.
 */
export function formatJson(value: unknown, indent = ""): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.every((item) => item === null || typeof item !== "object")) return JSON.stringify(value);
    return `[\n${value.map((item) => `${inner}${formatJson(item, inner)}`).join(",\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    if (entries.length === 0) return "{}";
    return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${formatJson(item, inner)}`).join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/**
 * Validates `results` against `MultiSeedResultsSchema` (a bad value is a
 * `LessonloopError` naming the field, and nothing is written), then writes
 * `results.json`, `summary.json` (the headline figures, validated against
 * `BenchSummarySchema`) and `report.html` into `dir`, creating it if needed.
 *
 * @param dir The output folder, e.g. `evals/results`.
 * @param results Every seed of the run and the statistics over them.
 */
export async function writeResults(dir: string, results: MultiSeedResults): Promise<WrittenResults> {
  const parsed = parseWith(MultiSeedResultsSchema, results, "benchmark results");
  const summary = summaryOfResults(parsed);
  const report = renderHtmlReport({ results: parsed });
  await mkdir(dir, { recursive: true });
  const resultsPath = join(dir, "results.json");
  const summaryPath = join(dir, "summary.json");
  const reportPath = join(dir, "report.html");
  await writeFile(resultsPath, `${formatJson(parsed)}\n`);
  await writeFile(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(reportPath, report);
  return { resultsPath, summaryPath, reportPath };
}

/**
 * Reads a `results.json` back (e.g. to render the report again without a
 * new run). A missing file, bad JSON, a file of an older schema version or a
 * value off the schema is a `LessonloopError` (`not_found` or `invalid_input`).
 */
export async function readResults(path: string): Promise<MultiSeedResults> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new LessonloopError("not_found", `Cannot read benchmark results at ${path}: run \`pnpm bench\` first, or pass the path of a results.json.`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new LessonloopError("invalid_input", `${path} is not JSON: write it again with \`pnpm bench\`.`, { cause });
  }
  const version = typeof json === "object" && json !== null ? (json as { schemaVersion?: unknown }).schemaVersion : undefined;
  if (version === 1) {
    throw new LessonloopError(
      "invalid_input",
      `${path} is a one-seed results.json (schema version 1) from an earlier pnpm bench: run \`pnpm bench\` again for schema version 2.`,
      { details: { schemaVersion: 1 } },
    );
  }
  return parseWith(MultiSeedResultsSchema, json, `benchmark results in ${path}`);
}
