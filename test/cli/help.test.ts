// --help is where a new user starts: every command shows examples, and the top level shows the TUI form.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeHelp } from '../../src/errors.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'nova-doctor.js');
const help = (...args: string[]) => execFileSync(process.execPath, [BIN, ...args, '--help'], { encoding: 'utf8' });

describe('--help', () => {
  it('top level: the commands, the TUI form with its options and an example, and the exit codes', () => {
    const text = help();
    for (const c of ['scan', 'trace', 'repair', 'undo', 'demo']) expect(text).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(text).toContain('nova-doctor [options] [logs...]');
    for (const o of ['--all', '--read-only', '--hv-type <type>', '--config <file>', '--since <time>'])
      expect(text).toMatch(new RegExp(`^  ${o.replace(/[<>]/g, '.')} `, 'm'));
    expect(text).toMatch(/^ {2}nova-doctor --config \/etc\/nova\/nova\.conf /m);
    expect(text).toContain(exitCodeHelp());
  });

  it.each(['scan', 'trace', 'repair', 'undo', 'demo'])('%s has examples that run that command', (command) => {
    const text = help(command);
    const examples = text.slice(text.indexOf('Examples:'));
    expect(text).toContain('Examples:');
    expect(examples).toMatch(new RegExp(`nova-doctor ${command}\\b`));
  });
});
