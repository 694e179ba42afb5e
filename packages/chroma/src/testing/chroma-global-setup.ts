import type { TestProject } from "vitest/node";
import { startChroma } from "../chroma-server.js";
// The `chromaUrl` key of vitest's `ProvidedContext` is declared in ./index.ts.
import type {} from "./index.js";

/**
 * vitest globalSetup: starts ONE real Chroma server for the whole test run and
 * provides its URL as `chromaUrl` (read it with `testChromaUrl()` from
 * `@lessonloop/chroma/testing`, or `inject("chromaUrl")`). Tests isolate themselves
 * with `uniqueCollectionName()`. With `CHROMA_URL` set, that server is used instead.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env["CHROMA_URL"];
  const server = await startChroma(url === undefined || url === "" ? {} : { url });
  project.provide("chromaUrl", server.url);
  return async () => {
    await server.stop();
  };
}
