import type { ChromaClient } from "chromadb";
import { callChroma } from "./chroma-errors.js";
import { connectChroma } from "./chroma-server.js";

export interface ChromaCatalogParams {
  /** The server's URL; named in error messages. */
  url: string;
  /** An existing client, to share its connection settings (headers, tenant, database). */
  client?: ChromaClient;
}

/**
 * The names of the lessonloop memories on a Chroma server: those with both a
 * `<name>-lessons` and a `<name>-snapshots` collection. For tools that must not
 * create a memory by accident.
 */
export async function listChromaMemories({ url, client = connectChroma(url) }: ChromaCatalogParams): Promise<string[]> {
  const collections = await callChroma({ url, operation: "list collections" }, () => client.listCollections({ limit: 1_000 }));
  const names = new Set(collections.map((collection) => collection.name));
  return [...names]
    .filter((name) => name.endsWith("-snapshots") && names.has(`${name.slice(0, -"-snapshots".length)}-lessons`))
    .map((name) => name.slice(0, -"-snapshots".length))
    .sort();
}

/**
 * The name of the embedder an existing collection was built with (`undefined`
 * when it recorded none), without creating it: a collection that does not
 * exist is `not_found`.
 */
export async function chromaCollectionEmbedder({ url, client = connectChroma(url), collection }: ChromaCatalogParams & { collection: string }): Promise<string | undefined> {
  const existing = await callChroma({ url, operation: `open collection ${collection}` }, () => client.getCollection({ name: collection }));
  const recorded = existing.metadata?.["embedder"];
  return typeof recorded === "string" ? recorded : undefined;
}
