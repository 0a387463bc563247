// `trace --all --json` (and with --include-healthy) on both fixture clouds, byte for byte against the output
// committed in test/cli/golden/: the sweep may be made faster, its output may not change. The private server's
// directory (in the cells' masked URLs and messages) is the only part that differs from run to run.
// Regenerate (only when the output is meant to change, and say why in the commit): UPDATE_GOLDEN=1 npx vitest run test/cli/traceGolden.test.ts
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedCloud, startCloudServer } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'nova-doctor.js');
const GOLDEN = join(import.meta.dirname, 'golden');

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

const CLOUDS = [
  { name: 'zed', cloudDir: undefined },
  { name: '2025.1', cloudDir: join(ROOT, 'test', 'fixtures', 'nova', '2025.1', 'cloud') },
];

for (const { name, cloudDir } of CLOUDS) {
  describe(`trace --all --json on the ${name} fixture cloud`, () => {
    let server: PrivateMariadb;
    let cloud: LoadedCloud;
    let conf: string;
    beforeAll(async () => {
      ({ server, cloud } = await startCloudServer(cloudDir ? { cloudDir } : {}));
      conf = join(mkdtempSync(join(tmpdir(), 'nd-golden-')), 'nova.conf');
      writeFileSync(conf, cloud.novaConf);
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
    });

    for (const extra of [[], ['--include-healthy']]) {
      it(`is what it was${extra.length ? ` (${extra.join(' ')})` : ''}`, async () => {
        const r = await run(['trace', '--all', '--json', '--config', conf, ...extra]);
        expect([1, 3], r.stderr).toContain(r.code);
        const out = r.stdout.replaceAll(server.baseDir, '<server>');
        expect(out).not.toContain(server.baseDir);
        const file = join(GOLDEN, `trace-all-${name}${extra.length ? '-healthy' : ''}.json`);
        if (process.env.UPDATE_GOLDEN) writeFileSync(file, out);
        expect(out.length).toBeGreaterThan(1000);
        expect(out === readFileSync(file, 'utf8'), 'trace --all --json differs from its golden output').toBe(true);
      }, 120_000);
    }
  });
}
