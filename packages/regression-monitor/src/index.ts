/**
 * @lessonloop/regression-monitor — watches the outcomes of the runs served
 * from each merged memory version and rolls a merge back when they are
 * significantly worse than the runs before it.
 *
 * See README.md.
 */
export { createRegressionMonitor, regressionEvidenceOf } from "./regression-monitor.js";
export type {
  RegressionMonitor,
  RegressionMonitorParams,
  RegressionCheck,
  RegressionComparison,
  RegressionThresholds,
} from "./regression-monitor.js";
