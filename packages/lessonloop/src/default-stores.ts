import { resolve } from "node:path";
import { DEFAULT_DATA_FOLDER } from "./data-folder.js";
import { openChromaStores, type ChromaServer } from "@lessonloop/chroma";
import { InMemoryOutcomeLedger, type Clock, type EdgeCaseStore, type Embedder, type LessonMemory, type OutcomeLedger, type VerdictStore } from "@lessonloop/core";
import { InMemoryExampleStore, type ExampleStore } from "@lessonloop/core/internal";

/** What `defaultStores` takes: the stores given to the loop, and where to open the missing ones. */
export interface DefaultStoresParams {
  memory: LessonMemory | undefined;
  edgeCaseStore: EdgeCaseStore | undefined;
  verdictStore: VerdictStore | undefined;
  ledger: OutcomeLedger | undefined;
  /** `false`: no examples. */
  exampleStore: ExampleStore | false | undefined;
  embedder: Embedder;
  /** A running Chroma server; default the embedded one. */
  chromaUrl: string | undefined;
  /** Data folder of the embedded server, relative to the working directory; default {@link DEFAULT_DATA_FOLDER}; `null` for a temporary one. */
  chromaPath: string | null | undefined;
  memoryName: string;
  edgeCaseCollection: string;
  clock: Clock;
}

/** Data folders already announced in this process: the line is printed once. */
const announced = new Set<string>();

/** The stores a learning loop runs on, and the Chroma server it started for them, if any. */
export interface LoopStores {
  memory: LessonMemory;
  edgeCaseStore: EdgeCaseStore;
  verdictStore: VerdictStore | undefined;
  ledger: OutcomeLedger;
  exampleStore: ExampleStore | undefined;
  chroma: ChromaServer | undefined;
}

/**
 * The learning loop's one default: the stores given, and for a missing memory
 * or edge-case store, one memory's stores on Chroma — the embedded server
 * (or `chromaUrl`) via `openChromaStores`. The verdict store comes with the
 * default memory only, where `lessonloop show` looks for it; so does the
 * outcome ledger (`<name>-outcomes`, where the regression monitor keeps its
 * looks), else an in-memory one; and so does the example store
 * (`<name>-examples`), else an in-memory one, unless examples are off.
 */
export async function defaultStores({
  memory,
  edgeCaseStore,
  verdictStore,
  ledger,
  exampleStore,
  embedder,
  chromaUrl,
  chromaPath,
  memoryName,
  edgeCaseCollection,
  clock,
}: DefaultStoresParams): Promise<LoopStores> {
  const examplesBeside = (chromaExamples: ExampleStore | undefined): ExampleStore | undefined =>
    exampleStore === false ? undefined : (exampleStore ?? (memory === undefined ? chromaExamples : undefined) ?? new InMemoryExampleStore({ embedder }));
  if (memory !== undefined && edgeCaseStore !== undefined) {
    return { memory, edgeCaseStore, verdictStore, ledger: ledger ?? new InMemoryOutcomeLedger(), exampleStore: examplesBeside(undefined), chroma: undefined };
  }
  const path = chromaUrl !== undefined || chromaPath === null ? undefined : resolve(chromaPath ?? DEFAULT_DATA_FOLDER);
  const chroma = await openChromaStores({
    url: chromaUrl,
    path,
    name: memoryName,
    embedder,
    edgeCaseCollection,
    clock,
  });
  if (path !== undefined && !announced.has(path)) {
    announced.add(path);
    console.info(`[lessonloop] memory kept in ${path} (embedded Chroma at ${chroma.server.url}); \`npx lessonloop list\` run in ${resolve(path, "..")} reads it.`);
  }
  return {
    memory: memory ?? chroma.memory,
    edgeCaseStore: edgeCaseStore ?? chroma.edgeCases,
    verdictStore: verdictStore ?? (memory === undefined ? chroma.verdicts : undefined),
    ledger: ledger ?? (memory === undefined ? chroma.outcomes : new InMemoryOutcomeLedger()),
    exampleStore: examplesBeside(chroma.examples),
    // Stopping it also stops the memory's background refresh.
    chroma: { ...chroma.server, stop: chroma.close },
  };
}
