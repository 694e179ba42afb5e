import { type Clock, type PendingLesson } from "@lessonloop/core";
import {
  PendingLessonSchema,
  PendingLessonStoreBase,
  decodeRecord,
  encodeRecord,
  parseWith,
  systemClock,
  type PendingLessonListRequestSchema,
} from "@lessonloop/core/internal";
import type { ChromaClient, Collection, Metadata, Where } from "chromadb";
import type { z } from "zod";
import { callChroma } from "./chroma-errors.js";
import { storedScopeName } from "./chroma-where.js";
import { connectChroma } from "./chroma-server.js";
import { MemoryNameSchema } from "./memory-name.js";

/** Marks a collection as holding lessonloop pending lessons. */
const PENDING_CONTENTS = "lessonloop-pending-lessons";
const READ_PAGE = 1_000;

export interface ChromaPendingLessonStoreParams {
  /** A Chroma server's URL, e.g. `startChroma().url` or `CHROMA_URL`. Named in error messages. */
  url: string;
  /** The memory the lessons wait to join; the collection is `<memory>-pending`. Default `lessonloop`. */
  memory?: string;
  /** An existing client, to share its connection settings (headers, tenant, database). */
  client?: ChromaClient;
  clock?: Clock;
}

/**
 * A `PendingLessonStore` on a real Chroma collection, `<memory>-pending`. Each
 * record holds the whole parked lesson (lesson, verdict, edge cases, decision)
 * as JSON in the current record format, parsed with zod on every read; a record
 * that does not parse is a `corrupt_store` error. Status, lesson id and tenant
 * are flat metadata for filtering.
 *
 * Decisions are read-then-write: run one reviewer at a time per memory.
 */
export class ChromaPendingLessonStore extends PendingLessonStoreBase {
  /** The Chroma collection this store uses. */
  readonly collectionName: string;
  readonly #collection: Collection;
  readonly #url: string;

  private constructor(collection: Collection, url: string, clock: Clock) {
    super(clock);
    this.#collection = collection;
    this.#url = url;
    this.collectionName = collection.name;
  }

  /** Opens (or creates) the `<memory>-pending` collection on the server at `url`. */
  static async open({ url, memory = "lessonloop", client, clock = systemClock }: ChromaPendingLessonStoreParams): Promise<ChromaPendingLessonStore> {
    const name = `${parseWith(MemoryNameSchema, memory, "memory name")}-pending`;
    const chroma = client ?? connectChroma(url);
    const collection = await callChroma({ url, operation: `open collection ${name}` }, () =>
      chroma.getOrCreateCollection({ name, embeddingFunction: null, metadata: { contents: PENDING_CONTENTS } }),
    );
    return new ChromaPendingLessonStore(collection, url, clock);
  }

  protected async read(lessonId: string): Promise<PendingLesson | undefined> {
    const result = await this.#call("read a pending lesson", () => this.#collection.get({ ids: [lessonId], include: ["documents"] }));
    return result.ids.length === 0 ? undefined : this.#parse(result.documents[0]);
  }

  protected async write(record: PendingLesson): Promise<void> {
    const metadata: Metadata = {
      lessonId: record.lesson.id,
      status: record.status,
      tenant: storedScopeName(record.lesson.scope.tenant),
      parkedAtMs: Date.parse(record.parkedAt),
    };
    await this.#call("write a pending lesson", () =>
      // Read by id and filtered by metadata only; Chroma still wants a vector.
      this.#collection.upsert({ ids: [record.lesson.id], embeddings: [[0]], documents: [encodeRecord(record)], metadatas: [metadata] }),
    );
  }

  /** Narrowed by status and tenant in Chroma; the base class applies the exact scope. */
  protected async readAll(request: z.output<typeof PendingLessonListRequestSchema>): Promise<PendingLesson[]> {
    const clauses: Where[] = [];
    if (request.status !== undefined) clauses.push({ status: { $eq: request.status } });
    if (request.scope !== undefined) clauses.push({ tenant: { $eq: storedScopeName(request.scope.tenant) } });
    const where: Where | undefined = clauses.length === 0 ? undefined : clauses.length === 1 ? clauses[0] : { $and: clauses };
    const records: PendingLesson[] = [];
    for (let offset = 0; ; offset += READ_PAGE) {
      const page = await this.#call("list pending lessons", () =>
        this.#collection.get({ ...(where === undefined ? {} : { where }), include: ["documents"], limit: READ_PAGE, offset }),
      );
      for (const document of page.documents) records.push(this.#parse(document));
      if (page.ids.length < READ_PAGE) break;
    }
    return records;
  }

  #parse(document: string | null | undefined): PendingLesson {
    return decodeRecord(PendingLessonSchema, document, `pending lesson read from ${this.collectionName}`);
  }

  #call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return callChroma({ url: this.#url, operation }, run);
  }
}
