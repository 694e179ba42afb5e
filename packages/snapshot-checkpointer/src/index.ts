/**
 * @lessonloop/snapshot-checkpointer — snapshot operations over a LessonMemory and a BaseCheckpointSaver wrapper that pins each graph checkpoint to the memory version that was live.
 *
 * See README.md.
 */

// ── Snapshot operations, regression monitor, merge node ──────────────────────
export { rollbackTo, describeSnapshot, describeDiff } from "./snapshot-operations.js";
export type { RollbackResult } from "./snapshot-operations.js";
export { mergeLesson } from "./merge-lesson.js";
export type { MergeLessonRequest, MergeLessonResult } from "./merge-lesson.js";
export { fisherExactLowerTail } from "./fisher-exact-test.js";
export type { SuccessCounts } from "./fisher-exact-test.js";
export { createRegressionMonitor, evaluateRegression, regressionLook, regressionEvidenceOf } from "./regression-monitor.js";
export type {
  RegressionMonitor,
  RegressionMonitorParams,
  RegressionCheck,
  RegressionComparison,
  RegressionDecision,
  RegressionRollback,
  RegressionThresholds,
  VersionTally,
} from "./regression-monitor.js";
export { createMergeNode, MergeStateAnnotation } from "./merge-node.js";
export type { MergeNode, MergeNodeInput, MergeNodeParams, MergeResult, MergeState } from "./merge-node.js";

// ── Checkpointer ─────────────────────────────────────────────────────────────
export { SnapshotCheckpointer } from "./snapshot-checkpointer.js";
export type { SnapshotCheckpointerParams, SnapshotCheckpointerWarning, SnapshotCheckpointerWarningSource } from "./snapshot-checkpointer.js";
