import { describe, expect, it } from 'vitest';
import { memoLast } from '../../src/tui/hooks/useStore.js';

describe('memoLast', () => {
  it('computes once per distinct arguments (by identity) and recomputes when one changes', () => {
    let calls = 0;
    const sum = memoLast((xs: readonly number[], k: number) => {
      calls += 1;
      return xs.reduce((a, b) => a + b, 0) * k;
    });
    const xs = [1, 2, 3];
    expect(sum(xs, 2)).toBe(12);
    expect(sum(xs, 2)).toBe(12);
    expect(calls).toBe(1);
    expect(sum([1, 2, 3], 2)).toBe(12); // equal but not the same array
    expect(calls).toBe(2);
    expect(sum(xs, 3)).toBe(18);
    expect(calls).toBe(3);
  });
});
