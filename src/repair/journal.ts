// The repair journal: JSON lines, one record per step, synced to disk before every COMMIT it describes.
//
// A change set (one instance's repair, or its undo) goes through these states:
//   intent          written before any COMMIT: every row with its before/after value, sealed by sha256
//   api-committed   the nova_api transaction committed (or had nothing to do)
//   cell-committed  the cell database transaction committed (or had nothing to do)
//   done            re-read and verified (verified: false says the re-check failed; the rows are committed)
//   rolled-back     nothing of it is committed (conflict, task in progress, …) or resume undid it
// After a crash the last state says what may be committed; resume then asks the databases themselves, because
// a crash between a COMMIT and its record leaves the journal one step behind.
//
// Version 2 names the cloud in its header (cloudIdentity.ts: database names and server identities of
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
// Version 4 (written now) says what is common once instead of on every row: version 3 took ~6 KB an instance
// (bench/repair, 10k instances; 600 MB at 100k), ~470 B on each of ~11 row changes (database, schema, instance
// uuid and three sha256s repeated on every row); version 4 takes ~1.8 KB (10k and 50k). The cloud (both databases' names and servers) is in the header, as in version 3; a change
// set names its instance and its two databases' names once (`schemas`), and its rows grouped by action and table:
//   "rows": {"update": {"instances": [{"id": 20, "col": "vm_mode", "old": "xen", "new": "hvm"}, …],
//                       "instance_system_metadata": [{"id": 257, "key": "image_hypervisor_type", "col": "value", …}],
//                       "request_specs": [{"id": 36, "col": "spec", "oldSha256": …, "newSha256": …, "edits": […]}]},
//            "delete": {"instance_system_metadata": [{…, "old": …, "row": {every column}}]}}
// A row's database follows from its table (request_specs is nova_api's, the others the cell's) and its instance is
// the change set's; read back, every row is whole again (decodeIntentV4), so undo, resume and their checks see what
// they saw in version 3. One sha256 seals the change set (changeSetDigest): it is computed over every row's FULL
// identity and values (database, database name, table, id, instance, key, column, action, old and new value or
// the texts' sha256 and edits, the whole row of a delete) together with the header's cloud, the change set's id,
// kind and instance, so an edited id, value, key or name, a row moved between change sets, and a line copied in
// from another cloud's journal all show (a careless edit, not a forger, who can compute it again: the identity
// check under the row lock is what makes a forged line harmless, as before). Values are no longer hashed one by one (the change set's sha256 covers
// them); a request spec keeps the sha256 of both its texts, which stand for the texts (hydrateSpans). States name
// their change set by its id only, and the plan's RFC 6902 patch is not repeated (the edits are what was applied;
// `repair --json` prints the patch). Appending to an older journal (undo, resume) writes that journal's version.
// Nothing is checked less: every row is still named in full once read back, compared and swapped on its identity
// and value under the lock, and refused with the cloud before any write (journalCloud.ts).
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
import type { CloudIdentity, ServerIdentity } from './cloudIdentity.js';
import { checkNewJournal, openTrustedJournal, prepareJournalDirectory } from './journalFiles.js';
import { applySpans, revertSpans, type SpecSpan } from './specEdit.js';

export const JOURNAL_VERSION = 4;
/** What this build reads: 1 (before cloud identity), 2 (whole spec texts), 3 (spec edits), 4 (common parts once). */
export const READABLE_JOURNAL_VERSIONS: readonly number[] = [1, 2, 3, 4];
/** What it writes: 4 for a new journal, 3 when appending to a journal of version 1 to 3 (undo, resume). */
export type WritableJournalVersion = 3 | 4;

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
      /** v4: sha256 of the whole change set (changeSetDigest), set when read back. */
      sha256?: string;
    }
  | {
      type: 'state';
      id: string;
      /** The instance (v1–v3; a v4 state names its change set by id only). */
      uuid?: string;
      state: Exclude<JournalState, 'intent'>;
      at: string;
      reason?: string;
      verified?: boolean;
    };

export function sha256(value: string | null): string | null {
  return value === null ? null : createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Every field of a change that says which row it is and what it writes, in a fixed order (what is hashed). */
function changeFields(c: JournalChange): unknown[] {
  // A change kept as edits: the edits and the hashes of both texts stand for the texts.
  const values: unknown[] = c.spans
    ? [c.beforeSha256, c.afterSha256, c.spans.map((s) => [s.at, s.old, s.new])]
    : [c.before, c.after];
  const row = c.row
    ? Object.keys(c.row)
        .sort()
        .map((k) => [k, c.row![k] ?? null])
    : null;
  return [
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
}

/** sha256 over every field of a change that says which row it is and what it writes (v2, v3: one per change). */
export function changeDigest(c: JournalChange): string {
  return createHash('sha256')
    .update(JSON.stringify(changeFields(c)), 'utf8')
    .digest('hex');
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

// ---- version 4: what is common stated once (see the top of this file)

const TABLES: ReadonlySet<string> = new Set([
  'request_specs',
  'instance_system_metadata',
  'instances',
  'block_device_mapping',
]);

type Intent = Extract<JournalRecord, { type: 'intent' }>;
type Action = JournalChange['action'];

/** The database each table lives in: a v4 row's database follows from its table. */
const DATABASE_OF: Readonly<Record<TableName, 'api' | 'cell'>> = {
  request_specs: 'api',
  instance_system_metadata: 'cell',
  instances: 'cell',
  block_device_mapping: 'cell',
};

const ACTIONS: readonly Action[] = ['update', 'delete', 'insert'];

/** A v4 row as the file holds it: its table and action are the keys it is listed under. */
interface StoredRowV4 {
  id: number;
  key?: string;
  col: string;
  old?: JournalValue;
  new?: JournalValue;
  /** A request spec kept as its edits: the sha256 of both texts stand for them. */
  oldSha256?: string;
  newSha256?: string;
  edits?: SpecSpan[];
  row?: Record<string, JournalValue>;
}

type StoredRowsV4 = Partial<Record<Action, Partial<Record<TableName, StoredRowV4[]>>>>;

/** The sha256 a v4 change set is sealed with under this header (its cloud, as the file holds it). */
export function cloudSeal(cloud: CloudIdentity | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify(cloud ?? null), 'utf8')
    .digest('hex');
}

/**
 * v4: one sha256 over a whole change set: the header's cloud, the change set's id, kind, what it reverses, its
 * instance and cell, and every row's full identity and values in order (changeFields, as versions 2 and 3 hashed
 * each row), whatever the file leaves implicit.
 */
export function changeSetDigest(intent: Intent, seal: string): string {
  const fields = [
    'nova-doctor journal 4',
    seal,
    intent.id,
    intent.kind,
    intent.reverses ?? null,
    intent.uuid,
    intent.cell?.uuid ?? null,
    intent.changes.map(changeFields),
  ];
  return createHash('sha256').update(JSON.stringify(fields), 'utf8').digest('hex');
}

/** The changes in the order a v4 file lists them: by action, then table (each in order of first appearance). */
function v4Order(changes: readonly JournalChange[]): JournalChange[] {
  const groups = new Map<string, JournalChange[]>();
  for (const action of ACTIONS) {
    for (const c of changes) {
      if (c.action !== action) continue;
      const k = `${action} ${c.table}`;
      let list = groups.get(k);
      if (!list) groups.set(k, (list = []));
      list.push(c);
    }
  }
  return [...groups.values()].flat();
}

/** An intent as a v4 line holds it (the changes carry their full identity in memory: checked here). */
function encodeIntentV4(intent: Intent, seal: string): Record<string, unknown> {
  const schemas: { api: string | null; cell: string | null } = {
    api: intent.databases.api.schema,
    cell: intent.databases.cell?.schema ?? null,
  };
  const changes = v4Order(intent.changes).map((c) => ({
    ...c,
    schema: c.schema ?? schemas[c.database],
    instanceUuid: c.instanceUuid ?? intent.uuid,
  }));
  const rows: StoredRowsV4 = {};
  for (const c of changes) {
    // What the file leaves out must be what the reader puts back: never write a row it would read differently.
    if (DATABASE_OF[c.table] !== c.database || c.schema !== schemas[c.database] || c.instanceUuid !== intent.uuid) {
      throw new Error(`journal: ${c.table} id ${c.rowId} is not a row of the change set's databases and instance`);
    }
    const row: StoredRowV4 = { id: c.rowId, ...(c.key !== undefined ? { key: c.key } : {}), col: c.column };
    if (c.spans) {
      if (c.action !== 'update' || c.beforeSha256 === null || c.afterSha256 === null)
        throw new Error(`journal: edits of a ${c.action} of ${c.table}`);
      row.oldSha256 = c.beforeSha256;
      row.newSha256 = c.afterSha256;
      row.edits = c.spans.map((s) => ({ at: s.at, old: s.old, new: s.new }));
    } else {
      if (c.action !== 'insert') row.old = c.before;
      if (c.action !== 'delete') row.new = c.after;
    }
    if (c.row) row.row = c.row;
    const byTable = (rows[c.action] ??= {});
    (byTable[c.table] ??= []).push(row);
  }
  const sealed: Intent = { ...intent, changes };
  return {
    type: 'intent',
    id: intent.id,
    kind: intent.kind,
    ...(intent.reverses ? { reverses: intent.reverses } : {}),
    uuid: intent.uuid,
    cell: intent.cell,
    at: intent.at,
    schemas,
    rows,
    sha256: changeSetDigest(sealed, seal),
  };
}

/** Why a v4 intent line could not be read back into rows (structure only; checkIntent does the rest). */
const unreadable = new WeakMap<object, string>();

const isValue = (v: unknown): v is JournalValue => v === null || typeof v === 'string';
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One stored v4 row back as a whole change, or why it cannot be. */
function decodeRowV4(
  raw: unknown,
  action: Action,
  table: TableName,
  intent: { uuid: unknown },
  schemas: Record<string, unknown>,
): JournalChange | string {
  if (!isRecord(raw)) return 'a row that is not an object';
  const r = raw as Partial<StoredRowV4>;
  if (typeof r.id !== 'number') return 'a row without an id';
  if (typeof r.col !== 'string') return `${table} id ${r.id} without its column`;
  if (r.key !== undefined && typeof r.key !== 'string') return `${table} id ${r.id}: a key that is not text`;
  const database = DATABASE_OF[table];
  const schema = schemas[database];
  const change: JournalChange = {
    database,
    schema: typeof schema === 'string' ? schema : null,
    table,
    rowId: r.id,
    instanceUuid: typeof intent.uuid === 'string' ? intent.uuid : undefined,
    column: r.col,
    ...(r.key !== undefined ? { key: r.key } : {}),
    action,
    before: null,
    after: null,
    beforeSha256: null,
    afterSha256: null,
  };
  if (r.edits !== undefined) {
    if (r.old !== undefined || r.new !== undefined) return `${table} id ${r.id}: both edits and texts`;
    if (typeof r.oldSha256 !== 'string' || typeof r.newSha256 !== 'string')
      return `${table} id ${r.id}: edits without the sha256 of the texts`;
    if (!Array.isArray(r.edits)) return `${table} id ${r.id}: its edits are not edits`;
    delete (change as Partial<JournalChange>).before;
    delete (change as Partial<JournalChange>).after;
    change.beforeSha256 = r.oldSha256;
    change.afterSha256 = r.newSha256;
    change.spans = r.edits;
  } else {
    if (action !== 'insert' && !isValue(r.old)) return `${table} id ${r.id} without its old value`;
    if (action !== 'delete' && !isValue(r.new)) return `${table} id ${r.id} without its new value`;
    if ((action === 'insert' && r.old !== undefined) || (action === 'delete' && r.new !== undefined))
      return `${table} id ${r.id}: a value a ${action} does not have`;
    change.before = action === 'insert' ? null : (r.old as JournalValue);
    change.after = action === 'delete' ? null : (r.new as JournalValue);
    change.beforeSha256 = sha256(change.before);
    change.afterSha256 = sha256(change.after);
  }
  if (r.row !== undefined) {
    if (!isRecord(r.row) || !Object.values(r.row).every(isValue)) return `${table} id ${r.id}: a row that is not a row`;
    change.row = r.row as Record<string, JournalValue>;
  }
  return change;
}

/**
 * A v4 intent line back in the form every version reads into: each row whole (database from its table, database
 * name from the change set, instance from the change set). A line whose rows cannot be read gets no changes and a
 * reason (the change set is then damaged, never written); the sha256 is checked by checkIntent.
 */
export function decodeIntentV4(raw: Record<string, unknown>, cloud?: CloudIdentity): Intent {
  const schemas = isRecord(raw.schemas) ? raw.schemas : {};
  // The servers as the header names them (host:port, what versions 1–3 recorded in every change set).
  const cellUuid = isRecord(raw.cell) ? raw.cell.uuid : undefined;
  const at = (s: ServerIdentity | undefined) => (s?.hostname ? `${s.hostname}:${s.port}` : null);
  const servers = { api: at(cloud?.api.server), cell: at(cloud?.cells.find((c) => c.uuid === cellUuid)?.server) };
  const intent = {
    type: 'intent',
    id: raw.id,
    kind: raw.kind,
    ...(raw.reverses !== undefined ? { reverses: raw.reverses } : {}),
    uuid: raw.uuid,
    cell: raw.cell,
    at: raw.at,
    databases: {
      api: { schema: typeof schemas.api === 'string' ? schemas.api : null, server: servers.api },
      cell: { schema: typeof schemas.cell === 'string' ? schemas.cell : null, server: servers.cell },
    },
    changes: [] as JournalChange[],
    ...(raw.sha256 !== undefined ? { sha256: raw.sha256 } : {}),
  } as Intent;
  const problem = ((): string | null => {
    if (!isRecord(raw.schemas)) return 'no database names';
    if (!isRecord(raw.rows)) return 'no rows';
    for (const [action, tables] of Object.entries(raw.rows)) {
      if (!(ACTIONS as readonly string[]).includes(action)) return `rows under ${JSON.stringify(action)}`;
      if (!isRecord(tables)) return `rows to ${action} that are not listed by table`;
      for (const [table, list] of Object.entries(tables)) {
        if (!TABLES.has(table)) return `table ${JSON.stringify(table)} is not one a repair changes`;
        if (!Array.isArray(list)) return `${table} rows that are not a list`;
        for (const row of list) {
          const change = decodeRowV4(row, action as Action, table as TableName, intent, raw.schemas);
          if (typeof change === 'string') return change;
          intent.changes.push(change);
        }
      }
    }
    return null;
  })();
  if (problem !== null) {
    intent.changes = [];
    unreadable.set(intent, problem);
  }
  return intent;
}

/** A state as a v4 line holds it: the change set's id names it. */
function encodeStateV4(state: Extract<JournalRecord, { type: 'state' }>): Record<string, unknown> {
  const { uuid: _uuid, ...rest } = state;
  return rest;
}

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

  /** The sha256 of the header's cloud, which every v4 change set is sealed with. */
  private readonly seal: string;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    /** The version its records are written in: the header's (appending to an older journal writes its version). */
    readonly version: number,
    cloud: CloudIdentity | undefined,
  ) {
    this.seal = cloudSeal(cloud);
  }

  /**
   * Create a new journal (refuses an existing file: one journal per run). `cloud`: what it is written for.
   * `version`: 4 (the default); 3 only to test what older journals do.
   */
  static async create(
    path: string,
    options: { cloud?: CloudIdentity; version?: WritableJournalVersion } = {},
  ): Promise<Journal> {
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
    const version = options.version ?? JOURNAL_VERSION;
    // What the header holds is what the change sets are sealed with: the cloud as JSON writes it.
    const cloud = options.cloud ? (JSON.parse(JSON.stringify(options.cloud)) as CloudIdentity) : undefined;
    const journal = new Journal(path, fh, version, cloud);
    try {
      await fh.chmod(0o600); // in case the umask was unusual
      await checkNewJournal(path, fh);
      await journal.append({
        type: 'header',
        version,
        tool: 'nova-doctor',
        createdAt: new Date().toISOString(),
        hostname: hostname(),
        pid: process.pid,
        ...(cloud ? { cloud } : {}),
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

  /**
   * Open an existing journal to append undo/resume records, in its own version (`header`: as loadJournal read
   * it; read again when not given).
   */
  static async openForAppend(path: string, header?: LoadedJournal['header']): Promise<Journal> {
    const h = header ?? (await loadJournal(path)).header;
    return new Journal(path, await openTrustedJournal(path, 'append'), h.version, h.cloud);
  }

  /** A record as this journal's version writes it. */
  private encode(record: JournalRecord): unknown {
    if (record.type === 'intent') {
      if (this.version >= 4) return encodeIntentV4(record, this.seal);
      // Versions 1–3: every change sealed on its own, a request spec as its edits.
      return { ...record, changes: record.changes.map((c) => journalForm(sealChange(c))) };
    }
    if (record.type === 'state' && this.version >= 4) return encodeStateV4(record);
    return record;
  }

  append(record: JournalRecord): Promise<void> {
    let line: string;
    try {
      line = `${JSON.stringify(this.encode(record))}\n`;
    } catch (err) {
      return Promise.reject(err);
    }
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
    if (records.length === 0) {
      if (record.type !== 'header' || record.tool !== 'nova-doctor') {
        throw new DoctorError('not a nova-doctor journal (no header line)', { where: path });
      }
      if (!READABLE_JOURNAL_VERSIONS.includes(record.version)) {
        throw new DoctorError(
          `journal version ${record.version} is not supported (this nova-doctor reads versions ${READABLE_JOURNAL_VERSIONS.join(', ')})`,
          { where: path },
        );
      }
    } else if (record.type === 'intent' && records[0]!.type === 'header' && records[0]!.version >= 4) {
      record = decodeIntentV4(record as unknown as Record<string, unknown>, records[0]!.cloud);
    }
    lineOf.set(record, i + 1);
    records.push(record);
  }
  const header = records[0];
  if (header?.type !== 'header') {
    throw new DoctorError('not a nova-doctor journal (no header line)', { where: path });
  }
  return { path, version: header.version, header, records };
}

/** Read and check every record. A torn last line (crash mid-write) is dropped; damage elsewhere is an error. */
export async function readJournal(path: string): Promise<JournalRecord[]> {
  return (await loadJournal(path)).records;
}

/**
 * Why an intent record cannot be trusted (edited, or not what nova-doctor writes), or null. Changes written
 * without their v2 identity (version 1) get it from the change set: its instance and its databases' names.
 */
function checkIntent(intent: Intent, version: number, seal: string): string | null {
  if (typeof intent.uuid !== 'string' || !Array.isArray(intent.changes)) return 'not a change set';
  if (version >= 4) {
    // One sha256 over the whole change set, computed over every row's full identity (changeSetDigest).
    const problem = unreadable.get(intent);
    if (problem !== undefined) return `its rows cannot be read: ${problem}`;
    if (typeof intent.sha256 !== 'string') return 'no sha256 over the change set';
    if (intent.sha256 !== changeSetDigest(intent, seal)) return 'the change set does not match its sha256';
  }
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
    if (version >= 4) {
      // Sealed with the change set (above); its database follows from its table.
      if (DATABASE_OF[c.table] !== c.database) return `${what}: ${c.table} is not a ${c.database} table`;
    } else if (c.sha256 === undefined) {
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
  const seal = cloudSeal(header?.type === 'header' ? header.cloud : undefined);
  const byId = new Map<string, ChangeSetHistory>();
  for (const r of records) {
    if (r.type === 'intent') {
      const line = lineOf.get(r) ?? null;
      const problem = checkIntent(r, version, seal);
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
