import { appendFile, mkdir, open, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { EpisodeSchema, LessonloopError, type Episode } from "@lessonloop/core";
import { createSerialQueue } from "@lessonloop/core/internal";
import { z } from "zod";

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
}

/** A line that marks episodes done. */
const DoneMarkSchema = z.object({ done: z.array(z.string()) }).strict();

function isMissing(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT";
}

/**
 * An `EpisodeJournal` in a JSONL file: episodes and "done" marks are
 * appended; every `compactEvery` marks the file is rewritten (to a temporary
 * file, then renamed over it, so a crash leaves one whole version). Writes are
 * serialized within the process; one process should own a journal file.
 */
export function createFileEpisodeJournal({
  path,
  fsync = false,
  compactEvery = 500,
  onCorruptLine = (line, error) =>
    console.warn(`[lessonloop] episode journal ${path}: skipped a line that is not an episode (${String(error)}): ${line.slice(0, 200)}`),
}: FileEpisodeJournalParams): EpisodeJournal {
  let marksSinceCompaction = 0;
  let checkedTail = false;
  const serial = createSerialQueue();
  const unavailable = (what: string, error: unknown) =>
    new LessonloopError("store_unavailable", `Could not ${what} the episode journal ${path}. Check that the folder is writable.`, { cause: error });

  /** Appends text; a line torn by a crash mid-write is ended first, so it cannot swallow the next one. */
  async function write(text: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
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
      try {
        const value: unknown = JSON.parse(line);
        const mark = DoneMarkSchema.safeParse(value);
        if (mark.success) for (const id of mark.data.done) pending.delete(id);
        else {
          const episode = EpisodeSchema.parse(value);
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
    await writeFile(temporary, episodes.map((episode) => `${JSON.stringify(episode)}\n`).join(""), "utf8");
    if (fsync) {
      const handle = await open(temporary, "r");
      await handle.sync().finally(() => handle.close());
    }
    await rename(temporary, path);
    marksSinceCompaction = 0;
  }

  return {
    append(episodes) {
      return serial(async () => {
        if (episodes.length === 0) return;
        const lines = episodes.map((episode) => `${JSON.stringify(EpisodeSchema.parse(episode))}\n`).join("");
        try {
          await write(lines);
        } catch (error) {
          throw unavailable(`write ${episodes.length} episode(s) to`, error);
        }
      });
    },
    markDone(episodeIds) {
      return serial(async () => {
        if (episodeIds.length === 0) return;
        try {
          await write(`${JSON.stringify({ done: [...episodeIds] })}\n`);
          marksSinceCompaction += episodeIds.length;
          if (marksSinceCompaction >= compactEvery) {
            const { episodes, corrupt } = await read();
            await rewrite(episodes, corrupt);
          }
        } catch (error) {
          throw LessonloopError.isInstance(error) ? error : unavailable("mark episodes done in", error);
        }
      });
    },
    pending() {
      return serial(async () => {
        const { episodes, corrupt } = await read();
        // Each corrupt line is reported once: it leaves the file now.
        if (corrupt.length > 0) await rewrite(episodes, corrupt).catch((error: unknown) => Promise.reject(unavailable("rewrite", error)));
        return episodes;
      });
    },
    takeAll() {
      return serial(async () => {
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
