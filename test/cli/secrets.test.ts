// Passwords given on the command line must not stay readable by other users through /proc/PID/cmdline (ps),
// and errors about unreachable or refusing databases must not echo them.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'nova-doctor.js');
const PASSWORD = 'Pa55;w#rd-in-argv';

let silent: Server;
let port = 0;

beforeAll(async () => {
  // Accepts connections and never answers: the client waits for a handshake, long enough to read its argv.
  silent = createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  port = (silent.address() as { port: number }).port;
});

afterAll(() => {
  silent.close();
});

describe('secrets on the command line', () => {
  it('masks the password in /proc/PID/cmdline while running, and never prints it', async () => {
    const url = `mysql+pymysql://nova:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/nova_api`;
    const child = spawn(process.execPath, [BIN, 'trace', '--all', '--api-db', url], {
      env: { ...process.env, CI: '1' },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    await new Promise((r) => setTimeout(r, 1500));
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
    expect(cmdline).toContain('trace');
    expect(cmdline).not.toContain(encodeURIComponent(PASSWORD));
    expect(cmdline).not.toContain(PASSWORD);
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(4); // unreachable: a database error, one line
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain(encodeURIComponent(PASSWORD));
  }, 60_000);
});
