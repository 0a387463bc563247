// The real binary, run as an operator would (built first: `npm test` builds), and a private work directory with a
// loaded cloud's nova.conf: the two things every end-to-end test of the command line needs.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedCloud } from '../../src/db/loadCloud.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'nova-doctor.js');

export interface Run {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Run the built binary (npm run test:faults builds first). */
export function runBin(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd,
        env: { ...process.env, CI: '1', NO_COLOR: '1', ...env },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 300_000,
      },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string; signal?: string | null }) | null;
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
  });
}

/** A private 0700 directory with the cloud's nova.conf (0600) in it. */
export function workDir(cloud: LoadedCloud, prefix = 'nd-faults-'): { dir: string; conf: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const conf = join(dir, 'nova.conf');
  writeFileSync(conf, cloud.novaConf, { mode: 0o600 });
  return { dir, conf };
}
