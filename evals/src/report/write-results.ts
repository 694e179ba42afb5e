import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LessonloopError, parseWith } from "@lessonloop/core";
import { BenchmarkResultsSchema, type BenchmarkResults } from "../harness/results.js";
import { renderHtmlReport } from "./html-report.js";

/** Where `writeResults` put the files. */
export interface WrittenResults {
  resultsPath: string;
  reportPath: string;
}

/**
 * Validates `results` against `BenchmarkResultsSchema` (a bad value is a
 * `LessonloopError` naming the field, and nothing is written), then writes
 * `results.json` and `report.html` into `dir`, creating it if needed.
 *
 * @param dir The output folder, e.g. `evals/results`.
 * @param results Everything the run measured.
 */
export async function writeResults(dir: string, results: BenchmarkResults): Promise<WrittenResults> {
  const parsed = parseWith(BenchmarkResultsSchema, results, "benchmark results");
  const report = renderHtmlReport({ results: parsed });
  await mkdir(dir, { recursive: true });
  const resultsPath = join(dir, "results.json");
  const reportPath = join(dir, "report.html");
  await writeFile(resultsPath, `${JSON.stringify(parsed, null, 2)}\n`);
  await writeFile(reportPath, report);
  return { resultsPath, reportPath };
}

/**
 * Reads a `results.json` back (e.g. to render the report again without a
 * new run). A missing file, bad JSON or a value off the schema is a
 * `LessonloopError` (`not_found` or `invalid_input`).
 */
export async function readResults(path: string): Promise<BenchmarkResults> {
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
  return parseWith(BenchmarkResultsSchema, json, `benchmark results in ${path}`);
}
