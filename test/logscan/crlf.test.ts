// A log with CRLF line ends (copied through a Windows share, exported by some collectors) reads as the same log
// with LF ends: every kind of line, DEBUG ones included, whose suffix is found only without the '\r'.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanLogs } from '../../src/logscan/index.js';

const LF = join(import.meta.dirname, '..', 'fixtures', 'nova', 'logs', 'scheduler-zed.log');
const dir = mkdtempSync(join(tmpdir(), 'crlf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The report without where things are in the file (offsets and the file's name and size differ). */
function findings(report: Awaited<ReturnType<typeof scanLogs>>, file: string): string {
  const { instances, unattributed, noValidHost, triage, warnings } = report;
  return JSON.stringify({ instances, unattributed, noValidHost, triage, warnings }, (k, v) =>
    k === 'offset' ? undefined : v === file ? 'LOG' : v,
  );
}

describe('CRLF logs', () => {
  it('give the findings of the same log with LF ends, on one thread and two', async () => {
    const crlf = join(dir, 'scheduler-zed-crlf.log');
    writeFileSync(crlf, readFileSync(LF, 'utf8').replaceAll('\n', '\r\n'));
    const expected = findings(await scanLogs([LF]), LF);
    expect(JSON.parse(expected).noValidHost.length).toBeGreaterThan(0);
    for (const workers of [1, 2]) expect(findings(await scanLogs([crlf], { workers }), crlf)).toBe(expected);
  });
});
