// Issue 13.4 through the real binary on a private MariaDB: a spec nested past what nova's own json.loads can
// read (1,000 levels) or deep enough to break a recursive JSON edit (8,000) is that instance's error, "nova
// itself cannot load this spec", for trace, a dry run and an applied repair; every other instance is repaired
// as usual and the deep spec is left byte for byte as it was.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'nova-doctor.js');

let server: PrivateMariadb;
let cloud: LoadedCloud;
let dir: string;
let conf: string;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { ...process.env, CI: '1' }, maxBuffer: 1 << 26 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

/** The instance's spec with a scheduler hint nested `levels` deep (hints may hold any JSON). */
function nestedSpec(spec: string, levels: number): string {
  return spec.replace(
    '"nova_object.data": {',
    `"nova_object.data": {"deep": ${'['.repeat(levels)}${']'.repeat(levels)}, `,
  );
}

beforeAll(async () => {
  ({ server, cloud } = await startCloudServer());
  dir = mkdtempSync(join(tmpdir(), 'nd-deep-'));
  conf = join(dir, 'nova.conf');
  writeFileSync(conf, cloud.novaConf, { mode: 0o600 });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('specs nested deeper than nova can read', () => {
  for (const levels of [1_000, 8_000]) {
    it(`${levels} levels: that instance's error for trace, dry run and apply; the rest repaired`, async () => {
      const m = cloud.manifest as { instances: { uuid: string; displayName: string; repair: boolean }[] };
      const victim = m.instances.find((i) => i.displayName === (levels === 1_000 ? 'web01' : 'db01'))!;
      expect(victim.repair).toBe(true); // a Xen instance that would otherwise be repaired
      const api = await server.connect(cloud.databases.api);
      try {
        const [[row]] = (await api.query('SELECT spec FROM request_specs WHERE instance_uuid = ?', [
          victim.uuid,
        ])) as unknown as [{ spec: string }[]];
        const deep = nestedSpec(row!.spec, levels);
        await api.query('UPDATE request_specs SET spec = ? WHERE instance_uuid = ?', [deep, victim.uuid]);

        const trace = await run(['trace', '--json', '--config', conf, victim.uuid]);
        expect(trace.stderr).not.toMatch(/internal error|RangeError/);
        const traced = JSON.parse(trace.stdout).instances[0];
        expect(traced.health).toBe('unreadable');
        expect(traced.problems.join('\n')).toMatch(/nova itself cannot load this spec/);

        const dry = await run(['repair', '--json', '--all', '--config', conf]);
        expect(dry.stderr).not.toMatch(/internal error|RangeError/);
        expect(dry.code).toBe(1); // changes pending for the others
        const planned = JSON.parse(dry.stdout).instances as { uuid: string; status: string; reason: string }[];
        const mine = planned.find((p) => p.uuid === victim.uuid)!;
        expect(mine.status).toBe('skipped');
        expect(mine.reason).toMatch(/nova itself cannot load this spec/);
        expect(planned.filter((p) => p.status === 'dry-run').length).toBeGreaterThan(5);

        const journal = join(dir, `deep-${levels}.jsonl`);
        const applied = await run([
          'repair',
          '--json',
          '--all',
          '--apply',
          '--yes',
          '--journal',
          journal,
          '--config',
          conf,
        ]);
        expect(applied.stderr).not.toMatch(/internal error|RangeError/);
        const results = JSON.parse(applied.stdout).instances as { uuid: string; status: string }[];
        expect(results.find((r) => r.uuid === victim.uuid)!.status).toBe('skipped');
        expect(results.filter((r) => r.status === 'repaired').length).toBeGreaterThan(5);
        const [[after]] = (await api.query('SELECT spec FROM request_specs WHERE instance_uuid = ?', [
          victim.uuid,
        ])) as unknown as [{ spec: string }[]];
        expect(after!.spec).toBe(deep);

        const undo = await run(['undo', '--json', '--apply', '--yes', '--journal', journal, '--config', conf]);
        expect(undo.code, undo.stderr).toBe(0);
        await api.query('UPDATE request_specs SET spec = ? WHERE instance_uuid = ?', [row!.spec, victim.uuid]);
      } finally {
        await api.end();
      }
    }, 180_000);
  }
});
