// Step 2: from instances (named, found in logs, or every one) to their rows and what is stale in them.
import { type NovaDatabases, openNova } from '../db/trace.js';
import type { CellStatus, DbOptions } from '../db/types.js';
import { DoctorError } from '../errors.js';
import type { Incident, ScanReport } from '../logscan/types.js';
import type { Diagnosis, InstanceSnapshot } from '../nova/snapshot.js';
import { diagnose } from '../nova/staleness.js';
import { startSpecReader, withSpecReadings } from './specReader.js';

/** One instance as trace sees it: rows, diagnosis, and the log incident that led us to it (if any). */
export interface TracedInstance {
  uuid: string;
  snapshot: InstanceSnapshot;
  diagnosis: Diagnosis;
  incident: Incident | null;
}

export interface TraceTargets {
  uuids: string[];
  /** From a scan of the logs named on the command line. */
  scan: ScanReport | null;
  all: boolean;
}

export async function openDatabases(db: DbOptions | null): Promise<NovaDatabases> {
  if (!db) {
    throw new DoctorError('no database given', {
      hint: 'pass --config /etc/nova/nova.conf, or --api-db URL (and --cell-db URL), or set NOVA_DOCTOR_API_DB',
      exitCode: 2,
    });
  }
  return openNova(db);
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
  const uuids = targetUuids(targets);
  const seen = new Set<string>();
  let done = 0;
  const total = targets.all ? null : uuids.length;
  for (let i = 0; i < uuids.length; i += BATCH) {
    for (const snapshot of await nova.snapshots(uuids.slice(i, i + BATCH))) {
      seen.add(snapshot.uuid);
      yield {
        uuid: snapshot.uuid,
        snapshot,
        diagnosis: diagnose(snapshot),
        incident: incidents.get(snapshot.uuid) ?? null,
      };
      onProgress?.(++done, total);
    }
  }
  if (!targets.all) return;
  const reader = startSpecReader();
  try {
    for await (const { snapshot, reading } of withSpecReadings(nova.sweep(), reader)) {
      if (seen.has(snapshot.uuid)) continue;
      yield { uuid: snapshot.uuid, snapshot, diagnosis: diagnose(snapshot, reading ?? undefined), incident: null };
      onProgress?.(++done, total);
    }
  } finally {
    await reader.close();
  }
}
