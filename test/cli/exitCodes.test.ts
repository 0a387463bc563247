// The README's exit-code table (src/errors.ts' EXIT_CODES, which readme.test.ts checks the README quotes), row by
// row: the real binary, against a private MariaDB holding the nova-generated cloud, at least two cases a row.
// Declined confirmations and Ctrl-C go through a real terminal (tmux).
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';
import { EXIT_CODES, ExitCode, type ExitCodeName } from '../../src/errors.js';
import { hasTmux, startTmux } from '../e2e/tmux.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'nova-doctor.js');
const LOGS = join(ROOT, 'test', 'fixtures', 'nova', 'logs');
const ZED = join(LOGS, 'scheduler-zed.log');
// Every character that trips naive URL and INI parsing; it must never be printed.
const PASSWORD = 's3cr;et#pa/ss@w$rd';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let server: PrivateMariadb;
let cloud: LoadedCloud;
let dir: string;
let conf: string;
let state: string;
const outputs: string[] = [];

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { ...process.env, CI: '1', XDG_STATE_HOME: state, ...env }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        outputs.push(stdout, stderr);
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

/** repair --apply in a real terminal, `key` pressed at its typed confirmation: says `said`, writes nothing. */
async function keyAtConfirmation(key: string, said: string): Promise<Run> {
  const before = await fingerprint();
  const r = await inTerminal(`node ${BIN} repair --apply --config ${conf} ${uuidOf('db01')}`, async (s) => {
    await s.waitFor('Type "apply 1" to confirm', 60_000);
    s.send(key);
  });
  expect(r.stdout).toContain(said);
  expect(r.stdout).not.toMatch(/internal error|AbortError/);
  expect(await fingerprint()).toBe(before);
  return r;
}

/** A command in a real terminal; `drive` answers it; resolves with the exit status and the last screen. */
async function inTerminal(command: string, drive: (s: ReturnType<typeof startTmux>) => Promise<void>): Promise<Run> {
  const s = startTmux(command, { cwd: ROOT, env: { XDG_STATE_HOME: state }, width: 160 });
  try {
    await drive(s);
    const code = await s.exitStatus(60_000);
    const screen = s.screen();
    outputs.push(screen);
    return { code, stdout: screen, stderr: '' };
  } finally {
    s.kill();
  }
}

function uuidOf(displayName: string): string {
  const m = cloud.manifest as { instances: { uuid: string; displayName: string; label: string }[] };
  const i = m.instances.find((x) => x.displayName === displayName || x.label === displayName);
  if (!i) throw new Error(`no ${displayName} in the fixture cloud`);
  return i.uuid;
}

/** Every row of the tables a repair may touch, hashed. */
async function fingerprint(): Promise<string> {
  const conn = await server.connect();
  try {
    const hash = createHash('sha256');
    for (const [db, table] of [
      [cloud.databases.api, 'request_specs'],
      [cloud.databases.cell1, 'instances'],
      [cloud.databases.cell1, 'instance_system_metadata'],
      [cloud.databases.cell2, 'instances'],
      [cloud.databases.cell2, 'instance_system_metadata'],
    ] as const) {
      const [rows] = await conn.query<RowDataPacket[]>(`SELECT * FROM \`${db}\`.\`${table}\` ORDER BY id`);
      hash.update(JSON.stringify(rows));
    }
    return hash.digest('hex');
  } finally {
    await conn.end();
  }
}

async function apiQuery(sql: string, params: unknown[] = []): Promise<void> {
  const conn = await server.connect(cloud.databases.api);
  try {
    await conn.query(sql, params);
  } finally {
    await conn.end();
  }
}

/**
 * The Zed log cut to the requests of one instance, with that instance's mapping moved into cell0 while `fn` runs:
 * trace shows its leftovers with nothing they become (repair leaves cell0 alone) and counts none of them.
 */
async function inCell0<T>(displayName: string, fn: (log: string) => Promise<T>): Promise<T> {
  const uuid = uuidOf(displayName);
  const scanned = JSON.parse((await run(['scan', '--json', ZED])).stdout) as {
    instances: { uuid: string; requestIds: string[] }[];
  };
  const ids = scanned.instances.find((i) => i.uuid === uuid)?.requestIds ?? [];
  expect(ids.length).toBeGreaterThan(0);
  const log = join(dir, `${displayName}-cell0.log`);
  const lines = readFileSync(ZED, 'utf8').split('\n');
  writeFileSync(log, `${lines.filter((l) => ids.some((id) => l.includes(id))).join('\n')}\n`);
  const { api, cell0, cell1 } = cloud.databases;
  const conn = await server.connect(cell0);
  const cell0Rows = async (action: 'copy' | 'drop') => {
    const tables = [
      ['instances', 'uuid'],
      ['instance_system_metadata', 'instance_uuid'],
    ] as const;
    // Metadata rows go before their instance (a foreign key), and come after it.
    for (const [table, column] of action === 'copy' ? tables : [...tables].reverse()) {
      if (action === 'drop') {
        await conn.query(`DELETE FROM \`${cell0}\`.${table} WHERE ${column} = ?`, [uuid]);
        continue;
      }
      // Its rows as they are in cell1, under ids cell0 does not use.
      await conn.query(`CREATE TEMPORARY TABLE moved SELECT * FROM \`${cell1}\`.${table} WHERE ${column} = ?`, [uuid]);
      await conn.query('UPDATE moved SET id = id + 1000000');
      await conn.query(`INSERT INTO \`${cell0}\`.${table} SELECT * FROM moved`);
      await conn.query('DROP TEMPORARY TABLE moved');
    }
  };
  const mapping = `UPDATE \`${api}\`.instance_mappings SET cell_id = (SELECT id FROM \`${api}\`.cell_mappings WHERE name = ?) WHERE instance_uuid = ?`;
  try {
    await cell0Rows('copy');
    await conn.query(mapping, ['cell0', uuid]);
    try {
      return await fn(log);
    } finally {
      await conn.query(mapping, ['cell1', uuid]);
      await cell0Rows('drop');
    }
  } finally {
    await conn.end();
  }
}

/** A usage error: one line on stderr, nothing on stdout, no database row changed. */
async function usage(args: string[], says: RegExp): Promise<Run> {
  const before = await fingerprint();
  const r = await run(args);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(says);
  expect(r.stdout).toBe('');
  expect(await fingerprint()).toBe(before);
  return r;
}

/**
 * A .gz of the first `lines` lines of the Zed log (the first 960 name web01 alone) whose second member is cut
 * short: what decompressed is read, the rest is skipped with a warning (input skipped: 3).
 */
function truncatedGz(name: string, lines: number): string {
  const all = readFileSync(ZED, 'utf8').split('\n');
  const rest = gzipSync(all.slice(lines).join('\n'));
  const f = join(dir, name);
  writeFileSync(f, Buffer.concat([gzipSync(`${all.slice(0, lines).join('\n')}\n`), rest.subarray(0, 16)]));
  return f;
}

/** repair --apply --yes with a journal, then its undo: the cloud as it was, for the cases after. */
async function repairThenUndo(name: string, targets: string[]): Promise<Run> {
  const journal = join(state, `${name}.jsonl`);
  const r = await run(['repair', '--apply', '--yes', '--journal', journal, '--config', conf, ...targets]);
  expect(r.stdout).toMatch(/repaired/);
  expect((await run(['undo', '--apply', '--yes', '--journal', journal, '--config', conf])).code).toBe(ExitCode.ok);
  return r;
}

interface Case {
  name: string;
  /** Runs the case (its own setup included) and checks what it says; resolves with the run. */
  run: () => Promise<Run>;
}

const CASES: Record<ExitCodeName, Case[]> = {
  ok: [
    {
      name: 'scan: records outside --since/--until are not read as rejections',
      run: () => run(['scan', '--since', '2030-01-01', ZED]),
    },
    {
      name: 'scan: a text file with no nova line is named as such (and is not "partial")',
      run: async () => {
        const f = join(dir, 'notes.txt');
        writeFileSync(f, 'shopping list\nmilk\neggs\n');
        const r = await run(['scan', f]);
        expect(r.stdout).toMatch(/notes\.txt: no nova log line in it/);
        return r;
      },
    },
    { name: 'trace of a healthy instance', run: () => run(['trace', '--config', conf, uuidOf('kvm-web1')]) },
    {
      name: 'the TUI form without a terminal, a log that names no instance: nothing affected listed',
      run: async () => {
        const f = join(dir, 'quiet.log');
        writeFileSync(f, readFileSync(ZED, 'utf8').split('\n').slice(0, 40).join('\n'));
        const r = await run(['--config', conf, f]);
        expect(r.stdout).toMatch(/^0 instance\(s\): none found/);
        return r;
      },
    },
    {
      name: 'the TUI form without a terminal, a log naming an instance in cell0 (repair leaves it alone): as trace',
      run: () =>
        inCell0('win-ad-01', async (log) => {
          const uuid = uuidOf('win-ad-01');
          const trace = await run(['trace', '--config', conf, log]);
          expect(trace.stdout).toMatch(/^0 instance\(s\) with stale values to repair; 1 listed/m);
          expect(trace.code).toBe(ExitCode.ok);
          expect((await run(['trace', '--config', conf, uuid])).code).toBe(ExitCode.ok);
          const r = await run(['--config', conf, log]);
          expect(r.stdout).toMatch(/^1 instance\(s\): 1 skipped/);
          expect(r.stdout).not.toContain(`${uuid}  skipped`);
          return r;
        }),
    },
    {
      name: 'repair of a deleted instance: reported, not a failure',
      run: async () => {
        const r = await run(['repair', '--config', conf, uuidOf('old-mail')]);
        expect(r.stdout).toMatch(/skipped: the instance is deleted/);
        return r;
      },
    },
    {
      name: 'repair --apply --yes makes every planned change; its undo hint works as printed',
      run: async () => {
        const before = await fingerprint();
        const r = await run(['repair', '--apply', '--yes', '--config', conf, uuidOf('web01')]);
        expect(r.stdout).toMatch(/repaired/);
        const hint = /^Undo: (nova-doctor undo .*)$/m.exec(r.stdout)?.[1];
        expect(hint).toContain(`--config ${conf}`);
        // As printed, in a terminal: it asks, and restores.
        const undo = await inTerminal(hint!.replace(/^nova-doctor /, `node ${BIN} `), async (s) => {
          await s.waitFor('Type "undo 1" to confirm', 60_000);
          s.type('undo 1');
          s.send('Enter');
        });
        expect(undo.code).toBe(ExitCode.ok);
        expect(await fingerprint()).toBe(before);
        return r;
      },
    },
  ],
  found: [
    { name: 'scan finds rejected instances', run: () => run(['scan', ZED]) },
    {
      name: 'scan: an empty current log beside a full rotated one is not "partial"',
      run: async () => {
        const empty = join(dir, 'nova-scheduler.log');
        writeFileSync(empty, '');
        return run(['scan', empty, ZED]);
      },
    },
    { name: 'trace finds stale values', run: () => run(['trace', '--config', conf, uuidOf('db01')]) },
    {
      name: "the TUI form without a terminal: the summary lists the log's instances, traced and stale",
      run: async () => {
        const r = await run(['--config', conf, ZED]);
        expect(r.stdout).toMatch(/^\d+ instance\(s\): \d+ stale/);
        expect(r.stdout).toContain(`${uuidOf('web01')}  stale`);
        return r;
      },
    },
    {
      name: "the TUI form without a terminal or a database: the log's instances listed, untraced",
      run: async () => {
        const r = await run([ZED]);
        expect(r.stdout).toMatch(/^16 instance\(s\): 16 untraced/);
        return r;
      },
    },
    {
      name: 'repair: a dry run with changes pending',
      run: async () => {
        const r = await run(['repair', '--config', conf, '--all']);
        expect(r.stdout).toMatch(/^Dry run, \d+ instance\(s\): \d+ to repair/m);
        return r;
      },
    },
    {
      name: 'repair --apply, confirmation declined in a terminal: nothing written, changes pending',
      run: async () => {
        const before = await fingerprint();
        const r = await inTerminal(`node ${BIN} repair --apply --config ${conf} ${uuidOf('db01')}`, async (s) => {
          await s.waitFor('Type "apply 1" to confirm', 60_000);
          s.type('no');
          s.send('Enter');
        });
        expect(r.stdout).toContain('not confirmed: nothing was written');
        expect(await fingerprint()).toBe(before);
        return r;
      },
    },
    {
      name: 'repair --apply, Ctrl-D (end of input) at the confirmation: declined, nothing written',
      run: () => keyAtConfirmation('C-d', 'not confirmed: nothing was written'),
    },
    {
      name: 'undo --apply, confirmation declined in a terminal',
      run: async () => {
        const journal = join(state, 'declined-undo.jsonl');
        const applied = await run([
          'repair',
          '--apply',
          '--yes',
          '--journal',
          journal,
          '--config',
          conf,
          uuidOf('db01'),
        ]);
        expect(applied.code).toBe(ExitCode.ok);
        const before = await fingerprint();
        const r = await inTerminal(`node ${BIN} undo --apply --journal ${journal} --config ${conf}`, async (s) => {
          await s.waitFor('Type "undo 1" to confirm', 60_000);
          s.type('nah');
          s.send('Enter');
        });
        expect(await fingerprint()).toBe(before);
        expect((await run(['undo', '--apply', '--yes', '--journal', journal, '--config', conf])).code).toBe(0);
        return r;
      },
    },
  ],
  usage: [
    {
      name: 'a UUID one character short: both readings',
      run: () =>
        usage(
          ['trace', '--config', conf, uuidOf('web01').slice(0, -1)],
          /is neither an instance UUID \(it has 31 hex digits, a UUID has 32\) nor a log file/,
        ),
    },
    {
      name: 'not a uuid with --apply --yes: refused before anything is written',
      run: () =>
        usage(
          ['repair', '--config', conf, 'not-a-uuid', '--apply', '--yes'],
          /'not-a-uuid' is neither an instance UUID/,
        ),
    },
    { name: 'a misspelt command', run: () => usage(['tarce', '--all'], /unknown command 'tarce'.*nova-doctor trace/) },
    { name: 'an unknown command', run: () => usage(['bogus'], /'bogus' is neither a command nor a log file/) },
    {
      name: 'a UUID nova does not know, beside a log: said before the scan, nothing on stdout',
      run: () =>
        usage(
          ['trace', '--config', conf, '11111111-2222-3333-4444-555555555555', ZED],
          /instance 11111111-2222-3333-4444-555555555555 is unknown to nova/,
        ),
    },
    {
      name: 'repair --apply --yes of a known instance and one nova does not know: nothing repaired, no journal',
      run: async () => {
        const journal = join(state, 'unknown.jsonl');
        const r = await usage(
          [
            'repair',
            '--config',
            conf,
            uuidOf('build-agent'),
            '11111111-2222-3333-4444-555555555555',
            '--apply',
            '--yes',
            '--journal',
            journal,
          ],
          /instance 11111111-2222-3333-4444-555555555555 is unknown to nova/,
        );
        expect(existsSync(journal)).toBe(false);
        return r;
      },
    },
    {
      name: 'repair --json of two UUIDs nova does not know: no report on stdout',
      run: () =>
        usage(
          [
            'repair',
            '--json',
            '--config',
            conf,
            '11111111-2222-3333-4444-555555555555',
            uuidOf('web01').replace(/^./, 'f'),
          ],
          /2 instances are unknown to nova/,
        ),
    },
    {
      name: 'a month that does not exist',
      run: () => usage(['scan', '--since', '2026-13-40', ZED], /--since '2026-13-40'/),
    },
    { name: 'a day February does not have', run: () => usage(['scan', '--since', '2026-02-30', ZED], /2026-02-30/) },
    {
      name: '--since after --until',
      run: () => usage(['scan', '--since', '2026-03-01', '--until', '2026-02-01', ZED], /is after --until/),
    },
    {
      name: 'the TUI form without a terminal, --hv-type vmware: refused as repair refuses it, before any scan',
      run: async () => {
        const r = await run(['--config', conf, '--hv-type', 'vmware', ZED]);
        expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
        expect(r.stderr).toMatch(/--hv-type 'vmware' is listed by no enabled compute node of any reachable cell/);
        // Nothing scanned: no instance of the log listed.
        expect(r.stdout).toMatch(/^0 instance\(s\): none found/);
        return r;
      },
    },
    {
      name: 'the TUI form without a terminal, a --cell-db that matches no cell: refused before any scan',
      run: async () => {
        const r = await run(['--config', conf, '--cell-db', `cel1=${cloud.cellUrls.cell1}`, ZED]);
        expect(r.stderr).toMatch(/--cell-db cel1=… names no cell/);
        expect(r.stdout).toMatch(/^0 instance\(s\): none found/);
        return r;
      },
    },
    {
      name: '--hv-type banana',
      run: () => usage(['repair', '--config', conf, '--all', '--hv-type', 'banana'], /--hv-type 'banana'/),
    },
    {
      name: '--set-host of a host no cell has, with --apply --yes',
      run: () =>
        usage(
          ['repair', '--config', conf, '--all', '--set-host', 'no-such-host', '--apply', '--yes'],
          /--set-host 'no-such-host' is not a compute node/,
        ),
    },
    {
      name: "--hv-type vmware, a type no host of any cell lists, with --apply --yes: the cells' types named",
      run: () =>
        usage(
          ['repair', '--config', conf, '--all', '--hv-type', 'vmware', '--apply', '--yes'],
          /--hv-type 'vmware' is listed by no enabled compute node of any reachable cell .*cell1: kvm/,
        ),
    },
    { name: '--threads 0', run: () => usage(['scan', '--threads', '0', ZED], /--threads '0'/) },
    {
      name: 'scan of a binary file alone: skipped whole, nothing was read',
      run: () => usage(['scan', process.execPath], /^nova-doctor: nothing was read: .*binary file/),
    },
    {
      name: 'scan of a .gz that is not gzip alone: nothing was read',
      run: () => {
        const f = join(dir, 'not-gzip.log.gz');
        writeFileSync(f, createHash('sha512').update('not gzip').digest());
        return usage(['scan', f], /^nova-doctor: nothing was read: .*not-gzip\.log\.gz/);
      },
    },
    {
      name: 'scan of a file that does not exist: nothing was read, said first',
      run: () => usage(['scan', '/nonexistent/nova-scheduler.log'], /^nova-doctor: nothing was read/),
    },
    {
      name: '--apply without a terminal and without --yes',
      run: () => usage(['repair', '--apply', '--config', conf, uuidOf('db01')], /add --yes/),
    },
  ],
  partial: [
    {
      name: 'repair (dry run) of a truncated .gz log: some input skipped, over changes pending',
      run: async () => {
        const r = await run(['repair', '--config', conf, truncatedGz('dry.log.gz', 960)]);
        expect(r.stderr).toMatch(/dry\.log\.gz: truncated gzip data/);
        expect(r.stdout).toMatch(/to repair/);
        return r;
      },
    },
    {
      name: 'repair --apply --yes of a truncated .gz log: every planned change made, some input skipped',
      run: () => repairThenUndo('truncated-apply', [truncatedGz('apply.log.gz', 960)]),
    },
    {
      name: 'scan: one log missing, the other read',
      run: async () => {
        const r = await run(['scan', '/nonexistent/nova-scheduler.log', ZED]);
        expect(r.stdout).toMatch(/rejected by ImagePropertiesFilter/);
        return r;
      },
    },
    {
      name: 'trace --all with an enabled cell whose database is gone',
      run: async () => {
        const uuid = '5e1f0000-0000-4000-8000-00000000c311';
        const [row] = (await (async () => {
          const conn = await server.connect(cloud.databases.api);
          try {
            const [r] = await conn.query<RowDataPacket[]>('SELECT * FROM cell_mappings WHERE name = ?', ['cell2']);
            return r;
          } finally {
            await conn.end();
          }
        })()) as RowDataPacket[];
        const gone = String(row!.database_connection).replace(/\/[^/?]+(\?|$)/, '/nova_cell_gone$1');
        await apiQuery(
          'INSERT INTO cell_mappings (created_at, uuid, name, transport_url, database_connection, disabled) VALUES (NOW(), ?, ?, ?, ?, 0)',
          [uuid, 'cell-gone', row!.transport_url, gone],
        );
        try {
          const r = await run(['trace', '--all', '--config', conf]);
          expect(r.stderr).toMatch(/cell cell-gone unreachable, its instances were skipped/);
          return r;
        } finally {
          await apiQuery('DELETE FROM cell_mappings WHERE uuid = ?', [uuid]);
        }
      },
    },
  ],
  database: [
    {
      name: 'a wrong password',
      run: async () => {
        const wrong = cloud.apiUrl.replace(encodeURIComponent(PASSWORD), encodeURIComponent(`${PASSWORD}-wrong`));
        expect(wrong).not.toBe(cloud.apiUrl);
        const r = await run(['trace', '--all', '--api-db', wrong]);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        return r;
      },
    },
    {
      name: 'the TUI form without a terminal: the log still listed, the refused login its exit code',
      run: async () => {
        const refused = join(dir, 'refused.conf');
        writeFileSync(refused, cloud.novaConf.replace(/(mysql\+pymysql:\/\/[^:]+:)[^@]*@/g, '$1not-it@'), {
          mode: 0o600,
        });
        const r = await run(['--config', refused, ZED]);
        expect(r.stdout).toMatch(/^16 instance\(s\): 16 untraced/);
        expect(r.stderr).toMatch(/database: .*access denied/);
        return r;
      },
    },
    {
      name: 'no server on that port',
      run: () => run(['trace', '--all', '--api-db', 'mysql+pymysql://nova:pw@127.0.0.1:1/nova_api']),
    },
  ],
  incomplete: [
    {
      name: 'repair --apply --yes of a truncated .gz log naming a task in progress: 5 over input skipped (3)',
      run: async () => {
        const r = await repairThenUndo('truncated-task', [truncatedGz('task.log.gz', 6000)]);
        expect(r.stdout).toMatch(/skipped: task_state is/);
        return r;
      },
    },
    {
      name: 'repair --apply of an instance nova is working on (task in progress)',
      run: async () => {
        const r = await run(['repair', '--apply', '--yes', '--config', conf, uuidOf('etl-worker')]);
        expect(r.stdout).toMatch(/skipped: task_state is/);
        return r;
      },
    },
    {
      name: 'undo where the repaired spec changed since',
      run: async () => {
        const journal = join(state, 'conflict.jsonl');
        const uuid = uuidOf('fileserver');
        expect((await run(['repair', '--apply', '--yes', '--journal', journal, '--config', conf, uuid])).code).toBe(0);
        await apiQuery("UPDATE request_specs SET spec = CONCAT(spec, ' ') WHERE instance_uuid = ?", [uuid]);
        const r = await run(['undo', '--apply', '--yes', '--journal', journal, '--config', conf]);
        expect(r.stdout).toMatch(/left alone/);
        return r;
      },
    },
  ],
  internal: [
    {
      name: 'a bug in scan',
      run: async () => {
        const r = await run(['scan', ZED], { NOVA_DOCTOR_FAULT_INTERNAL: 'scan' });
        expect(r.stderr).toMatch(/^nova-doctor: internal error: TypeError: injected/);
        return r;
      },
    },
    {
      name: 'a bug in trace',
      run: () => run(['trace', '--all', '--config', conf], { NOVA_DOCTOR_FAULT_INTERNAL: 'trace' }),
    },
  ],
  interrupted: [
    {
      name: "Ctrl-C at repair --apply's confirmation: nothing written",
      run: () => keyAtConfirmation('C-c', 'interrupted at the confirmation: nothing was written'),
    },
    {
      name: 'Ctrl-C in the TUI',
      run: () =>
        inTerminal(`node ${BIN} --read-only ${ZED}`, async (s) => {
          await s.waitFor(/^ready/m, 60_000);
          s.send('C-c');
        }),
    },
    {
      name: 'Ctrl-C while scan waits on stdin',
      run: () =>
        // The shell keeps running (a handler, not an ignore, which the command would inherit) to report the status.
        inTerminal(`trap true INT; node ${BIN} scan -`, async (s) => {
          // Once node runs (a Ctrl-C before that would reach only the shell).
          const pane = s.tmux('display-message', '-p', '-t', s.name, '#{pane_pid}').trim();
          const deadline = Date.now() + 30_000;
          while (spawnSync('pgrep', ['-P', pane, 'node']).status !== 0 && Date.now() < deadline)
            await new Promise((r) => setTimeout(r, 100));
          await new Promise((r) => setTimeout(r, 300));
          s.send('C-c');
        }),
    },
  ],
};

describe.skipIf(!hasTmux())('exit codes, row by row of the README table', () => {
  beforeAll(async () => {
    ({ server, cloud } = await startCloudServer({ user: { name: 'nova', password: PASSWORD } }));
    dir = mkdtempSync(join(tmpdir(), 'nd-exit-'));
    state = join(dir, 'state');
    conf = join(dir, 'nova.conf');
    writeFileSync(conf, cloud.novaConf, { mode: 0o600 });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('has at least two cases for every row', () => {
    for (const row of EXIT_CODES) expect(CASES[row.name].length, row.name).toBeGreaterThanOrEqual(2);
  });

  for (const row of EXIT_CODES) {
    describe(`${row.code}: ${row.meaning}`, () => {
      for (const c of CASES[row.name]) {
        it(c.name, async () => {
          const r = await c.run();
          expect(r.code, `${c.name}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`).toBe(
            row.code,
          );
        }, 120_000);
      }
    });
  }

  it('never printed the password', () => {
    expect(outputs.length).toBeGreaterThan(20);
    for (const text of outputs) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(encodeURIComponent(PASSWORD));
    }
    // The journals too.
    for (const j of ['declined-undo.jsonl', 'conflict.jsonl'])
      expect(readFileSync(join(state, j), 'utf8')).not.toContain(PASSWORD);
  });
});
