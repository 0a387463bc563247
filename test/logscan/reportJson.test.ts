import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanLogs, writeReportJson } from '../../src/logscan/index.js';
import type { ScanReport } from '../../src/logscan/types.js';

describe('writeReportJson', () => {
  it('writes exactly what JSON.stringify would, in pieces', async () => {
    const report = await scanLogs([join(import.meta.dirname, '..', 'fixtures', 'nova', 'logs', 'scheduler-zed.log')], {
      workers: 0,
    });
    for (const indent of [0, 2]) {
      const pieces: string[] = [];
      writeReportJson(report, (p) => pieces.push(p), indent);
      expect(pieces.join('')).toBe(JSON.stringify(report, null, indent));
      expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(JSON.stringify(report, null, indent).length / 4);
    }
  });

  it('handles empty arrays and absent fields', () => {
    const empty: ScanReport = { instances: [], unattributed: [], noValidHost: [], warnings: [], files: [] };
    for (const indent of [0, 2]) {
      let out = '';
      writeReportJson(
        empty,
        (p) => {
          out += p;
        },
        indent,
      );
      expect(out).toBe(JSON.stringify(empty, null, indent));
    }
  });
});
