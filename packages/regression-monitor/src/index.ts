/**
 * @lessonloop/regression-monitor — watches the outcomes of the runs served
 * each recently merged lesson and reverts that lesson alone when they are
 * significantly worse than comparable runs before its merge.
 *
 * See README.md.
 */
export { createRegressionMonitor, regressionEvidenceOf } from "./regression-monitor.js";
export type {
  RegressionMonitor,
  RegressionMonitorParams,
  RegressionCheck,
  RegressionRevert,
  RegressionComparison,
  RegressionThresholds,
} from "./regression-monitor.js";
