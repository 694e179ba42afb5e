import type { Lesson, LessonKind } from "./lesson.js";
import type { ScoredLesson } from "./lesson-memory.js";
import type { Scope } from "./scope.js";
import type { Snapshot } from "./snapshot.js";
import type { VersionRange } from "./snapshot-log.js";

/** A lesson as stored: written once by the commit that added it, never rewritten. */
export interface LessonRecord {
  lesson: Lesson;
  /** The commit version that added it. */
  addedIn: number;
  vector: number[];
}

/**
 * Which records are live at one version: added by a commit in `lineage` and
 * not retired in it. Computed from the snapshot log, so a backend never needs
 * to rewrite a record when history moves.
 */
export interface Visibility {
  lineage: readonly VersionRange[];
  retired: ReadonlySet<string>;
}

/**
 * Where a `VersionedLessonMemory` keeps snapshots and lesson records. The
 * memory decides what is live; a backend only stores and filters.
 */
export interface LessonMemoryBackend {
  /** Stored snapshots with a version above `afterVersion`, in version order. */
  loadSnapshots(afterVersion: number): Promise<Snapshot[]>;
  /**
   * Stores the snapshot. This single write is what makes a commit visible, so
   * it must be atomic. Returns false when a snapshot with that version exists.
   */
  appendSnapshot(snapshot: Snapshot): Promise<boolean>;
  /** Removes records left by a commit that never got its snapshot (`addedIn >= version`). */
  discardUncommitted(fromVersion: number): Promise<void>;
  putLessons(records: readonly LessonRecord[]): Promise<void>;
  /** The records with these (lesson id, addedIn) keys, in any order; missing ones are skipped. */
  getLessons(keys: readonly { id: string; addedIn: number }[]): Promise<Lesson[]>;
  /** Live lessons that apply to `scope`, nearest to `vector` first. */
  searchLessons(request: {
    vector: number[];
    scope: Scope;
    visibility: Visibility;
    k: number;
    kinds?: readonly LessonKind[];
  }): Promise<ScoredLesson[]>;
  /** Live lessons within `scope` (all when omitted). */
  listLessons(request: { scope?: Scope; visibility: Visibility }): Promise<Lesson[]>;
}
