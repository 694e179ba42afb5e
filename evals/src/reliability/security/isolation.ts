import { HumanMessage } from "@langchain/core/messages";
import { ChromaEdgeCaseStore, ChromaLessonMemory } from "@lessonloop/chroma";
import {
  InMemoryLessonMemory,
  LessonloopError,
  formatScope,
  createLexicalEmbedder,
  type EdgeCaseInput,
  type EdgeCaseStore,
  type LessonInput,
  type LessonMemory,
  type Scope,
} from "@lessonloop/core";
import { scopeApplies, scopeContains } from "@lessonloop/core/internal";
import { createReplayRetriever } from "@lessonloop/replay-retriever";
import fc from "fast-check";
import { runCli } from "lessonloop/cli";

const T = "2026-01-01T00:00:00.000Z";
const WORDS = ["refund", "invoice", "order", "shipping", "password", "report", "delay", "customer", "parcel", "discount"];

/**
 * Tenant, user and agent names chosen to tempt a sloppy filter: prefixes of
 * each other, case variants, and the separators a scope rendering uses — and,
 * since any visible text is a name (issue 20), names a store must encode:
 * accents in both Unicode normal forms (two names), CJK, spaces, quotes, the
 * wildcard `*` stored for "every user", `~` and a percent-encoding that look
 * like an encoded name, and the longest name allowed.
 */
const TENANTS = ["acme", "acme-eu", "acme.eu", "Acme", "globex", "a:b", "a/b", "Ana Lopez", "~Ana%20Lopez", "李雷"];
const USERS = ["ana", "ana2", "bob", "Ana", "u/1", "josé", "jose\u0301", "李雷", "Ana Lopez", "o'reilly", "*", "~*", "%2A", "u".repeat(256)];
const AGENTS = ["billing", "support", "billing-v2", "*", "billing v2"];

const scopeArb: fc.Arbitrary<Scope> = fc.record(
  { tenant: fc.constantFrom(...TENANTS), user: fc.constantFrom(...USERS), agent: fc.constantFrom(...AGENTS) },
  { requiredKeys: ["tenant"] },
);
const textArb = fc.array(fc.constantFrom(...WORDS), { minLength: 2, maxLength: 6 }).map((words) => words.join(" "));

/** One random memory: lessons committed in batches (some retired later), edge cases, and the queries to try. */
export interface IsolationWorld {
  lessons: { scope: Scope; trigger: string; guidance: string }[];
  /** Lessons per commit, in order. */
  batches: number[];
  /** Indices of lessons retired by a last commit. */
  retired: number[];
  cases: { scope: Scope; input: string }[];
  queries: { scope: Scope; text: string }[];
}

export const isolationWorldArb: fc.Arbitrary<IsolationWorld> = fc
  .record({
    lessons: fc.array(fc.record({ scope: scopeArb, trigger: textArb, guidance: textArb }), { minLength: 1, maxLength: 24 }),
    cases: fc.array(fc.record({ scope: scopeArb, input: textArb }), { minLength: 1, maxLength: 16 }),
    queries: fc.array(fc.record({ scope: scopeArb, text: textArb }), { minLength: 1, maxLength: 6 }),
    batchSizes: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 8 }),
    retireShare: fc.double({ min: 0, max: 0.4, noNaN: true }),
  })
  .map(({ lessons, cases, queries, batchSizes, retireShare }) => {
    const batches: number[] = [];
    let left = lessons.length;
    for (const size of batchSizes) {
      if (left === 0) break;
      const taken = Math.min(size, left);
      batches.push(taken);
      left -= taken;
    }
    if (left > 0) batches.push(left);
    const retired = lessons.map((_, index) => index).filter((index) => index % Math.max(1, Math.round(1 / Math.max(retireShare, 0.01))) === 0 && retireShare > 0);
    return { lessons, batches, retired, cases, queries };
  });

/** A place where one scope's view showed something it must not, or missed something it must show. */
export interface IsolationFinding {
  surface: string;
  scope: string;
  detail: string;
}

export interface IsolationStores {
  memory: LessonMemory;
  /** Checked when given (the Chroma store). */
  edgeCaseStore?: EdgeCaseStore;
  /** Checked when given: the CLI reads the same memory from this Chroma server. */
  cli?: { chromaUrl: string; memoryName: string };
}

const lessonId = (index: number) => `lesson-${index}`;
const caseId = (index: number) => `case-${index}`;

async function fill(world: IsolationWorld, { memory, edgeCaseStore }: IsolationStores): Promise<Map<string, Scope>> {
  const scopes = new Map<string, Scope>();
  let next = 0;
  for (const size of world.batches) {
    const add: LessonInput[] = world.lessons.slice(next, next + size).map((lesson, offset) => {
      const id = lessonId(next + offset);
      scopes.set(id, lesson.scope);
      return {
        id,
        trigger: lesson.trigger,
        guidance: lesson.guidance,
        kind: "strategy",
        scope: lesson.scope,
        provenance: { agent: "learner", model: "scripted", proposedAt: T },
        createdAt: T,
      };
    });
    await memory.commit({ add, reason: "isolation world", author: "test" });
    next += size;
  }
  if (world.retired.length > 0) await memory.commit({ retire: world.retired.map(lessonId), reason: "retire some", author: "test" });
  if (edgeCaseStore !== undefined) {
    const cases: EdgeCaseInput[] = world.cases.map((edgeCase, index) => ({
      id: caseId(index),
      input: edgeCase.input,
      check: { type: "rubric", rubric: "pass" },
      kind: "regression",
      scope: edgeCase.scope,
      createdAt: T,
    }));
    await edgeCaseStore.add(cases);
  }
  return scopes;
}

function sameIds(actual: readonly string[], expected: readonly string[]): boolean {
  return actual.length === expected.length && [...actual].sort().join("\n") === [...expected].sort().join("\n");
}

async function cliJson(argv: string[]): Promise<{ code: number; json: unknown }> {
  let out = "";
  const code = await runCli([...argv, "--json"], { stdout: { write: (chunk: string) => (out += chunk) }, stderr: { write: () => true }, env: {} });
  return { code, json: code === 0 ? (JSON.parse(out) as unknown) : undefined };
}

function scopeFlags(scope: Scope): string[] {
  return ["--tenant", scope.tenant, ...(scope.user === undefined ? [] : ["--user", scope.user]), ...(scope.agent === undefined ? [] : ["--agent", scope.agent])];
}

/**
 * Fills `stores` with `world` and asks every read surface for each query's
 * scope: memory search, list, diff, the replay-retriever, the edge-case store
 * (search and get by id) and the CLI's list, diff, history and show. Returns
 * every leak (another scope's lesson or case shown) and every loss (a lesson
 * of the scope not shown by list or diff).
 */
export async function checkIsolation(world: IsolationWorld, stores: IsolationStores): Promise<{ checks: number; findings: IsolationFinding[] }> {
  const { memory, edgeCaseStore, cli } = stores;
  const scopes = await fill(world, stores);
  const retired = new Set(world.retired.map(lessonId));
  const head = await memory.headVersion();
  const findings: IsolationFinding[] = [];
  let checks = 0;
  const expect = (ok: boolean, surface: string, scope: Scope, detail: () => string) => {
    checks += 1;
    if (!ok) findings.push({ surface, scope: formatScope(scope), detail: detail() });
  };

  for (const { scope, text } of world.queries) {
    const within = [...scopes].filter(([id, owner]) => !retired.has(id) && scopeContains(scope, owner)).map(([id]) => id);
    const outside = (ids: readonly string[]) => ids.filter((id) => !within.includes(id));

    const found = await memory.search({ query: text, scope, k: 100 });
    for (const { lesson } of found) expect(scopeApplies(lesson.scope, scope), "memory.search", scope, () => `served ${lesson.id} of ${formatScope(lesson.scope)}`);

    const listed = (await memory.list({ scope })).map((lesson) => lesson.id);
    expect(sameIds(listed, within), "memory.list", scope, () => `listed [${listed.join(", ")}], expected [${within.join(", ")}]`);

    const diff = await memory.diff(0, head, { scope });
    const added = diff.added.map((lesson) => lesson.id);
    expect(sameIds(added, within) && diff.removed.length === 0, "memory.diff", scope, () => `added [${added.join(", ")}], expected [${within.join(", ")}]`);

    const retriever = createReplayRetriever({ memory, scope: () => scope, minRelevance: 0, maxLessons: 20, budget: 20_000, onWarning: () => undefined });
    const update = await retriever({ messages: [new HumanMessage(text)] }, {});
    for (const served of update.servedLessons) {
      expect(scopeApplies(served.lesson.scope, scope), "retriever", scope, () => `served ${served.lesson.id} of ${formatScope(served.lesson.scope)}`);
    }

    if (edgeCaseStore !== undefined) {
      const relevant = await edgeCaseStore.findRelevant({ query: text, scope, k: 500 });
      for (const { edgeCase } of relevant) {
        expect(scopeContains(scope, edgeCase.scope), "edgeCaseStore.findRelevant", scope, () => `found ${edgeCase.id} of ${formatScope(edgeCase.scope)}`);
      }
      const wantedCases = world.cases.flatMap((edgeCase, index) => (scopeContains(scope, edgeCase.scope) ? [caseId(index)] : []));
      expect(sameIds(relevant.map(({ edgeCase }) => edgeCase.id), wantedCases), "edgeCaseStore.findRelevant", scope, () => "missed cases of its own scope");
      for (const [index, edgeCase] of world.cases.entries()) {
        let got: boolean;
        try {
          await edgeCaseStore.get(caseId(index), { scope });
          got = true;
        } catch (error) {
          if (!LessonloopError.isInstance(error, "not_found")) throw error;
          got = false;
        }
        expect(got === scopeContains(scope, edgeCase.scope), "edgeCaseStore.get", scope, () => `${caseId(index)} of ${formatScope(edgeCase.scope)}: ${got ? "returned" : "refused"}`);
      }
    }

    if (cli !== undefined) {
      const base = ["--chroma-url", cli.chromaUrl, "--memory", cli.memoryName, ...scopeFlags(scope)];
      const list = await cliJson(["list", ...base]);
      const listIds = ((list.json as { lessons?: { lesson: { id: string } }[] } | undefined)?.lessons ?? []).map(({ lesson }) => lesson.id);
      expect(list.code === 0 && sameIds(listIds, within), "cli list", scope, () => `listed [${listIds.join(", ")}], expected [${within.join(", ")}]`);
      const cliDiff = await cliJson(["diff", "0", String(head), ...base]);
      const diffIds = ((cliDiff.json as { added?: { id: string }[] } | undefined)?.added ?? []).map((lesson) => lesson.id);
      expect(cliDiff.code === 0 && sameIds(diffIds, within), "cli diff", scope, () => `added [${diffIds.join(", ")}]`);
      const cliHistory = await cliJson(["history", "--limit", "1000", ...base]);
      const historyIds = ((cliHistory.json as { snapshots?: { change: { added: string[]; retired: string[] } }[] } | undefined)?.snapshots ?? []).flatMap(
        (snapshot) => [...snapshot.change.added, ...snapshot.change.retired],
      );
      const everWithin = [...scopes].filter(([, owner]) => scopeContains(scope, owner)).map(([id]) => id);
      expect(cliHistory.code === 0 && historyIds.every((id) => everWithin.includes(id)), "cli history", scope, () => `mentions ${outside(historyIds).join(", ")}`);
      const stranger = [...scopes].find(([id, owner]) => !retired.has(id) && !scopeContains(scope, owner));
      if (stranger !== undefined) {
        const shown = await cliJson(["show", stranger[0], ...base]);
        expect(shown.code !== 0, "cli show", scope, () => `showed ${stranger[0]} of ${formatScope(stranger[1])}`);
      }
    }
  }
  return { checks, findings };
}

let worlds = 0;

/** Fresh stores for one world: in this process, or on a Chroma server (memory, edge cases, CLI). */
export async function openIsolationStores(where: { chromaUrl: string; prefix: string } | "in-memory"): Promise<IsolationStores> {
  const embedder = createLexicalEmbedder();
  if (where === "in-memory") return { memory: new InMemoryLessonMemory({ embedder }) };
  worlds += 1;
  const memoryName = `${where.prefix}-${worlds}`;
  return {
    memory: await ChromaLessonMemory.open({ url: where.chromaUrl, name: memoryName, embedder, freshnessMs: 0 }),
    edgeCaseStore: await ChromaEdgeCaseStore.open({ url: where.chromaUrl, collection: `${memoryName}-edge-cases`, embedder }),
    cli: { chromaUrl: where.chromaUrl, memoryName },
  };
}
