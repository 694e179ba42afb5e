/**
 * `pnpm bench:component <name> [args]`: one component's benchmark, on the
 * embedded Chroma server where it needs one; prints its table and writes
 * `evals/results/components/<name>.json`, marked as generated.
 *
 *   lesson-memory [sizes…]   ChromaLessonMemory: search, commit and rollback at 1k and 10k lessons
 *   retriever [sizes…]       the replay-retriever node's added latency per agent step at 1k and 10k
 *   rollback [sizes…]        rollback and rollbackTo time against memory size (1k, 10k, 100k)
 *   duplicate-threshold      the lexical embedder's scores behind the learner's duplicateThreshold
 *   outcome-crediting        crediting an episode's outcome (ledger + per-lesson regression monitor), in memory and on Chroma
 *   examples [lessons examples…]  what serving examples adds to a run's first step, and to its context's tokens
 */
const COMPONENTS = {
  "lesson-memory": () => import("./lesson-memory.js"),
  retriever: () => import("./retriever.js"),
  rollback: () => import("./rollback.js"),
  "duplicate-threshold": () => import("./duplicate-threshold.js"),
  "outcome-crediting": () => import("./outcome-crediting.js"),
  examples: () => import("./examples.js"),
} as const satisfies Record<string, () => Promise<{ run(args: readonly string[]): Promise<void> }>>;

const isComponent = (name: string | undefined): name is keyof typeof COMPONENTS => name !== undefined && Object.hasOwn(COMPONENTS, name);

async function main(argv: readonly string[]): Promise<void> {
  const [name, ...args] = argv.filter((arg) => arg !== "--");
  if (!isComponent(name)) {
    console.error(`Usage: pnpm bench:component <${Object.keys(COMPONENTS).join("|")}> [args]${name === undefined ? "" : ` — no component benchmark "${name}"`}`);
    process.exitCode = 1;
    return;
  }
  const { run } = await COMPONENTS[name]();
  await run(args);
}

await main(process.argv.slice(2));
