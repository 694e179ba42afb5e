import { LessonloopError } from "./errors.js";
import type { Visibility } from "./lesson-memory-backend.js";
import type { Snapshot } from "./snapshot.js";

/** An inclusive range of commit versions, `[from, to]`. */
export type VersionRange = readonly [from: number, to: number];

interface LogEntry {
  snapshot: Snapshot;
  /**
   * The versions whose changes make up this version's lessons, as sorted
   * disjoint ranges: every commit, revert and scoped rollback on the way here.
   * A global rollback reuses its target's lineage, so it costs nothing in the
   * number of lessons; each rollback in a lineage adds at most one range.
   */
  lineage: readonly VersionRange[];
}

/**
 * One change to a lesson id: from `version` on (in lineages holding it), the
 * live record of the id is the one added at `record`, or none when undefined.
 */
interface LessonEvent {
  version: number;
  record: number | undefined;
}

/** What a reverted or rolled-back lesson needs to be read: its live record (id and the commit that added it). */
export interface LessonKey {
  id: string;
  addedIn: number;
}

const VISIBILITY_CACHE_SIZE = 8;

/**
 * The history of a lesson memory and the index that answers "which record of
 * lesson X is live at version V?" without touching any lesson record. Both
 * memory implementations keep one; the Chroma one rebuilds it from the stored
 * snapshots.
 *
 * Each commit, revert and scoped rollback is a set of events, one per lesson id
 * it touches; a lesson's state at a version is its last event within that
 * version's lineage. So every write appends events for the lessons it changes
 * and nothing else, whatever the memory's size.
 *
 * Invariant kept by `planCommit`: within one lineage a lesson id is merged by
 * at most one commit (a revert or rollback makes that same record live again).
 */
export class SnapshotLog {
  readonly #entries: LogEntry[] = [];
  /** Commit versions that merged each id. */
  readonly #addedIn = new Map<string, number[]>();
  readonly #events = new Map<string, LessonEvent[]>();
  readonly #visibilityCache = new Map<number, Visibility>();

  /** The snapshot every memory starts from: version 0, no lessons. */
  static genesis(createdAt: string): Snapshot {
    return {
      version: 0,
      parent: null,
      kind: "genesis",
      change: { added: [], retired: [] },
      reason: "empty memory",
      author: "lessonloop",
      createdAt,
    };
  }

  /** The live version. */
  get head(): number {
    return this.#entries.length - 1;
  }

  has(version: number): boolean {
    return Number.isInteger(version) && version >= 0 && version < this.#entries.length;
  }

  snapshot(version: number): Snapshot {
    return this.#entry(version).snapshot;
  }

  /** Snapshots newest first, strictly older than `before`. */
  history(limit: number, before = this.#entries.length): Snapshot[] {
    const result: Snapshot[] = [];
    for (let version = Math.min(before, this.#entries.length) - 1; version >= 0 && result.length < limit; version--) {
      result.push(this.#entry(version).snapshot);
    }
    return result;
  }

  lineage(version: number): readonly VersionRange[] {
    return this.#entry(version).lineage;
  }

  /**
   * Appends the next snapshot. History is linear: its version must be `head + 1`
   * and its parent the head.
   */
  append(snapshot: Snapshot): void {
    const expected = this.#entries.length;
    if (snapshot.version !== expected) {
      throw new LessonloopError("corrupt_store", `Snapshot history is not contiguous: expected version ${expected}, found ${snapshot.version}.`);
    }
    if (expected === 0) {
      if (snapshot.kind !== "genesis") throw new LessonloopError("corrupt_store", "Snapshot history must start with the genesis snapshot (version 0).");
      this.#entries.push({ snapshot, lineage: [] });
      return;
    }
    if (snapshot.parent !== expected - 1) {
      throw new LessonloopError("corrupt_store", `Snapshot ${snapshot.version} names parent ${String(snapshot.parent)}; history is linear, so it must be ${expected - 1}.`);
    }
    if (snapshot.kind === "genesis") throw new LessonloopError("corrupt_store", `Snapshot ${snapshot.version} is a second genesis.`);
    if (snapshot.kind === "rollback" && (snapshot.restores === undefined || !this.has(snapshot.restores))) {
      throw new LessonloopError("corrupt_store", `Rollback snapshot ${snapshot.version} restores unknown version ${String(snapshot.restores)}.`);
    }
    if (snapshot.kind === "rollback" && snapshot.scope === undefined) {
      this.#entries.push({ snapshot, lineage: this.#entry(snapshot.restores as number).lineage });
      return;
    }
    const parent = expected - 1;
    // Records made live again: a scoped rollback's come from its target, a revert's are the ones last live before.
    const records = snapshot.change.added.map((id) => {
      if (snapshot.kind === "commit") return snapshot.version;
      const record = snapshot.kind === "rollback" ? this.liveRecord(id, snapshot.restores as number) : this.#lastRecord(id, parent);
      if (record === undefined) {
        throw new LessonloopError("corrupt_store", `Snapshot ${snapshot.version} makes lesson "${id}" live again, but no earlier record of it exists.`);
      }
      return record;
    });
    this.#entries.push({ snapshot, lineage: extendLineage(this.#entry(parent).lineage, snapshot.version) });
    for (const id of snapshot.change.retired) pushTo(this.#events, id, { version: snapshot.version, record: undefined });
    snapshot.change.added.forEach((id, index) => {
      if (snapshot.kind === "commit") pushTo(this.#addedIn, id, snapshot.version);
      pushTo(this.#events, id, { version: snapshot.version, record: records[index] });
    });
  }

  /** The commit version that merged `id` within `version`'s lineage, even if it is not live there. */
  addedAt(id: string, version: number): number | undefined {
    const lineage = this.lineage(version);
    return this.#addedIn.get(id)?.find((added) => inRanges(lineage, added));
  }

  /** The commit version whose record of `id` is live at `version`; undefined when the lesson is not live. */
  liveRecord(id: string, version: number): number | undefined {
    return this.#lastEvent(id, version, () => true)?.record;
  }

  isLive(id: string, version: number): boolean {
    return this.liveRecord(id, version) !== undefined;
  }

  /** The last record of `id` that was live within `version`'s lineage, live now or not. */
  #lastRecord(id: string, version: number): number | undefined {
    return this.#lastEvent(id, version, (event) => event.record !== undefined)?.record;
  }

  /** The last event of `id` within `version`'s lineage that passes `accept`. */
  #lastEvent(id: string, version: number, accept: (event: LessonEvent) => boolean): LessonEvent | undefined {
    const events = this.#events.get(id);
    if (events === undefined) return undefined;
    const lineage = this.lineage(version);
    for (let index = events.length - 1; index >= 0; index--) {
      const event = events[index] as LessonEvent;
      if (inRanges(lineage, event.version) && accept(event)) return event;
    }
    return undefined;
  }

  /**
   * Which records are live at `version`, in the terms a backend filters by:
   * records merged in the lineage, except `retired` ids, plus `restored` ones.
   */
  visibility(version: number): Visibility {
    const cached = this.#visibilityCache.get(version);
    if (cached !== undefined) return cached;
    const lineage = this.lineage(version);
    const retired = new Set<string>();
    const restored = new Map<string, number>();
    const seen = new Set<string>();
    for (const changed of versionsIn(lineage)) {
      const { change, kind } = this.#entry(changed).snapshot;
      for (const id of kind === "commit" ? change.retired : [...change.retired, ...change.added]) {
        if (seen.has(id)) continue;
        seen.add(id);
        const live = this.liveRecord(id, version);
        const merged = this.addedAt(id, version);
        if (merged !== undefined && live !== merged) retired.add(id);
        if (live !== undefined && live !== merged) restored.set(id, live);
      }
    }
    const visibility: Visibility = { lineage, retired, restored };
    if (this.#visibilityCache.size >= VISIBILITY_CACHE_SIZE) {
      const oldest = this.#visibilityCache.keys().next().value;
      if (oldest !== undefined) this.#visibilityCache.delete(oldest);
    }
    this.#visibilityCache.set(version, visibility);
    return visibility;
  }

  /**
   * Lessons whose live record differs between `from` and `to`: live at `to`
   * (`added`), live at `from` (`removed`); a lesson live at both with another
   * record is in both. Only the versions in one lineage and not the other are
   * read, so the cost follows the size of the change, not the size of memory.
   */
  changeBetween(from: number, to: number): { added: string[]; removed: string[] } {
    const fromLineage = this.lineage(from);
    const toLineage = this.lineage(to);
    const touched = new Set<string>();
    for (const ranges of [subtractRanges(fromLineage, toLineage), subtractRanges(toLineage, fromLineage)]) {
      for (const changed of versionsIn(ranges)) {
        const { change } = this.#entry(changed).snapshot;
        for (const id of change.added) touched.add(id);
        for (const id of change.retired) touched.add(id);
      }
    }
    const added: string[] = [];
    const removed: string[] = [];
    for (const id of [...touched].sort()) {
      const atFrom = this.liveRecord(id, from);
      const atTo = this.liveRecord(id, to);
      if (atFrom === atTo) continue;
      if (atTo !== undefined) added.push(id);
      if (atFrom !== undefined) removed.push(id);
    }
    return { added, removed };
  }

  /**
   * Checks that a commit on the head is consistent: new ids were never merged in
   * the head's lineage, retired ids are live. Throws a typed error otherwise.
   */
  planCommit(add: readonly string[], retire: readonly string[]): void {
    const head = this.head;
    for (const id of add) {
      const at = this.addedAt(id, head);
      if (at !== undefined) {
        throw new LessonloopError(
          "conflict",
          `Lesson "${id}" was already merged at version ${at}. Propose a revision under a new id that lists "${id}" in \`supersedes\`.`,
          { details: { lessonId: id, mergedAt: at } },
        );
      }
    }
    for (const id of retire) {
      if (!this.isLive(id, head)) {
        throw new LessonloopError("not_found", `Lesson "${id}" is not live at version ${head}, so it cannot be retired or superseded.`, {
          details: { lessonId: id, version: head },
        });
      }
    }
  }

  /**
   * Checks that the lessons can be reverted on the head (each is live) and
   * returns their live records. Throws `not_found` otherwise.
   */
  planRevert(ids: readonly string[]): LessonKey[] {
    const head = this.head;
    return ids.map((id) => {
      const addedIn = this.liveRecord(id, head);
      if (addedIn === undefined) {
        const merged = this.addedAt(id, head);
        throw new LessonloopError(
          "not_found",
          merged === undefined
            ? `Lesson "${id}" was never merged, so it cannot be reverted. Check the id with \`lessonloop history\` or \`list\`.`
            : `Lesson "${id}" (merged at version ${merged}) is not live at version ${head}, so there is nothing to revert.`,
          { details: { lessonId: id, version: head, ...(merged === undefined ? {} : { mergedAt: merged }) } },
        );
      }
      return { id, addedIn };
    });
  }

  /**
   * The lessons a reverted record took out of memory that come back with the
   * revert: those it retired when it was merged (its `supersedes`) that are not
   * live now and were last retired by that very merge, with their records.
   */
  supersededBy(record: LessonKey, supersedes: readonly string[]): LessonKey[] {
    const head = this.head;
    return supersedes.flatMap((id) => {
      if (this.isLive(id, head)) return [];
      const last = this.#lastEvent(id, head, () => true);
      if (last === undefined || last.version !== record.addedIn) return [];
      const addedIn = this.#lastRecord(id, head);
      return addedIn === undefined ? [] : [{ id, addedIn }];
    });
  }

  /** Checks that `to` is an earlier version the head can roll back to. */
  planRollback(to: number): void {
    if (!this.has(to)) {
      if (Number.isInteger(to) && to > this.head) {
        throw new LessonloopError("invalid_rollback", `Cannot roll back to version ${to}: it is in the future (the live version is ${this.head}).`);
      }
      throw new LessonloopError("unknown_version", `Version ${to} does not exist (versions run from 0 to ${this.head}).`);
    }
    if (to === this.head) {
      throw new LessonloopError("invalid_rollback", `Version ${to} is already live; roll back to an earlier version.`);
    }
  }

  #entry(version: number): LogEntry {
    const entry = Number.isInteger(version) ? this.#entries[version] : undefined;
    if (entry === undefined) {
      throw new LessonloopError("unknown_version", `Version ${version} does not exist (versions run from 0 to ${this.head}).`, {
        details: { version, head: this.head },
      });
    }
    return entry;
  }
}

function pushTo<T>(index: Map<string, T[]>, id: string, item: T): void {
  const items = index.get(id);
  if (items === undefined) index.set(id, [item]);
  else items.push(item);
}

function extendLineage(lineage: readonly VersionRange[], version: number): VersionRange[] {
  const last = lineage.at(-1);
  if (last !== undefined && last[1] === version - 1) return [...lineage.slice(0, -1), [last[0], version]];
  return [...lineage, [version, version]];
}

export function inRanges(ranges: readonly VersionRange[], version: number): boolean {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const [from, to] = ranges[middle] as VersionRange;
    if (version < from) high = middle - 1;
    else if (version > to) low = middle + 1;
    else return true;
  }
  return false;
}

/** The versions in `a` that are not in `b`; both sorted and disjoint. */
export function subtractRanges(a: readonly VersionRange[], b: readonly VersionRange[]): VersionRange[] {
  const result: VersionRange[] = [];
  for (const [from, to] of a) {
    let start = from;
    for (const [cutFrom, cutTo] of b) {
      if (cutTo < start || cutFrom > to) continue;
      if (cutFrom > start) result.push([start, cutFrom - 1]);
      start = cutTo + 1;
      if (start > to) break;
    }
    if (start <= to) result.push([start, to]);
  }
  return result;
}

function* versionsIn(ranges: readonly VersionRange[]): Generator<number> {
  for (const [from, to] of ranges) for (let version = from; version <= to; version++) yield version;
}
