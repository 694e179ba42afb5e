import {
  ChromaEdgeCaseStore,
  ChromaLessonMemory,
  ChromaPendingLessonStore,
  ChromaVerdictStore,
  chromaCollectionEmbedder,
  connectChroma,
  listChromaMemories,
} from "@lessonloop/chroma";
import { LessonloopError, createLexicalEmbedder, type Embedder } from "@lessonloop/core";
import { redactUrlCredentials } from "@lessonloop/core/internal";

/** Everything the commands work on: one memory on one Chroma server, and its side stores. */
export interface MemoryConnection {
  url: string;
  /** The memory's name. */
  name: string;
  memory: ChromaLessonMemory;
  pendingLessons(): Promise<ChromaPendingLessonStore>;
  verdicts(): Promise<ChromaVerdictStore>;
  /** The edge-case store `collection` (default `<memory>-edge-cases`). */
  edgeCases(collection?: string): Promise<ChromaEdgeCaseStore>;
}

const LEXICAL = /^lexical-v1-(\d+)$/;

/**
 * The embedder a collection was built with, by the name it recorded. The tool
 * carries only the offline lexical embedder: a collection built with another
 * can still be read (reads do not embed), and a write that must embed fails
 * with a message saying what to do.
 */
export function embedderNamed(name: string | undefined, where: string): Embedder {
  if (name === undefined) return createLexicalEmbedder();
  const lexical = LEXICAL.exec(name);
  if (lexical !== null) return createLexicalEmbedder({ dimensions: Number(lexical[1]) });
  const refuse = (): never => {
    throw new LessonloopError(
      "invalid_input",
      `${where} embeds with "${name}", which the command-line tool cannot load (it has only the offline lexical embedder). ` +
        "Reading works; to write, approve the lesson from code with the same embedder (PendingLessonStore + LessonMemory.commit).",
      { details: { embedder: name } },
    );
  };
  return { name, dimensions: 0, embedDocuments: async () => refuse(), embedQuery: async () => refuse() };
}

/**
 * Opens the existing memory `name` on the server at `url`. A memory that does
 * not exist is `not_found` (naming the memories that do): the tool never
 * creates one by accident. An unreachable server is `store_unavailable`.
 */
export async function connectMemory({ url, name }: { url: string; name: string }): Promise<MemoryConnection> {
  const client = connectChroma(url);
  const lessonsCollection = `${name}-lessons`;
  let builtWith: string | undefined;
  try {
    builtWith = await chromaCollectionEmbedder({ url, client, collection: lessonsCollection });
  } catch (error) {
    if (!LessonloopError.isInstance(error, "not_found")) throw error;
    const existing = await listChromaMemories({ url, client });
    const there =
      existing.length === 0
        ? "There is no memory there yet; one is created when a learning loop first opens it."
        : `Memories there: ${existing.join(", ")}. Pass --memory <name>.`;
    const shownUrl = redactUrlCredentials(url);
    throw new LessonloopError("not_found", `No memory "${name}" on the Chroma server at ${shownUrl} (no collection ${lessonsCollection}). ${there}`, {
      cause: error,
      details: { memory: name, url: shownUrl, memories: existing },
    });
  }
  const embedder = embedderNamed(builtWith, `Memory "${name}"`);
  const memory = await ChromaLessonMemory.open({ url, name, embedder, client });

  let pending: Promise<ChromaPendingLessonStore> | undefined;
  let verdicts: Promise<ChromaVerdictStore> | undefined;
  return {
    url,
    name,
    memory,
    pendingLessons: () => (pending ??= ChromaPendingLessonStore.open({ url, memory: name, client })),
    verdicts: () => (verdicts ??= ChromaVerdictStore.open({ url, memory: name, client })),
    async edgeCases(collection = `${name}-edge-cases`) {
      // Open with the embedder the collection was built with; a new collection gets the memory's.
      let caseEmbedder = embedder;
      try {
        const recorded = await chromaCollectionEmbedder({ url, client, collection });
        if (recorded !== undefined) caseEmbedder = embedderNamed(recorded, `Edge-case collection "${collection}"`);
      } catch (error) {
        if (!LessonloopError.isInstance(error, "not_found")) throw error;
      }
      return ChromaEdgeCaseStore.open({ url, client, collection, embedder: caseEmbedder });
    },
  };
}
