import { type Clock, type Embedder } from "@lessonloop/core";
import { parseWith, systemClock } from "@lessonloop/core/internal";
import { ChromaEdgeCaseStore } from "./chroma-edge-case-store.js";
import { ChromaExampleStore } from "./chroma-example-store.js";
import { ChromaLessonMemory } from "./chroma-lesson-memory.js";
import { ChromaOutcomeLedger } from "./chroma-outcome-ledger.js";
import { ChromaPendingLessonStore } from "./chroma-pending-lesson-store.js";
import { connectChroma, startChroma, type ChromaServer } from "./chroma-server.js";
import { ChromaVerdictStore } from "./chroma-verdict-store.js";
import { MemoryNameSchema } from "./memory-name.js";

export interface OpenChromaStoresParams {
  /** A running Chroma server's URL (e.g. `CHROMA_URL`, read at your app's edge); left running by `close()`. Default: start the embedded server. Wins over `path`. */
  url?: string;
  /** Data folder of the embedded server, when one is started. Default: a temporary folder that `close()` removes. */
  path?: string;
  /** The memory's name; its collections are `<name>-lessons`, `-snapshots`, `-changes`, `-edge-cases`, `-verdicts`, `-pending`, `-outcomes` and `-examples`. Default `"lessonloop"`. */
  name?: string;
  /** Embeds lessons, edge cases and queries. Reopen a memory with the embedder it was built with. */
  embedder: Embedder;
  /** The edge-case collection. Default `"<name>-edge-cases"` (where `lessonloop approve` looks). */
  edgeCaseCollection?: string;
  clock?: Clock;
  /**
   * How stale (ms) the memory's copy of history may be: a merge another
   * process stores is seen here (and served from the live index once its
   * lessons are read) within this plus one read of the store. Default 1000.
   */
  freshnessMs?: number;
  /**
   * Who looks for versions other processes stored: `"background"` (the
   * default here), a timer every `freshnessMs`, so no agent step waits for the
   * check; or `"on-read"`, the first read past `freshnessMs`. See `ChromaLessonMemory`.
   */
  refresh?: "on-read" | "background";
  /**
   * Up to how many live lessons the memory answers searches at the head in
   * this process (`ChromaLessonMemory`'s `liveIndexLessons`): about 4 KiB a
   * lesson at 1,024 dimensions. Default 100,000: an in-process search over the
   * largest tenant of a 100k memory still beats one Chroma query (`pnpm bench:perf`).
   */
  liveIndexLessons?: number;
}

/** Every store of one lessonloop memory on one Chroma server, and that server. */
export interface ChromaStores {
  memory: ChromaLessonMemory;
  edgeCases: ChromaEdgeCaseStore;
  verdicts: ChromaVerdictStore;
  pendingLessons: ChromaPendingLessonStore;
  /** Outcomes of the memory's runs and the regression monitor's looks. */
  outcomes: ChromaOutcomeLedger;
  /** Successful runs kept as examples for experience replay (`<name>-examples`). */
  examples: ChromaExampleStore;
  /** The server the stores use: started here unless `url` was given (then `external`). */
  server: ChromaServer;
  /** Stops the memory's background refresh, and the server if it was started here (removing its temporary folder); a server given by `url` keeps running. */
  close(): Promise<void>;
}

/**
 * Opens (or creates) one memory's stores on Chroma: the versioned lesson
 * memory, the edge-case store, the verdict store, the store of lessons
 * waiting for a human and the outcome ledger. With `url` it connects to that server; otherwise it
 * starts the embedded one (in `path`, or a temporary folder), which the
 * returned `close()` stops. If opening fails, a server started here is stopped.
 */
export async function openChromaStores({
  url,
  path,
  name = "lessonloop",
  embedder,
  edgeCaseCollection,
  clock = systemClock,
  freshnessMs,
  refresh = "background",
  liveIndexLessons = 100_000,
}: OpenChromaStoresParams): Promise<ChromaStores> {
  // A bad name fails before a server is started; the stores parse everything else.
  const memoryName = parseWith(MemoryNameSchema, name, "memory name");
  const server = await startChroma({ url, path });
  try {
    // One client for the five stores: one connection's settings.
    const client = connectChroma(server.url);
    const [memory, edgeCases, verdicts, pendingLessons, outcomes, examples] = await Promise.all([
      ChromaLessonMemory.open({ url: server.url, client, name: memoryName, embedder, clock, freshnessMs, refresh, liveIndexLessons }),
      ChromaEdgeCaseStore.open({ url: server.url, client, collection: edgeCaseCollection ?? `${memoryName}-edge-cases`, embedder }),
      ChromaVerdictStore.open({ url: server.url, client, memory: memoryName }),
      ChromaPendingLessonStore.open({ url: server.url, client, memory: memoryName, clock }),
      ChromaOutcomeLedger.open({ url: server.url, client, memory: memoryName }),
      ChromaExampleStore.open({ url: server.url, client, collection: `${memoryName}-examples`, embedder }),
    ]);
    const close = async () => {
      await memory.close();
      await server.stop();
    };
    return { memory, edgeCases, verdicts, pendingLessons, outcomes, examples, server, close };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
