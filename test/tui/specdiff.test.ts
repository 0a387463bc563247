import { describe, expect, it } from 'vitest';
import { lineText, wrapLine } from '../../src/tui/lines.js';
import { specDiffHunks } from '../../src/tui/specdiff.js';
import { REAL_SPEC, repairedSpec } from './data.js';

describe('spec diff', () => {
  const after = repairedSpec(REAL_SPEC);

  it('shows the old value in red on the - row and the new one in green on the + row', () => {
    const hunks = specDiffHunks(REAL_SPEC, after, 30);
    expect(hunks).toHaveLength(1); // both edits sit within 60 characters of each other
    const [hunk] = hunks;
    const removed = hunk?.before
      .filter((s) => s.color === 'red')
      .map((s) => s.text)
      .join('');
    const added = hunk?.after
      .filter((s) => s.color === 'green')
      .map((s) => s.text)
      .join('');
    expect(removed).toContain('xen');
    expect(removed).toContain('hw_vm_mode');
    expect(added).toBe('kvm');
    expect(lineText(hunk?.before ?? [])).toContain('"img_hv_type": "xen"');
    expect(lineText(hunk?.after ?? [])).toContain('"img_hv_type": "kvm"');
    expect(lineText(hunk?.after ?? [])).not.toContain('hw_vm_mode');
  });

  it('points at the edit in the old text and cuts the context to a window', () => {
    const [hunk] = specDiffHunks(REAL_SPEC, after, 20);
    expect(hunk?.offset).toBeGreaterThan(0);
    expect(REAL_SPEC.slice(hunk?.offset).startsWith('hw_vm_mode')).toBe(true);
    const text = lineText(hunk?.before ?? []);
    expect(text.startsWith('…')).toBe(true);
    expect(text.endsWith('…')).toBe(true);
    expect(text.length).toBeLessThan(REAL_SPEC.length / 10);
  });

  it('splits edits far apart into separate hunks', () => {
    const far = after.replace('"name": "m1.small"', '"name": "m1.smaller"');
    const hunks = specDiffHunks(REAL_SPEC, far, 20);
    expect(hunks).toHaveLength(2);
    expect(lineText(hunks[1]?.after ?? [])).toContain('m1.smaller');
    expect(hunks[0]?.offset).toBeLessThan(hunks[1]?.offset ?? 0);
  });

  it('has nothing to show for identical texts', () => {
    expect(specDiffHunks(REAL_SPEC, REAL_SPEC)).toEqual([]);
  });
});

describe('wrapLine', () => {
  it('cuts rows at the width, keeps styles, indents continuations', () => {
    const rows = wrapLine([{ text: 'abcdef' }, { text: 'ghij', color: 'red' }], 4, 2);
    expect(rows.map(lineText)).toEqual(['abcd', '  ef', '  gh', '  ij']);
    expect(rows[2]?.[1]).toEqual({ text: 'gh', color: 'red' });
  });

  it('measures sanitised text, so an escape cannot push a row past the width', () => {
    const rows = wrapLine([{ text: '\u001b[31m' }], 6);
    expect(rows.map(lineText)).toEqual(['\\x1b[3', '1m']);
  });
});

describe('wrapLine at words', () => {
  it('breaks at the last space in the second half of a row and drops that space', () => {
    const rows = wrapLine([{ text: 'resize and migrate find no valid host' }], 20, 2);
    expect(rows.map(lineText)).toEqual(['resize and migrate', '  find no valid host']);
  });

  it('splits a word only when it is longer than half a row', () => {
    const rows = wrapLine([{ text: 'a /nova_object.data/image/nova_object.data' }], 16);
    expect(rows.map(lineText)).toEqual(['a /nova_object.d', 'ata/image/nova_o', 'bject.data']);
  });

  it('counts wide characters as two columns', () => {
    const rows = wrapLine([{ text: '東京東京東京' }], 5);
    expect(rows.map(lineText)).toEqual(['東京', '東京', '東京']);
  });
});
