import { LessonloopError, LessonSchema, type Clock, type Embedder, type Lesson, type Scope, type Snapshot } from "@lessonloop/core";
import {
  LESSON_LIMITS,
  SnapshotSchema,
  VersionedLessonMemory,
  decodeRecord,
  encodeRecord,
  isVisible,
  mergeHits,
  parseWith,
  scopeApplies,
  type LessonMemoryBackend,
  type LessonRecord,
  type LiveRecord,
  type ScoredLesson,
  type Visibility,
} from "@lessonloop/core/internal";
import type { ChromaClient, Collection, Metadata, Where } from "chromadb";
import type { z } from "zod";
import { callChroma } from "./chroma-errors.js";
import { connectChroma } from "./chroma-server.js";
import { ANY, scopeAppliesWhere, scopeMetadata, scopeWithinWhere, storedScopeName } from "./chroma-where.js";
import { MemoryNameSchema } from "./memory-name.js";

/** Bounds of the pool of nearest neighbours fetched before filtering. */
const MIN_CANDIDATES = 50;
const MAX_CANDIDATES = 1_600;
/** Share of live candidates assumed to match a scope never searched before. */
const INITIAL_MATCH_SHARE = 0.2;
/** How many scopes' match shares to remember before starting over. */
const MATCH_SHARE_SCOPES = 10_000;

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/** Chroma accepts at most 5461 records per write; stay well below. */
const WRITE_BATCH = 2_000;
const READ_PAGE = 5_000;
/** Records read with their vectors per request: 1,000 × 1,024 numbers is about 10 MB of JSON. */
const VECTOR_PAGE = 1_000;

/**
 * A record's id: `<lesson id>@<addedIn>@<commit id>` (lesson and commit ids
 * never hold "@"). Memories written before commit ids existed have
 * `<lesson id>@<addedIn>`, read as commit id "".
 */
const recordId = (id: string, addedIn: number, commitId: string) => (commitId === "" ? `${id}@${addedIn}` : `${id}@${addedIn}@${commitId}`);

function parseRecordId(id: string): { lessonId: string; addedIn: number; commitId: string } | undefined {
  const [lessonId, addedIn, commitId = "", ...rest] = id.split("@");
  if (lessonId === undefined || lessonId === "" || addedIn === undefined || rest.length > 0) return undefined;
  return { lessonId, addedIn: Number(addedIn), commitId };
}

/** A bounded least-recently-used map of parsed lessons by record id. */
class LessonCache {
  readonly #entries = new Map<string, Lesson>();
  constructor(readonly capacity: number) {}

  get(id: string): Lesson | undefined {
    const lesson = this.#entries.get(id);
    if (lesson !== undefined) {
      this.#entries.delete(id);
      this.#entries.set(id, lesson);
    }
    return lesson;
  }

  set(id: string, lesson: Lesson): void {
    if (this.capacity === 0) return;
    this.#entries.delete(id);
    this.#entries.set(id, lesson);
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value as string);
  }
}
const snapshotId = (version: number) => `v${String(version).padStart(12, "0")}`;

/**
 * A snapshot whose change names more lessons than this keeps its change list
 * in a record of its own, in the changes collection, written before the
 * snapshot: a one-record write to a collection costs more the more bytes the
 * collection holds, so bulk commits' lists (up to 5,000 ids each) must not sit
 * where every commit and rollback writes. Smaller changes stay inline.
 */
const INLINE_CHANGE_IDS = 100;
/**
 * Snapshot records without their change are format 2; a release that reads
 * only format 1 refuses them saying to upgrade, rather than reading a snapshot
 * without its change. Records with the change inline stay format 1, which
 * every release reads.
 */
const SNAPSHOT_FORMAT = 2;
const DetachedSnapshotSchema = SnapshotSchema.omit({ change: true });
type DetachedSnapshot = z.infer<typeof DetachedSnapshotSchema>;
const ChangeSchema = SnapshotSchema.shape.change;
const snapshotSchemaOf = (format: number) => (format >= SNAPSHOT_FORMAT ? DetachedSnapshotSchema : SnapshotSchema);

/**
 * A change list's id: the version and the commit attempt that wrote it, so the
 * lists of attempts racing for one version never overwrite each other.
 */
const changeId = (version: number, commitId: string) => `${snapshotId(version)}@${commitId}`;

/** The commit id stored with a snapshot; "" for snapshots written before commit ids existed. */
function commitIdOf(metadata: Metadata | null | undefined): string {
  const commitId = metadata?.["commitId"];
  return typeof commitId === "string" ? commitId : "";
}

function and(clauses: readonly (Where | undefined)[]): Where | undefined {
  const present = clauses.filter((clause): clause is Where => clause !== undefined);
  if (present.length <= 1) return present[0];
  return { $and: present };
}

/** Records added by a commit in the lineage and not retired in it, and the restored ones. */
function visibleWhere({ lineage, retired, restored }: Visibility): Where | undefined {
  const ranges = lineage.map(([from, to]): Where =>
    from === to ? { addedIn: { $eq: from } } : { $and: [{ addedIn: { $gte: from } }, { addedIn: { $lte: to } }] },
  );
  const restoredIds = [...restored.keys()];
  const hidden = [...new Set([...retired, ...restoredIds])];
  const notRetired: Where | undefined = hidden.length === 0 ? undefined : { lessonId: { $nin: hidden } };
  const inLineage = and([ranges.length === 0 ? undefined : ranges.length === 1 ? ranges[0] : { $or: ranges }, notRetired]);
  // A restored record is let through by id here; `isVisible` then keeps only the restored version of it.
  const alternatives = [...(ranges.length === 0 ? [] : [inLineage]), ...(restoredIds.length === 0 ? [] : [{ lessonId: { $in: restoredIds } }])].filter(
    (clause): clause is Where => clause !== undefined,
  );
  return alternatives.length <= 1 ? alternatives[0] : { $or: alternatives };
}

/** Whether a visibility lets no record through. */
const showsNothing = (visibility: Visibility) => visibility.lineage.length === 0 && visibility.restored.size === 0;

/** A record's scope and kind, as in its metadata: `*` for an unset user or agent. */
interface RecordScope {
  tenant: string;
  user: string;
  agent: string;
  kind: string;
}

/**
 * A lesson's tools as metadata: one field a tool, `tool0` … (metadata holds no
 * arrays), so a filter on a fixed set of fields finds the lessons anchored to
 * any tool of a list. Records written before tools existed have none.
 */
const toolField = (index: number) => `tool${index}`;

function toolMetadata(lesson: Lesson): Metadata {
  return Object.fromEntries((lesson.tools ?? []).map((tool, index) => [toolField(index), tool]));
}

/** Records anchored to any of `tools`. */
function anchoredWhere(tools: readonly string[]): Where {
  const clauses: Where[] = Array.from({ length: LESSON_LIMITS.tools }, (_, index) => ({ [toolField(index)]: { $in: [...tools] } }));
  return { $or: clauses };
}

function recordScopeOf(lesson: Lesson): RecordScope {
  return { ...(scopeMetadata(lesson.scope) as Omit<RecordScope, "kind">), kind: lesson.kind };
}

/** `scopeApplies` and the kind filter, on a record scope (names compared as stored: a user named `*` is not the wildcard). */
function recordApplies(record: RecordScope, scope: Scope, kinds: readonly string[] | undefined): boolean {
  const request = scopeMetadata(scope);
  return (
    record.tenant === request.tenant &&
    (record.user === ANY || (scope.user !== undefined && record.user === request.user)) &&
    (record.agent === ANY || (scope.agent !== undefined && record.agent === request.agent)) &&
    (kinds === undefined || kinds.includes(record.kind))
  );
}

/** Scopes of records by record id, bounded; a record never changes, so an entry is always right. */
const SCOPE_INDEX_SIZE = 500_000;

/** Stores lesson records, snapshots and the snapshots' change lists in three Chroma collections. */
class ChromaBackend implements LessonMemoryBackend {
  private readonly cache: LessonCache;
  /**
   * Scope and kind of every record seen, far smaller than its lesson and kept far
   * longer than the lesson cache: a search decides its matches here and reads only
   * the lessons it returns.
   */
  private readonly scopes = new Map<string, RecordScope>();
  /** Per scope searched: the share of nearest candidates that matched it. */
  private readonly matchShare = new Map<string, number>();
  /** The commit attempt that won each version seen: only its records are read. */
  private readonly winners = new Map<number, string>();

  constructor(
    private readonly lessons: Collection,
    private readonly snapshots: Collection,
    private readonly changes: Collection,
    private readonly url: string,
    cacheSize: number,
  ) {
    this.cache = new LessonCache(cacheSize);
  }

  async loadSnapshots(afterVersion: number): Promise<Snapshot[]> {
    const loaded: (Snapshot | { detached: DetachedSnapshot; commitId: string })[] = [];
    for (let offset = 0; ; offset += READ_PAGE) {
      const page = await this.call("read history", () =>
        this.snapshots.get({ where: { version: { $gt: afterVersion } }, include: ["documents", "metadatas"], limit: READ_PAGE, offset }),
      );
      page.documents.forEach((document, index) => {
        const snapshot = this.parseSnapshot(document);
        const commitId = commitIdOf(page.metadatas[index]);
        this.winners.set(snapshot.version, commitId);
        loaded.push("change" in snapshot ? snapshot : { detached: snapshot, commitId });
      });
      if (page.ids.length < READ_PAGE) break;
    }
    const changes = await this.changeLists(loaded.flatMap((entry) => ("detached" in entry ? [changeId(entry.detached.version, entry.commitId)] : [])));
    const snapshots = loaded.map((entry): Snapshot => {
      if (!("detached" in entry)) return entry;
      const id = changeId(entry.detached.version, entry.commitId);
      const change = changes.get(id);
      if (change === undefined) {
        throw new LessonloopError(
          "corrupt_store",
          `Snapshot ${entry.detached.version} is stored but its change list ("${id}" in collection ${this.changes.name}) is missing; the memory was damaged or written by something else. Restore its collections from a backup.`,
          { details: { version: entry.detached.version, changeList: id } },
        );
      }
      return { ...entry.detached, change };
    });
    return snapshots.sort((a, b) => a.version - b.version);
  }

  /** Change lists by id; missing ones are absent from the map. */
  private async changeLists(ids: readonly string[]): Promise<Map<string, Snapshot["change"]>> {
    const found = new Map<string, Snapshot["change"]>();
    for (let start = 0; start < ids.length; start += READ_PAGE) {
      const page = await this.call("read change lists", () => this.changes.get({ ids: ids.slice(start, start + READ_PAGE), include: ["documents"] }));
      page.ids.forEach((id, index) => found.set(id, decodeRecord(ChangeSchema, page.documents[index], "snapshot change list read from Chroma")));
    }
    return found;
  }

  async appendSnapshot(snapshot: Snapshot, commitId: string): Promise<boolean> {
    const id = snapshotId(snapshot.version);
    const { change, ...detached } = snapshot;
    const apart = change.added.length + change.retired.length > INLINE_CHANGE_IDS;
    // The change list first: once the snapshot is stored, a reader may need it.
    if (apart) {
      await this.call("store the change list", () =>
        this.changes.upsert({
          ids: [changeId(snapshot.version, commitId)],
          embeddings: [[0]],
          documents: [encodeRecord(change)],
          metadatas: [{ version: snapshot.version, commitId }],
        }),
      );
    }
    // `add` is an insert-if-absent (an existing id is ignored), and the server applies
    // writes in one order: reading back whose commit id is stored tells every writer who won.
    await this.call("commit snapshot", () =>
      this.snapshots.add({
        ids: [id],
        embeddings: [[0]],
        documents: [apart ? encodeRecord(detached, SNAPSHOT_FORMAT) : encodeRecord(snapshot)],
        metadatas: [{ version: snapshot.version, commitId }],
      }),
    );
    const stored = await this.call("confirm snapshot", () => this.snapshots.get({ ids: [id], include: ["metadatas"] }));
    const won = stored.ids.length === 1 && commitIdOf(stored.metadatas[0]) === commitId;
    if (won) this.winners.set(snapshot.version, commitId);
    return won;
  }

  async discardOrphans(afterVersion: number, throughVersion: number): Promise<void> {
    await Promise.all([
      this.discardLosers(this.lessons, "addedIn", afterVersion, throughVersion, (id) => parseRecordId(id)),
      this.discardLosers(this.changes, "version", afterVersion, throughVersion, (id) => {
        const [version, commitId] = id.split("@");
        return version === undefined || commitId === undefined ? undefined : { addedIn: Number(version.slice(1)), commitId };
      }),
    ]);
  }

  /** Deletes the records of `collection` in the version range written by an attempt that did not win its version. */
  private async discardLosers(
    collection: Collection,
    versionField: string,
    afterVersion: number,
    throughVersion: number,
    attemptOf: (id: string) => { addedIn: number; commitId: string } | undefined,
  ): Promise<void> {
    const orphans: string[] = [];
    for (let offset = 0; ; offset += READ_PAGE) {
      const page = await this.call("find records of unfinished commits", () =>
        collection.get({ where: { $and: [{ [versionField]: { $gt: afterVersion } }, { [versionField]: { $lte: throughVersion } }] }, include: [], limit: READ_PAGE, offset }),
      );
      for (const id of page.ids) {
        const attempt = attemptOf(id);
        if (attempt !== undefined && this.winners.has(attempt.addedIn) && this.winners.get(attempt.addedIn) !== attempt.commitId) orphans.push(id);
      }
      if (page.ids.length < READ_PAGE) break;
    }
    for (let start = 0; start < orphans.length; start += WRITE_BATCH) {
      await this.call("discard records of unfinished commits", () => collection.delete({ ids: orphans.slice(start, start + WRITE_BATCH) }));
    }
  }

  /** Whether a record is live: written by the attempt that won its version, in the lineage, not retired. */
  private isLive(id: string, visibility: Visibility): boolean {
    const parsed = parseRecordId(id);
    if (parsed === undefined) return false;
    return this.winners.get(parsed.addedIn) === parsed.commitId && isVisible(visibility, parsed.lessonId, parsed.addedIn);
  }

  async putLessons(records: readonly LessonRecord[]): Promise<void> {
    for (const record of records) {
      const id = recordId(record.lesson.id, record.addedIn, record.commitId);
      this.cache.set(id, record.lesson);
      this.rememberScope(id, recordScopeOf(record.lesson));
    }
    for (let start = 0; start < records.length; start += WRITE_BATCH) {
      const batch = records.slice(start, start + WRITE_BATCH);
      await this.call("write lessons", () =>
        this.lessons.upsert({
          ids: batch.map((record) => recordId(record.lesson.id, record.addedIn, record.commitId)),
          embeddings: batch.map((record) => record.vector),
          documents: batch.map((record) => encodeRecord(record.lesson)),
          metadatas: batch.map(
            (record): Metadata => ({
              lessonId: record.lesson.id,
              addedIn: record.addedIn,
              commitId: record.commitId,
              kind: record.lesson.kind,
              ...scopeMetadata(record.lesson.scope),
              ...toolMetadata(record.lesson),
            }),
          ),
        }),
      );
    }
  }

  async getRecords(keys: readonly { id: string; addedIn: number }[]): Promise<LiveRecord[]> {
    const records: LiveRecord[] = [];
    const ids = this.winningRecordIds(keys);
    for (let start = 0; start < ids.length; start += VECTOR_PAGE) {
      const page = await this.call("read lessons and vectors", () => this.lessons.get({ ids: ids.slice(start, start + VECTOR_PAGE), include: ["documents", "embeddings"] }));
      page.ids.forEach((_, index) => records.push({ lesson: this.parseLesson(page.documents[index]), vector: page.embeddings[index] ?? [] }));
    }
    return records;
  }

  /** Record ids of these keys written by the attempt that won their version; keys of versions not stored are skipped. */
  private winningRecordIds(keys: readonly { id: string; addedIn: number }[]): string[] {
    return keys.flatMap((key) => {
      const commitId = this.winners.get(key.addedIn);
      return commitId === undefined ? [] : [recordId(key.id, key.addedIn, commitId)];
    });
  }

  async getLessons(keys: readonly { id: string; addedIn: number }[]): Promise<Lesson[]> {
    const found = await this.lessonsByRecordId(this.winningRecordIds(keys));
    return [...found.values()].map((lesson) => structuredClone(lesson));
  }

  /**
   * Nearest neighbours first, filters second: Chroma's metadata filters cost
   * tens of milliseconds at 10k records, while an unfiltered nearest-neighbour
   * query returning only ids costs a few. Visibility is decided from the record
   * id and the snapshot log, scope from the (cached, immutable) lesson, so the
   * filtering is exact and happens here. When the nearest candidates hold too
   * few matches (a small tenant among large ones), the candidate pool widens,
   * and past a bound the search falls back to Chroma's filtered query.
   */
  async searchLessons(request: Parameters<LessonMemoryBackend["searchLessons"]>[0]): Promise<ScoredLesson[]> {
    const { tools, ...rest } = request;
    if (tools === undefined || tools.length === 0 || showsNothing(request.visibility)) return this.nearestLessons(rest);
    const [nearest, anchored] = await Promise.all([this.nearestLessons(rest), this.anchoredLessons({ ...rest, tools })]);
    return mergeHits(nearest, anchored);
  }

  /**
   * The nearest live lessons anchored to any of `tools`: a query filtered on the
   * tool fields and the tenant (few records match), with visibility and the rest
   * of the scope decided exactly here, as in the unfiltered search.
   */
  private async anchoredLessons({ vector, scope, visibility, k, kinds, tools }: Parameters<LessonMemoryBackend["searchLessons"]>[0] & { tools: readonly string[] }): Promise<ScoredLesson[]> {
    const where = and([{ tenant: { $eq: storedScopeName(scope.tenant) } }, kinds === undefined ? undefined : { kind: { $in: [...kinds] } }, anchoredWhere(tools)]);
    for (let nResults = k + 8; ; nResults *= 4) {
      const result = await this.call("search lessons by tool", () => this.lessons.query({ queryEmbeddings: [vector], nResults, where, include: ["distances"] }));
      const { ids, matching } = await this.matchingHits(result, { scope, visibility, kinds });
      if (matching.length >= k || ids.length < nResults || nResults >= MAX_CANDIDATES) return this.readHits(matching.slice(0, k), (lesson) => scopeApplies(lesson.scope, scope));
    }
  }

  private async nearestLessons({ vector, scope, visibility, k, kinds }: Parameters<LessonMemoryBackend["searchLessons"]>[0]): Promise<ScoredLesson[]> {
    if (showsNothing(visibility)) return [];
    const applies = (lesson: Lesson) => scopeApplies(lesson.scope, scope) && (kinds === undefined || kinds.includes(lesson.kind));
    // Sized from the share of candidates that matched this scope last time, so one query usually suffices.
    const scopeKey = JSON.stringify([scope.tenant, scope.user, scope.agent, kinds]);
    const share = this.matchShare.get(scopeKey) ?? INITIAL_MATCH_SHARE;
    for (let candidates = clamp(Math.ceil((1.5 * k) / share), MIN_CANDIDATES, MAX_CANDIDATES); ; candidates = Math.min(candidates * 4, MAX_CANDIDATES)) {
      const result = await this.call("search lessons", () => this.lessons.query({ queryEmbeddings: [vector], nResults: candidates, include: ["distances"] }));
      const { ids, matching } = await this.matchingHits(result, { scope, visibility, kinds });
      if (ids.length > 0) this.rememberMatchShare(scopeKey, Math.max(matching.length, 1) / ids.length);
      if (matching.length >= k || ids.length < candidates) return this.readHits(matching.slice(0, k), applies);
      if (candidates === MAX_CANDIDATES) break;
    }
    return this.filteredSearch({ vector, scope, visibility, k, kinds });
  }

  /**
   * The live hits of a query whose records apply to the scope and kinds, best first. Matches are
   * decided on the scope index, so a candidate seen before needs no lesson read (at 100k lessons
   * most are not in the lesson cache); only the hits returned are read, by {@link readHits}.
   */
  private async matchingHits(
    result: { ids: string[][]; distances: (number | null)[][] },
    { scope, visibility, kinds }: Pick<Parameters<LessonMemoryBackend["searchLessons"]>[0], "scope" | "visibility" | "kinds">,
  ): Promise<{ ids: string[]; matching: { id: string; score: number }[] }> {
    const ids = result.ids[0] ?? [];
    const distances = result.distances[0] ?? [];
    const live = ids.flatMap((id, index) => (this.isLive(id, visibility) ? [{ id, score: 1 - (distances[index] ?? 1) }] : []));
    const scopes = await this.scopesByRecordId(live.map((hit) => hit.id));
    const matching = live.filter((hit) => {
      const record = scopes.get(hit.id);
      return record !== undefined && recordApplies(record, scope, kinds);
    });
    return { ids, matching };
  }

  /** The lessons of `hits`, in order, each checked by `applies` on the lesson itself. */
  private async readHits(hits: readonly { id: string; score: number }[], applies: (lesson: Lesson) => boolean): Promise<ScoredLesson[]> {
    const lessons = await this.lessonsByRecordId(hits.map((hit) => hit.id));
    return hits.flatMap((hit) => {
      const lesson = lessons.get(hit.id);
      return lesson !== undefined && applies(lesson) ? [{ lesson: structuredClone(lesson), score: hit.score }] : [];
    });
  }

  private rememberMatchShare(scopeKey: string, share: number): void {
    if (this.matchShare.size >= MATCH_SHARE_SCOPES) this.matchShare.clear();
    this.matchShare.set(scopeKey, share);
  }

  /** The exact search with every condition in Chroma's filter: slower, never misses a sparse scope. */
  private async filteredSearch({ vector, scope, visibility, k, kinds }: Parameters<LessonMemoryBackend["searchLessons"]>[0]): Promise<ScoredLesson[]> {
    const where = and([scopeAppliesWhere(scope), kinds === undefined ? undefined : { kind: { $in: [...kinds] } }, visibleWhere(visibility)]);
    // The filter cannot tell a winning commit's records from a losing one's: those are dropped here, so ask for a margin.
    for (let nResults = k + 8; ; nResults *= 4) {
      const result = await this.call("search lessons", () =>
        this.lessons.query({ queryEmbeddings: [vector], nResults, where, include: ["documents", "distances"] }),
      );
      const ids = result.ids[0] ?? [];
      const documents = result.documents[0] ?? [];
      const distances = result.distances[0] ?? [];
      const matches = ids.flatMap((id, index) =>
        this.isLive(id, visibility)
          ? [{ lesson: this.parseLesson(documents[index]), score: 1 - (distances[index] ?? 1) }] // cosine distance is 1 - similarity
          : [],
      );
      if (matches.length >= k || ids.length < nResults || nResults >= MAX_CANDIDATES) return matches.slice(0, k);
    }
  }

  private rememberScope(id: string, record: RecordScope): void {
    if (this.scopes.size >= SCOPE_INDEX_SIZE) this.scopes.clear();
    this.scopes.set(id, record);
  }

  /**
   * Scopes by record id: known ones from the index, the rest from their lessons
   * (one request, which also caches the lessons a search then returns).
   */
  private async scopesByRecordId(ids: readonly string[]): Promise<Map<string, RecordScope>> {
    const found = new Map<string, RecordScope>();
    const missing: string[] = [];
    for (const id of ids) {
      const known = this.scopes.get(id);
      if (known === undefined) missing.push(id);
      else found.set(id, known);
    }
    for (const [id, lesson] of await this.lessonsByRecordId(missing)) found.set(id, recordScopeOf(lesson));
    return found;
  }

  /** Lessons by record id, from the cache where possible; records never change once written. */
  private async lessonsByRecordId(ids: readonly string[]): Promise<Map<string, Lesson>> {
    const found = new Map<string, Lesson>();
    const missing: string[] = [];
    for (const id of ids) {
      const cached = this.cache.get(id);
      if (cached === undefined) missing.push(id);
      else found.set(id, cached);
    }
    for (let start = 0; start < missing.length; start += READ_PAGE) {
      const page = await this.call("read lessons", () => this.lessons.get({ ids: missing.slice(start, start + READ_PAGE), include: ["documents"] }));
      page.ids.forEach((id, index) => {
        const lesson = this.parseLesson(page.documents[index]);
        this.cache.set(id, lesson);
        this.rememberScope(id, recordScopeOf(lesson));
        found.set(id, lesson);
      });
    }
    return found;
  }

  async listLessons({ scope, visibility }: { scope?: Scope; visibility: Visibility }): Promise<Lesson[]> {
    if (showsNothing(visibility)) return [];
    const where = and([scope === undefined ? undefined : scopeWithinWhere(scope), visibleWhere(visibility)]);
    const lessons: Lesson[] = [];
    for (let offset = 0; ; offset += READ_PAGE) {
      const page = await this.call("list lessons", () => this.lessons.get({ where, include: ["documents"], limit: READ_PAGE, offset }));
      page.ids.forEach((id, index) => {
        if (this.isLive(id, visibility)) lessons.push(this.parseLesson(page.documents[index]));
      });
      if (page.ids.length < READ_PAGE) break;
    }
    return lessons;
  }

  private call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    return callChroma({ url: this.url, operation }, run);
  }

  private parseLesson(document: string | null | undefined): Lesson {
    return decodeRecord(LessonSchema, document, "lesson record read from Chroma");
  }

  private parseSnapshot(document: string | null | undefined): Snapshot | DetachedSnapshot {
    return decodeRecord<typeof SnapshotSchema | typeof DetachedSnapshotSchema>(snapshotSchemaOf, document, "snapshot read from Chroma", SNAPSHOT_FORMAT);
  }
}

export interface ChromaLessonMemoryParams {
  /** A Chroma server's URL, e.g. the `url` returned by `startChroma()` or `CHROMA_URL`. */
  url: string;
  /** Names the memory; its collections are `<name>-lessons`, `<name>-snapshots` and `<name>-changes`. */
  name?: string;
  /** Embeds lessons and queries. Reopen a memory with the embedder it was created with. */
  embedder: Embedder;
  clock?: Clock;
  /** How stale (ms) this process's copy of history may be: another process's merge is seen here within this (plus one read). Default 1000. */
  freshnessMs?: number;
  /**
   * `"background"`: a timer looks for newer versions every `freshnessMs` and
   * moves the live index, so no search at the head waits for the check
   * (`close()` stops it). `"on-read"`, the default: a read past `freshnessMs`
   * checks first. See `VersionedLessonMemoryParams`.
   */
  refresh?: "on-read" | "background";
  /** An existing client, to share its connection settings (headers, tenant, database). */
  client?: ChromaClient;
  /** How many parsed lessons to keep in this process; records never change, so the cache is always right. */
  cacheSize?: number;
  /**
   * Up to how many live lessons searches at the head are answered from an
   * exact in-process copy of them and their vectors, moved in the background
   * when the head moves (see `VersionedLessonMemoryParams`): about 4 KiB of
   * this process's memory a lesson at 1,024 dimensions. Worth it in a process
   * that searches many times (an agent's); 0, the default, turns it off
   * (`openChromaStores` turns it on).
   */
  liveIndexLessons?: number;
}

/**
 * A versioned `LessonMemory` on a real Chroma server. Lessons are embedded once
 * and never rewritten; what is live at a version comes from the snapshot log, so
 * rollback costs one small write whatever the number of lessons, and readers see
 * a commit only once its snapshot is stored.
 */
export class ChromaLessonMemory extends VersionedLessonMemory {
  /** The collections this memory uses, for operators and tests. */
  readonly collections: { lessons: string; snapshots: string; changes: string };

  private constructor(params: ChromaLessonMemoryParams & { backend: ChromaBackend; collections: { lessons: string; snapshots: string; changes: string } }) {
    super({ backend: params.backend, embedder: params.embedder, clock: params.clock, freshnessMs: params.freshnessMs, liveIndexLessons: params.liveIndexLessons, refresh: params.refresh });
    this.collections = params.collections;
  }

  /** Opens (or creates) the memory named `name` on the server at `url`. */
  static async open({ url, name = "lessonloop", embedder, clock, freshnessMs, refresh, client, cacheSize = 20_000, liveIndexLessons = 0 }: ChromaLessonMemoryParams): Promise<ChromaLessonMemory> {
    const memoryName = parseWith(MemoryNameSchema, name, "memory name");
    const chroma = client ?? connectChroma(url);
    const collections = { lessons: `${memoryName}-lessons`, snapshots: `${memoryName}-snapshots`, changes: `${memoryName}-changes` };
    const [lessons, snapshots, changes] = await callChroma({ url, operation: "open the memory's collections" }, () =>
      Promise.all([
        chroma.getOrCreateCollection({
          name: collections.lessons,
          embeddingFunction: null,
          configuration: { hnsw: { space: "cosine" } },
          metadata: { embedder: embedder.name, dimensions: embedder.dimensions },
        }),
        chroma.getOrCreateCollection({ name: collections.snapshots, embeddingFunction: null }),
        chroma.getOrCreateCollection({ name: collections.changes, embeddingFunction: null }),
      ]),
    );
    const built = lessons.metadata?.["embedder"];
    if (built !== undefined && built !== embedder.name) {
      throw new LessonloopError(
        "invalid_input",
        `Memory "${memoryName}" was built with embedder "${String(built)}", not "${embedder.name}". Open it with the same embedder, or use another memory name.`,
      );
    }
    return new ChromaLessonMemory({ url, embedder, clock, freshnessMs, refresh, liveIndexLessons, backend: new ChromaBackend(lessons, snapshots, changes, url, cacheSize), collections });
  }
}

