// Exit codes are a contract with scripts: documented in --help and the README, never renumbered.
export const ExitCode = {
  /** Ran to the end; nothing affected found, or every requested change was made. */
  ok: 0,
  /** Affected instances found (scan, trace), or a dry run has changes pending (repair, undo). */
  found: 1,
  /** Bad usage or bad input: arguments, config file, journal. Nothing was changed. */
  usage: 2,
  /** Partial: some input was skipped (unreadable file, unreachable cell); results may be incomplete. */
  partial: 3,
  /** A database could not be reached or is not nova's. Nothing was changed. */
  database: 4,
  /** Repair or undo left some instances unchanged: conflict, skipped (task in progress) or failed. */
  incomplete: 5,
  /** A bug in nova-doctor. */
  internal: 70,
  /** Interrupted (ctrl-c). */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const exitCodeHelp = `Exit codes:
  0    ran to the end: nothing affected found, or every requested change was made
  1    affected instances found (scan, trace) or changes pending in a dry run (repair, undo)
  2    bad usage or bad input (arguments, config, journal); nothing changed
  3    partial: some input skipped (unreadable file, unreachable cell)
  4    a database could not be reached or is not nova's; nothing changed
  5    repair/undo left instances unchanged (conflict, task in progress, failure)
  70   internal error (a bug: please report it)
  130  interrupted`;
