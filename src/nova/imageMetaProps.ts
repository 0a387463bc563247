// The image properties nova logs in "Instance contains properties …": an ImageMetaProps repr
// (Mitaka+, oslo.versionedobjects VersionedObject.__repr__) or, on Kilo/Liberty, a plain dict repr
// with Glance's legacy names. Both end up as ImageProps under the current field names.
import { parsePyLiteral } from './pyLiteral.js';
import type { ImageProps } from './types.js';

/**
 * Every ImageMetaProps field of any release (fields were only ever added; master 1.43 is the union),
 * sorted as the repr sorts them.
 */
export const IMAGE_META_PROPS_FIELDS: readonly string[] = [
  'hw_architecture',
  'hw_auto_disk_config',
  'hw_boot_menu',
  'hw_cdrom_bus',
  'hw_cpu_cores',
  'hw_cpu_max_cores',
  'hw_cpu_max_sockets',
  'hw_cpu_max_threads',
  'hw_cpu_policy',
  'hw_cpu_realtime_mask',
  'hw_cpu_sockets',
  'hw_cpu_thread_policy',
  'hw_cpu_threads',
  'hw_device_id',
  'hw_disk_bus',
  'hw_disk_type',
  'hw_emulation_architecture',
  'hw_ephemeral_encryption',
  'hw_ephemeral_encryption_format',
  'hw_ephemeral_encryption_secret_uuid',
  'hw_firmware_stateless',
  'hw_firmware_type',
  'hw_floppy_bus',
  'hw_input_bus',
  'hw_ipxe_boot',
  'hw_locked_memory',
  'hw_machine_type',
  'hw_maxphysaddr_bits',
  'hw_maxphysaddr_mode',
  'hw_mem_encryption',
  'hw_mem_encryption_model',
  'hw_mem_page_size',
  'hw_numa_cpus',
  'hw_numa_mem',
  'hw_numa_nodes',
  'hw_pci_numa_affinity_policy',
  'hw_pmu',
  'hw_pointer_model',
  'hw_qemu_guest_agent',
  'hw_redirected_usb_ports',
  'hw_rescue_bus',
  'hw_rescue_device',
  'hw_rng_model',
  'hw_scsi_model',
  'hw_serial_port_count',
  'hw_sound_model',
  'hw_time_hpet',
  'hw_tpm_model',
  'hw_tpm_version',
  'hw_usb_model',
  'hw_video_model',
  'hw_video_ram',
  'hw_vif_model',
  'hw_vif_multiqueue_enabled',
  'hw_viommu_model',
  'hw_virtio_packed_ring',
  'hw_vm_mode',
  'hw_watchdog_action',
  'img_bdm_v2',
  'img_bittorrent',
  'img_block_device_mapping',
  'img_cache_in_nova',
  'img_compression_level',
  'img_config_drive',
  'img_hide_hypervisor_id',
  'img_hv_requested_version',
  'img_hv_type',
  'img_linked_clone',
  'img_mappings',
  'img_owner_id',
  'img_root_device_name',
  'img_signature',
  'img_signature_certificate_uuid',
  'img_signature_hash_method',
  'img_signature_key_type',
  'img_use_agent',
  'img_version',
  'os_admin_user',
  'os_command_line',
  'os_distro',
  'os_require_quiesce',
  'os_secure_boot',
  'os_skip_agent_inject_files_at_boot',
  'os_skip_agent_inject_ssh',
  'os_type',
  'traits_required',
];
const KNOWN = new Set(IMAGE_META_PROPS_FIELDS);

/**
 * Fields whose repr can hold any text (String fields, lists, dicts). Every other field prints as a short
 * token (enum, int, bool, uuid, version predicate), which lets a parser tell a real `,name=` from one
 * quoted inside a free-text value.
 */
export const FREE_TEXT_FIELDS: ReadonlySet<string> = new Set([
  'hw_auto_disk_config',
  'hw_cpu_realtime_mask',
  'hw_disk_type',
  'hw_machine_type',
  'hw_mem_page_size',
  'img_owner_id',
  'img_root_device_name',
  'img_signature',
  'os_admin_user',
  'os_command_line',
  'os_distro',
  'hw_numa_cpus',
  'hw_numa_mem',
  'img_block_device_mapping',
  'img_mappings',
  'traits_required',
]);
// A token value followed by the next field, an abbreviation marker or the end. Bounded: linear.
const TOKEN_VALUE =
  /(?:<\?>|None|True|False|-?\d{1,20}(?:\.\d{1,20})?|'[^']{0,256}')(?=,[a-z][a-z0-9_]{0,64}=|,? ?(?:\[\.\.\.\]|\u2026)|$)/y;

/** ImageMetaProps._legacy_property_map (nova/objects/image_meta.py): Glance/Kilo name → field name. */
export const LEGACY_PROPERTY_NAMES: Readonly<Record<string, string>> = {
  architecture: 'hw_architecture',
  owner_id: 'img_owner_id',
  vmware_disktype: 'hw_disk_type',
  vmware_image_version: 'img_version',
  vmware_ostype: 'os_distro',
  auto_disk_config: 'hw_auto_disk_config',
  ipxe_boot: 'hw_ipxe_boot',
  xenapi_device_id: 'hw_device_id',
  xenapi_image_compression_level: 'img_compression_level',
  vmware_linked_clone: 'img_linked_clone',
  xenapi_use_agent: 'img_use_agent',
  xenapi_skip_agent_inject_ssh: 'os_skip_agent_inject_ssh',
  xenapi_skip_agent_inject_files_at_boot: 'os_skip_agent_inject_files_at_boot',
  cache_in_nova: 'img_cache_in_nova',
  vm_mode: 'hw_vm_mode',
  bittorrent: 'img_bittorrent',
  mappings: 'img_mappings',
  block_device_mapping: 'img_block_device_mapping',
  bdm_v2: 'img_bdm_v2',
  root_device_name: 'img_root_device_name',
  hypervisor_version_requires: 'img_hv_requested_version',
  hypervisor_type: 'img_hv_type',
};

export interface ParsedImageProps {
  /** Set fields under current names. Strings, numbers, booleans, null; lists/dicts/objects as their repr text. */
  props: ImageProps;
  form: 'ImageMetaProps' | 'dict';
  /** Field names the repr listed, set or not (empty for the dict form). */
  fields: string[];
  /** The text was abbreviated (`[...]`, `...`) or damaged: fields not listed may still be set. */
  partial: boolean;
}

/** Parses what "Instance contains properties …" carries: an ImageMetaProps repr or a (legacy) dict repr. */
export function parseImagePropsText(text: string): ParsedImageProps | null {
  const t = text.trim();
  if (t.startsWith('ImageMetaProps(')) return parseImageMetaPropsRepr(t);
  if (t.startsWith('{')) return parseLegacyImagePropsDict(t);
  return null;
}

// A field boundary: start of the list, ',' or an abbreviation marker a person left when pasting.
const BOUNDARY = /(?:^|,|\[\.\.\.\] ?|\u2026 ?)([a-z][a-z0-9_]*)=/g;
const ABBREVIATION = /\[\.\.\.\]|\u2026/;

/**
 * `ImageMetaProps(a='x',b=<?>,…)` → props. Field names are sorted in the repr, and free-text values
 * (os_command_line, …) are printed unescaped and may contain `,`, `(`, `)`, quotes and even `,name=`;
 * a boundary is accepted only in sorted order and only after a value that is complete.
 */
export function parseImageMetaPropsRepr(text: string): ParsedImageProps | null {
  const t = text.trim();
  if (!t.startsWith('ImageMetaProps(')) return null;
  let inner = t.slice('ImageMetaProps('.length);
  let partial = false;
  if (inner.endsWith(')')) inner = inner.slice(0, -1);
  else partial = true;

  const starts: { name: string; nameAt: number; valueAt: number }[] = [];
  let prevName = '';
  let prevValueAt = -1;
  // Bracket depth of the current value, advanced incrementally so rejected candidates cost O(1) each.
  const bal = { pos: 0, depth: 0, quoted: false };
  BOUNDARY.lastIndex = 0;
  for (let m = BOUNDARY.exec(inner); m !== null; m = BOUNDARY.exec(inner)) {
    const name = m[1] as string;
    if (prevValueAt >= 0) {
      if (!(name > prevName)) continue;
      if (!acceptsBoundary(inner, prevValueAt, m.index, name, m.index + m[0].length, bal)) continue;
    } else if (m.index !== 0 && !ABBREVIATION.test(inner.slice(0, m.index + 1))) {
      partial = true; // text before the first field we can read
    }
    if (m[0].startsWith('[') || m[0].startsWith('\u2026')) partial = true; // "[...] name=": fields were left out
    starts.push({ name, nameAt: m.index, valueAt: m.index + m[0].length });
    prevName = name;
    prevValueAt = m.index + m[0].length;
    bal.pos = prevValueAt;
    bal.depth = 0;
    bal.quoted = false;
  }
  if (starts.length === 0) return null;

  const props: Record<string, unknown> = {};
  const fields: string[] = [];
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i] as (typeof starts)[number];
    const next = starts[i + 1];
    const raw = inner.slice(s.valueAt, next ? next.nameAt : inner.length);
    const v = decodeValue(raw);
    if (v.partial) partial = true;
    fields.push(s.name);
    if (v.set) props[s.name] = v.value;
  }
  return { props, form: 'ImageMetaProps', fields, partial };
}

/**
 * May the previous value (inner[from, to)) end here, so that `name=` starts a field? Works on indices:
 * nothing here may cost more than O(1) per rejected candidate plus the incremental bracket scan.
 */
function acceptsBoundary(
  inner: string,
  from: number,
  to: number,
  name: string,
  valueAt: number,
  bal: { pos: number; depth: number; quoted: boolean },
): boolean {
  const end = trimmedEnd(inner, from, to);
  if (inner.charCodeAt(from) === 39 /* ' */) {
    // A quoted value: it ends here only if its closing quote is right before the separator.
    if (end - from < 2 || inner.charCodeAt(end - 1) !== 39) return false;
  } else {
    for (; bal.pos < to; bal.pos++) {
      const c = inner.charCodeAt(bal.pos);
      if (c === 39) bal.quoted = !bal.quoted;
      else if (bal.quoted) continue;
      else if (c === 40 || c === 91 || c === 123) bal.depth++;
      else if (c === 41 || c === 93 || c === 125) bal.depth--;
    }
    if (bal.depth !== 0) return false;
  }
  if (KNOWN.has(name)) {
    if (FREE_TEXT_FIELDS.has(name)) return true;
    TOKEN_VALUE.lastIndex = valueAt;
    return TOKEN_VALUE.test(inner);
  }
  // A field this table does not know (a newer release): a short complete value before it and a
  // plausible one after '='. Bounded, so a crafted run of unknown names stays linear.
  if (end - from > 4096) return false;
  return (
    isCompleteValue(inner.slice(from, end)) &&
    /^(?:<\?>|'|-?\d|\[|\{|True|False|None|[A-Z]\w*\()/.test(inner.slice(valueAt, valueAt + 6))
  );
}

/** End of inner[from, to) without trailing separators and abbreviation markers. */
function trimmedEnd(inner: string, from: number, to: number): number {
  let end = to;
  for (;;) {
    while (end > from) {
      const c = inner.charCodeAt(end - 1);
      if (c !== 44 && c !== 32 && c !== 9) break;
      end--;
    }
    if (end - from >= 5 && inner.startsWith('[...]', end - 5)) end -= 5;
    else if (end > from && inner.charCodeAt(end - 1) === 0x2026) end -= 1;
    else return end;
  }
}

function stripAbbreviation(raw: string): { text: string; abbreviated: boolean } {
  let text = raw;
  let abbreviated = false;
  for (;;) {
    // Manual trimming: a regex like /[,\s]+$/ is quadratic on long runs that do not reach the end.
    let end = text.length;
    while (end > 0) {
      const c = text.charCodeAt(end - 1);
      if (c !== 44 && c !== 32 && c !== 9) break;
      end--;
    }
    text = text.slice(0, end);
    if (text.endsWith('[...]')) text = text.slice(0, -5);
    else if (text.endsWith('\u2026')) text = text.slice(0, -1);
    else return { text, abbreviated };
    abbreviated = true;
  }
}

/** Brackets outside quotes are balanced (cheap, linear; quotes inside strings are not escaped in reprs). */
function balanced(v: string): boolean {
  if (v.startsWith("'")) return true;
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 39) quoted = !quoted;
    else if (quoted) continue;
    else if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
  }
  return depth === 0;
}

function isCompleteValue(v: string): boolean {
  if (v === '<?>' || v === 'True' || v === 'False' || v === 'None') return true;
  if (/^-?\d+(?:\.\d+)?$/.test(v)) return true;
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return true;
  if (/^(?:\[|\{|[A-Z]\w*\()/.test(v) && /[\]})]$/.test(v)) return balanced(v);
  return false;
}

function decodeValue(raw: string): { set: boolean; value: unknown; partial: boolean } {
  const { text, abbreviated } = stripAbbreviation(raw);
  let v = text;
  let partial = abbreviated;
  // Anything after an abbreviation marker in the middle is unreadable; keep what precedes it.
  const cut = ABBREVIATION.exec(v);
  if (cut) {
    v = stripAbbreviation(v.slice(0, cut.index)).text;
    partial = true;
  }
  if (v === '<?>') return { set: false, value: undefined, partial };
  if (v === 'True') return { set: true, value: true, partial };
  if (v === 'False') return { set: true, value: false, partial };
  if (v === 'None') return { set: true, value: null, partial };
  if (/^-?\d+$/.test(v)) return { set: true, value: Number(v), partial };
  if (/^-?\d+\.\d+(?:[eE][-+]?\d+)?$/.test(v)) return { set: true, value: Number(v), partial };
  if (v.startsWith("'")) {
    if (v.length >= 2 && v.endsWith("'")) return { set: true, value: v.slice(1, -1), partial };
    // Cut short: the text up to the next quote is the best guess for an enum value.
    const q = v.indexOf("'", 1);
    return { set: true, value: q > 0 ? v.slice(1, q) : v.slice(1), partial: true };
  }
  if (v === '') return { set: false, value: undefined, partial: true };
  return { set: true, value: v, partial };
}

/**
 * Kilo/Liberty: `{u'hypervisor_type': u'xen', u'vm_mode': u'xen', …}` (or py3 quotes). Legacy names are
 * mapped to field names; a current name wins over its legacy twin, as in ImageMetaProps.from_dict.
 */
export function parseLegacyImagePropsDict(text: string): ParsedImageProps | null {
  const r = parsePyLiteral(text.trim());
  if (r === null || r.value === null || typeof r.value !== 'object' || Array.isArray(r.value)) return null;
  const dict = r.value;
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(dict)) {
    const mapped = LEGACY_PROPERTY_NAMES[k];
    if (mapped !== undefined && !(mapped in dict)) props[mapped] = v;
  }
  for (const [k, v] of Object.entries(dict)) {
    if (LEGACY_PROPERTY_NAMES[k] === undefined) props[k] = v;
  }
  return { props, form: 'dict', fields: [], partial: false };
}
