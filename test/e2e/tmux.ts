// Drives the real binary in a real terminal: tmux send-keys in, capture-pane out.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface TmuxSession {
  name: string;
  send(...keys: string[]): void;
  type(text: string): void;
  screen(): string;
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  exitStatus(timeoutMs?: number): Promise<number>;
  kill(): void;
  /** Sends a signal to the command's processes (the children of the pane's shell). */
  signal(name: string): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `command` in a detached tmux session of the given size. The pane stays after the command ends
 * (remain-on-exit) so its last screen and exit status can be read.
 */
export function startTmux(
  command: string,
  options: { cwd: string; env?: Record<string, string>; width?: number; height?: number },
): TmuxSession {
  const name = `nd-${randomBytes(4).toString('hex')}`;
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, TERM: 'xterm-256color' };
  delete env.CI;
  delete env.TMUX;
  const tmux = (...args: string[]) => execFileSync('tmux', args, { env, encoding: 'utf8' });
  tmux(
    'new-session',
    '-d',
    '-s',
    name,
    '-x',
    String(options.width ?? 140),
    '-y',
    String(options.height ?? 40),
    '-c',
    options.cwd,
  );
  tmux('set-option', '-t', name, 'remain-on-exit', 'on');
  // The shell writes the command's exit status to a file: tmux's own pane_dead_status is not reliable for 0.
  const statusFile = join(tmpdir(), `${name}.status`);
  // The pane's environment is the tmux server's, and the server may be another test's, started with another env:
  // what this session sets goes to its pane explicitly.
  const paneEnv = Object.entries({ ...options.env, TERM: 'xterm-256color' }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  tmux('respawn-pane', '-k', '-t', name, '-c', options.cwd, ...paneEnv, `${command}; echo $? > ${statusFile}`);

  const session: TmuxSession = {
    name,
    send: (...keys) => {
      tmux('send-keys', '-t', name, ...keys);
    },
    type: (text) => {
      tmux('send-keys', '-t', name, '-l', text);
    },
    screen: () => tmux('capture-pane', '-p', '-t', name),
    async waitFor(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        last = session.screen();
        if (typeof pattern === 'string' ? last.includes(pattern) : pattern.test(last)) return last;
        await sleep(100);
      }
      throw new Error(`timed out waiting for ${pattern} in tmux ${name}; screen was:\n${last}`);
    },
    async exitStatus(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (existsSync(statusFile)) {
          const text = readFileSync(statusFile, 'utf8').trim();
          if (text) {
            rmSync(statusFile, { force: true });
            return Number(text);
          }
        }
        await sleep(100);
      }
      throw new Error(`tmux ${name}: command did not exit; screen was:\n${session.screen()}`);
    },
    signal: (sig) => {
      const pane = tmux('display-message', '-p', '-t', name, '#{pane_pid}').trim();
      execFileSync('pkill', [`-${sig}`, '-P', pane]);
    },
    kill: () => {
      try {
        tmux('kill-session', '-t', name);
      } catch {
        // already gone
      }
    },
  };
  return session;
}
