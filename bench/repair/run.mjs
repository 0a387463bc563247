#!/usr/bin/env node
// Repair benchmark: N stale Xen instances (clones of the fixture's web01, made with SQL in a private MariaDB).
// Times `nova-doctor repair --all --apply --yes --json` (two passes: count, then plan and apply page by page;
// per instance row locks, compare-and-swap, journal fsynced before each COMMIT, re-read and re-diagnosis after)
// against piping the same changes as plain UPDATE statements to the `mariadb` client, alternating, and prints
// the ratio (target ≤ 3 at 50k), peak RSS (target ≤ 256 MiB at 100k), journal bytes an instance (target ≤ 2 KB),
// CPU (user+sys of each side and the server's) and the load average. `--engine` times applyPlans in-process
// instead of the CLI (no sweep, no first pass: the engine alone).
//
// Usage: npm run build && node bench/repair/run.mjs [N=10000] [--rounds R] [--cli DIR] [--engine] [--concurrency C] [--keep-journal FILE]
//        [--node-args "--cpu-prof --cpu-prof-dir DIR"]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { loadCloud } from '../../dist/db/loadCloud.js';
import { startPrivateMariadb } from '../../dist/db/privateMariadb.js';
import { openNova } from '../../dist/db/trace.js';
import { applyPlans } from '../../dist/repair/apply.js';
import { planRepair } from '../../dist/repair/plan.js';

const args = process.argv.slice(2);
const N = Number(args.find((a, i) => /^\d+$/.test(a) && !/^--(rounds|concurrency)$/.test(args[i - 1] ?? '')) ?? 10000);
const ci = args.indexOf('--concurrency');
const CONCURRENCY = ci >= 0 ? Number(args[ci + 1]) : 8;
const ri = args.indexOf('--rounds');
const ROUNDS = ri >= 0 ? Number(args[ri + 1]) : 3;
const ENGINE = args.includes('--engine');
// --keep-journal FILE: copy the first round's journal there (to look at what it holds).
const KEEP = args.indexOf('--keep-journal') >= 0 ? args[args.indexOf('--keep-journal') + 1] : null;
// --node-args "…": extra node options for the CLI (e.g. "--cpu-prof --cpu-prof-dir /tmp/prof" to profile it).
const NODE_ARGS = args.indexOf('--node-args') >= 0 ? args[args.indexOf('--node-args') + 1] : '';
const cliDir =
  args.indexOf('--cli') >= 0 ? args[args.indexOf('--cli') + 1] : new URL('../../', import.meta.url).pathname;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const TEMPLATE = 'web01';

const ms = (t0) => performance.now() - t0;
const fmt = (x) => `${(x / 1000).toFixed(2)} s`;

// The server's CPU time (utime + stime, ms) from /proc.
function serverCpuMs(server) {
  const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Run a shell command under /usr/bin/time: wall ms, peak RSS, user+sys of the command, the server's CPU. */
function timed(server, script, scriptArgs, okCodes = [0]) {
  return new Promise((resolve, reject) => {
    const s0 = serverCpuMs(server);
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%M %U %S', 'sh', '-c', script, 'bench', ...scriptArgs], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const ms = performance.now() - t0;
      if (!okCodes.includes(code)) return reject(new Error(`${script} exited ${code}: ${err}`));
      const [rss, user, sys] = err.trim().split('\n').pop().split(' ').map(Number);
      resolve({ ms, rssMiB: rss / 1024, cpuMs: (user + sys) * 1000, serverCpuMs: serverCpuMs(server) - s0 });
    });
  });
}

function runClient(server, file) {
  return timed(server, `mariadb --no-defaults --socket="$1" -u root < "$2"`, [server.socketPath, file]);
}

async function columnsOf(conn, db, table) {
  const [rows] = await conn.query(
    'SELECT column_name AS c FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position',
    [db, table],
  );
  return rows.map((r) => r.c);
}

/** INSERT … SELECT every column but id from the template rows, once per number in nums, with replacements. */
async function cloneRows(conn, db, table, where, replace, numsTable) {
  const cols = (await columnsOf(conn, db, table)).filter((c) => c !== 'id');
  const select = cols.map((c) => replace[c] ?? `t.\`${c}\``).join(', ');
  const list = cols.map((c) => `\`${c}\``).join(', ');
  await conn.query(
    `INSERT INTO \`${db}\`.\`${table}\` (${list}) SELECT ${select} FROM \`${db}\`.\`${table}\` t JOIN ${numsTable} n WHERE ${where}`,
  );
}

const server = await startPrivateMariadb({ extraArgs: ['--innodb-buffer-pool-size=512M'] });
const work = await mkdtemp(join(tmpdir(), 'nova-doctor-bench-repair-'));
try {
  const t0 = performance.now();
  const cloud = await loadCloud(server, { urlStyle: 'concrete' });
  const manifest = cloud.manifest;
  const template = manifest.instances.find((i) => i.label === TEMPLATE);
  const T = template.uuid;
  const db = cloud.databases;
  const root = await server.connect(db.api);
  await root.query('CREATE TABLE nums (n INT PRIMARY KEY)');
  await root.query('SET SESSION max_recursive_iterations = ?', [N + 10]);
  await root.query(
    `INSERT INTO nums WITH RECURSIVE s AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM s WHERE n < ?) SELECT n FROM s`,
    [N],
  );
  const nums = `\`${db.api}\`.nums`;
  const newUuid = `CONCAT('b0000000-0000-4000-8000-', LPAD(LOWER(HEX(n.n)), 12, '0'))`;
  await root.query('SET SESSION foreign_key_checks = 0');
  await cloneRows(
    root,
    db.cell1,
    'instances',
    't.uuid = ' + mysql.escape(T),
    { uuid: newUuid, display_name: `CONCAT('web-', n.n)`, hostname: `CONCAT('web-', n.n)` },
    nums,
  );
  await cloneRows(
    root,
    db.cell1,
    'instance_system_metadata',
    't.instance_uuid = ' + mysql.escape(T),
    { instance_uuid: newUuid },
    nums,
  );
  await cloneRows(
    root,
    db.cell1,
    'block_device_mapping',
    't.instance_uuid = ' + mysql.escape(T),
    {
      instance_uuid: newUuid,
      uuid: `CONCAT('b1000000-0000-4000-8000-', LPAD(LOWER(HEX(n.n)), 12, '0'))`,
    },
    nums,
  );
  await cloneRows(
    root,
    db.api,
    'request_specs',
    't.instance_uuid = ' + mysql.escape(T),
    {
      instance_uuid: newUuid,
      spec: `REPLACE(t.spec, ${mysql.escape(T)}, ${newUuid})`,
    },
    nums,
  );
  await cloneRows(
    root,
    db.api,
    'instance_mappings',
    't.instance_uuid = ' + mysql.escape(T),
    { instance_uuid: newUuid },
    nums,
  );
  const uuids = Array.from(
    { length: N },
    (_, i) => `b0000000-0000-4000-8000-${(i + 1).toString(16).padStart(12, '0')}`,
  );
  console.log(`setup: fixture + ${N} clones of ${TEMPLATE} in ${fmt(ms(t0))}`);

  const nova = await openNova(
    { configFiles: [], configDirs: [], apiDbUrl: cloud.apiUrl, cellDbUrls: [] },
    { poolSize: CONCURRENCY + 1 },
  );
  // Read and planned a page at a time: 100k snapshots held at once do not fit this process's default heap.
  let tRead = 0;
  let tPlan = 0;
  let plans = [];
  for (let i = 0; i < uuids.length; i += 5000) {
    const t = performance.now();
    const snapshots = await nova.snapshots(uuids.slice(i, i + 5000));
    tRead += ms(t);
    const t2 = performance.now();
    for (const s of snapshots) plans.push(planRepair(s));
    tPlan += ms(t2);
  }
  let planned = plans.filter((p) => p.status === 'planned');
  if (planned.length !== N) {
    const other = plans.find((p) => p.status !== 'planned');
    throw new Error(
      `expected ${N} planned repairs, got ${planned.length}: ${other?.uuid} ${other?.status} ${other?.reason}`,
    );
  }
  const rows = planned.reduce((a, p) => a + p.rowChanges.length, 0);
  console.log(
    `trace: ${N} snapshots in ${fmt(tRead)}; plan: ${fmt(tPlan)}; ${rows} row changes (${(rows / N).toFixed(1)} per instance)`,
  );

  // Baseline: the same changes as plain UPDATE statements, autocommit, piped to the mariadb client (written a
  // plan at a time: at 100k the whole text does not fit in one string).
  const writeStatements = async (file, which) => {
    const fh = await open(file, 'w');
    let current = null;
    let out = [];
    for (const p of planned) {
      for (const c of p.rowChanges) {
        const target = c.database === 'api' ? db.api : db.cell1;
        if (target !== current) {
          out.push(`USE \`${target}\`;`);
          current = target;
        }
        const value = which === 'new' ? c.newValue : c.oldValue;
        out.push(`UPDATE \`${c.table}\` SET \`${c.column}\` = ${mysql.escape(value)} WHERE id = ${c.rowId};`);
      }
      if (out.length > 10000) {
        await fh.write(`${out.join('\n')}\n`);
        out = [];
      }
    }
    await fh.write(`${out.join('\n')}\n`);
    await fh.close();
  };
  const forward = join(work, 'forward.sql');
  const backward = join(work, 'backward.sql');
  await writeStatements(forward, 'new');
  await writeStatements(backward, 'old');
  plans = null;
  if (!ENGINE) planned = null; // the CLI plans for itself: this process need not hold the cloud
  const cellUuid = manifest.cells.find((c) => c.name === 'cell1').uuid;
  const sets = [];
  for (let i = 0; i < CONCURRENCY; i++) {
    sets.push({
      api: await nova.apiConnection().getConnection(),
      cells: new Map([[cellUuid, await nova.cellConnection(cellUuid).getConnection()]]),
    });
  }
  // Rounds alternate the two, on the same stale rows (the backward statements put them back), so that load
  // from other processes on the machine hits both alike; medians are reported.
  const plain = [];
  const repair = [];
  const journalBytes = [];
  const conf = join(work, 'nova.conf');
  await writeFile(conf, cloud.novaConf);
  for (let round = 1; round <= ROUNDS; round++) {
    plain.push(await runClient(server, forward));
    await runClient(server, backward);
    const journal = join(work, 'journal', `repair-${round}.jsonl`);
    if (ENGINE) {
      const s0 = serverCpuMs(server);
      const c0 = process.cpuUsage();
      const t4 = performance.now();
      const results = await applyPlans(planned, sets, { apply: true, journal });
      const c = process.cpuUsage(c0);
      repair.push({
        ms: ms(t4),
        rssMiB: NaN,
        cpuMs: (c.user + c.system) / 1000,
        serverCpuMs: serverCpuMs(server) - s0,
      });
      const repaired = results.filter((r) => r.status === 'repaired' && r.verified).length;
      if (repaired !== N) {
        const other = results.find((r) => r.status !== 'repaired');
        throw new Error(`expected ${N} repaired, got ${repaired}: ${other?.status} ${other?.reason}`);
      }
    } else {
      // Exit 3: the fixture has a retired cell; 5: some fixture instances are busy (task_state) on purpose.
      const out = join(work, `out-${round}.json`);
      repair.push(
        await timed(
          server,
          `node $5 "$1/bin/nova-doctor.js" repair --all --apply --yes --json --config "$2" --journal "$3" > "$4"`,
          [cliDir, conf, journal, out, NODE_ARGS],
          [0, 3, 5],
        ),
      );
      const tail = readFileSync(out, 'utf8').slice(-3000);
      const summary = JSON.parse(
        tail
          .slice(tail.lastIndexOf('"summary"'))
          .replace(/^"summary": /, '')
          .replace(/,\s*"interrupted".*$/s, '')
          .replace(/\}\s*$/, ''),
      );
      if ((summary.repaired ?? 0) < N) throw new Error(`expected ≥ ${N} repaired: ${JSON.stringify(summary)}`);
      await rm(out);
    }
    journalBytes.push((await stat(journal)).size);
    if (KEEP && round === 1) await copyFile(journal, KEEP);
    await runClient(server, backward);
    const p = plain.at(-1);
    const r = repair.at(-1);
    console.log(
      `round ${round} (load ${loadavg()[0].toFixed(1)}): plain ${fmt(p.ms)} (cpu ${fmt(p.cpuMs)}, server ${fmt(p.serverCpuMs)}), ` +
        `repair ${fmt(r.ms)} (cpu ${fmt(r.cpuMs)}, server ${fmt(r.serverCpuMs)}, peak RSS ${r.rssMiB.toFixed(0)} MiB), ratio ${(r.ms / p.ms).toFixed(2)}, ` +
        `journal ${(journalBytes.at(-1) / N).toFixed(0)} B an instance`,
    );
  }
  for (const s of sets) {
    s.api.release();
    for (const c of s.cells.values()) c.release();
  }
  const pick = (runs, k) => median(runs.map((x) => x[k]));
  await nova.close();
  await root.end();

  const summary = {
    instances: N,
    mode: ENGINE ? 'engine (applyPlans)' : 'cli (repair --all --apply --yes --json)',
    loadAverage: loadavg().map((x) => +x.toFixed(1)),
    plain: {
      ms: Math.round(pick(plain, 'ms')),
      cpuMs: Math.round(pick(plain, 'cpuMs')),
      serverCpuMs: Math.round(pick(plain, 'serverCpuMs')),
      statements: rows,
    },
    repair: {
      ms: Math.round(pick(repair, 'ms')),
      cpuMs: Math.round(pick(repair, 'cpuMs')),
      serverCpuMs: Math.round(pick(repair, 'serverCpuMs')),
      peakRssMiB: +Math.max(...repair.map((r) => r.rssMiB)).toFixed(1),
      journalBytesPerInstance: Math.round(median(journalBytes) / N),
    },
    ratio: +(pick(repair, 'ms') / pick(plain, 'ms')).toFixed(2),
  };
  console.log(JSON.stringify(summary));
  console.log(
    `ratio repair / plain = ${summary.ratio} (target ≤ 3 at 50k); peak RSS ${summary.repair.peakRssMiB} MiB (target ≤ 256 at 100k); ` +
      `journal ${summary.repair.journalBytesPerInstance} B an instance (target ≤ 2000)`,
  );
} finally {
  await server.stop();
  await rm(work, { recursive: true, force: true });
}
