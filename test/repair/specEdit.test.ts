import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Operation } from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { pointer } from '../../src/nova/requestSpec.js';
import { type PyJsonValue, pyDumps } from '../../src/repair/pyJson.js';
import { editSpecText, parsePointer } from '../../src/repair/specEdit.js';

interface SpecCase {
  name: string;
  description: string;
  spec: string;
  nova_after: string | null;
}
const specs = (
  JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'specs.json'), 'utf8')) as { cases: SpecCase[] }
).cases;
const spec = (name: string) => specs.find((c) => c.name === name)!.spec;

const PROPS = '/nova_object.data/image/nova_object.data/properties';
const DATA = `${PROPS}/nova_object.data`;

/** What changed between two texts, as one region: common prefix and suffix stripped. */
function changedRegion(a: string, b: string): { removed: string; added: string } {
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  return { removed: a.slice(p, a.length - s), added: b.slice(p, b.length - s) };
}

/** True when `after` is `before` with `removed` replaced by `added` at one offset (alignment-independent). */
function isOneSplice(before: string, after: string, removed: string, added: string): boolean {
  if (after.length - before.length !== added.length - removed.length) return false;
  let p = 0;
  while (p < before.length && p < after.length && before[p] === after[p]) p++;
  for (let k = Math.max(0, p - Math.max(removed.length, added.length)); k <= p; k++) {
    if (before.startsWith(removed, k) && before.slice(0, k) + added + before.slice(k + removed.length) === after)
      return true;
  }
  return false;
}

function edit(text: string, patch: Operation[]): string {
  const result = editSpecText(text, patch);
  if (!result.ok) throw new Error(result.reason);
  return result.text;
}

/** Drop every nova_object.changes list: stored change lists follow Python set order and do not matter to nova. */
function withoutChanges(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutChanges);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'nova_object.changes')
        .map(([k, v]) => [k, withoutChanges(v)]),
    );
  }
  return value;
}

describe('pointers', () => {
  it('round-trips RFC 6901 escapes', () => {
    expect(parsePointer('/a~1b/c~0d/~01')).toEqual(['a/b', 'c~d', '~1']);
    expect(pointer(['a/b', 'c~d', '~1'])).toBe('/a~1b/c~0d/~01');
    expect(parsePointer('')).toEqual([]);
  });
});

describe('editSpecText on specs nova wrote', () => {
  const withProps = specs.filter((c) => c.nova_after !== null);

  it('has the generated cases', () => {
    expect(withProps.length).toBeGreaterThanOrEqual(6);
  });

  for (const c of withProps) {
    it(`replaces the Xen values byte-minimally and means what nova writes: ${c.name}`, () => {
      const doc = JSON.parse(c.spec);
      const props = doc['nova_object.data'].image['nova_object.data'].properties['nova_object.data'];
      let text = c.spec;
      for (const [field, target] of [
        ['img_hv_type', 'kvm'],
        ['hw_vm_mode', 'hvm'],
      ] as const) {
        if (props[field] !== 'xen') continue;
        const next = edit(text, [
          { op: 'test', path: `${DATA}/${field}`, value: 'xen' },
          { op: 'replace', path: `${DATA}/${field}`, value: target },
        ]);
        // "xen" → "kvm" share no letters, "xen" → "hvm" share none either: the region is exactly the value.
        expect(changedRegion(text, next)).toEqual({ removed: 'xen', added: target });
        expect(next.length).toBe(text.length);
        text = next;
      }
      expect(withoutChanges(JSON.parse(text))).toEqual(withoutChanges(JSON.parse(c.nova_after!)));
    });
  }

  it('keeps "xenial", scheduler hints named like properties, unicode escapes and floats untouched', () => {
    const before = spec('unicode-and-hints');
    const after = edit(before, [
      { op: 'test', path: `${DATA}/img_hv_type`, value: 'xen' },
      { op: 'replace', path: `${DATA}/img_hv_type`, value: 'kvm' },
      { op: 'test', path: `${DATA}/hw_vm_mode`, value: 'xen' },
      { op: 'replace', path: `${DATA}/hw_vm_mode`, value: 'hvm' },
    ]);
    expect(after).toContain('ubuntu-xenial-xen q\\u00e9mu \\ud83d\\ude80 \\u007f');
    expect(after).toContain('"rxtx_factor": 1.5');
    expect(after).toContain('"img_hv_type": ["xen"]'); // the scheduler hint, not an image property
    expect(after.split('"xen"').length).toBe(before.split('"xen"').length - 2);
    expect(after.length).toBe(before.length);
  });

  it('removes a property with its separator, and its name from the changes list', () => {
    const before = spec('xen-legacy-names');
    const changes = JSON.parse(before)['nova_object.data'].image['nova_object.data'].properties[
      'nova_object.changes'
    ] as string[];
    const at = changes.indexOf('img_hv_type');
    const step1 = edit(before, [
      { op: 'test', path: `${DATA}/img_hv_type`, value: 'xen' },
      { op: 'remove', path: `${DATA}/img_hv_type` },
    ]);
    expect(isOneSplice(before, step1, ', "img_hv_type": "xen"', '')).toBe(true);
    const step2 = edit(step1, [
      { op: 'test', path: `${PROPS}/nova_object.changes/${at}`, value: 'img_hv_type' },
      { op: 'remove', path: `${PROPS}/nova_object.changes/${at}` },
    ]);
    const asFirst = isOneSplice(step1, step2, '"img_hv_type", ', '');
    const asLater = isOneSplice(step1, step2, ', "img_hv_type"', '');
    expect(at === 0 ? asFirst : asLater).toBe(true);
  });

  it('removes the first member with the separator after it', () => {
    const before = spec('hv-type-first-in-changes');
    const after = edit(before, [{ op: 'remove', path: `${PROPS}/nova_object.changes/0` }]);
    expect(isOneSplice(before, after, '"img_hv_type", ', '')).toBe(true);
    expect(after).toContain('"nova_object.changes": ["os_type", "hw_vm_mode"]');
  });

  it('empties an object whose only member is removed to {} as Python writes it', () => {
    const before = spec('only-hv-type');
    const after = edit(before, [
      { op: 'remove', path: `${DATA}/img_hv_type` },
      { op: 'remove', path: `${PROPS}/nova_object.changes` },
    ]);
    expect(after).toContain('"nova_object.data": {}}');
    expect(before.replace('"img_hv_type": "xen"}, "nova_object.changes": ["img_hv_type"]}', '}}')).toBe(after);
  });

  it('inserts new members the way json.dumps would write them', () => {
    const before = spec('only-hv-type');
    const after = edit(before, [{ op: 'add', path: `${DATA}/hw_vm_mode`, value: 'hvm' }]);
    expect(isOneSplice(before, after, '', ', "hw_vm_mode": "hvm"')).toBe(true);
    const emptied = edit(before, [{ op: 'remove', path: `${DATA}/img_hv_type` }]);
    const refilled = edit(emptied, [{ op: 'add', path: `${DATA}/img_hv_type`, value: 'qému' }]);
    expect(refilled).toContain('"nova_object.data": {"img_hv_type": "q\\u00e9mu"}');
    const first = edit(before, [{ op: 'add', path: `${PROPS}/nova_object.changes/0`, value: 'hw_vm_mode' }]);
    expect(isOneSplice(before, first, '', '"hw_vm_mode", ')).toBe(true);
    expect(first).toContain('"nova_object.changes": ["hw_vm_mode", "img_hv_type"]');
    const appended = edit(before, [{ op: 'add', path: `${PROPS}/nova_object.changes/-`, value: 'hw_vm_mode' }]);
    expect(appended).toContain('"nova_object.changes": ["img_hv_type", "hw_vm_mode"]');
    expect(isOneSplice(before, appended, '', ', "hw_vm_mode"')).toBe(true);
  });

  it('treats add on an existing member as replace', () => {
    const before = spec('xen-legacy-names');
    const after = edit(before, [{ op: 'add', path: `${DATA}/img_hv_type`, value: 'qemu' }]);
    expect(changedRegion(before, after)).toEqual({ removed: 'xen', added: 'qemu' });
  });
});

describe('editSpecText refuses what it cannot prove', () => {
  const base = spec('xen-legacy-names');

  it('a failing test op (the value changed since the plan)', () => {
    const r = editSpecText(base, [{ op: 'test', path: `${DATA}/img_hv_type`, value: 'kvm' }]);
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('test failed at') });
  });

  it('text that is not JSON, JSON with comments, trailing commas', () => {
    for (const text of ['00000000-0000-0000-0000-000000000000', '{"a": 1 /* c */}', '{"a": [1,]}', '']) {
      const r = editSpecText(text, [{ op: 'replace', path: '/a', value: 2 }]);
      expect(r.ok, text).toBe(false);
    }
  });

  it('duplicate keys on the path', () => {
    const r = editSpecText('{"a": {"b": 1}, "a": {"b": 2}}', [{ op: 'replace', path: '/a/b', value: 3 }]);
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('twice') });
  });

  it('missing paths, bad indices, move/copy, whole-document replace', () => {
    const bad: Operation[][] = [
      [{ op: 'replace', path: `${DATA}/no_such_field`, value: 'x' }],
      [{ op: 'remove', path: `${PROPS}/nova_object.changes/99` }],
      [{ op: 'remove', path: `${PROPS}/nova_object.changes/01` }],
      [{ op: 'move', from: `${DATA}/img_hv_type`, path: `${DATA}/x` }],
      [{ op: 'copy', from: `${DATA}/img_hv_type`, path: `${DATA}/x` }],
      [{ op: 'replace', path: '', value: {} }],
      [{ op: 'replace', path: '/nova_object.name/x', value: 1 }],
    ];
    for (const patch of bad) expect(editSpecText(base, patch).ok, JSON.stringify(patch)).toBe(false);
  });
});

describe('editSpecText on random documents', () => {
  // Documents written as Python writes them; each op aims at a path that exists.
  const scalar = fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), fc.integer(), fc.boolean(), fc.constant(null));
  const { doc } = fc.letrec<{ doc: PyJsonValue }>((tie) => ({
    doc: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar as fc.Arbitrary<PyJsonValue>,
      fc.array(tie('doc'), { maxLength: 4 }),
      fc.dictionary(fc.string({ unit: 'binary', maxLength: 5 }), tie('doc'), { maxKeys: 4 }),
    ),
  }));

  function paths(value: unknown, prefix: string[] = []): string[][] {
    const out: string[][] = [prefix];
    if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, String(i)])));
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
    return out;
  }

  it('changes exactly one region per op, and agrees with fast-json-patch', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary', maxLength: 5 }), doc, { minKeys: 1, maxKeys: 5 }),
        fc.nat(),
        fc.constantFrom('replace', 'remove', 'add'),
        scalar,
        (value, pick, kind, newValue) => {
          const text = pyDumps(value);
          const candidates = paths(value).filter((p) => p.length > 0);
          const target = candidates[pick % candidates.length]!;
          const path = pointer(target);
          const op: Operation =
            kind === 'remove'
              ? { op: 'remove', path }
              : kind === 'replace'
                ? { op: 'replace', path, value: newValue }
                : { op: 'add', path: pointer([...target.slice(0, -1), `${target.at(-1)}~new`]), value: newValue };
          const result = editSpecText(text, [op]);
          const parent = target.slice(0, -1).reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], value);
          if (kind === 'add' && Array.isArray(parent)) {
            expect(result.ok).toBe(false); // "3~new" is not an array index
            return;
          }
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          const region = changedRegion(text, result.text);
          const written = newValue === null || typeof newValue !== 'object' ? pyDumps(newValue as PyJsonValue) : '';
          if (kind === 'replace') expect(region.added.length).toBeLessThanOrEqual(written.length);
          if (kind === 'remove') expect(region.added).toBe('');
          if (kind === 'add') expect(region.removed).toBe('');
        },
      ),
      { numRuns: 500 },
    );
  });
});
