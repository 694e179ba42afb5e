import { formatScope, type Lesson, type LessonMemory, type Snapshot, type SnapshotDiff } from "@lessonloop/core";
import type { RollbackRequest } from "@lessonloop/core/internal";

/**
 * Snapshot operations are `LessonMemory`'s own API — `commit`, `history`,
 * `diff`, `rollback`, and time travel through the `version` option of
 * `list`/`search`/`get`. This file adds only what callers (the CLI, examples)
 * need on top: a rollback that also says what it changed, and one-line
 * renderings of snapshots and diffs. Merging is `mergeLesson` (merge-lesson.ts).
 */

/** A rollback snapshot together with what it changed. */
export interface RollbackResult {
  /** The new head: a `rollback` snapshot whose `restores` is the target version. */
  snapshot: Snapshot;
  /**
   * From the version that was live before the rollback to the rollback itself:
   * `removed` are the lessons the rollback retired, `added` the ones it made live again.
   */
  diff: SnapshotDiff;
}

/**
 * Rolls `memory` back to the earlier version `to`, as a new history entry
 * (nothing is deleted), and returns that snapshot with its diff. Errors are
 * the memory's: `unknown_version`, `invalid_rollback` (the live version or the
 * future), `invalid_input` for an empty reason or author.
 */
export async function rollbackTo(memory: LessonMemory, request: RollbackRequest): Promise<RollbackResult> {
  const snapshot = await memory.rollback(request);
  // A rollback always has a parent: version 0 is the only snapshot without one.
  const diff = await memory.diff(snapshot.parent ?? 0, snapshot.version);
  return { snapshot, diff };
}

/** The first line of a reason, cut to `max` characters. */
function headline(reason: string, max: number): string {
  const [first = ""] = reason.split("\n", 1);
  return first.length <= max ? first : `${first.slice(0, max - 1)}…`;
}

/**
 * One line for a history listing, e.g.
 * `v6  rollback→v4  2026-01-01T00:00:00.000Z  regression-monitor  +0 −1  Regression after merge v5: …`.
 *
 * @param reasonChars How much of the reason's first line to show (default 100).
 */
export function describeSnapshot(snapshot: Snapshot, { reasonChars = 100 }: { reasonChars?: number } = {}): string {
  const undone = snapshot.kind === "rollback" ? `rollback→v${String(snapshot.restores)}` : snapshot.kind;
  const kind = snapshot.scope === undefined ? undone : `${undone} (${formatScope(snapshot.scope)})`;
  const change = `+${snapshot.change.added.length} −${snapshot.change.retired.length}`;
  return [`v${snapshot.version}`, kind, snapshot.createdAt, snapshot.author, change, headline(snapshot.reason, reasonChars)].join("  ");
}

function describeLesson(sign: "+" | "−", lesson: Lesson): string {
  return `${sign} ${lesson.id}  [${lesson.kind}]  when ${headline(lesson.trigger, 80)} → ${headline(lesson.guidance, 80)}`;
}

/** One line a lesson, `+` for lessons live at `to` only, `−` for lessons live at `from` only. */
export function describeDiff(diff: SnapshotDiff): string {
  const lines = [`v${diff.from} → v${diff.to}: ${diff.added.length} added, ${diff.removed.length} removed`];
  for (const lesson of diff.added) lines.push(describeLesson("+", lesson));
  for (const lesson of diff.removed) lines.push(describeLesson("−", lesson));
  return lines.join("\n");
}
