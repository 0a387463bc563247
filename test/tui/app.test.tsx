import { afterEach, describe, expect, it } from 'vitest';
import type { InstanceView } from '../../src/doctor/types.js';
import { App, KEYMAP } from '../../src/tui/index.js';
import { contextsLabel, keysLabel } from '../../src/tui/keymap.js';
import { FIXTURE_UUID, HOSTS, manyViews, staleView, uuidOf, withStatus } from './data.js';
import { FakeDoctor } from './fake-doctor.js';
import { KEY, type Rendered, renderTui, tick } from './harness.js';

let current: Rendered | null = null;
afterEach(() => {
  current?.unmount();
  current = null;
});

function mount(
  doctor: FakeDoctor,
  size: { columns?: number; rows?: number } = {},
  onExit?: (code: number) => void,
): Rendered {
  current = renderTui(<App api={doctor} onExit={onExit} />, size);
  return current;
}

async function ready(t: Rendered): Promise<string> {
  return t.waitFor((f) => f.split('\n')[1]?.startsWith('ready') ?? false, 'the session to be ready');
}

/** The list's data rows (those with a uuid), in screen order. */
function listRows(frame: string): string[] {
  return frame.split('\n').filter((l) => /[0-9a-f]{8}-[0-9a-f]{4}-/.test(l) && !l.startsWith('nova-doctor'));
}

function selectedRow(frame: string): string {
  return listRows(frame).find((l) => l.startsWith('›')) ?? '';
}

describe('start and scanning', () => {
  it('shows scan progress (files, bytes, MB/s, ETA) and streams instances in before the scan ends', async () => {
    const doctor = new FakeDoctor({ manualStart: true });
    const t = mount(doctor);
    await t.waitFor((f) => f.includes('starting'));
    doctor.emit({
      type: 'scan-progress',
      progress: {
        file: '/var/log/nova/nova-scheduler.log.1',
        filesDone: 1,
        filesTotal: 3,
        bytesDone: 52_428_800,
        bytesTotal: 209_715_200,
      },
    });
    let f = await t.waitFor((x) => x.includes('scanning'));
    expect(f).toContain('file 2/3');
    expect(f).toContain('50.0 MiB / 200 MiB (25.0%)');
    expect(f).toMatch(/\d+\.\d MB\/s/);
    expect(f).toMatch(/ETA \d+/);
    expect(f).toContain('nova-scheduler.log.1');

    doctor.emit({ type: 'instance', view: staleView(1) }, { type: 'instance', view: staleView(2) });
    f = await t.waitFor((x) => listRows(x).length === 2, 'two streamed rows');
    expect(f).toContain('2 instances');
    // Still responsive while scanning: the cursor moves.
    await t.press('j');
    expect(selectedRow(t.frame())).toContain(uuidOf(2));

    doctor.emit({
      type: 'cells',
      cells: [
        {
          uuid: 'c1',
          name: 'cell1',
          maskedUrl: 'mysql+pymysql://nova:***@db/nova_cell1',
          disabled: false,
          isCell0: false,
          reachable: true,
          error: null,
        },
      ],
    });
    doctor.emit({ type: 'trace-progress', done: 1, total: 2 });
    f = await t.waitFor((x) => x.includes('tracing 1/2'));
    doctor.finishStart([staleView(1), staleView(2), staleView(3)]);
    f = await ready(t);
    expect(f).toContain('cells 1/1 reachable');
    expect(listRows(f)).toHaveLength(3);
  });

  it('says what log-only mode would need to trace, in the header and in the panes', async () => {
    const view = { ...staleView(1), snapshot: null, diagnosis: null, plan: null, status: 'untraced' as const };
    const doctor = new FakeDoctor({ config: { db: null }, views: [view] });
    const t = mount(doctor, { columns: 200 });
    let f = await ready(t);
    expect(f).toContain('log-only: no database (pass --config or --api-db to trace and repair)');
    await t.press(KEY.enter, KEY.tab);
    f = t.frame();
    expect(f).toContain('[Stale values]');
    expect(f).toContain('Log-only mode: no database given');
    expect(f).toContain('--config /etc/nova/nova.conf');
    await t.press('p');
    expect(t.frame()).toContain('Log-only mode');
  });

  it('says a database sweep has no log evidence', async () => {
    const doctor = new FakeDoctor({ config: { all: true, logs: [] }, views: [staleView(1, { incident: null })] });
    const t = mount(doctor);
    let f = await ready(t);
    expect(f).toContain('database sweep (--all), no logs');
    await t.press(KEY.enter);
    f = t.frame();
    expect(f).toContain('No log evidence: found by the database sweep (--all)');
  });

  it('shows a failed start as an error and stays usable', async () => {
    const doctor = new FakeDoctor({ manualStart: true });
    const t = mount(doctor);
    doctor.emit({ type: 'instance', view: staleView(1) });
    await t.waitFor((f) => listRows(f).length === 1);
    doctor.failStart('cannot read /var/log/nova/nova-scheduler.log: permission denied');
    const f = await t.waitFor((x) => x.includes('stopped'));
    expect(f).toContain('✗ start: cannot read /var/log/nova/nova-scheduler.log: permission denied');
    await t.press(KEY.enter);
    expect(t.frame()).toContain('[Evidence]');
  });
});

describe('instance list', () => {
  it('shows the NAME column at 80 columns (LAST REJECTION gives way first, then HOSTS)', async () => {
    for (const [columns, titles, hidden] of [
      [80, ['STATUS', 'INSTANCE', 'CELL', 'NAME'], ['HOSTS', 'LAST REJECTION']],
      [90, ['STATUS', 'INSTANCE', 'CELL', 'HOSTS', 'NAME'], ['LAST REJECTION']],
      [120, ['HOSTS', 'LAST REJECTION', 'NAME'], []],
    ] as const) {
      const t = mount(new FakeDoctor({ views: manyViews(3) }), { columns, rows: 24 });
      await ready(t);
      const f = t.frame();
      for (const title of titles) expect(f, `${title} at ${columns}`).toContain(title);
      for (const title of hidden) expect(f, `${title} at ${columns}`).not.toContain(title);
      expect(f).toMatch(/web-00[12]/);
      t.unmount();
    }
  });

  it('filters with / (Enter keeps, Esc clears)', async () => {
    const doctor = new FakeDoctor({ views: manyViews(12) });
    const t = mount(doctor);
    await ready(t);
    await t.press('/');
    await t.type('web-01');
    let f = t.frame();
    expect(f).toContain('/web-01');
    expect(listRows(f).map((l) => l.match(/web-\d+/)?.[0])).toEqual(['web-010', 'web-011']);
    expect(f).toContain('filter: web-01 → 2 of 12');
    await t.press(KEY.backspace, KEY.backspace);
    expect(listRows(t.frame())).toHaveLength(12); // 'web-' matches all
    await t.type('011');
    await t.press(KEY.enter);
    f = t.frame();
    expect(listRows(f)).toHaveLength(1);
    // Kept: keys are commands again (j does not type into the filter).
    await t.press('j');
    expect(t.frame()).toContain('filter: web-011 → 1 of 12');
    await t.press(KEY.esc);
    f = t.frame();
    expect(listRows(f)).toHaveLength(12);
    expect(f).not.toContain('filter:');
  });

  it('cycles the sort key with s and reverses with S', async () => {
    const views = [staleView(1), withStatus(staleView(2), 'ok'), staleView(3, { cellName: 'cell0' })];
    const doctor = new FakeDoctor({ views });
    const t = mount(doctor);
    let f = await ready(t);
    const order = (x: string) => listRows(x).map((l) => l.match(/web-\d+/)?.[0]);
    expect(f).toContain('sort: status');
    expect(order(f)).toEqual(['web-001', 'web-003', 'web-002']);
    await t.press('s');
    f = t.frame();
    expect(f).toContain('sort: last rejection');
    expect(order(f)).toEqual(['web-003', 'web-002', 'web-001']);
    await t.press('S');
    f = t.frame();
    expect(f).toContain('sort: last rejection (reversed)');
    expect(order(f)).toEqual(['web-001', 'web-002', 'web-003']);
    await t.press('s', 's');
    f = t.frame();
    expect(f).toContain('sort: cell');
    expect(order(f)[0]).toBe('web-003');
  });

  it('moves with j/k, arrows, g/G', async () => {
    const doctor = new FakeDoctor({ views: manyViews(40).map((v) => withStatus(v, 'stale')) });
    const t = mount(doctor, { rows: 20 });
    await ready(t);
    expect(selectedRow(t.frame())).toContain(uuidOf(1)); // 0000… sorts before the fixture's 3f1e…
    await t.press('j', KEY.down);
    expect(selectedRow(t.frame())).toContain(uuidOf(3));
    await t.press('k');
    expect(selectedRow(t.frame())).toContain(uuidOf(2));
    await t.press('G');
    expect(selectedRow(t.frame())).toContain(FIXTURE_UUID);
    await t.press('g');
    expect(selectedRow(t.frame())).toContain(uuidOf(1));
    await t.press(KEY.pageDown);
    expect(selectedRow(t.frame())).not.toContain(uuidOf(1));
  });

  it('takes fast typing that arrives as one chunk key by key', async () => {
    const doctor = new FakeDoctor({ views: manyViews(10).map((v) => withStatus(v, 'stale')) });
    const t = mount(doctor);
    await ready(t);
    await t.type('jjj');
    expect(selectedRow(t.frame())).toContain(uuidOf(4));
    // Control keys inside a burst count too: Enter opens, Tab moves to the next pane.
    await t.type('\r\t');
    expect(t.frame()).toContain('[Stale values]');
    expect(t.frame()).toContain(uuidOf(4));
  });

  it('takes a pasted confirmation with its Enter', async () => {
    const doctor = new FakeDoctor({ views: [staleView(1)] });
    const t = mount(doctor);
    await ready(t);
    await t.type('aapply 1\r');
    await t.waitFor((x) => x.includes('Repair results'));
    expect(doctor.repairCalls).toEqual([{ uuids: [uuidOf(1)], apply: true }]);
  });

  it('marks with space and shows the count', async () => {
    const doctor = new FakeDoctor({ views: manyViews(5).map((v) => withStatus(v, 'stale')) });
    const t = mount(doctor);
    await ready(t);
    await t.press(KEY.space, KEY.space);
    const f = t.frame();
    expect(listRows(f).filter((l) => l.includes('●'))).toHaveLength(2);
    expect(f).toContain('2 marked');
    await t.press('k', KEY.space);
    expect(t.frame()).toContain('1 marked');
    await t.press('*');
    expect(t.frame()).toContain('5 marked');
    await t.press('*');
    expect(t.frame()).not.toContain('marked');
  });

  it('renders only a window of 10,000 instances, sized to the terminal, and follows resizes', async () => {
    const views = Array.from({ length: 10_000 }, (_, i) => staleView(i + 1));
    const doctor = new FakeDoctor({ views });
    const t = mount(doctor, { columns: 120, rows: 30 });
    let f = await ready(t);
    expect(f).toContain('10000 instances');
    expect(f.split('\n').length).toBeLessThanOrEqual(29);
    const rowsAt30 = listRows(f).length;
    expect(rowsAt30).toBe(30 - 1 - 3 - 1 - 2); // header, footer, info and column titles
    expect(f).toContain('rows 1–23');
    await t.press('G');
    f = t.frame();
    expect(selectedRow(f)).toContain(uuidOf(10_000));
    expect(f).toContain('rows 9978–10000');
    t.stdout.resize(120, 50);
    f = await t.waitFor((x) => listRows(x).length === 43, 'the window to grow with the terminal');
    expect(f.split('\n').length).toBeLessThanOrEqual(49);
    expect(selectedRow(f)).toContain(uuidOf(10_000));
    t.stdout.resize(120, 12);
    f = await t.waitFor((x) => listRows(x).length === 5, 'the window to shrink');
    expect(selectedRow(f)).toContain(uuidOf(10_000));
  });
});

describe('detail', () => {
  it('drops a detail that arrives after the operator left it: the list keeps its row', async () => {
    const doctor = new FakeDoctor({ views: [staleView(1)] });
    let answer: (view: InstanceView) => void = () => {};
    doctor.onDetail = () => new Promise<InstanceView>((r) => (answer = r));
    const t = mount(doctor, { columns: 140, rows: 40 });
    await ready(t);
    await t.press(KEY.enter);
    expect(t.frame()).toContain('[Evidence]');
    await t.press(KEY.esc);
    expect(t.frame()).toContain('sort: ');
    answer(withStatus(staleView(1), 'repaired')); // read while the list is back: too late
    await tick(100);
    expect(t.frame()).toMatch(/stale +00000000-0000-4000-8000-000000000001/);
    expect(t.frame()).not.toContain('repaired');
  });

  it('shows the log evidence: times, request ids, hosts, file:line', async () => {
    const doctor = new FakeDoctor({ views: [staleView(1)] });
    const t = mount(doctor, { columns: 140, rows: 40 });
    await ready(t);
    await t.press(KEY.enter);
    const f = t.frame();
    const r = staleView(1).incident?.rejections[0];
    expect(f).toContain('[Evidence]');
    expect(f).toContain(`2 rejections in 1 request, first ${r?.time}`);
    expect(f).toContain("img_hv_type = 'xen'  would pass: 'qemu' or 'kvm' or remove it");
    expect(f).toContain(r?.requestId ?? '?');
    expect(f).toContain('kvm-compute1 (node kvm-compute1.example.org)');
    expect(f).toContain(`/var/log/nova/nova-scheduler.log:${r?.location.line}`);
    expect(f).toContain('[x86_64, kvm, hvm]');
    // When it happened: both rejections fall in the 14:00 hour.
    expect(f).toContain('When (rejections per hour)');
    expect(f).toMatch(/2026-11-27 14:00 {2}█+ 2/);
  });

  it('shows each stale value with its database, table, column or key and JSON Pointer', async () => {
    const doctor = new FakeDoctor({ views: [staleView(1)] });
    const t = mount(doctor, { columns: 160, rows: 40 });
    await ready(t);
    doctor.emit({
      type: 'cells',
      cells: [
        {
          uuid: 'a0c3e7d5-1111-4c2e-9d8f-000000000001',
          name: 'cell1',
          maskedUrl: 'mysql+pymysql://nova:***@db1/nova_cell1',
          disabled: false,
          isCell0: false,
          reachable: true,
          error: null,
        },
      ],
    });
    await t.press(KEY.enter, KEY.tab);
    const f = t.frame();
    expect(f).toContain('[Stale values]');
    expect(f).toContain('Health stale · 3 stale values');
    expect(f).toContain(
      'nova_api · request_specs · row 18 · column spec · JSON Pointer /nova_object.data/image/nova_object.data/properties/nova_object.data/img_hv_type',
    );
    expect(f).toContain(
      'cell cell1 (mysql+pymysql://nova:***@db1/nova_cell1) · instance_system_metadata · row 801 · key image_hypervisor_type',
    );
    expect(f).toContain('instances · row 101 · column root_device_name');
    // A value that feeds no image property is named by its column.
    expect(f).toContain("instances.root_device_name = '/dev/xvda'  Xen device name; KVM guests boot from /dev/vda");
  });

  it('shows what the hosts support, from the cell and from the log', async () => {
    const doctor = new FakeDoctor({ views: [staleView(1)] });
    const t = mount(doctor, { columns: 140, rows: 40 });
    await ready(t);
    await t.press(KEY.enter, KEY.tab, KEY.tab);
    const f = t.frame();
    expect(f).toContain('[Hosts]');
    expect(f).toContain(`${HOSTS[0]?.host} (node ${HOSTS[0]?.node})  hypervisor 2.11.1 (2011001)`);
    expect(f).toContain('supports [i686, qemu, hvm] [i686, kvm, hvm] [x86_64, qemu, hvm] [x86_64, kvm, hvm]');
    expect(f).toContain("hw_vm_mode: 'hvm' or remove it");
  });

  it('shows the plan: patch ops, row changes, and the spec diff with old and new values', async () => {
    const doctor = new FakeDoctor({ views: [staleView(1)] });
    const t = mount(doctor, { columns: 120, rows: 50 });
    await ready(t);
    await t.press('p');
    const f = t.frame();
    expect(f).toContain('[Plan]');
    expect(f).toContain('JSON Patch on request_specs.spec (4 ops)');
    expect(f).toMatch(/test {4}\/nova_object\.data\/.*\/img_hv_type {2}"xen"/);
    expect(f).toMatch(/replace \/nova_object\.data\/.*\/img_hv_type {2}"kvm"/);
    expect(f).toMatch(/remove {2}\/nova_object\.data\/.*\/hw_vm_mode/);
    expect(f).toContain("cell cell1 · instances · row 101 · column root_device_name: '/dev/xvda' → '/dev/vda'");
    expect(f).toContain("key image_hypervisor_type: 'xen' → delete the row");
    const minus = f.split('\n').find((l) => l.startsWith('  - '));
    const plus = f.split('\n').find((l) => l.startsWith('  + '));
    expect(minus).toContain('"img_hv_type": "xen"');
    expect(minus).toContain('"hw_vm_mode": "xen"');
    expect(plus).toContain('"img_hv_type": "kvm"');
    expect(plus).not.toContain('hw_vm_mode');
  });

  it('scrolls a pane and backs out with q, then quits with q', async () => {
    const codes: number[] = [];
    const doctor = new FakeDoctor({ views: [staleView(1)] });
    const t = mount(doctor, { rows: 16 }, (c) => codes.push(c));
    await ready(t);
    await t.press(KEY.enter);
    expect(t.frame()).toMatch(/1–\d+ of \d+/);
    await t.press('G');
    expect(t.frame()).toMatch(/Log lines/);
    await t.press('q');
    expect(t.frame()).toContain('sort: status');
    expect(codes).toEqual([]);
    await t.press('q');
    expect(codes).toEqual([0]);
  });

  it('shows errors about this instance or its cell in the detail', async () => {
    const doctor = new FakeDoctor({ views: [staleView(1)] });
    const t = mount(doctor);
    await ready(t);
    await t.press(KEY.enter);
    doctor.emit({
      type: 'error',
      where: 'cell1',
      message: "Can't connect to MySQL server on 'db1'",
      hint: 'check [database] connection in nova.conf',
    });
    const f = await t.waitFor((x) => x.includes("Can't connect"));
    expect(f).toContain(
      "✗ cell1: Can't connect to MySQL server on 'db1'  try: check [database] connection in nova.conf",
    );
  });
});

describe('errors overlay', () => {
  it('e lists every error with its hint, the scan warnings and the rejections tied to no instance', async () => {
    const doctor = new FakeDoctor({ manualStart: true });
    const t = mount(doctor, { columns: 140, rows: 40 });
    const r = staleView(1).incident?.rejections[0] ?? fail();
    doctor.emit(
      {
        type: 'error',
        where: 'cell2',
        message: 'Access denied for user nova',
        hint: 'check the password in [database] connection',
      },
      {
        type: 'scan-done',
        report: {
          instances: [],
          unattributed: [
            {
              requestId: 'req-99999999-8888-7777-6666-555555555555',
              mismatches: [{ property: 'img_hv_type', value: 'xen' }],
              rejections: [r],
            },
          ],
          noValidHost: [],
          warnings: [
            {
              file: '/var/log/nova/nova-scheduler.log.2.gz',
              offset: 1048576,
              message: 'file truncated, 1048576 bytes scanned',
            },
          ],
          files: [{ file: '/var/log/nova/nova-scheduler.log.2.gz', bytes: 1048576, lines: 4000 }],
        },
      },
    );
    doctor.finishStart([staleView(1)]);
    await ready(t);
    await t.press('e');
    const f = t.frame();
    expect(f).toContain('Errors and warnings');
    expect(f).toContain('cell2: Access denied for user nova');
    expect(f).toContain('try: check the password in [database] connection');
    expect(f).toContain('/var/log/nova/nova-scheduler.log.2.gz at byte 1048576  file truncated, 1048576 bytes scanned');
    expect(f).toContain('req-99999999-8888-7777-6666-555555555555  img_hv_type=xen  1 host rejected');
    await t.press('e');
    expect(t.frame()).toContain('sort: status');
  });
});

describe('help', () => {
  it('lists every keymap entry, from the table', async () => {
    const doctor = new FakeDoctor({ views: [staleView(1)] });
    const t = mount(doctor, { columns: 140, rows: 60 });
    await ready(t);
    await t.press('?');
    const f = t.frame();
    for (const b of KEYMAP) {
      expect(f).toContain(b.description);
      expect(f).toMatch(
        new RegExp(
          `${keysLabel(b).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +${b.description.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}  \\(${contextsLabel(b)}\\)`,
        ),
      );
    }
    await t.press(KEY.esc);
    expect(t.frame()).not.toContain('Keys (');
  });

  it('scrolls when the terminal is short', async () => {
    const doctor = new FakeDoctor({ views: [staleView(1)] });
    const t = mount(doctor, { columns: 140, rows: 16 });
    await ready(t);
    await t.press('?');
    expect(t.frame()).not.toContain('quit (at the list)');
    await t.press('G');
    expect(t.frame()).toContain('quit (at the list)');
    await t.press('?');
    expect(t.frame()).toContain('sort: status');
  });
});

describe('apply and undo', () => {
  function setup(n = 3, size = { columns: 120, rows: 40 }) {
    const views = Array.from({ length: n }, (_, i) => staleView(i + 1));
    const doctor = new FakeDoctor({ views });
    return { doctor, views, t: mount(doctor, size) };
  }

  it('asks for the typed phrase, naming how many instances and which databases; wrong text does nothing', async () => {
    const { doctor, t } = setup();
    await ready(t);
    await t.press(KEY.space, KEY.space, 'a');
    let f = t.frame();
    expect(f).toContain('Type apply 2 to confirm, or press Esc to cancel');
    expect(f).toContain('Repair 2 instances (cell: cell1):');
    expect(f).toContain('nova_api: request_specs (2 rows)');
    expect(f).toContain('cell cell1: instance_system_metadata (2 rows), instances (2 rows)');
    expect(f).toContain(uuidOf(1));
    expect(f).toContain(uuidOf(2));
    // Keys that mean something elsewhere are just text here.
    await t.type('apply 3');
    await t.press('q', KEY.enter);
    f = t.frame();
    expect(f).toContain('> apply 3q');
    expect(f).toContain('That is not "apply 2"; nothing was done.');
    await tick(50);
    expect(doctor.repairCalls).toEqual([]);
    await t.press(KEY.esc);
    f = t.frame();
    expect(f).not.toContain('Type apply');
    expect(f).toContain('2 marked');
    expect(doctor.repairCalls).toEqual([]);
  });

  it('applies on the exact phrase, shows progress and results with the journal, then undoes behind the same confirmation', async () => {
    const { doctor, t } = setup();
    await ready(t);
    let releaseRepair: () => void = () => {};
    const gate = new Promise<void>((r) => {
      releaseRepair = r;
    });
    doctor.onRepair = async (uuids) => {
      for (const uuid of uuids) doctor.emit({ type: 'apply-progress', uuid, done: 1, total: 3 });
      await gate;
      return doctor.defaultRepair(uuids);
    };
    await t.press(KEY.space, KEY.space, 'a');
    await t.type('apply 2');
    await t.press(KEY.enter);
    let f = await t.waitFor((x) => x.includes('Repairing 2 instances'));
    f = await t.waitFor((x) => x.includes('1 of 3 done'));
    expect(doctor.repairCalls).toEqual([{ uuids: [uuidOf(1), uuidOf(2)], apply: true }]);
    // While it runs, q does not leave the progress screen.
    await t.press('q');
    expect(t.frame()).toContain('Repairing 2 instances');
    releaseRepair();
    f = await t.waitFor((x) => x.includes('Repair results'));
    expect(f).toContain('Repaired 2 of 2 instances');
    expect(f).toContain(`${uuidOf(1)}  repaired`);
    expect(f).toContain('Journal: /var/lib/nova-doctor/journal-20261127T144646.jsonl');
    await t.press(KEY.esc);
    f = await t.waitFor((x) => x.includes('2 repaired'));
    expect(f).not.toContain('marked');
    // The doctor's last progress events came just before its answer; none may linger.
    expect(f).not.toContain('applying');

    doctor.onUndo = async (journalPath) =>
      [uuidOf(1), uuidOf(2)]
        .map((uuid) => ({ uuid, status: 'restored' as const, reason: null, restored: [], conflicts: [] }))
        .map((r) => ({ ...r, reason: journalPath === '' ? 'no journal' : null }));
    await t.press('u');
    f = t.frame();
    expect(f).toContain('Type undo 2 to confirm');
    expect(f).toContain('Restore 2 instances from the journal /var/lib/nova-doctor/journal-20261127T144646.jsonl');
    await t.type('undo 1');
    await t.press(KEY.enter);
    expect(doctor.undoCalls).toEqual([]);
    await t.press(KEY.backspace);
    await t.type('2');
    await t.press(KEY.enter);
    f = await t.waitFor((x) => x.includes('Undo results'));
    expect(doctor.undoCalls).toEqual([
      { journalPath: '/var/lib/nova-doctor/journal-20261127T144646.jsonl', apply: true },
    ]);
    expect(f).toContain('Restored 2 of 2 instances');
    await t.press('q', 'u');
    expect(t.frame()).toContain('nothing to undo in this session');
  });

  it('u on the result screen undoes at once, as the screen says; the hint there carries the database options', async () => {
    const { t } = setup();
    await ready(t);
    await t.press(KEY.space, 'a');
    await t.type('apply 1');
    await t.press(KEY.enter);
    const f = await t.waitFor((x) => x.includes('Repair results'));
    expect(f).toContain('Press u to undo it now, or later: nova-doctor undo --config /etc/nova/nova.conf --journal');
    await t.press('u');
    expect(t.frame()).toContain('Type undo 1 to confirm');
  });

  it('acts on keys that arrive before the previous key was drawn, on the screen that key opened', async () => {
    const { doctor, t } = setup();
    await ready(t);
    // One burst, no frame in between: a opens the confirmation, the rest must land in it.
    t.stdin.write('a');
    t.stdin.write('apply 1');
    t.stdin.write(KEY.enter);
    await t.waitFor((x) => x.includes('Repair results'));
    expect(doctor.repairCalls).toEqual([{ uuids: [uuidOf(1)], apply: true }]);
    // Now 1 is repaired and sorts last: 2, 3, 1.
    await t.waitFor((x) => x.includes('1 repaired'));
    for (const k of ['q', 'g', 'j', KEY.enter]) t.stdin.write(k);
    const f = await t.waitFor((x) => x.includes('[Evidence]'));
    expect(f).toContain(uuidOf(3));
  });

  it('applies to the instance under the cursor when none is marked, and from the detail', async () => {
    const { doctor, t } = setup();
    await ready(t);
    await t.press('j', KEY.enter, 'a');
    expect(t.frame()).toContain('Type apply 1 to confirm');
    expect(t.frame()).toContain(uuidOf(2));
    await t.type('apply 1');
    await t.press(KEY.enter);
    await t.waitFor((x) => x.includes('Repair results'));
    expect(doctor.repairCalls).toEqual([{ uuids: [uuidOf(2)], apply: true }]);
  });

  it('says so instead of asking when nothing chosen has a plan', async () => {
    const doctor = new FakeDoctor({
      views: [
        withStatus(
          staleView(1, {
            plan: { ...(staleView(1).plan ?? fail()), status: 'skipped', reason: 'task_state is resize_migrating' },
          }),
          'skipped',
        ),
      ],
    });
    const t = mount(doctor);
    await ready(t);
    await t.press('a');
    expect(t.frame()).toContain(`nothing to repair for ${uuidOf(1)}: task_state is resize_migrating`);
    expect(t.frame()).not.toContain('Type apply');
    await t.press('j');
    expect(t.frame()).not.toContain('nothing to repair'); // the notice goes with the next key
  });

  it('shows a repair the doctor could not do, with its error, and carries on', async () => {
    const { doctor, t } = setup(2);
    await ready(t);
    // What the doctor does when a write fails: an error event, then an answer with no results.
    doctor.onRepair = async () => {
      doctor.emit({
        type: 'error',
        where: 'repair',
        message: 'CAS conflict on nova_api.request_specs row 18: the spec changed since it was read',
        hint: 'run the trace again and review the new plan',
      });
      return { journalPath: null, undoCommand: null, results: [] };
    };
    await t.press('a');
    await t.type('apply 1');
    await t.press(KEY.enter);
    let f = await t.waitFor((x) => x.includes('Repair results'));
    expect(f).toContain('Repair reported errors:');
    expect(f).toContain('repair: CAS conflict on nova_api.request_specs row 18');
    expect(f).toContain('try: run the trace again and review the new plan');
    expect(f).toContain('Repaired 0 of 1 instance; 1 not reported (nothing was changed)');
    await t.press(KEY.esc);
    f = t.frame();
    expect(f).toContain('✗ repair: CAS conflict');
    await t.press('u');
    expect(t.frame()).toContain('nothing to undo in this session');
    await t.press('j', KEY.enter);
    expect(t.frame()).toContain('[Evidence]');
  });

  it('shows a repair call that threw, as an error, and carries on', async () => {
    const { doctor, t } = setup(2);
    await ready(t);
    doctor.onRepair = async () => {
      throw new Error('repair before start: no database open');
    };
    await t.press('a');
    await t.type('apply 1');
    await t.press(KEY.enter);
    const f = await t.waitFor((x) => x.includes('Repair results'));
    expect(f).toContain('apply: repair before start: no database open');
    await t.press(KEY.esc);
    expect(t.frame()).toContain('✗ apply: repair before start');
  });

  it('read-only hides mark, apply and undo: not in the footer, not in help, and the keys do nothing', async () => {
    const doctor = new FakeDoctor({ config: { readOnly: true }, views: [staleView(1), staleView(2)] });
    const t = mount(doctor, { columns: 140, rows: 50 });
    let f = await ready(t);
    expect(f).toContain('read-only');
    const footer = f.split('\n').at(-1) ?? '';
    expect(footer).toContain('filter');
    expect(footer).not.toMatch(/apply|undo|mark/);
    await t.press(KEY.space, 'a', 'u', '*');
    f = t.frame();
    expect(f).not.toContain('marked');
    expect(f).not.toContain('Type apply');
    expect(f).not.toContain('undo');
    await t.press('?');
    f = t.frame();
    expect(f).not.toContain('repair the marked');
    expect(f).not.toContain("undo this session's last repair");
    expect(f).toContain('Read-only session');
    expect(doctor.repairCalls).toEqual([]);
  });
});

describe('terminal safety', () => {
  it('never writes escape sequences from log or database strings to the terminal', async () => {
    const evil = '\u001b]0;owned\u0007\u001b]52;c;cm0gLXJmIH4=\u0007\u001b[2J';
    const base = staleView(1);
    const incident = base.incident ?? fail();
    const view = {
      ...base,
      displayName: `web${evil}`,
      cellName: `cell1${evil}`,
      incident: {
        ...incident,
        requestIds: [`req-${evil}`],
        rejections: incident.rejections.map((r) => ({ ...r, requestId: `req-${evil}`, host: `kvm${evil}` })),
      },
    };
    const doctor = new FakeDoctor({ views: [view] });
    const t = mount(doctor, { columns: 160, rows: 40 });
    await ready(t);
    doctor.emit({ type: 'error', where: `cell${evil}`, message: `lost ${evil}`, hint: evil });
    await t.waitFor((f) => f.includes('lost'));
    await t.press(KEY.enter);
    await t.press(KEY.tab, KEY.tab);
    for (const frame of t.stdout.frames) {
      expect(frame).not.toContain('\u001b]');
      expect(frame).not.toContain('\u0007');
      expect(frame).not.toContain('\u001b[2J');
    }
    expect(t.frame()).toContain('kvm\\x1b]0;owned\\x07');
  });

  it('escapes C1 controls, bidi overrides and isolates, tag characters, and masks passwords in what it shows', async () => {
    const evil = '\u009b31m\u0085\u202eRTL\u2066iso\u2069\u{e0041}';
    const base = staleView(1);
    const incident = base.incident ?? fail();
    const view = {
      ...base,
      displayName: `web${evil}`,
      cellName: `cell1${evil}`,
      incident: {
        ...incident,
        rejections: incident.rejections.map((r) => ({ ...r, host: `kvm${evil}` })),
      },
    };
    const doctor = new FakeDoctor({ views: [view] });
    const t = mount(doctor, { columns: 160, rows: 40 });
    await ready(t);
    doctor.emit({
      type: 'error',
      where: 'mysql+pymysql://nova:s3cr@t/pw@db/nova_api',
      message: `lost ${evil}`,
      hint: null,
    });
    await t.waitFor((f) => f.includes('lost'));
    await t.press('e');
    await t.press('q');
    await t.press(KEY.enter);
    await t.press(KEY.tab, KEY.tab);
    for (const frame of t.stdout.frames) {
      expect(frame).not.toMatch(/[\u0080-\u009f\u202a-\u202e\u2066-\u2069]|\udb40[\udc00-\udc7f]/);
      expect(frame).not.toMatch(/s3cr|t\/pw/);
    }
    expect(t.frame()).toContain('kvm\\x9b31m\\x85\\u{202e}RTL\\u{2066}iso\\u{2069}\\u{e0041}');
  });
});

describe('quitting', () => {
  it('Ctrl-C exits with 130 from anywhere, even a confirmation', async () => {
    const codes: number[] = [];
    const doctor = new FakeDoctor({ views: [staleView(1)] });
    const t = mount(doctor, {}, (c) => codes.push(c));
    await ready(t);
    await t.press('a');
    expect(t.frame()).toContain('Type apply 1');
    await t.press(KEY.ctrlC);
    expect(codes).toEqual([130]);
    await t.exited;
  });

  it('stops listening and aborts the start when unmounted', async () => {
    const doctor = new FakeDoctor({ manualStart: true });
    const t = mount(doctor);
    await tick();
    expect(doctor.listenerCount).toBe(1);
    expect(doctor.startCalls).toBe(1);
    t.unmount();
    current = null;
    expect(doctor.listenerCount).toBe(0);
    expect(doctor.startSignal?.aborted).toBe(true);
  });
});

function fail(): never {
  throw new Error('missing fixture part');
}
