// Text from the database and the command line is attacker-controlled as far as the terminal is concerned: C1 controls
// (a lone 0x9b is a CSI), bidi embeddings, overrides and isolates, and tag characters must never leave raw, in text
// (escaped visibly) or in JSON (as \u escapes that parse back to the very same strings). Real binary, private MariaDB.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'nova-doctor.js');
const LOG = join(import.meta.dirname, '..', 'fixtures', 'nova', 'logs', 'scheduler-zed.log');
// A C1 CSI that would turn the text red, NEL, a right-to-left override, an isolate pair; nova's tables are utf8mb3,
// so tag characters (4-byte UTF-8) come from logs and file names only.
const DB_HOSTILE = 'evil\u009b31m\u0085\u202eRTL\u202c\u2066iso\u2069';
const HOSTILE = `${DB_HOSTILE}\u{e0041}\u{e007f}`;
const RAW = /[\u0080-\u009f\u202a-\u202e\u2066-\u2069]|\udb40[\udc00-\udc7f]/;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let server: PrivateMariadb;
let cloud: LoadedCloud;
let dir: string;
let conf: string;
let uuid: string;

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, CI: '1', XDG_STATE_HOME: join(dir, 'state') }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function expectNoRaw(r: Run): void {
  expect(r.stdout).not.toMatch(RAW);
  expect(r.stderr).not.toMatch(RAW);
}

beforeAll(async () => {
  ({ server, cloud } = await startCloudServer());
  dir = mkdtempSync(join(tmpdir(), 'nd-termsafe-'));
  conf = join(dir, 'nova.conf');
  writeFileSync(conf, cloud.novaConf, { mode: 0o600 });
  // A stale instance of cell1 that a repair will take (no task in progress) gets a hostile display name.
  const sweep = await run(['trace', '--all', '--json', '--config', conf]);
  const found = (
    JSON.parse(sweep.stdout) as {
      instances: { uuid: string; health: string; taskState: string | null; cell: { name: string } | null }[];
    }
  ).instances.find((i) => i.health === 'stale' && i.taskState === null && i.cell?.name === 'cell1');
  uuid = String(found?.uuid);
  const c = await server.connect(cloud.databases.cell1);
  try {
    await c.query('UPDATE instances SET display_name = ? WHERE uuid = ?', [DB_HOSTILE, uuid]);
  } finally {
    await c.end();
  }
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('hostile text from the database', () => {
  it('trace text escapes it visibly; trace --json writes \\u escapes that parse back to the stored string', async () => {
    const text = await run(['trace', '--config', conf, uuid]);
    expect(text.code, text.stderr).toBe(1);
    expectNoRaw(text);
    expect(text.stdout).toContain('evil\\x9b31m\\x85\\u{202e}RTL\\u{202c}\\u{2066}iso\\u{2069}');

    const json = await run(['trace', '--json', '--config', conf, uuid]);
    expect(json.code, json.stderr).toBe(1);
    expectNoRaw(json);
    expect(json.stdout).toContain('evil\\u009b31m\\u0085\\u202eRTL\\u202c\\u2066iso\\u2069');
    const report = JSON.parse(json.stdout) as { instances: { uuid: string; displayName: string }[] };
    expect(report.instances.find((i) => i.uuid === uuid)?.displayName).toBe(DB_HOSTILE);
  });

  it('repair and undo text (the lines of rows changed since) escape the value now in the row', async () => {
    const journal = join(dir, 'state', 'j', 'repair.jsonl');
    const repair = await run(['repair', '--apply', '--yes', '--journal', journal, '--config', conf, uuid]);
    expect(repair.code, repair.stderr).toBe(0);
    expectNoRaw(repair);
    // Someone writes a hostile value into a repaired row: undo must leave it alone and show it escaped.
    const c = await server.connect(cloud.databases.cell1);
    try {
      await c.query(
        "UPDATE instance_system_metadata SET value = ? WHERE instance_uuid = ? AND `key` = 'image_hypervisor_type'",
        [`kvm${DB_HOSTILE}`, uuid],
      );
    } finally {
      await c.end();
    }
    const undo = await run(['undo', '--journal', journal, '--config', conf]);
    expectNoRaw(undo);
    expect(undo.stdout).toMatch(
      /left alone \(changed since\): .*image_hypervisor_type.*; now "kvmevil\\x9b31m\\x85\\u\{202e\}RTL\\u\{202c\}\\u\{2066\}iso\\u\{2069\}"/,
    );

    const undoJson = await run(['undo', '--json', '--journal', journal, '--config', conf]);
    expectNoRaw(undoJson);
    const parsed = JSON.parse(undoJson.stdout) as {
      instances: { conflicts: { currentValue: string | null }[] }[];
    };
    const now = parsed.instances.flatMap((i) => i.conflicts).map((c) => c.currentValue);
    expect(now).toContain(`kvm${DB_HOSTILE}`);
  });
});

describe('hostile text from the command line', () => {
  it('a log name with controls, bidi and tag characters: escaped in scan text, JSON and on stderr', async () => {
    const name = join(dir, `x${HOSTILE}.log`);
    const alone = await run(['scan', name]);
    expect(alone.code).toBe(2); // nothing could be read: bad usage, said on stderr
    expectNoRaw(alone);
    expect(alone.stderr).toContain('\\x9b31m\\x85\\u{202e}RTL\\u{202c}\\u{2066}iso\\u{2069}\\u{e0041}\\u{e007f}.log');
    const text = await run(['scan', name, LOG]); // beside a log that can be read: a warning in the report
    expect(text.code).toBe(3);
    expectNoRaw(text);
    expect(text.stdout).toContain('\\x9b31m\\x85\\u{202e}RTL\\u{202c}\\u{2066}iso\\u{2069}\\u{e0041}\\u{e007f}.log');
    const json = await run(['scan', '--json', name, LOG]);
    expectNoRaw(json);
    expect(json.stdout).toContain(
      '\\u009b31m\\u0085\\u202eRTL\\u202c\\u2066iso\\u2069\\udb40\\udc41\\udb40\\udc7f.log',
    );
    expect((JSON.parse(json.stdout) as { warnings: { file: string }[] }).warnings[0]?.file).toBe(name);
    expect(json.stderr).toContain('\\x9b31m\\x85\\u{202e}');
  });
});
