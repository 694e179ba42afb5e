import { InMemoryOutcomeLedger, type OutcomeLedger, type Scope } from "@lessonloop/core";
import {
  OutcomeRecordSchema,
  decodeRecord,
  encodeRecord,
  parseLook,
  parseWith,
  type LessonUtility,
  type OutcomeCounts,
  type OutcomeQuery,
  type OutcomeRecordInput,
  type VersionOutcomes,
} from "@lessonloop/core/internal";
import type { ChromaClient, Collection } from "chromadb";
import { z } from "zod";
import { callChroma } from "./chroma-errors.js";
import { storedScopeName } from "./chroma-where.js";
import { connectChroma } from "./chroma-server.js";
import { MemoryNameSchema } from "./memory-name.js";

/** Marks a collection as holding lessonloop outcomes. */
const OUTCOME_CONTENTS = "lessonloop-outcomes";
/** Records read per request when the ledger is opened. */
const PAGE = 1_000;

const LookRecordSchema = z.object({ key: z.string(), look: z.number().int().min(0) }).strict();

export interface ChromaOutcomeLedgerParams {
  /** A Chroma server's URL, e.g. `startChroma().url` or `CHROMA_URL`. Named in error messages. */
  url: string;
  /** The memory whose runs the outcomes are of; the collection is `<memory>-outcomes`. Default `lessonloop`. */
  memory?: string;
  /** An existing client, to share its connection settings (headers, tenant, database). */
  client?: ChromaClient;
}

/**
 * An `OutcomeLedger` on a real Chroma collection, `<memory>-outcomes`: one
 * record per episode (`outcome:<episode id>`) and one per look the regression
 * monitor took (`look:<key>`), each JSON in the current record format, parsed
 * with zod on read (a record that does not parse is `corrupt_store`).
 *
 * Opening reads the whole collection once into an index in this process;
 * every write goes to Chroma first, then to the index, so reads cost no
 * request and a reopened ledger (a restarted process) sees everything written.
 * Outcomes written by another process after this one opened are not seen
 * until it reopens: give one ledger per memory one writer, as the regression
 * monitor wants anyway.
 */
export class ChromaOutcomeLedger implements OutcomeLedger {
  /** The Chroma collection this ledger uses. */
  readonly collectionName: string;

  private constructor(
    private readonly collection: Collection,
    private readonly url: string,
    private readonly index: InMemoryOutcomeLedger,
  ) {
    this.collectionName = collection.name;
  }

  /** Opens (or creates) the `<memory>-outcomes` collection on the server at `url` and reads what it holds. */
  static async open({ url, memory = "lessonloop", client }: ChromaOutcomeLedgerParams): Promise<ChromaOutcomeLedger> {
    const name = `${parseWith(MemoryNameSchema, memory, "memory name")}-outcomes`;
    const chroma = client ?? connectChroma(url);
    const collection = await callChroma({ url, operation: `open collection ${name}` }, () =>
      chroma.getOrCreateCollection({ name, embeddingFunction: null, metadata: { contents: OUTCOME_CONTENTS } }),
    );
    const index = new InMemoryOutcomeLedger();
    for (let offset = 0; ; offset += PAGE) {
      const page = await callChroma({ url, operation: `read outcomes from ${name}` }, () =>
        collection.get({ limit: PAGE, offset, include: ["documents", "metadatas"] }),
      );
      for (const [position, id] of page.ids.entries()) {
        const document = page.documents[position];
        if (id.startsWith("look:")) {
          const { key, look } = decodeRecord(LookRecordSchema, document, `look read from ${name}`);
          await index.saveLook(key, look);
        } else {
          await index.record(decodeRecord(OutcomeRecordSchema, document, `outcome read from ${name}`));
        }
      }
      if (page.ids.length < PAGE) break;
    }
    return new ChromaOutcomeLedger(collection, url, index);
  }

  async record(outcome: OutcomeRecordInput): Promise<void> {
    const parsed = parseWith(OutcomeRecordSchema, outcome, "outcome record");
    await callChroma({ url: this.url, operation: "record an outcome" }, () =>
      this.collection.upsert({
        ids: [`outcome:${parsed.episodeId}`],
        // Outcomes are read whole on open, never searched; Chroma still wants a vector.
        embeddings: [[0]],
        documents: [encodeRecord(parsed)],
        metadatas: [{ kind: "outcome", tenant: storedScopeName(parsed.scope.tenant), memoryVersion: parsed.memoryVersion, status: parsed.status }],
      }),
    );
    await this.index.record(parsed);
  }

  lessonUtility(lessonIds: readonly string[]): Promise<Map<string, LessonUtility>> {
    return this.index.lessonUtility(lessonIds);
  }

  versionOutcomes(version: number, scope?: Scope): Promise<VersionOutcomes> {
    return this.index.versionOutcomes(version, scope);
  }

  countOutcomes(query: OutcomeQuery): Promise<OutcomeCounts> {
    return this.index.countOutcomes(query);
  }

  looks(keys: readonly string[]): Promise<Map<string, number>> {
    return this.index.looks(keys);
  }

  async saveLook(key: string, look: number): Promise<void> {
    const parsed = parseLook(key, look);
    await callChroma({ url: this.url, operation: "store a regression look" }, () =>
      this.collection.upsert({
        ids: [`look:${parsed.key}`],
        embeddings: [[0]],
        documents: [encodeRecord(parsed)],
        metadatas: [{ kind: "look" }],
      }),
    );
    await this.index.saveLook(parsed.key, parsed.look);
  }
}
