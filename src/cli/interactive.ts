// The interactive face: the TUI in a terminal, a plain summary (and the commands to run) anywhere else.
import type { CellStatus } from '../db/types.js';
import { startDemo } from '../doctor/demo.js';
import { isAffectedRow, listExitCode } from '../doctor/flow.js';
import { databaseWords, shellWord } from '../doctor/journalCommands.js';
import { skippedInput } from '../doctor/scan.js';
import { createDoctor } from '../doctor/session.js';
import type { DoctorConfig, InstanceRow } from '../doctor/types.js';
import { ExitCode, type ExitCodeValue } from '../errors.js';
import { terminalSafeLine as safe, terminalSafe } from '../terminalText.js';
import { runTui } from '../tui/index.js';
import { onTerminate } from './signals.js';

export function canRunTui(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI;
}

function summary(views: InstanceRow[]): string {
  const counts = new Map<string, number>();
  for (const v of views) counts.set(v.status, (counts.get(v.status) ?? 0) + 1);
  const lines = [`${views.length} instance(s): ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ') || 'none found'}`];
  for (const v of views.filter(isAffectedRow)) {
    const props = v.incident?.mismatches.map((m) => `${m.property}='${m.value}'`).join(' ') ?? '';
    const stale = v.staleCount === null ? 'not traced' : `${v.staleCount} stale value(s)`;
    lines.push(
      `  ${safe(v.uuid)}  ${v.status.padEnd(10)} ${safe(v.cellName ?? '-').padEnd(8)} ${stale}  ${safe(props)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function commandsFor(config: DoctorConfig): string {
  const db = config.db ? databaseWords(config.db).join(' ') : '--config /etc/nova/nova.conf';
  const logs = config.logs.map(shellWord).join(' ');
  const targets = [logs, config.all ? '--all' : ''].filter(Boolean).join(' ');
  return [
    'No terminal here, so no interactive view. The same steps as commands:',
    `  nova-doctor scan ${logs || 'LOG...'}`,
    `  nova-doctor trace ${db} ${targets || 'LOG...'}`,
    `  nova-doctor repair ${db} ${targets || 'LOG...'}            (dry run; add --apply to write)`,
  ].join('\n');
}

export async function runInteractive(config: DoctorConfig): Promise<number> {
  const doctor = createDoctor(config);
  const unregister = onTerminate(() => doctor.close());
  try {
    if (!canRunTui()) {
      const errors: string[] = [];
      let error: ExitCodeValue | null = null;
      let logSkipped = false;
      let cells: CellStatus[] = [];
      doctor.subscribe((e) => {
        if (e.type === 'scan-done') logSkipped = skippedInput(e.report).length > 0;
        if (e.type === 'cells') cells = e.cells;
        if (e.type !== 'error') return;
        errors.push(`${e.where}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`);
        // The first failure is the cause: it exits as the same failure would on the command line.
        error ??= e.exitCode ?? ExitCode.partial;
      });
      const views = await doctor.start();
      for (const e of errors) process.stderr.write(`nova-doctor: ${safe(e)}\n`);
      // The commands quote the arguments (a URL given as a log has its password masked here).
      process.stdout.write(terminalSafe(summary(views)));
      process.stdout.write(terminalSafe(`${commandsFor(config)}\n`));
      // As trace would exit on the same list: 1 when affected instances are listed (the summary above).
      return listExitCode(views, { error, logSkipped, cells });
    }
    return await runTui(doctor);
  } finally {
    unregister();
    await doctor.close();
  }
}

export async function runDemo(options: { keep: boolean }): Promise<number> {
  const step = (text: string) => process.stderr.write(`demo: ${text}\n`);
  const demo = await startDemo(step);
  let stopped = false;
  const stop = async () => {
    if (stopped || options.keep) return;
    stopped = true;
    await demo.stop();
  };
  const unregister = onTerminate(stop);
  try {
    step(`nova.conf ${demo.configFile}, scheduler log ${demo.logFile}`);
    return await runInteractive(demo.config);
  } finally {
    unregister();
    await stop();
    if (options.keep) {
      demo.keep();
      step(`kept: ${demo.dir} (MariaDB pid ${demo.pid}; stop it with: kill ${demo.pid} && rm -rf ${demo.dir})`);
      step(`try: nova-doctor trace --config ${demo.configFile} ${demo.logFile}`);
    }
  }
}
