// --since/--until as the README and --help say: both inclusive, and a bound covers all of the day, minute or second
// it names (an operator's `--until 2026-11-26` means through that day).
import { describe, expect, it } from 'vitest';
import { inRange, timeRange } from '../../src/logscan/timeRange.js';

describe('timeRange', () => {
  it('a minute as --until keeps every record of that minute, and none after it', () => {
    const r = timeRange(null, '2026-11-26 12:00');
    expect(inRange('2026-11-26 12:00:25.069', r)).toBe(true);
    expect(inRange('2026-11-26 12:00:59.999', r)).toBe(true);
    expect(inRange('2026-11-26 12:01:00.000', r)).toBe(false);
  });

  it('a day as --until keeps the whole day; as --since it starts at its first millisecond', () => {
    const r = timeRange('2026-11-26', '2026-11-26');
    expect(inRange('2026-11-25 23:59:59.999', r)).toBe(false);
    expect(inRange('2026-11-26 00:00:00.000', r)).toBe(true);
    expect(inRange('2026-11-26 23:59:59.999', r)).toBe(true);
    expect(inRange('2026-11-27 00:00:00.000', r)).toBe(false);
  });

  it('the same minute as --since and --until is that one minute', () => {
    const r = timeRange('2026-11-26 12:00', '2026-11-26 12:00');
    expect(inRange('2026-11-26 11:59:59.999', r)).toBe(false);
    expect(inRange('2026-11-26 12:00:00.000', r)).toBe(true);
    expect(inRange('2026-11-26 12:00:59.999', r)).toBe(true);
  });

  it('a second given with a fraction is exact', () => {
    const r = timeRange(null, '2026-11-26 12:00:25.5');
    expect(inRange('2026-11-26 12:00:25.500', r)).toBe(true);
    expect(inRange('2026-11-26 12:00:25.501', r)).toBe(false);
  });
});
