// Logs as a crash or a rotation leaves them, and logs that are not regular files, through the real binary:
// a .gz with bytes after its last member keeps every byte zlib decoded (and warns), a pipe or FIFO is read as a
// stream (not as an empty file), and a file that shrinks under the scan is a warning with exit 3.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'nova-doctor.js');
const ZED = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'nova', 'logs', 'scheduler-zed.log'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface Report {
  instances: { uuid: string; requestIds: string[] }[];
  files: { file: string; bytes: number; lines: number }[];
  warnings: { file: string; message: string }[];
}

let dir: string;
/** ~55 KiB of the fixture log around its first rejection, cut at line starts: small enough for one zlib call. */
let small: Buffer;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nd-inputs-'));
  const at = ZED.indexOf('returned 0 hosts');
  const from = ZED.lastIndexOf(10, Math.max(0, at - 40_000)) + 1;
  const to = ZED.indexOf(10, at + 15_000) + 1;
  small = ZED.subarray(from, to);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], opts: { onSpawn?: (pid: number) => void } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, CI: '1' }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (child.pid) opts.onSpawn?.(child.pid);
  });
}

function write(name: string, data: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

async function scanJson(args: string[]): Promise<{ code: number; report: Report; stderr: string }> {
  const r = await run(['scan', '--json', ...args]);
  return { code: r.code, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

describe('a .gz with bytes after its last member', () => {
  it('scans every line zlib decoded and warns (exit 3), in one thread and with the helper thread', async () => {
    const plain = await scanJson([write('small.log', small)]);
    expect(plain.report.instances.length).toBeGreaterThan(0);
    const lines = plain.report.files[0]?.lines;
    for (const [name, tail, message] of [
      ['garbage', Buffer.from('\u0000\u0001garbage after a crash'), /bytes after the last gzip member are not gzip/],
      ['cut-member', gzipSync(small).subarray(0, 40), /truncated gzip data/],
    ] as const) {
      const file = write(`${name}.log.1.gz`, Buffer.concat([gzipSync(small), tail]));
      for (const threads of ['1', '2']) {
        const r = await scanJson(['--threads', threads, file]);
        expect(r.code, `${name} --threads ${threads}`).toBe(3);
        expect(r.report.files[0]?.lines).toBe(lines);
        expect(r.report.files[0]?.bytes).toBe(small.length);
        // The same incidents, line for line: only the file name they cite differs.
        expect(JSON.stringify(r.report.instances).replaceAll(file, 'LOG')).toBe(
          JSON.stringify(plain.report.instances).replaceAll(join(dir, 'small.log'), 'LOG'),
        );
        expect(r.report.warnings.map((w) => w.message)).toEqual([expect.stringMatching(message)]);
        expect(r.stderr).toMatch(message);
      }
    }
  });
});

describe('a pipe or FIFO named as a log', () => {
  it('is read as a stream, plain or gzip, as the same file would be', async () => {
    const plain = await scanJson([write('fifo-src.log', small)]);
    for (const [name, data] of [
      ['plain', small],
      ['gzip', gzipSync(small)],
    ] as const) {
      const fifo = join(dir, `${name}.fifo`);
      await new Promise<void>((resolve, reject) => execFile('mkfifo', [fifo], (e) => (e ? reject(e) : resolve())));
      // A writer that opens the FIFO and writes into it, as `scan <(zcat x.gz)` has one.
      const writer = spawn(
        process.execPath,
        ['-e', `require('fs').writeFileSync(${JSON.stringify(fifo)}, require('fs').readFileSync(0))`],
        {
          stdio: ['pipe', 'ignore', 'inherit'],
        },
      );
      const exited = new Promise((resolve) => writer.on('exit', resolve));
      writer.stdin.end(data);
      const r = await scanJson([fifo]);
      await exited;
      expect(r.code, r.stderr).toBe(plain.code);
      expect(r.report.warnings).toEqual([]);
      expect(r.report.files).toEqual([{ file: fifo, bytes: small.length, lines: plain.report.files[0]?.lines }]);
      expect(JSON.stringify(r.report.instances).replaceAll(fifo, 'LOG')).toBe(
        JSON.stringify(plain.report.instances).replaceAll(join(dir, 'fifo-src.log'), 'LOG'),
      );
    }
  });
});

describe('a log truncated while it is scanned', () => {
  it('is a warning naming it, with exit 3', async () => {
    // ~160 MB: the scan takes long enough to be caught in the middle, truncated as soon as the scan has it open.
    const big = join(dir, 'nova-scheduler.log');
    const copies = Math.ceil((160 << 20) / ZED.length);
    writeFileSync(big, Buffer.concat(Array.from({ length: copies }, () => ZED)));
    let poller: NodeJS.Timeout | undefined;
    let truncated = false;
    const r = await run(['scan', '--json', '--threads', '1', big], {
      onSpawn: (pid) => {
        poller = setInterval(() => {
          let open = false;
          try {
            open = readdirSync(`/proc/${pid}/fd`).some((fd) => {
              try {
                return readlinkSync(`/proc/${pid}/fd/${fd}`) === big;
              } catch {
                return false;
              }
            });
          } catch {
            clearInterval(poller);
          }
          if (open && !truncated) {
            truncated = true;
            truncateSync(big, 1000);
            clearInterval(poller);
          }
        }, 1);
      },
    });
    clearInterval(poller);
    expect(truncated).toBe(true);
    expect(r.code, r.stderr).toBe(3);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.warnings).toEqual([
      {
        file: big,
        offset: expect.any(Number),
        message: expect.stringMatching(
          new RegExp(
            `^shrank while it was scanned \\(truncated or rotated\\?\\): ${copies * ZED.length} bytes when the scan began, scanned up to byte \\d+$`,
          ),
        ),
      },
    ]);
    expect(r.stderr).toMatch(/nova-scheduler\.log: shrank while it was scanned/);
  }, 60_000);
});
