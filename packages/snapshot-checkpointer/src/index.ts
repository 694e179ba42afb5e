/**
 * @lessonloop/snapshot-checkpointer — snapshot operations over a LessonMemory and a BaseCheckpointSaver wrapper that pins each graph checkpoint to the memory version that was live.
 *
 * Not implemented yet: this package exports nothing until its node is built.
 * See README.md.
 */
export {};
