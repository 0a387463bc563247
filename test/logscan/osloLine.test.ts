import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { debugSuffixStart, parseContext, parseOsloHeader, stripDebugSuffix } from '../../src/logscan/osloLine.js';
import { parseRecords } from '../../src/logscan/records.js';

// Shapes as nova-facts.md §4 documents them per release. Only the Zed lines in test/logscan/data were
// emitted by nova's code here; older releases (py2, keystone v2, devstack) cannot be produced with the
// installed Zed, so their headers are written exactly as the document quotes them.
const R1 = 'req-11111111-2222-3333-4444-555555555555';
const R2 = 'req-99999999-8888-7777-6666-555555555555';

describe('oslo.log headers of every release', () => {
  it('Zed: [None req-… user project - - - -] (global id absent, system_scope field)', () => {
    const h = parseOsloHeader(
      `2026-11-27 14:46:46.693 14059 DEBUG nova.scheduler.filters.image_props_filter [None ${R1} 8f0e2e3c1f6b4d1aa5c7b9e0d1f2a3b4 5c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f - - - -] Instance contains`,
    )!;
    expect(h).toMatchObject({
      time: '2026-11-27 14:46:46.693',
      pid: 14059,
      level: 'DEBUG',
      logger: 'nova.scheduler.filters.image_props_filter',
      globalRequestId: null,
      requestId: R1,
      instanceUuid: null,
    });
    expect(h.userIdentity).toBe('8f0e2e3c1f6b4d1aa5c7b9e0d1f2a3b4 5c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f - - - -');
    expect(h.text.slice(h.messageStart)).toBe('Instance contains');
  });

  it('Zed with a global request id and keystone v3 domains', () => {
    const h = parseOsloHeader(
      `2026-11-27 14:46:46.693 14059 DEBUG nova.x [${R2} ${R1} 8f0e 5c9d - - default default] m`,
    )!;
    expect([h.globalRequestId, h.requestId]).toEqual([R2, R1]);
  });

  it('Newton/Ocata: [req-… user project - - -]', () => {
    const h = parseOsloHeader(
      '2017-11-08 17:29:34.631 12009 DEBUG nova.scheduler.filters.image_props_filter [req-57bf3266-82d9-4934-8ac3-82fc4c4c4ef1 89c5dcc8793d4867bae22d50e51e16b3 90c403f317ee47feb0dad58461e76fb1 - - -] Instance contains properties',
    )!;
    expect(h).toMatchObject({
      pid: 12009,
      requestId: 'req-57bf3266-82d9-4934-8ac3-82fc4c4c4ef1',
      globalRequestId: null,
    });
    expect(h.text.slice(h.messageStart)).toBe('Instance contains properties');
  });

  it('keystone v3 before Zed: [req-… user project - default default]', () => {
    expect(
      parseContext(
        'req-ba341f5a-0000-0000-0000-000000000000 9942eb4321644336a0c7383d9f1c2bed a7d812868cb74f1a978035530f55f1d0 - default default',
      ),
    ).toEqual({
      globalRequestId: null,
      requestId: 'req-ba341f5a-0000-0000-0000-000000000000',
      userIdentity: '9942eb4321644336a0c7383d9f1c2bed a7d812868cb74f1a978035530f55f1d0 - default default',
    });
  });

  it('periodic tasks and no context', () => {
    expect(parseContext('req-89f3d459-6f4b-4151-94e7-03b55b98f413 - - - - -').requestId).toBe(
      'req-89f3d459-6f4b-4151-94e7-03b55b98f413',
    );
    expect(parseContext(`None ${R1} - - - - - -`).requestId).toBe(R1);
    const h = parseOsloHeader(
      '2026-11-27 14:46:46.693 14059 INFO nova.scheduler.host_manager [-] Successfully synced instances',
    )!;
    expect(h).toMatchObject({ requestId: null, level: 'INFO' });
    expect(h.text.slice(h.messageStart)).toBe('Successfully synced instances');
  });

  it('the [instance: uuid] prefix', () => {
    const h = parseOsloHeader(
      `2026-11-27 14:46:57.801 14133 WARNING nova.scheduler.utils [None ${R1} u p - - default default] [instance: 3F1E6C2A-9b8d-4c7e-a5f4-1d2c3b4a5e6f] Setting instance to ACTIVE state.`,
    )!;
    expect(h.instanceUuid).toBe('3f1e6c2a-9b8d-4c7e-a5f4-1d2c3b4a5e6f');
    expect(h.text.slice(h.messageStart)).toBe('Setting instance to ACTIVE state.');
  });

  it('devstack: no pid column, [req-… admin admin], pid in the suffix', () => {
    const h = parseOsloHeader(
      `2016-02-01 12:00:00.123 DEBUG oslo_messaging.rpc.server [${R1} admin admin] Expected exception during message handling () from (pid=11395) _process_incoming /usr/lib/python2.7/site-packages/oslo_messaging/rpc/server.py:158`,
    )!;
    expect(h).toMatchObject({ pid: null, level: 'DEBUG', requestId: R1, userIdentity: 'admin admin' });
    expect(stripDebugSuffix(h.text.slice(h.messageStart))).toEqual({
      message: 'Expected exception during message handling ()',
      funcName: '_process_incoming',
      path: '/usr/lib/python2.7/site-packages/oslo_messaging/rpc/server.py',
      lineno: 158,
    });
  });

  it('devstack under journald: no timestamp, colours, {{(pid=N) func path:line}}', () => {
    const line = `\u001b[00;32mDEBUG nova.filters [\u001b[01;36mNone ${R1} \u001b[00;36madmin admin\u001b[00;32m] \u001b[01;35m\u001b[00;32mFilter RetryFilter returned 1 host(s) {{(pid=1234) get_filtered_objects /opt/stack/nova/nova/filters.py:104}}\u001b[00m`;
    const h = parseOsloHeader(line)!;
    expect(h).toMatchObject({ time: '', pid: null, level: 'DEBUG', logger: 'nova.filters', requestId: R1 });
    expect(stripDebugSuffix(h.text.slice(h.messageStart)).message).toBe('Filter RetryFilter returned 1 host(s)');
  });

  it('behind a syslog prefix', () => {
    const h = parseOsloHeader(
      `Nov 27 14:46:46 ctl1 nova-scheduler[1234]: 2026-11-27 14:46:46.693 1234 INFO nova.filters [None ${R1} u p - - default default] Filter ImagePropertiesFilter returned 0 hosts`,
    )!;
    expect(h).toMatchObject({ time: '2026-11-27 14:46:46.693', level: 'INFO', requestId: R1 });
    expect(h.text.slice(h.messageStart)).toBe('Filter ImagePropertiesFilter returned 0 hosts');
  });

  it('exception lines carry the prefix without a context bracket', () => {
    const h = parseOsloHeader(
      '2021-09-25 14:19:47.564 2249 ERROR nova.api.openstack.wsgi Traceback (most recent call last):',
    )!;
    expect(h).toMatchObject({ level: 'ERROR', requestId: null });
    expect(h.text.slice(h.messageStart)).toBe('Traceback (most recent call last):');
  });

  it('continuation lines are not headers', () => {
    for (const l of [
      'Traceback (most recent call last):',
      '  File "gen.py", line 20, in <module>',
      ': nova.exception_Remote.NoValidHost_Remote: No valid host was found.',
      '',
      'ERROR',
    ]) {
      expect(parseOsloHeader(l)).toBeNull();
    }
  });

  it('the default DEBUG suffix', () => {
    expect(
      stripDebugSuffix(
        'x does not support requested instance_properties host_passes /usr/lib/python3/dist-packages/nova/scheduler/filters/image_props_filter.py:116',
      ),
    ).toMatchObject({
      message: 'x does not support requested instance_properties',
      funcName: 'host_passes',
      lineno: 116,
    });
    expect(stripDebugSuffix('no suffix here').message).toBe('no suffix here');
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const h = parseOsloHeader(`2026-11-27 14:46:46.693 1 DEBUG a.b ${s}`);
        expect(h).not.toBeNull();
        stripDebugSuffix(s);
        parseOsloHeader(s);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('records', () => {
  it('attaches continuation lines to the record before them and strips the DEBUG suffix at the end', () => {
    const text = [
      `2026-11-27 14:46:57.798 14133 WARNING nova.scheduler.utils [None ${R1} u p - - default default] Failed to compute_task_migrate_server: No valid host was found.`,
      'Traceback (most recent call last):',
      '',
      'nova.exception.NoValidHost: No valid host was found.',
      `2026-11-27 14:46:57.801 14133 DEBUG nova.x [-] two`,
      'lines f /a/b.py:1',
    ].join('\n');
    const recs = parseRecords(text, 'c.log');
    expect(recs).toHaveLength(2);
    expect(recs[0]!.message.split('\n')).toHaveLength(4);
    expect(recs[0]!.location).toEqual({ file: 'c.log', line: 1 });
    expect(recs[1]!.message).toBe('two\nlines');
    expect(recs[1]!.location.line).toBe(5);
  });
});

describe('the DEBUG suffix found in bytes', () => {
  // debugSuffixStart must cut where stripDebugSuffix cuts, on any message.
  const agree = (message: string) => {
    const b = Buffer.from(`HEADER ${message}`);
    const from = 7;
    const end = debugSuffixStart(b, from, b.length);
    if (end === -1) {
      expect(message.endsWith('}}')).toBe(true);
      return;
    }
    expect(b.toString('utf8', from, end)).toBe(stripDebugSuffix(message).message);
  };

  it('agrees with stripDebugSuffix on the forms nova writes', () => {
    for (const m of [
      'Filter ImagePropertiesFilter returned 0 hosts get_filtered_objects /usr/lib/python3/dist-packages/nova/filters.py:104',
      'Starting to schedule for instances: [x] select_destinations /opt/nova/scheduler/manager.py:141',
      'Lock "x" acquired from (pid=1234) inner /usr/lib/python3/dist-packages/oslo_concurrency/lockutils.py:390',
      'from (pid=1) f a.py:1',
      '(pid=1) f a.py:1',
      'no suffix here',
      'f a.py:1',
      'x <lambda> nova/a.py:12',
      'x 1bad nova/a.py:12',
      'x f nova/a.py:12345678',
      'x f nova/a.py:',
      'x f :12',
      'x f a.pyc:12',
      'ünïcode message é f /a/b.py:3',
      'x {{(pid=1) f a.py:1}}',
      // the function name's bounds, as FUNC_NAME has them
      `x ${'f'.repeat(201)} a.py:1`,
      `x ${'f'.repeat(202)} a.py:1`,
      `x <${'a'.repeat(20)}> a.py:1`,
      `x <${'a'.repeat(21)}> a.py:1`,
      'x <> a.py:1',
      'x <aB> a.py:1',
      'x <a a.py:1',
      'x _ a.py:1',
      'x 9f a.py:1',
      'x f9_Z a.py:1',
      'x fé a.py:1',
    ])
      agree(m);
  });

  it('agrees with stripDebugSuffix on arbitrary and mutated messages', () => {
    const parts = [
      ' ',
      'f',
      '_g1',
      '<lambda>',
      '(pid=',
      '12',
      ')',
      'from',
      '/',
      'a.py',
      ':',
      '7',
      'é',
      'x',
      '.py',
      '{{',
      '}}',
      '<',
      '>',
      '<ab>',
      'Z',
      '9',
      'a'.repeat(100),
      'ü',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...parts), { maxLength: 14 }), (ps) => agree(ps.join(''))),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => agree(s)),
      { numRuns: 2000 },
    );
  });
});
