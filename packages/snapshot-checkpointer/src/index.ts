/**
 * @lessonloop/snapshot-checkpointer — snapshot operations over a LessonMemory and a BaseCheckpointSaver wrapper that pins each graph checkpoint to the memory version that was live.
 *
 * See README.md.
 */

// ── Snapshot operations, the merge path, the merge node ───────────────────────
export { rollbackTo, describeSnapshot, describeDiff } from "./snapshot-operations.js";
export type { RollbackResult } from "./snapshot-operations.js";
export { mergeLesson } from "./merge-lesson.js";
export type { MergeLessonRequest, MergeLessonResult } from "./merge-lesson.js";
export { createMergeNode, MergeStateAnnotation } from "./merge-node.js";
export type { MergeNode, MergeNodeParams, MergeResult } from "./merge-node.js";

// ── Checkpointer ─────────────────────────────────────────────────────────────
export { SnapshotCheckpointer } from "./snapshot-checkpointer.js";
export type { SnapshotCheckpointerParams, SnapshotCheckpointerWarning } from "./snapshot-checkpointer.js";
// The checkpoint metadata key holding the memory version a checkpoint ran with (filter `list()` by it).
export { MEMORY_VERSION_METADATA_KEY } from "@lessonloop/core/internal";
