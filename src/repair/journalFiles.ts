// Who could have written a journal? Undo and resume write whatever a journal says (under compare-and-swap), so a
// journal someone else can edit, or put in our place, is refused, for reading and for writing alike. The rule is
// ssh's for its keys (misc.c safe_path): the file and every directory up to / must be owned by the running user
// or root and writable by no one else. One difference, thought through: an ancestor that is world-writable but
// sticky and owned by root or us (/tmp) is allowed. The sticky bit keeps others from renaming or deleting what
// they do not own there, and the next directory down must be ours anyway, so nobody can swap it. The journal's
// own directory gets no such allowance: others could still add files next to it.

import type { Stats } from 'node:fs';
import { constants, type FileHandle, mkdir, open, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DoctorError, ExitCode } from '../errors.js';

const STICKY = 0o1000;

function runningUid(): number | null {
  return typeof process.getuid === 'function' ? process.getuid() : null;
}

function refuse(message: string, hint?: string): never {
  throw new DoctorError(message, { where: 'journal', exitCode: ExitCode.usage, ...(hint ? { hint } : {}) });
}

function mode(st: Stats): string {
  return (st.mode & 0o7777).toString(8).padStart(4, '0');
}

function writableBy(st: Stats): string | null {
  if (st.mode & 0o002) return 'world-writable';
  if (st.mode & 0o020) return 'group-writable';
  return null;
}

const HINT =
  'someone else could replace or edit the journal: use a directory only you can write, e.g. ~/.local/state/nova-doctor';

/** Owner and modes of one directory of the journal's path (`own`: the directory the journal is in). */
function checkDirectory(path: string, st: Stats, own: boolean): void {
  if (!st.isDirectory()) refuse(`${path} is not a directory`);
  const uid = runningUid();
  if (uid !== null && st.uid !== uid && st.uid !== 0) {
    refuse(`journal directory ${path} is owned by uid ${st.uid}, not by you (uid ${uid}) or root`, HINT);
  }
  const writable = writableBy(st);
  if (!writable) return;
  if (own) refuse(`journal directory ${path} is ${writable} (mode ${mode(st)})`, HINT);
  if (!(st.mode & STICKY)) refuse(`directory ${path} on the journal's path is ${writable} (mode ${mode(st)})`, HINT);
}

/** Every directory from `dir` up to /, after resolving symlinks (as ssh does: the real directories count). */
async function checkDirectoryChain(dir: string, journalDir = true): Promise<void> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (err) {
    refuse(`journal directory ${dir}: ${(err as Error).message}`);
  }
  for (let d = real, own = journalDir; ; own = false) {
    checkDirectory(d, await stat(d), own);
    const up = dirname(d);
    if (up === d) return;
    d = up;
  }
}

/** The journal file itself, as opened: a regular file, ours (or root's), writable by no one else. */
function checkFile(path: string, st: Stats): void {
  if (!st.isFile()) refuse(`journal ${path} is not a regular file`);
  const uid = runningUid();
  if (uid !== null && st.uid !== uid && st.uid !== 0) {
    refuse(`journal ${path} is owned by uid ${st.uid}, not by you (uid ${uid}) or root`, HINT);
  }
  const writable = writableBy(st);
  if (writable) {
    refuse(
      `journal ${path} is writable by others (${writable}, mode ${mode(st)})`,
      'someone else could have edited it; check it, then chmod 600',
    );
  }
}

/**
 * Open an existing journal for reading or appending after checking who could have written it. The checks on the
 * file are made on the opened descriptor (no symlink followed), so the file checked is the file read.
 */
export async function openTrustedJournal(path: string, flags: 'read' | 'append'): Promise<FileHandle> {
  let fh: FileHandle;
  const how = (flags === 'read' ? constants.O_RDONLY : constants.O_WRONLY | constants.O_APPEND) | constants.O_NOFOLLOW;
  try {
    fh = await open(path, how);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') refuse(`journal ${path} not found`);
    if (code === 'ELOOP') refuse(`journal ${path} is not a regular file (a symlink)`);
    refuse(`cannot open journal ${path}: ${(err as Error).message}`);
  }
  try {
    checkFile(path, await fh.stat());
    await checkDirectoryChain(dirname(path));
    return fh;
  } catch (err) {
    await fh.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Make sure a new journal's directory exists (created 0700) and that it and every directory above it are safe.
 * Directories that already exist are checked before anything is created inside them.
 */
export async function prepareJournalDirectory(dir: string): Promise<void> {
  let existing = dir;
  for (;;) {
    try {
      await stat(existing);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const up = dirname(existing);
      if (up === existing) break;
      existing = up;
    }
  }
  if (existing !== dir) {
    await checkDirectoryChain(existing, false).catch((err: unknown) => {
      if (err instanceof DoctorError) {
        throw new DoctorError(`cannot create the journal's directory ${dir}: ${err.message}`, err.options);
      }
      throw err;
    });
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
  await checkDirectoryChain(dir);
}

/** The checks a freshly created journal must pass too (an odd umask, a filesystem that ignores modes). */
export async function checkNewJournal(path: string, fh: FileHandle): Promise<void> {
  checkFile(path, await fh.stat());
}
