import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LessonloopError } from "@lessonloop/core";
import { afterEach, describe, expect, it } from "vitest";
import { BenchmarkResultsSchema } from "../harness/results.js";
import { createFixtureResults } from "./fixture-results.js";
import { readResults, writeResults } from "./write-results.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lessonloop-report-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("writeResults", () => {
  it("writes results.json that round-trips through the schema, and report.html", async () => {
    const dir = join(await tempDir(), "nested", "results");
    const results = createFixtureResults({ episodes: 50 });
    const written = await writeResults(dir, results);
    expect(written).toEqual({ resultsPath: join(dir, "results.json"), reportPath: join(dir, "report.html") });

    const json: unknown = JSON.parse(await readFile(written.resultsPath, "utf8"));
    expect(BenchmarkResultsSchema.parse(json)).toEqual(results);
    expect(await readResults(written.resultsPath)).toEqual(results);
    const page = await readFile(written.reportPath, "utf8");
    expect(page).toContain("<h2>api-drift</h2>");
  });

  it("refuses results off the schema with a typed error and writes nothing", async () => {
    const dir = await tempDir();
    const results = createFixtureResults({ episodes: 20 });
    const broken = { ...results, environments: [{ ...results.environments[0], strategies: [{ strategy: "magic" }] }] };
    const error = await writeResults(dir, broken as never).catch((caught: unknown) => caught);
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect((error as Error).message).toContain("environments.0.strategies.0");
    expect(await readdir(dir)).toEqual([]);
  });
});

describe("readResults", () => {
  it("names a missing file and bad JSON with typed errors", async () => {
    const dir = await tempDir();
    const missing = await readResults(join(dir, "none.json")).catch((caught: unknown) => caught);
    expect(LessonloopError.isInstance(missing, "not_found")).toBe(true);
    await writeFile(join(dir, "bad.json"), "{ not json");
    const bad = await readResults(join(dir, "bad.json")).catch((caught: unknown) => caught);
    expect(LessonloopError.isInstance(bad, "invalid_input")).toBe(true);
    await writeFile(join(dir, "off.json"), JSON.stringify({ schemaVersion: 2 }));
    const off = await readResults(join(dir, "off.json")).catch((caught: unknown) => caught);
    expect(LessonloopError.isInstance(off, "invalid_input")).toBe(true);
    expect((off as Error).message).toContain("schemaVersion");
  });
});
