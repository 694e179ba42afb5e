import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LessonloopError } from "@lessonloop/core";
import { afterEach, describe, expect, it } from "vitest";
import { createFixtureSweep } from "./fixture-sweep.js";
import { readSweep, writeSweep } from "./write-sweep.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lessonloop-sweep-"));
  dirs.push(dir);
  return dir;
}

describe("writeSweep and readSweep", () => {
  it("write sweep.json, marked as generated, that reads back equal, and sweep.html", async () => {
    const dir = await tempDir();
    const results = createFixtureSweep();
    const written = await writeSweep(dir, results);
    expect(written).toEqual({ sweepPath: join(dir, "sweep.json"), reportPath: join(dir, "sweep.html") });
    expect(await readSweep(written.sweepPath)).toEqual(results);
    expect(await readFile(written.sweepPath, "utf8")).toContain('"generated": "by pnpm bench:sweep — do not edit"');
    expect(await readFile(written.reportPath, "utf8")).toContain("<h1>lessonloop against unvalidated learning, across error rates</h1>");
  });

  it("write nothing for results off the schema, and name bad files with typed errors", async () => {
    const dir = await tempDir();
    const broken = { ...createFixtureSweep(), seeds: [] };
    const error = await writeSweep(dir, broken).catch((caught: unknown) => caught);
    expect(LessonloopError.isInstance(error, "invalid_input")).toBe(true);
    expect(await readdir(dir)).toEqual([]);

    const missing = await readSweep(join(dir, "none.json")).catch((caught: unknown) => caught);
    expect(LessonloopError.isInstance(missing, "not_found")).toBe(true);
    await writeFile(join(dir, "bad.json"), "{");
    expect(LessonloopError.isInstance(await readSweep(join(dir, "bad.json")).catch((caught: unknown) => caught), "invalid_input")).toBe(true);
    await writeFile(join(dir, "off.json"), JSON.stringify({ ...createFixtureSweep(), schemaVersion: 2 }));
    const off = await readSweep(join(dir, "off.json")).catch((caught: unknown) => caught);
    expect((off as Error).message).toContain("schemaVersion");
  });
});
