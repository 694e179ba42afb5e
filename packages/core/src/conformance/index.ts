export { describeLessonMemoryConformance } from "./lesson-memory-conformance.js";
export type { LessonMemoryConformanceParams } from "./lesson-memory-conformance.js";
export { lessonFixture } from "./lesson-fixtures.js";
export { refundEpisodeFixture } from "./episode-fixtures.js";
