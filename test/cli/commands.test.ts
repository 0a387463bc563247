// The plain commands end to end: the real binary against a private MariaDB holding the nova-generated cloud.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'nova-doctor.js');
const LOGS = join(ROOT, 'test', 'fixtures', 'nova', 'logs');
// A password with every character that trips naive URL and INI parsing; it must never be printed.
const PASSWORD = 's3cr;et#pa/ss@w$rd';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { ...process.env, CI: '1', XDG_STATE_HOME: stateDir, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let server: PrivateMariadb;
let cloud: LoadedCloud;
let confFile: string;
let stateDir: string;
const outputs: string[] = [];

async function record(r: Promise<Run>): Promise<Run> {
  const done = await r;
  outputs.push(done.stdout, done.stderr);
  return done;
}

/** Every row of the tables a repair may touch, hashed: equal hashes mean byte-identical data. */
async function fingerprint(): Promise<Record<string, string>> {
  const conn = await server.connect();
  try {
    const out: Record<string, string> = {};
    const tables: [string, string][] = [
      [cloud.databases.api, 'request_specs'],
      [cloud.databases.cell1, 'instances'],
      [cloud.databases.cell1, 'instance_system_metadata'],
      [cloud.databases.cell1, 'block_device_mapping'],
      [cloud.databases.cell2, 'instances'],
      [cloud.databases.cell2, 'instance_system_metadata'],
      [cloud.databases.cell2, 'block_device_mapping'],
    ];
    for (const [db, table] of tables) {
      const [rows] = await conn.query<RowDataPacket[]>(`SELECT * FROM \`${db}\`.\`${table}\` ORDER BY id`);
      out[`${db}.${table}`] = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
    }
    return out;
  } finally {
    await conn.end();
  }
}

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** What "JSON for scripts" in the README says `which` prints: top-level and per-instance fields. */
function readmeFields(which: string): { top: string[]; instance: string[] } {
  const text = README.replace(/\s+/g, ' ');
  const m = new RegExp(`\`${which}\`: (.*?) and per instance (.*?)\\.( |$)`).exec(text);
  if (!m) throw new Error(`README says nothing of ${which}`);
  const names = (t: string) => [...t.replace(/\([^)]*\)/g, '').matchAll(/`(\w+)`/g)].map((x) => x[1]!).sort();
  return { top: [...names(m[1]!), 'instances'].sort(), instance: names(m[2]!) };
}

function jsonFields(o: { instances: Record<string, unknown>[] }): { top: string[]; instance: string[] } {
  return { top: Object.keys(o).sort(), instance: Object.keys(o.instances[0] ?? {}).sort() };
}

beforeAll(async () => {
  ({ server, cloud } = await startCloudServer({ user: { name: 'nova', password: PASSWORD } }));
  const dir = mkdtempSync(join(tmpdir(), 'nd-cli-'));
  stateDir = join(dir, 'state');
  confFile = join(dir, 'nova.conf');
  writeFileSync(confFile, cloud.novaConf, { mode: 0o600 });
});

afterAll(async () => {
  await server?.stop();
});

describe('scan', () => {
  it('prints the design.md JSON contract and exits 1 when instances are affected', async () => {
    const r = await record(run(['scan', '--json', join(LOGS, 'scheduler-zed.log'), join(LOGS, 'scheduler-2017.log')]));
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.instances.length).toBeGreaterThan(0);
    for (const i of report.instances) {
      expect(i.uuid).toMatch(/^[0-9a-f-]{36}$/);
      expect(Array.isArray(i.requestIds)).toBe(true);
      expect(i.mismatches.length).toBeGreaterThan(0);
      for (const m of i.mismatches) expect(typeof m.property === 'string' && typeof m.value === 'string').toBe(true);
    }
    expect(Array.isArray(report.unattributed)).toBe(true);
    expect(Array.isArray(report.noValidHost)).toBe(true);
  });

  it('names a missing file in one line, exits 3, and scans the rest', async () => {
    const r = await record(run(['scan', '/nonexistent/nova-scheduler.log', join(LOGS, 'scheduler-zed.log')]));
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/\/nonexistent\/nova-scheduler\.log/);
    expect(r.stdout).toMatch(/rejected by ImagePropertiesFilter/);
  });

  it('rejects a bad --since in one line with exit 2', async () => {
    const r = await record(run(['scan', '--since', 'yesterday-ish', join(LOGS, 'scheduler-zed.log')]));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--since 'yesterday-ish'/);
  });

  it('--threads 1 gives the same report; a bad --threads is one line with exit 2', async () => {
    const logs = [join(LOGS, 'scheduler-zed.log'), join(LOGS, 'scheduler-2017.log')];
    const [one, dflt] = await Promise.all([
      record(run(['scan', '--json', '--threads', '1', ...logs])),
      record(run(['scan', '--json', ...logs])),
    ]);
    const { stats: _a, ...a } = JSON.parse(one.stdout);
    const { stats: _b, ...b } = JSON.parse(dflt.stdout);
    expect(one.code).toBe(1);
    expect(a).toEqual(b);
    for (const bad of ['0', 'two', '2.5', '65']) {
      const r = await record(run(['scan', '--threads', bad, ...logs]));
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`--threads '${bad}'`);
    }
  });

  it('--threads reaches the scanner: a log big enough for threads is read by one or by two', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nd-threads-'));
    try {
      const big = join(dir, 'scheduler.log');
      const text = readFileSync(join(LOGS, 'scheduler-zed.log'));
      writeFileSync(big, '');
      while (statSync(big).size < 130 << 20) appendFileSync(big, text);
      const [one, two, dflt] = await Promise.all([
        record(run(['scan', '--json', '--threads', '1', big])),
        record(run(['scan', '--json', '--threads=2', big])),
        record(run(['scan', '--json', big])),
      ]);
      const { stats: s1, ...a } = JSON.parse(one.stdout);
      const { stats: s2, ...b } = JSON.parse(two.stdout);
      const { stats: s3, ...c } = JSON.parse(dflt.stdout);
      expect([s1.workers, s2.workers]).toEqual([0, 2]);
      // Not asked: 130 MiB is far below where a second thread pays (src/logscan/threadChoice.ts), and the
      // report says why.
      expect(s3.workers).toBe(0);
      expect(s3.threads.chosen).toBe(1);
      expect(s3.threads.reason).toMatch(/^1 thread: /);
      expect(s1.threads.reason).toBe('--threads 1');
      expect(a).toEqual(b);
      expect(c).toEqual(b);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('trace, repair, undo on the generated cloud', () => {
  const zedLog = join(LOGS, 'scheduler-zed.log');

  it('trace names stale values with table, key/column and JSON pointer', async () => {
    const r = await record(run(['trace', '--json', '--config', confFile, zedLog]));
    expect([1, 3]).toContain(r.code);
    const out = JSON.parse(r.stdout);
    const stale = out.instances.filter((i: { stale: unknown[] }) => i.stale.length > 0);
    expect(stale.length).toBeGreaterThan(0);
    const spec = stale[0].stale.find((s: { table: string }) => s.table === 'request_specs');
    expect(spec.pointer).toMatch(/^\/nova_object\.data\/image\/nova_object\.data\/properties\/nova_object\.data\//);
    expect(out.cells.every((c: { maskedUrl: string }) => !c.maskedUrl.includes(PASSWORD))).toBe(true);
  });

  it("a sweep shows a healthy instance whose node is not its host's, with the problem and its fix", async () => {
    const uuid = (cloud.manifest as { instances: { label: string; uuid: string }[] }).instances.find(
      (i) => i.label === 'kvm-web1',
    )!.uuid;
    const root = await server.connect(cloud.databases.cell1);
    try {
      const [[row]] = (await root.query('SELECT host, node FROM instances WHERE uuid = ?', [uuid])) as unknown as [
        { host: string; node: string }[],
      ];
      const other = row!.host === 'kvm-c1-02' ? 'kvm-c1-01' : 'kvm-c1-02';
      // The field report's hand edit: host moved, node left behind.
      await root.query('UPDATE instances SET host = ? WHERE uuid = ?', [other, uuid]);
      try {
        const r = await record(run(['trace', '--all', '--json', '--config', confFile]));
        const shown = JSON.parse(r.stdout).instances.find((i: { uuid: string }) => i.uuid === uuid);
        expect(shown?.health).toBe('ok');
        expect(shown?.problems).toEqual([
          expect.stringMatching(
            new RegExp(
              `^instances\\.node '${row!.node}' is not a compute node of its host ${other} .*repair --set-host ${other} sets it$`,
            ),
          ),
        ]);
      } finally {
        await root.query('UPDATE instances SET host = ? WHERE uuid = ?', [row!.host, uuid]);
      }
    } finally {
      await root.end();
    }
  });

  it('an instance repair never acts on (cell0, a spec that is not JSON) is one story in a named trace, a sweep and repair', async () => {
    const byLabel = (label: string) =>
      (cloud.manifest as { instances: { label: string; uuid: string }[] }).instances.find((i) => i.label === label)!
        .uuid;
    const cell0 = byLabel('failed-build');
    const hostile = byLabel('hostile');
    type Traced = { uuid: string; health: string; stale: { becomes?: string | null }[]; notes: string[] };
    const named = await record(run(['trace', '--json', '--config', confFile, cell0, hostile]));
    // Xen values shown, nothing a repair would write, and why not; nothing for a repair to do: 0.
    expect(named.code, named.stderr).toBe(0);
    const shown = JSON.parse(named.stdout).instances as Traced[];
    expect(shown.map((i) => [i.uuid, i.health])).toEqual([
      [cell0, 'stale'],
      [hostile, 'unreadable'],
    ]);
    for (const i of shown) {
      expect(i.stale.length).toBeGreaterThan(4);
      expect(i.stale.filter((s) => 'becomes' in s)).toEqual([]);
    }
    expect(shown[0]!.notes).toContain(
      'repair leaves this instance alone: the instance is in cell0: it was never scheduled to a host, so nothing can move it (rebuild or delete it)',
    );
    expect(shown[1]!.notes.join('\n')).toMatch(
      /^repair leaves this instance alone: nova_api\.request_specs id \d+: .*not JSON/m,
    );
    const text = await record(run(['trace', '--config', confFile, cell0]));
    expect(text.stdout).not.toContain('→');
    expect(text.stdout).toMatch(/~ repair leaves this instance alone: the instance is in cell0/);
    expect(text.stdout).toMatch(/^0 instance\(s\) with stale values to repair; 1 listed\.$/m);
    // A sweep leaves cell0 out; the unreadable spec is listed as the named trace lists it.
    const sweep = JSON.parse((await record(run(['trace', '--all', '--json', '--config', confFile]))).stdout)
      .instances as Traced[];
    expect(sweep.map((i) => i.uuid)).not.toContain(cell0);
    expect(sweep.find((i) => i.uuid === hostile)).toEqual(shown[1]);
    // repair: reported with the same reason, not pending (dry run) and not a failure (applied), run after run.
    const before = await fingerprint();
    const dry = await record(run(['repair', '--json', '--config', confFile, cell0, hostile]));
    expect(dry.code, dry.stderr).toBe(0);
    const reasons = (JSON.parse(dry.stdout).instances as { status: string; reason: string }[]).map(
      (i) => `repair leaves this instance alone: ${i.reason}`,
    );
    expect(reasons).toEqual(shown.map((i) => i.notes.at(-1)));
    for (let n = 0; n < 2; n++) {
      const applied = await record(run(['repair', '--apply', '--yes', '--config', confFile, cell0, hostile]));
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(applied.stdout).toMatch(/skipped: the instance is in cell0/);
    }
    expect(await fingerprint()).toEqual(before);
  });

  it('repair is a dry run by default and writes nothing', async () => {
    const before = await fingerprint();
    const r = await record(run(['repair', '--json', '--config', confFile, '--all']));
    const out = JSON.parse(r.stdout);
    expect(out.dryRun).toBe(true);
    const dry = out.instances.filter((i: { status: string }) => i.status === 'dry-run');
    expect(dry.length).toBeGreaterThan(0);
    for (const i of dry) {
      const ops = i.requestSpecPatch as { op: string }[];
      // every change to the spec is pinned by a test of the old value
      if (ops.some((o) => o.op !== 'test')) expect(ops[0]!.op).toBe('test');
    }
    expect(await fingerprint()).toEqual(before);
  });

  it('repair reads its logs within --since/--until as trace does; with nothing to do it names no journal', async () => {
    const before = await fingerprint();
    const inLog = JSON.parse((await record(run(['repair', '--json', '--config', confFile, zedLog]))).stdout);
    expect(inLog.instances.filter((i: { status: string }) => i.status === 'dry-run').length).toBeGreaterThan(0);
    expect(inLog.journal).toBeNull(); // a dry run writes none
    // After the log's last record: no rejection, no instance, nothing to do.
    const journal = join(stateDir, 'window', 'repair.jsonl');
    const r = await record(
      run([
        'repair',
        '--apply',
        '--yes',
        '--json',
        '--journal',
        journal,
        '--config',
        confFile,
        '--since',
        '2026-11-27',
        zedLog,
      ]),
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.instances).toEqual([]);
    expect(out.journal).toBeNull();
    expect(existsSync(journal)).toBe(false);
    expect(await fingerprint()).toEqual(before);
  });

  it('refuses --apply without a terminal and without --yes, writing nothing', async () => {
    const before = await fingerprint();
    const r = await record(run(['repair', '--apply', '--config', confFile, '--all']));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/add --yes/);
    expect(await fingerprint()).toEqual(before);
  });

  it('applies with a 0600 journal, leaves nothing stale, and undo restores every row byte for byte', async () => {
    const before = await fingerprint();
    const journal = join(stateDir, 'j', 'repair.jsonl');
    const r = await record(
      run(['repair', '--apply', '--yes', '--json', '--journal', journal, '--config', confFile, '--all']),
    );
    const out = JSON.parse(r.stdout);
    // The private test server does not flush at every commit: the operator is warned that a crash could lose repairs.
    expect(r.stderr).toMatch(/warning: nova_api: innodb_flush_log_at_trx_commit = 0/);
    const repaired = out.instances.filter((i: { status: string }) => i.status === 'repaired');
    expect(repaired.length).toBeGreaterThan(0);
    expect(repaired.every((i: { verified: boolean }) => i.verified)).toBe(true);
    expect(statSync(journal).mode & 0o777).toBe(0o600);
    expect(statSync(join(journal, '..')).mode & 0o777).toBe(0o700);
    outputs.push(readFileSync(journal, 'utf8')); // the journal is an output too: no password in it
    expect(await fingerprint()).not.toEqual(before);

    const after = await record(
      run(['trace', '--json', '--config', confFile, ...repaired.map((i: { uuid: string }) => i.uuid)]),
    );
    // Healthy now; an instance without a request spec stays unreadable for that (its cell rows were repaired).
    for (const i of JSON.parse(after.stdout).instances)
      expect(i.health).toBe(i.problems.some((p: string) => p.includes('request_specs')) ? 'unreadable' : 'ok');

    const dry = await record(run(['undo', '--json', '--journal', journal, '--config', confFile]));
    expect(dry.code).toBe(1);
    const undo = await record(run(['undo', '--apply', '--yes', '--json', '--journal', journal, '--config', confFile]));
    expect(undo.code).toBe(0);
    expect(JSON.parse(undo.stdout).instances.every((i: { status: string }) => i.status === 'restored')).toBe(true);
    // The fields are the README's, no more and no fewer.
    expect(jsonFields(out)).toEqual(readmeFields('repair --json'));
    expect(jsonFields(JSON.parse(undo.stdout))).toEqual(readmeFields('undo --json'));
    expect(await fingerprint()).toEqual(before);
  });

  it('a wrong password is one line naming the database, exit 4, and the password is not in it', async () => {
    const wrong = `${PASSWORD}-wrong`;
    const url = cloud.apiUrl.replace(encodeURIComponent(PASSWORD), encodeURIComponent(wrong));
    expect(url).not.toBe(cloud.apiUrl);
    const r = await record(run(['trace', '--all', '--api-db', url]));
    expect(r.code).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/nova_api/);
    expect(r.stderr + r.stdout).not.toContain(wrong);
  });

  it('a SELECT-only account can trace; repair --apply says which grants it lacks and writes nothing', async () => {
    const root = await server.connect();
    await root.query("CREATE USER IF NOT EXISTS 'reader'@'%' IDENTIFIED BY 'reader-pw'");
    for (const db of Object.values(cloud.databases)) await root.query(`GRANT SELECT ON \`${db}\`.* TO 'reader'@'%'`);
    await root.end();
    const conf = join(stateDir, '..', 'reader.conf');
    writeFileSync(
      conf,
      cloud.novaConf.replaceAll(`nova:${encodeURIComponent(PASSWORD).replaceAll('$', '$$$$')}@`, 'reader:reader-pw@'),
      { mode: 0o600 },
    );
    const trace = await record(run(['trace', '--json', '--config', conf, '--all']));
    expect([1, 3]).toContain(trace.code);
    expect(JSON.parse(trace.stdout).instances.length).toBeGreaterThan(0);
    const before = await fingerprint();
    const r = await record(run(['repair', '--apply', '--yes', '--config', conf, '--all']));
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/GRANT .*UPDATE.* ON `[^`]+`\.`request_specs` TO 'reader'@'%'/);
    expect(await fingerprint()).toEqual(before);
  });

  it('never prints the database password', () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const text of outputs) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(encodeURIComponent(PASSWORD));
    }
  });
});
