// The TUI's session checks what was asked before any work, as the CLI's trace and repair do (checks.ts
// checkRequest): the databases are opened first, and a --hv-type no host lists or a --cell-db no cell has ends the
// start with that one error (exit 2) before a single log line is scanned. On a real MariaDB with nova's fixture cloud.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorConfigFrom } from '../../src/cli/options.js';
import { type LoadedCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';
import { DoctorSession } from '../../src/doctor/session.js';
import type { DoctorEvent } from '../../src/doctor/types.js';
import { ExitCode } from '../../src/errors.js';

const ZED = join(import.meta.dirname, '..', 'fixtures', 'nova', 'logs', 'scheduler-zed.log');

let server: PrivateMariadb;
let cloud: LoadedCloud;
let dir: string;
let conf: string;

/** start() of a session over the Zed log with these flags: what it resolved with, and every event it sent. */
async function started(flags: { hvType?: string; cellDb?: string[] }) {
  const session = new DoctorSession(doctorConfigFrom([ZED], { config: [conf], ...flags }));
  const events: DoctorEvent[] = [];
  session.subscribe((e) => events.push(e));
  try {
    const rows = await session.start();
    const scanned = events.some((e) => e.type === 'scan-progress' || e.type === 'scan-done');
    const errors = events.flatMap((e) => (e.type === 'error' ? [e] : []));
    return { rows, scanned, errors };
  } finally {
    await session.close();
  }
}

describe('DoctorSession.start checks what was asked before it scans', () => {
  beforeAll(async () => {
    ({ server, cloud } = await startCloudServer());
    dir = mkdtempSync(join(tmpdir(), 'nd-session-checks-'));
    conf = join(dir, 'nova.conf');
    writeFileSync(conf, cloud.novaConf, { mode: 0o600 });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('scans and lists the log with a type the hosts list (the control)', async () => {
    const r = await started({ hvType: 'kvm' });
    expect(r.errors).toEqual([]);
    expect(r.scanned).toBe(true);
    expect(r.rows.length).toBeGreaterThan(0);
  }, 120_000);

  it('refuses --hv-type vmware, which no host lists, with the CLI error before the scan', async () => {
    const r = await started({ hvType: 'vmware' });
    expect(r.scanned).toBe(false);
    expect(r.rows).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ where: 'request', exitCode: ExitCode.usage });
    expect(r.errors[0]?.message).toMatch(/^--hv-type 'vmware' is listed by no enabled compute node of any reachable/);
  }, 120_000);

  it('refuses a --cell-db that matches no cell before the scan', async () => {
    const r = await started({ cellDb: [`cel1=${cloud.cellUrls.cell1}`] });
    expect(r.scanned).toBe(false);
    expect(r.rows).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ where: 'database', exitCode: ExitCode.usage });
    expect(r.errors[0]?.message).toMatch(/--cell-db cel1=… names no cell/);
  }, 120_000);

  it('closed while start() is still opening the databases: leaves no connection behind (a quit on the first screen)', async () => {
    const session = new DoctorSession(doctorConfigFrom([ZED], { config: [conf] }));
    const starting = session.start();
    await session.close(); // before the databases answered: there is nothing to close yet
    await starting;
    const admin = await server.connect();
    try {
      // The pools' connections end asynchronously: give the server a moment to see them go.
      let open = -1;
      for (let i = 0; i < 50 && open !== 0; i++) {
        const [rows] = (await admin.query(
          "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = 'nova'",
        )) as unknown as [{ n: number }[]];
        open = Number(rows[0]!.n);
        if (open !== 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(open).toBe(0);
    } finally {
      await admin.end();
    }
  }, 120_000);
});
