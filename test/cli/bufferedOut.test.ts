import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferedOut, PIECE_BYTES } from '../../src/cli/output/bufferedOut.js';
import { jsonSafe } from '../../src/terminalText.js';

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

  it('JSON: every record as jsonSafe makes it, across many pieces, ASCII records next to others filling a piece', async () => {
    // Records of every length mixed, so the ASCII fast path meets pieces with little room left (a record that does
    // not fit must never be half written and taken for ASCII) and non-ASCII records between them.
    const stream = new PassThrough({ highWaterMark: 1 << 16 });
    const got = collect(stream);
    const out = new BufferedOut(stream, false, 'json');
    const records = Array.from({ length: 20000 }, (_, i) =>
      i % 11 === 0
        ? `{"name":"Ünïcødé 名前 ${i} 🚀"}`
        : i % 13 === 0
          ? `{"name":"ascii with a DEL \u007f ${i}"}`
          : `{"name":"plain ${i}","pad":"${'x'.repeat((i * 37) % 700)}"}`,
    );
    for (const r of records) await out.write(r);
    await out.flush();
    stream.end();
    const bytes = await got;
    expect(bytes.equals(Buffer.from(records.map(jsonSafe).join(''), 'utf8'))).toBe(true);
  });

  it('JSON: a record that would just not fit is never half written and taken for ASCII', async () => {
    // 'é' and 999 'x': 1,000 UTF-16 units, 1,001 bytes. With exactly 1,000 bytes left in the piece, a write that
    // only checked for 1,000 bytes of room would stop one 'x' short with 1,000 bytes written: as many as units.
    for (const left of [999, 1000, 1001, 1002]) {
      const stream = new PassThrough({ highWaterMark: 1 << 16 });
      const got = collect(stream);
      const out = new BufferedOut(stream, false, 'json');
      const records = ['a'.repeat(PIECE_BYTES - left), `é${'x'.repeat(999)}`, 'z'];
      for (const r of records) await out.write(r);
      await out.flush();
      stream.end();
      expect((await got).toString('utf8')).toBe(records.join(''));
    }
  });

  it('waits for a slow reader instead of piling output up in memory', async () => {
    const stream = new PassThrough({ highWaterMark: 1024 });
    const out = new BufferedOut(stream, true);
    let settled = false;
    const written = out.write('z'.repeat(4096));
    expect(written).toBeInstanceOf(Promise); // a terminal: every write goes out at once
    const pending = (written as Promise<void>).then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false); // nobody reads yet: the write is held back
    stream.resume();
    await pending;
    expect(settled).toBe(true);
  });

  it('asks to be awaited only when a piece goes out, and then until the reader takes it', async () => {
    const stream = new PassThrough({ highWaterMark: 1024 });
    const out = new BufferedOut(stream, false);
    const record = 'r'.repeat(1000);
    let first: Promise<void> | undefined;
    let n = 0;
    while (!first) {
      first = out.write(record);
      n++;
    }
    // Pieces are tens of KiB: many records fit before one has to be written.
    expect(n).toBeGreaterThan(10);
    let settled = false;
    void first.then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    const got = collect(stream);
    await first;
    await out.flush();
    stream.end();
    expect((await got).toString()).toBe(record.repeat(n));
  });

  // JSON records skip jsonSafe when their encoding shows they are plain ASCII (no DEL, no password): the bytes
  // must be exactly what jsonSafe of each record would have written, whatever the text.
  const jsonOut = async (records: readonly string[]) => {
    const stream = new PassThrough({ highWaterMark: 1 << 16 });
    const got = collect(stream);
    const out = new BufferedOut(stream, false, 'json');
    for (const r of records) await out.write(r);
    await out.flush();
    stream.end();
    return (await got).toString('utf8');
  };

  it('writes JSON records as jsonSafe does: DEL, C1, bidi and tag characters escaped, passwords masked', async () => {
    const records = [
      { name: 'plain' },
      { name: 'del\u007f' },
      { name: 'c1\u0085 and bidi\u202e' },
      { name: 'tag\u{e0041}' },
      { url: 'mysql+pymysql://nova:s3cret@db/nova' },
      { url: 'http://x/?password=hunter2' },
      { name: 'Ünïcødé 名前 🚀' },
      { name: `${'x'.repeat(70000)}\u0085` }, // bigger than a piece
    ].map((r) => JSON.stringify(r));
    const text = await jsonOut(records);
    expect(text).toBe(records.map(jsonSafe).join(''));
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('hunter2');
    expect(text).toContain('del\\u007f');
  });

  it('writes any JSON record byte for byte as jsonSafe of it (property)', async () => {
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ maxLength: 40 }),
      fc.constantFrom('nova:pw@db', 'a@b', '?pass=x', '\u007f', '\u009b', '\u2066', 'é', '\u{e007f}'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.dictionary(fc.string({ maxLength: 8 }), value), { maxLength: 30 }), async (objs) => {
        const records = objs.map((o) => JSON.stringify(o));
        expect(await jsonOut(records)).toBe(records.map(jsonSafe).join(''));
      }),
      { numRuns: 300 },
    );
  });
});
