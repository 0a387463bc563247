// What `repair --apply` says when a signal stopped it: what was done, where the journal is, and the exact commands
// to check it and to go on, with the database options the repair ran with (the doctor's resumeCommand and
// undoCommand: a URL's password is masked).
import type { DbOptions } from '../db/types.js';
import { resumeCommand, undoCommand } from '../doctor/journalCommands.js';

/** The lines for stderr after an interrupted repair: counts gathered from its results as they streamed by. */
export function interruptedReport(
  signal: string,
  counts: { repaired: number; notTried: number },
  /** The journal, when a change set ran (whatever came of it). */
  journalPath: string | null,
  db: DbOptions | null,
): string {
  const { repaired, notTried } = counts;
  const lines = [
    `nova-doctor: interrupted by ${signal}: the instance(s) in progress were finished, no new one was started.`,
    `nova-doctor: ${repaired} repaired, ${notTried} not tried (their rows are unchanged).`,
  ];
  if (journalPath) {
    lines.push(
      `nova-doctor: journal: ${journalPath}`,
      `nova-doctor: nothing is left half done; to check (and finish anything that is): ${resumeCommand(db, journalPath)}`,
      `nova-doctor: to undo what was done: ${undoCommand(db, journalPath)}`,
    );
  } else lines.push('nova-doctor: nothing was written.');
  if (notTried > 0) lines.push('nova-doctor: to repair the rest, run the same repair again (it plans afresh).');
  return `${lines.join('\n')}\n`;
}
