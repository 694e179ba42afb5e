import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { LessonloopError } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import { formatJson } from "../report/write-results.js";
import { renderSweepReport } from "./sweep-report.js";
import { SweepResultsSchema, type SweepResults } from "./sweep-results.js";

/** Where `writeSweep` put the files. */
export interface WrittenSweep {
  sweepPath: string;
  reportPath: string;
}

/**
 * Validates `results` against `SweepResultsSchema` (a bad value is a
 * `LessonloopError` naming the field, and nothing is written), then writes
 * `sweep.json` and `sweep.html` into `dir`, creating it if needed.
 */
export async function writeSweep(dir: string, results: SweepResults): Promise<WrittenSweep> {
  const parsed = parseWith(SweepResultsSchema, results, "sweep results");
  const report = renderSweepReport(parsed);
  await mkdir(dir, { recursive: true });
  const sweepPath = join(dir, "sweep.json");
  const reportPath = join(dir, "sweep.html");
  await writeFile(sweepPath, `${formatJson(parsed)}\n`);
  await writeFile(reportPath, report);
  return { sweepPath, reportPath };
}

/** Reads a `sweep.json` back; a missing file, bad JSON or a value off the schema is a `LessonloopError`. */
export async function readSweep(path: string): Promise<SweepResults> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new LessonloopError("not_found", `Cannot read sweep results at ${path}: run \`pnpm bench:sweep\` first, or pass the path of a sweep.json.`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new LessonloopError("invalid_input", `${path} is not JSON: write it again with \`pnpm bench:sweep\`.`, { cause });
  }
  return parseWith(SweepResultsSchema, json, `sweep results in ${path}`);
}
