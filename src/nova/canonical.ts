// Canonical names for the three enums ImagePropertiesFilter compares, as nova/objects/fields.py
// (Architecture, HVType, VMMode .canonicalize) computes them. Nova raises on an invalid name; here
// an invalid name canonicalises to its lower-cased self (it then matches nothing) and the
// is*Valid predicates say whether nova would have accepted it.

/** os_arch.ALL as of Zed (nova.objects.fields.Architecture.ALL). */
export const ARCHITECTURES: readonly string[] = [
  'alpha',
  'armv6',
  'armv7l',
  'armv7b',
  'aarch64',
  'cris',
  'i686',
  'ia64',
  'lm32',
  'm68k',
  'microblaze',
  'microblazeel',
  'mips',
  'mipsel',
  'mips64',
  'mips64el',
  'openrisc',
  'parisc',
  'parisc64',
  'ppc',
  'ppcle',
  'ppc64',
  'ppc64le',
  'ppcemb',
  's390',
  's390x',
  'sh4',
  'sh4eb',
  'sparc',
  'sparc64',
  'unicore32',
  'x86_64',
  'xtensa',
  'xtensaeb',
];

/** nova.objects.fields.HVType.ALL. */
export const HV_TYPES: readonly string[] = [
  'baremetal',
  'bhyve',
  'docker',
  'fake',
  'hyperv',
  'ironic',
  'kqemu',
  'kvm',
  'lxc',
  'lxd',
  'openvz',
  'parallels',
  'phyp',
  'qemu',
  'test',
  'uml',
  'vbox',
  'vz',
  'vmware',
  'xen',
  'zvm',
  'prsm',
];

/** nova.objects.fields.VMMode.ALL. */
export const VM_MODES: readonly string[] = ['hvm', 'xen', 'uml', 'exe'];

const ARCH_SET = new Set(ARCHITECTURES);
const HV_SET = new Set(HV_TYPES);
const VM_SET = new Set(VM_MODES);

export function canonicalArchitecture(name: string | null | undefined): string | null {
  if (name === null || name === undefined) return null;
  const lower = name.toLowerCase();
  if (lower === 'i386' || lower === 'i486' || lower === 'i586') return 'i686';
  // Xen naming from Icehouse and earlier.
  if (lower === 'x86_32' || lower === 'x86_32p') return 'i686';
  if (lower === 'amd64') return 'x86_64';
  return lower;
}

export function canonicalHvType(name: string | null | undefined): string | null {
  if (name === null || name === undefined) return null;
  const lower = name.toLowerCase();
  return lower === 'xapi' ? 'xen' : lower;
}

export function canonicalVmMode(mode: string | null | undefined): string | null {
  if (mode === null || mode === undefined) return null;
  const lower = mode.toLowerCase();
  // 'pv' is pre-Folsom; 'hv' and 'baremetal' are old spellings of the native ABI.
  if (lower === 'pv') return 'xen';
  if (lower === 'hv' || lower === 'baremetal') return 'hvm';
  return lower;
}

export const isValidArchitecture = (name: string): boolean => ARCH_SET.has(canonicalArchitecture(name) ?? '');
export const isValidHvType = (name: string): boolean => HV_SET.has(canonicalHvType(name) ?? '');
export const isValidVmMode = (name: string): boolean => VM_SET.has(canonicalVmMode(name) ?? '');
