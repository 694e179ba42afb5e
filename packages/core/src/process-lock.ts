import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, readlinkSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { z } from "zod";
import { LessonloopError } from "./errors.js";

/**
 * A lock file that makes one process the owner of a resource (an episode
 * journal, a Chroma data folder) on one machine.
 *
 * The file is created whole or not at all (written aside, then hard-linked to
 * its name, which fails if the name exists), and holds who took it: pid,
 * the process's start time, host, boot and pid namespace. It is released by
 * `release()` and at the holder's exit; a holder that died without either
 * (SIGKILL, a power cut) leaves a stale file that the next opener recognises —
 * the pid no longer runs, or runs a process that started later — and replaces.
 * A holder on another host (or in another container's pid namespace) cannot be
 * checked from here, so its lock is never judged stale: the error says so.
 */
export const PROCESS_LOCK_FORMAT = 1;

/** Not strict: a newer release of the same format may add fields. */
const LockRecordSchema = z.object({
  format: z.number().int().min(0),
  token: z.string().min(1),
  pid: z.number().int().positive(),
  /** The process's start time as the kernel counts it (`/proc/<pid>/stat`), to tell a reused pid; null where unknown. */
  start: z.string().nullable(),
  hostname: z.string(),
  bootId: z.string().nullable(),
  pidNamespace: z.string().nullable(),
  acquiredAt: z.string(),
  /** Processes started for the holder that must be gone too before the lock is stale (an embedded server). */
  processes: z.array(z.object({ pid: z.number().int().positive(), start: z.string().nullable() })).default([]),
  /** Shown in the error of a refused opener, e.g. the server's URL. */
  details: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
});
type LockRecord = z.output<typeof LockRecordSchema>;

/** Who holds a lock, as a refused opener sees it (`details.holder` of the `locked` error). */
export interface ProcessLockHolder {
  pid: number;
  hostname: string;
  acquiredAt: string;
  processes: number[];
  details: Record<string, string | number>;
}

export interface ProcessLock {
  /** The lock file. */
  readonly path: string;
  /** Whether the lock file still names this lock (it was not released, nor taken over). */
  held(): boolean;
  /** Records processes started for the holder (they must be gone too before the lock is stale) and details to show. */
  update(params: { processes?: readonly number[]; details?: Record<string, string | number> }): void;
  /** Removes the lock file if it is still this lock's. Idempotent. */
  release(): void;
}

export interface AcquireProcessLockParams {
  /** The lock file, e.g. `<journal>.lock`. Its folder is created when missing. */
  path: string;
  /** What the lock guards, for messages: "The episode journal /data/episodes.jsonl". */
  resource: string;
  /** What to do when another process holds it, for the message. */
  advice: string;
  /** Shown to a refused opener. */
  details?: Record<string, string | number>;
  /**
   * Whether the lock file is removed when this process exits (`exit` event).
   * Default true. An owner whose processes outlive its exit for a moment (a
   * server stopping) passes false: the file stays, and the next opener waits
   * for those processes before judging it stale.
   */
  releaseOnExit?: boolean;
}

/** How a lock file's holder looks from here. */
export type LockHolderState = "running" | "stopping" | "stale" | "unknown";

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** The start time of a process in clock ticks since boot (field 22 of `/proc/<pid>/stat`); null off Linux. */
function processStart(pid: number): string | null {
  const stat = readOrNull(`/proc/${pid}/stat`)?.trim();
  if (stat === undefined) return null;
  // The command name (field 2) may hold spaces and parentheses: count from the last ")".
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
}

function pidNamespace(): string | null {
  try {
    return readlinkSync("/proc/self/ns/pid");
  } catch {
    return null;
  }
}

const here = {
  hostname: hostname(),
  bootId: readOrNull("/proc/sys/kernel/random/boot_id")?.trim() ?? null,
  pidNamespace: pidNamespace(),
};

function isRunning(pid: number, start: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it runs, as another user.
    if (errorCode(error) !== "EPERM") return false;
  }
  if (start === null) return true;
  const now = processStart(pid);
  // A different start time: the pid was reused by a later process.
  return now === null || now === start;
}

/** Whether the holder of `record` runs, has died leaving its servers stopping, is gone, or cannot be checked from here. */
function lockHolderState(record: LockRecord): LockHolderState {
  if (record.hostname !== here.hostname) return "unknown";
  // The same host rebooted since: every process of the lock is gone.
  if (record.bootId !== null && here.bootId !== null && record.bootId !== here.bootId) return "stale";
  if (record.pidNamespace !== null && here.pidNamespace !== null && record.pidNamespace !== here.pidNamespace) return "unknown";
  if (isRunning(record.pid, record.start)) return "running";
  return record.processes.some(({ pid, start }) => isRunning(pid, start)) ? "stopping" : "stale";
}

function parseLock(text: string): LockRecord | undefined {
  try {
    const result = LockRecordSchema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

function holderOf(record: LockRecord): ProcessLockHolder {
  return { pid: record.pid, hostname: record.hostname, acquiredAt: record.acquiredAt, processes: record.processes.map(({ pid }) => pid), details: record.details };
}

function describeHolder(record: LockRecord): string {
  const self = record.pid === process.pid && record.hostname === here.hostname ? " (this process)" : "";
  const processes = record.processes.length === 0 ? "" : `, with process ${record.processes.map(({ pid }) => pid).join(", ")}`;
  const details = Object.entries(record.details).map(([key, value]) => `, ${key} ${value}`).join("");
  return `process ${record.pid}${self} on ${record.hostname}${processes}${details}, since ${record.acquiredAt}`;
}

/** Locks of this process to remove at its exit. */
const releasedAtExit = new Set<ProcessLock>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const lock of releasedAtExit) lock.release();
  });
}

/** How long a lock file that is not a lock (a torn write of the fallback path) counts as being written. */
const UNREADABLE_GRACE_MS = 5_000;

/** Creates `path` with `text`, whole, failing with EEXIST when it exists. */
function createWhole(path: string, text: string): void {
  const aside = `${path}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(aside, text, { flag: "wx" });
  try {
    linkSync(aside, path);
  } catch (error) {
    // A file system without hard links: an exclusive create, whose content lands a moment later.
    if (!["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"].includes(errorCode(error) ?? "")) throw error;
    writeFileSync(path, text, { flag: "wx" });
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      // already gone
    }
  }
}

/**
 * Moves a lock file aside if it still holds `expected`, and removes it. If
 * another process replaced it in between, its lock is put back.
 */
function removeIf(path: string, expected: (text: string) => boolean): void {
  const aside = `${path}.${process.pid}-${randomBytes(4).toString("hex")}.removing`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return;
    throw error;
  }
  try {
    if (!expected(readFileSync(aside, "utf8"))) {
      try {
        linkSync(aside, path);
      } catch {
        // a third opener took the name meanwhile; it is theirs now
      }
    }
  } finally {
    unlinkSync(aside);
  }
}

/**
 * Takes the lock file at `path`, replacing a stale one.
 *
 * @throws LessonloopError `locked` when another process holds it (details:
 *   `lockPath`, `holder`, `holderState` — `running`, `stopping` when its
 *   holder died but a process it started still runs, `unknown` when it cannot
 *   be checked from here); `store_unavailable` when the file cannot be written.
 */
export function acquireProcessLock({ path, resource, advice, details = {}, releaseOnExit = true }: AcquireProcessLockParams): ProcessLock {
  const token = randomBytes(12).toString("hex");
  let record: LockRecord = {
    format: PROCESS_LOCK_FORMAT,
    token,
    pid: process.pid,
    start: processStart(process.pid),
    hostname: here.hostname,
    bootId: here.bootId,
    pidNamespace: here.pidNamespace,
    acquiredAt: new Date().toISOString(),
    processes: [],
    details,
  };
  const ours = (text: string): boolean => parseLock(text)?.token === token;
  let released = false;
  const lock: ProcessLock = {
    path,
    held: () => {
      const text = readOrNull(path);
      return text !== null && ours(text);
    },
    update({ processes, details: more }) {
      if (!lock.held()) return;
      record = {
        ...record,
        processes: [...record.processes, ...(processes ?? []).map((pid) => ({ pid, start: processStart(pid) }))],
        details: { ...record.details, ...more },
      };
      const aside = `${path}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
      writeFileSync(aside, `${JSON.stringify(record)}\n`);
      renameSync(aside, path);
    },
    release() {
      releasedAtExit.delete(lock);
      // Once is enough: the file may since be another holder's, briefly moved aside by removeIf.
      if (released) return;
      released = true;
      try {
        removeIf(path, ours);
      } catch {
        // A lock that cannot be removed is judged stale once this process is gone.
      }
    },
  };

  try {
    mkdirSync(dirname(path), { recursive: true });
    // A few rounds: a stale lock removed here may be taken by another opener first.
    for (let round = 0; round < 5; round++) {
      try {
        createWhole(path, `${JSON.stringify(record)}\n`);
        if (releaseOnExit) {
          installExitHook();
          releasedAtExit.add(lock);
        }
        return lock;
      } catch (error) {
        if (errorCode(error) !== "EEXIST") throw error;
      }
      const text = readOrNull(path);
      if (text === null) continue;
      const holder = parseLock(text);
      if (holder === undefined) {
        const newer = (() => {
          try {
            const format = (JSON.parse(text) as { format?: unknown }).format;
            return typeof format === "number" && format > PROCESS_LOCK_FORMAT;
          } catch {
            return false;
          }
        })();
        const age = Date.now() - (statSafe(path) ?? Date.now());
        if (newer || age < UNREADABLE_GRACE_MS) {
          throw new LessonloopError(
            "locked",
            `${resource} is locked by ${newer ? "a newer version of lessonloop" : "a process that is taking it right now"} (${path}). ${advice}`,
            { details: { lockPath: path, holderState: "unknown" } },
          );
        }
        removeIf(path, (now) => now === text);
        continue;
      }
      const state = lockHolderState(holder);
      if (state === "stale") {
        removeIf(path, (now) => now === text);
        continue;
      }
      const why =
        state === "stopping"
          ? ` Its process has ended, but ${holder.processes.length === 1 ? "the process" : "processes"} it started (${holder.processes.map(({ pid }) => pid).join(", ")}) still run${holder.processes.length === 1 ? "s" : ""}; they stop within seconds.`
          : state === "unknown"
            ? ` That process cannot be checked from here (another host or container); if it is gone, delete ${path}.`
            : "";
      throw new LessonloopError("locked", `${resource} is in use by ${describeHolder(holder)}.${why} ${advice}`, {
        details: { lockPath: path, holder: holderOf(holder), holderState: state },
      });
    }
    throw new LessonloopError("locked", `${resource} changed hands repeatedly while this process tried to lock it (${path}). ${advice}`, {
      details: { lockPath: path, holderState: "unknown" },
    });
  } catch (error) {
    if (LessonloopError.isInstance(error)) throw error;
    throw new LessonloopError("store_unavailable", `Could not lock ${resource} (${errorCode(error) ?? String(error)} on ${path}). Check that its folder is writable.`, {
      cause: error,
      details: { lockPath: path },
    });
  }
}

function statSafe(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}
