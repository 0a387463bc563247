// Step 2: from instances (named, found in logs, or every one) to their rows and what is stale in them.
import { type NovaDatabases, openNova } from '../db/trace.js';
import type { CellStatus, DbOptions } from '../db/types.js';
import { DoctorError, ExitCode } from '../errors.js';
import type { Incident, ScanReport } from '../logscan/types.js';
import { readSpec, type SpecReading } from '../nova/requestSpec.js';
import type { Diagnosis, InstanceSnapshot } from '../nova/snapshot.js';
import { diagnose } from '../nova/staleness.js';

/** One instance as trace sees it: rows, diagnosis, and the log incident that led us to it (if any). */
export interface TracedInstance {
  uuid: string;
  snapshot: InstanceSnapshot;
  diagnosis: Diagnosis;
  incident: Incident | null;
  /** How it was asked for: named on the command line, found in a log, or met by a sweep (--all). */
  origin: 'named' | 'log' | 'sweep';
  /** readSpec() of its request spec, done once for the diagnosis and the plan (null: no spec). */
  reading: SpecReading | null;
}

/**
 * diagnose(), and when it throws (a spec nova's own loader would choke on, met by a parser's limit), that
 * instance's diagnosis says so: one instance's bad data is never the whole list's error.
 */
function diagnoseOne(snapshot: InstanceSnapshot, reading: SpecReading | null): Diagnosis {
  try {
    return diagnose(snapshot, reading);
  } catch (err) {
    return {
      uuid: snapshot.uuid,
      cell: snapshot.cell,
      health: 'unreadable',
      stale: [],
      narrowing: [],
      notes: [],
      problems: [`could not be diagnosed: ${err instanceof Error ? err.message : String(err)}`],
    };
  }
}

export interface TraceTargets {
  uuids: string[];
  /** From a scan of the logs named on the command line. */
  scan: ScanReport | null;
  all: boolean;
}

/** Trace, repair and undo need the databases: said before any work (a scan of big logs) is done. */
export function requireDatabase(db: DbOptions | null): DbOptions {
  if (db) return db;
  throw new DoctorError('no database given', {
    hint: 'pass --config /etc/nova/nova.conf, or --api-db URL (and --cell-db URL), or set NOVA_DOCTOR_API_DB',
    exitCode: ExitCode.usage,
  });
}

export async function openDatabases(db: DbOptions | null): Promise<NovaDatabases> {
  return openNova(requireDatabase(db));
}

export function cellsOf(nova: NovaDatabases): CellStatus[] {
  return nova.cells();
}

/** The UUIDs to trace, in a stable order: named ones first, then those the scan found. */
export function targetUuids(targets: TraceTargets): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (u: string) => {
    const key = u.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      out.push(key);
    }
  };
  targets.uuids.forEach(add);
  targets.scan?.instances.forEach((i) => add(i.uuid));
  return out;
}

const BATCH = 500;

/**
 * Streams every traced instance: named and scanned ones first, then (with --all) the whole cloud.
 * Memory stays flat on a sweep: snapshots are diagnosed and handed on one at a time.
 */
export async function* traceInstances(
  nova: NovaDatabases,
  targets: TraceTargets,
  onProgress?: (done: number, total: number | null) => void,
): AsyncGenerator<TracedInstance> {
  const incidents = new Map((targets.scan?.instances ?? []).map((i) => [i.uuid.toLowerCase(), i]));
  const named = new Set(targets.uuids.map((u) => u.toLowerCase()));
  const uuids = targetUuids(targets);
  const seen = new Set<string>();
  let done = 0;
  const total = targets.all ? null : uuids.length;
  for (let i = 0; i < uuids.length; i += BATCH) {
    for (const snapshot of await nova.snapshots(uuids.slice(i, i + BATCH))) {
      seen.add(snapshot.uuid);
      yield traced(snapshot, incidents.get(snapshot.uuid) ?? null, named.has(snapshot.uuid) ? 'named' : 'log');
      onProgress?.(++done, total);
    }
  }
  if (!targets.all) return;
  // The specs are read on this thread: a worker that read them cost more than it saved (posting the batches,
  // copying their bytes, waking the other thread, a second heap) on two CPUs the database shares.
  for await (const snapshot of nova.sweep()) {
    if (seen.has(snapshot.uuid)) continue;
    yield traced(snapshot, null, 'sweep');
    onProgress?.(++done, total);
  }
}

/** An instance read, diagnosed: its spec read once, on this thread. */
function traced(
  snapshot: InstanceSnapshot,
  incident: Incident | null,
  origin: TracedInstance['origin'],
): TracedInstance {
  const reading = snapshot.requestSpec ? readSpec(snapshot.requestSpec.spec) : null;
  return { uuid: snapshot.uuid, snapshot, reading, diagnosis: diagnoseOne(snapshot, reading), incident, origin };
}
