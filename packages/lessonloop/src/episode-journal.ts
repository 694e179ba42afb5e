import { appendFile, open, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { EpisodeSchema, LessonloopError, type Episode, type EpisodeQueue } from "@lessonloop/core";
import { acquireProcessLock, createSerialQueue, parseKnownFields, parseWith } from "@lessonloop/core/internal";
import { z } from "zod";
import { journalQueue } from "./episode-journal-queue.js";

/**
 * Where background episodes are kept until they are learned: a write-ahead log.
 * The learning queue appends an episode before it acknowledges it, marks it
 * done once learned (or given up on), and a new learning loop queues every
 * episode still pending — so an episode handed to background learning
 * survives a crash (SIGKILL included) and a store that is down.
 */
export interface EpisodeJournal {
  /** Appends episodes; they stay pending until `markDone` names them. Resolves once they are written. */
  append(episodes: readonly Episode[]): Promise<void>;
  /** Records that these episodes were learned (or given up on): they are no longer pending. */
  markDone(episodeIds: readonly string[]): Promise<void>;
  /** Every pending episode, oldest first. They stay in the journal. */
  pending(): Promise<Episode[]>;
  /** Returns every pending episode, oldest first, and empties the journal. */
  takeAll(): Promise<Episode[]>;
  /** Lets go of the journal (its lock, for a file journal); later calls fail. A learning loop's `close()` calls it. */
  close?(): Promise<void>;
}

/**
 * A journal in a file, owned by one process at a time. It is also an
 * `EpisodeQueue` (the embedded one): a learning worker in the same process
 * takes its episodes, with dead letters in `<path>.dead`.
 */
export interface FileEpisodeJournal extends EpisodeJournal, EpisodeQueue {
  /** The lock file that makes this process the journal's owner: `<path>.lock`. */
  readonly lockPath: string;
  /** Waits for writes under way, then releases the lock, so another process (or journal) may open the file. Idempotent. */
  close(): Promise<void>;
}

export interface FileEpisodeJournalParams {
  /** The JSONL file (one episode, or one "done" mark, a line). Its folder is created when missing. */
  path: string;
  /**
   * Whether each write is flushed to the disk (`fsync`) before it resolves.
   * Without it (default) a write survives the process being killed (it is in
   * the OS's page cache), but not the machine losing power.
   */
  fsync?: boolean;
  /** How many "done" marks accumulate before the file is rewritten with only the pending episodes. Default 500. */
  compactEvery?: number;
  /**
   * Told about each line that does not parse as an episode (a torn write, an
   * edited file). Such lines are moved to `<path>.corrupt` and skipped.
   * Default: one `console.warn` line.
   */
  onCorruptLine?: (line: string, error: unknown) => void;
  /** As an `EpisodeQueue`: first pause (ms) before an episode given to `retryLater` is due again; it doubles with each attempt. Default 1 000. */
  retryDelayMs?: number;
  /** As an `EpisodeQueue`: longest such pause (ms). Default 30 000. */
  maxRetryDelayMs?: number;
}

/**
 * The format of the journal's lines: `{ "format": 1, "record": <episode or done mark> }`.
 * A line without the envelope was written before formats were recorded
 * (format 0) and is still read. A line of a newer format is refused, never
 * set aside, so a downgrade cannot lose its episode.
 */
export const JOURNAL_FORMAT = 1;

/** A line that marks episodes done. Not strict: the same format of a newer release may add fields. */
const DoneMarkSchema = z.object({ done: z.array(z.string()) });

/** A versioned line; anything else is a format-0 record. */
const EnvelopeSchema = z.object({ format: z.number().int().min(0), record: z.unknown() });

function encodeLine(record: unknown): string {
  return `${JSON.stringify({ format: JOURNAL_FORMAT, record })}\n`;
}

/** Parses an episode with today's schema, dropping fields a newer release of the same format may write; a wrong known field still fails. */
function parseEpisode(value: unknown): Episode {
  const result = parseKnownFields(EpisodeSchema, value);
  if (!result.success) throw result.error;
  return result.data;
}

function isMissing(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT";
}

/**
 * An `EpisodeJournal` in a JSONL file: episodes and "done" marks are
 * appended; every `compactEvery` marks the file is rewritten (to a temporary
 * file, then renamed over it, so a crash leaves one whole version). Writes are
 * serialized within the process.
 *
 * One journal owns the file: opening takes the lock file `<path>.lock`
 * (pid, start time, host), released by `close()` or when the process exits,
 * and judged stale once its process is gone, even killed by SIGKILL. A second
 * opener — another process, or another journal in this one — is refused:
 * compacting while another writer appends would lose its episodes.
 *
 * @throws LessonloopError `locked` naming the process that holds the journal.
 */
export function createFileEpisodeJournal({
  path,
  fsync = false,
  compactEvery = 500,
  onCorruptLine = (line, error) =>
    console.warn(`[lessonloop] episode journal ${path}: skipped a line that is not an episode (${String(error)}): ${line.slice(0, 200)}`),
  retryDelayMs = 1_000,
  maxRetryDelayMs = 30_000,
}: FileEpisodeJournalParams): FileEpisodeJournal {
  let marksSinceCompaction = 0;
  let checkedTail = false;
  let closing: Promise<void> | undefined;
  let closed = false;
  const serial = createSerialQueue();
  const unavailable = (what: string, error: unknown) =>
    new LessonloopError("store_unavailable", `Could not ${what} the episode journal ${path}. Check that the folder is writable.`, { cause: error });
  const lock = acquireProcessLock({
    path: `${path}.lock`,
    resource: `The episode journal ${path}`,
    advice:
      "One process owns a journal (another appending while it compacts would lose episodes): stop that process, close() the other journal, or give this one its own path.",
  });

  /** Fails unless this journal still owns the file: writing into another owner's journal could lose episodes. */
  function assertOwner(): void {
    if (closed) {
      throw new LessonloopError("invalid_input", `The episode journal ${path} was closed. Open it again with createFileEpisodeJournal({ path }).`);
    }
    if (!lock.held()) {
      throw new LessonloopError(
        "locked",
        `The episode journal ${path} is no longer locked by this process (${lock.path} was removed or taken over), so it stops writing. Restart the process that should own the journal.`,
        { details: { lockPath: lock.path } },
      );
    }
  }

  /** Appends text; a line torn by a crash mid-write is ended first, so it cannot swallow the next one. */
  async function write(text: string): Promise<void> {
    if (!checkedTail) {
      const existing = await readFile(path, "utf8").catch((error: unknown) => (isMissing(error) ? "" : Promise.reject(error)));
      if (existing !== "" && !existing.endsWith("\n")) text = `\n${text}`;
      checkedTail = true;
    }
    if (!fsync) {
      await appendFile(path, text, "utf8");
      return;
    }
    const handle = await open(path, "a");
    try {
      await handle.appendFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Pending episodes (in order, each once) and the lines that parse as nothing. */
  async function read(): Promise<{ episodes: Episode[]; corrupt: string[] }> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if (isMissing(error)) return { episodes: [], corrupt: [] };
      throw unavailable("read", error);
    }
    const pending = new Map<string, Episode>();
    const corrupt: string[] = [];
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch (error) {
        corrupt.push(line);
        onCorruptLine(line, error);
        continue;
      }
      const envelope = EnvelopeSchema.safeParse(record);
      if (envelope.success) {
        if (envelope.data.format > JOURNAL_FORMAT) {
          throw new LessonloopError(
            "corrupt_store",
            `The episode journal ${path} holds a line in format ${envelope.data.format}, written by a newer lessonloop; this version reads format ${JOURNAL_FORMAT} and older. Upgrade lessonloop to read it (the file is left as it is).`,
            { details: { path, format: envelope.data.format, readable: JOURNAL_FORMAT } },
          );
        }
        record = envelope.data.record;
      }
      try {
        const mark = DoneMarkSchema.safeParse(record);
        if (mark.success) for (const id of mark.data.done) pending.delete(id);
        else {
          const episode = parseEpisode(record);
          if (!pending.has(episode.id)) pending.set(episode.id, episode);
        }
      } catch (error) {
        corrupt.push(line);
        onCorruptLine(line, error);
      }
    }
    return { episodes: [...pending.values()], corrupt };
  }

  /** Rewrites the file with only `episodes`, atomically; corrupt lines go aside to `<path>.corrupt`. */
  async function rewrite(episodes: readonly Episode[], corrupt: readonly string[]): Promise<void> {
    if (corrupt.length > 0) await appendFile(`${path}.corrupt`, corrupt.map((line) => `${line}\n`).join(""), "utf8");
    const temporary = `${path}.compacting-${process.pid}`;
    await writeFile(temporary, episodes.map(encodeLine).join(""), "utf8");
    if (fsync) {
      const handle = await open(temporary, "r");
      await handle.sync().finally(() => handle.close());
    }
    await rename(temporary, path);
    marksSinceCompaction = 0;
  }

  /** Pending episodes; each corrupt line is reported once: it leaves the file now. Inside `serial`. */
  async function readPending(): Promise<Episode[]> {
    const { episodes, corrupt } = await read();
    if (corrupt.length > 0) await rewrite(episodes, corrupt).catch((error: unknown) => Promise.reject(unavailable("rewrite", error)));
    return episodes;
  }

  /** Appends episodes. Inside `serial`. */
  async function appendEpisodes(episodes: readonly Episode[]): Promise<void> {
    if (episodes.length === 0) return;
    const lines = episodes.map((episode) => encodeLine(EpisodeSchema.parse(episode))).join("");
    try {
      await write(lines);
    } catch (error) {
      throw unavailable(`write ${episodes.length} episode(s) to`, error);
    }
  }

  const markDone = (episodeIds: readonly string[]): Promise<void> =>
    serial(async () => {
      assertOwner();
      if (episodeIds.length === 0) return;
      try {
        await write(encodeLine({ done: [...episodeIds] }));
        marksSinceCompaction += episodeIds.length;
        if (marksSinceCompaction >= compactEvery) {
          const { episodes, corrupt } = await read();
          await rewrite(episodes, corrupt);
        }
      } catch (error) {
        throw LessonloopError.isInstance(error) ? error : unavailable("mark episodes done in", error);
      }
    });

  return {
    lockPath: lock.path,
    ...journalQueue({ path, serial, assertOwner, readPending, appendEpisodes, markDone, retryDelayMs, maxRetryDelayMs }),
    append(episodes) {
      return serial(async () => {
        assertOwner();
        await appendEpisodes(episodes);
      });
    },
    async enqueue(episodes) {
      // Parsed before anything is written: a bad episode stores none of its batch.
      const parsed = episodes.map((episode, index) => parseWith(EpisodeSchema, episode, `episode ${index}`));
      return serial(async () => {
        assertOwner();
        await appendEpisodes(parsed);
      });
    },
    markDone,
    pending() {
      return serial(async () => {
        assertOwner();
        return readPending();
      });
    },
    takeAll() {
      return serial(async () => {
        assertOwner();
        const { episodes, corrupt } = await read();
        if (corrupt.length > 0) await appendFile(`${path}.corrupt`, corrupt.map((line) => `${line}\n`).join(""), "utf8");
        try {
          await unlink(path);
        } catch (error) {
          if (!isMissing(error)) throw unavailable("empty", error);
        }
        return episodes;
      });
    },
    close() {
      // Writes already queued finish first; the lock goes last.
      closing ??= serial(async () => {
        closed = true;
        lock.release();
      });
      return closing;
    },
  };
}

/** An `EpisodeJournal` in this process's memory: survives a loop, not the process. For tests. */
export function createInMemoryEpisodeJournal(): EpisodeJournal & { readonly size: number } {
  let episodes: Episode[] = [];
  return {
    /** Pending episodes. */
    get size() {
      return episodes.length;
    },
    async append(more) {
      const known = new Set(episodes.map((episode) => episode.id));
      episodes.push(...more.map((episode) => EpisodeSchema.parse(episode)).filter((episode) => !known.has(episode.id)));
    },
    async markDone(episodeIds) {
      const done = new Set(episodeIds);
      episodes = episodes.filter((episode) => !done.has(episode.id));
    },
    async pending() {
      return [...episodes];
    },
    async takeAll() {
      const all = episodes;
      episodes = [];
      return all;
    },
  };
}
