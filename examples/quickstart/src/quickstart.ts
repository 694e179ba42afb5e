import { ChromaLessonMemory, startChroma } from "@lessonloop/chroma";
import { formatScope, createLexicalEmbedder, type LessonInput, type LessonMemory, type Scope } from "@lessonloop/core";

export interface QuickstartParams {
  /** An existing Chroma server; when omitted the embedded one is started and stopped. */
  chromaUrl?: string;
  /** Where each line of the report goes. */
  print?: (line: string) => void;
}

export interface QuickstartResult {
  /** The live version after each step. */
  versions: { afterCommits: number; afterRollback: number };
  /** Ids of the lessons the search returned before and after the rollback. */
  found: { beforeRollback: string[]; afterRollback: string[] };
}

const NOW = new Date().toISOString();
const ana: Scope = { tenant: "acme", user: "ana" };

function lesson(id: string, scope: Scope, trigger: string, guidance: string): LessonInput {
  return {
    id,
    trigger,
    guidance,
    kind: "recovery",
    scope,
    provenance: { agent: "quickstart", model: "none", proposedAt: NOW },
    createdAt: NOW,
  };
}

async function searchIds(memory: LessonMemory, query: string, scope: Scope, print: (line: string) => void): Promise<string[]> {
  const results = await memory.search({ query, scope, k: 3 });
  print(`  search "${query}" as ${formatScope(scope)}:`);
  for (const { lesson: found, score } of results) print(`    ${score.toFixed(3)}  ${found.id}: ${found.guidance}`);
  if (results.length === 0) print("    (no lessons)");
  return results.map((result) => result.lesson.id);
}

/**
 * The tour of versioned memory: commit lessons as snapshots, search them in a
 * scope, roll back, and show the history.
 */
export async function runQuickstart({ chromaUrl, print = console.log }: QuickstartParams = {}): Promise<QuickstartResult> {
  const server = await startChroma({ url: chromaUrl });
  print(server.external ? `Using the Chroma server at ${server.url}` : `Started Chroma at ${server.url} (pid ${server.pid})`);
  try {
    const memory = await ChromaLessonMemory.open({ url: server.url, name: `quickstart-${Date.now()}`, embedder: createLexicalEmbedder() });

    const v1 = await memory.commit({
      add: [
        lesson("invoice-cents", { tenant: "acme" }, "creating an invoice through the billing API", "send amount_cents as an integer; the API rejects decimal amounts"),
        lesson("ana-dates", ana, "writing dates for ana", "ana wants dates as DD.MM.YYYY"),
      ],
      reason: "first lessons learned",
      author: "quickstart",
    });
    print(`Committed version ${v1.version}: +${v1.change.added.join(", +")}`);

    const v2 = await memory.commit({
      add: [lesson("invoice-euros", { tenant: "acme" }, "creating an invoice through the billing API", "send amount in euros with two decimals")],
      retire: ["invoice-cents"],
      reason: "a lesson that turns out to be wrong",
      author: "quickstart",
    });
    print(`Committed version ${v2.version}: +${v2.change.added.join(", +")} -${v2.change.retired.join(", -")}`);

    const beforeRollback = await searchIds(memory, "create an invoice", ana, print);
    await searchIds(memory, "create an invoice", { tenant: "globex" }, print);

    const started = performance.now();
    const rollback = await memory.rollback({ to: v1.version, reason: "invoices started failing after version 2", author: "quickstart" });
    print(`Rolled back to version ${v1.version} as version ${rollback.version} in ${(performance.now() - started).toFixed(1)} ms: +${rollback.change.added.join(", +")} -${rollback.change.retired.join(", -")}`);
    const afterRollback = await searchIds(memory, "create an invoice", ana, print);

    print("History:");
    for (const snapshot of await memory.history()) {
      const restores = snapshot.restores === undefined ? "" : ` (restores ${snapshot.restores})`;
      print(`  v${snapshot.version} ${snapshot.kind}${restores} by ${snapshot.author}: ${snapshot.reason}`);
    }
    return { versions: { afterCommits: v2.version, afterRollback: rollback.version }, found: { beforeRollback, afterRollback } };
  } finally {
    await server.stop();
  }
}
