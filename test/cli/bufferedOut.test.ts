import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BufferedOut } from '../../src/cli/output/bufferedOut.js';

async function collect(stream: PassThrough): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('BufferedOut', () => {
  it('writes every record byte for byte, in order, in pieces (ASCII, non-ASCII, huge records)', async () => {
    const stream = new PassThrough({ highWaterMark: 1 << 16 });
    const got = collect(stream);
    const out = new BufferedOut(stream, false);
    const records = Array.from({ length: 20000 }, (_, i) =>
      i % 7 === 0 ? `{"name":"Ünïcødé 名前 ${i} 🚀"}` : `{"name":"plain ${i}","pad":"${'x'.repeat(i % 300)}"}`,
    );
    records.splice(5000, 0, `"${'y'.repeat(3 << 20)}"`); // bigger than a piece
    for (const r of records) await out.write(r);
    await out.flush();
    stream.end();
    const bytes = await got;
    expect(bytes.equals(Buffer.from(records.join(''), 'utf8'))).toBe(true);
  });

  it('waits for a slow reader instead of piling output up in memory', async () => {
    const stream = new PassThrough({ highWaterMark: 1024 });
    const out = new BufferedOut(stream, true);
    let settled = false;
    const pending = out.write('z'.repeat(4096)).then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false); // nobody reads yet: the write is held back
    stream.resume();
    await pending;
    expect(settled).toBe(true);
  });
});
