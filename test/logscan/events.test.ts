import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyMessage, parseFilterResults } from '../../src/logscan/events.js';
import { parseOsloHeader, stripDebugSuffix } from '../../src/logscan/osloLine.js';
import { parseHostStateRepr } from '../../src/nova/hostState.js';

const data = (f: string) => readFileSync(join(import.meta.dirname, 'data', f), 'utf8');
const message = (line: string) => {
  const h = parseOsloHeader(line)!;
  const m = h.text.slice(h.messageStart);
  return h.level === 'DEBUG' ? stripDebugSuffix(m).message : m;
};

describe('ImagePropertiesFilter lines', () => {
  // The two lines nova Zed wrote (nova-facts.md §1, emitted by nova's real code).
  const [propsLine, hostLine] = data('zed-facts.log').trimEnd().split('\n') as [string, string];

  it('reads properties, supported_instances and hypervisor version', () => {
    const e = classifyMessage(message(propsLine));
    expect(e?.kind).toBe('props');
    if (e?.kind !== 'props') return;
    expect(e.props?.props).toEqual({
      hw_architecture: 'x86_64',
      hw_vm_mode: 'xen',
      img_hv_type: 'xen',
      os_type: 'linux',
    });
    expect(e.supportedInstances).toEqual([
      ['i686', 'qemu', 'hvm'],
      ['i686', 'kvm', 'hvm'],
      ['x86_64', 'qemu', 'hvm'],
      ['x86_64', 'kvm', 'hvm'],
    ]);
    expect(e.hypervisorVersion).toBe(2011001);
  });

  it('reads the host of the "does not support" line', () => {
    expect(classifyMessage(message(hostLine))).toEqual({
      kind: 'host-reject',
      host: 'kvm-compute1',
      node: 'kvm-compute1.example.org',
    });
  });

  it('the "no corresponding supported_instances" variant', () => {
    const props = propsLine.slice(propsLine.indexOf('ImageMetaProps('), propsLine.indexOf(') that are') + 1);
    const e = classifyMessage(
      `Instance contains properties ${props}, but no corresponding supported_instances are advertised by the compute node`,
    );
    expect(e).toMatchObject({ kind: 'props', supportedInstances: null });
  });

  it('py2 supported_instances (u-prefixed) and hypervisor version None', () => {
    // Shape from nova-facts.md §1 (Ocata/Pike py2); Zed cannot write u'' reprs.
    const e = classifyMessage(
      "Instance contains properties ImageMetaProps(hw_architecture='x86_64',img_hv_type='xen') that are not provided by the compute node supported_instances [[u'i686', u'qemu', u'hvm'], [u'x86_64', u'kvm', u'hvm']] or hypervisor version None do not match",
    );
    expect(e).toMatchObject({
      kind: 'props',
      supportedInstances: [
        ['i686', 'qemu', 'hvm'],
        ['x86_64', 'kvm', 'hvm'],
      ],
      hypervisorVersion: null,
    });
  });

  it('Kilo/Liberty dict form', () => {
    const e = classifyMessage(
      "Instance contains properties {u'hypervisor_type': u'xen', u'vm_mode': u'xen'} that are not provided by the compute node supported_instances [[u'x86_64', u'kvm', u'hvm']] or hypervisor version 2000000 do not match",
    );
    expect(e).toMatchObject({
      kind: 'props',
      props: { form: 'dict', props: { img_hv_type: 'xen', hw_vm_mode: 'xen' } },
    });
  });

  it('the abbreviated field-report line keeps what it can', () => {
    const line =
      "2017-11-08 17:29:34.631 12009 DEBUG nova.scheduler.filters.image_props_filter [req-57bf3266-82d9-4934-8ac3-82fc4c4c4ef1 89c5dcc8793d4867bae22d50e51e16b3 90c403f317ee47feb0dad58461e76fb1 - - -] Instance contains properties ImageMetaProps(hw_architecture=<?>,[...] img_config_drive=<?>,img_hv_requested_version=<?>,img_hv_type='xen',[...] os_type=<?>) that are not provided by the compute node supported_instances [...] or hypervisor version 2009000 do not match _instance_supported [...]";
    const e = classifyMessage(message(line));
    expect(e).toMatchObject({
      kind: 'props',
      supportedInstances: undefined,
      hypervisorVersion: 2009000,
      props: { partial: true, props: { img_hv_type: 'xen' } },
    });
  });
});

describe('HostState reprs', () => {
  it('Mitaka…Zed', () => {
    expect(
      parseHostStateRepr(
        '(kvm-compute1, kvm-compute1.example.org) ram: 120000MB disk: 900000MB io_ops: 0 instances: 12 does not support',
      ),
    ).toMatchObject({
      host: 'kvm-compute1',
      node: 'kvm-compute1.example.org',
      freeRamMb: 120000,
      freeDiskMb: 900000,
      ioOps: 0,
      instances: 12,
      allocationCandidates: null,
    });
  });
  it('2023.1+ with allocation candidates', () => {
    expect(
      parseHostStateRepr('(h, n) ram: -512MB disk: 0MB io_ops: 3 instances: 7, allocation_candidates: 2 does not'),
    ).toMatchObject({ freeRamMb: -512, allocationCandidates: 2 });
  });
  it('Kilo/Liberty', () => {
    expect(parseHostStateRepr('(h1, domain-c7(cluster1)) ram:2048 disk:10240 io_ops:0 instances:1')).toMatchObject({
      host: 'h1',
      node: 'domain-c7(cluster1)',
      freeRamMb: 2048,
    });
  });
  it('not a HostState', () => {
    expect(parseHostStateRepr('(a, b) something else')).toBeNull();
  });
});

describe('nova.filters lines', () => {
  const U = '3f1e6c2a-9b8d-4c7e-a5f4-1d2c3b4a5e6f';
  it('Filter X returned 0 hosts', () => {
    expect(classifyMessage('Filter ImagePropertiesFilter returned 0 hosts')).toEqual({
      kind: 'returned-zero',
      filter: 'ImagePropertiesFilter',
    });
    expect(classifyMessage('Filter RetryFilter returned 5 host(s)')).toBeNull();
  });

  it('Filtering removed all hosts, INFO form with counts', () => {
    const e = classifyMessage(
      `Filtering removed all hosts for the request with instance ID '${U}'. Filter results: ['AvailabilityZoneFilter: (start: 3, end: 3)', 'ComputeFilter: (start: 3, end: 3)', 'ImagePropertiesFilter: (start: 3, end: 0)']`,
    );
    expect(e).toEqual({
      kind: 'removed-all',
      instance: U,
      reservationId: null,
      form: 'info',
      filter: 'ImagePropertiesFilter',
      steps: [
        { filter: 'AvailabilityZoneFilter', start: 3, end: 3 },
        { filter: 'ComputeFilter', start: 3, end: 3 },
        { filter: 'ImagePropertiesFilter', start: 3, end: 0 },
      ],
    });
  });

  it('Filtering removed all hosts, DEBUG form (py3 and py2 host tuples)', () => {
    const py3 = classifyMessage(
      `Filtering removed all hosts for the request with instance ID '${U}'. Filter results: [('AvailabilityZoneFilter', [('kvm1', 'kvm1.example.org'), ('kvm2', 'kvm2')]), ('ImagePropertiesFilter', None)]`,
    );
    expect(py3).toMatchObject({
      form: 'debug',
      filter: 'ImagePropertiesFilter',
      steps: [{ filter: 'AvailabilityZoneFilter' }, { filter: 'ImagePropertiesFilter', end: 0 }],
    });
    const py2 = parseFilterResults(
      "[('RetryFilter', [(u'ubuntu', u'c105d862-0000-0000-0000-000000000000')]), ('ServerGroupAggregateAffinityFilter', None)]",
    );
    expect(py2.filter).toBe('ServerGroupAggregateAffinityFilter');
  });

  it("Liberty's reservation-ID form", () => {
    // nova-facts.md §2 (Liberty 12.0.0 wording); not producible with Zed.
    const e = classifyMessage(
      `Filtering removed all hosts for the request with reservation ID 'r-abc123' and instance ID '${U}'. Filter results: ['RetryFilter: (start: 1, end: 1)', 'ImagePropertiesFilter: (start: 1, end: 0)']`,
    );
    expect(e).toMatchObject({
      kind: 'removed-all',
      instance: U,
      reservationId: 'r-abc123',
      filter: 'ImagePropertiesFilter',
    });
  });

  it("an empty instance ID (cells v1) and cinder's look-alike", () => {
    expect(
      classifyMessage(
        "Filtering removed all hosts for the request with instance ID ''. Filter results: ['ImagePropertiesFilter: (start: 1, end: 0)']",
      ),
    ).toMatchObject({ instance: null });
    expect(
      classifyMessage(
        "Filtering removed all hosts for the request with volume ID 'v'. Filter results: AvailabilityZoneFilter: (start: 24, end: 0)",
      ),
    ).toBeNull();
  });

  it('Starting to schedule for instances (py3 and py2 lists)', () => {
    expect(classifyMessage(`Starting to schedule for instances: ['${U}']`)).toEqual({
      kind: 'schedule-start',
      instances: [U],
    });
    expect(classifyMessage(`Starting to schedule for instances: [u'${U.toUpperCase()}']`)).toEqual({
      kind: 'schedule-start',
      instances: [U],
    });
  });

  it('NoValidHost where it surfaces, and placement', () => {
    expect(
      classifyMessage(
        'Failed to compute_task_migrate_server: No valid host was found. There are not enough hosts available.',
      ),
    ).toEqual({ kind: 'no-valid-host', reason: 'There are not enough hosts available.' });
    expect(classifyMessage('HTTP exception thrown: No valid host was found. No valid host found for resize')).toEqual({
      kind: 'no-valid-host',
      reason: 'No valid host found for resize',
    });
    expect(classifyMessage('No valid host was found. ')).toEqual({ kind: 'no-valid-host', reason: null });
    expect(
      classifyMessage(
        'Got no allocation candidates from the Placement API. This could be due to insufficient resources or a temporary occurrence as compute nodes start up.',
      ),
    ).toEqual({ kind: 'no-candidates' });
  });
});
