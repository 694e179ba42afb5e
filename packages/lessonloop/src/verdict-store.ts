import { callChroma, connectChroma, parseStoredDocument } from "@lessonloop/chroma";
import { IdSchema, VerdictSchema, parseWith, type Verdict } from "@lessonloop/core";
import type { ChromaClient, Collection } from "chromadb";
import type { z } from "zod";
import { MemoryNameSchema } from "./memory-name.js";

/**
 * The validator ensemble's verdicts, kept by lesson id, so that a merged
 * lesson can be shown with every vote and its per-case evidence (a merge
 * snapshot's reason holds only a summary). The merge path writes one verdict
 * per merged lesson; `lessonloop show` reads it.
 */
export interface VerdictStore {
  /** Keeps the verdict under its lesson id, replacing an earlier verdict on the same lesson. `invalid_input` if it does not parse. */
  put(verdict: z.input<typeof VerdictSchema>): Promise<Verdict>;
  /** The verdict kept for the lesson, or `undefined` when there is none. */
  find(lessonId: string): Promise<Verdict | undefined>;
}

/** A `VerdictStore` in this process's memory: for tests and single-process use. */
export class InMemoryVerdictStore implements VerdictStore {
  readonly #verdicts = new Map<string, Verdict>();

  async put(verdict: z.input<typeof VerdictSchema>): Promise<Verdict> {
    const parsed = parseWith(VerdictSchema, verdict, "verdict");
    this.#verdicts.set(parsed.lessonId, structuredClone(parsed));
    return parsed;
  }

  async find(lessonId: string): Promise<Verdict | undefined> {
    const verdict = this.#verdicts.get(parseWith(IdSchema, lessonId, "lesson id"));
    return verdict === undefined ? undefined : structuredClone(verdict);
  }
}


/** Marks a collection as holding lessonloop verdicts. */
const VERDICT_CONTENTS = "lessonloop-verdicts";

export interface ChromaVerdictStoreParams {
  /** A Chroma server's URL, e.g. `startChroma().url` or `CHROMA_URL`. Named in error messages. */
  url: string;
  /** The memory whose merges the verdicts decided; the collection is `<memory>-verdicts`. Default `lessonloop`. */
  memory?: string;
  /** An existing client, to share its connection settings (headers, tenant, database). */
  client?: ChromaClient;
}

/**
 * A `VerdictStore` on a real Chroma collection, `<memory>-verdicts`: one record
 * per lesson id holding the whole verdict as JSON, parsed with zod on read (a
 * record that does not parse is `corrupt_store`).
 */
export class ChromaVerdictStore implements VerdictStore {
  /** The Chroma collection this store uses. */
  readonly collectionName: string;

  private constructor(
    private readonly collection: Collection,
    private readonly url: string,
  ) {
    this.collectionName = collection.name;
  }

  /** Opens (or creates) the `<memory>-verdicts` collection on the server at `url`. */
  static async open({ url, memory = "lessonloop", client }: ChromaVerdictStoreParams): Promise<ChromaVerdictStore> {
    const name = `${parseWith(MemoryNameSchema, memory, "memory name")}-verdicts`;
    const chroma = client ?? connectChroma(url);
    const collection = await callChroma({ url, operation: `open collection ${name}` }, () =>
      chroma.getOrCreateCollection({ name, embeddingFunction: null, metadata: { contents: VERDICT_CONTENTS } }),
    );
    return new ChromaVerdictStore(collection, url);
  }

  async put(verdict: z.input<typeof VerdictSchema>): Promise<Verdict> {
    const parsed = parseWith(VerdictSchema, verdict, "verdict");
    await callChroma({ url: this.url, operation: "store a verdict" }, () =>
      this.collection.upsert({
        ids: [parsed.lessonId],
        embeddings: [[0]],
        documents: [JSON.stringify(parsed)],
        metadatas: [{ lessonId: parsed.lessonId, decision: parsed.decision }],
      }),
    );
    return parsed;
  }

  async find(lessonId: string): Promise<Verdict | undefined> {
    const id = parseWith(IdSchema, lessonId, "lesson id");
    const result = await callChroma({ url: this.url, operation: "read a verdict" }, () => this.collection.get({ ids: [id], include: ["documents"] }));
    if (result.ids.length === 0) return undefined;
    return parseStoredDocument(VerdictSchema, result.documents[0], "verdict read from Chroma");
  }
}
