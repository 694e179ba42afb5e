/**
 * @lessonloop/replay-retriever — a LangGraph node that puts the relevant merged lessons of the live (or pinned) snapshot into the agent's context, within a token budget.
 *
 * Not implemented yet: this package exports nothing until its node is built.
 * See README.md.
 */
export {};
