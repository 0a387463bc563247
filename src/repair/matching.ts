// The repair's view of nova's ImagePropertiesFilter (src/nova/imagePropsFilter.ts): one verdict per host,
// with the reason in words an operator can act on.
import { hostMismatches, instanceSupported, versionSatisfied } from '../nova/imagePropsFilter.js';
import type { HostCapabilities, ImageProps } from '../nova/types.js';
import type { HostCheck } from './types.js';

export function checkHost(props: ImageProps, host: HostCapabilities): HostCheck {
  if (instanceSupported(props, host)) return { host: host.host, node: host.node, passes: true, why: null };
  const advertised = host.supportedInstances.map((t) => `[${t.join(', ')}]`).join(' ') || 'no supported_instances';
  const failing = hostMismatches(props, host).map((m) => `${m.property}=${m.value}`);
  const why = `${failing.join(', ') || 'the combination'} not provided by ${advertised}${
    host.hypervisorVersion === null ? '' : ` / hypervisor version ${host.hypervisorVersion}`
  }`;
  return { host: host.host, node: host.node, passes: false, why };
}

/** Whether an img_hv_requested_version passes on the host (always true when the host reports no version). */
export function requestedVersionPasses(required: string, host: HostCapabilities): boolean {
  return versionSatisfied(required, host.hypervisorVersion);
}
