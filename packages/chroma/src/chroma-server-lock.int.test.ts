import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { LessonloopError } from "@lessonloop/core";
import { rejectionOf } from "@lessonloop/core/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DATA_FOLDER_LOCK, connectChroma, startChroma } from "./chroma-server.js";
import { isProcessRunning } from "./testing/index.js";

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

interface NodeProcess {
  child: ChildProcess;
  /** The first JSON line the script prints. */
  first: Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];

/**
 * Runs `body` as an ES module in a new Node process with `startChroma` imported,
 * in its own process group (so a test can signal the group, as Ctrl-C does) and
 * with `tmpdir` as its temporary folder.
 */
function runNode(body: string, tmpdir: string): NodeProcess {
  const script = `import { startChroma } from ${JSON.stringify(new URL("./chroma-server.ts", import.meta.url).href)};\n${body}`;
  const child = spawn(process.execPath, ["--conditions=@lessonloop/source", "--import", "tsx", "--input-type=module", "-e", script], {
    cwd: new URL(".", import.meta.url),
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, TMPDIR: tmpdir },
    detached: true,
  });
  started.push(child);
  const first = new Promise<Record<string, unknown>>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", (line) => resolve(JSON.parse(line) as Record<string, unknown>));
    child.once("exit", () => reject(new Error("the script exited before printing")));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return { child, first, exited };
}

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "lessonloop-server-lock-test-"));
});
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("one embedded server a data folder", () => {
  it("refuses a second server on the folder in this process, naming the holder, until the first stops", async () => {
    const path = join(scratch, "same-process");
    const first = await startChroma({ path });
    try {
      const error = await rejectionOf(() => startChroma({ path }));
      expect(LessonloopError.isInstance(error, "locked")).toBe(true);
      expect((error as Error).message).toContain(`The Chroma data folder ${path} is in use by process ${process.pid} (this process)`);
      expect((error as Error).message).toContain(`with process ${String(first.pid)}, url ${first.url}`);
      expect((error as LessonloopError).details).toMatchObject({ holder: { pid: process.pid, processes: [first.pid] } });
      await connectChroma(first.url).createCollection({ name: "kept-across", embeddingFunction: null });
    } finally {
      await first.stop();
    }
    expect(existsSync(join(path, DATA_FOLDER_LOCK))).toBe(false);
    const second = await startChroma({ path });
    try {
      expect((await connectChroma(second.url).listCollections()).map((collection) => collection.name)).toContain("kept-across");
    } finally {
      await second.stop();
    }
  });

  it("frees the folder when its server dies on its own, so this process can start another there", async () => {
    const path = join(scratch, "server-killed");
    const first = await startChroma({ path });
    process.kill(first.pid as number, "SIGKILL");
    expect(await waitUntil(() => !existsSync(join(path, DATA_FOLDER_LOCK)), 10_000)).toBe(true);
    const second = await startChroma({ path });
    await second.stop();
    await first.stop();
  });

  it("refuses a server in another process while the holder runs, and takes the folder over once the holder is killed with SIGKILL", async () => {
    const path = join(scratch, "other-process");
    const holder = runNode(
      `const server = await startChroma({ path: ${JSON.stringify(path)} });
       const { connectChroma } = await import(${JSON.stringify(new URL("./chroma-server.ts", import.meta.url).href)});
       const collection = await connectChroma(server.url).createCollection({ name: "written-before-the-kill", embeddingFunction: null });
       await collection.add({ ids: ["a"], embeddings: [[1, 0]], documents: ["acknowledged"] });
       console.log(JSON.stringify({ pid: process.pid, serverPid: server.pid, url: server.url }));
       setInterval(() => {}, 60_000);`,
      scratch,
    );
    const { pid, serverPid, url } = (await holder.first) as { pid: number; serverPid: number; url: string };

    const error = await rejectionOf(() => startChroma({ path }));
    expect(LessonloopError.isInstance(error, "locked")).toBe(true);
    expect((error as Error).message).toContain(`in use by process ${pid} on`);
    expect((error as Error).message).toContain(url);
    expect((error as LessonloopError).details).toMatchObject({ holderState: "running", holder: { pid, processes: [serverPid] } });

    holder.child.kill("SIGKILL");
    await holder.exited;
    // The lock names a dead process and a server its watchdog is stopping: the next start waits for it, then takes over.
    const next = await startChroma({ path });
    try {
      expect(isProcessRunning(serverPid)).toBe(false);
      const stored = await (await connectChroma(next.url).getCollection({ name: "written-before-the-kill" })).get({ ids: ["a"], include: ["documents"] });
      expect(stored.documents).toEqual(["acknowledged"]);
    } finally {
      await next.stop();
    }
  });
});

describe("the embedded server does not hold the caller's process", () => {
  it("lets a script that never calls stop() exit, and the server and its temporary folder go with it", async () => {
    const folder = await mkdtemp(join(scratch, "tmp-"));
    const script = runNode(`const server = await startChroma();\nconsole.log(JSON.stringify({ pid: server.pid, path: server.path }));`, folder);
    const { pid, path } = (await script.first) as { pid: number; path: string };
    const exitedBy = await Promise.race([script.exited, new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 15_000))]);
    expect(exitedBy).toEqual({ code: 0, signal: null });
    expect(existsSync(path)).toBe(false);
    expect(await waitUntil(() => !isProcessRunning(pid), 10_000)).toBe(true);
  });

  it("leaves no temporary folder and no server behind when Ctrl-C signals the caller's process group", async () => {
    const folder = await mkdtemp(join(scratch, "tmp-"));
    const script = runNode(`const server = await startChroma();\nconsole.log(JSON.stringify({ pid: server.pid, path: server.path }));\nsetInterval(() => {}, 60_000);`, folder);
    const { pid, path } = (await script.first) as { pid: number; path: string };
    expect(existsSync(path)).toBe(true);
    // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group.
    process.kill(-(script.child.pid as number), "SIGINT");
    expect((await script.exited).signal).toBe("SIGINT");
    expect(await waitUntil(() => !isProcessRunning(pid), 10_000)).toBe(true);
    expect(await waitUntil(() => readdirSync(folder).filter((name) => name.startsWith("lessonloop-chroma-")).length === 0, 5_000)).toBe(true);
  });
});
