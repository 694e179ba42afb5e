// How pg-boss (PostgreSQL) and BullMQ (Redis) were chosen between (issue 19): enqueue latency
// p50/p99 of 1,000 sequential sends, then acknowledged jobs present after a SIGKILL of the server.
// Not part of the workspace (it needs BullMQ, ioredis and redis-server, which lessonloop does not
// use); run it in a scratch folder, as root on Debian with postgresql and redis-server installed:
//   npm init -y && npm i pg-boss@10.4.2 bullmq@5 ioredis pg && node engine-choice.mjs
// Figures of one run on the development machine are in RELIABILITY.md (Fleet).
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, chownSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import PgBoss from "pg-boss";
import { Queue } from "bullmq";
import pg from "pg";

const freePort = () => new Promise((r) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => r(p)); }); });
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pgUser = { uid: Number(execFileSync("id", ["-u", "postgres"]).toString()), gid: Number(execFileSync("id", ["-g", "postgres"]).toString()) };
const bin = "/usr/lib/postgresql/15/bin";
const episode = { id: "x", input: "create an invoice for 12.50 EUR".repeat(20), trajectory: Array.from({ length: 6 }, (_, i) => ({ role: "tool", content: "result " + i + " ".repeat(200) })) };

async function startPg(dir, port) {
  const p = spawn(`${bin}/postgres`, ["-D", dir, "-p", String(port), "-k", dir, "-h", "127.0.0.1"], { ...pgUser, stdio: "ignore" });
  for (let i = 0; i < 100; i++) { try { const c = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres" }); await c.connect(); await c.end(); return p; } catch { await sleep(100); } }
  throw new Error("pg did not start");
}
async function startRedis(dir, port, args) {
  const p = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", ...args], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) { try { await new Promise((res, rej) => { const s = net.connect(port, "127.0.0.1", () => { s.end(); res(); }); s.on("error", rej); }); return p; } catch { await sleep(50); } }
}
const killed = (p) => new Promise((r) => { p.once("exit", r); p.kill("SIGKILL"); });

async function benchPg() {
  const dir = mkdtempSync(join(tmpdir(), "pgb-")); chownSync(dir, pgUser.uid, pgUser.gid);
  execFileSync(`${bin}/initdb`, ["-D", dir, "-U", "postgres", "--auth=trust"], { ...pgUser, stdio: "ignore" });
  const port = await freePort(); let server = await startPg(dir, port);
  const connectionString = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let boss = new PgBoss({ connectionString, supervise: false, schedule: false }); boss.on("error", () => {}); await boss.start(); await boss.createQueue("q");
  const lat = [];
  for (let i = 0; i < 1000; i++) { const t = performance.now(); await boss.send("q", { ...episode, id: "a" + i }); lat.push(performance.now() - t); }
  console.log(`pg-boss send: p50 ${pct(lat, 50).toFixed(2)} ms p99 ${pct(lat, 99).toFixed(2)} ms`);
  // kill -9 mid-stream
  const acked = []; let stop = false;
  const writer = (async () => { for (let i = 0; !stop; i++) { try { const id = await boss.send("q", { ...episode, id: "k" + i }); acked.push(id); } catch { break; } } })();
  await sleep(1500); await killed(server); stop = true; await writer; await boss.stop({ graceful: false }).catch(() => {});
  server = await startPg(dir, port);
  const c = new pg.Client({ connectionString }); await c.connect();
  const { rows } = await c.query("select count(*)::int n from pgboss.job where id = any($1::uuid[])", [acked]);
  console.log(`pg-boss kill -9: acknowledged ${acked.length}, present after restart ${rows[0].n}, lost ${acked.length - rows[0].n}`);
  await c.end(); await killed(server);
}

async function benchRedis(label, args) {
  const dir = mkdtempSync(join(tmpdir(), "rdb-")); const port = await freePort(); let server = await startRedis(dir, port, args);
  let q = new Queue("q", { connection: { host: "127.0.0.1", port, maxRetriesPerRequest: 1, enableOfflineQueue: false } }); q.on("error", () => {});
  const lat = [];
  for (let i = 0; i < 1000; i++) { const t = performance.now(); await q.add("ep", { ...episode, id: "a" + i }, { jobId: "a" + i }); lat.push(performance.now() - t); }
  console.log(`bullmq ${label} add: p50 ${pct(lat, 50).toFixed(2)} ms p99 ${pct(lat, 99).toFixed(2)} ms`);
  const acked = []; let stop = false;
  const writer = (async () => { for (let i = 0; !stop; i++) { try { await q.add("ep", { ...episode, id: "k" + i }, { jobId: "k" + i }); acked.push("k" + i); } catch { break; } } })();
  await sleep(1500); await killed(server); stop = true; await writer; await q.close().catch(() => {}); q.disconnect?.();
  server = await startRedis(dir, port, args);
  q = new Queue("q", { connection: { host: "127.0.0.1", port } });
  let present = 0; for (const id of acked) if (await q.getJob(id)) present++;
  console.log(`bullmq ${label} kill -9: acknowledged ${acked.length}, present after restart ${present}, lost ${acked.length - present}`);
  await q.close(); await killed(server);
}
await benchPg();
await benchRedis("default (no AOF)", []);
await benchRedis("appendfsync everysec", ["--appendonly", "yes", "--appendfsync", "everysec"]);
await benchRedis("appendfsync always", ["--appendonly", "yes", "--appendfsync", "always"]);
process.exit(0);
