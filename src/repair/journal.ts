// The repair journal: JSON lines, one record per step, synced to disk before every COMMIT it describes.
//
// A change set (one instance's repair, or its undo) goes through these states:
//   intent          written before any COMMIT: every row with its before/after value and sha256
//   api-committed   the nova_api transaction committed (or had nothing to do)
//   cell-committed  the cell database transaction committed (or had nothing to do)
//   done            re-read and verified (verified: false says the re-check failed; the rows are committed)
//   rolled-back     nothing of it is committed (conflict, task in progress, …) or resume undid it
// After a crash the last state says what may be committed; resume then asks the databases themselves, because
// a crash between a COMMIT and its record leaves the journal one step behind.
//
// The file is 0600 in a 0700 directory; a world-writable directory is refused (anyone could swap the file).
// Nothing about connections is written except schema name, server host name and port: never a password.
import { createHash } from 'node:crypto';
import { constants, type FileHandle, lstat, mkdir, open, readFile, stat } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Operation } from 'fast-json-patch';
import { DoctorError } from '../errors.js';
import type { CellRef } from '../nova/snapshot.js';

export const JOURNAL_VERSION = 1;

export type TableName = 'request_specs' | 'instance_system_metadata' | 'instances' | 'block_device_mapping';

/** A column value as journaled: strings and NULL only (every column we touch or re-insert is text or a number as text). */
export type JournalValue = string | null;

/** One row change with the exact values compared against and written. */
export interface JournalChange {
  database: 'api' | 'cell';
  table: TableName;
  rowId: number;
  /** The column changed; for whole-row actions the column the row is recognised by (instance_system_metadata: value). */
  column: string;
  key?: string;
  /** update: column before → after. delete: the row (with `row`) goes. insert: the row (with `row`) comes back. */
  action: 'update' | 'delete' | 'insert';
  before: JournalValue;
  after: JournalValue;
  beforeSha256: string | null;
  afterSha256: string | null;
  /** Every column of the row, for delete and insert: what undo puts back, byte for byte. */
  row?: Record<string, JournalValue>;
}

/** Which server and schema a change set touched (no credentials). */
export interface DatabaseIdentity {
  schema: string | null;
  server: string | null;
}

export type ChangeSetKind = 'repair' | 'undo' | 'resume-rollback';

export type JournalState = 'intent' | 'api-committed' | 'cell-committed' | 'done' | 'rolled-back';

export type JournalRecord =
  | { type: 'header'; version: number; tool: 'nova-doctor'; createdAt: string; hostname: string; pid: number }
  | {
      type: 'intent';
      id: string;
      kind: ChangeSetKind;
      /** For undo/rollback: the change set this one reverses. */
      reverses?: string;
      uuid: string;
      cell: CellRef | null;
      at: string;
      databases: { api: DatabaseIdentity; cell: DatabaseIdentity | null };
      requestSpecPatch?: Operation[];
      changes: JournalChange[];
    }
  | {
      type: 'state';
      id: string;
      uuid: string;
      state: Exclude<JournalState, 'intent'>;
      at: string;
      reason?: string;
      verified?: boolean;
    };

export function sha256(value: string | null): string | null {
  return value === null ? null : createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Where a journal goes when the operator names none: $XDG_STATE_HOME/nova-doctor/, else ~/.local/state/nova-doctor/. */
export function defaultJournalPath(now: Date = new Date()): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return join(base, 'nova-doctor', `repair-${stamp}-${process.pid}.jsonl`);
}

async function secureDirectory(dir: string): Promise<void> {
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new DoctorError(`${dir} is not a directory`, { where: 'journal' });
    if (st.mode & 0o002) {
      throw new DoctorError(`journal directory ${dir} is world-writable`, {
        where: 'journal',
        hint: 'put the journal in a private directory, e.g. --journal ~/.local/state/nova-doctor/repair.jsonl',
      });
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
}

/**
 * An open journal. Every append resolves only once its record is written and synced (fdatasync: the data and
 * the file size, all a reader needs). Appends that arrive while a sync is running are written and synced
 * together by the next one (group commit), so concurrent repairs share the cost.
 */
export class Journal {
  private queue: { line: string; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private flushing: Promise<void> | null = null;
  private laterError: unknown = null;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  /** Create a new journal (refuses an existing file: one journal per run). */
  static async create(path: string): Promise<Journal> {
    await secureDirectory(dirname(path));
    let fh: FileHandle;
    try {
      fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new DoctorError(`journal ${path} already exists`, {
          where: 'journal',
          hint: 'name a new file, or use undo/resume on this one',
        });
      }
      throw new DoctorError(`cannot create journal ${path}: ${(err as Error).message}`, { where: 'journal' });
    }
    await fh.chmod(0o600); // in case the umask was unusual
    const journal = new Journal(path, fh);
    try {
      await journal.append({
        type: 'header',
        version: JOURNAL_VERSION,
        tool: 'nova-doctor',
        createdAt: new Date().toISOString(),
        hostname: hostname(),
        pid: process.pid,
      });
    } catch (err) {
      await fh.close().catch(() => undefined); // a full disk must not also leak the descriptor
      throw new DoctorError(`cannot write journal ${path}: ${(err as Error).message}`, { where: 'journal' });
    }
    // The directory entry must survive a crash too.
    const dir = await open(dirname(path), constants.O_RDONLY);
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return journal;
  }

  /** Open an existing journal to append undo/resume records. */
  static async openForAppend(path: string): Promise<Journal> {
    await checkJournalFile(path);
    const fh = await open(path, constants.O_WRONLY | constants.O_APPEND);
    return new Journal(path, fh);
  }

  append(record: JournalRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.flushing ??= this.flush();
    });
  }

  /**
   * Append a record that no COMMIT waits for (a state reached after the last COMMIT of a change set): it is
   * written and synced like any other, but the caller goes on at once. drain() waits for it and reports a
   * failure. A crash before it is synced leaves the journal one state behind, which resume reads from the rows.
   */
  appendLater(record: JournalRecord): void {
    this.append(record).catch((err: unknown) => {
      this.laterError ??= err;
    });
  }

  /** Wait until everything appended so far is on disk; throws if a record could not be written. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.laterError !== null) {
      const err = this.laterError;
      this.laterError = null;
      throw new DoctorError(`could not write the journal ${this.path}: ${(err as Error).message}`, {
        where: 'journal',
      });
    }
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0);
      try {
        // A full disk can take part of a write: loop until every byte is down, and on failure cut the file back so
        // no torn line is left for the next record to run into (it would make the journal unreadable).
        const data = Buffer.from(batch.map((b) => b.line).join(''), 'utf8');
        const start = (await this.fh.stat()).size;
        try {
          for (let off = 0; off < data.length; ) {
            const { bytesWritten } = await this.fh.write(data, off, data.length - off);
            if (bytesWritten <= 0) throw new Error('the journal write made no progress (disk full?)');
            off += bytesWritten;
          }
          await this.fh.datasync();
        } catch (err) {
          await this.fh.truncate(start).catch(() => undefined);
          throw err;
        }
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.flushing = null;
  }

  async close(): Promise<void> {
    try {
      await this.drain();
    } finally {
      await this.fh.close();
    }
  }
}

async function checkJournalFile(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    throw new DoctorError(`journal ${path} not found`, { where: 'journal' });
  }
  if (!st.isFile()) throw new DoctorError(`journal ${path} is not a regular file`, { where: 'journal' });
  if (st.mode & 0o022) {
    throw new DoctorError(`journal ${path} is writable by others (mode ${(st.mode & 0o777).toString(8)})`, {
      where: 'journal',
      hint: 'someone else could have edited it; check it, then chmod 600',
    });
  }
  const dirMode = (await stat(dirname(path))).mode;
  if (dirMode & 0o002)
    throw new DoctorError(`journal directory ${dirname(path)} is world-writable`, { where: 'journal' });
}

/** Read and check every record. A torn last line (crash mid-write) is dropped; damage elsewhere is an error. */
export async function readJournal(path: string): Promise<JournalRecord[]> {
  await checkJournalFile(path);
  const text = await readFile(path, 'utf8');
  const lines = text.split('\n');
  const records: JournalRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    let record: JournalRecord;
    try {
      record = JSON.parse(line) as JournalRecord;
    } catch {
      if (i === lines.length - 1) break; // torn final write
      throw new DoctorError(`line ${i + 1} is not JSON`, { where: path });
    }
    if (!record || typeof record !== 'object' || !('type' in record)) {
      throw new DoctorError(`line ${i + 1} is not a journal record`, { where: path });
    }
    records.push(record);
  }
  const header = records[0];
  if (header?.type !== 'header' || header.tool !== 'nova-doctor') {
    throw new DoctorError('not a nova-doctor journal (no header line)', { where: path });
  }
  if (header.version !== JOURNAL_VERSION) {
    throw new DoctorError(`journal version ${header.version} is not supported (expected ${JOURNAL_VERSION})`, {
      where: path,
    });
  }
  for (const r of records) {
    if (r.type === 'intent') {
      for (const c of r.changes) {
        if (c.beforeSha256 !== sha256(c.before) || c.afterSha256 !== sha256(c.after)) {
          throw new DoctorError(`change set ${r.id}: a value does not match its sha256 (the journal was edited)`, {
            where: path,
          });
        }
      }
    }
  }
  return records;
}

/** One change set as the journal tells it. */
export interface ChangeSetHistory {
  intent: Extract<JournalRecord, { type: 'intent' }>;
  state: JournalState;
  verified: boolean | null;
  reason: string | null;
}

export function changeSets(records: readonly JournalRecord[]): ChangeSetHistory[] {
  const byId = new Map<string, ChangeSetHistory>();
  for (const r of records) {
    if (r.type === 'intent') byId.set(r.id, { intent: r, state: 'intent', verified: null, reason: null });
    else if (r.type === 'state') {
      const h = byId.get(r.id);
      if (!h) continue;
      h.state = r.state;
      if (r.verified !== undefined) h.verified = r.verified;
      if (r.reason !== undefined) h.reason = r.reason;
    }
  }
  return [...byId.values()];
}
