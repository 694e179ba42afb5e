// The request path on a real Chroma memory refreshed in the background: a selection at a current head asks Chroma nothing,
// another process's merge is served within the staleness bound, and a pinned run still reads exactly its version.
import { createLexicalEmbedder } from "@lessonloop/core";
import { createManualClock, type ManualClock } from "@lessonloop/core/testing";
import { ChromaLessonMemory } from "@lessonloop/chroma";
import { uniqueCollectionName } from "@lessonloop/chroma/testing";
import { createServer, request as forward, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createLessonSelector } from "./lesson-selection.js";
import { REFUND_REQUEST, refundLesson } from "./tests/agent-graph.js";

const embedder = createLexicalEmbedder();
const author = { author: "tester" };
const scope = { tenant: "acme" };
const FRESHNESS_MS = 200;

/** A Chroma server behind an HTTP proxy that counts the requests a memory opened on `url` makes. */
async function countingProxy(target: string): Promise<{ url: string; requests: () => number; server: Server }> {
  const to = new URL(target);
  let requests = 0;
  const server = createServer((incoming, outgoing) => {
    requests += 1;
    const upstream = forward({ host: to.hostname, port: to.port, path: incoming.url, method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    upstream.on("error", (error) => outgoing.destroy(error));
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests: () => requests, server };
}

const proxies: Server[] = [];
const memories: ChromaLessonMemory[] = [];
afterAll(async () => {
  await Promise.all(memories.map((memory) => memory.close()));
  await Promise.all(proxies.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** The agent's memory (live index on, behind the counting proxy) and a second process's handle on the same memory. */
async function openPair(prefix: string, { refresh = "background", freshnessMs = FRESHNESS_MS, clock }: { refresh?: "background" | "on-read"; freshnessMs?: number; clock?: ManualClock } = {}) {
  const proxy = await countingProxy(inject("chromaUrl"));
  proxies.push(proxy.server);
  const name = uniqueCollectionName(prefix);
  const agent = await ChromaLessonMemory.open({ url: proxy.url, name, embedder, refresh, freshnessMs, liveIndexLessons: 1_000, ...(clock === undefined ? {} : { clock }) });
  const other = await ChromaLessonMemory.open({ url: inject("chromaUrl"), name, embedder, freshnessMs: 0 });
  memories.push(agent, other);
  return { agent, other, requests: proxy.requests };
}

/** Waits until `memory` reads `version` as its head, at most `ms`. */
async function headWithin(memory: ChromaLessonMemory, version: number, ms: number): Promise<void> {
  const started = performance.now();
  while ((await memory.headVersion()) < version) {
    if (performance.now() - started > ms) throw new Error(`The head did not reach version ${version} within ${ms} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const ids = (selection: { lessons: { lesson: { id: string } }[] }) => selection.lessons.map((served) => served.lesson.id).sort();
const TEXTS = ["Please refund order 42, charged twice.", REFUND_REQUEST, "a refund of a duplicate charge"];

describe("background refresh of a Chroma memory", () => {
  it("answers selections at a current head without one request to Chroma, however old the last check; reading on request asks", async () => {
    // Checks every minute (none falls inside the test); the clock says the last one is long past.
    const requestsOf = async (refresh: "background" | "on-read") => {
      const clock = createManualClock();
      const { agent, other, requests } = await openPair(`refresh-calls-${refresh}`, { refresh, freshnessMs: 60_000, clock });
      await other.commit({ add: [refundLesson("refund-duplicate-only")], reason: "learned", ...author });
      await agent.liveIndexSettled();
      expect(agent.liveIndexStats).toEqual({ version: 1, lessons: 1 });
      clock.advance(10 * 60_000);
      const select = createLessonSelector({ memory: agent, cacheSize: 0 });
      const before = requests();
      const selections = await Promise.all(TEXTS.map((text) => select({ text, scope })));
      expect(selections.map(ids)).toEqual(TEXTS.map(() => ["refund-duplicate-only"]));
      expect(selections.map((selection) => selection.version)).toEqual(TEXTS.map(() => 1));
      return requests() - before;
    };
    expect(await requestsOf("background")).toBe(0);
    expect(await requestsOf("on-read")).toBeGreaterThan(0);
  });

  it("refreshes in the background while selections are answered from the index", async () => {
    const { agent, other, requests } = await openPair("refresh-timer");
    await other.commit({ add: [refundLesson("refund-duplicate-only")], reason: "learned", ...author });
    await agent.liveIndexSettled();
    const select = createLessonSelector({ memory: agent, cacheSize: 0 });
    const refreshesBefore = agent.refreshStats?.refreshes ?? 0;
    const requestsBefore = requests();
    const started = performance.now();
    let selections = 0;
    while (performance.now() - started < FRESHNESS_MS * 5) {
      expect(ids(await select({ text: REFUND_REQUEST, scope }))).toEqual(["refund-duplicate-only"]);
      selections += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const refreshes = (agent.refreshStats?.refreshes ?? 0) - refreshesBefore;
    expect(refreshes).toBeGreaterThanOrEqual(2);
    expect(agent.refreshStats).toMatchObject({ failed: 0 });
    // Only the refreshes asked Chroma (one read of the snapshots each), whatever the number of selections.
    expect(requests() - requestsBefore).toBeLessThanOrEqual(refreshes + 1);
    expect(selections).toBeGreaterThan(refreshes + 1);
    await agent.close();
    const closedAt = agent.refreshStats?.refreshes;
    await new Promise((resolve) => setTimeout(resolve, FRESHNESS_MS * 3));
    expect(agent.refreshStats?.refreshes).toBe(closedAt);
  });

  it("serves a merge stored by another process within the staleness bound, and a writer's own merge at once", async () => {
    const { agent, other } = await openPair("refresh-bound");
    await other.commit({ add: [refundLesson("refund-duplicate-only")], reason: "learned", ...author });
    await agent.liveIndexSettled();
    const select = createLessonSelector({ memory: agent, cacheSize: 0 });

    const merged = await other.commit({ add: [refundLesson("refund-to-card", { guidance: "refund a duplicate charge to the card it was paid with" })], reason: "learned", ...author });
    const stored = performance.now();
    let seenAfter = Number.POSITIVE_INFINITY;
    while (performance.now() - stored < FRESHNESS_MS * 20) {
      const selection = await select({ text: REFUND_REQUEST, scope });
      if (selection.version === merged.version) {
        expect(ids(selection)).toEqual(["refund-duplicate-only", "refund-to-card"]);
        seenAfter = performance.now() - stored;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // freshnessMs plus one read of the snapshots, with room for a loaded machine.
    expect(seenAfter).toBeLessThan(FRESHNESS_MS + 1_000);
    await agent.liveIndexSettled();
    expect(agent.liveIndexStats?.version).toBe(merged.version);

    const own = await agent.commit({ add: [refundLesson("refund-within-a-day", { guidance: "refund a duplicate charge within one day" })], reason: "learned", ...author });
    expect(await agent.headVersion()).toBe(own.version);
    expect(ids(await select({ text: REFUND_REQUEST, scope }))).toEqual(["refund-duplicate-only", "refund-to-card", "refund-within-a-day"]);
  });

  it("gives a pinned run exactly its version: an older one, and one stored elsewhere that no refresh has read yet", async () => {
    const { agent, other } = await openPair("refresh-pinned");
    const first = await other.commit({ add: [refundLesson("refund-duplicate-only")], reason: "learned", ...author });
    await agent.liveIndexSettled();
    const select = createLessonSelector({ memory: agent, cacheSize: 0 });
    const second = await other.commit({ add: [refundLesson("refund-to-card", { guidance: "refund a duplicate charge to the card it was paid with" })], reason: "learned", ...author });

    // Pinned elsewhere to a version this process has not read: it is read now, not at the next refresh.
    const pinnedNew = await select({ text: REFUND_REQUEST, scope, version: second.version });
    expect(pinnedNew.version).toBe(second.version);
    expect(ids(pinnedNew)).toEqual(["refund-duplicate-only", "refund-to-card"]);
    const rolledBack = await other.rollback({ to: first.version, reason: "undo", ...author });
    await headWithin(agent, rolledBack.version, FRESHNESS_MS + 1_000);
    await agent.liveIndexSettled();
    const pinnedOld = await select({ text: REFUND_REQUEST, scope, version: second.version });
    expect(ids(pinnedOld)).toEqual(["refund-duplicate-only", "refund-to-card"]);
    const head = await select({ text: REFUND_REQUEST, scope });
    expect(head.version).toBe(second.version + 1);
    expect(ids(head)).toEqual(["refund-duplicate-only"]);
  });
});
