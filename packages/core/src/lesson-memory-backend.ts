import type { Lesson, LessonKind } from "./lesson.js";
import type { ScoredLesson } from "./lesson-memory.js";
import type { Scope } from "./scope.js";
import type { LiveRecord } from "./live-lesson-index.js";
import type { Snapshot } from "./snapshot.js";
import { inRanges, type VersionRange } from "./snapshot-log.js";

/** A lesson as stored: written once by the commit that added it, never rewritten. */
export interface LessonRecord {
  lesson: Lesson;
  /** The commit version that added it. */
  addedIn: number;
  /**
   * The commit attempt that wrote it. Several processes may write records for
   * the same version; only the attempt whose snapshot was stored makes its
   * records live, so a loser's or a crashed writer's records are never read.
   */
  commitId: string;
  vector: number[];
}

/**
 * Which records are live at one version: added by a commit in `lineage` and
 * whose id is not in `retired`, plus the `restored` ones. Computed from the
 * snapshot log, so a backend never needs to rewrite a record when history moves.
 */
export interface Visibility {
  lineage: readonly VersionRange[];
  retired: ReadonlySet<string>;
  /**
   * Records live again from outside the lineage (a scoped rollback to a version
   * a global rollback had left): lesson id → the version that added the record.
   * Usually empty.
   */
  restored: ReadonlyMap<string, number>;
}

/** Whether the record of `id` added at `addedIn` is live under `visibility` (its commit attempt having won). */
export function isVisible(visibility: Visibility, id: string, addedIn: number): boolean {
  const restored = visibility.restored.get(id);
  if (restored !== undefined) return restored === addedIn;
  return inRanges(visibility.lineage, addedIn) && !visibility.retired.has(id);
}

/** The nearest hits and the anchored ones as one list, each lesson once, nearest first. */
export function mergeHits(nearest: readonly ScoredLesson[], anchored: readonly ScoredLesson[]): ScoredLesson[] {
  const seen = new Set(nearest.map((hit) => hit.lesson.id));
  return [...nearest, ...anchored.filter((hit) => !seen.has(hit.lesson.id))].sort((a, b) => b.score - a.score || a.lesson.id.localeCompare(b.lesson.id));
}

/**
 * Where a `VersionedLessonMemory` keeps snapshots and lesson records. The
 * memory decides what is live; a backend only stores and filters.
 *
 * Several processes may write to one backend at once. What keeps them
 * consistent is `appendSnapshot`: an insert-if-absent of the snapshot keyed by
 * its version, with the id of the commit attempt that wrote the records. A
 * backend must then read only records of the attempt that won their version
 * (`commitId` of `appendSnapshot` or of a loaded snapshot), whatever else a
 * losing or crashed writer left under the same version.
 */
export interface LessonMemoryBackend {
  /** Stored snapshots with a version above `afterVersion`, in version order. */
  loadSnapshots(afterVersion: number): Promise<Snapshot[]>;
  /**
   * Stores the snapshot, made by the commit attempt `commitId`, unless one with
   * that version exists. This single write is what makes a commit visible, so it
   * must be atomic and linearizable across processes: of several attempts at
   * one version exactly one gets true, and every later read agrees on it.
   */
  appendSnapshot(snapshot: Snapshot, commitId: string): Promise<boolean>;
  /**
   * Removes records of versions in `(afterVersion, throughVersion]` written by
   * an attempt that did not win its version (it lost a race or crashed before
   * its snapshot). They are never read; this only frees their space.
   */
  discardOrphans(afterVersion: number, throughVersion: number): Promise<void>;
  putLessons(records: readonly LessonRecord[]): Promise<void>;
  /** The records of these (lesson id, addedIn) keys written by the attempt that won `addedIn`, in any order; missing ones are skipped. */
  getLessons(keys: readonly { id: string; addedIn: number }[]): Promise<Lesson[]>;
  /** As `getLessons`, with each lesson's stored vector: what a `LiveLessonIndex` holds. */
  getRecords(keys: readonly { id: string; addedIn: number }[]): Promise<LiveRecord[]>;
  /**
   * Live lessons (of winning attempts only) that apply to `scope`, nearest to
   * `vector` first: the `k` nearest, and with `tools` also the `k` nearest of
   * those anchored to any of them (each lesson once).
   */
  searchLessons(request: {
    vector: number[];
    scope: Scope;
    visibility: Visibility;
    k: number;
    kinds?: readonly LessonKind[];
    tools?: readonly string[];
  }): Promise<ScoredLesson[]>;
  /** Live lessons within `scope` (all when omitted). */
  listLessons(request: { scope?: Scope; visibility: Visibility }): Promise<Lesson[]>;
}
