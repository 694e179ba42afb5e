import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LessonloopError } from "./errors.js";
import { acquireProcessLock, PROCESS_LOCK_FORMAT } from "./process-lock.js";

const folders: string[] = [];
afterEach(async () => {
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

async function lockPath(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), "lessonloop-lock-"));
  folders.push(folder);
  return join(folder, "nested", "thing.lock");
}

const take = (path: string) => acquireProcessLock({ path, resource: "The thing", advice: "Stop the other one." });

function refusal(path: string): LessonloopError {
  try {
    take(path);
  } catch (error) {
    if (LessonloopError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected the lock to be refused");
}

/** A pid above Linux's pid_max (2^22): no process has it. */
const NO_SUCH_PID = 2_147_483_000;

/** A lock file as another holder would have written it. */
function writeForeignLock(path: string, fields: Record<string, unknown>): void {
  writeFileSync(
    path,
    `${JSON.stringify({
      format: PROCESS_LOCK_FORMAT,
      token: "someone-else",
      pid: NO_SUCH_PID,
      start: null,
      hostname: hostname(),
      bootId: null,
      pidNamespace: null,
      acquiredAt: "2026-01-01T00:00:00.000Z",
      ...fields,
    })}\n`,
  );
}

describe("acquireProcessLock", () => {
  it("refuses a second holder, in this process too, naming the holder; release lets the next one in", async () => {
    const path = await lockPath();
    const lock = take(path);
    expect(lock.held()).toBe(true);
    const error = refusal(path);
    expect(error.code).toBe("locked");
    expect(error.message).toContain(`The thing is in use by process ${process.pid} (this process) on ${hostname()}`);
    expect(error.message).toContain("Stop the other one.");
    expect(error.details).toMatchObject({ lockPath: path, holderState: "running", holder: { pid: process.pid, hostname: hostname() } });
    lock.release();
    expect(existsSync(path)).toBe(false);
    expect(lock.held()).toBe(false);
    take(path).release();
  });

  it("replaces a lock whose process no longer runs", async () => {
    const path = await lockPath();
    take(path).release();
    writeForeignLock(path, {});
    const lock = take(path);
    expect(lock.held()).toBe(true);
    expect(JSON.parse(readFileSync(path, "utf8"))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it("replaces a lock whose pid now belongs to a process started later (a reused pid)", async () => {
    const path = await lockPath();
    take(path).release();
    // This process runs, but it is not the one that took the lock: that one started at tick 1.
    writeForeignLock(path, { pid: process.pid, start: "1" });
    const lock = take(path);
    expect(lock.held()).toBe(true);
    lock.release();
  });

  it("never judges a lock from another host stale, and says how to remove it", async () => {
    const path = await lockPath();
    take(path).release();
    writeForeignLock(path, { hostname: "some-other-host" });
    const error = refusal(path);
    expect(error.code).toBe("locked");
    expect(error.details["holderState"]).toBe("unknown");
    expect(error.message).toContain(`process ${NO_SUCH_PID} on some-other-host`);
    expect(error.message).toContain(`delete ${path}`);
  });

  it("waits for the processes a dead holder started: they are stopping, not gone", async () => {
    const path = await lockPath();
    take(path).release();
    writeForeignLock(path, { processes: [{ pid: process.pid, start: null }], details: { url: "http://127.0.0.1:1234" } });
    const error = refusal(path);
    expect(error.details["holderState"]).toBe("stopping");
    expect(error.message).toContain(`with process ${process.pid}, url http://127.0.0.1:1234`);
    expect(error.message).toContain("they stop within seconds");
  });

  it("lists the processes it started, so the lock stays until they are gone too", async () => {
    const path = await lockPath();
    const lock = take(path);
    lock.update({ processes: [process.pid], details: { url: "http://127.0.0.1:1" } });
    expect(lock.held()).toBe(true);
    expect(JSON.parse(readFileSync(path, "utf8"))).toMatchObject({ pid: process.pid, processes: [{ pid: process.pid }], details: { url: "http://127.0.0.1:1" } });
    lock.release();
  });

  it("leaves alone a lock file that is no longer its own", async () => {
    const path = await lockPath();
    const lock = take(path);
    writeForeignLock(path, { pid: process.pid });
    expect(lock.held()).toBe(false);
    lock.release();
    expect(JSON.parse(readFileSync(path, "utf8"))).toMatchObject({ token: "someone-else" });
  });

  it("refuses a lock written by a newer version it cannot read", async () => {
    const path = await lockPath();
    take(path).release();
    writeFileSync(path, JSON.stringify({ format: PROCESS_LOCK_FORMAT + 1, holder: { id: 7 } }));
    const error = refusal(path);
    expect(error.message).toContain("a newer version of lessonloop");
  });
});
