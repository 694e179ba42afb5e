import { LessonloopError } from "./errors.js";
import type { Snapshot } from "./snapshot.js";

/** An inclusive range of commit versions, `[from, to]`. */
export type VersionRange = readonly [from: number, to: number];

interface LogEntry {
  snapshot: Snapshot;
  /**
   * The commit versions whose changes make up this version's lessons, as sorted
   * disjoint ranges. A rollback reuses its target's lineage, so it costs nothing
   * in the number of lessons; each rollback in a lineage adds at most one range.
   */
  lineage: readonly VersionRange[];
}

const RETIRED_CACHE_SIZE = 8;

/**
 * The history of a lesson memory and the index that answers "is lesson X live
 * at version V?" without touching any lesson record. Both memory implementations
 * keep one; the Chroma one rebuilds it from the stored snapshots.
 *
 * Invariant kept by `planCommit`: within one lineage a lesson id is added at
 * most once and retired at most once, after its addition.
 */
export class SnapshotLog {
  readonly #entries: LogEntry[] = [];
  readonly #addedIn = new Map<string, number[]>();
  readonly #retiredIn = new Map<string, number[]>();
  readonly #retiredCache = new Map<number, ReadonlySet<string>>();

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
    if (snapshot.kind === "rollback") {
      if (snapshot.restores === undefined || !this.has(snapshot.restores)) {
        throw new LessonloopError("corrupt_store", `Rollback snapshot ${snapshot.version} restores unknown version ${String(snapshot.restores)}.`);
      }
      this.#entries.push({ snapshot, lineage: this.#entry(snapshot.restores).lineage });
      return;
    }
    if (snapshot.kind !== "commit") {
      throw new LessonloopError("corrupt_store", `Snapshot ${snapshot.version} is a second genesis.`);
    }
    this.#entries.push({ snapshot, lineage: extendLineage(this.#entry(expected - 1).lineage, snapshot.version) });
    for (const id of snapshot.change.added) pushTo(this.#addedIn, id, snapshot.version);
    for (const id of snapshot.change.retired) pushTo(this.#retiredIn, id, snapshot.version);
  }

  /** The commit version at which `id` was added in `version`'s lineage, even if retired since. */
  addedAt(id: string, version: number): number | undefined {
    const lineage = this.lineage(version);
    return this.#addedIn.get(id)?.find((added) => inRanges(lineage, added));
  }

  isLive(id: string, version: number): boolean {
    const lineage = this.lineage(version);
    if (this.addedAt(id, version) === undefined) return false;
    return !(this.#retiredIn.get(id) ?? []).some((retired) => inRanges(lineage, retired));
  }

  /** Every lesson id retired within `version`'s lineage. */
  retiredBy(version: number): ReadonlySet<string> {
    const cached = this.#retiredCache.get(version);
    if (cached !== undefined) return cached;
    const retired = new Set<string>();
    for (const commit of versionsIn(this.lineage(version))) {
      for (const id of this.#entry(commit).snapshot.change.retired) retired.add(id);
    }
    if (this.#retiredCache.size >= RETIRED_CACHE_SIZE) {
      const oldest = this.#retiredCache.keys().next().value;
      if (oldest !== undefined) this.#retiredCache.delete(oldest);
    }
    this.#retiredCache.set(version, retired);
    return retired;
  }

  /**
   * Lesson ids live at `to` but not at `from` (`added`) and the reverse
   * (`removed`). Only the commits on one side and not the other are read, so the
   * cost follows the size of the change, not the size of memory.
   */
  changeBetween(from: number, to: number): { added: string[]; removed: string[] } {
    const fromLineage = this.lineage(from);
    const toLineage = this.lineage(to);
    const touched = new Set<string>();
    for (const ranges of [subtractRanges(fromLineage, toLineage), subtractRanges(toLineage, fromLineage)]) {
      for (const commit of versionsIn(ranges)) {
        const { change } = this.#entry(commit).snapshot;
        for (const id of change.added) touched.add(id);
        for (const id of change.retired) touched.add(id);
      }
    }
    const added: string[] = [];
    const removed: string[] = [];
    for (const id of [...touched].sort()) {
      const liveAtFrom = this.isLive(id, from);
      const liveAtTo = this.isLive(id, to);
      if (liveAtTo && !liveAtFrom) added.push(id);
      if (liveAtFrom && !liveAtTo) removed.push(id);
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

function pushTo(index: Map<string, number[]>, id: string, version: number): void {
  const versions = index.get(id);
  if (versions === undefined) index.set(id, [version]);
  else versions.push(version);
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
