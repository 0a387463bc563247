#!/usr/bin/env node
// Benchmark: sweep N request specs of realistic size (3–8 KB, cloned from the fixture cloud with fresh uuids,
// cell rows cloned alongside) and compare the wall time with dumping the spec column with the mariadb client:
//   ratio = time(trace --all --json > /dev/null) / time(mariadb -N -e "SELECT spec FROM nova_api.request_specs" > /dev/null)
// Also peak RSS at two sizes, to show memory stays flat. Target: ratio ≤ 1.5.
// usage: npm run build && node bench/trace/run.mjs [--specs 100000] [--small 10000] [--runs 3] [--nova-size] [--floors]
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
if (!existsSync(join(root, 'dist/db/loadCloud.js'))) {
  console.error('bench/trace: build first (npm run build)');
  process.exit(2);
}
const { startCloudServer } = await import('../../dist/db/loadCloud.js');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('specs', 100_000);
const SMALL = arg('small', 10_000);
const RUNS = arg('runs', 3);
// Specs as nova wrote them (the fixture's, 3.3 KiB on average), or padded to 3–8 KiB through the flavor's
// extra_specs: padding grows the client's work (bytes) more than ours (instances), so both are measured.
const PADDED = !process.argv.includes('--nova-size');
// Also measure the floors (floors() below): what reading, parsing and writing alone cost against the client.
const FLOORS = process.argv.includes('--floors');

const { server, cloud } = await startCloudServer({ extraArgs: ['--innodb-buffer-pool-size=2G'] });
const conf = join(server.baseDir, 'nova.conf');
writeFileSync(conf, cloud.novaConf);
const api = cloud.databases.api;
const cells = [cloud.databases.cell0, cloud.databases.cell1, cloud.databases.cell2];

// Is the CLI wired yet? Then measure it; else the stand-in driver over the same API.
const help = spawnSync('node', [join(root, 'bin/nova-doctor.js'), 'trace', '--help'], { encoding: 'utf8' });
const cliReady = help.status === 0 && help.stdout.includes('--all') && !process.argv.includes('--driver');
const ours = cliReady
  ? ['node', [join(root, 'bin/nova-doctor.js'), 'trace', '--all', '--json', '--config', conf]]
  : ['node', [join(root, 'bench/trace/driver.mjs'), conf]];

async function sql(db, text, params) {
  const c = await server.connect(db);
  try {
    const [rows] = await c.query(text, params);
    return rows;
  } finally {
    await c.end();
  }
}

async function columns(db, table) {
  const rows = await sql(
    db,
    'SELECT COLUMN_NAME c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [db, table],
  );
  return rows.map((r) => r.c);
}

/**
 * Copy every row of `table` that belongs to a source instance, for each clone, with the clone's uuid. Clone by
 * clone, as nova writes them: an instance's rows are created together, instances one after another.
 */
async function cloneTable(db, table, uuidCol, fresh = {}) {
  const cols = (await columns(db, table)).filter((c) => c !== 'id');
  const select = cols.map((c) => (c === uuidCol ? 'b.dst' : fresh[c] ? fresh[c] : `t.\`${c}\``));
  await sql(
    db,
    `INSERT INTO \`${table}\` (${cols.map((c) => `\`${c}\``).join(', ')})
     SELECT ${select.join(', ')} FROM \`${table}\` t JOIN \`${api}\`.bench_clone b ON t.\`${uuidCol}\` = b.src
      WHERE b.n > ? AND b.n <= ? ORDER BY b.n, t.id`,
    [from, to],
  );
}

let from = 0;
let to = 0;
/** Grow the cloud to `total` cloned instances. */
async function growTo(total) {
  from = to;
  to = total;
  if (from === 0) {
    await sql(api, `CREATE TABLE bench_src (k INT PRIMARY KEY, src CHAR(36))`);
    await sql(
      api,
      `INSERT INTO bench_src SELECT ROW_NUMBER() OVER (ORDER BY id) - 1, instance_uuid FROM request_specs WHERE spec LIKE '{%'`,
    );
    await sql(api, `CREATE TABLE bench_clone (n INT PRIMARY KEY, src CHAR(36), dst CHAR(36), target INT, KEY (src))`);
  }
  const [{ cnt }] = await sql(api, 'SELECT COUNT(*) cnt FROM bench_src');
  await sql(
    api,
    `INSERT INTO bench_clone SELECT s.seq, b.src, UUID(), 3072 + FLOOR(RAND(s.seq) * 5120)
       FROM seq_${from + 1}_to_${to} s JOIN bench_src b ON b.k = s.seq % ?`,
    [Number(cnt)],
  );
  // The spec names its instance: rewrite it, and pad the flavor's extra_specs to the target size.
  const renamed = 'REPLACE(t.spec, b.src, b.dst)';
  const padded = `REPLACE(REPLACE(t.spec, b.src, b.dst), '"extra_specs": {}',
      CONCAT('"extra_specs": {"hw:cpu_policy": "shared", "quota:disk_total_iops_sec": "2000", "trait:CUSTOM_BENCH_PAD": "',
             REPEAT('x', GREATEST(0, b.target - LENGTH(t.spec) - 110)), '"}'))`;
  await cloneTable(api, 'request_specs', 'instance_uuid', { spec: PADDED ? padded : renamed });
  await cloneTable(api, 'instance_mappings', 'instance_uuid');
  for (const db of cells) {
    await cloneTable(db, 'instances', 'uuid');
    await cloneTable(db, 'instance_system_metadata', 'instance_uuid');
    await cloneTable(db, 'block_device_mapping', 'instance_uuid', { uuid: 'UUID()' });
  }
}

// The server's CPU time (utime + stime, in ms) from /proc: what each side costs the database, whatever the load.
const serverPid = Number(readFileSync(join(server.baseDir, 'mysqld.pid'), 'utf8').trim());
const clockTick = 100; // USER_HZ on Linux
function serverCpuMs() {
  const fields = readFileSync(`/proc/${serverPid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTick;
}

// trace exits 1 when it finds affected instances and 3 when a cell is skipped (the fixture has a retired one).
function timeIt(cmd, args, okCodes = [0]) {
  const s0 = serverCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', cmd, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!okCodes.includes(r.status)) throw new Error(`${cmd} failed (exit ${r.status}): ${r.stderr}`);
  const [rss, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { ms, rssKiB: rss, clientCpuMs: (user + sys) * 1000, serverCpuMs: serverCpuMs() - s0 };
}

const baseline = () =>
  timeIt('mariadb', [
    '--no-defaults',
    '-S',
    server.socketPath,
    '-uroot',
    '-N',
    '-e',
    `SELECT spec FROM \`${api}\`.request_specs`,
  ]);
const oursRun = () => timeIt(ours[0], ours[1], [0, 1, 3]);

function measure(label) {
  baseline();
  oursRun(); // warm the buffer pool and the page cache
  const b = [];
  const o = [];
  for (let i = 0; i < RUNS; i++) {
    b.push(baseline());
    o.push(oursRun());
  }
  const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const pick = (runs, k) => Math.round(med(runs.map((x) => x[k])));
  const cpu = (runs) => pick(runs, 'clientCpuMs') + pick(runs, 'serverCpuMs');
  return {
    label,
    loadAverage: +loadavg()[0].toFixed(1),
    baselineMs: pick(b, 'ms'),
    oursMs: pick(o, 'ms'),
    ratio: +(med(o.map((x) => x.ms)) / med(b.map((x) => x.ms))).toFixed(2),
    baselineCpuMs: { client: pick(b, 'clientCpuMs'), server: pick(b, 'serverCpuMs') },
    oursCpuMs: { client: pick(o, 'clientCpuMs'), server: pick(o, 'serverCpuMs') },
    cpuRatio: +(cpu(o) / cpu(b)).toFixed(2),
    peakRssMiB: +(Math.max(...o.map((x) => x.rssKiB)) / 1024).toFixed(1),
  };
}

/**
 * What any Node.js sweep must do at the least (bench/trace/floor.mjs), each part alone in a fresh process, against
 * the client on the same data, runs interleaved: the spec texts read through mysql2; read and JSON.parse'd; and
 * trace's own records (from one run of it, kept in a temp file) serialised and written again. Read + parse + write
 * is a floor for one thread: it leaves out the cell rows, the diagnosis and garbage collection.
 */
function floors(big) {
  const floorScript = join(root, 'bench/trace/floor.mjs');
  const records = join(server.baseDir, 'trace-records.json');
  const fd = openSync(records, 'w');
  try {
    // trace exits 1 when it finds affected instances, 3 when a cell is skipped (the fixture has a retired one).
    const r = spawnSync(ours[0], ours[1], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    if (![0, 1, 3].includes(r.status)) throw new Error(`trace for the floors failed (exit ${r.status}): ${r.stderr}`);
  } finally {
    closeSync(fd);
  }
  const part = (args) => {
    const r = spawnSync('node', [floorScript, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`floor.mjs ${args[0]} failed (exit ${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout).ms;
  };
  const runs = { client: [], read: [], parse: [], write: [] };
  for (let i = 0; i < RUNS; i++) {
    runs.client.push(baseline().ms);
    runs.read.push(part(['read', server.socketPath, api]));
    runs.parse.push(part(['parse', server.socketPath, api]));
    runs.write.push(part(['write', records]));
  }
  rmSync(records, { force: true });
  const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const client = med(runs.client);
  const ratio = (ms) => +(ms / client).toFixed(2);
  const [read, parse, write] = [med(runs.read), med(runs.parse), med(runs.write)];
  return {
    floors: `${N} specs, medians of ${RUNS}`,
    clientMs: Math.round(client),
    readMs: read,
    readRatio: ratio(read),
    readParseMs: parse,
    readParseRatio: ratio(parse),
    writeRecordsMs: write,
    writeRatio: ratio(write),
    oneThreadFloorRatio: ratio(parse + write),
    traceRatio: big.ratio,
    target: 1.5,
  };
}

if (process.argv.includes('--shell')) {
  // Debugging aid: grow, print how to reach the server, wait for Ctrl-C.
  await growTo(N);
  console.log(`node bench/trace/driver.mjs ${conf}   # socket ${server.socketPath}`);
  const keep = setInterval(() => {}, 1 << 30); // the server child is unref'd: hold the loop open
  await new Promise((r) => process.once('SIGINT', r));
  clearInterval(keep);
  await server.stop();
  process.exit(0);
}

try {
  const results = [];
  for (const size of [SMALL, N]) {
    await growTo(size);
    const [{ specs, bytes }] = await sql(api, 'SELECT COUNT(*) specs, SUM(LENGTH(spec)) bytes FROM request_specs');
    const r = measure(
      `${Number(specs)} specs, ${(Number(bytes) / 2 ** 20).toFixed(0)} MiB of spec text, avg ${(Number(bytes) / Number(specs) / 1024).toFixed(1)} KiB`,
    );
    results.push(r);
    console.log(JSON.stringify(r));
  }
  const [small, big] = results;
  // Flat memory, shown rather than inferred from RSS (V8 grows its heap lazily): the sweep must finish with the
  // JavaScript heap capped far below the size of the data it reads.
  const capMiB = 64;
  const capped = timeIt('node', [`--max-old-space-size=${capMiB}`, ...ours[1]], [0, 1, 3]);
  console.log(
    JSON.stringify({
      heapCapMiB: capMiB,
      completed: true,
      ms: Math.round(capped.ms),
      peakRssMiB: +(capped.rssKiB / 1024).toFixed(1),
    }),
  );
  if (FLOORS) console.log(JSON.stringify(floors(big)));
  console.log(
    `trace sweep (${cliReady ? 'nova-doctor trace --all --json' : 'bench/trace/driver.mjs (CLI not wired yet)'}): ` +
      `wall ratio ${big.ratio} vs the mariadb client (target ≤ 1.5; load average ${big.loadAverage} on ${cpus().length} CPUs), ` +
      `CPU ratio ${big.cpuRatio} (client + server CPU); peak RSS ${small.peakRssMiB} MiB at ${SMALL} → ${big.peakRssMiB} MiB at ${N} specs`,
  );
} finally {
  await server.stop();
}
