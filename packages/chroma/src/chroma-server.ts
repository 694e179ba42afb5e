import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile, unlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { ChromaClient } from "chromadb";
import { LessonloopError } from "@lessonloop/core";
import { redactUrlCredentials } from "@lessonloop/core/internal";
import { acquireProcessLock, type ProcessLock } from "@lessonloop/core/internal";

/** A running (or connected) Chroma server. */
export interface ChromaServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Process id of the server started here; `undefined` when connected to an external server. */
  readonly pid: number | undefined;
  /** The data folder of a server started here; `undefined` when external. */
  readonly path: string | undefined;
  /** `true` when connected to a server given by `url`: `stop()` then does nothing. */
  readonly external: boolean;
  /**
   * Stops the server started here: SIGTERM, then SIGKILL after `stopTimeoutMs`.
   * Removes the data folder when it was a temporary one, else releases its
   * lock. Idempotent.
   */
  stop(): Promise<void>;
}

export interface StartChromaParams {
  /**
   * Connect to this existing server (e.g. `process.env.CHROMA_URL` at the edge of an
   * app) instead of starting one. Its heartbeat is checked; `stop()` is a no-op.
   */
  url?: string;
  /**
   * Data folder. Created when missing and kept on stop. Default: a fresh temporary
   * folder that `stop()` removes. One server uses a folder: a second
   * `startChroma` on it (in any process) is refused with `locked` naming the
   * holder, until the first is stopped or its process has ended.
   */
  path?: string;
  /**
   * What to do when `path` is held by a running embedded server (its lock names
   * its URL): `"fail"` (default) refuses with `locked`; `"connect"` connects to
   * that server instead (an external server: `stop()` leaves it running).
   */
  whenHeld?: "fail" | "connect";
  /**
   * Interface to bind. Default `127.0.0.1`: the server is never reachable from
   * outside. Any other (e.g. `0.0.0.0`) is warned about: the server has no
   * authentication, so whoever reaches the port reads and writes the memory.
   */
  host?: string;
  /** Port to listen on. Default: a free port chosen by the OS. */
  port?: number;
  /** How long to wait for the heartbeat (ms). Default 20 000. */
  startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL (ms). Default 5 000. */
  stopTimeoutMs?: number;
}

const HEARTBEAT_PATH = "/api/v2/heartbeat";
const OUTPUT_TAIL_CHARS = 4_000;

/** The lock file in a given data folder: one embedded server a folder. */
export const DATA_FOLDER_LOCK = ".lessonloop-chroma.lock";

/** Tells the server process which data folder is temporary, for its watchdog to remove. */
const TEMPORARY_PATH_ENV = "LESSONLOOP_CHROMA_TEMPORARY_PATH";

/**
 * Loaded with `--import` into the server process. The server's CLI blocks the main
 * thread inside native code, so the watch runs in a worker thread: when the parent
 * dies (even by SIGKILL, when no `exit` handler runs) the server is re-parented and
 * terminates itself (removing its data folder first when that is a temporary one).
 */
const WATCHDOG_SOURCE = `
import { Worker } from "node:worker_threads";
const code = ${JSON.stringify(`
const { workerData } = require("node:worker_threads");
const timer = setInterval(() => {
  if (process.ppid === workerData.ppid) return;
  clearInterval(timer);
  if (workerData.temporaryPath) {
    try { require("node:fs").rmSync(workerData.temporaryPath, { recursive: true, force: true }); } catch {}
  }
  try { process.kill(workerData.pid, "SIGTERM"); } catch {}
  setTimeout(() => { try { process.kill(workerData.pid, "SIGKILL"); } catch {} }, 5000);
}, 250);
`)};
const temporaryPath = process.env.${TEMPORARY_PATH_ENV} || undefined;
new Worker(code, { eval: true, workerData: { ppid: process.ppid, pid: process.pid, temporaryPath } }).unref();
`;
const WATCHDOG_IMPORT = `data:text/javascript,${encodeURIComponent(WATCHDOG_SOURCE)}`;

/** Children started here, killed when the parent process exits, with their temporary folder if any. */
const liveChildren = new Map<ChildProcess, string | undefined>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const [child, temporaryPath] of liveChildren) {
      try {
        // SIGTERM lets the server close cleanly; its watchdog escalates to SIGKILL.
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      if (temporaryPath === undefined) continue;
      try {
        rmSync(temporaryPath, { recursive: true, force: true });
      } catch {
        // best effort at exit
      }
    }
  });
}

/** Path of the Chroma CLI that the installed `chromadb` package carries. */
export function chromaCliPath(): string {
  const require = createRequire(import.meta.url);
  // Resolves to <chromadb>/dist/cjs/chromadb.cjs (require condition) or dist/chromadb.mjs.
  let dir = dirname(require.resolve("chromadb"));
  if (dir.endsWith("cjs")) dir = dirname(dir);
  return join(dir, "cli.mjs");
}

/** Asks the OS for a free TCP port on `host`. */
export async function findFreePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : undefined;
      server.close(() => (port === undefined ? reject(new Error("no port assigned")) : resolvePort(port)));
    });
  });
}

/** Whether `host:port` can be listened on: free, taken by something else, or not permitted. */
async function probePort(host: string, port: number): Promise<"free" | "taken" | "forbidden"> {
  return new Promise((resolveProbe) => {
    const server = createServer();
    server.unref();
    server.once("error", (error: NodeJS.ErrnoException) => resolveProbe(error.code === "EACCES" ? "forbidden" : "taken"));
    server.listen(port, host, () => server.close(() => resolveProbe("free")));
  });
}

async function heartbeatOk(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(`${url}${HEARTBEAT_PATH}`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

/** Keeps the last `limit` characters of a stream. */
class OutputTail {
  private text = "";
  constructor(private readonly limit: number) {}
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.limit);
  }
  toString(): string {
    // Drop ANSI colours of the banner.
    // eslint-disable-next-line no-control-regex
    return this.text.replace(/\u001b\[[0-9;]*m/g, "").trim();
  }
}

export type StartFailureCause = "port_taken" | "native_binary" | "path_not_writable" | "exited_early" | "timeout";

/**
 * Turns what the failed server printed into the cause and a message saying what to do.
 * Exported for tests; not part of the package's main entry.
 */
export function describeStartFailure(params: {
  output: string;
  host: string;
  port: number;
  path: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  startTimeoutMs: number;
}): { cause: StartFailureCause; message: string } {
  const { output, host, port, path } = params;
  const tail = output.length === 0 ? "(no output)" : output.slice(-1_500);
  if (/ERR_DLOPEN_FAILED|GLIBC_\d|cannot open shared object|invalid ELF header/i.test(output)) {
    return {
      cause: "native_binary",
      message:
        `The Chroma server's native binary did not load. On Linux with glibc < 2.38 (e.g. Debian 12), pin ` +
        `"chromadb-js-bindings-linux-x64-gnu" to 1.0.5 (pnpm "overrides" / npm "overrides" in package.json) and ` +
        `reinstall. Server output: ${tail}`,
    };
  }
  if (/is not available|address already in use|EADDRINUSE|os error 98/i.test(output)) {
    return {
      cause: "port_taken",
      message: `Port ${port} on ${host} is already taken, so the Chroma server could not listen there. Choose another port, omit "port" to get a free one, or stop what uses it.`,
    };
  }
  if (/PathError|Permission denied|Read-only file system|Not a directory|unable to open database/i.test(output)) {
    return {
      cause: "path_not_writable",
      message: `The Chroma server could not use its data folder ${path}. Give a "path" that is a writable folder. Server output: ${tail}`,
    };
  }
  if (params.timedOut) {
    return {
      cause: "timeout",
      message: `The Chroma server did not answer ${HEARTBEAT_PATH} on ${host}:${port} within ${params.startTimeoutMs} ms. Raise "startTimeoutMs" on a slow machine, or check its output: ${tail}`,
    };
  }
  const how = params.signal === null ? `code ${String(params.exitCode)}` : `signal ${params.signal}`;
  return {
    cause: "exited_early",
    message: `The Chroma server exited (${how}) before it was ready. Its output ends with: ${tail}`,
  };
}

async function ensureWritableFolder(path: string): Promise<void> {
  try {
    await mkdir(path, { recursive: true });
    const probe = join(path, `.lessonloop-write-probe-${process.pid}`);
    await writeFile(probe, "");
    await unlink(probe);
  } catch (error) {
    throw new LessonloopError(
      "server_start_failed",
      `The Chroma data folder ${path} is not a writable folder (${(error as NodeJS.ErrnoException).code ?? String(error)}). Give a "path" that is a writable folder, or omit it for a temporary one.`,
      { cause: error, details: { cause: "path_not_writable", path } },
    );
  }
}

async function connectExternal(url: string, startTimeoutMs: number): Promise<ChromaServer> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Without the TypeError as cause: it carries the URL, credentials included, as `input`.
    throw new LessonloopError("invalid_input", `Invalid Chroma URL "${redactUrlCredentials(url)}": expected e.g. http://localhost:8000.`);
  }
  const base = parsed.origin;
  if (!(await heartbeatOk(base, Math.max(startTimeoutMs, 1)))) {
    throw new LessonloopError(
      "store_unavailable",
      `No Chroma server answers at ${base}${HEARTBEAT_PATH}. Start one (e.g. \`npx chroma run --path ./chroma-data\`), fix CHROMA_URL, or unset it to start an embedded server.`,
      { details: { url: base } },
    );
  }
  const port = parsed.port === "" ? (parsed.protocol === "https:" ? 443 : 80) : Number(parsed.port);
  return {
    url: base,
    host: parsed.hostname,
    port,
    pid: undefined,
    path: undefined,
    external: true,
    stop: async () => {},
  };
}

/**
 * Starts the real Chroma server carried by the `chromadb` npm package as one child
 * process on a free port, and waits until it answers its heartbeat. With `url`,
 * connects to an existing server instead.
 *
 * @throws LessonloopError `server_start_failed` (port taken, native binary that will
 *   not load, data folder not writable, exited early, no heartbeat in time), or
 *   `store_unavailable` when `url` does not answer.
 */
export async function startChroma(params: StartChromaParams = {}): Promise<ChromaServer> {
  const { url, host = "127.0.0.1", startTimeoutMs = 20_000, stopTimeoutMs = 5_000 } = params;
  if (url !== undefined) return connectExternal(url, startTimeoutMs);
  if (!/^(127\.\d+\.\d+\.\d+|::1|localhost)$/i.test(host)) {
    console.warn(`[lessonloop] startChroma: the Chroma server listens on ${host}, reachable from other machines, and has no authentication: anyone who can reach its port can read and change the memory. Bind 127.0.0.1 (the default), or put it behind a firewall or an authenticating proxy.`);
  }

  const temporary = params.path === undefined;
  const path = params.path === undefined ? await mkdtemp(join(tmpdir(), "lessonloop-chroma-")) : resolve(params.path);
  await ensureWritableFolder(path);
  // A temporary folder is this server's alone; a given one may be shared, so it is locked.
  let lock: ProcessLock | undefined;
  try {
    lock = temporary ? undefined : await lockDataFolder(path, stopTimeoutMs);
  } catch (error) {
    const holderUrl = runningHolderUrl(error);
    if (params.whenHeld !== "connect" || holderUrl === undefined) throw error;
    return { ...(await connectExternal(holderUrl, startTimeoutMs)), path };
  }
  const removeTemporary = async (): Promise<void> => {
    lock?.release();
    if (temporary) await rm(path, { recursive: true, force: true }).catch(() => {});
  };

  if (params.port !== undefined) {
    const probe = await probePort(host, params.port);
    if (probe !== "free") {
      await removeTemporary();
      const message =
        probe === "forbidden"
          ? `This process may not listen on port ${params.port} of ${host} (ports below 1024 need privileges). Choose a port above 1024, or omit "port" to get a free one.`
          : describeStartFailure({
              output: "EADDRINUSE",
              host,
              port: params.port,
              path,
              exitCode: null,
              signal: null,
              timedOut: false,
              startTimeoutMs,
            }).message;
      throw new LessonloopError("server_start_failed", message, { details: { cause: "port_taken", host, port: params.port } });
    }
  }

  // A port found free can be taken by someone else before the server binds it: retry then.
  const attempts = params.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = params.port ?? (await findFreePort(host));
    try {
      return await launch({ host, port, path, temporary, lock, startTimeoutMs, stopTimeoutMs, removeTemporary });
    } catch (error) {
      const portTaken = LessonloopError.isInstance(error, "server_start_failed") && error.details["cause"] === "port_taken";
      if (!portTaken || attempt >= attempts) {
        await removeTemporary();
        throw error;
      }
    }
  }
}

interface ChildState {
  exited: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  spawnError: Error | undefined;
}

async function launch(params: {
  host: string;
  port: number;
  path: string;
  /** Whether `path` is a temporary folder to remove when the server goes. */
  temporary: boolean;
  /** The data folder's lock, when it is not temporary: it names the server too once it runs. */
  lock: ProcessLock | undefined;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  removeTemporary: () => Promise<void>;
}): Promise<ChromaServer> {
  const { host, port, path, temporary, lock, startTimeoutMs, stopTimeoutMs, removeTemporary } = params;
  const cli = chromaCliPath();
  const child = spawn(
    process.execPath,
    ["--import", WATCHDOG_IMPORT, cli, "run", "--path", path, "--host", host, "--port", String(port)],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: temporary ? { ...process.env, [TEMPORARY_PATH_ENV]: path } : process.env,
      // Its own process group: Ctrl-C in a terminal signals the caller's group, and the
      // caller (or, if it dies, the watchdog) stops the server and removes its folder.
      detached: true,
    },
  );
  // Neither the server nor its pipes keep the caller's process alive: a script that
  // never calls stop() still exits, and the exit hook (or the watchdog) stops the server.
  child.unref();
  // A child's pipes are sockets; the types only say readable streams.
  for (const stream of [child.stdout, child.stderr]) (stream as Socket | null)?.unref();
  installExitHook();
  liveChildren.set(child, temporary ? path : undefined);
  if (child.pid !== undefined) lock?.update({ processes: [child.pid], details: { url: `http://${host}:${port}` } });

  const output = new OutputTail(OUTPUT_TAIL_CHARS);
  // Always drain both pipes: a full pipe would block the server.
  child.stdout?.on("data", (chunk: Buffer) => output.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => output.push(chunk));

  const state: ChildState = { exited: false, exitCode: null, signal: null, spawnError: undefined };
  let served = false;
  const exitedPromise = new Promise<void>((resolveExit) => {
    child.once("exit", (code, signal) => {
      state.exited = true;
      state.exitCode = code;
      state.signal = signal;
      liveChildren.delete(child);
      // A server that ran and is gone (stopped, killed, crashed) no longer uses the folder: a
      // new one may start there. One that never got ready leaves the lock to the next attempt.
      if (served) lock?.release();
      resolveExit();
    });
    child.once("error", (error) => {
      state.spawnError = error;
      if (child.pid === undefined) {
        state.exited = true;
        liveChildren.delete(child);
        resolveExit();
      }
    });
  });

  const base = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  const halt = async (): Promise<void> => {
    if (!state.exited) {
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<boolean>((resolveGaveUp) => {
        timer = setTimeout(() => resolveGaveUp(false), stopTimeoutMs);
      });
      // Clear the timer either way: a pending one would keep the caller's process alive.
      const done = await Promise.race([exitedPromise.then(() => true), gaveUp]).finally(() => clearTimeout(timer));
      if (!done && !state.exited) {
        child.kill("SIGKILL");
        await exitedPromise;
      }
    }
    liveChildren.delete(child);
    child.stdout?.destroy();
    child.stderr?.destroy();
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= halt().then(removeTemporary);
    return stopping;
  };

  const deadline = Date.now() + startTimeoutMs;
  let ready = false;
  while (!state.exited && Date.now() < deadline) {
    if (await heartbeatOk(base, 1_000)) {
      ready = true;
      served = true;
      break;
    }
    if (!state.exited) await sleep(50);
  }

  if (!ready) {
    // Give a just-exited child a moment to flush its last output.
    if (state.exited) await sleep(20);
    const timedOut = !state.exited;
    await halt();
    if (state.spawnError !== undefined && child.pid === undefined) {
      throw new LessonloopError(
        "server_start_failed",
        `Could not run ${process.execPath} ${cli}: ${state.spawnError.message}. Check that the "chromadb" package is installed.`,
        { cause: state.spawnError, details: { cause: "exited_early" } },
      );
    }
    const failure = describeStartFailure({
      output: output.toString(),
      host,
      port,
      path,
      exitCode: state.exitCode,
      signal: state.signal,
      timedOut,
      startTimeoutMs,
    });
    throw new LessonloopError("server_start_failed", failure.message, {
      details: { cause: failure.cause, host, port, path, output: output.toString().slice(-OUTPUT_TAIL_CHARS) },
    });
  }

  return { url: base, host, port, pid: child.pid, path, external: false, stop };
}

/**
 * Locks a data folder for this process's server. A holder whose process has
 * ended while its server still stops (the watchdog ends it within seconds) is
 * waited for, so a restart right after a crash or exit is not refused.
 */
/** The URL of the running server that holds a data folder, from a `locked` error; undefined for anything else. */
function runningHolderUrl(error: unknown): string | undefined {
  if (!LessonloopError.isInstance(error, "locked") || error.details["holderState"] !== "running") return undefined;
  const url = (error.details["holder"] as { details?: Record<string, unknown> } | undefined)?.details?.["url"];
  return typeof url === "string" ? url : undefined;
}

async function lockDataFolder(path: string, stopTimeoutMs: number): Promise<ProcessLock> {
  const take = () =>
    acquireProcessLock({
      path: join(path, DATA_FOLDER_LOCK),
      resource: `The Chroma data folder ${path}`,
      advice: "One embedded server uses a data folder (two would each serve their own view of it): stop the other server, connect to it with \"url\" instead, or give this one another \"path\".",
      // The server outlives an exiting caller for a moment: the file stays until it is gone.
      releaseOnExit: false,
    });
  const deadline = Date.now() + stopTimeoutMs + 6_000;
  for (;;) {
    try {
      return take();
    } catch (error) {
      if (!LessonloopError.isInstance(error, "locked") || error.details["holderState"] !== "stopping" || Date.now() > deadline) throw error;
      await sleep(200);
    }
  }
}

/** A `ChromaClient` for a server URL such as `http://127.0.0.1:8000` or `https://chroma.example.com`. */
export function connectChroma(url: string): ChromaClient {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Without the TypeError as cause: it carries the URL, credentials included, as `input`.
    throw new LessonloopError("invalid_input", `Invalid Chroma URL "${redactUrlCredentials(url)}": expected e.g. http://localhost:8000.`);
  }
  const ssl = parsed.protocol === "https:";
  const port = parsed.port === "" ? (ssl ? 443 : 80) : Number(parsed.port);
  return new ChromaClient({ host: parsed.hostname, port, ssl });
}
