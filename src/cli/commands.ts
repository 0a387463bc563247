// The command table. Each command parses its flags and hands them to the doctor.
import type { Command } from 'commander';

export type SetExitCode = (code: number) => void;

export function registerCommands(_program: Command, _setExitCode: SetExitCode): void {}
