// What a loop learns stays learned: by default the embedded server keeps the memory in
// ./.lessonloop of the working directory, a second process finds it, and `lessonloop` run there
// reads it with no flags — starting its own server on the folder, or through the running one.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("./tests/kept-memory-process.ts", import.meta.url));
const BIN = fileURLToPath(new URL("../bin/lessonloop.js", import.meta.url));
// Resolved here: the processes run in a folder of their own, where `tsx` is not installed.
const TSX = import.meta.resolve("tsx");
const NODE_ARGS = ["--conditions=@lessonloop/source", "--import", TSX];
// No CHROMA_URL: the memory must be found from the working directory alone.
const ENV = { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "" };

interface Printed {
  path: string;
  url: string;
  lessons: string[];
}

function runScript(mode: "learn" | "count" | "hold", cwd: string): { child: ChildProcess; printed: Promise<Printed>; stdout: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...NODE_ARGS, SCRIPT, mode], { cwd, env: ENV, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = `${stderr}${chunk.toString()}`.slice(-4_000)));
  const printed = new Promise<Printed>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      stdout += `${line}\n`;
      if (line.startsWith("{")) resolve(JSON.parse(line) as Printed);
    });
    child.once("exit", () => setTimeout(() => reject(new Error(`the script exited before printing; stderr: ${stderr}`)), 100));
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, printed, stdout: () => stdout, exited };
}

function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...NODE_ARGS, BIN, ...args], { cwd, env: ENV, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr });
    });
  });
}

const listedIds = (stdout: string) => (JSON.parse(stdout) as { lessons: { lesson: { id: string } }[] }).lessons.map(({ lesson }) => lesson.id);

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "lessonloop-kept-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("the default memory folder", () => {
  it("keeps what one process learned for the next process and for the CLI, with no flags", { timeout: 180_000 }, async () => {
    const first = runScript("learn", work);
    const learned = await first.printed;
    expect(await first.exited).toBe(0);
    expect(learned.path).toBe(join(work, ".lessonloop"));
    expect(learned.lessons).toHaveLength(1);
    // Said once at start, where the memory is kept.
    expect(first.stdout().match(/memory kept in/g)).toHaveLength(1);
    expect(first.stdout()).toContain(`[lessonloop] memory kept in ${join(work, ".lessonloop")}`);
    expect(existsSync(join(work, ".lessonloop"))).toBe(true);

    // A restart: the lesson is still there.
    const second = runScript("count", work);
    expect((await second.printed).lessons).toEqual(learned.lessons);
    expect(await second.exited).toBe(0);

    // The CLI with no --chroma-url and no CHROMA_URL starts its own server on the folder.
    const listed = await cli(["list", "--json"], work);
    expect(listed.stderr).toBe("");
    expect(listed.code).toBe(0);
    expect(listedIds(listed.stdout)).toEqual(learned.lessons);

    // While a loop holds the folder, the CLI reads through that loop's server instead of failing on the lock.
    const holder = runScript("hold", work);
    try {
      const held = await holder.printed;
      expect(held.lessons).toEqual(learned.lessons);
      const through = await cli(["list", "--json"], work);
      expect(through.stderr).toBe("");
      expect(listedIds(through.stdout)).toEqual(learned.lessons);
      // The CLI left the holder's server running.
      const heartbeat = await fetch(`${held.url}/api/v2/heartbeat`);
      expect(heartbeat.ok).toBe(true);
    } finally {
      holder.child.kill("SIGTERM");
      expect(await holder.exited).toBe(0);
    }
  });

  it("says where it looked when the working directory has no memory", async () => {
    const empty = await mkdtemp(join(tmpdir(), "lessonloop-none-"));
    try {
      const result = await cli(["list"], empty);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`No memory here: ${join(empty, ".lessonloop")} does not exist`);
      expect(result.stderr).toMatch(/--chroma-url/);
      expect(existsSync(join(empty, ".lessonloop"))).toBe(false);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
