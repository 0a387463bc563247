// supported_instances as nova writes it: the scheduler logs a Python repr (py3 `[['x86_64', 'kvm', 'hvm']]`,
// py2 `[[u'x86_64', u'kvm', u'hvm']]`, tuples in some releases) and compute_nodes.supported_instances holds
// the same thing as JSON. Also hypervisor versions (libvirt: major*1e6 + minor*1e3 + micro).
import { parsePyLiteralExact } from './pyLiteral.js';
import type { SupportedInstance } from './types.js';

/**
 * Parses a supported_instances list (Python repr or JSON). Returns null when the text is not such a list
 * (e.g. abbreviated as `[...]` in a pasted log). Elements that are not 3 strings are skipped.
 */
export function parseSupportedInstances(text: string): SupportedInstance[] | null {
  const v = parsePyLiteralExact(text.trim());
  if (!Array.isArray(v)) return null;
  const out: SupportedInstance[] = [];
  for (const item of v) {
    if (!Array.isArray(item) || item.length !== 3) continue;
    const [a, h, m] = item;
    if (typeof a !== 'string' || typeof h !== 'string' || typeof m !== 'string') continue;
    out.push([a, h, m]);
  }
  // A list that had elements but none of the right shape is not a supported_instances list.
  if (out.length === 0 && v.length > 0) return null;
  return out;
}

/** `2011001` → 2011001, `None` → null; anything else → undefined (not a hypervisor version). */
export function parseHypervisorVersion(text: string): number | null | undefined {
  const t = text.trim();
  if (t === 'None') return null;
  if (/^\d{1,15}$/.test(t)) return Number(t);
  return undefined;
}

/** oslo_utils.versionutils.convert_version_to_str: 2011001 → '2.11.1', 6002000 → '6.2.0'. */
export function hypervisorVersionToString(version: number): string {
  const parts: number[] = [];
  let v = Math.trunc(version);
  while (v !== 0) {
    parts.unshift(v % 1000);
    v = Math.trunc(v / 1000);
  }
  return parts.join('.');
}
