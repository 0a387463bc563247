// Test support for the repair engine: the fixture cloud (dumps written by nova's own code) loaded into a private
// MariaDB under a fresh prefix per test, opened through the db layer the way the doctor opens it.
import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { type LoadedCloud, loadCloud } from '../../src/db/loadCloud.js';
import type { PrivateMariadb } from '../../src/db/privateMariadb.js';
import { type NovaDatabases, openNova } from '../../src/db/trace.js';
import type { CellRef, InstanceSnapshot } from '../../src/nova/snapshot.js';
import type { RepairConnections } from '../../src/repair/engine.js';

export interface ManifestStale {
  database: 'api' | 'cell';
  table: string;
  column?: string;
  key?: string;
  pointer?: string;
  property?: string | null;
  value: string | null;
  deleted?: boolean;
  touch: boolean;
  /** For a value nova cannot read back (e.g. `'xen '`): null, and the error nova raises. */
  novaReads?: null;
  novaError?: string;
}

/** The nova 2025.1 (Epoxy, python3-nova 31) fixture cloud, made by the same generator in the trixie root. */
export const CLOUD_2025_1 = join(import.meta.dirname, '..', 'fixtures', 'nova', '2025.1', 'cloud');

export interface ManifestInstance {
  uuid: string;
  cell: string | null;
  scenario: string;
  label: string;
  displayName: string;
  vmState: string;
  taskState: string | null;
  deleted: boolean;
  requestSpec: string;
  health: string;
  repair: boolean;
  notes: string[];
  stale: ManifestStale[];
  mustNotChange: { pointer: string; value: unknown }[];
  /** Non-Xen image properties some enabled hosts of the cell lack: healthy, a repair leaves them alone. */
  narrowedBy?: { property: string; value: string; hostsPassing: string[]; hostsFailing: string[] }[];
}

export interface ManifestHost {
  cell: string;
  host: string;
  node: string;
  hypervisorType: string;
  hypervisorVersion: number;
  /** [arch, hv_type, vm_mode] triples the compute node advertises. */
  supportedInstances: [string, string, string][];
  serviceDisabled: boolean;
}

export interface Manifest {
  cells: { name: string; uuid: string; database: string; disabled: boolean; databaseExists: boolean }[];
  hosts: ManifestHost[];
  instances: ManifestInstance[];
}

export interface TestCloud {
  cloud: LoadedCloud;
  manifest: Manifest;
  nova: NovaDatabases;
  /** Connections taken from the db layer's pools, as the doctor hands them to the repair. */
  conns: RepairConnections;
  cellRef(name: string | null): CellRef | null;
  snapshot(label: string): Promise<InstanceSnapshot>;
  instance(label: string): ManifestInstance;
  /** Simulate our process dying: drop the repair's connections without COMMIT or ROLLBACK, take fresh ones. */
  crash(): Promise<void>;
  /** A root connection to one of the loaded databases (for arranging conflicts and dumping rows). */
  root(db: 'api' | 'cell0' | 'cell1' | 'cell2'): Promise<Connection>;
  /** Every row of the four tables a repair touches, in every database, as text (HEX for exactness). */
  dump(): Promise<Record<string, Record<string, unknown>[]>>;
  close(): Promise<void>;
}

let counter = 0;

/**
 * `arrange`: runs on the loaded databases before the doctor opens them (e.g. a later nova's schema change).
 * `cloudDir`: another fixture cloud than the Zed one (e.g. `CLOUD_2025_1`).
 */
export async function openTestCloud(
  server: PrivateMariadb,
  arrange?: (cloud: LoadedCloud) => Promise<void>,
  cloudDir?: string,
): Promise<TestCloud> {
  const prefix = `r${process.pid}_${++counter}_`;
  const cloud = await loadCloud(server, { prefix, urlStyle: 'concrete', ...(cloudDir ? { cloudDir } : {}) });
  await arrange?.(cloud);
  const manifest = cloud.manifest as Manifest;
  const nova = await openNova({ configFiles: [], configDirs: [], apiDbUrl: cloud.apiUrl, cellDbUrls: [] });
  const connect = async (): Promise<RepairConnections> => {
    const api = await nova.apiConnection().getConnection();
    const cells = new Map<string, Connection>();
    for (const c of manifest.cells) {
      if (!c.databaseExists) continue;
      cells.set(c.uuid, await nova.cellConnection(c.uuid).getConnection());
    }
    return { api, cells };
  };
  const release = (conns: RepairConnections, how: 'release' | 'destroy') => {
    for (const c of [conns.api, ...conns.cells.values()]) (c as unknown as Record<string, () => void>)[how]!();
  };
  const roots: Connection[] = [];
  const cellRef = (name: string | null): CellRef | null => {
    if (name === null) return null;
    const c = manifest.cells.find((x) => x.name === name);
    if (!c) throw new Error(`no cell ${name} in the manifest`);
    return { uuid: c.uuid, name: c.name };
  };
  const instance = (label: string) => {
    const i = manifest.instances.find((x) => x.label === label);
    if (!i) throw new Error(`no instance ${label} in the manifest`);
    return i;
  };
  const root = async (db: 'api' | 'cell0' | 'cell1' | 'cell2') => {
    const conn = await server.connect(cloud.databases[db]);
    roots.push(conn);
    return conn;
  };
  const TABLES: Record<string, string[]> = {
    api: ['request_specs'],
    cell0: ['instances', 'instance_system_metadata', 'block_device_mapping'],
    cell1: ['instances', 'instance_system_metadata', 'block_device_mapping'],
    cell2: ['instances', 'instance_system_metadata', 'block_device_mapping'],
  };
  const tc: TestCloud = {
    cloud,
    manifest,
    nova,
    conns: await connect(),
    async crash() {
      release(tc.conns, 'destroy');
      tc.conns = await connect();
    },
    cellRef,
    instance,
    root,
    async snapshot(label) {
      const [s] = await nova.snapshots([instance(label).uuid]);
      if (!s) throw new Error(`no snapshot for ${label}`);
      return s;
    },
    async dump() {
      const out: Record<string, Record<string, unknown>[]> = {};
      for (const [db, tables] of Object.entries(TABLES)) {
        const conn = await root(db as 'api');
        for (const t of tables) {
          const [cols] = await conn.query<RowDataPacket[]>(
            'SELECT column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position',
            [t],
          );
          const select = cols.map((c) => `HEX(\`${c.c}\`) AS \`${c.c}\``).join(', ');
          const [rows] = await conn.query<RowDataPacket[]>(`SELECT ${select} FROM \`${t}\` ORDER BY id`);
          out[`${db}.${t}`] = rows.map((r) => ({ ...r }));
        }
      }
      return out;
    },
    async close() {
      release(tc.conns, 'release');
      for (const r of roots) await r.end().catch(() => undefined);
      await nova.close();
      const conn = await server.connect();
      for (const db of Object.values(cloud.databases)) await conn.query(`DROP DATABASE IF EXISTS \`${db}\``);
      await conn.end();
    },
  };
  return tc;
}
