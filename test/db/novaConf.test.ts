// nova.conf parsing against answers computed by oslo.config itself with every nova option registered
// (test/db/fixtures/gen_oracle.py).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbError } from '../../src/db/errors.js';
import { API_DATABASE_CONNECTION, DATABASE_CONNECTION, loadNovaConf, parseConfText } from '../../src/db/novaConf.js';
import oracle from './fixtures/oracle.json' with { type: 'json' };

interface ConfCase {
  name: string;
  files: { name: string; text: string }[];
  dirs: { name: string; files: { name: string; text: string }[] }[];
  error?: string;
  database?: string | null | { error: string };
  api_database?: string | null | { error: string };
}

// Cases where nova-doctor answers differently from nova on purpose: nova fills `$state_path` from a registered
// default that nova-doctor cannot know, so it refuses with a clear error instead of guessing.
const REFUSED = new Set(['registered default not in the files']);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nova-doctor-conf-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function materialise(c: ConfCase, i: number): Promise<{ files: string[]; dirs: string[] }> {
  const dir = join(root, String(i));
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const f of c.files) {
    await writeFile(join(dir, f.name), f.text);
    files.push(join(dir, f.name));
  }
  const dirs: string[] = [];
  for (const d of c.dirs) {
    await mkdir(join(dir, d.name));
    for (const f of d.files) await writeFile(join(dir, d.name, f.name), f.text);
    dirs.push(join(dir, d.name));
  }
  return { files, dirs };
}

describe('nova.conf like oslo.config', () => {
  (oracle.conf as ConfCase[]).forEach((c, i) => {
    it(c.name, async () => {
      const { files, dirs } = await materialise(c, i);
      if (c.error) {
        await expect(loadNovaConf(files, dirs)).rejects.toThrow(DbError);
        await expect(loadNovaConf(files, dirs)).rejects.toThrow(/:\d+: /); // file:line
        return;
      }
      const conf = await loadNovaConf(files, dirs);
      for (const [group, names] of [
        ['database', DATABASE_CONNECTION],
        ['api_database', API_DATABASE_CONNECTION],
      ] as const) {
        const expected = c[group];
        const read = () => conf.get(names)?.value ?? null;
        if (REFUSED.has(c.name) && typeof expected === 'string') {
          expect(read).toThrow(/is not set in the config files/);
        } else if (expected !== null && typeof expected === 'object') {
          expect(read).toThrow(DbError);
        } else {
          expect(read()).toBe(expected ?? null);
        }
      }
    });
  });

  it('says where the winning value is written', async () => {
    const conf = await loadNovaConf([], []);
    expect(conf.get(API_DATABASE_CONNECTION)).toBeNull();
    const parsed = parseConfText('[DEFAULT]\n\n[api_database]\n# c\nconnection = x://y\n', '/etc/nova/nova.conf');
    expect(parsed.sections.get('api_database')?.get('connection')).toEqual([
      { value: 'x://y', file: '/etc/nova/nova.conf', line: 5 },
    ]);
  });

  it('names the file and line of a syntax error and never echoes the line when it may hold a password', () => {
    expect(() => parseConfText('[api_database]\n  stray\n', 'a.conf')).toThrow(
      'a.conf:2: Unexpected continuation line',
    );
    expect(() => parseConfText('connection = mysql://u:secret@h/d\n', 'b.conf')).toThrow(
      'b.conf:1: Section must be started before assignment',
    );
    try {
      parseConfText('connection = mysql://u:secret@h/d\n', 'b.conf');
    } catch (e) {
      expect(String(e)).not.toContain('secret');
    }
  });

  it('an unset $variable is an error naming file and line, with the $$ hint', async () => {
    const dir = join(root, 'unset');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'nova.conf'), '[api_database]\nconnection = mysql://nova:pa$word@db/nova_api\n');
    const conf = await loadNovaConf([join(dir, 'nova.conf')]);
    // '$word' is most likely part of the password: not quoted.
    expect(() => conf.get(API_DATABASE_CONNECTION)).toThrow(
      `${join(dir, 'nova.conf')}:2: a '$' reference in the value is not set in the config files`,
    );
    expect(() => conf.get(API_DATABASE_CONNECTION)).not.toThrow(/\$word/);
    expect(() => conf.get(API_DATABASE_CONNECTION)).toThrow(/write it as '\$\$'/);
  });

  it('a self-referencing variable is an error, not a hang', async () => {
    const dir = join(root, 'loop');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'nova.conf'), '[DEFAULT]\na = $b\nb = $a\n[api_database]\nconnection = $a\n');
    const conf = await loadNovaConf([join(dir, 'nova.conf')]);
    expect(() => conf.get(API_DATABASE_CONNECTION)).toThrow(/refers to itself/);
  });

  it('missing file and missing dir are one-line errors', async () => {
    await expect(loadNovaConf([join(root, 'nope.conf')])).rejects.toThrow(
      /nope\.conf: cannot read config: file not found$/,
    );
    await expect(loadNovaConf([], [join(root, 'nodir')])).rejects.toThrow(/nodir: cannot read config dir: not found$/);
    await expect(loadNovaConf([root])).rejects.toThrow(/is a directory/);
  });
});
