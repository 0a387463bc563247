// Which cloud a command talks to, said and obeyed (review findings 2, 5 and 6), through the real binary against a
// private MariaDB holding two clouds (A: the fixture as nova-manage leaves it, cell URLs templated; B: the same dump
// under other database names, cell URLs written out):
// - an explicit --config wins over a NOVA_DOCTOR_API_DB left over from another cloud; the variable alone is used,
//   said on stderr (password masked), named in errors, and printed as --api-db in the undo command;
// - the printed undo command, run in a clean shell (no NOVA_DOCTOR_API_DB), reaches the same databases;
// - `--cell-db NAME=URL` keeps its NAME= in the printed command;
// - connection warnings (URL parameters mysql2 ignores, as TripleO's read_default_file) reach stderr and --json;
// - a --cell-db no cell uses is a usage error (2) before anything is read or written.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorConfigFrom } from '../../src/cli/options.js';
import { type LoadedCloud, loadCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';
import { DoctorSession } from '../../src/doctor/session.js';
import type { DoctorEvent } from '../../src/doctor/types.js';
import { lineText } from '../../src/tui/lines.js';
import { errorsLines } from '../../src/tui/panes/errors.js';
import { initialSession, sessionReducer } from '../../src/tui/state.js';
import { instanceRows } from '../faults/support.js';
import { BIN, type Run, runBin } from '../helpers/bin.js';
import type { Manifest } from '../repair/cloud.js';

// Plain characters, so a test can put it back where the printed command masks it (as the operator does).
const PASSWORD = 'dbsrc-Pw-7731';
const user = { name: 'nova', password: PASSWORD };

let server: PrivateMariadb;
let a: LoadedCloud;
let b: LoadedCloud;
let dir: string;
let confA: string;
let binDir: string;
let jn = 0;
const outputs: string[] = [];

beforeAll(async () => {
  ({ server, cloud: a } = await startCloudServer({ user }));
  b = await loadCloud(server, { prefix: 'b_', user, urlStyle: 'concrete' });
  dir = mkdtempSync(join(tmpdir(), 'nd-dbsrc-'));
  confA = join(dir, 'a.conf');
  writeFileSync(confA, a.novaConf, { mode: 0o600 });
  // `nova-doctor` on the clean shell's PATH, as `npm link` puts it.
  binDir = join(dir, 'bin');
  mkdirSync(binDir);
  symlinkSync(BIN, join(binDir, 'nova-doctor'));
});
afterAll(async () => {
  await server?.stop();
  for (const o of outputs) expect(o).not.toContain(PASSWORD);
});

async function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const r = await runBin(args, env);
  outputs.push(r.stdout, r.stderr);
  return r;
}

/** A printed command, its masked passwords put back, run by bash in a clean environment (no NOVA_DOCTOR_API_DB). */
function runPrinted(command: string): Run {
  outputs.push(command);
  expect(command).not.toContain('<unparseable URL>');
  const r = spawnSync('bash', ['-c', command.replaceAll(':***@', `:${PASSWORD}@`)], {
    env: {
      PATH: `${binDir}:${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: dir,
      TMPDIR: tmpdir(),
      CI: '1',
      NO_COLOR: '1',
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
  outputs.push(r.stdout, r.stderr);
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

const journal = () => join(dir, `j${++jn}.jsonl`);
const uuidOf = (label: string) => {
  const i = (a.manifest as Manifest).instances.find((x) => x.label === label);
  if (!i) throw new Error(`no ${label}`);
  return i.uuid;
};
const rowsA = () => instanceRows(server, a);
const rowsB = () => instanceRows(server, b);

describe('NOVA_DOCTOR_API_DB', () => {
  it('is ignored when --config is given: one repair writes one cloud, and its printed undo works in a clean shell', async () => {
    const uuid = uuidOf('web01');
    const [beforeA, beforeB] = [await rowsA(), await rowsB()];
    const j = journal();
    const r = await run(['repair', '--config', confA, uuid, '--apply', '--yes', '--journal', j, '--json'], {
      NOVA_DOCTOR_API_DB: b.apiUrl,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('NOVA_DOCTOR_API_DB');
    expect(await rowsB()).toEqual(beforeB); // the other cloud: not a byte written
    const afterA = await rowsA();
    expect(afterA.get(uuid)?.api).not.toBe(beforeA.get(uuid)?.api); // its request spec
    expect(afterA.get(uuid)?.cell).not.toBe(beforeA.get(uuid)?.cell); // and its cell rows
    const { undoCommand } = JSON.parse(r.stdout) as { undoCommand: string };
    expect(undoCommand).toBe(`nova-doctor undo --config ${confA} --journal ${j} --apply`);

    // A journal never goes to another cloud: A's journal with B named explicitly is refused before any write.
    const wrong = await run(['undo', '--api-db', b.apiUrl, '--journal', j, '--apply', '--yes']);
    expect(wrong.code, wrong.stderr).toBe(2);
    expect(wrong.stderr).toMatch(/written for another cloud, nothing was changed/);
    expect(await rowsB()).toEqual(beforeB);

    const u = runPrinted(`${undoCommand} --yes`);
    expect(u.code, u.stderr).toBe(0);
    expect(await rowsA()).toEqual(beforeA);
  });

  it('alone is used, said in one stderr line (password masked) and in --json, and printed as --api-db for undo', async () => {
    const uuid = uuidOf('db01');
    const [beforeA, beforeB] = [await rowsA(), await rowsB()];
    const j = journal();
    const r = await run(['repair', uuid, '--apply', '--yes', '--journal', j, '--json'], {
      NOVA_DOCTOR_API_DB: b.apiUrl,
    });
    expect(r.code, r.stderr).toBe(0);
    const said = r.stderr.split('\n').filter((l) => l.includes('NOVA_DOCTOR_API_DB'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      /^nova-doctor: warning: nova_api database mysql\+pymysql:\/\/nova:\*\*\*@localhost:3306\/b_nova_api\?\S+ from the environment \(NOVA_DOCTOR_API_DB\)/,
    );
    const out = JSON.parse(r.stdout) as { undoCommand: string; warnings: string[] };
    expect(out.warnings).toEqual([said[0]!.replace('nova-doctor: warning: ', '')]);
    expect(await rowsA()).toEqual(beforeA);
    expect((await rowsB()).get(uuid)).not.toEqual(beforeB.get(uuid));
    expect(out.undoCommand).toMatch(
      /^nova-doctor undo --api-db 'mysql\+pymysql:\/\/nova:\*\*\*@localhost:3306\/b_nova_api\?/,
    );

    const u = runPrinted(`${out.undoCommand} --yes`);
    expect(u.code, u.stderr).toBe(0);
    expect(await rowsB()).toEqual(beforeB);
  });

  it('alone, in the TUI form without a terminal: the commands it prints reach the same cloud in a clean shell', async () => {
    // A log whose name a shell would split and unquote: the printed lines quote it as they quote the URL.
    const log = join(dir, "nova scheduler's.log");
    copyFileSync(join(dirname(BIN), '..', 'test', 'fixtures', 'nova', 'logs', 'scheduler-zed.log'), log);
    const r = await run([log, '--all'], { NOVA_DOCTOR_API_DB: b.apiUrl });
    expect(r.stdout).toContain('No terminal here');
    const trace = /^ {2}(nova-doctor trace .*)$/m.exec(r.stdout)?.[1];
    expect(trace).toMatch(/^nova-doctor trace --api-db 'mysql\+pymysql:\/\/nova:\*\*\*@localhost:3306\/b_nova_api\?/);
    // Without the variable, only what the line says reaches a database: 1 (stale instances found), not 2; and the
    // log is read (3 if the shell had split its name into files that do not exist).
    const t = runPrinted(trace!);
    expect(t.code, t.stderr).toBe(1);
    const scan = /^ {2}(nova-doctor scan .*)$/m.exec(r.stdout)?.[1];
    expect(runPrinted(scan!).code).toBe(1);
  });

  it('is named as the source in errors, not --api-db', async () => {
    const bad = b.apiUrl.replace(`:${PASSWORD}@`, ':not-the-password@');
    const r = await run(['trace', uuidOf('web01')], { NOVA_DOCTOR_API_DB: bad });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/access denied for user 'nova'.*check NOVA_DOCTOR_API_DB/);
    expect(r.stderr).not.toContain('--api-db');
    expect(r.stderr).not.toContain('not-the-password');
  });
});

describe('--cell-db', () => {
  it('NAME=URL keeps its NAME= in the printed undo command, which works in a clean shell', async () => {
    const uuid = uuidOf('build-agent');
    const before = await rowsA();
    const j = journal();
    const r = await run([
      'repair',
      '--config',
      confA,
      '--cell-db',
      `cell1=${a.cellUrls.cell1}`,
      uuid,
      '--apply',
      '--yes',
      '--journal',
      j,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect((await rowsA()).get(uuid)).not.toEqual(before.get(uuid));
    const { undoCommand } = JSON.parse(r.stdout) as { undoCommand: string };
    expect(undoCommand).toContain(" --cell-db 'cell1=mysql+pymysql://nova:***@localhost:3306/nova_cell1?");
    const u = runPrinted(`${undoCommand} --yes`);
    expect(u.code, u.stderr).toBe(0);
    expect(await rowsA()).toEqual(before);
  });

  it('that no cell would use is a usage error (2), said in one line, before anything is read or written', async () => {
    const uuid = uuidOf('web01');
    const before = await rowsA();
    for (const [cellDb, said] of [
      [[`cel1=${a.cellUrls.cell1}`], /--cell-db cel1=… names no cell in nova_api\.cell_mappings \(the cells are /],
      [[b.cellUrls.cell1], /no cell in nova_api\.cell_mappings has database 'b_nova_cell1'/],
      [[`cell1=${a.cellUrls.cell1}`, `cell1=${a.cellUrls.cell2}`], /cell cell1 is already given another URL/],
    ] as const) {
      const r = await run([
        'repair',
        '--config',
        confA,
        ...cellDb.flatMap((c) => ['--cell-db', c]),
        uuid,
        '--apply',
        '--yes',
        '--journal',
        journal(),
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(said);
    }
    expect(await rowsA()).toEqual(before);
  });

  it('as a bare URL, whose database name two cells share (each on its own server), is a usage error (2)', async () => {
    // Cloud B's cell2 moved to another server, under cell1's database name, as where every cell's database is `nova`.
    const api = b.databases.api;
    const c = await server.connect(api);
    try {
      const [[m]] = (await c.query('SELECT database_connection FROM cell_mappings WHERE name = ?', ['cell2'])) as [
        { database_connection: string }[],
        unknown,
      ];
      const elsewhere = m!.database_connection.replace(/@[^/]*\/[^?]*/, '@192.0.2.1:3306/b_nova_cell1');
      await c.query('UPDATE cell_mappings SET database_connection = ? WHERE name = ?', [elsewhere, 'cell2']);
      try {
        const before = await rowsB();
        const r = await run(['trace', '--all', '--api-db', b.apiUrl, '--cell-db', b.cellUrls.cell1]);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(
          /cells cell1, cell2 all have database 'b_nova_cell1'; name the cell: --cell-db NAME=URL/,
        );
        expect(await rowsB()).toEqual(before);
      } finally {
        await c.query('UPDATE cell_mappings SET database_connection = ? WHERE name = ?', [
          m!.database_connection,
          'cell2',
        ]);
      }
    } finally {
      await c.end();
    }
  });
});

describe('connection warnings', () => {
  /** The nova.conf TripleO writes: both connections read a MySQL option file (which mysql2 cannot). */
  function tripleoConf(): string {
    const q = '&read_default_file=/etc/my.cnf.d/tripleo.cnf&read_default_group=tripleo&frobnicate=1';
    const conf = join(dir, 'tripleo.conf');
    writeFileSync(
      conf,
      `[api_database]\nconnection = ${a.apiUrl}${q}\n\n[database]\nconnection = ${a.databaseUrl}${q}\n`,
      { mode: 0o600 },
    );
    return conf;
  }

  it("reach stderr and --json: TripleO's read_default_file/read_default_group, an unknown parameter", async () => {
    const conf = tripleoConf();
    const expected = [
      /^nova_api database \(\[api_database\] connection in .*tripleo\.conf:2\): query parameter 'read_default_file' is ignored \(mysql2 cannot read MySQL option files or load plugins\)$/,
      /^nova_api database \(.*\): query parameter 'read_default_group' is ignored/,
      /^nova_api database \(.*\): query parameter 'frobnicate' is ignored$/,
      /^cell database cell1 \(.*\): query parameter 'read_default_file' is ignored/,
    ];
    const uuid = uuidOf('web01');
    const runs = {
      trace: await run(['trace', '--config', conf, uuid, '--json']),
      repair: await run(['repair', '--config', conf, uuid, '--json']),
      undo: await run(['undo', '--config', conf, '--journal', join(dir, 'j1.jsonl'), '--json']),
      text: await run(['trace', '--config', conf, uuid]),
    };
    for (const [name, r] of Object.entries(runs)) {
      expect(r.code, `${name}: ${r.stderr}`).toBe(name === 'undo' ? 0 : 1);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('nova-doctor: warning: '));
      for (const re of expected)
        expect(
          lines.some((l) => re.test(l.slice('nova-doctor: warning: '.length))),
          `${name}: ${re}`,
        ).toBe(true);
      if (name !== 'text') {
        const { warnings } = JSON.parse(r.stdout) as { warnings: string[] };
        expect(warnings.map((w) => `nova-doctor: warning: ${w}`)).toEqual(lines);
      }
    }
  });

  it("reach the TUI's errors screen, beside the cells", async () => {
    const config = doctorConfigFrom([], { config: [tripleoConf()] });
    const session = new DoctorSession(config);
    const events: DoctorEvent[] = [];
    session.subscribe((e) => events.push(e));
    try {
      await session.start();
    } finally {
      await session.close();
    }
    const state = sessionReducer(initialSession(config, 0), { type: 'events', events, at: 0 });
    const screen = errorsLines(state.errors, state.scanReport, state.cells, state.dbWarnings).map(lineText).join('\n');
    expect(screen).toMatch(/^Database warnings \(\d+\)$/m);
    expect(screen).toMatch(/^ {2}warning nova_api database \(.*\): query parameter 'read_default_file' is ignored/m);
    expect(screen).toMatch(/^ {2}warning cell database cell1 \(.*\): query parameter 'read_default_group' is ignored/m);
    outputs.push(screen);
  });
});
