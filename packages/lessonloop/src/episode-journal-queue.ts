import { randomUUID } from "node:crypto";
import { appendFile, readFile, rename, writeFile } from "node:fs/promises";
import { EpisodeSchema, LessonloopError, type Episode, type EpisodeQueue } from "@lessonloop/core";
import { parseWith } from "@lessonloop/core/internal";
import { z } from "zod";

/** What the queue side of a file journal needs from the journal it sits on. */
export interface JournalQueueParts {
  path: string;
  /** Runs `task` after every journal operation queued before it. */
  serial: <T>(task: () => Promise<T>) => Promise<T>;
  /** Fails unless the journal is open and still owned by this process. */
  assertOwner: () => void;
  /** Pending episodes, oldest first (inside `serial`). */
  readPending: () => Promise<Episode[]>;
  /** Appends lines (inside `serial`). */
  appendEpisodes: (episodes: readonly Episode[]) => Promise<void>;
  markDone: (episodeIds: readonly string[]) => Promise<void>;
  retryDelayMs: number;
  maxRetryDelayMs: number;
}

/** The dead-letter file's format; its lines are `{ "format": 1, "record": <dead letter> }`. */
const DEAD_FORMAT = 1;

const DeadRecordSchema = z.object({
  episode: z.unknown(),
  message: z.string(),
  code: z.string().optional(),
  attempts: z.number().int().min(1),
  failedAt: z.string(),
});

const DeadLineSchema = z.object({ format: z.number().int().min(0), record: DeadRecordSchema });

function isMissing(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT";
}

/**
 * The `EpisodeQueue` side of a file journal: leases live in this process (the
 * journal has one owner, so a lease ends with the process), failed attempts
 * and their backoff too; dead letters go to `<path>.dead` before the episode
 * leaves the journal, so a crash between the two keeps it (at least once).
 */
export function journalQueue(parts: JournalQueueParts): Omit<EpisodeQueue, "close" | "enqueue"> {
  const { path, serial, assertOwner, readPending, appendEpisodes, markDone, retryDelayMs, maxRetryDelayMs } = parts;
  const deadPath = `${path}.dead`;
  /** Episode id → the lease that holds it. */
  const leases = new Map<string, string>();
  const attempts = new Map<string, number>();
  /** Episode id → when it is due again after a failed attempt (ms since epoch). */
  const dueAt = new Map<string, number>();

  function holds(taken: EpisodeQueue.Taken): boolean {
    return leases.get(taken.episode.id) === taken.leaseId;
  }

  /** Ends the lease; a lease that is no longer held (released already) changes nothing. */
  function endLease(taken: EpisodeQueue.Taken): boolean {
    if (!holds(taken)) return false;
    leases.delete(taken.episode.id);
    return true;
  }

  async function readDead(): Promise<EpisodeQueue.DeadLetter[]> {
    let text: string;
    try {
      text = await readFile(deadPath, "utf8");
    } catch (error) {
      if (isMissing(error)) return [];
      throw new LessonloopError("store_unavailable", `Could not read the dead letters ${deadPath}. Check that the file is readable.`, { cause: error });
    }
    const letters: EpisodeQueue.DeadLetter[] = [];
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      const parsed = DeadLineSchema.safeParse(JSON.parse(line));
      if (!parsed.success || parsed.data.format > DEAD_FORMAT) {
        throw new LessonloopError("corrupt_store", `A line of the dead letters ${deadPath} is not a dead letter this version reads; it was damaged or written by a newer lessonloop.`, {
          details: { path: deadPath },
        });
      }
      const { episode, code, ...rest } = parsed.data.record;
      letters.push({ ...rest, episode: parseWith(EpisodeSchema, episode, "dead-lettered episode"), ...(code === undefined ? {} : { code: code as EpisodeQueue.Failure["code"] }) });
    }
    return letters;
  }

  return {
    leaseMs: Number.POSITIVE_INFINITY,
    take(limit) {
      return serial(async () => {
        assertOwner();
        const now = Date.now();
        const taken: EpisodeQueue.Taken[] = [];
        for (const episode of await readPending()) {
          if (taken.length >= limit) break;
          if (leases.has(episode.id) || (dueAt.get(episode.id) ?? 0) > now) continue;
          const leaseId = randomUUID();
          leases.set(episode.id, leaseId);
          taken.push({ episode, leaseId, attempts: attempts.get(episode.id) ?? 0 });
        }
        return taken;
      });
    },
    async complete(taken) {
      if (!holds(taken)) return;
      // The lease ends once the done mark is written: a take reading the file before it would hand the episode out again.
      try {
        await markDone([taken.episode.id]);
      } finally {
        endLease(taken);
      }
      attempts.delete(taken.episode.id);
      dueAt.delete(taken.episode.id);
    },
    async retryLater(taken) {
      if (!endLease(taken)) return;
      const failed = (attempts.get(taken.episode.id) ?? 0) + 1;
      attempts.set(taken.episode.id, failed);
      dueAt.set(taken.episode.id, Date.now() + Math.min(retryDelayMs * 2 ** (failed - 1), maxRetryDelayMs));
    },
    async deadLetter(taken, { message, code }) {
      if (!holds(taken)) return;
      const record = { episode: taken.episode, message, ...(code === undefined ? {} : { code }), attempts: taken.attempts + 1, failedAt: new Date().toISOString() };
      await serial(async () => {
        assertOwner();
        await appendFile(deadPath, `${JSON.stringify({ format: DEAD_FORMAT, record })}\n`, "utf8");
      });
      try {
        await markDone([taken.episode.id]);
      } finally {
        endLease(taken);
      }
      attempts.delete(taken.episode.id);
      dueAt.delete(taken.episode.id);
    },
    async release(taken) {
      endLease(taken);
    },
    deadLetters(limit = 100) {
      return serial(async () => (await readDead()).slice(0, limit));
    },
    requeueDead(episodeIds) {
      const wanted = new Set(episodeIds);
      return serial(async () => {
        assertOwner();
        const letters = await readDead();
        const back = letters.filter((letter) => wanted.has(letter.episode.id));
        if (back.length === 0) return 0;
        // Into the journal first: a crash before the rewrite leaves the episode both pending and dead, never neither.
        await appendEpisodes(back.map((letter) => letter.episode));
        const keep = letters.filter((letter) => !wanted.has(letter.episode.id));
        const temporary = `${deadPath}.rewriting-${process.pid}`;
        await writeFile(temporary, keep.map((letter) => `${JSON.stringify({ format: DEAD_FORMAT, record: letter })}\n`).join(""), "utf8");
        await rename(temporary, deadPath);
        for (const letter of back) attempts.delete(letter.episode.id);
        return back.length;
      });
    },
  };
}
