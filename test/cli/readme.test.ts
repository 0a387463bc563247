// The README is a contract with newcomers: its keymap and exit codes must be the program's own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exitCodes.js';
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

  it('documents every exit code', () => {
    for (const code of Object.values(ExitCode)) expect(README).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
  });

  it('gives the two first commands', () => {
    expect(README).toContain('node bin/nova-doctor.js demo');
    expect(README).toContain('npm test');
  });
});
