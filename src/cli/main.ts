// Entry point: parse arguments, run one command, map errors to one line and an exit code.
import { Command, CommanderError } from 'commander';
import { userFacing } from '../doctor/errors.js';
import { registerCommands } from './commands.js';
import { ExitCode, exitCodeHelp } from './exitCodes.js';
import { guardStream } from './output/guard.js';

/** `nova-doctor scan | head` closes our stdout early: that is the reader's choice, not an error. */
function quietOnClosedPipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipe();
  guardStream(process.stderr); // every message, commander's too: escaped, passwords masked
  const program = new Command('nova-doctor')
    .description(
      'Find and repair stale Xen image metadata that makes nova answer "No valid host was found" on resize and cold migration.',
    )
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(`nova-doctor: ${s.replace(/^error: /, '')}`),
    })
    .addHelpText('after', `\n${exitCodeHelp}\n`);

  let exitCode: number = ExitCode.ok;
  registerCommands(program, (code) => {
    exitCode = code;
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const known = userFacing(err);
    if (known) {
      process.stderr.write(`nova-doctor: ${known.line}\n`);
      return known.exitCode;
    }
    throw err;
  }
}
