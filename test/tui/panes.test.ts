// The pane builders are pure: instance in, lines out. These check what an operator reads.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/nova/staleness.js';
import type { HostCapabilities } from '../../src/nova/types.js';
import type { RowChange } from '../../src/repair/types.js';
import { errorsFor } from '../../src/tui/components/Detail.js';
import { type Line, lineText } from '../../src/tui/lines.js';
import type { PaneContext } from '../../src/tui/panes/context.js';
import { errorsLines } from '../../src/tui/panes/errors.js';
import { evidenceLines } from '../../src/tui/panes/evidence.js';
import { planLines } from '../../src/tui/panes/plan.js';
import { resultLines } from '../../src/tui/panes/result.js';
import { staleLines } from '../../src/tui/panes/stale.js';
import { instanceRow, QEMU_KVM, snapshotWith } from '../helpers/snapshots.js';
import { REAL_SPEC, staleView } from './data.js';

const ctx: PaneContext = { hasDb: true, sweep: false, cells: [], errors: [], width: 120 };
const text = (lines: Line[]) => lines.map(lineText).join('\n');

function fail(): never {
  throw new Error('missing fixture part');
}

describe('plan pane', () => {
  it('says what the repair aims at and whether ImagePropertiesFilter would pass on each host', () => {
    const v = staleView(1);
    const plan = v.plan ?? fail();
    const out = text(
      planLines(
        {
          ...v,
          plan: {
            ...plan,
            target: { hvType: 'kvm', vmMode: null, hosts: ['kvm-compute1', 'kvm-compute2'] },
            verification: [
              { host: 'kvm-compute1', node: 'kvm-compute1.example.org', passes: true, why: null },
              {
                host: 'kvm-compute2',
                node: 'kvm-compute2',
                passes: false,
                why: 'hypervisor version 2011001 below the requested >= 6.0',
              },
            ],
          },
        },
        ctx,
      ),
    );
    expect(out).toContain("Towards img_hv_type 'kvm', hw_vm_mode removed, for kvm-compute1, kvm-compute2");
    expect(out).toContain('ImagePropertiesFilter with the repaired properties: passes on 1 of 2 hosts');
    expect(out).toContain('✓ kvm-compute1 (node kvm-compute1.example.org)');
    expect(out).toContain('✗ kvm-compute2  hypervisor version 2011001 below the requested >= 6.0');
  });

  it('says when there is nothing to plan, and why', () => {
    const v = staleView(1);
    const out = text(
      planLines(
        {
          ...v,
          plan: {
            ...(v.plan ?? fail()),
            status: 'skipped',
            reason: 'task_state is resize_migrating',
            requestSpecPatch: [],
            rowChanges: [],
            specBefore: null,
            specAfter: null,
          },
        },
        ctx,
      ),
    );
    expect(out).toContain('Plan skipped  task_state is resize_migrating');
    expect(out).toContain('the spec text does not change');
    expect(text(planLines({ ...v, plan: null }, ctx))).toContain('not been traced');
    expect(text(planLines(v, { ...ctx, hasDb: false }))).toContain('Log-only mode');
  });
});

describe('evidence pane', () => {
  it('counts every rejection when the incident keeps only a sample, and flags partly unreadable lines', () => {
    const v = staleView(1);
    const incident = v.incident ?? fail();
    const [first, second] = incident.rejections;
    const out = text(
      evidenceLines(
        {
          ...v,
          incident: {
            ...incident,
            rejectionCount: 250,
            attempts: 125,
            rejections: [first ?? fail(), { ...(second ?? fail()), partial: true }],
          },
        },
        ctx,
      ),
    );
    expect(out).toContain('250 rejections in 1 request (125 failed scheduling attempts), first');
    expect(out).toContain('Rejections (the first 2 of 250)');
    expect(out).toContain('When (rejections per hour, of the first 2)');
    expect(out).toContain('(line partly unreadable: a best guess)');
  });
});

describe('stale pane', () => {
  it('lists problems, e.g. an unreadable spec', () => {
    const v = staleView(1);
    const out = text(
      staleLines(
        {
          ...v,
          status: 'unreadable',
          diagnosis: {
            ...(v.diagnosis ?? fail()),
            health: 'unreadable',
            stale: [],
            problems: ['nova_api.request_specs row 18: spec is not JSON (Unexpected token at 0)'],
          },
        },
        ctx,
      ),
    );
    expect(out).toContain('Health unreadable · 0 stale values');
    expect(out).toContain('Problems');
    expect(out).toContain('nova_api.request_specs row 18: spec is not JSON');
  });
});

describe("stale pane with nova's own diagnosis", () => {
  it('shows what each stale value becomes, and narrowing values apart, as left as set', () => {
    const spec = REAL_SPEC.replace('"img_hv_type": "xen"', '"img_hv_type": "qemu"');
    const hosts: HostCapabilities[] = ['a', 'b', 'c'].map((h, i) => ({
      host: h,
      node: h,
      supportedInstances: i === 2 ? [['x86_64', 'kvm', 'hvm']] : QEMU_KVM,
      hypervisorVersion: 6002000,
    }));
    const snapshot = snapshotWith(spec, { instance: instanceRow({ rootDeviceName: '/dev/xvda' }), hosts });
    const diagnosis = diagnose(snapshot);
    expect(diagnosis.narrowing.length).toBeGreaterThan(0);
    const out = text(staleLines({ ...staleView(1), snapshot, diagnosis }, ctx));
    expect(out).toContain("root_device_name = '/dev/xvda' → '/dev/vda'");
    expect(out).toContain('Set on purpose, left as set');
    expect(out).toMatch(/img_hv_type = 'qemu' {2}img_hv_type 'qemu' in the request spec passes on 2 of 3/);
  });

  it('an instance repair leaves alone: its Xen values with nothing they become, and why, under Notes', () => {
    const snapshot = snapshotWith(REAL_SPEC, {
      cell: { uuid: '00000000-0000-0000-0000-000000000000', name: 'cell0' },
      instance: instanceRow({ rootDeviceName: '/dev/xvda', vmMode: 'xen' }),
      hosts: [],
    });
    const diagnosis = diagnose(snapshot);
    expect(diagnosis.stale.length).toBeGreaterThan(0);
    const out = text(staleLines({ ...staleView(1), snapshot, diagnosis }, ctx));
    expect(out).toContain("vm_mode = 'xen'  instances.vm_mode 'xen'");
    expect(out).not.toContain('→');
    expect(out).not.toContain('Set on purpose');
    expect(out).toMatch(/Notes\n {2}repair leaves this instance alone: the instance is in cell0/);
  });
});

describe('results', () => {
  const change: RowChange = {
    database: 'cell',
    table: 'instance_system_metadata',
    rowId: 801,
    column: 'value',
    key: 'image_hypervisor_type',
    action: 'update',
    oldValue: 'xen',
    newValue: 'kvm',
  };

  it('shows verified repairs, conflicts with the value found, and the journal', () => {
    const out = text(
      resultLines({
        action: 'apply',
        requested: 2,
        journalPath: '/var/lib/nova-doctor/j.jsonl',
        undoCommand: 'nova-doctor undo --config /etc/nova/nova.conf --journal /var/lib/nova-doctor/j.jsonl --apply',
        errors: [],
        results: [
          { uuid: 'u-1', status: 'repaired', reason: null, verified: true },
          {
            uuid: 'u-2',
            status: 'conflict',
            reason: 'a row changed since it was read',
            conflicts: [{ change, currentValue: 'qemu' }],
          },
        ],
      }),
    );
    expect(out).toContain('Repaired 1 of 2 instances');
    expect(out).toContain('u-1  repaired  verified after commit');
    expect(out).toContain('u-2  conflict  a row changed since it was read');
    expect(out).toContain(
      "changed since: instance_system_metadata row 801 key image_hypervisor_type is now 'qemu', expected 'xen'",
    );
    // The doctor's command, database options included, so it works as printed.
    expect(out).toContain(
      'nova-doctor undo --config /etc/nova/nova.conf --journal /var/lib/nova-doctor/j.jsonl --apply',
    );
  });

  it('shows undo conflicts, and the errors of a run the doctor could not finish', () => {
    const out = text(
      resultLines({
        action: 'undo',
        requested: 1,
        journalPath: '/j.jsonl',
        errors: [],
        results: [
          { uuid: 'u-1', status: 'conflict', reason: null, restored: [], conflicts: [{ change, currentValue: 'hvm' }] },
        ],
      }),
    );
    expect(out).toContain('Restored 0 of 1 instance');
    expect(out).toContain("is now 'hvm'");
    const failed = text(
      resultLines({
        action: 'apply',
        requested: 2,
        journalPath: null,
        undoCommand: null,
        results: [],
        errors: [
          { where: 'repair', message: "cell1: Can't connect to MySQL server", hint: 'check [database] connection' },
        ],
      }),
    );
    expect(failed).toContain('Repair reported errors:');
    expect(failed).toContain("repair: cell1: Can't connect to MySQL server");
    expect(failed).toContain('try: check [database] connection');
    expect(failed).toContain('Repaired 0 of 2 instances; 2 not reported (nothing was changed)');
    expect(failed).toContain('Journal: none written');
  });
});

describe('errors pane', () => {
  it('lists cells with their state and error, and what a scan searched', () => {
    const out = text(
      errorsLines(
        [],
        {
          instances: [],
          unattributed: [],
          noValidHost: [],
          warnings: [],
          files: [],
          searched: ['/var/log/nova/nova-scheduler.log*', '/var/log/kolla/nova/nova-scheduler.log*'],
          triage: {
            byFilter: [
              { filter: 'ImagePropertiesFilter', attempts: 12, instances: 5 },
              { filter: 'RamFilter', attempts: 1, instances: 1 },
            ],
            perHour: [],
            perInstance: [],
          },
        },
        [
          {
            uuid: 'c0',
            name: 'cell0',
            maskedUrl: 'mysql+pymysql://nova:***@db/nova_cell0',
            disabled: false,
            isCell0: true,
            reachable: true,
            error: null,
          },
          {
            uuid: 'c2',
            name: 'cell2',
            maskedUrl: 'mysql+pymysql://nova:***@db2/nova_cell2',
            disabled: false,
            isCell0: false,
            reachable: false,
            error: "Can't connect to MySQL server on 'db2'",
          },
        ],
      ),
    );
    expect(out).toContain('cell0  reachable  (cell0)  mysql+pymysql://nova:***@db/nova_cell0');
    expect(out).toContain('cell2  unreachable  mysql+pymysql://nova:***@db2/nova_cell2');
    expect(out).toContain("Can't connect to MySQL server on 'db2'");
    expect(out).toContain('/var/log/kolla/nova/nova-scheduler.log*');
    expect(out).toMatch(/ImagePropertiesFilter +12 attempts, 5 instances/);
  });
});

describe('errors shown in a detail', () => {
  it('are the ones naming the instance or its cell as a word', () => {
    const v = staleView(1); // in cell1
    const note = (where: string, message: string) => ({ where, message, hint: null, at: 0 });
    const errors = [
      note('database', "cell1: Can't connect to MySQL server on 'db1'"),
      note('database', "cell10: Can't connect to MySQL server on 'db10'"),
      note('refresh', `row changed for ${v.uuid}`),
      note('cell1', 'unreachable'),
      note('scan', 'nova-scheduler.log.2.gz truncated'),
    ];
    expect(errorsFor(v, errors).map((e) => e.message)).toEqual([
      "cell1: Can't connect to MySQL server on 'db1'",
      `row changed for ${v.uuid}`,
      'unreachable',
    ]);
  });
});
