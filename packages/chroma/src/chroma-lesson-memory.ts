import {
  LessonloopError,
  LessonSchema,
  SnapshotSchema,
  VersionedLessonMemory,
  parseWith,
  type Clock,
  type Embedder,
  type Lesson,
  type LessonMemoryBackend,
  type LessonRecord,
  type ScoredLesson,
  type Scope,
  type Snapshot,
  type Visibility,
} from "@lessonloop/core";
import type { ChromaClient, Collection, Metadata, Where } from "chromadb";
import { z } from "zod";
import { createChromaClient } from "./chroma-client.js";
import { callChroma } from "./chroma-errors.js";
import { scopeAppliesWhere, scopeMetadata, scopeWithinWhere } from "./chroma-where.js";

/** Chroma accepts at most 5461 records per write; stay well below. */
const WRITE_BATCH = 2_000;
const READ_PAGE = 5_000;

const MemoryNameSchema = z
  .string()
  .min(3, "must be at least 3 characters")
  .max(400, "must be at most 400 characters")
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$/, "may hold only letters, digits and . _ - and must start and end with a letter or digit");

const LessonMetadataSchema = z.object({ lessonId: z.string(), addedIn: z.number().int() });

const recordId = (id: string, addedIn: number) => `${id}@${addedIn}`;
const snapshotId = (version: number) => `v${String(version).padStart(12, "0")}`;

function and(clauses: readonly (Where | undefined)[]): Where | undefined {
  const present = clauses.filter((clause): clause is Where => clause !== undefined);
  if (present.length <= 1) return present[0];
  return { $and: present };
}

/** Records added by a commit in the lineage and not retired in it. */
function visibleWhere({ lineage, retired }: Visibility): Where | undefined {
  const ranges: Where[] = lineage.map(([from, to]) =>
    from === to ? { addedIn: { $eq: from } } : { $and: [{ addedIn: { $gte: from } }, { addedIn: { $lte: to } }] },
  );
  const inLineage: Where | undefined = ranges.length === 1 ? ranges[0] : { $or: ranges };
  const notRetired: Where | undefined = retired.size === 0 ? undefined : { lessonId: { $nin: [...retired] } };
  return and([inLineage, notRetired]);
}

/** Stores snapshots and lesson records in two Chroma collections. */
class ChromaBackend implements LessonMemoryBackend {
  constructor(
    private readonly lessons: Collection,
    private readonly snapshots: Collection,
    private readonly url: string,
  ) {}

  async loadSnapshots(afterVersion: number): Promise<Snapshot[]> {
    const loaded: Snapshot[] = [];
    for (let offset = 0; ; offset += READ_PAGE) {
      const page = await this.call("read history", () =>
        this.snapshots.get({ where: { version: { $gt: afterVersion } }, include: ["documents"], limit: READ_PAGE, offset }),
      );
      for (const document of page.documents) loaded.push(this.parseSnapshot(document));
      if (page.ids.length < READ_PAGE) break;
    }
    return loaded.sort((a, b) => a.version - b.version);
  }

  async appendSnapshot(snapshot: Snapshot): Promise<boolean> {
    const id = snapshotId(snapshot.version);
    const document = JSON.stringify(snapshot);
    // `add` ignores an existing id, so reading back tells whether this write won.
    await this.call("commit snapshot", () =>
      this.snapshots.add({ ids: [id], embeddings: [[0]], documents: [document], metadatas: [{ version: snapshot.version }] }),
    );
    const stored = await this.call("confirm snapshot", () => this.snapshots.get({ ids: [id], include: ["documents"] }));
    return stored.documents[0] === document;
  }

  async discardUncommitted(fromVersion: number): Promise<void> {
    await this.call("discard an unfinished commit", () => this.lessons.delete({ where: { addedIn: { $gte: fromVersion } } }));
  }

  async putLessons(records: readonly LessonRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += WRITE_BATCH) {
      const batch = records.slice(start, start + WRITE_BATCH);
      await this.call("write lessons", () =>
        this.lessons.upsert({
          ids: batch.map((record) => recordId(record.lesson.id, record.addedIn)),
          embeddings: batch.map((record) => record.vector),
          documents: batch.map((record) => JSON.stringify(record.lesson)),
          metadatas: batch.map(
            (record): Metadata => ({
              lessonId: record.lesson.id,
              addedIn: record.addedIn,
              kind: record.lesson.kind,
              ...scopeMetadata(record.lesson.scope),
            }),
          ),
        }),
      );
    }
  }

  async getLessons(keys: readonly { id: string; addedIn: number }[]): Promise<Lesson[]> {
    const lessons: Lesson[] = [];
    for (let start = 0; start < keys.length; start += READ_PAGE) {
      const ids = keys.slice(start, start + READ_PAGE).map((key) => recordId(key.id, key.addedIn));
      const page = await this.call("read lessons", () => this.lessons.get({ ids, include: ["documents"] }));
      for (const document of page.documents) lessons.push(this.parseLesson(document));
    }
    return lessons;
  }

  async searchLessons({ vector, scope, visibility, k, kinds }: Parameters<LessonMemoryBackend["searchLessons"]>[0]): Promise<ScoredLesson[]> {
    if (visibility.lineage.length === 0) return [];
    const where = and([scopeAppliesWhere(scope), kinds === undefined ? undefined : { kind: { $in: [...kinds] } }, visibleWhere(visibility)]);
    const result = await this.call("search lessons", () =>
      this.lessons.query({ queryEmbeddings: [vector], nResults: k, where, include: ["documents", "distances"] }),
    );
    const documents = result.documents[0] ?? [];
    const distances = result.distances[0] ?? [];
    return documents.map((document, index) => ({
      lesson: this.parseLesson(document),
      // Cosine distance is 1 - similarity.
      score: 1 - (distances[index] ?? 1),
    }));
  }

  async listLessons({ scope, visibility }: { scope?: Scope; visibility: Visibility }): Promise<Lesson[]> {
    if (visibility.lineage.length === 0) return [];
    const where = and([scope === undefined ? undefined : scopeWithinWhere(scope), visibleWhere(visibility)]);
    const lessons: Lesson[] = [];
    for (let offset = 0; ; offset += READ_PAGE) {
      const page = await this.call("list lessons", () => this.lessons.get({ where, include: ["documents"], limit: READ_PAGE, offset }));
      for (const document of page.documents) lessons.push(this.parseLesson(document));
      if (page.ids.length < READ_PAGE) break;
    }
    return lessons;
  }

  private call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return callChroma({ url: this.url, operation }, run);
  }

  private parseLesson(document: string | null | undefined): Lesson {
    return parseStored(LessonSchema, document, "lesson record read from Chroma");
  }

  private parseSnapshot(document: string | null | undefined): Snapshot {
    return parseStored(SnapshotSchema, document, "snapshot read from Chroma");
  }
}

function parseStored<S extends z.ZodType>(schema: S, document: string | null | undefined, what: string): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(document ?? "");
  } catch (cause) {
    throw new LessonloopError("corrupt_store", `A ${what} is not valid JSON; the collection was written by something else or damaged.`, { cause });
  }
  try {
    return parseWith(schema, value, what);
  } catch (cause) {
    throw new LessonloopError("corrupt_store", LessonloopError.isInstance(cause) ? cause.message : `Invalid ${what}.`, { cause });
  }
}

export interface ChromaLessonMemoryParams {
  /** A Chroma server's URL, e.g. the `url` returned by `startChroma()` or `CHROMA_URL`. */
  url: string;
  /** Names the memory; its collections are `<name>-lessons` and `<name>-snapshots`. */
  name?: string;
  /** Embeds lessons and queries. Reopen a memory with the embedder it was created with. */
  embedder: Embedder;
  clock?: Clock;
  /** How old (ms) this process's copy of history may be before a read looks for newer versions. */
  freshnessMs?: number;
  /** An existing client, to share its connection settings (headers, tenant, database). */
  client?: ChromaClient;
}

/**
 * A versioned `LessonMemory` on a real Chroma server. Lessons are embedded once
 * and never rewritten; what is live at a version comes from the snapshot log, so
 * rollback costs one small write whatever the number of lessons, and readers see
 * a commit only once its snapshot is stored.
 */
export class ChromaLessonMemory extends VersionedLessonMemory {
  /** The collections this memory uses, for operators and tests. */
  readonly collections: { lessons: string; snapshots: string };

  private constructor(params: ChromaLessonMemoryParams & { backend: ChromaBackend; collections: { lessons: string; snapshots: string } }) {
    super({ backend: params.backend, embedder: params.embedder, clock: params.clock, freshnessMs: params.freshnessMs });
    this.collections = params.collections;
  }

  /** Opens (or creates) the memory named `name` on the server at `url`. */
  static async open({ url, name = "lessonloop", embedder, clock, freshnessMs, client }: ChromaLessonMemoryParams): Promise<ChromaLessonMemory> {
    const memoryName = parseWith(MemoryNameSchema, name, "memory name");
    const chroma = client ?? createChromaClient(url);
    const collections = { lessons: `${memoryName}-lessons`, snapshots: `${memoryName}-snapshots` };
    const [lessons, snapshots] = await callChroma({ url, operation: "open the memory's collections" }, () =>
      Promise.all([
        chroma.getOrCreateCollection({
          name: collections.lessons,
          embeddingFunction: null,
          configuration: { hnsw: { space: "cosine" } },
          metadata: { embedder: embedder.name, dimensions: embedder.dimensions },
        }),
        chroma.getOrCreateCollection({ name: collections.snapshots, embeddingFunction: null }),
      ]),
    );
    const built = lessons.metadata?.["embedder"];
    if (built !== undefined && built !== embedder.name) {
      throw new LessonloopError(
        "invalid_input",
        `Memory "${memoryName}" was built with embedder "${String(built)}", not "${embedder.name}". Open it with the same embedder, or use another memory name.`,
      );
    }
    return new ChromaLessonMemory({ url, embedder, clock, freshnessMs, backend: new ChromaBackend(lessons, snapshots, url), collections });
  }
}

