// https://no-color.org: NO_COLOR set means no colours, in the TUI too (chalk, under ink, reads only FORCE_COLOR).
// The real binary in a real terminal (tmux), its screen captured with the escape sequences kept.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hasTmux, startTmux, type TmuxSession } from '../e2e/tmux.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'nova-doctor.js');
const LOG = join(ROOT, 'test', 'fixtures', 'nova', 'logs', 'scheduler-zed.log');
/** SGR colour parameters: 30-37, 38;…, 90-97 (foreground) and their backgrounds. */
const COLOUR = /\u001b\[[0-9;]*(?:3[0-8]|9[0-7]|4[0-8]|10[0-7])(?:;[0-9;]*)?m/;

let session: TmuxSession | null = null;
afterEach(() => {
  session?.kill();
  session = null;
});

async function screenWithEscapes(env: Record<string, string>): Promise<string> {
  session = startTmux(`node ${BIN} --read-only ${LOG}`, { cwd: ROOT, env });
  await session.waitFor(/^ready/m, 60_000);
  return execFileSync('tmux', ['capture-pane', '-e', '-p', '-t', session.name], { encoding: 'utf8' });
}

describe.skipIf(!hasTmux())('NO_COLOR', () => {
  it('the TUI draws in colour by default, and without any colour under NO_COLOR', async () => {
    expect(await screenWithEscapes({})).toMatch(COLOUR);
    session?.kill();
    const plain = await screenWithEscapes({ NO_COLOR: '1' });
    expect(plain).toContain('16 instances');
    expect(plain).not.toMatch(COLOUR);
  }, 120_000);
});
