/**
 * lessonloop — the drop-in: createLearningLoop, withLearning and the lessonloop command-line tool.
 *
 * Not implemented yet: this package exports nothing until its node is built.
 * See README.md.
 */
export {};
