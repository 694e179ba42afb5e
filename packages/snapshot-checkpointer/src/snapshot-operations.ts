import { LessonloopError, type Lesson, type LessonMemory, type RollbackRequest, type Snapshot, type SnapshotDiff, type Verdict } from "@lessonloop/core";

/**
 * Snapshot operations are `LessonMemory`'s own API — `commit`, `history`,
 * `diff`, `rollback`, and time travel through the `version` option of
 * `list`/`search`/`get`. This file adds only what callers (the CLI, the
 * regression monitor) need on top: a rollback that also says what it changed,
 * and one-line renderings of snapshots and diffs.
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
  const kind = snapshot.kind === "rollback" ? `rollback→v${String(snapshot.restores)}` : snapshot.kind;
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

export interface MergeLessonResult {
  snapshot: Snapshot;
  /** True when an identical copy of the lesson had already been merged (a retry): no new snapshot. */
  alreadyMerged: boolean;
}

/**
 * Commits one approved lesson as a snapshot, safely retried: if the same lesson
 * id was already merged with the same content (a retry after a crash, a replayed
 * step), it answers with that earlier snapshot instead of failing. The same id
 * with different content stays the memory's `conflict` error.
 */
export async function mergeLesson(memory: LessonMemory, { lesson, reason, author }: { lesson: Lesson; reason: string; author: string }): Promise<MergeLessonResult> {
  const approved: Lesson = { ...lesson, status: "approved" };
  try {
    return { snapshot: await memory.commit({ add: [approved], reason, author }), alreadyMerged: false };
  } catch (error) {
    const mergedAt = LessonloopError.isInstance(error, "conflict") && error.details["lessonId"] === approved.id ? error.details["mergedAt"] : undefined;
    if (typeof mergedAt !== "number" || canonical(await memory.get(approved.id, { version: mergedAt })) !== canonical(approved)) throw error;
    return { snapshot: await memory.snapshot(mergedAt), alreadyMerged: true };
  }
}

/** JSON with object keys sorted, so two equal values always render the same. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}

/**
 * The lesson as it is merged: its provenance completed with the verdict that
 * merged it (policy, tally, each validator's vote and model) and, when a human
 * approved it, who. The proposer, model and evidence episodes are already there.
 *
 * @param approvedBy The human who approved it after the ensemble, if any.
 */
export function withMergeDecision(lesson: Lesson, verdict: Verdict, approvedBy?: string): Lesson {
  const votes = verdict.votes.slice(0, 100).map(({ validator, decision, model }) => ({ validator, decision, ...(model === undefined ? {} : { model }) }));
  return {
    ...lesson,
    provenance: {
      ...lesson.provenance,
      merge: {
        policy: verdict.policy.name,
        tally: { ...verdict.tally },
        votes,
        decidedAt: verdict.decidedAt,
        ...(approvedBy === undefined ? {} : { approvedBy }),
      },
    },
  };
}
