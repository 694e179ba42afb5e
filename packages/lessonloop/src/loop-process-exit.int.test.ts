// A user's process with a learning loop on the embedded Chroma server ends cleanly: without
// close(), on the README's SIGTERM snippet, on Ctrl-C, and when createLearningLoop throws.
// Each runs tests/loop-process.ts as a real Node process with its own temporary folder.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { isProcessRunning } from "@lessonloop/chroma/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("./tests/loop-process.ts", import.meta.url));
const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Printed {
  pid?: number;
  serverPid?: number;
  path?: string;
  lessons?: number;
  code?: string;
  children?: number[];
  temporaryFolders?: string[];
}

interface LoopProcess {
  child: ChildProcess;
  printed: Promise<Printed>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "lessonloop-exit-test-"));
});
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Starts the script in its own process group (a terminal's foreground job) with `tmp` as its temporary folder. */
function startLoopProcess(input: Record<string, unknown>, tmp: string): LoopProcess {
  const child = spawn(process.execPath, ["--conditions=@lessonloop/source", "--import", "tsx", SCRIPT, JSON.stringify(input)], {
    cwd: PACKAGE_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TMPDIR: tmp },
    detached: true,
  });
  started.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = `${stderr}${chunk.toString()}`.slice(-4_000)));
  const printed = new Promise<Printed>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      if (line.startsWith("{")) resolve(JSON.parse(line) as Printed);
    });
    child.once("exit", () => setTimeout(() => reject(new Error(`the script exited before printing; stderr: ${stderr}`)), 100));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return { child, printed, exited };
}

/** The exit, or "still running" after `ms`. */
const exitWithin = (process_: LoopProcess, ms: number) =>
  Promise.race([process_.exited, new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), ms))]);

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

const chromaFolders = (tmp: string) => readdirSync(tmp).filter((name) => name.startsWith("lessonloop-chroma-"));

/** The README's SIGTERM lines, from `process.once("SIGTERM"` to the end of the statement, without the diff's "+ ". */
async function readmeSigtermSnippet(): Promise<string> {
  const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
  const lines = readme.split("\n").map((line) => line.replace(/^\+ ?/, ""));
  const start = lines.findIndex((line) => line.startsWith('process.once("SIGTERM"'));
  expect(start).toBeGreaterThanOrEqual(0);
  // The statement ends where its parentheses balance.
  let depth = 0;
  for (let end = start; end < lines.length; end++) {
    for (const char of lines[end] ?? "") depth += char === "(" ? 1 : char === ")" ? -1 : 0;
    if (depth === 0) return lines.slice(start, end + 1).join("\n");
  }
  throw new Error("the README's SIGTERM snippet does not end");
}

describe("a process with a learning loop ends cleanly", () => {
  it("exits when the script ends without loop.close(), and the embedded server and its folder go with it", async () => {
    const tmp = await mkdtemp(join(scratch, "tmp-"));
    const script = startLoopProcess({ mode: "no-close" }, tmp);
    const { serverPid, path, lessons } = await script.printed;
    expect(lessons).toBe(1);
    expect(await exitWithin(script, 20_000)).toEqual({ code: 0, signal: null });
    expect(existsSync(path ?? "")).toBe(false);
    expect(await waitUntil(() => !isProcessRunning(serverPid ?? -1), 10_000)).toBe(true);
  });

  it("stops on SIGTERM with the README's snippet: close(), then exit", async () => {
    const tmp = await mkdtemp(join(scratch, "tmp-"));
    const script = startLoopProcess({ mode: "readme-sigterm", snippet: await readmeSigtermSnippet() }, tmp);
    const { serverPid, path } = await script.printed;
    script.child.kill("SIGTERM");
    expect(await exitWithin(script, 20_000)).toEqual({ code: 0, signal: null });
    // close() stopped the server before the exit.
    expect(isProcessRunning(serverPid ?? -1)).toBe(false);
    expect(existsSync(path ?? "")).toBe(false);
  });

  it("leaves no temporary Chroma folder and no server behind on Ctrl-C to the process group", async () => {
    const tmp = await mkdtemp(join(scratch, "tmp-"));
    const script = startLoopProcess({ mode: "running" }, tmp);
    const { serverPid } = await script.printed;
    expect(chromaFolders(tmp)).toHaveLength(1);
    process.kill(-(script.child.pid as number), "SIGINT");
    expect((await script.exited).signal).toBe("SIGINT");
    expect(await waitUntil(() => !isProcessRunning(serverPid ?? -1), 10_000)).toBe(true);
    expect(await waitUntil(() => chromaFolders(tmp).length === 0, 5_000)).toBe(true);
  });

  it("stops the server it started when createLearningLoop throws afterwards", async () => {
    const tmp = await mkdtemp(join(scratch, "tmp-"));
    const script = startLoopProcess({ mode: "throws-after-start" }, tmp);
    // Looked at inside the process, right after the throw: no server child, no folder.
    expect(await script.printed).toEqual({ code: "invalid_input", children: [], temporaryFolders: [] });
    expect(await exitWithin(script, 20_000)).toEqual({ code: 0, signal: null });
  });
});
