import { describe, expect, it } from 'vitest';
import { EXIT_INTERRUPTED, runTui } from '../../src/tui/index.js';
import { staleView } from './data.js';
import { FakeDoctor } from './fake-doctor.js';
import { FakeStdin, FakeStdout, KEY, tick } from './harness.js';

function streams(tty: boolean) {
  const stdout = new FakeStdout(100, 24);
  stdout.isTTY = tty;
  const stderr = new FakeStdout(100, 24);
  const stdin = new FakeStdin();
  return {
    stdin,
    stdout,
    opts: {
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stderr: stderr as unknown as NodeJS.WriteStream,
      patchConsole: false,
    },
  };
}

async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !predicate(); i += 1) await tick(10);
}

/** Mounted and listening. Not read from frames: with CI set, ink writes none until it exits. */
async function mounted(doctor: FakeDoctor, stdin: FakeStdin): Promise<void> {
  await until(() => doctor.startCalls === 1 && stdin.rawMode.includes(true));
  await tick(50);
}

describe('runTui', () => {
  it('resolves 0 on q, and gives raw mode back', async () => {
    const s = streams(false);
    const doctor = new FakeDoctor({ views: [staleView(1)] });
    const done = runTui(doctor, s.opts);
    await mounted(doctor, s.stdin);
    s.stdin.write('q');
    await expect(done).resolves.toBe(0);
    expect(s.stdin.rawMode[0]).toBe(true);
    expect(s.stdin.rawMode.at(-1)).toBe(false);
    expect(doctor.startSignal?.aborted).toBe(true);
    expect(doctor.closed).toBe(false); // the caller owns the doctor
  });

  it('resolves 130 on Ctrl-C from inside a dialog', async () => {
    const s = streams(false);
    const doctor = new FakeDoctor({ views: [staleView(1)] });
    const done = runTui(doctor, s.opts);
    await mounted(doctor, s.stdin);
    s.stdin.write('/');
    await tick();
    s.stdin.write(KEY.ctrlC);
    await expect(done).resolves.toBe(EXIT_INTERRUPTED);
    expect(s.stdin.rawMode.at(-1)).toBe(false);
  });

  it('uses the alternate screen on a terminal and always leaves it', async () => {
    const s = streams(true);
    const doctor = new FakeDoctor({ views: [staleView(1)] });
    const done = runTui(doctor, s.opts);
    await mounted(doctor, s.stdin);
    expect(s.stdout.frames[0]).toBe('\u001b[?1049h');
    s.stdin.write(KEY.ctrlC);
    await done;
    expect(s.stdout.frames.at(-1)).toBe('\u001b[?1049l');
    expect(process.listenerCount('exit')).toBeLessThan(20);
  });
});
