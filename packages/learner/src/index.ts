/**
 * @lessonloop/learner — a LangGraph node that turns a signalled episode into at most a few candidate lessons, deduplicated against memory, and turns episodes into edge cases.
 *
 * Not implemented yet: this package exports nothing until its node is built.
 * See README.md.
 */
export {};
