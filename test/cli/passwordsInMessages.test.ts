// A password given in the wrong place (a URL to --config, --config-dir or as a log path), or with an unencoded '@'
// or '/' in it, must not reach any output: every message, commander's included, masks every `user:password@` by
// the one rule the URL parser also follows (src/secrets.ts). Run through the real binary.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskUrl, parseDbUrl, pyUnquote } from '../../src/db/dbUrl.js';
import { maskArgv } from '../../src/db/scrubArgv.js';
import { maskSecrets } from '../../src/secrets.js';
import { jsonSafe, terminalSafe } from '../../src/terminalText.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'nova-doctor.js');
// An '@' and a '/' in it, unencoded: SQLAlchemy would read password 's3cr' and host 't'.
const PASSWORD = 's3cr@t/pw';
const FRAGMENTS = ['s3cr', 't/pw', '@t/', PASSWORD];
const URL = `mysql+pymysql://nova:${PASSWORD}@db.example/nova_api`;
const LOG = join(import.meta.dirname, '..', 'fixtures', 'nova', 'logs', 'scheduler-zed.log');

interface Run {
  code: number;
  out: string;
  stdout: string;
  stderr: string;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nd-pw-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, CI: '1', XDG_STATE_HOME: dir, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr, out: stdout + stderr });
      },
    );
  });
}

function expectNoPassword(r: Run): void {
  for (const f of FRAGMENTS) expect(r.out, `output holds '${f}':\n${r.out}`).not.toContain(f);
}

describe('a URL with a password in the wrong place (real binary)', () => {
  it('--config URL: one line naming it, masked', async () => {
    const r = await run(['trace', '--config', URL, '--all']);
    expectNoPassword(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'nova-doctor: mysql+pymysql://nova:***@db.example/nova_api: cannot read config: file not found\n',
    );
  });

  it('--config-dir URL', async () => {
    const r = await run(['repair', '--config-dir', URL, '--all']);
    expectNoPassword(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'nova-doctor: mysql+pymysql://nova:***@db.example/nova_api: cannot read config dir: not found\n',
    );
  });

  it('a URL as a log path, in text, JSON, trace and the no-terminal summary', async () => {
    const text = await run(['scan', URL]);
    expectNoPassword(text);
    expect(text.code).toBe(2); // nothing could be read: bad usage
    expect(text.stderr).toContain('nothing was read: mysql+pymysql://nova:***@db.example/nova_api: no such file');
    // Beside a log that can be read: a warning each, in the text and in the JSON.
    const partial = await run(['scan', URL, LOG]);
    expectNoPassword(partial);
    expect(partial.code).toBe(3);
    expect(partial.stdout).toContain('warning: mysql+pymysql://nova:***@db.example/nova_api: no such file');

    const json = await run(['scan', '--json', URL, `nova:${PASSWORD}@db.example`, LOG]);
    expectNoPassword(json);
    const report = JSON.parse(json.stdout) as { warnings: { file: string }[] };
    expect(report.warnings.map((w) => w.file)).toEqual([
      'mysql+pymysql://nova:***@db.example/nova_api',
      'nova:***@db.example',
    ]);

    const trace = await run(['trace', '--api-db', 'mysql+pymysql://nova@127.0.0.1:1/nova_api', URL]);
    expectNoPassword(trace);

    const tui = await run([URL]); // the default command, without a terminal: a summary and the commands to run
    expectNoPassword(tui);
    // A word that is neither an instance nor a file is bad usage, quoted masked.
    expect(tui.code).toBe(2);
    expect(tui.stderr).toContain("'mysql+pymysql://nova:***@db.example/nova_api' is neither an instance UUID");
  });

  it("commander's own errors quote the argument masked", async () => {
    const unknown = await run(['scan', `--bogus=${URL}`]);
    expectNoPassword(unknown);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("nova-doctor: unknown option '--bogus=mysql+pymysql://nova:***@db.example/nova_api'\n");
    const since = await run(['scan', '--since', URL]);
    expectNoPassword(since);
    expect(since.stderr).toMatch(
      /^nova-doctor: --since 'mysql\+pymysql:\/\/nova:\*\*\*@db\.example\/nova_api' is not a time/,
    );
  });
});

describe('an unencoded @ or / in the password (real binary)', () => {
  it('--api-db is refused, saying how to write it, without naming part of the password as the host', async () => {
    for (const url of [
      URL,
      `mysql+pymysql://nova:${PASSWORD}@db.example:3306/nova_api`,
      `mysql+pymysql://no/va:${PASSWORD}@db.example/nova_api`,
    ]) {
      const r = await run(['trace', '--api-db', url, '--all']);
      expectNoPassword(r);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain("is ambiguous: an '@' in the password or after the host");
      expect(r.stderr).toContain("('@' as %40, '/' as %2F)");
    }
  });

  it('in nova.conf, with a $ in it too: the error names the file and line, not the password', async () => {
    const conf = join(dir, 'nova.conf');
    await writeFile(conf, `[api_database]\nconnection = mysql+pymysql://nova:${PASSWORD}$x@db.example/nova_api\n`);
    const r = await run(['trace', '--config', conf, '--all']);
    expectNoPassword(r);
    expect(r.out).not.toContain('$x');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `nova-doctor: ${conf}:2: a '$' reference in the value is not set in the config files; if the '$' is part of a password, write it as '$$'\n`,
    );
    await writeFile(conf, `[api_database]\nconnection = mysql+pymysql://nova:${PASSWORD}@db.example/nova_api\n`);
    const r2 = await run(['trace', '--config', conf, '--all']);
    expectNoPassword(r2);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(
      /^nova-doctor: nova_api database \(\[api_database\] connection in .*nova\.conf:2\): where the password ends in mysql\+pymysql:\/\/nova:\*\*\*@db\.example\/nova_api is ambiguous/,
    );
  });
});

describe('one rule for parsing and masking', () => {
  const pwChars = fc.constantFrom(...'ab1@/:#?%$;\'" &=+!\\'.split(''));
  it('property: a URL is either refused or read with the very password every mask hides', () => {
    fc.assert(
      fc.property(
        fc.array(pwChars, { minLength: 3, maxLength: 12 }).map((a) => a.join('')),
        (pw) => {
          fc.pre(pw.trim() === pw);
          const url = `mysql+pymysql://nova:${pw}@db.example:3306/nova_api?charset=utf8`;
          let parsed: string | null = null;
          try {
            parsed = parseDbUrl(url).password;
          } catch (e) {
            // The only refusal, and it shows the URL as maskUrl does (checked below).
            expect((e as Error).message).toBe(
              `database URL: where the password ends in ${maskUrl(url)} is ambiguous: an '@' in the password or after the host, or a '/' in the user name, must be percent-encoded ('@' as %40, '/' as %2F)`,
            );
          }
          if (parsed !== null) expect(parsed).toBe(pyUnquote(pw));
          const masks = [maskUrl(url), maskArgv(['--config', url])[1]];
          // In free text a URL ends at a space: a password with a space after an '@' cannot be told from what
          // follows it (and such a URL is refused above).
          if (!/@.* /.test(pw)) {
            masks.push(maskSecrets(`x ${url}: y`), terminalSafe(`${url}\n`));
            masks.push(JSON.parse(jsonSafe(JSON.stringify({ file: url }))).file);
          }
          for (const m of masks) {
            expect(m).toContain('nova:***@db.example:3306/nova_api');
            // (A password that is also part of the masked URL itself, such as '://', proves nothing either way.)
            if (pw.length > 2 && !'mysql+pymysql://nova:***@db.example:3306/nova_api?charset=utf8'.includes(pw))
              expect(m).not.toContain(pw);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('masks URLs in JSON without leaving a string, and the JSON stays valid', () => {
    const value = { a: `see ${URL}`, b: 'other@x', c: `mysql://u:p"q@h/db`, d: ['password=1', '?password=2&x'] };
    const out = JSON.parse(jsonSafe(JSON.stringify(value))) as typeof value;
    expect(out).toEqual({
      a: 'see mysql+pymysql://nova:***@db.example/nova_api',
      b: 'other@x',
      c: 'mysql://u:***@h/db',
      d: ['password=1', '?password=***&x'],
    });
  });
});
