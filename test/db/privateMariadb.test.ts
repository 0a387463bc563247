import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { startPrivateMariadb } from '../../src/db/privateMariadb.js';

describe('private MariaDB', () => {
  it('starts from the cached template, answers on its socket only, and leaves nothing behind', async () => {
    await startPrivateMariadb().then((s) => s.stop()); // make sure the template exists
    const t0 = performance.now();
    const server = await startPrivateMariadb();
    const startMs = performance.now() - t0;
    try {
      expect(startMs).toBeGreaterThan(0); // speed is measured in bench/, not asserted; printed for the record
      console.log(`private mariadbd ready in ${startMs.toFixed(0)} ms`);
      const c = await server.connect();
      const [rows] = await c.query('SELECT VERSION() AS v, @@port AS port, @@skip_networking AS noTcp');
      expect(rows).toEqual([{ v: expect.stringContaining('MariaDB'), port: 0, noTcp: 1 }]);
      await c.end();
      expect(server.url('nova_api')).toBe(
        `mysql+pymysql://root:@localhost:3306/nova_api?charset=utf8&unix_socket=${server.socketPath}`,
      );
    } finally {
      await server.stop();
    }
    expect(existsSync(server.baseDir)).toBe(false);
    expect(() => process.kill(server.pid, 0)).toThrow(); // the process is gone
    await server.stop(); // twice is fine
  });

  it('two servers run side by side', async () => {
    const [a, b] = await Promise.all([startPrivateMariadb(), startPrivateMariadb()]);
    try {
      expect(a.socketPath).not.toBe(b.socketPath);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('private MariaDB failures and cleanup', () => {
  it('without mariadbd, says how to get it', async () => {
    await expect(startPrivateMariadb({ searchPath: ['/nonexistent'] })).rejects.toThrow(
      /cannot start a private MariaDB: mariadbd not found; install MariaDB \(Debian\/Ubuntu: apt-get install mariadb-server\)/,
    );
  });

  it('a bad server option fails fast and quotes the error log', async () => {
    await expect(startPrivateMariadb({ extraArgs: ['--no-such-option-at-all'] })).rejects.toThrow(
      /mariadbd exited \(code \d+\) while starting: .*no-such-option-at-all/,
    );
  });

  it('the server dies with the process that started it, even on SIGKILL', async () => {
    // Run the module in a plain node child: transpile it next to node_modules so mysql2 resolves.
    const dir = join(process.cwd(), 'node_modules', '.cache', 'nova-doctor-test', `pm-${process.pid}`);
    await mkdir(dir, { recursive: true });
    for (const f of ['privateMariadb', 'errors']) {
      const src = await readFile(new URL(`../../src/db/${f}.ts`, import.meta.url), 'utf8');
      const js = ts.transpileModule(src, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      await writeFile(join(dir, `${f}.js`), js.outputText);
    }
    await writeFile(join(dir, 'package.json'), '{"type": "module"}');
    const script = `import { startPrivateMariadb } from './privateMariadb.js';
      const s = await startPrivateMariadb();
      process.stdout.write(JSON.stringify({ pid: s.pid, dir: s.baseDir }) + '\\n');
      setInterval(() => {}, 1000);`;
    await writeFile(join(dir, 'main.js'), script);
    const child = spawn(process.execPath, [join(dir, 'main.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(out);
        });
        child.on('exit', (code) => reject(new Error(`child exited ${code}`)));
      });
      const { pid, dir: baseDir } = JSON.parse(line) as { pid: number; dir: string };
      expect(() => process.kill(pid, 0)).not.toThrow();
      child.kill('SIGKILL');
      const gone = async () => {
        for (let i = 0; i < 100; i++) {
          try {
            process.kill(pid, 0);
          } catch {
            return true;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        return false;
      };
      expect(await gone()).toBe(true);
      for (let i = 0; i < 40 && existsSync(baseDir); i++) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(baseDir)).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
