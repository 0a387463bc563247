// What bin/nova-doctor.js runs: the process set up for the command line, then main(). The launcher itself only
// launches; everything that depends on the arguments is here or below.

/**
 * Runs the command line and sets the process's exit code; never throws. `cmdline`: the process's command line as
 * typed, where it is not process.argv (the single executable's argv[1] is argv[0] again).
 */
export async function launch(argv: string[], cmdline?: readonly string[]): Promise<void> {
  // https://no-color.org: chalk (ink's colours) reads FORCE_COLOR but not NO_COLOR, once, when it is first
  // imported (by anything, the masking below included). So this comes first.
  if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0';
  // A password in `--api-db URL` is world-readable in /proc/PID/cmdline: masked before anything else runs.
  const { scrubArgvSecrets } = await import('../doctor/startup.js');
  scrubArgvSecrets(cmdline);
  // React's development build makes the TUI's first frame ~3x slower and records marks on every render. (Through
  // `env`: the single executable's bundle defines process.env.NODE_ENV as a constant, and esbuild warns of an
  // assignment to it.)
  const env = process.env;
  env.NODE_ENV ??= 'production';
  try {
    const { main } = await import('./main.js');
    process.exitCode = await main(argv);
  } catch (err) {
    const { ExitCode } = await import('../errors.js');
    process.stderr.write(`nova-doctor: internal error: ${(err as Error)?.stack ?? err}\n`);
    process.exitCode = ExitCode.internal;
  }
}
