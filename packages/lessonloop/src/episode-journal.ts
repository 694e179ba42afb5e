import { appendFile, mkdir, readFile, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { EpisodeSchema, LessonloopError, type Episode } from "@lessonloop/core";

/**
 * Where episodes that were not learned yet are kept across a restart: the
 * background queue writes to it on shutdown (and, with `onFull: "persist"`,
 * when it is full), and a new learning loop takes everything back out and
 * learns it.
 */
export interface EpisodeJournal {
  /** Appends episodes; they stay until `takeAll` returns them. */
  append(episodes: readonly Episode[]): Promise<void>;
  /** Returns every episode appended so far, oldest first, and empties the journal. */
  takeAll(): Promise<Episode[]>;
}

export interface FileEpisodeJournalParams {
  /** The JSONL file (one episode a line). Its folder is created when missing. */
  path: string;
  /**
   * Told about each line that does not parse as an episode (a torn write, an
   * edited file). Such lines are moved to `<path>.corrupt` and skipped.
   * Default: one `console.warn` line.
   */
  onCorruptLine?: (line: string, error: unknown) => void;
}

function isMissing(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT";
}

/**
 * An `EpisodeJournal` in a JSONL file. Appends are serialized within the
 * process; `takeAll` renames the file before reading it, so an append that
 * lands meanwhile goes to a fresh file and is not lost.
 */
export function createFileEpisodeJournal({
  path,
  onCorruptLine = (line, error) =>
    console.warn(`[lessonloop] episode journal ${path}: skipped a line that is not an episode (${String(error)}): ${line.slice(0, 200)}`),
}: FileEpisodeJournalParams): EpisodeJournal {
  let chain: Promise<unknown> = Promise.resolve();
  let takes = 0;
  const serial = <T>(run: () => Promise<T>): Promise<T> => {
    const next = chain.then(run, run);
    chain = next.catch(() => undefined);
    return next;
  };

  return {
    append(episodes) {
      return serial(async () => {
        if (episodes.length === 0) return;
        const lines = episodes.map((episode) => `${JSON.stringify(EpisodeSchema.parse(episode))}\n`).join("");
        try {
          await mkdir(dirname(path), { recursive: true });
          await appendFile(path, lines, "utf8");
        } catch (error) {
          throw new LessonloopError("store_unavailable", `Could not write ${episodes.length} episode(s) to the journal ${path}. Check that the folder is writable.`, { cause: error });
        }
      });
    },
    takeAll() {
      return serial(async () => {
        takes += 1;
        const taking = `${path}.taking-${process.pid}-${takes}`;
        try {
          await rename(path, taking);
        } catch (error) {
          if (isMissing(error)) return [];
          throw new LessonloopError("store_unavailable", `Could not read the episode journal ${path}.`, { cause: error });
        }
        const text = await readFile(taking, "utf8");
        const episodes: Episode[] = [];
        const corrupt: string[] = [];
        for (const line of text.split("\n")) {
          if (line.trim() === "") continue;
          try {
            episodes.push(EpisodeSchema.parse(JSON.parse(line)));
          } catch (error) {
            corrupt.push(line);
            onCorruptLine(line, error);
          }
        }
        if (corrupt.length > 0) await appendFile(`${path}.corrupt`, corrupt.map((line) => `${line}\n`).join(""), "utf8");
        await unlink(taking);
        return episodes;
      });
    },
  };
}

/** An `EpisodeJournal` in this process's memory: survives a loop, not the process. For tests. */
export function createInMemoryEpisodeJournal(): EpisodeJournal & { readonly size: number } {
  let episodes: Episode[] = [];
  return {
    get size() {
      return episodes.length;
    },
    async append(more) {
      episodes.push(...more.map((episode) => EpisodeSchema.parse(episode)));
    },
    async takeAll() {
      const all = episodes;
      episodes = [];
      return all;
    },
  };
}
