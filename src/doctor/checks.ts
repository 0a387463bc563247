// What the operator asked for, checked before any work: a value nothing could ever satisfy is a usage error
// (exit 2, one line), not a per-instance "skipped" at the end of a sweep or a stack trace.
import type { NovaDatabases } from '../db/trace.js';
import { usageError } from '../errors.js';
import { timeRange } from '../logscan/timeRange.js';
import { canonicalHvType } from '../nova/canonical.js';
import { hvTypeOptionProblem, REMOVE_HV_TYPE } from '../nova/repairTargets.js';
import type { InstanceSnapshot } from '../nova/snapshot.js';
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

/** The cells an option naming hosts or what they offer is checked against: reachable, not cell0. */
function hostCells(nova: NovaDatabases) {
  return nova.cells().filter((c) => c.reachable && !c.isCell0);
}

/** --set-host: a compute node of some reachable cell (whether it suits each instance is the plan's to say). */
export function checkSetHost(nova: NovaDatabases, host: string | null): void {
  if (host === null) return;
  const cells = hostCells(nova);
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

/**
 * --hv-type: a type some enabled compute node of a reachable cell lists (nova's ImagePropertiesFilter sees only
 * enabled ones); one no host lists could never be written, in any cell. Checked where --set-host is, before any
 * work. Whether every host of an instance's cell lists it is the plan's to say.
 */
export function checkHvTypeListed(nova: NovaDatabases, hvType: string | null): void {
  if (hvType === null || hvType.toLowerCase() === REMOVE_HV_TYPE) return;
  const wanted = canonicalHvType(hvType);
  const listed = hostCells(nova).map((c) => {
    const types = new Set<string>();
    for (const h of nova.cellHosts(c.uuid))
      if (h.enabled) for (const t of h.supportedInstances) types.add(canonicalHvType(t[1]) ?? '');
    types.delete('');
    return { name: c.name ?? c.uuid, types: [...types].sort() };
  });
  if (listed.some((c) => c.types.includes(wanted ?? ''))) return;
  const known = listed.filter((c) => c.types.length > 0).map((c) => `${c.name}: ${c.types.join(', ')}`);
  throw usageError(
    `--hv-type '${hvType}' is listed by no enabled compute node of any reachable cell`,
    known.length > 0
      ? `the cells' hosts list ${known.join('; ')}; or --hv-type remove`
      : 'no cell lists a compute node',
  );
}

/** A snapshot of an instance nova has no trace of: no instance mapping, no request spec, in no reachable cell. */
export function unknownToNova(s: InstanceSnapshot): boolean {
  return s.instance === null && s.requestSpec === null && !s.cell;
}

/**
 * The UUIDs named on the command line: each must be one nova knows (a mapping, a spec, or a row in a reachable
 * cell; a deleted instance still in its cell is known). One it does not (a typo the UUID check could not see, an
 * instance archived since) is a usage error, said before any work: no log scanned, nothing planned or written.
 */
export async function checkNamedUuids(nova: NovaDatabases, uuids: readonly string[]): Promise<void> {
  if (uuids.length === 0) return;
  const unknown = (await nova.snapshots(uuids)).filter(unknownToNova).map((s) => s.uuid);
  if (unknown.length === 0) return;
  const why = 'no instance mapping, no request spec, in no reachable cell';
  throw usageError(
    unknown.length === 1
      ? `instance ${unknown[0]} is unknown to nova (${why})`
      : `${unknown.length} instances are unknown to nova (${why}): ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}`,
    `nothing was done: check ${unknown.length === 1 ? 'it' : 'them'}, or leave ${unknown.length === 1 ? 'it' : 'them'} out`,
  );
}

/** What a run was asked to act on, checked against the databases before any work (checkRequest). */
export interface RequestChecked {
  /** Instance UUIDs named (trace, repair). */
  uuids?: readonly string[];
  /** --hv-type (repair, the TUI). */
  hvType?: string | null;
  /** --set-host (repair). */
  setHost?: string | null;
}

/**
 * Every check of what was asked that needs the databases, in one place for both faces (the CLI's trace and repair,
 * the TUI's DoctorSession.start): run once they are open and before any log is scanned, so a host nobody has, a type
 * no host lists or a UUID nova lacks is a usage error (exit 2, one line) before any work.
 */
export async function checkRequest(nova: NovaDatabases, request: RequestChecked): Promise<void> {
  checkSetHost(nova, request.setHost ?? null);
  checkHvTypeListed(nova, request.hvType ?? null);
  await checkNamedUuids(nova, request.uuids ?? []);
}
