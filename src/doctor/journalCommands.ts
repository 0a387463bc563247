// The commands printed after a repair (undo it, resume it), reaching the same databases the repair did. Kept apart
// from flow.ts so that what prints them (an interrupted repair's report, loaded by every command) does not load
// the repair engine and the database driver with them: a scan would pay ~0.2 s of CPU for modules it never uses.
import { maskCellDbArg, maskUrl } from '../db/dbUrl.js';
import type { DbOptions } from '../db/types.js';

/** A word for a POSIX shell: as it is when it has nothing the shell would read, else single-quoted. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The undo command for a journal, with the database options the repair ran with, so that in a clean shell it reaches
 * the same databases. A URL given with --api-db/--cell-db, or taken from NOVA_DOCTOR_API_DB, is shown as --api-db
 * with its password masked (passwords are never printed): the operator puts it back. A `--cell-db NAME=URL` keeps
 * its NAME=; only the URL is masked.
 */
export function undoCommand(db: DbOptions | null, journalPath: string): string {
  return journalCommand(['undo'], db, journalPath);
}

/** `nova-doctor repair --resume` for a journal, reaching the same databases (as undoCommand does). */
export function resumeCommand(db: DbOptions | null, journalPath: string): string {
  return journalCommand(['repair', '--resume'], db, journalPath);
}

function journalCommand(command: string[], db: DbOptions | null, journalPath: string): string {
  return ['nova-doctor', ...command, ...databaseWords(db), '--journal', shellWord(journalPath), '--apply'].join(' ');
}

/**
 * The database options of a command line that reaches these databases (shell-quoted, passwords masked), for any
 * command the doctor prints for the operator to run.
 */
export function databaseWords(db: DbOptions | null): string[] {
  if (!db) return [];
  const words: string[] = [];
  for (const f of db.configFiles) words.push('--config', shellWord(f));
  for (const d of db.configDirs) words.push('--config-dir', shellWord(d));
  // Whether it came from --api-db or the environment: printed, so the command does not depend on the shell's
  // environment (a NOVA_DOCTOR_API_DB set there is ignored whenever --config is given, and may name another cloud).
  if (db.apiDbUrl) words.push('--api-db', shellWord(maskUrl(db.apiDbUrl)));
  for (const u of db.cellDbUrls) words.push('--cell-db', shellWord(maskCellDbArg(u)));
  return words;
}
