import { type Verdict, type VerdictStore } from "@lessonloop/core";
import { IdSchema, VerdictSchema, decodeRecord, encodeRecord, parseWith } from "@lessonloop/core/internal";
import type { ChromaClient, Collection } from "chromadb";
import type { z } from "zod";
import { callChroma } from "./chroma-errors.js";
import { connectChroma } from "./chroma-server.js";
import { MemoryNameSchema } from "./memory-name.js";

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
 * per lesson id holding the whole verdict as JSON in the current record format,
 * parsed with zod on read (a record that does not parse is `corrupt_store`).
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
        // Verdicts are read by id only; Chroma still wants a vector.
        embeddings: [[0]],
        documents: [encodeRecord(parsed)],
        metadatas: [{ lessonId: parsed.lessonId, decision: parsed.decision }],
      }),
    );
    return parsed;
  }

  async find(lessonId: string): Promise<Verdict | undefined> {
    const id = parseWith(IdSchema, lessonId, "lesson id");
    const result = await callChroma({ url: this.url, operation: "read a verdict" }, () => this.collection.get({ ids: [id], include: ["documents"] }));
    if (result.ids.length === 0) return undefined;
    return decodeRecord(VerdictSchema, result.documents[0], `verdict read from ${this.collectionName}`);
  }
}
