// What the operator asked for, checked before any work: a value nothing could ever satisfy is a usage error
// (exit 2, one line), not a per-instance "skipped" at the end of a sweep or a stack trace.
import type { NovaDatabases } from '../db/trace.js';
import { usageError } from '../errors.js';
import { timeRange } from '../logscan/timeRange.js';
import { canonicalHvType, HV_TYPES, isValidHvType } from '../nova/canonical.js';
import { REMOVE_HV_TYPE } from '../repair/plan.js';

/** --since/--until: parsed by the scan's own timeRange (the one parser), so what passes here is what it uses. */
export function checkTimes(
  since: string | undefined,
  until: string | undefined,
): { since: string | null; until: string | null } {
  timeRange(since ?? null, until ?? null);
  return { since: since ?? null, until: until ?? null };
}

/** --hv-type: a hypervisor type nova knows (not xen, which is what is repaired away from), or 'remove'. */
export function checkHvType(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.toLowerCase() === REMOVE_HV_TYPE) return value;
  if (!isValidHvType(value))
    throw usageError(
      `--hv-type '${value}' is not a hypervisor type nova knows`,
      `one of ${HV_TYPES.join(', ')}, or ${REMOVE_HV_TYPE}`,
    );
  if (canonicalHvType(value) === 'xen') throw usageError(`--hv-type ${value} is what the repair moves away from`);
  return value;
}

/** --set-host: a compute node of some reachable cell (whether it suits each instance is the plan's to say). */
export function checkSetHost(nova: NovaDatabases, host: string | null): void {
  if (host === null) return;
  const cells = nova.cells().filter((c) => c.reachable && !c.isCell0);
  const hosts = new Set(cells.flatMap((c) => nova.cellHosts(c.uuid).map((h) => h.host)));
  if (hosts.has(host)) return;
  const known = [...hosts].sort();
  throw usageError(
    `--set-host '${host}' is not a compute node of any reachable cell`,
    known.length > 0
      ? `the compute nodes are ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''}`
      : 'no cell lists a compute node',
  );
}
