// Entry point: parse arguments, run one command, map errors to one line and an exit code.
import { Command, CommanderError } from 'commander';
import { userFacing } from '../doctor/errors.js';
import { ExitCode, exitCodeHelp } from '../errors.js';
import { COMMAND_NAMES, registerCommands } from './commands.js';
import { splitTargets } from './options.js';
import { guardStream } from './output/guard.js';

/** `nova-doctor scan | head` closes our stdout early: that is the reader's choice, not an error. */
function quietOnClosedPipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

/** The TUI form (the hidden default command) in the top-level --help, with its options as commander lists them. */
function tuiHelp(program: Command): string {
  const tui = program.commands.find((c) => c.name() === 'tui');
  if (!tui) return '';
  const width = Math.max(...tui.options.map((o) => o.flags.length));
  const options = tui.options.map((o) => `  ${o.flags.padEnd(width)}  ${o.description}`);
  return [
    'Without a command, in a terminal: the interactive TUI (elsewhere a summary and the commands to run):',
    `  nova-doctor [options] [logs...]`,
    '',
    'TUI options:',
    ...options,
    '',
    'Examples:',
    '  nova-doctor demo                                                    # the TUI on a built-in demo cloud',
    '  nova-doctor --config /etc/nova/nova.conf /var/log/nova/nova-scheduler.log',
    '  nova-doctor --config /etc/nova/nova.conf --all --read-only',
    '',
    'Each command has --help with examples: nova-doctor repair --help',
  ].join('\n');
}

/**
 * A test-only hook for the exit-code table's internal-error row: NOVA_DOCTOR_FAULT_INTERNAL=<command> makes that
 * command throw as a bug would. Off unless set.
 */
function injectedBug(command: Command): void {
  if (process.env.NOVA_DOCTOR_FAULT_INTERNAL === command.name())
    throw new TypeError(`injected internal error in '${command.name()}' (NOVA_DOCTOR_FAULT_INTERNAL)`);
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipe();
  guardStream(process.stderr); // every message, commander's too: escaped, passwords masked
  const program = new Command('nova-doctor')
    .description(
      'Find and repair stale Xen image metadata that makes nova answer "No valid host was found" on resize and cold migration.',
    )
    .usage('[options] [command] | [logs...]')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(`nova-doctor: ${s.replace(/^error: /, '')}`),
    })
    .hook('preAction', (_program, command) => injectedBug(command));

  let exitCode: number = ExitCode.ok;
  registerCommands(program, (code) => {
    exitCode = code;
  });
  program.addHelpText('after', `\n${tuiHelp(program)}\n\n${exitCodeHelp()}\n`);
  for (const c of program.commands) c.exitOverride();

  try {
    // A first word that is no command goes to the TUI form as a log: unless it is a file, it is a misspelt
    // command (or a misspelt log), refused here before commander reads it as either.
    const first = argv[0];
    if (first !== undefined && !first.startsWith('-') && !(COMMAND_NAMES as readonly string[]).includes(first))
      splitTargets([first], COMMAND_NAMES);
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
