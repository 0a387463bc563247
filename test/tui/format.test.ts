import { describe, expect, it } from 'vitest';
import { cell, formatBytes, formatDuration, formatHypervisorVersion, formatRate } from '../../src/tui/format.js';
import { displayWidth } from '../../src/tui/width.js';

describe('table cells', () => {
  it('pads to the width in terminal columns, wide characters counting two', () => {
    expect(cell('web-01', 8)).toBe('web-01  ');
    expect(displayWidth(cell('Café été ☕', 14))).toBe(14);
    expect(cell('Café été ☕', 14)).toBe('Café été ☕   ');
    expect(displayWidth(cell('東京のサーバー', 8))).toBe(8);
  });

  it('cuts with an ellipsis', () => {
    expect(cell('kvm-compute-0001', 8)).toBe('kvm-com…');
    expect(cell('東京のサーバー', 6)).toBe('東京… ');
    expect(cell('x', 0)).toBe('');
  });

  it('does not count combining marks', () => {
    expect(displayWidth('e\u0301')).toBe(1);
  });
});

describe('numbers', () => {
  it('formats sizes, rates, durations and libvirt versions', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(52_428_800)).toBe('50.0 MiB');
    expect(formatBytes(1024 ** 3 * 1.5)).toBe('1.5 GiB');
    expect(formatRate(25_000_000)).toBe('25.0 MB/s');
    expect(formatRate(null)).toBe('- MB/s');
    expect(formatDuration(6)).toBe('6s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(7300)).toBe('2h01m');
    expect(formatDuration(null)).toBe('-');
    expect(formatHypervisorVersion(2011001)).toBe('2.11.1 (2011001)');
    expect(formatHypervisorVersion(null)).toBe('not reported');
  });
});
