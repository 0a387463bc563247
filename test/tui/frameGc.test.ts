// When the TUI empties the young generation after a frame: only once it is grown, and only when a frame would not fit.
import { describe, expect, it } from 'vitest';
import { scavengeWanted } from '../../src/tui/frameGc.js';

const MiB = 2 ** 20;

describe('scavengeWanted', () => {
  it('waits while the young generation is smaller than a frame (V8 is still growing it)', () => {
    expect(scavengeWanted({ capacity: 8 * MiB, free: 1 * MiB }, 12 * MiB)).toBe(false);
  });
  it('scavenges a grown young generation with no room left for a frame', () => {
    expect(scavengeWanted({ capacity: 16 * MiB, free: 6 * MiB }, 12 * MiB)).toBe(true);
  });
  it('leaves one with room for another frame alone', () => {
    expect(scavengeWanted({ capacity: 16 * MiB, free: 13 * MiB }, 12 * MiB)).toBe(false);
  });
});
