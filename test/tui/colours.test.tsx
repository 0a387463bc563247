// Colours are decided when chalk is first imported, from the environment; the test process has no
// terminal, so force them for this file's module graph only (and put the variable back at once).
import { afterEach, describe, expect, it, vi } from 'vitest';

const previous = vi.hoisted(() => {
  const before = process.env.FORCE_COLOR;
  process.env.FORCE_COLOR = '1';
  return before;
});

import { App } from '../../src/tui/index.js';
import { staleView, withStatus } from './data.js';
import { FakeDoctor } from './fake-doctor.js';
import { type Rendered, renderTui } from './harness.js';

if (previous === undefined) delete process.env.FORCE_COLOR;
else process.env.FORCE_COLOR = previous;

const RED = '\u001b[31m';
const GREEN = '\u001b[32m';
const YELLOW = '\u001b[33m';
const INVERSE = '\u001b[7m';

let t: Rendered | null = null;
afterEach(() => t?.unmount());

describe('colours', () => {
  it('colours statuses: stale red, half-fixed yellow, repaired green', async () => {
    const views = [staleView(1), withStatus(staleView(2), 'half-fixed'), withStatus(staleView(3), 'repaired')];
    t = renderTui(<App api={new FakeDoctor({ views })} />);
    await t.waitFor((f) => f.includes('ready'));
    const raw = t.stdout.frames.at(-1) ?? '';
    expect(raw).toContain(`${RED}stale`);
    expect(raw).toContain(`${YELLOW}half-fixed`);
    expect(raw).toContain(`${GREEN}repaired`);
  });

  it('shows removed spec text red and added text green, highlighted', async () => {
    t = renderTui(<App api={new FakeDoctor({ views: [staleView(1)] })} />, { columns: 120, rows: 50 });
    await t.waitFor((f) => f.includes('ready'));
    await t.press('p');
    // The plan pane draws the diff once the plan is made: under load that may be a frame after the key's.
    await t.waitFor((f) => /img_hv_type": "kvm/.test(f), 'the plan diff');
    const raw = t.stdout.frames.at(-1) ?? '';
    // The escapes right before the old and the new value, on the - and + rows.
    const before = raw.match(/img_hv_type": "((?:\u001b\[\d+m)+)xen/)?.[1] ?? '';
    const after = raw.match(/img_hv_type": "((?:\u001b\[\d+m)+)kvm/)?.[1] ?? '';
    expect(before).toContain(RED);
    expect(before).toContain(INVERSE);
    expect(after).toContain(GREEN);
    expect(after).toContain(INVERSE);
    // The highlight ends with the value: the context after it is plain.
    expect(raw).toMatch(/kvm\u001b\[39m\u001b\[27m", "img_use_agent"/);
  });
});
