import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressLine } from '../../src/cli/progress.js';

function fakeTerminal(isTTY: boolean) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  stream.columns = 40;
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

describe('the progress line', () => {
  it('redraws at most ten times a second however often it is told, fits the width, and is erased at the end', async () => {
    const saved = process.env.CI;
    delete process.env.CI;
    try {
      const t = fakeTerminal(true);
      const p = progressLine(t.stream);
      const t0 = performance.now();
      for (let i = 0; i < 100_000; i++) p.message(`tracing: ${i} instances ${'x'.repeat(60)}`);
      // However long the loop took on this machine, at most one draw per 100 ms of it. The throttle reads
      // Date.now(), whole milliseconds: its 100 ms can be 98.x ms on this clock.
      const most = 1 + Math.floor((performance.now() - t0 + 2) / 100);
      await new Promise((r) => setTimeout(r, 120));
      p.message('tracing: last');
      p.done();
      await new Promise((r) => setImmediate(r));
      const draws = t.text().split('\r\x1b[K').filter(Boolean);
      expect(draws[0]).toMatch(/^tracing: 0 instances x+$/);
      expect(draws.at(-1)).toBe('tracing: last');
      expect(draws.length - 1).toBeLessThanOrEqual(most);
      for (const d of draws.slice(0, -1)) expect(d).toHaveLength(39);
      expect(t.text().endsWith('\r\x1b[K')).toBe(true);
    } finally {
      if (saved !== undefined) process.env.CI = saved;
    }
  });

  it('says nothing when stderr is not a terminal', async () => {
    const t = fakeTerminal(false);
    const p = progressLine(t.stream);
    p.message('tracing: 1 instances');
    p.done();
    await new Promise((r) => setImmediate(r));
    expect(t.text()).toBe('');
  });
});
