// The README is a contract with newcomers: its keymap and exit codes must be the program's own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, exitCodeMarkdown } from '../../src/errors.js';
import { leftoversMarkdown } from '../../src/nova/xenLeftovers.js';
import { keymapMarkdown } from '../../src/tui/keymap.js';

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

describe('README', () => {
  it('quotes the keymap table the TUI runs on', () => {
    expect(README).toContain(keymapMarkdown().trim());
  });

  it('quotes the table of what a repair changes that trace and repair run on', () => {
    expect(README).toContain(leftoversMarkdown().trim());
  });

  it("quotes the exit-code table the program runs on (src/errors.ts's EXIT_CODES), row for row", () => {
    expect(README).toContain(exitCodeMarkdown());
    const rows = README.match(/^\| \d+ \|.*$/gm) ?? [];
    expect(rows).toEqual(EXIT_CODES.map((e) => `| ${e.code} | ${e.meaning} |`));
  });

  it('gives the two first commands', () => {
    expect(README).toContain('node bin/nova-doctor.js demo');
    expect(README).toContain('npm test');
  });
});
