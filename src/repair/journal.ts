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
// Version 2 (this one) names the cloud in its header (cloudIdentity.ts: database names and server identities of
// nova_api and the cells) and every row in full: database and its name, table, row id, the instance the row
// belongs to, key or column, with a sha256 over all of that and the values. Version 1 journals (no cloud, only
// values hashed) are still read: each change set there recorded its databases' names and host:port, and every
// row of a change set belongs to its instance, so the same checks apply (see README, Safety).
//
// Version 3 keeps a request spec's change as the edits made to its text (offset, old and new text, applied in
// order: `spans`) with the sha256 of the whole text before and after, instead of both texts (~10 KB an instance
// at scale). Undo and resume read the row's current text and rebuild the other from the edits; the hashes say
// which one the row holds and that the rebuilt text is byte for byte the one the repair read (hydrateSpans).
//
// The file is 0600 in a 0700 directory; journalFiles.ts refuses files and directories others could write.
// Nothing about connections is written except database names and server identities: never a password.
import { createHash } from 'node:crypto';
import { constants, type FileHandle, open } from 'node:fs/promises';
import { homedir, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Operation } from 'fast-json-patch';
import { DoctorError } from '../errors.js';
import type { CellRef } from '../nova/snapshot.js';
import type { CloudIdentity } from './cloudIdentity.js';
import { checkNewJournal, openTrustedJournal, prepareJournalDirectory } from './journalFiles.js';
import { applySpans, revertSpans, type SpecSpan } from './specEdit.js';

export const JOURNAL_VERSION = 3;
/** What this build reads: 1 (before cloud identity), 2 (whole spec texts) and 3 (spec edits). */
export const READABLE_JOURNAL_VERSIONS: readonly number[] = [1, 2, 3];

export type TableName = 'request_specs' | 'instance_system_metadata' | 'instances' | 'block_device_mapping';

/** A column value as journaled: strings and NULL only (every column we touch or re-insert is text or a number as text). */
export type JournalValue = string | null;

/** One row change with the exact values compared against and written. */
export interface JournalChange {
  database: 'api' | 'cell';
  /** The database's name (v2; filled in from the change set's databases when reading v1). */
  schema?: string | null;
  table: TableName;
  rowId: number;
  /** The instance the row belongs to (v2; the change set's instance when reading v1): checked under the row lock. */
  instanceUuid?: string;
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
  /** v2: sha256 of the whole change (identity, values and row, see changeDigest): an edited field shows. */
  sha256?: string;
  /**
   * v3, request_specs updates: the edits from before to after. The journal then holds no `before`/`after` (only
   * their sha256); hydrateSpans fills them in from the row when the journal is read back.
   */
  spans?: SpecSpan[];
}

/** Which server and schema a change set touched (no credentials). */
export interface DatabaseIdentity {
  schema: string | null;
  server: string | null;
}

export type ChangeSetKind = 'repair' | 'undo' | 'resume-rollback';

export type JournalState = 'intent' | 'api-committed' | 'cell-committed' | 'done' | 'rolled-back';

export type JournalRecord =
  | {
      type: 'header';
      version: number;
      tool: 'nova-doctor';
      createdAt: string;
      hostname: string;
      pid: number;
      /** v2: the cloud the journal was written for. */
      cloud?: CloudIdentity;
    }
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

/** sha256 over every field of a change that says which row it is and what it writes. */
export function changeDigest(c: JournalChange): string {
  // A change kept as edits: the edits and the hashes of both texts stand for the texts.
  const values: unknown[] = c.spans
    ? [c.beforeSha256, c.afterSha256, c.spans.map((s) => [s.at, s.old, s.new])]
    : [c.before, c.after];
  const row = c.row
    ? Object.keys(c.row)
        .sort()
        .map((k) => [k, c.row![k] ?? null])
    : null;
  const fields = [
    c.database,
    c.schema ?? null,
    c.table,
    c.rowId,
    c.instanceUuid ?? null,
    c.column,
    c.key ?? null,
    c.action,
    ...values,
    row,
  ];
  return createHash('sha256').update(JSON.stringify(fields), 'utf8').digest('hex');
}

/** The change with its whole-change sha256 (written into v2 intents). */
export function sealChange(c: JournalChange): JournalChange {
  const { sha256: _old, ...rest } = c;
  return { ...rest, sha256: changeDigest(rest) };
}

/** A change as the journal keeps it: a request spec's texts as their edits (v3), everything else as it is. */
export function journalForm(c: JournalChange): JournalChange {
  if (!c.spans) return c;
  const { before: _before, after: _after, ...rest } = c;
  return rest as JournalChange;
}

/** Is this change kept as edits, its texts not read back yet (hydrateSpans)? */
export function needsHydration(c: JournalChange): boolean {
  return c.spans !== undefined && (c.before === undefined || c.after === undefined);
}

/**
 * Fill in a change kept as edits from the text its row holds now: whichever of the two texts it is (by sha256),
 * the other is rebuilt from the edits and must hash to what the journal says. A row that holds neither (changed
 * since, or gone) keeps `current` as what it was found to hold: its change then reads as a conflict.
 */
export function hydrateSpans(c: JournalChange, current: string | null): void {
  if (!needsHydration(c)) return;
  const spans = c.spans!;
  const hash = sha256(current);
  let before: string | null = null;
  let after: string | null = null;
  try {
    if (current !== null && hash === c.afterSha256) {
      after = current;
      before = revertSpans(current, spans);
    } else if (current !== null && hash === c.beforeSha256) {
      before = current;
      after = applySpans(current, spans);
    }
  } catch {
    before = after = null;
  }
  if (before !== null && after !== null && sha256(before) === c.beforeSha256 && sha256(after) === c.afterSha256) {
    c.before = before;
    c.after = after;
    return;
  }
  // Neither text: nothing can be compared-and-swapped against it. Values no row can hold (`before` and
  // `after` differ from `current`) make every check report the row as changed, with what it holds now.
  c.before = UNKNOWN_TEXT;
  c.after = UNKNOWN_TEXT;
}

/** Stands for a spec text that the row no longer holds and the journal keeps only the edits of. */
export const UNKNOWN_TEXT = '\u0000nova-doctor: the text is not in the row any more\u0000';

/** Where a journal goes when the operator names none: $XDG_STATE_HOME/nova-doctor/, else ~/.local/state/nova-doctor/. */
export function defaultJournalPath(now: Date = new Date()): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return join(base, 'nova-doctor', `repair-${stamp}-${process.pid}.jsonl`);
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

  /** Create a new journal (refuses an existing file: one journal per run). `cloud`: what it is written for. */
  static async create(path: string, options: { cloud?: CloudIdentity } = {}): Promise<Journal> {
    await prepareJournalDirectory(dirname(path));
    let fh: FileHandle;
    try {
      fh = await open(
        path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND | constants.O_NOFOLLOW,
        0o600,
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new DoctorError(`journal ${path} already exists`, {
          where: 'journal',
          hint: 'name a new file, or use undo/resume on this one',
        });
      }
      throw new DoctorError(`cannot create journal ${path}: ${(err as Error).message}`, { where: 'journal' });
    }
    const journal = new Journal(path, fh);
    try {
      await fh.chmod(0o600); // in case the umask was unusual
      await checkNewJournal(path, fh);
      await journal.append({
        type: 'header',
        version: JOURNAL_VERSION,
        tool: 'nova-doctor',
        createdAt: new Date().toISOString(),
        hostname: hostname(),
        pid: process.pid,
        ...(options.cloud ? { cloud: options.cloud } : {}),
      });
    } catch (err) {
      await fh.close().catch(() => undefined); // a full disk must not also leak the descriptor
      if (err instanceof DoctorError) throw err;
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
    return new Journal(path, await openTrustedJournal(path, 'append'));
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

/** Where each record was in the file (1-based line), for reports. */
const lineOf = new WeakMap<object, number>();

/** A journal as read: its header and records (a torn last line dropped). */
export interface LoadedJournal {
  path: string;
  version: number;
  header: Extract<JournalRecord, { type: 'header' }>;
  records: JournalRecord[];
}

/** Read a journal (after journalFiles' checks on who could have written it). */
export async function loadJournal(path: string): Promise<LoadedJournal> {
  const fh = await openTrustedJournal(path, 'read');
  let text: string;
  try {
    text = await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
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
    lineOf.set(record, i + 1);
    records.push(record);
  }
  const header = records[0];
  if (header?.type !== 'header' || header.tool !== 'nova-doctor') {
    throw new DoctorError('not a nova-doctor journal (no header line)', { where: path });
  }
  if (!READABLE_JOURNAL_VERSIONS.includes(header.version)) {
    throw new DoctorError(
      `journal version ${header.version} is not supported (this nova-doctor reads ${READABLE_JOURNAL_VERSIONS.join(' and ')})`,
      { where: path },
    );
  }
  return { path, version: header.version, header, records };
}

/** Read and check every record. A torn last line (crash mid-write) is dropped; damage elsewhere is an error. */
export async function readJournal(path: string): Promise<JournalRecord[]> {
  return (await loadJournal(path)).records;
}

const TABLES: ReadonlySet<string> = new Set([
  'request_specs',
  'instance_system_metadata',
  'instances',
  'block_device_mapping',
]);

type Intent = Extract<JournalRecord, { type: 'intent' }>;

/**
 * Why an intent record cannot be trusted (edited, or not what nova-doctor writes), or null. Changes written
 * without their v2 identity (version 1) get it from the change set: its instance and its databases' names.
 */
function checkIntent(intent: Intent, version: number): string | null {
  if (typeof intent.uuid !== 'string' || !Array.isArray(intent.changes)) return 'not a change set';
  for (const [n, c] of intent.changes.entries()) {
    const what = `change ${n + 1}`;
    if (!c || typeof c !== 'object') return `${what} is not a change`;
    if (c.database !== 'api' && c.database !== 'cell') return `${what}: database ${String(c.database)}`;
    if (!TABLES.has(c.table)) return `${what}: table ${String(c.table)} is not one a repair changes`;
    if (!Number.isSafeInteger(c.rowId) || c.rowId < 1) return `${what}: row id ${String(c.rowId)}`;
    if (c.database === 'cell' && !intent.cell) return `${what}: a cell row without a cell`;
    if (c.spans !== undefined) {
      if (version < 3) return `${what}: edits in a version ${version} journal`;
      if (c.table !== 'request_specs' || c.action !== 'update') return `${what}: edits of ${c.table}`;
      if (
        !Array.isArray(c.spans) ||
        !c.spans.every(
          (s) => s && Number.isSafeInteger(s.at) && s.at >= 0 && typeof s.old === 'string' && typeof s.new === 'string',
        )
      )
        return `${what}: its edits are not edits`;
      if (typeof c.beforeSha256 !== 'string' || typeof c.afterSha256 !== 'string')
        return `${what}: edits without the sha256 of the texts`;
      if (c.before !== undefined || c.after !== undefined) return `${what}: both edits and texts`;
    } else if (c.beforeSha256 !== sha256(c.before) || c.afterSha256 !== sha256(c.after)) {
      return `${what}: a value does not match its sha256`;
    }
    if (c.sha256 === undefined) {
      if (version >= 2) return `${what} has no sha256 over its row identity`;
      // Version 1: what the change set recorded for every one of its rows.
      c.instanceUuid ??= intent.uuid;
      c.schema ??= (c.database === 'api' ? intent.databases?.api?.schema : intent.databases?.cell?.schema) ?? null;
    } else if (c.sha256 !== changeDigest(c)) {
      return `${what} (${c.table} id ${c.rowId}) does not match its sha256`;
    }
    if (c.instanceUuid !== intent.uuid)
      return `${what} names instance ${String(c.instanceUuid)}, the change set ${intent.uuid}`;
    if (c.row) {
      const value = c.action === 'delete' ? c.before : c.after;
      if (
        String(c.row.id) !== String(c.rowId) ||
        c.row.instance_uuid !== c.instanceUuid ||
        (c.key !== undefined && c.row.key !== c.key) ||
        c.row.value !== value
      ) {
        return `${what}: its row (id ${String(c.row.id)}) is not the row the change names`;
      }
    }
  }
  return null;
}

/** One change set as the journal tells it. */
export interface ChangeSetHistory {
  intent: Intent;
  state: JournalState;
  verified: boolean | null;
  reason: string | null;
  /** The intent's line in the file. */
  line: number | null;
  /** Set when the intent cannot be trusted (edited by hand, …): it is reported and never written. */
  damage: string | null;
}

export function changeSets(records: readonly JournalRecord[]): ChangeSetHistory[] {
  const header = records[0];
  const version = header?.type === 'header' ? header.version : JOURNAL_VERSION;
  const byId = new Map<string, ChangeSetHistory>();
  for (const r of records) {
    if (r.type === 'intent') {
      const line = lineOf.get(r) ?? null;
      const problem = checkIntent(r, version);
      const damage = problem === null ? null : `journal line ${line ?? '?'} cannot be trusted (${problem})`;
      byId.set(r.id, { intent: r, state: 'intent', verified: null, reason: null, line, damage });
    } else if (r.type === 'state') {
      const h = byId.get(r.id);
      if (!h) continue;
      h.state = r.state;
      if (r.verified !== undefined) h.verified = r.verified;
      if (r.reason !== undefined) h.reason = r.reason;
    }
  }
  return [...byId.values()];
}
