// The contract with the operator and with scripts, below both faces: the exit codes (one table, from which --help
// and the README's table are made) and the one error type every layer throws for things the operator can fix.
// Anything else that is thrown is our bug (exit 70).

/** Exit codes are a contract with scripts: documented in --help and the README, never renumbered. */
export const EXIT_CODES = [
  {
    name: 'ok',
    code: 0,
    meaning: 'ran to the end: nothing affected found, or every planned change was made (or there was nothing to do)',
  },
  {
    name: 'found',
    code: 1,
    meaning:
      'affected instances found (scan, trace), or changes pending: a dry run, or a confirmation declined (repair, undo)',
  },
  {
    name: 'usage',
    code: 2,
    meaning:
      'bad usage or bad input (command, arguments, option values, config, journal, nothing to read); nothing changed',
  },
  { name: 'partial', code: 3, meaning: 'partial: some input skipped (unreadable file, unreachable cell)' },
  { name: 'database', code: 4, meaning: "a database could not be reached or is not nova's; nothing changed" },
  {
    name: 'incomplete',
    code: 5,
    meaning: 'a planned change was not made (conflict, task in progress, failure)',
  },
  { name: 'internal', code: 70, meaning: 'internal error (a bug: please report it)' },
  { name: 'interrupted', code: 130, meaning: 'interrupted (Ctrl-C)' },
] as const;

export type ExitCodeName = (typeof EXIT_CODES)[number]['name'];

export const ExitCode = Object.fromEntries(EXIT_CODES.map((e) => [e.name, e.code])) as {
  readonly [K in ExitCodeName]: Extract<(typeof EXIT_CODES)[number], { name: K }>['code'];
};

export type ExitCodeValue = (typeof EXIT_CODES)[number]['code'];

/**
 * One run with several outcomes exits with the strongest (strongestExit), in this order: a bug (70), an interrupt
 * (130), bad usage (2) and an unreachable database (4) (both said before any work), then of what a run that went to
 * its end found: a planned change not made (5), some input skipped (3: a log file or part of one, an unreachable
 * cell), affected instances or changes pending (1), nothing (0). So a partial run that found stale instances is 3,
 * and a repair that could not make a change is 5 whatever else was skipped.
 */
export const EXIT_PRECEDENCE: readonly ExitCodeValue[] = [70, 130, 2, 4, 5, 3, 1, 0];

/** The strongest of the outcomes given (EXIT_PRECEDENCE); a false or null outcome did not happen; none: 0. */
export function strongestExit(...outcomes: (ExitCodeValue | false | null | undefined)[]): ExitCodeValue {
  const happened = outcomes.filter((c): c is ExitCodeValue => c !== false && c !== null && c !== undefined);
  return EXIT_PRECEDENCE.find((c) => happened.includes(c)) ?? ExitCode.ok;
}

/** The exit codes as --help shows them. */
export function exitCodeHelp(): string {
  return ['Exit codes:', ...EXIT_CODES.map((e) => `  ${String(e.code).padEnd(4)} ${e.meaning}`)].join('\n');
}

/** The exit codes as the README's table (test/cli/readme.test.ts checks the README holds exactly this). */
export function exitCodeMarkdown(): string {
  return ['| code | meaning |', '|---|---|', ...EXIT_CODES.map((e) => `| ${e.code} | ${e.meaning} |`)].join('\n');
}

/** Bad input, unreachable database, refused operation: one line saying what, where, and what to try. */
export class DoctorError extends Error {
  override readonly name = 'DoctorError';
  readonly exitCode: ExitCodeValue;
  constructor(
    message: string,
    /** journal: the repair journal the error leaves work in (its message says how to go on). */
    readonly options: { where?: string; hint?: string; exitCode?: ExitCodeValue; journal?: string } = {},
  ) {
    super(message);
    this.exitCode = options.exitCode ?? ExitCode.usage;
  }

  /** The single line shown to the operator. */
  oneLine(): string {
    const where = this.options.where ? `${this.options.where}: ` : '';
    const hint = this.options.hint ? ` (${this.options.hint})` : '';
    return `${where}${this.message}${hint}`.replace(/\s*\n\s*/g, ' ');
  }
}

/** A usage mistake: exit 2, nothing done. */
export function usageError(message: string, hint?: string): DoctorError {
  return new DoctorError(message, { hint, exitCode: ExitCode.usage });
}

export function isDoctorError(err: unknown): err is DoctorError {
  return err instanceof DoctorError;
}
