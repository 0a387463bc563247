#!/usr/bin/env node
// Repair benchmark: N stale Xen instances (clones of the fixture's web01, made with SQL in a private MariaDB).
// Times the repair engine (per instance: row locks, compare-and-swap, journal fsynced before each COMMIT,
// re-read and re-diagnosis after) against piping the same changes as plain UPDATE statements to the
// `mariadb` client, and prints the ratio. Target: ≤ 3.
//
// Usage: npm run build && node bench/repair/run.mjs [N=10000] [--concurrency C]
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { loadCloud } from '../../dist/db/loadCloud.js';
import { startPrivateMariadb } from '../../dist/db/privateMariadb.js';
import { openNova } from '../../dist/db/trace.js';
import { applyPlans } from '../../dist/repair/apply.js';
import { planRepair } from '../../dist/repair/plan.js';

const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 10000);
const ci = args.indexOf('--concurrency');
const CONCURRENCY = ci >= 0 ? Number(args[ci + 1]) : 8;
const ri = args.indexOf('--rounds');
const ROUNDS = ri >= 0 ? Number(args[ri + 1]) : 3;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const TEMPLATE = 'web01';

const ms = (t0) => performance.now() - t0;
const fmt = (x) => `${(x / 1000).toFixed(2)} s`;

function runClient(server, file) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'sh',
      ['-c', `mariadb --no-defaults --socket="$1" -u root < "$2"`, 'bench', server.socketPath, file],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mariadb client exited ${code}: ${err}`))));
  });
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
  const t1 = performance.now();
  const snapshots = await nova.snapshots(uuids);
  const tRead = ms(t1);
  const t2 = performance.now();
  const plans = snapshots.map((s) => planRepair(s));
  const tPlan = ms(t2);
  const planned = plans.filter((p) => p.status === 'planned');
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

  // Baseline: the same changes as plain UPDATE statements, autocommit, piped to the mariadb client.
  const statements = (which) => {
    const out = [];
    let current = null;
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
    }
    return `${out.join('\n')}\n`;
  };
  const forward = join(work, 'forward.sql');
  const backward = join(work, 'backward.sql');
  await writeFile(forward, statements('new'));
  await writeFile(backward, statements('old'));
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
  for (let round = 1; round <= ROUNDS; round++) {
    const t3 = performance.now();
    await runClient(server, forward);
    plain.push(ms(t3));
    await runClient(server, backward);
    const t4 = performance.now();
    const results = await applyPlans(planned, sets, {
      apply: true,
      journal: join(work, 'journal', `repair-${round}.jsonl`),
    });
    repair.push(ms(t4));
    const repaired = results.filter((r) => r.status === 'repaired' && r.verified).length;
    if (repaired !== N) {
      const other = results.find((r) => r.status !== 'repaired');
      throw new Error(`expected ${N} repaired, got ${repaired}: ${other?.status} ${other?.reason}`);
    }
    await runClient(server, backward);
    console.log(
      `round ${round}: plain ${fmt(plain.at(-1))}, repair ${fmt(repair.at(-1))}, ratio ${(repair.at(-1) / plain.at(-1)).toFixed(2)}`,
    );
  }
  for (const s of sets) {
    s.api.release();
    for (const c of s.cells.values()) c.release();
  }
  const tPlain = median(plain);
  const tRepair = median(repair);
  await nova.close();
  await root.end();

  console.log(`plain UPDATEs via mariadb client: ${fmt(tPlain)} (${rows} statements)`);
  console.log(
    `nova-doctor repair (CAS + journal + verify), ${CONCURRENCY} connection sets: ${fmt(tRepair)} (${(tRepair / N).toFixed(2)} ms per instance)`,
  );
  console.log(`ratio repair / plain = ${(tRepair / tPlain).toFixed(2)} (target ≤ 3)`);
} finally {
  await server.stop();
  await rm(work, { recursive: true, force: true });
}
