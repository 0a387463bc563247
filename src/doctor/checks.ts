// What the operator asked for, checked before any work: a value nothing could ever satisfy is a usage error
// (exit 2, one line), not a per-instance "skipped" at the end of a sweep or a stack trace.
import type { NovaDatabases } from '../db/trace.js';
import { usageError } from '../errors.js';
import { timeRange } from '../logscan/timeRange.js';
import { hvTypeOptionProblem } from '../nova/repairTargets.js';
import { type ImageProperty, WIDENABLE } from '../nova/xenLeftovers.js';

/** What --widen accepts (the CLI's help names them). */
export const WIDEN_CHOICES: readonly string[] = WIDENABLE;

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
  const problem = hvTypeOptionProblem(value);
  if (problem) throw usageError(problem);
  return value;
}

/** --widen: the properties whose narrowing (non-Xen) values the operator asks to rewrite too. */
export function checkWiden(values: readonly string[] | undefined): ImageProperty[] {
  const out: ImageProperty[] = [];
  for (const v of values ?? []) {
    const p = WIDENABLE.find((w) => w === v);
    if (!p) throw usageError(`--widen '${v}' is not a property a repair can widen`, `one of ${WIDENABLE.join(', ')}`);
    if (!out.includes(p)) out.push(p);
  }
  return out;
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
