/**
 * Counts the names each published package exports, entry point by entry point
 * (`.`, `./cli`, `./testing` …), as a user importing it sees them, and fails
 * when the public surface passes its budget or one name means two things.
 *
 * Three kinds of entry point: public (the main entries and `lessonloop/cli`,
 * counted against the budget), test support (`./testing`, `./conformance`:
 * scripted models, fakes, conformance suites) and `@lessonloop/core/internal`
 * (what lessonloop's own packages share, no compatibility promise).
 *
 *   pnpm surface            # table + total
 *   pnpm surface --list     # every name, per entry point
 */
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";

/** The decided size of the public surface across the packages' public entry points. */
const BUDGET = 200;
const TEST_SUPPORT = new Set(["./testing", "./conformance"]);
const INTERNAL = new Set(["./internal"]);

type EntryKind = "public" | "test support" | "internal";

function kindOf(subpath: string): EntryKind {
  if (TEST_SUPPORT.has(subpath)) return "test support";
  if (INTERNAL.has(subpath)) return "internal";
  return "public";
}

interface EntryPoint {
  readonly packageName: string;
  readonly subpath: string;
  readonly file: string;
}

const root = resolve(import.meta.dirname, "..");
const listNames = process.argv.includes("--list");

function entryPoints(): EntryPoint[] {
  const packagesDir = join(root, "packages");
  const entries: EntryPoint[] = [];
  for (const dir of readdirSync(packagesDir).sort()) {
    const manifestPath = join(packagesDir, dir, "package.json");
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
      name: string;
      private?: boolean;
      exports?: Record<string, { "@lessonloop/source"?: string }>;
    };
    if (manifest.private === true) continue;
    for (const [subpath, conditions] of Object.entries(manifest.exports ?? {})) {
      const source = conditions["@lessonloop/source"];
      if (source === undefined) continue;
      entries.push({ packageName: manifest.name, subpath, file: join(packagesDir, dir, source) });
    }
  }
  return entries;
}

const entries = entryPoints();
const program = ts.createProgram(
  entries.map((entry) => entry.file),
  {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    customConditions: ["@lessonloop/source"],
    skipLibCheck: true,
    noEmit: true,
  },
);
const checker = program.getTypeChecker();

/** Where a name is declared, so one name exported from two files is found. */
function declarationOf(symbol: ts.Symbol): string {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const declaration = target.declarations?.[0];
  if (declaration === undefined) return "?";
  return `${declaration.getSourceFile().fileName}:${declaration.getStart()}`;
}

const rows: { entry: string; kind: EntryKind; count: number; names: string[] }[] = [];
const meanings = new Map<string, Set<string>>();
for (const entry of entries) {
  const source = program.getSourceFile(entry.file);
  const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) throw new Error(`Cannot read the exports of ${entry.file}.`);
  const exported = checker.getExportsOfModule(moduleSymbol);
  const names = exported.map((symbol) => symbol.getName()).sort();
  for (const symbol of exported) {
    const declared = meanings.get(symbol.getName()) ?? new Set<string>();
    declared.add(declarationOf(symbol));
    meanings.set(symbol.getName(), declared);
  }
  const label = entry.subpath === "." ? entry.packageName : `${entry.packageName}/${entry.subpath.slice(2)}`;
  rows.push({ entry: label, kind: kindOf(entry.subpath), count: names.length, names });
}

const width = Math.max(...rows.map((row) => row.entry.length));
const totals = new Map<EntryKind, number>();
for (const row of rows) {
  console.log(`${row.entry.padEnd(width)}  ${String(row.count).padStart(4)}  ${row.kind}`);
  if (listNames) console.log(`  ${row.names.join(", ")}\n`);
  totals.set(row.kind, (totals.get(row.kind) ?? 0) + row.count);
}
const publicNames = totals.get("public") ?? 0;
console.log(`${"public surface".padEnd(width)}  ${String(publicNames).padStart(4)}  (budget ${BUDGET})`);
console.log(`${"test support".padEnd(width)}  ${String(totals.get("test support") ?? 0).padStart(4)}`);
console.log(`${"internal".padEnd(width)}  ${String(totals.get("internal") ?? 0).padStart(4)}`);

const twoMeanings = [...meanings].filter(([, declared]) => declared.size > 1).map(([name]) => name);
if (twoMeanings.length > 0) console.log(`exported with two meanings: ${twoMeanings.join(", ")}`);
if (publicNames > BUDGET || twoMeanings.length > 0) process.exitCode = 1;
