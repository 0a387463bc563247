// The database side of trace: open nova_api and every cell, read snapshots of named instances, or stream every
// instance of the cloud. The pools stay open for the repair engine, which writes through the same connections.

import type { RowDataPacket } from 'mysql2';
import type { Pool, PoolConnection } from 'mysql2/promise';
import type { CellRef, InstanceSnapshot, RequestSpecRow } from '../nova/snapshot.js';
import { DIAGNOSED_SYSMETA_KEYS } from '../nova/xenLeftovers.js';
import { type CellHost, cellLabel, type OpenCell, openCell, readCellMappings } from './cells.js';
import { type ConnectOptions, createPool, type DbTarget, openPool, readOnly } from './connect.js';
import { DbError } from './errors.js';
import {
  assembleSnapshot,
  type CellRows,
  MARKER_INSTANCE_UUID,
  type MappingRow,
  type ReadRunner,
  readApiRows,
  readCellRows,
} from './readSnapshot.js';
import { resolveTargets } from './resolve.js';
import { checkSchema, hasComputeId, type SchemaInfo } from './schema.js';
import type { CellStatus, DbOptions } from './types.js';

export interface SweepOptions {
  /** Also trace instances mapped to cell0 (they never ran; default false). */
  includeCell0?: boolean;
  /** Also trace instances of disabled cells (default false). */
  includeDisabled?: boolean;
  /** Request specs per page, whose cell rows are read together (default SWEEP_PAGE). */
  batchSize?: number;
  /** Spec texts per read, a page's worth read a few at a time just ahead of the consumer (default 500). */
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
 * Sweep pages: request specs per page (their cells are asked about the whole page at once), and pages read
 * ahead of the one being consumed. Two pages of 1000 instances' cell rows are ~20 MB of JavaScript heap; with
 * pages of 2000, or two pages ahead, a sweep no longer fit in a 64 MiB heap, for no measurable speed.
 */
const SWEEP_PAGE = 1000;
const READ_AHEAD = 1;

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
    { rowsByCell, foundIn }: CellLookup,
  ): InstanceSnapshot[] {
    const out: InstanceSnapshot[] = [];
    for (const uuid of uuids) {
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
        if (cell && !include(cell)) continue;
        rows = cell ? (rowsByCell.get(cell) ?? null) : null;
      }
      if (cell && !cell.pool)
        problems.push(`cell ${cell.mapping.name ?? cell.mapping.uuid} is unreachable: ${cell.status.error}`);
      const snap = assembleSnapshot(
        uuid,
        cell ? this.cellRef(cell) : null,
        specs.get(uuid) ?? null,
        rows,
        this.enabledHosts(cell),
        problems,
      );
      out.push(snap);
    }
    return out;
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
    const keys = opts.allSystemMetadata ? null : DIAGNOSED_SYSMETA_KEYS;
    const include = (c: OpenCell) =>
      (opts.includeCell0 || !c.status.isCell0) && (opts.includeDisabled || !c.status.disabled);

    // Request specs in id order (keyset pages of CHUNK rows with their mappings, without the spec text), the
    // cells asked about a whole page at once (big IN lists cost the server far less per row) while the consumer
    // works through earlier pages. The spec texts, the bulk of the data, are read a few hundred at a time just
    // ahead of the consumer, so memory does not grow with the page size.
    const specPage = (afterId: number) =>
      this.api_(async (conn) => {
        const [rows] = await conn.query<RowDataPacket[][]>(
          {
            sql: `SELECT rs.id, rs.instance_uuid, im.id, im.cell_id FROM request_specs rs
                    LEFT JOIN instance_mappings im ON im.instance_uuid = rs.instance_uuid
                   WHERE rs.id > ? ORDER BY rs.id LIMIT ?`,
            rowsAsArray: true,
          },
          [afterId, batch],
        );
        const entries: { id: number; uuid: string }[] = [];
        const mappings = new Map<string, MappingRow>();
        for (const [id, uuid, mappingId, cellId] of rows as unknown as (string | number | null)[][]) {
          const instanceUuid = String(uuid);
          entries.push({ id: Number(id), uuid: instanceUuid });
          if (mappingId !== null)
            mappings.set(instanceUuid, { instanceUuid, cellId: cellId === null ? null : Number(cellId) });
        }
        const traced = entries.filter((e) => e.uuid !== MARKER_INSTANCE_UUID);
        return { entries, traced, mappings };
      }, false); // one statement: no explicit transaction needed
    type SpecPage = Awaited<ReturnType<typeof specPage>>;
    // The spec rows of entries[from, to): one range of ids. A row deleted since the page was read (its instance
    // is being deleted) is left out; rows added inside the range since are not the page's.
    const specTexts = (entries: readonly { id: number; uuid: string }[]) =>
      this.api_(async (conn) => {
        const out = new Map<string, RequestSpecRow>();
        if (entries.length === 0) return out;
        const [rows] = await conn.query<RowDataPacket[][]>(
          {
            sql: 'SELECT id, instance_uuid, spec FROM request_specs WHERE id >= ? AND id <= ? ORDER BY id',
            rowsAsArray: true,
          },
          [entries[0]?.id, entries[entries.length - 1]?.id],
        );
        // The text as the driver decoded it (once; readSpec parses it): a copy of the bytes kept beside it, to be
        // decoded later, cost more (a fresh allocation each, outside the heap) than the young generation copying
        // strings that live until their page is consumed. String(null) for a NULL spec, as snapshots() reads it.
        for (const [id, uuid, spec] of rows as unknown as [number, string, string | null][])
          out.set(String(uuid), { id: Number(id), instanceUuid: String(uuid), spec: String(spec) });
        return out;
      }, false);
    const slices = (page: SpecPage) => chunks(page.traced, opts.specsPerRead ?? 500);
    for await (const { page, lookup, firstSpecs } of this.readAhead(
      specPage,
      (p) => p.entries[p.entries.length - 1]?.id ?? null,
      (p) => ({
        lookup: this.lookupCells(
          p.traced.map((e) => e.uuid),
          p.mappings,
          include,
          keys,
        ),
        firstSpecs: specTexts(slices(p)[0] ?? []),
      }),
    )) {
      const parts = slices(page);
      const cellRows = await lookup;
      let next: Promise<Map<string, RequestSpecRow>> = firstSpecs;
      for (let i = 0; i < parts.length; i++) {
        const specs = await next;
        const part = parts[i] as { id: number; uuid: string }[];
        if (i + 1 < parts.length) {
          next = specTexts(parts[i + 1] as { id: number; uuid: string }[]);
          next.catch(() => undefined); // awaited (and thrown) in the next round
        }
        const present = part.map((e) => e.uuid).filter((u) => specs.has(u));
        yield* this.assemble(present, specs, page.mappings, include, cellRows);
      }
    }

    // Then instances nova maps but has no request spec for.
    const orphanPage = (afterId: number) =>
      this.api_(async (conn) => {
        const [rows] = await conn.query<RowDataPacket[]>(
          `SELECT im.id, im.instance_uuid, im.cell_id FROM instance_mappings im
             LEFT JOIN request_specs rs ON rs.instance_uuid = im.instance_uuid
            WHERE rs.id IS NULL AND im.id > ? ORDER BY im.id LIMIT ?`,
          [afterId, batch],
        );
        const mappings = new Map<string, MappingRow>();
        for (const r of rows) {
          const uuid = String(r.instance_uuid);
          mappings.set(uuid, { instanceUuid: uuid, cellId: r.cell_id === null ? null : Number(r.cell_id) });
        }
        return { ids: rows.map((r) => Number(r.id)), uuids: [...mappings.keys()], mappings };
      }, false);
    yield* this.pipelined(
      orphanPage,
      (p) => p.ids[p.ids.length - 1] ?? null,
      (p) => this.buildBatch(p.uuids, new Map(), p.mappings, include, keys),
    );
  }

  /**
   * Keyset paging with read-ahead: while the consumer works through one page, the next pages are fetched and
   * `start` is called on each as it arrives (to begin reading its cell rows); at most READ_AHEAD pages are held,
   * so memory stays flat. Yields each page with what `start` returned for it, in order. An abandoned sweep
   * leaves no rejected promise behind.
   */
  private async *readAhead<P, S extends Record<string, Promise<unknown>>>(
    fetch: (afterId: number) => Promise<P>,
    lastId: (page: P) => number | null,
    start: (page: P) => S,
  ): AsyncGenerator<{ page: P } & S, void, undefined> {
    // Pages are fetched one after another (each needs the previous one's last id); each is started once it arrives.
    const started: Promise<({ page: P } & S) | null>[] = [];
    let chain: Promise<number | null> = Promise.resolve(0);
    const enqueue = () => {
      const page = chain.then((after) => (after === null ? null : fetch(after)));
      chain = page.then((p) => (p === null ? null : lastId(p)));
      chain.catch(() => undefined);
      const begun = page.then((p) => {
        if (p === null || lastId(p) === null) return null;
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

  /** readAhead for pages that are built into snapshots in one step. */
  private async *pipelined<P>(
    fetch: (afterId: number) => Promise<P>,
    lastId: (page: P) => number | null,
    build: (page: P) => Promise<InstanceSnapshot[]>,
  ): AsyncGenerator<InstanceSnapshot, void, undefined> {
    for await (const { snaps } of this.readAhead(fetch, lastId, (p) => ({ snaps: build(p) }))) yield* await snaps;
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
    const cells = await Promise.all(
      mappings.map((m) => openCell(m, resolved.databaseConnection, resolved.cellOverrides, connect)),
    );
    const allWarnings = [...warnings];
    for (const o of resolved.cellOverrides) {
      const used = cells.some(
        (c) =>
          c.target?.source.startsWith('--cell-db') &&
          c.target.url &&
          (o.cell === null
            ? o.database === c.target.url.database
            : o.cell === c.mapping.uuid || o.cell === c.mapping.name),
      );
      if (!used)
        allWarnings.push(
          `--cell-db ${o.cell ? `${o.cell}=…` : `for database ${o.database}`} matches no cell in nova_api.cell_mappings`,
        );
    }
    return new Nova(resolved.api, pool, schema, cells, allWarnings, connect);
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
}
