import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLexicalEmbedder } from "@lessonloop/core";
import { ChromaLessonMemory } from "@lessonloop/chroma";
import { testChromaUrl, uniqueCollectionName } from "@lessonloop/chroma/testing";
import { lessonFixture } from "@lessonloop/core/conformance";
import { describe, expect, it } from "vitest";

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Runs the real launcher, bin/lessonloop.js, in a child process: tsx loads the TypeScript sources behind `#cli`. */
function lessonloop(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--conditions=@lessonloop/source", "--import", "tsx", "bin/lessonloop.js", ...args],
      { cwd: PACKAGE_DIR, env: { PATH: process.env["PATH"] ?? "", ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("bin/lessonloop.js", () => {
  it("runs the CLI against the real server and exits with its code", async () => {
    const url = testChromaUrl();
    const name = uniqueCollectionName("bin");
    const memory = await ChromaLessonMemory.open({ url, name, embedder: createLexicalEmbedder() });
    await memory.commit({ add: [lessonFixture("refund-retry")], reason: "seed", author: "tester" });

    const listed = await lessonloop(["list", "--memory", name, "--json"], { CHROMA_URL: url });
    expect(listed.stderr).toBe("");
    expect(listed.code).toBe(0);
    const json = JSON.parse(listed.stdout) as { head: number; lessons: { lesson: { id: string } }[] };
    expect(json.head).toBe(1);
    expect(json.lessons.map((entry) => entry.lesson.id)).toEqual(["refund-retry"]);

    const bad = await lessonloop(["history", "--limit", "none", "--memory", name], { CHROMA_URL: url });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^lessonloop: Invalid --limit "none"/);
  });
});
