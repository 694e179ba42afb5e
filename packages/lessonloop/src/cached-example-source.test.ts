import { createLexicalEmbedder, type Scope } from "@lessonloop/core";
import { exampleFixture } from "@lessonloop/core/conformance";
import { InMemoryExampleStore } from "@lessonloop/core/internal";
import { createManualClock, createSeededRandom } from "@lessonloop/core/testing";
import { describe, expect, it } from "vitest";
import { createCachedExampleSource, mirroredWrites } from "./cached-example-source.js";

const embedder = createLexicalEmbedder();
const TASKS = ["Create an invoice for ACME of 12.50 EUR", "Refund 5.00 EUR on order A-1", "Ship the parcel to Berlin by courier", "Create an invoice for Globex of 99 EUR"];
const SCOPES: Scope[] = [{ tenant: "acme" }, { tenant: "acme", user: "ana" }, { tenant: "acme", user: "bob" }, { tenant: "acme", user: "ana", agent: "billing" }, { tenant: "globex", user: "ana" }];

function setUp() {
  const clock = createManualClock();
  const store = new InMemoryExampleStore({ embedder });
  const errors: unknown[] = [];
  const source = createCachedExampleSource({ store, embedder, clock, freshnessMs: 1_000, onError: (error) => errors.push(error) });
  const idsOf = async (scope: Scope, query: string, version?: number) =>
    (await source.findExamples({ query, scope, k: 50, ...(version === undefined ? {} : { version }) })).map((example) => example.id);
  return { clock, store, source, errors, idsOf };
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 20));

describe("createCachedExampleSource", () => {
  it("answers as the store does — scope, version, staleness, ranking — from its copy once a tenant is loaded", async () => {
    const { store, source, idsOf } = setUp();
    const random = createSeededRandom(22);
    await store.add(
      Array.from({ length: 40 }, (_, index) => exampleFixture(`ex-${index}`, random.pick(TASKS), random.pick(SCOPES), random.int(0, 4), index)),
    );
    await store.markStale({ ids: ["ex-3", "ex-7", "ex-11", "ex-20"], since: 3, reason: "similar_failure" });
    // Every tenant's first read comes from the store and starts its copy.
    for (const tenant of ["acme", "globex"]) await source.findExamples({ query: "x", scope: { tenant }, k: 1 });
    await settled();
    // From here on the store cannot answer a search: every answer below is the copy's.
    const search = store.search.bind(store);
    store.search = () => Promise.reject(new Error("the copy should answer"));
    let compared = 0;
    for (const scope of SCOPES) {
      for (const query of TASKS) {
        for (const version of [undefined, 0, 2, 3, 5]) {
          const expected = (await search({ query, scope, k: 50, ...(version === undefined ? {} : { version }) })).map(({ example }) => example.id);
          expect(await idsOf(scope, query, version), `${JSON.stringify(scope)} ${query} v${version}`).toEqual(expected);
          compared += expected.length;
        }
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it("property: no example reaches a run of another tenant or user, over generated stores and runs", async () => {
    const random = createSeededRandom(7);
    const tenants = ["acme", "globex"];
    const users = [undefined, "ana", "bob", "Ana Lopez"];
    const scopeOf = (): Scope => {
      const user = random.pick(users);
      return { tenant: random.pick(tenants), ...(user === undefined ? {} : { user }), ...(random.chance(0.3) ? { agent: "billing" } : {}) };
    };
    let served = 0;
    for (let store = 0; store < 30; store++) {
      const { store: examples, source } = setUp();
      await examples.add(Array.from({ length: random.int(1, 15) }, (_, index) => exampleFixture(`ex-${index}`, random.pick(TASKS), scopeOf(), random.int(0, 3), index)));
      for (const tenant of tenants) await source.findExamples({ query: "x", scope: { tenant }, k: 1 });
      await settled();
      for (let run = 0; run < 6; run++) {
        const scope = scopeOf();
        for (const found of await source.findExamples({ query: random.pick(TASKS), scope, k: 50 })) {
          const example = await examples.get(found.id);
          expect(example.scope.tenant).toBe(scope.tenant);
          if (example.scope.user !== undefined) expect(example.scope.user).toBe(scope.user);
          if (example.scope.agent !== undefined) expect(example.scope.agent).toBe(scope.agent);
          served += 1;
        }
      }
    }
    // Not vacuous: runs were served examples.
    expect(served).toBeGreaterThan(50);
  });

  it("serves the loop's own writes at once, and another process's within its freshness", async () => {
    const { clock, store, source, idsOf } = setUp();
    await store.add([exampleFixture("first", TASKS[0] as string, { tenant: "acme", user: "ana" })]);
    expect(await idsOf({ tenant: "acme", user: "ana" }, TASKS[0] as string)).toEqual(["first"]); // from the store; the copy loads
    await settled();
    // Through the loop's writer: made to the copy as to the store, before the write returns.
    const writer = mirroredWrites(store, source);
    await writer.add([exampleFixture("second", TASKS[0] as string, { tenant: "acme", user: "ana" })]);
    expect(await idsOf({ tenant: "acme", user: "ana" }, TASKS[0] as string)).toEqual(["first", "second"]);
    await writer.markStale({ ids: ["first"], since: 0, reason: "similar_failure" });
    expect(await idsOf({ tenant: "acme", user: "ana" }, TASKS[0] as string)).toEqual(["second"]);
    // Straight to the store (another process): the copy holds until it is older than freshnessMs.
    await store.markStale({ ids: ["second"], since: 0, reason: "rollback" });
    expect(await idsOf({ tenant: "acme", user: "ana" }, TASKS[0] as string)).toEqual(["second"]);
    clock.advance(1_001);
    await idsOf({ tenant: "acme", user: "ana" }, TASKS[0] as string); // starts the reload
    await settled();
    expect(await idsOf({ tenant: "acme", user: "ana" }, TASKS[0] as string)).toEqual([]);
  });

  it("makes the loop's writes to the copy without reloading it, and keeps them through a reload that read before them", async () => {
    const { clock, store, source, idsOf } = setUp();
    const ana = { tenant: "acme", user: "ana" };
    await store.add([exampleFixture("first", TASKS[0] as string, ana)]);
    let lists = 0;
    const list = store.list.bind(store);
    let release: (() => void) | undefined;
    store.list = async (request) => {
      lists += 1;
      const before = await list(request);
      if (lists > 1) await new Promise<void>((resolve) => (release = resolve)); // the reload read, then waits
      return before;
    };
    await idsOf(ana, TASKS[0] as string);
    await settled();
    const writer = mirroredWrites(store, source);
    await writer.add([exampleFixture("second", TASKS[0] as string, ana, 0, 1)]);
    await writer.delete(["first"]);
    expect(lists).toBe(1);
    expect(await idsOf(ana, TASKS[0] as string)).toEqual(["second"]);
    // A reload reads the store, then the loop writes, then the reload lands: the write is not lost.
    clock.advance(1_001);
    await idsOf(ana, TASKS[0] as string);
    await settled();
    await writer.add([exampleFixture("third", TASKS[0] as string, ana, 0, 2)]);
    await writer.markStale({ ids: ["second"], since: 0, reason: "similar_failure" });
    release?.();
    await settled();
    expect(lists).toBe(2);
    expect(await idsOf(ana, TASKS[0] as string)).toEqual(["third"]);
  });

  it("keeps serving its copy when a reload fails, and says so", async () => {
    const { clock, store, source, errors, idsOf } = setUp();
    await store.add([exampleFixture("kept", TASKS[1] as string)]);
    await idsOf({ tenant: "acme" }, TASKS[1] as string);
    await settled();
    store.list = () => Promise.reject(new Error("Chroma is down"));
    clock.advance(1_001);
    expect(await idsOf({ tenant: "acme" }, TASKS[1] as string)).toEqual(["kept"]);
    await settled();
    expect(errors.map(String)).toEqual(["Error: Chroma is down"]);
  });
});
