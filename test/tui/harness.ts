// Renders an ink tree into fake streams with a settable terminal size, like ink-testing-library
// (whose stdout has no `rows`, which the list's window is computed from).
import { EventEmitter } from 'node:events';
import { stripVTControlCharacters } from 'node:util';
import { render } from 'ink';
import type { ReactElement } from 'react';
import { installIncrementalOutput } from '../../src/tui/inkOutput.js';

// The frames these tests read are made as the program makes them (inkOutput.test.ts compares that with ink's own).
await installIncrementalOutput();

export class FakeStdout extends EventEmitter {
  isTTY = false;
  frames: string[] = [];
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string): boolean => {
    this.frames.push(frame);
    return true;
  };
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

export class FakeStdin extends EventEmitter {
  isTTY = true;
  rawMode: boolean[] = [];
  private data: string | null = null;
  write = (data: string): void => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  read = (): string | null => {
    const { data } = this;
    this.data = null;
    return data;
  };
  setEncoding(): void {}
  setRawMode(on: boolean): void {
    this.rawMode.push(on);
  }
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

export const KEY = {
  enter: '\r',
  esc: '\u001b',
  tab: '\t',
  shiftTab: '\u001b[Z',
  up: '\u001b[A',
  down: '\u001b[B',
  pageDown: '\u001b[6~',
  backspace: '\u007f',
  ctrlC: '\u0003',
  space: ' ',
} as const;

export function tick(ms = 20): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface Rendered {
  stdin: FakeStdin;
  stdout: FakeStdout;
  /** The latest frame without colours. */
  frame(): string;
  /** Writes keys one event at a time, letting each render before the next (see settle). */
  press(...keys: string[]): Promise<void>;
  /** Types text as one chunk (a paste or a fast typist). */
  type(text: string): Promise<void>;
  waitFor(predicate: (frame: string) => boolean, what?: string, timeoutMs?: number): Promise<string>;
  unmount(): void;
  exited: Promise<unknown>;
}

export function renderTui(tree: ReactElement, size: { columns?: number; rows?: number } = {}): Rendered {
  const stdout = new FakeStdout(size.columns ?? 100, size.rows ?? 24);
  const stderr = new FakeStdout(100, 24);
  const stdin = new FakeStdin();
  const instance = render(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  const frame = () => stripVTControlCharacters(stdout.frames.at(-1) ?? '');
  // React schedules renders rather than running them per key, and a loaded machine can take a
  // while: after a key, wait for a frame (or give up after a while: some keys change nothing),
  // then until frames stop coming.
  const settle = async () => {
    const before = stdout.frames.length;
    for (let waited = 0; stdout.frames.length === before && waited < 300; waited += 5) await tick(5);
    let seen = stdout.frames.length;
    for (;;) {
      await tick(15);
      if (stdout.frames.length === seen) return;
      seen = stdout.frames.length;
    }
  };
  return {
    stdin,
    stdout,
    frame,
    async press(...keys) {
      for (const k of keys) {
        stdin.write(k);
        await settle();
      }
    },
    async type(text) {
      stdin.write(text);
      await settle();
    },
    async waitFor(predicate, what = 'a matching frame', timeoutMs = 3000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const f = frame();
        if (predicate(f)) return f;
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last frame:\n${f}`);
        await tick(10);
      }
    },
    unmount() {
      instance.unmount();
      instance.cleanup();
    },
    exited: instance.waitUntilExit(),
  };
}
