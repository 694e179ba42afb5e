export { runConcurrentCommitsScenario } from "./concurrent-commits.js";
export type { ConcurrentCommitsParams } from "./concurrent-commits.js";
