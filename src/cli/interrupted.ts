// What `repair --apply` says when a signal stopped it: what was done, where the journal is, and the exact commands
// to check it and to go on, with the database options the repair ran with (the doctor's resumeCommand and
// undoCommand: a URL's password is masked).
import type { DbOptions } from '../db/types.js';
import { resumeCommand, undoCommand } from '../doctor/flow.js';
import type { ApplyResult } from '../repair/types.js';

/** The lines for stderr after an interrupted repair (results as applyPlans returned them). */
export function interruptedReport(
  signal: string,
  results: readonly ApplyResult[],
  journalPath: string | null,
  db: DbOptions | null,
): string {
  const repaired = results.filter((r) => r.status === 'repaired').length;
  // Tried means a change set ran (it has an id, whatever came of it); planned and without one: never started.
  const notTried = results.filter((r) => r.plan.status === 'planned' && r.changeSetId === undefined).length;
  const lines = [
    `nova-doctor: interrupted by ${signal}: the instance(s) in progress were finished, no new one was started.`,
    `nova-doctor: ${repaired} repaired, ${notTried} not tried (their rows are unchanged).`,
  ];
  if (journalPath && results.some((r) => r.changeSetId !== undefined)) {
    lines.push(
      `nova-doctor: journal: ${journalPath}`,
      `nova-doctor: nothing is left half done; to check (and finish anything that is): ${resumeCommand(db, journalPath)}`,
      `nova-doctor: to undo what was done: ${undoCommand(db, journalPath)}`,
    );
  } else lines.push('nova-doctor: nothing was written.');
  if (notTried > 0) lines.push('nova-doctor: to repair the rest, run the same repair again (it plans afresh).');
  return `${lines.join('\n')}\n`;
}
