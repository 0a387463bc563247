// Vitest's global setup: every test file's temp directories (journals, work dirs, the private MariaDB's datadir)
// go under one directory of this run, removed when the run ends, so nothing is left in $TMPDIR whatever a test
// forgets or a killed process leaves. Workers inherit TMPDIR from this process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'nova-doctor-tests-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
