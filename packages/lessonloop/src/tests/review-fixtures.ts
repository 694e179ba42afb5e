/** Fixtures for the CLI tests: the stores' own, from the conformance suites. */
export { edgeCaseFixture, verdictFixture as verdictFor } from "@lessonloop/core/conformance";

export const FIXED_TIME = "2026-01-01T00:00:00.000Z";
