import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LessonloopError } from "@lessonloop/core";
import pg from "pg";

/** A PostgreSQL server started for a test or a local fleet, in its own temporary folder. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** The data folder. */
  readonly path: string;
  /** Kills the server with SIGKILL (as a crash would) and waits until it is gone; the data folder stays. */
  kill(): Promise<void>;
  /** Starts the server again on the same folder and port (after `kill`). */
  restart(): Promise<void>;
  /** Stops the server (fast shutdown) and removes its folder. Idempotent. */
  stop(): Promise<void>;
}

/** Where PostgreSQL's server programs are: `POSTGRES_BIN`, else the newest Debian install, else the PATH. */
function binDir(): string | undefined {
  const given = process.env["POSTGRES_BIN"];
  if (given !== undefined && given !== "") return given;
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
    for (const version of versions) if (existsSync(join(debian, version, "bin", "initdb"))) return join(debian, version, "bin");
  }
  return undefined;
}

/** initdb refuses to run as root: as root, the server runs as the `postgres` user the Debian package creates. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    return { uid: Number(execFileSync("id", ["-u", "postgres"]).toString()), gid: Number(execFileSync("id", ["-g", "postgres"]).toString()) };
  } catch (cause) {
    throw new LessonloopError("server_start_failed", "PostgreSQL cannot run as root and there is no postgres user. Install PostgreSQL (apt-get install -y postgresql) or run as another user.", { cause });
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Whether the server answers a query (it accepts connections a while before it is ready). */
async function ready(port: number): Promise<boolean> {
  const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres", connectionTimeoutMillis: 1_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Starts a real PostgreSQL server on a free loopback port in a fresh
 * temporary folder (initdb, trust authentication): what the tests and the
 * fleet example run the shared queue on. Needs PostgreSQL's server programs
 * (Debian: `apt-get install -y postgresql`; `POSTGRES_BIN` names their folder).
 *
 * @throws LessonloopError `server_start_failed` when they are missing or the server does not come up.
 */
export async function startPostgres({ startTimeoutMs = 30_000 }: { startTimeoutMs?: number } = {}): Promise<PostgresServer> {
  const bin = binDir();
  const initdb = bin === undefined ? "initdb" : join(bin, "initdb");
  const postgres = bin === undefined ? "postgres" : join(bin, "postgres");
  const user = serverUser();
  const path = await mkdtemp(join(tmpdir(), "lessonloop-postgres-"));
  if (user !== undefined) chownSync(path, user.uid, user.gid);
  try {
    execFileSync(initdb, ["-D", path, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"], { stdio: "pipe", ...user });
  } catch (cause) {
    await rm(path, { recursive: true, force: true });
    throw new LessonloopError("server_start_failed", `initdb failed (${String(cause).slice(0, 300)}). Install PostgreSQL's server (apt-get install -y postgresql) or set POSTGRES_BIN to the folder of initdb and postgres.`, { cause });
  }
  const port = await freePort();
  let child: ChildProcess | undefined;
  let stopped = false;

  async function launch(): Promise<void> {
    // Sockets in the data folder: nothing is written to /var/run, and only loopback TCP is served.
    const started = spawn(postgres, ["-D", path, "-p", String(port), "-h", "127.0.0.1", "-k", path, "-c", "max_connections=200"], { stdio: "ignore", ...user });
    child = started;
    started.unref();
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (started.exitCode !== null) break;
      if (await ready(port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    started.kill("SIGKILL");
    throw new LessonloopError("server_start_failed", `PostgreSQL did not start on 127.0.0.1:${port} within ${startTimeoutMs} ms (data folder ${path}).`);
  }

  async function ended(signal: NodeJS.Signals): Promise<void> {
    const running = child;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    // The child is unref'd: a timer keeps this process alive until the server is gone.
    const alive = setInterval(() => undefined, 1_000);
    await new Promise<void>((resolve) => {
      running.once("exit", () => resolve());
      running.kill(signal);
    }).finally(() => clearInterval(alive));
  }

  await launch();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    get pid() {
      return child?.pid ?? -1;
    },
    path,
    kill: () => ended("SIGKILL"),
    restart: launch,
    async stop() {
      if (stopped) return;
      stopped = true;
      // SIGINT is PostgreSQL's fast shutdown.
      await ended("SIGINT");
      await rm(path, { recursive: true, force: true });
    },
  };
}
