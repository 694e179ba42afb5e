import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LessonloopError } from "@lessonloop/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChroma, describeStartFailure, findFreePort, startChroma } from "./chroma-server.js";
import { isProcessRunning, testChromaUrl, uniqueCollectionName } from "./testing/index.js";
import { rejectionOf } from "@lessonloop/core/testing";

const heartbeat = async (url: string): Promise<boolean> => {
  try {
    return (await fetch(`${url}/api/v2/heartbeat`)).ok;
  } catch {
    return false;
  }
};


async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

/** Runs `body` as an ES module in a new Node process with `startChroma` imported; resolves when it exits. */
async function runNode(body: string): Promise<{ code: number | null; out: string }> {
  const script = `import { startChroma } from ${JSON.stringify(new URL("./chroma-server.ts", import.meta.url).href)};\n${body}`;
  const child = spawn(process.execPath, ["--conditions=@lessonloop/source", "--import", "tsx", "--input-type=module", "-e", script], {
    cwd: new URL(".", import.meta.url),
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, out: out.trim() };
}

describe("startChroma", () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "lessonloop-server-test-"));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("starts a real server on 127.0.0.1 and a free port, and stops it", async () => {
    const server = await startChroma();
    try {
      expect(server.external).toBe(false);
      expect(server.host).toBe("127.0.0.1");
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      expect(server.pid).toBeTypeOf("number");
      expect(await heartbeat(server.url)).toBe(true);
      expect(await connectChroma(server.url).heartbeat()).toBeGreaterThan(0);
      expect(existsSync(server.path ?? "")).toBe(true);
    } finally {
      await server.stop();
    }
    expect(isProcessRunning(server.pid ?? -1)).toBe(false);
    expect(await heartbeat(server.url)).toBe(false);
    // The temporary data folder goes with it; a second stop is a no-op.
    expect(existsSync(server.path ?? "")).toBe(false);
    await server.stop();
  });

  it("keeps data in a given folder across a restart", async () => {
    const path = join(scratch, "persist");
    const name = uniqueCollectionName("persist");
    const first = await startChroma({ path });
    try {
      const collection = await connectChroma(first.url).createCollection({ name, embeddingFunction: null });
      await collection.add({ ids: ["kept"], embeddings: [[0.1, 0.2]], documents: ["survives a restart"] });
    } finally {
      await first.stop();
    }
    expect(existsSync(path)).toBe(true);

    const second = await startChroma({ path });
    try {
      const collection = await connectChroma(second.url).getCollection({ name });
      const stored = await collection.get({ ids: ["kept"], include: ["documents"] });
      expect(stored.documents).toEqual(["survives a restart"]);
    } finally {
      await second.stop();
    }
    expect(existsSync(path)).toBe(true);
  });

  it("says so, typed, when the port is taken", async () => {
    const port = await findFreePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      const error = await rejectionOf(() => startChroma({ port }));
      expect(LessonloopError.isInstance(error, "server_start_failed")).toBe(true);
      expect((error as LessonloopError).details["cause"]).toBe("port_taken");
      expect((error as Error).message).toMatch(new RegExp(`Port ${port} .* already taken`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("says so, typed, when the data folder cannot be created", async () => {
    const file = join(scratch, "a-file");
    await writeFile(file, "not a folder");
    const error = await rejectionOf(() => startChroma({ path: join(file, "data") }));
    expect(LessonloopError.isInstance(error, "server_start_failed")).toBe(true);
    expect((error as LessonloopError).details["cause"]).toBe("path_not_writable");
    expect((error as Error).message).toContain(join(file, "data"));
  });

  it("gives up after startTimeoutMs and leaves no server behind", async () => {
    const port = await findFreePort();
    const error = await rejectionOf(() => startChroma({ port, startTimeoutMs: 1 }));
    expect(LessonloopError.isInstance(error, "server_start_failed")).toBe(true);
    expect((error as LessonloopError).details["cause"]).toBe("timeout");
    expect(await heartbeat(`http://127.0.0.1:${port}`)).toBe(false);
  });

  it("connects to a given url instead, and its stop() leaves that server running", async () => {
    const url = testChromaUrl();
    const server = await startChroma({ url });
    expect(server.external).toBe(true);
    expect(server.pid).toBeUndefined();
    expect(server.url).toBe(url);
    await server.stop();
    expect(await heartbeat(url)).toBe(true);
  });

  it("fails typed when the given url does not answer", async () => {
    const port = await findFreePort();
    const error = await rejectionOf(() => startChroma({ url: `http://127.0.0.1:${port}`, startTimeoutMs: 2_000 }));
    expect(LessonloopError.isInstance(error, "store_unavailable")).toBe(true);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
  });

  // Each of these runs a separate Node process; they are independent, so they overlap.
  describe.concurrent("process lifetime", () => {
    it("stops the server and removes its temporary folder when the caller exits without stop()", async ({ expect }) => {
      const { out } = await runNode(`
        const server = await startChroma();
        console.log(JSON.stringify({ pid: server.pid, path: server.path }));
        process.exit(0);
      `);
      const { pid, path } = JSON.parse(out) as { pid: number; path: string };
      expect(existsSync(path)).toBe(false);
      expect(await waitUntil(() => !isProcessRunning(pid), 10_000)).toBe(true);
    });

    it("lets the caller's process exit promptly after stop()", async ({ expect }) => {
      const { code, out } = await runNode(`
        const server = await startChroma();
        await server.stop();
        console.log(Date.now());
      `);
      expect(code).toBe(0);
      // Nothing (a timer, a socket) may keep the event loop alive after stop().
      expect(Date.now() - Number(out)).toBeLessThan(2_000);
    });

    it("does not outlive a parent that is killed", async ({ expect }) => {
      const { out } = await runNode(`
        const server = await startChroma();
        console.log(JSON.stringify({ pid: server.pid, path: server.path }));
        process.kill(process.pid, "SIGKILL");
      `);
      const { pid, path } = JSON.parse(out) as { pid: number; path: string };
      // SIGKILL runs no exit handler: the server's own watchdog notices and ends it…
      expect(await waitUntil(() => !isProcessRunning(pid), 10_000)).toBe(true);
      // …and removes its temporary data folder.
      expect(existsSync(path)).toBe(false);
    });
  });
});

describe("describeStartFailure", () => {
  const base = { host: "127.0.0.1", port: 4321, path: "/data", exitCode: 1, signal: null, timedOut: false, startTimeoutMs: 1000 };

  it("recognises a native binary that will not load and says how to pin it", () => {
    const failure = describeStartFailure({
      ...base,
      output: "Error: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.38' not found ... code: 'ERR_DLOPEN_FAILED'",
    });
    expect(failure.cause).toBe("native_binary");
    expect(failure.message).toContain("chromadb-js-bindings-linux-x64-gnu");
    expect(failure.message).toContain("1.0.5");
  });

  it("recognises a port taken by the server's own message", () => {
    const failure = describeStartFailure({ ...base, exitCode: 0, output: "Address 127.0.0.1:4321 is not available" });
    expect(failure.cause).toBe("port_taken");
    expect(failure.message).toContain("4321");
  });

  it("recognises a data folder it cannot use", () => {
    const failure = describeStartFailure({ ...base, output: "Error creating Frontend Config: PathError(Os { code: 13, kind: PermissionDenied })" });
    expect(failure.cause).toBe("path_not_writable");
  });

  it("otherwise reports an early exit with the tail of the output", () => {
    const failure = describeStartFailure({ ...base, output: "boom: something unexpected" });
    expect(failure.cause).toBe("exited_early");
    expect(failure.message).toContain("code 1");
    expect(failure.message).toContain("boom: something unexpected");
  });
});
