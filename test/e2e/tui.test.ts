import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';
import { hasTmux, startTmux, type TmuxSession } from './tmux.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'nova-doctor.js');
const LOG = join(ROOT, 'test', 'fixtures', 'nova', 'logs', 'scheduler-zed.log');

interface ManifestInstance {
  uuid: string;
  displayName: string;
  repair: boolean;
  cell: string;
}

let server: PrivateMariadb;
let cloud: LoadedCloud;
let conf: string;
let state: string;
let session: TmuxSession | null = null;

async function rows(): Promise<string> {
  const conn = await server.connect();
  try {
    const parts: unknown[] = [];
    for (const [db, table] of [
      [cloud.databases.api, 'request_specs'],
      [cloud.databases.cell1, 'instances'],
      [cloud.databases.cell1, 'instance_system_metadata'],
      [cloud.databases.cell1, 'block_device_mapping'],
    ] as const) {
      const [r] = await conn.query<RowDataPacket[]>(`SELECT * FROM \`${db}\`.\`${table}\` ORDER BY id`);
      parts.push(r);
    }
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  } finally {
    await conn.end();
  }
}

async function specOf(uuid: string): Promise<string> {
  const conn = await server.connect(cloud.databases.api);
  try {
    const [r] = await conn.query<RowDataPacket[]>('SELECT spec FROM request_specs WHERE instance_uuid = ?', [uuid]);
    return String(r[0]?.spec);
  } finally {
    await conn.end();
  }
}

describe.skipIf(!hasTmux())('the TUI in tmux', () => {
  beforeAll(async () => {
    ({ server, cloud } = await startCloudServer());
    const dir = mkdtempSync(join(tmpdir(), 'nd-e2e-'));
    conf = join(dir, 'nova.conf');
    state = join(dir, 'state');
    writeFileSync(conf, cloud.novaConf, { mode: 0o600 });
  });

  afterAll(async () => {
    await server?.stop();
  });

  afterEach(() => {
    session?.kill();
    session = null;
  });

  it('filters, marks, applies after typing the phrase, and undoes: the rows come back byte for byte', async () => {
    const manifest = cloud.manifest as { instances: ManifestInstance[] };
    const web = manifest.instances.find((i) => i.displayName === 'web01' && i.repair);
    expect(web).toBeDefined();
    const before = await rows();
    const specBefore = await specOf(web!.uuid);
    expect(specBefore).toContain('"img_hv_type": "xen"');

    session = startTmux(`node ${BIN} --config ${conf} ${LOG}`, { cwd: ROOT, env: { XDG_STATE_HOME: state } });
    await session.waitFor(/^ready/m, 60_000);
    await session.waitFor('web01');

    // One step at a time, each after the screen shows the last one: as a person types.
    session.send('/');
    await session.waitFor('Esc clear');
    session.type('web01');
    await session.waitFor('filter: web01');
    session.send('Enter');
    await session.waitFor(/Space mark/);
    session.send('Space');
    await session.waitFor(/1 marked|marked 1|\*/);
    session.send('a');
    await session.waitFor('Type apply 1 to confirm');

    // A wrong phrase changes nothing.
    session.type('apply 2');
    await session.waitFor('> apply 2');
    session.send('Enter');
    await new Promise((r) => setTimeout(r, 500));
    expect(await rows()).toBe(before);
    session.send('Escape');
    await session.waitFor(/Space mark/);

    session.send('a');
    await session.waitFor('Type apply 1 to confirm');
    session.type('apply 1');
    await session.waitFor('> apply 1');
    session.send('Enter');
    const done = await session.waitFor('Repaired 1 of 1', 30_000);
    expect(done).toContain('verified after commit');
    const specAfter = await specOf(web!.uuid);
    expect(specAfter).toContain('"img_hv_type": "kvm"');
    expect(specAfter.length).toBe(specBefore.length); // 'xen'→'kvm', 'xen'→'hvm': same length, nothing else moved
    expect(await rows()).not.toBe(before);

    session.send('Escape');
    await session.waitFor(/Space mark/);
    session.send('u');
    await session.waitFor('Type undo 1 to confirm');
    session.type('undo 1');
    await session.waitFor('> undo 1');
    session.send('Enter');
    await session.waitFor('Restored 1 of 1', 30_000);
    expect(await rows()).toBe(before);

    session.send('Escape');
    await session.waitFor(/Space mark/);
    session.send('q');
    expect(await session.exitStatus()).toBe(0);
    // The alternate screen is gone: the operator's terminal is as it was.
    expect(session.screen()).not.toContain('nova-doctor  logs');
  }, 120_000);

  it('marks every planned instance of a sweep with *, repairs them all (the paged flow), and undoes them all', async () => {
    const before = await rows();
    session = startTmux(`node ${BIN} --config ${conf} --all`, { cwd: ROOT, env: { XDG_STATE_HOME: state } });
    await session.waitFor(/^ready/m, 60_000);
    session.send('*');
    const marked = Number(/(\d+) marked/.exec(await session.waitFor(/\d+ marked/))?.[1]);
    expect(marked).toBeGreaterThanOrEqual(10);
    session.send('a');
    await session.waitFor(`Type apply ${marked} to confirm`);
    session.type(`apply ${marked}`);
    await session.waitFor(`> apply ${marked}`);
    session.send('Enter');
    const done = await session.waitFor(`Repaired ${marked} of ${marked}`, 60_000);
    expect(done).toContain('verified after commit');
    expect(done).not.toMatch(/conflict|failed/);
    expect(await rows()).not.toBe(before);

    // The list shows them as the database now holds them: repaired, nothing left with a planned repair.
    // The header says "repaired" before Escape closes the results: wait for the list itself, or the next key can
    // reach the terminal with the Escape and be read as Alt+key (ink's parser), leaving the results open.
    session.send('Escape');
    const list = await session.waitFor(new RegExp(`${marked} repaired[\\s\\S]*^sort: `, 'm'));
    expect(list).not.toMatch(/\d+ marked/);
    session.send('*');
    await session.waitFor('no listed instance has a planned repair');

    session.send('u');
    await session.waitFor(`Type undo ${marked} to confirm`);
    session.type(`undo ${marked}`);
    await session.waitFor(`> undo ${marked}`);
    session.send('Enter');
    await session.waitFor(`Restored ${marked} of ${marked}`, 60_000);
    expect(await rows()).toBe(before);
    session.send('Escape');
    await session.waitFor(/Space mark/);
    session.send('q');
    expect(await session.exitStatus()).toBe(0);
  }, 150_000);

  it('--hv-type no host lists: the error line repair gives, in the errors panel, and no log scanned', async () => {
    session = startTmux(`node ${BIN} --config ${conf} --hv-type vmware ${LOG}`, {
      cwd: ROOT,
      env: { XDG_STATE_HOME: state },
    });
    const screen = await session.waitFor(/^ready/m, 60_000);
    expect(screen).toMatch(/✗ request: --hv-type 'vmware' is listed by no enabled compute node of any reachable cell/);
    expect(screen).toContain('Nothing listed: see the error above');
    expect(screen).not.toMatch(/scanned \d+ file/);
    session.send('q');
    expect(await session.exitStatus()).toBe(0);
  }, 90_000);

  it('ctrl-c exits at once with 130 and gives the terminal back', async () => {
    session = startTmux(`node ${BIN} --read-only --config ${conf} ${LOG}`, {
      cwd: ROOT,
      env: { XDG_STATE_HOME: state },
    });
    await session.waitFor(/^ready/m, 60_000);
    const screen = session.screen();
    expect(screen).not.toMatch(/a apply/); // read-only hides apply and undo
    session.send('C-c');
    expect(await session.exitStatus()).toBe(130);
    expect(session.screen()).not.toContain('nova-doctor  logs');
  }, 90_000);

  it('SIGTERM (a dropped ssh session) closes cleanly and leaves the alternate screen', async () => {
    session = startTmux(`node ${BIN} --config ${conf} ${LOG}`, { cwd: ROOT, env: { XDG_STATE_HOME: state } });
    await session.waitFor(/^ready/m, 60_000);
    session.signal('TERM');
    expect(await session.exitStatus()).toBe(143);
    expect(session.screen()).not.toContain('nova-doctor  logs');
  }, 90_000);

  it('trace --all with its JSON in a file: progress on the terminal, then cleared; the file is clean JSON', async () => {
    const out = join(state, '..', 'trace.json');
    const paneLog = join(state, '..', 'pane.log');
    // A moment's pause so every byte the pane receives is recorded (pipe-pane) before the command runs.
    session = startTmux(`sleep 1; node ${BIN} trace --all --json --config ${conf} > ${out}`, { cwd: ROOT });
    session.tmux('pipe-pane', '-o', '-t', session.name, `cat >> ${paneLog}`);
    expect([1, 3]).toContain(await session.exitStatus(60_000)); // stale instances found; a disabled cell skipped
    const report = JSON.parse(readFileSync(out, 'utf8')) as { instances: unknown[] };
    expect(report.instances.length).toBeGreaterThan(10);
    expect(readFileSync(paneLog, 'utf8')).toMatch(/tracing: \d+ instances, \d+ with stale values/);
    expect(session.screen()).not.toContain('tracing:'); // the line is erased when the sweep ends
  }, 90_000);

  it('the demo opens on its own cloud and removes everything on exit', async () => {
    const errFile = join(state, '..', 'demo.err');
    session = startTmux(`node ${BIN} demo 2>${errFile}`, { cwd: ROOT });
    await session.waitFor(/^ready/m, 90_000).catch((err: Error) => {
      throw new Error(
        `${err.message}\ndemo stderr:\n${existsSync(errFile) ? readFileSync(errFile, 'utf8') : '(none)'}`,
      );
    });
    const screen = await session.waitFor(/\d+ stale/);
    expect(screen).toMatch(/stale/);
    const dir = /nova\.conf (\S+)\/nova\.conf/.exec(readFileSync(errFile, 'utf8'))?.[1];
    expect(dir && existsSync(dir)).toBe(true);
    session.send('q');
    expect(await session.exitStatus(30_000)).toBe(0);
    expect(existsSync(dir!)).toBe(false);
  }, 150_000);
});
