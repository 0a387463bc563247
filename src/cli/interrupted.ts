// What `repair --apply` says when a signal stopped it: what was done, where the journal is, and the exact commands
// to check it and to go on. Database options are repeated only where they hold no secret (--config,
// --config-dir); a URL given with --api-db/--cell-db is not printed (it may carry a password).
import type { DbFlags } from './options.js';

/** Single-quote for a POSIX shell when needed. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

function dbArgs(flags: DbFlags): string {
  const args: string[] = [];
  for (const c of flags.config ?? []) args.push('--config', shellQuote(c));
  for (const d of flags.configDir ?? []) args.push('--config-dir', shellQuote(d));
  if (flags.apiDb) args.push('--api-db', "'<the same URL>'");
  for (const _ of flags.cellDb ?? []) args.push('--cell-db', "'<the same URL>'");
  return args.length > 0 ? ` ${args.join(' ')}` : '';
}

/** The command that checks (and with --apply finishes) what the journal leaves half done. */
export function resumeCommand(journalPath: string, flags: DbFlags): string {
  return `nova-doctor repair --resume --journal ${shellQuote(journalPath)}${dbArgs(flags)}`;
}

/** The lines for stderr after an interrupted repair: counts gathered from its results as they streamed by. */
export function interruptedReport(
  signal: string,
  counts: { repaired: number; notTried: number },
  /** The journal, when a change set ran (whatever came of it). */
  journalPath: string | null,
  flags: DbFlags,
): string {
  const { repaired, notTried } = counts;
  const lines = [
    `nova-doctor: interrupted by ${signal}: the instance(s) in progress were finished, no new one was started.`,
    `nova-doctor: ${repaired} repaired, ${notTried} not tried (their rows are unchanged).`,
  ];
  if (journalPath) {
    lines.push(
      `nova-doctor: journal: ${journalPath}`,
      `nova-doctor: nothing is left half done; to check (and finish anything that is): ${resumeCommand(journalPath, flags)} --apply`,
      `nova-doctor: to undo what was done: nova-doctor undo --journal ${shellQuote(journalPath)}${dbArgs(flags)} --apply`,
    );
  } else lines.push('nova-doctor: nothing was written.');
  if (notTried > 0) lines.push('nova-doctor: to repair the rest, run the same repair again (it plans afresh).');
  return `${lines.join('\n')}\n`;
}
