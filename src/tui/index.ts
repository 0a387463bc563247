// The TUI's face to the rest of the program: mount it over a DoctorApi, get an exit code back.
import { render } from 'ink';
import { createElement } from 'react';
import type { DoctorApi } from '../doctor/types.js';
import { ExitCode } from '../errors.js';
import { App } from './components/App.js';
import { inkOutputReport, installIncrementalOutput } from './inkOutput.js';

export { App, type AppProps } from './components/App.js';
export { EXIT_INTERRUPTED } from './hooks/useAppInput.js';
export { Command, KEYMAP, type KeyBinding, keymapMarkdown } from './keymap.js';
export { sanitize } from './sanitize.js';

export interface TuiOptions {
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  /** Route console.* around the frame (default true); tests whose console is not Node's turn it off. */
  patchConsole?: boolean;
}

// The alternate screen keeps the operator's scrollback as it was once the TUI is gone.
const ENTER_ALT_SCREEN = '\u001b[?1049h';
const LEAVE_ALT_SCREEN = '\u001b[?1049l';

/**
 * Runs the TUI until the user quits; resolves the exit code (0 for q, 130 for Ctrl-C). The caller
 * owns `api` and closes it afterwards. Needs a terminal on stdin (raw mode) and stdout.
 */
export async function runTui(api: DoctorApi, opts: TuiOptions = {}): Promise<number> {
  const stdout = opts.stdout ?? process.stdout;
  const stdin = opts.stdin ?? process.stdin;
  let code: number = ExitCode.ok;
  // Each frame's text made again only where it changed (inkOutput.ts): most of what a key cost at 100k rows.
  await installIncrementalOutput();
  const altScreen = stdout.isTTY === true;
  const leave = () => {
    stdout.write(LEAVE_ALT_SCREEN);
  };
  if (altScreen) {
    stdout.write(ENTER_ALT_SCREEN);
    // If the process ends some other way (a signal, an uncaught error), still give the screen back.
    process.once('exit', leave);
  }
  const instance = render(
    createElement(App, {
      api,
      onExit: (c: number) => {
        code = c;
      },
    }),
    {
      stdin,
      stdout,
      stderr: opts.stderr ?? process.stderr,
      exitOnCtrlC: false,
      patchConsole: opts.patchConsole ?? true,
    },
  );
  try {
    await instance.waitUntilExit();
  } finally {
    instance.cleanup();
    if (altScreen) {
      process.off('exit', leave);
      leave();
    }
    // A diagnostic for the single executable's test (test/sea), whose bundle must give ink the faster Output.get.
    if (process.env.NOVA_DOCTOR_SEA_DEBUG === 'ink-output')
      (opts.stderr ?? process.stderr).write(`nova-doctor: ${inkOutputReport()}\n`);
  }
  return code;
}
