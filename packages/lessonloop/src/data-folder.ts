/** Where the embedded server keeps the memory by default, in the working directory: learning survives a restart, and `lessonloop` run there finds it. */
export const DEFAULT_DATA_FOLDER = ".lessonloop";
