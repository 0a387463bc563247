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
const LOGS = join(import.meta.dirname, '..', 'fixtures', 'nova', 'logs');
const lines = (file: string) => readFileSync(file, 'utf8').split('\n');
const HOST_LINES = lines(join(DATA, 'zed-facts.log')).filter((l) =>
  l.includes(' does not support requested instance_properties'),
);
/** "Starting to schedule for instances": py3 lists (Zed) and py2 ones with u'' (2017). */
const START_LINES = [...lines(join(LOGS, 'scheduler-zed.log')), ...lines(join(LOGS, 'scheduler-2017.log'))].filter(
  (l) => l.includes('Starting to schedule for instances: '),
);

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
      '\r',
      '\t',
      '\v',
      '\f',
      "'",
      "u'",
      '[',
      ']',
      'A',
      'f',
    ),
  ),
  repeat: fc.integer({ min: 1, max: 4 }),
});

type Mutation = { seed: number; at: number; del: number; ins: string; repeat: number };

function mutate(m: Mutation, seeds: readonly string[] = HOST_LINES): string {
  const s = seeds[m.seed % seeds.length] as string;
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
  if (ev.kind === 'host-reject') return { host: ev.host, node: ev.node };
  return ev.kind === 'schedule-start' ? { instances: ev.instances } : ev.kind;
}

function viaText(line: string): unknown {
  const ev = eventOfLine(line.replaceAll('\u0000', ''))?.event;
  if (!ev) return null;
  if (ev.kind === 'host-reject') return { host: ev.host, node: ev.node };
  return ev.kind === 'schedule-start' ? { instances: ev.instances } : ev.kind;
}

describe('byte paths agree with the text path', () => {
  it('the real host lines take the byte path and read as the text path reads them', () => {
    expect(HOST_LINES.length).toBeGreaterThan(0);
    for (const l of HOST_LINES) {
      expect(viaBytes(l)).toEqual(viaText(l));
      expect(viaBytes(l)).toMatchObject({ host: expect.any(String), node: expect.any(String) });
    }
  });

  it('the real start lines read as the text path reads them', () => {
    expect(START_LINES.length).toBeGreaterThan(0);
    for (const l of START_LINES) expect(viaBytes(l)).toEqual(viaText(l));
  });

  it('start lists in and around the shape the byte path reads', () => {
    const real = START_LINES.find((l) => l.includes("instances: ['")) as string;
    const head = real.slice(0, real.indexOf('Starting to schedule'));
    const tail = ' select_destinations /usr/lib/python3/dist-packages/nova/scheduler/manager.py:141';
    const u1 = '0000000B-215E-5F45-BEC6-06B3C7693A65';
    const u2 = '00000001-f208-5994-aa5d-71d7c1fbf81b';
    for (const list of [
      `['${u1}']`,
      `['${u1}', '${u2}']`,
      `['${u1}','${u2}']`,
      `['${u1}',x'${u2}']`,
      `['${u1}',  '${u2}']`,
      `[u'${u1}']`,
      `['${u1}', ]`,
      `['${u1}'] `,
      ` ['${u1}']`,
      `['${u1.slice(1)}']`,
      `['${u1}x']`,
      `['${u1.replace('-', 'g')}']`,
      `['${u1}', 'not-a-uuid']`,
      `["${u1}"]`,
      '[]',
    ]) {
      const line = `${head}Starting to schedule for instances: ${list}${tail}`;
      expect(viaBytes(line), list).toEqual(viaText(line));
    }
    expect(viaBytes(`${head}Starting to schedule for instances: ['${u1}', '${u2}']${tail}`)).toEqual({
      instances: [u1.toLowerCase(), u2],
    });
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

  it('start lines: LineInterpreter finds what eventOfLine finds', () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const line = mutate(m, START_LINES);
        expect(viaBytes(line)).toEqual(viaText(line));
      }),
      { numRuns: 20_000 },
    );
  });
});
