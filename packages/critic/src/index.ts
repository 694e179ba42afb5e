/**
 * @lessonloop/critic — a LangGraph node that judges whether an episode carries a learning signal: deterministic signals (tool errors, user feedback, evaluators) first, an LLM judge only where nothing deterministic decides.
 *
 * Not implemented yet: this package exports nothing until its node is built.
 * See README.md.
 */
export {};
