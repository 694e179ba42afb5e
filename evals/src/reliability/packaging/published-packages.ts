import { readdir, readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseWith } from "@lessonloop/core/internal";
import { z } from "zod";

/** The workspace root (the folder of `pnpm-workspace.yaml`). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");

/**
 * The export condition that points workspace tools (vitest, tsx, tsc) at a
 * package's TypeScript sources. Sources are not published, so no published
 * manifest may name it.
 */
export const SOURCE_CONDITION = "@lessonloop/source";

/** A subpath map (`exports` or `imports`): a target path, or conditions to nested maps. */
type PathMap = string | { [key: string]: PathMap };
const PathMapSchema: z.ZodType<PathMap> = z.lazy(() => z.union([z.string(), z.record(z.string(), PathMapSchema)]));

/** What the packaging checks read of a package's `package.json`. */
const ManifestSchema = z.looseObject({
  name: z.string().min(1),
  version: z.string().min(1).optional(),
  private: z.boolean().optional(),
  license: z.string().optional(),
  engines: z.object({ node: z.string().optional() }).optional(),
  exports: PathMapSchema.optional(),
  imports: PathMapSchema.optional(),
  files: z.array(z.string()).optional(),
  dependencies: z.record(z.string(), z.string()).optional(),
  peerDependencies: z.record(z.string(), z.string()).optional(),
  devDependencies: z.record(z.string(), z.string()).optional(),
  publishConfig: z.looseObject({ exports: PathMapSchema.optional(), imports: PathMapSchema.optional() }).optional(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export interface PublishedPackage {
  /** The package folder, absolute. */
  dir: string;
  manifest: Manifest;
}

export async function readManifest(dir: string): Promise<Manifest> {
  const path = join(dir, "package.json");
  return parseWith(ManifestSchema, JSON.parse(await readFile(path, "utf8")), path);
}

/** Every package under `packages/` that is published (not `private`). */
export async function readPublishedPackages(): Promise<PublishedPackage[]> {
  const root = join(REPO_ROOT, "packages");
  const dirs = (await readdir(root, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => join(root, entry.name));
  const packages = await Promise.all(dirs.map(async (dir) => ({ dir, manifest: await readManifest(dir) })));
  return packages.filter(({ manifest }) => manifest.private !== true).sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

/** A subpath map as published: the same map without the source condition. */
export function withoutSourceCondition(map: PathMap): PathMap {
  if (typeof map === "string") return map;
  return Object.fromEntries(Object.entries(map).filter(([key]) => key !== SOURCE_CONDITION).map(([key, value]) => [key, withoutSourceCondition(value)]));
}

/** Every target path of a subpath map (`./dist/index.js` …). */
export function targetsOf(map: PathMap): string[] {
  return typeof map === "string" ? [map] : Object.values(map).flatMap(targetsOf);
}

/** The file `pnpm pack` writes for a package: `@lessonloop/core` 0.1.0 is `lessonloop-core-0.1.0.tgz`. */
export function tarballName(manifest: Manifest): string {
  return `${manifest.name.replace(/^@/, "").replace("/", "-")}-${manifest.version ?? "0.0.0"}.tgz`;
}

/** `name` and the workspace packages it depends on at run time, transitively. */
export function runtimeClosure(name: string, packages: readonly PublishedPackage[]): PublishedPackage[] {
  const byName = new Map(packages.map((entry) => [entry.manifest.name, entry]));
  const found = new Map<string, PublishedPackage>();
  const visit = (next: string): void => {
    const entry = byName.get(next);
    if (entry === undefined || found.has(next)) return;
    found.set(next, entry);
    for (const dependency of Object.keys(entry.manifest.dependencies ?? {})) visit(dependency);
  };
  visit(name);
  return [...found.values()];
}
