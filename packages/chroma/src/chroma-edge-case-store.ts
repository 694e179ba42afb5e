import { EdgeCaseSchema, LessonloopError, ScopeSchema, type EdgeCase, type EdgeCaseStore, type Embedder, type Scope } from "@lessonloop/core";
import {
  EdgeCaseQuerySchema,
  IdSchema,
  decodeRecord,
  embedEdgeCases,
  encodeRecord,
  parseWith,
  scopeContains,
  type EdgeCaseQuery,
  type ScoredEdgeCase,
} from "@lessonloop/core/internal";
import type { ChromaClient, Collection, Metadata, Where } from "chromadb";
import { z } from "zod";
import { callChroma } from "./chroma-errors.js";
import { openEmbeddedCollection } from "./embedded-collection.js";
import { scopeMetadata, scopeWithinClauses } from "./chroma-where.js";

/** Chroma takes at most 5461 records per write (`getMaxBatchSize()`); stay below it. */
const MAX_WRITE_BATCH = 5_000;
/** Marks a collection as holding lessonloop edge cases. */
const CONTENTS = "lessonloop-edge-cases";
/** Metadata key prefix of a tag: a case tagged `billing` carries `tag:billing: true`. */
const TAG_PREFIX = "tag:";

const CollectionNameSchema = z
  .string()
  .min(3, "must be at least 3 characters")
  .max(512, "must be at most 512 characters")
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$/, "may hold only letters, digits and . _ - and must start and end with a letter or digit");

export interface ChromaEdgeCaseStoreParams {
  /** A Chroma client to use (carries headers, tenant, database). Either this or `url`. */
  client?: ChromaClient;
  /** A Chroma server's URL, e.g. `startChroma().url` or `CHROMA_URL`. Named in error messages. */
  url?: string;
  /** Collection to use; created when missing. Default `lessonloop-edge-cases`. */
  collection?: string;
  /** Embeds case inputs and queries. Reopen a collection with the embedder it was created with. */
  embedder: Embedder;
  /** Records per Chroma write, 1–5000. Default 5000 (Chroma accepts at most 5461). */
  writeBatchSize?: number;
}

/** Flat scalar metadata: scope as three fields (`*` for unset), kind, time, one boolean per tag. */
function caseMetadata(edgeCase: EdgeCase): Metadata {
  const metadata: Metadata = {
    ...scopeMetadata(edgeCase.scope),
    kind: edgeCase.kind,
    createdAtMs: Date.parse(edgeCase.createdAt),
  };
  for (const tag of edgeCase.tags) metadata[`${TAG_PREFIX}${tag}`] = true;
  return metadata;
}

/** Chroma's `$and` needs two or more clauses and an object one key: build it accordingly. */
function allOf(clauses: readonly Where[]): Where {
  if (clauses.length === 1 && clauses[0] !== undefined) return clauses[0];
  return { $and: [...clauses] };
}

/** Cases within `scope` (same tenant, exactly its user/agent where it names one) carrying every tag. */
function queryWhere(query: z.output<typeof EdgeCaseQuerySchema>): Where {
  const { scope } = query;
  const clauses: Where[] = scopeWithinClauses(scope);
  for (const tag of new Set(query.tags ?? [])) clauses.push({ [`${TAG_PREFIX}${tag}`]: { $eq: true } });
  return allOf(clauses);
}

/**
 * An `EdgeCaseStore` on a real Chroma collection (cosine space). Each record holds
 * the whole case as JSON in its document, its scope, kind and tags as flat metadata,
 * and the embedder's vector of its input. Scope and tags are enforced by a Chroma
 * `where` filter, so a query never reads another tenant's cases; every read is parsed
 * again, and a record that does not parse is a `corrupt_store` error.
 */
export class ChromaEdgeCaseStore implements EdgeCaseStore {
  /** The Chroma collection this store uses. */
  readonly collectionName: string;

  private constructor(
    private readonly collection: Collection,
    private readonly embedder: Embedder,
    private readonly url: string,
    private readonly writeBatchSize: number,
  ) {
    this.collectionName = collection.name;
  }

  /**
   * Opens (or creates) the collection. Refuses a collection built with another
   * embedder or in a space other than cosine.
   *
   * @throws LessonloopError `invalid_input` (bad params, mismatched collection),
   *   `store_unavailable` (server unreachable).
   */
  static async open({
    client,
    url,
    collection = "lessonloop-edge-cases",
    embedder,
    writeBatchSize = MAX_WRITE_BATCH,
  }: ChromaEdgeCaseStoreParams): Promise<ChromaEdgeCaseStore> {
    const name = parseWith(CollectionNameSchema, collection, "edge case collection name");
    const batchSize = parseWith(z.number().int().min(1).max(MAX_WRITE_BATCH), writeBatchSize, "writeBatchSize");
    const { collection: opened, label } = await openEmbeddedCollection({ client, url, name, contents: CONTENTS, embedder, store: "ChromaEdgeCaseStore", what: "edge cases" });
    return new ChromaEdgeCaseStore(opened, embedder, label, batchSize);
  }

  /**
   * Validates every case first and writes nothing when one is invalid; then embeds
   * them and upserts in batches of `writeBatchSize` (a case whose id is stored replaces
   * it; within one call the last case with an id wins).
   */
  async add(cases: readonly z.input<typeof EdgeCaseSchema>[]): Promise<void> {
    const { cases: unique, vectors } = await embedEdgeCases(cases, this.embedder);
    for (let start = 0; start < unique.length; start += this.writeBatchSize) {
      const batch = unique.slice(start, start + this.writeBatchSize);
      await this.call(`add ${batch.length} edge cases to ${this.collectionName}`, () =>
        this.collection.upsert({
          ids: batch.map((edgeCase) => edgeCase.id),
          embeddings: vectors.slice(start, start + batch.length),
          documents: batch.map((edgeCase) => encodeRecord(edgeCase)),
          metadatas: batch.map(caseMetadata),
        }),
      );
    }
  }

  /** The case with this id; `not_found` when there is none, or (with `scope`) when it lies outside the scope. */
  async get(id: string, options: { scope?: Scope } = {}): Promise<EdgeCase> {
    const wanted = parseWith(IdSchema, id, "edge case id");
    const scope = options.scope === undefined ? undefined : parseWith(ScopeSchema, options.scope, "edge case scope");
    const result = await this.call(`read edge case ${wanted}`, () => this.collection.get({ ids: [wanted], include: ["documents"] }));
    const document = result.documents[0];
    const outside = scope !== undefined && result.ids.length > 0 && !scopeContains(scope, this.parse(document).scope);
    if (result.ids.length === 0 || outside) {
      throw new LessonloopError("not_found", `No edge case with id "${wanted}" in collection ${this.collectionName}. Add it first, or check the id.`, {
        details: { id: wanted, collection: this.collectionName },
      });
    }
    const edgeCase = this.parse(document);
    if (edgeCase.id !== wanted) {
      throw new LessonloopError("corrupt_store", `Record "${wanted}" in ${this.collectionName} holds edge case "${edgeCase.id}"; the collection was damaged.`);
    }
    return edgeCase;
  }

  /**
   * The `k` cases most similar to `query` among those within `scope` (same tenant; only
   * the named user's/agent's cases when it names one) carrying every tag asked for,
   * best first. `score` is the cosine similarity.
   */
  async findRelevant(query: EdgeCaseQuery): Promise<ScoredEdgeCase[]> {
    const parsed = parseWith(EdgeCaseQuerySchema, query, "edge case query");
    const vector = await this.embedder.embedQuery(parsed.query);
    const result = await this.call(`search edge cases in ${this.collectionName}`, () =>
      this.collection.query({
        queryEmbeddings: [vector],
        nResults: parsed.k,
        where: queryWhere(parsed),
        include: ["documents", "distances"],
      }),
    );
    const documents = result.documents[0] ?? [];
    const distances = result.distances[0] ?? [];
    const found = documents.map((document, index) => ({
      edgeCase: this.parse(document),
      // Cosine distance is 1 − similarity.
      score: 1 - (distances[index] ?? 1),
    }));
    for (const { edgeCase } of found) {
      // The filter already enforced this; a record whose document disagrees with its metadata is damaged.
      const tagsOk = (parsed.tags ?? []).every((tag) => edgeCase.tags.includes(tag));
      if (!scopeContains(parsed.scope, edgeCase.scope) || !tagsOk) {
        throw new LessonloopError(
          "corrupt_store",
          `Edge case "${edgeCase.id}" in ${this.collectionName} has metadata that disagrees with its document; re-add it.`,
          { details: { id: edgeCase.id } },
        );
      }
    }
    return found.sort((a, b) => b.score - a.score);
  }

  async count(): Promise<number> {
    return this.call(`count edge cases in ${this.collectionName}`, () => this.collection.count());
  }

  private call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return callChroma({ url: this.url, operation }, run);
  }

  private parse(document: string | null | undefined): EdgeCase {
    return decodeRecord(EdgeCaseSchema, document, `edge case read from ${this.collectionName}`);
  }
}
