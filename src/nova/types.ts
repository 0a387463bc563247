// Nova's own vocabulary, shared by every layer. Pure data: no I/O, no layer above this one.

/** One `[arch, hv_type, vm_mode]` tuple a compute node advertises (compute_nodes.supported_instances). */
export type SupportedInstance = readonly [arch: string, hvType: string, vmMode: string];

/** What ImagePropertiesFilter compares against on one host. */
export interface HostCapabilities {
  host: string;
  node: string;
  supportedInstances: SupportedInstance[];
  /** libvirt: QEMU major*1e6+minor*1e3+micro; null when the host does not report one. */
  hypervisorVersion: number | null;
  /** compute_nodes.id, when read from a cell database (instances.compute_id points at it, 2023.2+). */
  id?: number;
}

/** The ImageMetaProps fields ImagePropertiesFilter looks at. */
export type FilteredProperty =
  | 'hw_architecture'
  | 'img_hv_type'
  | 'hw_vm_mode'
  | 'img_hv_requested_version'
  | 'hw_maxphysaddr_bits';

/** ImageMetaProps as far as it is known: field name to value; unset fields are absent. */
export type ImageProps = Readonly<Record<string, unknown>>;

/** A property value that makes ImagePropertiesFilter reject a host, and what would pass instead. */
export interface PropertyMismatch {
  property: FilteredProperty;
  /** The requested value as nova holds it (e.g. 'xen'). */
  value: string;
  /** Values that would pass on the hosts considered; null means "remove the property". */
  passingValues: (string | null)[];
}
