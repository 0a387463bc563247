// The database side of trace: open nova_api and every cell, read snapshots of named instances, or stream every
// instance of the cloud. The pools stay open for the repair engine, which writes through the same connections.

import type { RowDataPacket } from 'mysql2';
import type { Pool, PoolConnection } from 'mysql2/promise';
import type { CellRef, InstanceSnapshot, RequestSpecRow } from '../nova/snapshot.js';
import { DIAGNOSED_SYSMETA_KEYS } from '../nova/xenLeftovers.js';
import { type CellHost, cellLabel, checkCellOverrides, type OpenCell, openCell, readCellMappings } from './cells.js';
import { type ConnectOptions, createPool, type DbTarget, openPool, readOnly } from './connect.js';
import { DbError } from './errors.js';
import {
  assembleSnapshot,
  type CellRows,
  MARKER_INSTANCE_UUID,
  type MappingRow,
  type ReadRunner,
  readApiRows,
  readCellRange,
  readCellRows,
  uuidRange,
} from './readSnapshot.js';
import { resolveTargets } from './resolve.js';
import { checkSchema, hasComputeId, type SchemaInfo } from './schema.js';
import type { CellStatus, DbOptions } from './types.js';

export interface SweepOptions {
  /** Also trace instances mapped to cell0 (they never ran; default false). */
  includeCell0?: boolean;
  /** Also trace instances of disabled cells (default false). */
  includeDisabled?: boolean;
  /** Request specs (and instance mappings) per page, whose cell rows are read together (default SWEEP_PAGE). */
  batchSize?: number;
  /** Spec texts per read, a page's worth read a few at a time just ahead of the consumer (default SPECS_PER_READ). */
  specsPerRead?: number;
  /**
   * Read every instance_system_metadata row (as snapshots() does). By default a sweep reads only the keys
   * diagnose() looks at (DIAGNOSED_SYSMETA_KEYS, soft-deleted rows included): a third of the rows.
   */
  allSystemMetadata?: boolean;
}

export interface ApiInfo {
  maskedUrl: string;
  /** Where the URL came from (`--api-db`, `[api_database] connection in FILE:LINE`). */
  source: string;
  schemaVersion: string | null;
}

export interface NovaDatabases {
  readonly api: ApiInfo;
  /** Things the operator should know that did not stop us (ignored URL parameters, …). */
  readonly warnings: readonly string[];
  /** Every cell in cell_mappings, reachable or not. */
  cells(): CellStatus[];
  /** Compute nodes of a cell with their service state (empty for an unreachable or unknown cell). */
  cellHosts(cellUuid: string): CellHost[];
  /** Snapshots of these instances, in the order given (duplicates removed). Named instances are traced wherever
   * they live, cell0 and disabled cells included. */
  snapshots(uuids: readonly string[]): Promise<InstanceSnapshot[]>;
  /** Every instance with a request spec or an instance mapping, streamed in batches (memory stays flat).
   * Unless `allSystemMetadata`, systemMetadata holds only the rows diagnose() reads (see SweepOptions). */
  sweep(opts?: SweepOptions): AsyncGenerator<InstanceSnapshot, void, undefined>;
  /** A read-write nova_api pool for the repair engine (separate from the read-only pools trace uses). */
  apiConnection(): Pool;
  /** A read-write pool for a cell; throws DbError 'unreachable' (with the reason) when the cell could not be
   * opened. */
  cellConnection(cellUuid: string): Pool;
  close(): Promise<void>;
}

/**
 * UUIDs per `IN (…)` lookup. The server's cost per query is high (parsing and optimising the list): for 60k
 * instances of a cell, 500 per query cost 0.53 s of server CPU for instances and 1.7 s for system metadata,
 * 2000 per query 0.37 s and 1.3 s, 5000 no better (MariaDB 10.11). Prepared statements did not help.
 */
const CHUNK = 2000;
/**
 * Sweep pages: request specs per page (their cells are asked about the page's range at once), and pages read
 * ahead of the one being consumed. Two pages of 1000 instances' cell rows are ~20 MB of JavaScript heap; with
 * pages of 2000, or two pages ahead, a sweep no longer fit in a 64 MiB heap, for no measurable speed.
 */
const SWEEP_PAGE = 1000;
const READ_AHEAD = 1;
/**
 * Spec texts per read, the next read started as the one before arrives. Texts that wait to be consumed outlive
 * scavenges of the young generation (a new space of 8 MiB when this was measured; 16 MiB since, startup.ts) and are
 * copied on their way to the old one; the fewer wait, the fewer are. 100k nova-size specs (4 interleaved runs at load 6-7.6): 500 a read took 7.0-7.5 s of
 * node CPU (1.8-2.3 s of it GC) at 102-112 MiB, 50 a read 6.8-7.1 s (1.2-1.9 s GC) at 91-93 MiB for ~0.2 s more
 * server CPU (2.1-2.2 -> 2.3-2.5 s); 20 a read collected less again but cost more per query than it saved (7.0-7.3 s,
 * server 2.6-2.7 s). With a 16 MiB new space (3 interleaved runs at load 3.8-5.7, too noisy to tell apart):
 * 100 and 250 a read no faster than 50, at 5-9 MiB more peak RSS.
 */
const SPECS_PER_READ = 50;

/** A request spec of a sweep page, without its text. */
interface SpecKey {
  uuid: string;
  id: number;
}

/** A sweep page: the instances with a uuid in (after, upTo] (null: unbounded) that nova has a spec or a mapping for. */
interface SweepPage {
  after: string | null;
  upTo: string | null;
  /** In the server's uuid order, the marker row left out. */
  specs: SpecKey[];
  /** Mapped instances without a spec, in the server's uuid order. */
  orphans: string[];
  mappings: Map<string, MappingRow>;
}

interface CellLookup {
  rowsByCell: Map<OpenCell, CellRows | null>;
  foundIn: Map<string, { cell: OpenCell; rows: CellRows }>;
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

class Nova implements NovaDatabases {
  readonly api: ApiInfo;
  readonly warnings: string[];
  private closed = false;
  private readonly byId: Map<number, OpenCell>;
  private readonly byUuid: Map<string, OpenCell>;

  constructor(
    private readonly apiTarget: DbTarget,
    private readonly apiPool: Pool,
    apiSchema: SchemaInfo,
    private readonly openCells: OpenCell[],
    warnings: string[],
    private readonly connectOpts: ConnectOptions,
  ) {
    this.api = { maskedUrl: apiTarget.maskedUrl, source: apiTarget.source, schemaVersion: apiSchema.version };
    this.warnings = warnings;
    this.byId = new Map(openCells.map((c) => [c.mapping.id, c]));
    this.byUuid = new Map(openCells.map((c) => [c.mapping.uuid, c]));
  }

  cells(): CellStatus[] {
    return this.openCells.map((c) => ({ ...c.status }));
  }

  cellHosts(cellUuid: string): CellHost[] {
    return this.byUuid.get(cellUuid)?.hosts.map((h) => ({ ...h })) ?? [];
  }

  // The pools trace reads through are read-only at the session level; writers get pools of their own.
  private readonly writePools = new Map<string, Pool>();

  private writePool(key: string, target: DbTarget): Pool {
    let pool = this.writePools.get(key);
    if (!pool) this.writePools.set(key, (pool = createPool(target, this.connectOpts).pool));
    return pool;
  }

  apiConnection(): Pool {
    this.assertOpen();
    return this.writePool('api', this.apiTarget);
  }

  cellConnection(cellUuid: string): Pool {
    this.assertOpen();
    const cell = this.byUuid.get(cellUuid);
    if (!cell) {
      throw new DbError('not-nova', `cell ${cellUuid} is not in nova_api.cell_mappings (${this.api.maskedUrl})`);
    }
    if (!cell.pool || !cell.target) {
      throw new DbError('unreachable', cell.status.error ?? `${cellLabel(cell.mapping)} is not connected`);
    }
    return this.writePool(cellUuid, cell.target);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pools = [this.apiPool, ...this.openCells.map((c) => c.pool), ...this.writePools.values()];
    await Promise.all(pools.map((p) => p?.end().catch(() => undefined)));
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('nova databases are closed');
  }

  private api_<T>(fn: (conn: PoolConnection) => Promise<T>, transaction = true): Promise<T> {
    this.assertOpen();
    return readOnly(this.apiPool, this.apiTarget, fn, transaction);
  }

  private cellRef(c: OpenCell): CellRef {
    return { uuid: c.mapping.uuid, name: c.mapping.name };
  }

  private readonly enabled = new Map<OpenCell, CellHost[]>();

  /** Shared by every snapshot of the cell (read-only). */
  private enabledHosts(c: OpenCell | null): CellHost[] {
    if (!c) return [];
    let hosts = this.enabled.get(c);
    // The scheduler's ComputeFilter drops disabled services before ImagePropertiesFilter runs.
    if (!hosts) this.enabled.set(c, (hosts = c.hosts.filter((h) => h.enabled)));
    return hosts;
  }

  /** Read the cell rows for these instances from one cell; null (and a problem per instance) if unreachable. */
  private async rowsFromCell(
    cell: OpenCell,
    uuids: string[],
    sysmetaKeys: readonly string[] | null,
  ): Promise<CellRows | null> {
    if (!cell.pool || !cell.target) return null;
    const pool = cell.pool;
    const target = cell.target;
    const run: ReadRunner = (fn) => readOnly(pool, target, fn, false);
    const withComputeId = hasComputeId(cell.schema);
    const parts = await Promise.all(chunks(uuids, CHUNK).map((c) => readCellRows(run, c, sysmetaKeys, withComputeId)));
    if (parts.length === 1) return parts[0] as CellRows; // a sweep's page: one chunk, nothing to merge
    const merged: CellRows = { instances: new Map(), systemMetadata: new Map(), blockDeviceMappings: new Map() };
    for (const p of parts) {
      for (const [k, v] of p.instances) merged.instances.set(k, v);
      for (const [k, v] of p.systemMetadata) merged.systemMetadata.set(k, v);
      for (const [k, v] of p.blockDeviceMappings) merged.blockDeviceMappings.set(k, v);
    }
    return merged;
  }

  /** Snapshots for a batch whose api rows are known: its cell rows, then the snapshots. */
  private async buildBatch(
    uuids: readonly string[],
    specs: ReadonlyMap<string, RequestSpecRow>,
    mappings: ReadonlyMap<string, MappingRow>,
    include: (cell: OpenCell) => boolean,
    sysmetaKeys: readonly string[] | null,
  ): Promise<InstanceSnapshot[]> {
    const lookup = await this.lookupCells(uuids, mappings, include, sysmetaKeys);
    return this.assemble(uuids, specs, mappings, include, lookup);
  }

  /**
   * The cell rows of a batch, each instance looked up in the cell its mapping names. `include` decides, per
   * cell, whether its instances are traced (false: their rows are not read).
   */
  private async lookupCells(
    uuids: readonly string[],
    mappings: ReadonlyMap<string, MappingRow>,
    include: (cell: OpenCell) => boolean,
    sysmetaKeys: readonly string[] | null,
  ): Promise<CellLookup> {
    const perCell = new Map<OpenCell, string[]>();
    const unmapped: string[] = [];
    for (const uuid of uuids) {
      const m = mappings.get(uuid);
      if (!m) unmapped.push(uuid);
      else if (m.cellId !== null) {
        const cell = this.byId.get(m.cellId);
        if (cell) {
          let list = perCell.get(cell);
          if (!list) perCell.set(cell, (list = []));
          list.push(uuid);
        }
      }
    }
    // Instances nova cannot find (no mapping) may still sit in some cell: look in all of them.
    const foundIn = new Map<string, { cell: OpenCell; rows: CellRows }>();
    const rowsByCell = new Map<OpenCell, CellRows | null>();
    await Promise.all([
      ...[...perCell].map(async ([cell, list]) => {
        if (include(cell)) rowsByCell.set(cell, await this.rowsFromCell(cell, list, sysmetaKeys));
      }),
      ...(unmapped.length === 0
        ? []
        : this.openCells.map(async (cell) => {
            const rows = await this.rowsFromCell(cell, unmapped, sysmetaKeys);
            if (!rows) return;
            for (const u of rows.instances.keys()) if (!foundIn.has(u)) foundIn.set(u, { cell, rows });
          })),
    ]);
    return { rowsByCell, foundIn };
  }

  /** Snapshots of `uuids` (instances of cells not included are left out), from rows already read. */
  private assemble(
    uuids: readonly string[],
    specs: ReadonlyMap<string, RequestSpecRow>,
    mappings: ReadonlyMap<string, MappingRow>,
    include: (cell: OpenCell) => boolean,
    lookup: CellLookup,
  ): InstanceSnapshot[] {
    const out: InstanceSnapshot[] = [];
    for (const uuid of uuids) {
      const snap = this.assembleOne(uuid, specs.get(uuid) ?? null, mappings, include, lookup);
      if (snap) out.push(snap);
    }
    return out;
  }

  /** One instance's snapshot from rows already read; null if it belongs to a cell not included. */
  private assembleOne(
    uuid: string,
    spec: RequestSpecRow | null,
    mappings: ReadonlyMap<string, MappingRow>,
    include: (cell: OpenCell) => boolean,
    { rowsByCell, foundIn }: CellLookup,
  ): InstanceSnapshot | null {
    const problems: string[] = [];
    const m = mappings.get(uuid);
    let cell: OpenCell | null = null;
    let rows: CellRows | null = null;
    if (!m) {
      const found = foundIn.get(uuid);
      cell = found?.cell ?? null;
      rows = found?.rows ?? null;
      problems.push(
        cell
          ? `no row in nova_api.instance_mappings: nova cannot find this instance, although cell ${cell.mapping.name ?? cell.mapping.uuid} has it`
          : 'no row in nova_api.instance_mappings and in no reachable cell: unknown to nova',
      );
    } else if (m.cellId === null) {
      problems.push('the instance mapping names no cell yet (still building, or it failed before a cell was chosen)');
    } else {
      cell = this.byId.get(m.cellId) ?? null;
      if (cell && !include(cell)) return null;
      rows = cell ? (rowsByCell.get(cell) ?? null) : null;
    }
    if (cell && !cell.pool)
      problems.push(`cell ${cell.mapping.name ?? cell.mapping.uuid} is unreachable: ${cell.status.error}`);
    return assembleSnapshot(uuid, cell ? this.cellRef(cell) : null, spec, rows, this.enabledHosts(cell), problems);
  }

  async snapshots(uuids: readonly string[]): Promise<InstanceSnapshot[]> {
    const wanted = [...new Set(uuids.map((u) => u.trim().toLowerCase()))];
    const out: InstanceSnapshot[] = [];
    for (const part of chunks(wanted, CHUNK)) {
      const { specs, mappings } = await this.api_((conn) => readApiRows(conn, part));
      out.push(...(await this.buildBatch(part, specs, mappings, () => true, null)));
    }
    return out;
  }

  async *sweep(opts: SweepOptions = {}): AsyncGenerator<InstanceSnapshot, void, undefined> {
    const batch = opts.batchSize ?? SWEEP_PAGE;
    const perRead = opts.specsPerRead ?? SPECS_PER_READ;
    const keys = opts.allSystemMetadata ? null : DIAGNOSED_SYSMETA_KEYS;
    const include = (c: OpenCell) =>
      (opts.includeCell0 || !c.status.isCell0) && (opts.includeDisabled || !c.status.disabled);

    // In instance-uuid order, a page being a range of uuids: the API and every cell are then read by range scans
    // of their instance_uuid indexes (one small query per table and page) instead of IN lists of the page's
    // uuids, which cost the server ~40% more CPU (an index dive per uuid, ~40 KB of query text to parse), and
    // the instances nova maps without a spec come in the same pass, between the others. The order of a sweep is
    // thus the uuid order, not the request specs' id order. The spec texts, the bulk of the data, are read a
    // few dozen at a time just ahead of the consumer, so memory does not grow with the page size.
    const page = (after: string | null) => this.api_((conn) => this.sweepPage(conn, after, batch), false);
    for await (const { page: p, lookup, firstSpecs } of this.readAhead(
      page,
      null as string | null,
      (p) => p.upTo,
      (p) => ({
        lookup: this.lookupRange(p, include, keys),
        firstSpecs: this.specTexts(p.specs.slice(0, perRead)),
      }),
    )) {
      const cellRows = await lookup;
      // The page's instances in uuid order: those with a spec (read in slices of `perRead`, each while the one
      // before is consumed), and between them those nova maps without one. Both lists come from the server in
      // its own order; the string comparison only interleaves them (each instance is yielded once whatever it
      // says).
      const { specs, orphans } = p;
      const readSlice = (k: number) => {
        if (k * perRead >= specs.length) return Promise.resolve(new Map<string, RequestSpecRow>());
        const texts = this.specTexts(specs.slice(k * perRead, (k + 1) * perRead));
        texts.catch(() => undefined); // awaited (and thrown) when its slice is reached
        return texts;
      };
      let slice = 0;
      let texts = await firstSpecs;
      let next = readSlice(1);
      let o = 0;
      for (let i = 0; i < specs.length || o < orphans.length; ) {
        const orphan = orphans[o];
        const withSpec = specs[i];
        if (orphan !== undefined && (withSpec === undefined || orphan < withSpec.uuid)) {
          o++;
          const snap = this.assembleOne(orphan, null, p.mappings, include, cellRows);
          if (snap) yield snap;
          continue;
        }
        if (withSpec === undefined) break; // unreachable: one of the two lists has an entry left
        if (i === (slice + 1) * perRead) {
          slice++;
          texts = await next;
          next = readSlice(slice + 1);
        }
        i++;
        // A spec row deleted since the page was read (its instance is being deleted) is left out.
        const spec = texts.get(withSpec.uuid);
        if (!spec) continue;
        const snap = this.assembleOne(withSpec.uuid, spec, p.mappings, include, cellRows);
        if (snap) yield snap;
      }
    }
  }

  /**
   * One page of a sweep: the request specs and instance mappings with an instance_uuid in (after, upTo], at
   * most `batch` of each (index-only reads, without the spec texts). upTo is the last uuid of whichever list
   * filled first, null when neither did (the last page: everything after `after`).
   */
  private async sweepPage(conn: PoolConnection, after: string | null, batch: number): Promise<SweepPage> {
    const keysOf = async (sql: string, upTo: string | null, limit: number | null) => {
      const range = uuidRange('instance_uuid', after, upTo);
      const [rows] = await conn.query<RowDataPacket[][]>(
        {
          sql: `${sql} WHERE ${range.sql} ORDER BY instance_uuid${limit === null ? '' : ' LIMIT ?'}`,
          rowsAsArray: true,
        },
        limit === null ? range.params : [...range.params, limit],
      );
      return rows as unknown as [string, number | null][];
    };
    const specKeys = (upTo: string | null, limit: number | null) =>
      keysOf('SELECT instance_uuid, id FROM request_specs', upTo, limit);
    const lastUuid = (rows: [string, number | null][]) => String((rows[rows.length - 1] as [string, unknown])[0]);
    let specRows = await specKeys(null, batch);
    let upTo = specRows.length === batch ? lastUuid(specRows) : null;
    const maps = await keysOf('SELECT instance_uuid, cell_id FROM instance_mappings', upTo, batch);
    if (maps.length === batch && lastUuid(maps) !== upTo) {
      // More mappings than specs in the range (instances nova maps without a spec): the page ends at the last
      // mapping read, and its specs are those up to it, as the server compares uuids (fewer than `batch`).
      upTo = lastUuid(maps);
      specRows = await specKeys(upTo, null);
    }
    const mappings = new Map<string, MappingRow>();
    for (const [uuid, cellId] of maps) {
      const instanceUuid = String(uuid);
      mappings.set(instanceUuid, { instanceUuid, cellId: cellId === null ? null : Number(cellId) });
    }
    const specs: SpecKey[] = [];
    const withSpec = new Set<string>();
    for (const [uuid, id] of specRows) {
      const u = String(uuid);
      withSpec.add(u);
      if (u !== MARKER_INSTANCE_UUID) specs.push({ uuid: u, id: Number(id) });
    }
    const orphans: string[] = [];
    for (const u of mappings.keys()) if (!withSpec.has(u)) orphans.push(u);
    return { after, upTo, specs, orphans, mappings };
  }

  /**
   * The spec rows of consecutive entries of a page: one range of uuids. A row deleted since the page was read
   * (its instance is being deleted) is missing from the map; rows added inside the range since are not the page's.
   */
  private specTexts(entries: readonly SpecKey[]): Promise<Map<string, RequestSpecRow>> {
    return this.api_(async (conn) => {
      const out = new Map<string, RequestSpecRow>();
      const first = entries[0];
      const last = entries[entries.length - 1];
      if (!first || !last) return out;
      const [rows] = await conn.query<RowDataPacket[][]>(
        {
          sql: 'SELECT id, instance_uuid, spec FROM request_specs WHERE instance_uuid >= ? AND instance_uuid <= ?',
          rowsAsArray: true,
        },
        [first.uuid, last.uuid],
      );
      // The text as the driver decoded it (once; readSpec parses it): a copy of the bytes kept beside it, to be
      // decoded later, cost more (a fresh allocation each, outside the heap) than the young generation copying
      // strings that live until their page is consumed. String(null) for a NULL spec, as snapshots() reads it.
      for (const [id, uuid, spec] of rows as unknown as [number, string, string | null][])
        out.set(String(uuid), { id: Number(id), instanceUuid: String(uuid), spec: String(spec) });
      return out;
    }, false);
  }

  /**
   * The cell rows of a sweep page, by range: every included cell nova maps an instance of the page to, and
   * when the page has specs without a mapping, every reachable cell (such an instance may sit in any of them,
   * cell0 and disabled cells too, as for snapshots()). Each cell is read once.
   */
  private async lookupRange(
    p: SweepPage,
    include: (cell: OpenCell) => boolean,
    sysmetaKeys: readonly string[] | null,
  ): Promise<CellLookup> {
    const wanted = new Set<OpenCell>();
    for (const m of p.mappings.values()) {
      const cell = m.cellId === null ? undefined : this.byId.get(m.cellId);
      if (cell && include(cell)) wanted.add(cell);
    }
    const unmapped = p.specs.filter((e) => !p.mappings.has(e.uuid));
    if (unmapped.length > 0) for (const cell of this.openCells) wanted.add(cell);
    const rowsByCell = new Map<OpenCell, CellRows | null>();
    await Promise.all(
      [...wanted].map(async (cell) => {
        rowsByCell.set(cell, await this.rangeFromCell(cell, p.after, p.upTo, sysmetaKeys));
      }),
    );
    const foundIn = new Map<string, { cell: OpenCell; rows: CellRows }>();
    for (const { uuid } of unmapped) {
      for (const cell of this.openCells) {
        const rows = rowsByCell.get(cell);
        if (rows?.instances.has(uuid)) {
          foundIn.set(uuid, { cell, rows });
          break;
        }
      }
    }
    return { rowsByCell, foundIn };
  }

  /** readCellRange on one cell; null if it is unreachable. */
  private rangeFromCell(
    cell: OpenCell,
    after: string | null,
    upTo: string | null,
    sysmetaKeys: readonly string[] | null,
  ): Promise<CellRows | null> {
    if (!cell.pool || !cell.target) return Promise.resolve(null);
    const pool = cell.pool;
    const target = cell.target;
    const run: ReadRunner = (fn) => readOnly(pool, target, fn, false);
    return readCellRange(run, after, upTo, sysmetaKeys, hasComputeId(cell.schema));
  }

  /**
   * Keyset paging with read-ahead: while the consumer works through one page, the next pages are fetched and
   * `start` is called on each as it arrives (to begin reading its cell rows); at most READ_AHEAD pages are held,
   * so memory stays flat. Yields each page with what `start` returned for it, in order; the page whose
   * `nextKey` is null is the last. An abandoned sweep leaves no rejected promise behind.
   */
  private async *readAhead<P, K, S extends Record<string, Promise<unknown>>>(
    fetch: (after: K) => Promise<P>,
    firstKey: K,
    nextKey: (page: P) => K | null,
    start: (page: P) => S,
  ): AsyncGenerator<{ page: P } & S, void, undefined> {
    // Pages are fetched one after another (each needs the previous one's key); each is started once it arrives.
    const started: Promise<({ page: P } & S) | null>[] = [];
    let chain: Promise<{ key: K } | null> = Promise.resolve({ key: firstKey });
    const enqueue = () => {
      const page = chain.then((at) => (at === null ? null : fetch(at.key)));
      chain = page.then((p) => {
        if (p === null) return null;
        const key = nextKey(p);
        return key === null ? null : { key };
      });
      chain.catch(() => undefined);
      const begun = page.then((p) => {
        if (p === null) return null;
        const work = start(p);
        // Observed here; awaited (and thrown) by the consumer.
        for (const w of Object.values(work)) w.catch(() => undefined);
        return { page: p, ...work };
      });
      begun.catch(() => undefined);
      started.push(begun);
    };
    for (let i = 0; i < READ_AHEAD; i++) enqueue();
    try {
      for (;;) {
        const next = await (started.shift() as Promise<({ page: P } & S) | null>);
        if (next === null) break;
        enqueue();
        yield next;
      }
    } finally {
      for (const r of await Promise.allSettled(started)) {
        if (r.status !== 'fulfilled' || r.value === null) continue;
        const { page: _page, ...work } = r.value;
        await Promise.allSettled(Object.values(work));
      }
    }
  }
}

/**
 * Open nova_api (from `--api-db` or nova.conf) and every cell in its cell_mappings. Throws DbError for problems
 * with the config or the API database; problems with a cell are reported in `cells()` and the others go on.
 */
export async function openNova(opts: DbOptions, connect: ConnectOptions = {}): Promise<NovaDatabases> {
  const resolved = await resolveTargets(opts);
  const { pool, warnings } = await openPool(resolved.api, connect);
  try {
    const { schema, mappings } = await readOnly(pool, resolved.api, async (conn) => {
      const schema = await checkSchema(conn, 'api', resolved.api);
      return { schema, mappings: await readCellMappings(conn, schema) };
    });
    checkCellOverrides(mappings, resolved.cellOverrides); // before any cell is opened
    const cells = await Promise.all(
      mappings.map((m) => openCell(m, resolved.databaseConnection, resolved.cellOverrides, connect)),
    );
    const allWarnings = [...new Set([...warnings, ...cells.flatMap((c) => c.warnings)])];
    if (opts.apiDbUrl !== null && opts.apiDbSource && opts.apiDbSource !== '--api-db')
      allWarnings.unshift(
        `nova_api database ${resolved.api.maskedUrl} from the environment (${opts.apiDbSource}), as no --config, --config-dir or --api-db was given`,
      );
    return new Nova(resolved.api, pool, schema, cells, allWarnings, connect);
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
}
