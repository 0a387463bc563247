// Apply repair plans: a dry run (reads only) unless asked, then per instance one transaction per database
// with compare-and-swap on every row (engine.ts), the journal synced before each COMMIT, and a re-read and
// re-diagnosis afterwards: the instance must now pass ImagePropertiesFilter on the hosts the plan targeted.
import type { Connection, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { readHosts } from '../db/cells.js';
import { assembleSnapshot, type CellRows, instanceRowFrom, instanceSelectList } from '../db/readSnapshot.js';
import { connectionHasComputeId } from '../db/schema.js';
import { DoctorError, ExitCode } from '../errors.js';
import { readSpec } from '../nova/requestSpec.js';
import type { CellRef, InstanceRow, InstanceSnapshot } from '../nova/snapshot.js';
import { diagnose } from '../nova/staleness.js';
import type { HostCapabilities } from '../nova/types.js';
import { cloudOf } from './cloudIdentity.js';
import {
  type Conflict,
  describeConflicts,
  type FaultPoint,
  faultFromEnv,
  inspectChanges,
  type RepairConnections,
  runChangeSet,
} from './engine.js';
import { faultStep } from './faultStep.js';
import { Journal, type JournalChange, sha256 } from './journal.js';
import { checkHost } from './matching.js';
import { type PlanOptions, planRepair } from './plan.js';
import type { ApplyResult, RepairPlan, RowChange } from './types.js';

export type { RepairConnections } from './engine.js';

export interface ApplyOptions {
  /** false (the default): read the rows and say what would change; nothing is written, no journal needed. */
  apply: boolean;
  /** Required when apply is true: an open journal, or a path for a new one (0600 in a 0700 directory). */
  journal?: Journal | string;
  /** The options the plans were made with: the re-check after COMMIT plans again with them. */
  planOptions?: PlanOptions;
  /** innodb_lock_wait_timeout for our sessions (default 10 s): a locked row is reported, never waited on for long. */
  lockWaitTimeoutSeconds?: number;
  /** Test hook: "crash" at this point (default: NOVA_DOCTOR_FAIL_AFTER). */
  failAfter?: FaultPoint | null;
  /** How to read an instance again after COMMIT (default: the db layer's readers on the same connections). */
  readSnapshot?: (uuid: string, cell: CellRef) => Promise<InstanceSnapshot>;
  onProgress?: (done: number, total: number, uuid: string) => void;
  /**
   * Stop early (SIGINT/SIGTERM): no new instance is started; each one in progress is finished (its change set runs
   * to its last COMMIT or rolls back, and is re-checked), so nothing is left half done. Plans not tried come back
   * 'skipped' with INTERRUPTED_REASON.
   */
  signal?: AbortSignal;
}

export const DEFAULT_LOCK_WAIT_SECONDS = 10;

/** The reason of a plan that an interruption kept from being tried. */
export const INTERRUPTED_REASON = 'not tried: the repair was interrupted before this instance; nothing was changed';

/** applyPlans' marker for "a connection died": the run stops taking instances, like after a crash. */
const LOST = Symbol('connection lost');

/** The journal's view of a plan: every row change with exact values and hashes. */
export function planChanges(plan: RepairPlan): JournalChange[] {
  return plan.rowChanges.map((c) => toJournalChange(c, plan.uuid));
}

/** `instanceUuid`: the instance every row of the plan belongs to (checked under the row lock). */
export function toJournalChange(c: RowChange, instanceUuid: string): JournalChange {
  return {
    database: c.database,
    table: c.table,
    rowId: c.rowId,
    instanceUuid,
    column: c.column,
    ...(c.key !== undefined ? { key: c.key } : {}),
    action: c.action,
    before: c.oldValue,
    after: c.action === 'delete' ? null : c.newValue,
    beforeSha256: sha256(c.oldValue),
    afterSha256: sha256(c.action === 'delete' ? null : c.newValue),
    ...(c.spans ? { spans: c.spans } : {}),
  };
}

export function toRowChange(c: JournalChange): RowChange {
  return {
    database: c.database,
    table: c.table,
    rowId: c.rowId,
    column: c.column,
    ...(c.key !== undefined ? { key: c.key } : {}),
    action: c.action,
    oldValue: c.before,
    newValue: c.after,
    ...(c.spans ? { spans: c.spans } : {}),
  };
}

function conflictsOf(conflicts: readonly Conflict[]): { change: RowChange; currentValue: string | null }[] {
  return conflicts.map((c) => ({ change: toRowChange(c.change), currentValue: c.current }));
}

/** The db layer's readers take pool connections; they only run queries, which any connection does. */
function asPoolConnection(conn: Connection): PoolConnection {
  return conn as PoolConnection;
}

/**
 * Read one instance again through the repair's own connections. Compute nodes are read once per cell and
 * connection set when `hostCache` is given (they do not change because of a repair).
 */
export async function rereadSnapshot(
  conns: RepairConnections,
  uuid: string,
  cell: CellRef,
  hostCache?: Map<string, HostCapabilities[]>,
): Promise<InstanceSnapshot> {
  const cellConn = conns.cells.get(cell.uuid);
  if (!cellConn) throw new Error(`no connection to cell ${cell.name ?? cell.uuid}`);
  // Three queries (trace's readers take five): this runs once per repaired instance, right after its COMMIT.
  const [specRows] = await conns.api.execute<RowDataPacket[]>(
    'SELECT id, instance_uuid, spec FROM request_specs WHERE instance_uuid = ?',
    [uuid],
  );
  const withComputeId = await connectionHasComputeId(cellConn);
  const [instRows] = await cellConn.execute<RowDataPacket[]>(
    `SELECT ${instanceSelectList('i', withComputeId)}, b.id AS bdm_id, b.device_name, b.boot_index
       FROM instances i LEFT JOIN block_device_mapping b ON b.instance_uuid = i.uuid AND b.deleted = 0
      WHERE i.uuid = ? ORDER BY b.id`,
    [uuid],
  );
  const [metaRows] = await cellConn.execute<RowDataPacket[]>(
    'SELECT id, `key`, value, deleted FROM instance_system_metadata WHERE instance_uuid = ? ORDER BY id',
    [uuid],
  );
  let hosts = hostCache?.get(cell.uuid);
  if (!hosts) {
    // The scheduler's ComputeFilter drops disabled services before ImagePropertiesFilter: as trace does.
    hosts = (await readHosts(asPoolConnection(cellConn))).filter((h) => h.enabled);
    hostCache?.set(cell.uuid, hosts);
  }
  const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
  const i = instRows[0];
  const rows: CellRows = { instances: new Map(), systemMetadata: new Map(), blockDeviceMappings: new Map() };
  if (i) {
    rows.instances.set(
      uuid,
      instanceRowFrom((c) => i[c], withComputeId),
    );
    rows.blockDeviceMappings.set(
      uuid,
      instRows
        .filter((r) => r.bdm_id !== null)
        .map((r) => ({
          id: Number(r.bdm_id),
          deviceName: str(r.device_name),
          bootIndex: r.boot_index === null ? null : Number(r.boot_index),
          deleted: 0,
        })),
    );
  }
  rows.systemMetadata.set(
    uuid,
    metaRows.map((r) => ({
      id: Number(r.id),
      key: String(r.key),
      value: str(r.value),
      deleted: Number(r.deleted ?? 0),
    })),
  );
  const spec = specRows[0]
    ? { id: Number(specRows[0].id), instanceUuid: String(specRows[0].instance_uuid), spec: String(specRows[0].spec) }
    : null;
  return assembleSnapshot(uuid, cell, spec, rows, hosts, []);
}

/**
 * After COMMIT: every row must read back exactly as planned, nova/staleness must find nothing stale, planning
 * again must find nothing left, and the
 * repaired request spec must pass ImagePropertiesFilter on every host the plan expected it to pass.
 * Returns null when all holds, else what did not.
 */
export async function verifyRepaired(
  conns: RepairConnections,
  plan: RepairPlan,
  applied: readonly JournalChange[],
  options: Pick<ApplyOptions, 'planOptions' | 'readSnapshot'>,
  hostCache?: Map<string, HostCapabilities[]>,
): Promise<string | null> {
  if (!plan.cell) return null;
  const fresh = await (options.readSnapshot ?? ((u, c) => rereadSnapshot(conns, u, c, hostCache)))(
    plan.uuid,
    plan.cell,
  );
  const off = applied.filter((c) => !readsBack(fresh, c));
  if (off.length > 0) {
    return `rows do not read back as written: ${off.map((c) => `${c.table} id ${c.rowId} ${c.key ?? c.column}`).join(', ')}`;
  }
  // A leftover with nothing to become (a device name another mapping already uses) was reported, not planned.
  const left = diagnose(fresh).stale.filter((v) => v.becomes !== undefined);
  if (left.length > 0) {
    return `the instance still shows stale values: ${left.map((v) => `${v.table} ${'key' in v ? v.key : v.column}='${v.value}'`).join(', ')}`;
  }
  const again = planRepair(fresh, { ...options.planOptions, setHost: null });
  if (again.status !== 'nothing-to-do') {
    const left = again.rowChanges.map((c) => `${c.table}.${c.key ?? c.column} id ${c.rowId}`);
    return `planning again still finds work (${again.status}: ${again.reason ?? left.join(', ')})`;
  }
  const expected = new Set((plan.verification ?? []).filter((v) => v.passes).map((v) => `${v.host}/${v.node}`));
  const reading = fresh.requestSpec ? readSpec(fresh.requestSpec.spec) : null;
  const spec = reading?.ok ? reading.props : null;
  if (spec) {
    for (const host of fresh.hosts) {
      if (!expected.has(`${host.host}/${host.node}`)) continue;
      const verdict = checkHost(spec, host);
      if (!verdict.passes) return `ImagePropertiesFilter still rejects ${host.host}: ${verdict.why}`;
    }
  }
  return null;
}

const INSTANCE_COLUMNS: Record<string, keyof InstanceRow> = {
  kernel_id: 'kernelId',
  ramdisk_id: 'ramdiskId',
  root_device_name: 'rootDeviceName',
  vm_mode: 'vmMode',
  host: 'host',
  node: 'node',
  compute_id: 'computeId',
};

/** Does the freshly read instance hold what the change wrote? */
function readsBack(fresh: InstanceSnapshot, c: JournalChange): boolean {
  switch (c.table) {
    case 'request_specs':
      return fresh.requestSpec?.id === c.rowId && fresh.requestSpec.spec === c.after;
    case 'instance_system_metadata': {
      const row = fresh.systemMetadata.find((r) => r.id === c.rowId);
      if (c.action === 'delete') return row === undefined;
      return row !== undefined && row.value === c.after && (c.key === undefined || row.key === c.key);
    }
    case 'instances': {
      const field = INSTANCE_COLUMNS[c.column];
      return fresh.instance?.id === c.rowId && field !== undefined && fresh.instance[field] === c.after;
    }
    case 'block_device_mapping':
      return fresh.blockDeviceMappings.find((b) => b.id === c.rowId)?.deviceName === c.after;
  }
}

function isConnectionList(c: RepairConnections | readonly RepairConnections[]): c is readonly RepairConnections[] {
  return Array.isArray(c);
}

function result(
  plan: RepairPlan,
  status: ApplyResult['status'],
  reason: string | null,
  extra: Partial<ApplyResult> = {},
): ApplyResult {
  return { uuid: plan.uuid, status, reason, plan, ...extra };
}

/** Dry run: do the rows still hold what the plan read? */
async function dryRun(conns: RepairConnections, plan: RepairPlan): Promise<ApplyResult> {
  const states = await inspectChanges(conns, plan.cell, planChanges(plan));
  const moved = states.filter((s) => s.state !== 'before');
  if (moved.length > 0) {
    return result(plan, 'conflict', `${describeConflicts(moved)}: plan again`, {
      conflicts: moved.map((m) => ({ change: toRowChange(m.change), currentValue: m.current })),
    });
  }
  const rows = new Set(plan.rowChanges.map((c) => `${c.database}.${c.table}.${c.rowId}`)).size;
  return result(plan, 'dry-run', `would change ${plan.rowChanges.length} value(s) in ${rows} row(s)`);
}

/**
 * Apply (or dry-run) repair plans. One instance at a time per connection set (pass several sets to repair
 * several instances at once); results come back in the order of the plans. Plans that are not 'planned' come back as
 * skipped / nothing-to-do with their reason. Never throws for one instance's trouble; throws DoctorError for
 * an unusable journal, and InjectedFault at a fault point (a simulated crash).
 */
export async function applyPlans(
  plans: readonly RepairPlan[],
  connections: RepairConnections | readonly RepairConnections[],
  options: ApplyOptions,
): Promise<ApplyResult[]> {
  // Several connection sets: that many instances are repaired at once (each still one transaction per database).
  const sets: readonly RepairConnections[] = isConnectionList(connections) ? connections : [connections];
  if (sets.length === 0) throw new Error('applyPlans: no database connections');
  const results: ApplyResult[] = new Array(plans.length);
  const failAfter = options.failAfter === undefined ? faultFromEnv() : options.failAfter;
  const lockWait = options.lockWaitTimeoutSeconds ?? DEFAULT_LOCK_WAIT_SECONDS;
  const hostCache = new Map<string, HostCapabilities[]>();
  let journal: Journal | null = null;
  let ownJournal = false;
  let lostConnection: string | null = null;
  const journalFor = async (): Promise<Journal> => {
    if (journal) return journal;
    if (!options.journal) throw new Error('applyPlans: apply needs a journal');
    if (typeof options.journal === 'string') {
      // The header names the cloud (undo and resume refuse the journal anywhere else).
      journal = await Journal.create(options.journal, { cloud: await cloudOf(sets[0]!) });
      ownJournal = true;
    } else journal = options.journal;
    return journal;
  };
  try {
    // Refuse a bad journal before touching anything; write none when nothing is planned (or already interrupted).
    if (options.apply && !options.signal?.aborted && plans.some((p) => p.status === 'planned')) await journalFor();
    let done = 0;
    let next = 0;
    let crash: unknown = null;
    const worker = async (conns: RepairConnections) => {
      while (crash === null && next < plans.length && !options.signal?.aborted) {
        const n = next++;
        const plan = plans[n]!;
        try {
          results[n] = await applyOne(plan, conns);
        } catch (err) {
          crash = err; // an injected fault or our bug: stop taking new instances, let the others finish
          return;
        }
        options.onProgress?.(++done, plans.length, plan.uuid);
        // A dead connection fails every later instance too (a restarted server, a cut network): stop here
        // rather than report each of them as its own failure.
        if (lostConnection !== null && crash === null) crash = LOST;
      }
    };
    await Promise.all(sets.map(worker));
    if (crash === LOST) {
      // Plans with nothing to apply need no connection: they still get their result.
      for (const [n, plan] of plans.entries())
        if (!results[n] && plan.status !== 'planned') results[n] = await applyOne(plan, sets[0]!);
    }
    const untried = plans.length - results.filter((r) => r !== undefined).length;
    if (crash === LOST && untried > 0) {
      await (journal as Journal | null)?.drain();
      const committed = results.filter((r) => r?.status === 'repaired').length;
      throw new DoctorError(
        // The journal and how to go on are said by the doctor's flow, which knows the run's database options.
        `lost the database connection mid-repair (${lostConnection}): ${committed} instance(s) repaired, ${untried} not tried`,
        { exitCode: ExitCode.incomplete },
      );
    }
    if (crash !== null && crash !== LOST) throw crash;
    // Interrupted: every instance started is finished; the others were not touched.
    for (const [n, plan] of plans.entries()) {
      if (results[n]) continue;
      results[n] =
        plan.status === 'planned'
          ? result(plan, 'skipped', INTERRUPTED_REASON)
          : result(plan, plan.status === 'nothing-to-do' ? 'nothing-to-do' : 'skipped', plan.reason);
    }
    await (journal as Journal | null)?.drain(); // every record on disk before we report
    return results;
  } finally {
    if (ownJournal) await (journal as Journal | null)?.close();
  }

  async function applyOne(plan: RepairPlan, conns: RepairConnections): Promise<ApplyResult> {
    if (plan.status !== 'planned') {
      return result(plan, plan.status === 'nothing-to-do' ? 'nothing-to-do' : 'skipped', plan.reason);
    }
    if (!options.apply) {
      try {
        return await dryRun(conns, plan);
      } catch (err) {
        return result(plan, 'failed', (err as Error).message);
      }
    }
    const j = await journalFor();
    const outcome = await runChangeSet(
      conns,
      {
        kind: 'repair',
        uuid: plan.uuid,
        cell: plan.cell,
        requestSpecPatch: plan.requestSpecPatch,
        changes: planChanges(plan),
        onConflict: 'abort',
        writeIntent: true,
      },
      { journal: j, failAfter, lockWaitTimeoutSeconds: lockWait },
    );
    if (outcome.connectionLost !== undefined) lostConnection ??= outcome.connectionLost.replace(/\s*\n\s*/g, ' ');
    const extra = { changeSetId: outcome.id, conflicts: conflictsOf(outcome.conflicts) };
    switch (outcome.status) {
      case 'conflict':
        return result(plan, 'conflict', outcome.reason, extra);
      case 'skipped':
        return result(plan, 'skipped', outcome.reason, extra);
      case 'nothing-to-do':
        return result(plan, 'nothing-to-do', outcome.reason, extra);
      case 'failed':
        return result(plan, 'failed', outcome.reason, extra);
      case 'committed':
        break;
    }
    faultStep();
    let problem: string | null;
    try {
      problem = await verifyRepaired(conns, plan, outcome.applied, options, hostCache);
    } catch (err) {
      problem = `could not re-read the instance: ${(err as Error).message}`;
    }
    j.appendLater({
      type: 'state',
      id: outcome.id,
      uuid: plan.uuid,
      state: 'done',
      at: new Date().toISOString(),
      verified: problem === null,
      ...(problem ? { reason: problem } : {}),
    });
    faultStep();
    if (problem)
      return result(plan, 'failed', `committed, but the re-check failed: ${problem}`, { ...extra, verified: false });
    return result(plan, 'repaired', null, { ...extra, verified: true });
  }
}
