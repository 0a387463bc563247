// The byte paths of LineInterpreter against the text path they stand in for: mutated real lines go through
// both, and what the byte path concludes must be what eventOfLine concludes from the decoded line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventOfLine } from '../../src/logscan/lineEvent.js';
import { LineInterpreter } from '../../src/logscan/lineInterpreter.js';
import { hostStateSpans, parseHostStateRepr } from '../../src/nova/hostState.js';

const DATA = join(import.meta.dirname, 'data');
const HOST_LINES = readFileSync(join(DATA, 'zed-facts.log'), 'utf8')
  .split('\n')
  .filter((l) => l.includes(' does not support requested instance_properties'));

/** Splices the characters the repr parser looks for (and some it must not accept) into a real line. */
const mutation = fc.record({
  seed: fc.nat(),
  at: fc.nat(),
  del: fc.integer({ min: 0, max: 40 }),
  ins: fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(
      '(',
      ')',
      ', ',
      ') ram:',
      ' ram: ',
      'MB',
      ' disk:',
      ' io_ops: ',
      ' instances: ',
      '-',
      '.',
      '.5',
      '7',
      ' ',
      'é',
      '\u0000',
      ' does not support requested instance_properties',
      ' host_passes /a/b.py:1',
      ' {{(pid=1) f /a.py:1}}',
    ),
  ),
  repeat: fc.integer({ min: 1, max: 4 }),
});

function mutate(m: { seed: number; at: number; del: number; ins: string; repeat: number }): string {
  const s = HOST_LINES[m.seed % HOST_LINES.length] as string;
  const at = m.at % (s.length + 1);
  return s.slice(0, at) + m.ins.repeat(m.repeat) + s.slice(at + m.del);
}

/** What LineInterpreter makes of one line, as host and node (or the kind it found, or null). */
function viaBytes(line: string): unknown {
  const li = new LineInterpreter(0, 'f.log', { since: null, until: null });
  li.line({ bytes: Buffer.from(line), offset: 0, line: 1 });
  li.finish();
  const ev = li.events[0]?.ev;
  if (!ev) return null;
  return ev.kind === 'host-reject' ? { host: ev.host, node: ev.node } : ev.kind;
}

function viaText(line: string): unknown {
  const ev = eventOfLine(line.replaceAll('\u0000', ''))?.event;
  if (!ev) return null;
  return ev.kind === 'host-reject' ? { host: ev.host, node: ev.node } : ev.kind;
}

describe('byte paths agree with the text path', () => {
  it('the real host lines take the byte path and read as the text path reads them', () => {
    expect(HOST_LINES.length).toBeGreaterThan(0);
    for (const l of HOST_LINES) {
      expect(viaBytes(l)).toEqual(viaText(l));
      expect(viaBytes(l)).toMatchObject({ host: expect.any(String), node: expect.any(String) });
    }
  });

  it('hostStateSpans decides as parseHostStateRepr on ASCII', () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const line = mutate(m);
        const at = line.indexOf('] (') + 2;
        const text = line.slice(at);
        if (!/^[\x00-\x7f]*$/.test(text)) return;
        const b = Buffer.from(text);
        const spans = hostStateSpans(b, 0, b.length);
        const repr = parseHostStateRepr(text);
        expect(spans === null).toBe(repr === null);
        if (spans && repr) {
          expect(text.slice(1, spans.hostEnd)).toBe(repr.host);
          expect(text.slice(spans.hostEnd + 2, spans.nodeEnd)).toBe(repr.node);
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('host-reject lines: LineInterpreter finds what eventOfLine finds', () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const line = mutate(m);
        expect(viaBytes(line)).toEqual(viaText(line));
      }),
      { numRuns: 20_000 },
    );
  });
});
