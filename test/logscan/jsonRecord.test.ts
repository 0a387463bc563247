// oslo.log's JSON lines ([DEFAULT] use_json): the record's fields, as the text format would show them.
// Whole lines nova wrote this way are in test/fixtures/nova/logs/scheduler-zed-json.log.gz (fixtures.test.ts).
import { describe, expect, it } from 'vitest';
import { parseJsonRecord } from '../../src/logscan/jsonRecord.js';

const R = 'req-285350eb-b148-5792-97b9-904e2826312d';
const G = 'req-11111111-2222-3333-4444-555555555555';
const U = '717668DD-215e-5f45-bec6-06b3c7693a65';

const record = (over: Record<string, unknown>) =>
  JSON.stringify({
    message: 'Filter ComputeFilter returned 0 hosts',
    asctime: '2026-11-27 06:12:14',
    msecs: 125.69689750671387,
    name: 'nova.filters',
    levelname: 'INFO',
    process: 2143,
    context: { request_id: R, global_request_id: null, user_identity: 'u p - default default' },
    extra: { project: 'p', version: 'unknown' },
    ...over,
  });

describe('oslo.log JSON records', () => {
  it('reads the header fields a text line has, time to the millisecond (truncated, as %(msecs)03d)', () => {
    expect(parseJsonRecord(record({}))).toEqual({
      header: {
        time: '2026-11-27 06:12:14.125',
        pid: 2143,
        level: 'INFO',
        logger: 'nova.filters',
        globalRequestId: null,
        requestId: R,
        userIdentity: 'u p - default default',
        instanceUuid: null,
        hasContext: true,
        messageStart: 0,
        text: '',
      },
      message: 'Filter ComputeFilter returned 0 hosts',
    });
  });

  it('global request id, the instance (extra.instance_uuid or an instance dict), WARN, other date formats', () => {
    const h = parseJsonRecord(
      record({ context: { request_id: R, global_request_id: G }, extra: { instance_uuid: U }, levelname: 'WARN' }),
    )!.header;
    expect([h.globalRequestId, h.requestId, h.instanceUuid, h.level]).toEqual([G, R, U.toLowerCase(), 'WARNING']);
    expect(parseJsonRecord(record({ extra: { instance: { uuid: U } } }))!.header.instanceUuid).toBe(U.toLowerCase());
    expect(parseJsonRecord(record({ asctime: '2026-11-27T06:12:14,5' }))!.header.time).toBe('2026-11-27 06:12:14.500');
    expect(parseJsonRecord(record({ asctime: '27/11/2026 06:12' }))!.header.time).toBe('');
    expect(parseJsonRecord(record({ msecs: 'x' }))!.header.time).toBe('2026-11-27 06:12:14.000');
  });

  it('anything else is no record: other JSON, broken JSON, missing or mistyped fields, bogus ids', () => {
    for (const line of [
      '{"a": 1}',
      '[1, 2]',
      '{"message": "x", "name": "n"',
      record({ message: 3 }),
      record({ levelname: null }),
      record({ name: undefined }),
      'not json',
    ])
      expect(parseJsonRecord(line)).toBeNull();
    const h = parseJsonRecord(
      record({ context: { request_id: 'x; DROP', global_request_id: 7 }, process: 'p' }),
    )!.header;
    expect([h.requestId, h.globalRequestId, h.pid]).toEqual([null, null, null]);
    expect(parseJsonRecord(record({ context: 'no', extra: [1] }))!.header.requestId).toBeNull();
  });
});
