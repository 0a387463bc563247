// The command table. Each command parses its flags, calls the doctor, and renders what comes back.
import { type Command, Option } from 'commander';
import type { NovaDatabases } from '../db/trace.js';
import type { CellStatus } from '../db/types.js';
import { reportJsonPieces, scan, scanFoundTrouble, scanStreamed } from '../doctor/scan.js';
import type { TracedInstance } from '../doctor/trace.js';
import type { DoctorConfig } from '../doctor/types.js';
import { DoctorError } from '../errors.js';
import type { ScanReport, StreamedScanReport } from '../logscan/types.js';
import type { RepairPlan } from '../repair/types.js';
import { confirmTyped } from './confirm.js';
import { ExitCode } from './exitCodes.js';
import { type CommonFlags, doctorConfigFrom, splitTargets } from './options.js';
import { BufferedOut } from './output/bufferedOut.js';
import { renderApplyResult, renderUndoResult, summarise } from './output/repairText.js';
import { renderScanText } from './output/scanText.js';
import { renderCells, renderTraced } from './output/traceText.js';
import { progressLine } from './progress.js';

// Database drivers and the TUI load only for the commands that use them: `scan` and `--help` start fast.
const doctorDb = async () => {
  const [trace, repair] = await Promise.all([import('../doctor/trace.js'), import('../doctor/repair.js')]);
  return { ...trace, ...repair };
};
const interactive = () => import('./interactive.js');

export type SetExitCode = (code: number) => void;

const collect = (value: string, previous: string[] = []) => [...previous, value];

function dbOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'a nova.conf to read [api_database]/[database] connection from (repeatable)', collect)
    .option('--config-dir <dir>', 'a directory of *.conf files, read after --config (repeatable)', collect)
    .option(
      '--api-db <url>',
      'nova_api URL, SQLAlchemy style (mysql+pymysql://user:pass@host/nova_api); env NOVA_DOCTOR_API_DB',
    )
    .option('--cell-db <url>', 'a cell database URL, overriding its cell_mappings entry (repeatable)', collect);
}

function out(text: string): void {
  process.stdout.write(text);
}

function json(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

async function scanWithProgress(config: DoctorConfig): Promise<ScanReport> {
  const progress = progressLine();
  try {
    return await scan(config, { onProgress: (p) => progress.scan(p) });
  } finally {
    progress.done();
  }
}

/** For --json: a report read once as it is written, never whole in memory. */
async function scanStreamedWithProgress(config: DoctorConfig) {
  const progress = progressLine();
  try {
    return await scanStreamed(config, { onProgress: (p) => progress.scan(p) });
  } finally {
    progress.done();
  }
}

/**
 * An unreachable cell that holds instances means an incomplete answer: say so on stderr, whatever the output
 * format. Disabled cells and cell0 are not traced, so their state is only mentioned.
 */
function reportCells(cells: CellStatus[], asJson: boolean): boolean {
  let partial = false;
  for (const c of cells.filter((x) => !x.reachable)) {
    const traced = !c.disabled && !c.isCell0;
    partial ||= traced;
    process.stderr.write(
      `nova-doctor: ${traced ? '' : `${c.disabled ? 'disabled ' : ''}`}cell ${c.name ?? c.uuid} unreachable${traced ? ', its instances were skipped' : ' (not traced)'}: ${c.error}\n`,
    );
  }
  if (!asJson) out(renderCells(cells));
  return partial;
}

interface TraceFlags extends CommonFlags {
  includeHealthy?: boolean;
}

async function withNova<T>(flags: CommonFlags, fn: (nova: NovaDatabases) => Promise<T>): Promise<T> {
  const config = doctorConfigFrom([], flags);
  const { openDatabases } = await doctorDb();
  const nova = await openDatabases(config.db);
  try {
    return await fn(nova);
  } finally {
    await nova.close();
  }
}

/** Collects what trace/repair operate on: named UUIDs, instances found in named logs, or --all. */
async function targetsFrom(
  args: string[],
  flags: CommonFlags,
): Promise<{ uuids: string[]; scan: ScanReport | null; all: boolean }> {
  const { uuids, logs } = splitTargets(args);
  if (uuids.length === 0 && logs.length === 0 && !flags.all) {
    throw new DoctorError('nothing to do: name instance UUIDs, scheduler logs, or --all', { exitCode: ExitCode.usage });
  }
  const config = doctorConfigFrom(logs, flags);
  const report = logs.length > 0 ? await scanWithProgress(config) : null;
  for (const w of report?.warnings ?? [])
    process.stderr.write(`nova-doctor: ${w.file}${w.line ? `:${w.line}` : ''}: ${w.message}\n`);
  return { uuids, scan: report, all: flags.all ?? false };
}

// The default is defaultScanThreads' (src/logscan/prestart.ts); an operator who knows the host (a busy
// scheduler, vCPUs that share a core) or has measured otherwise says so here.
const THREADS_HELP = 'threads to read logs with (default: 2 with 3+ CPUs; with 2 CPUs, 1 for plain logs, 2 for .gz)';

export function registerCommands(program: Command, setExitCode: SetExitCode): void {
  program
    .command('scan')
    .description('find instances that ImagePropertiesFilter rejected, from nova-scheduler logs alone (no database)')
    .argument('[logs...]', "log files, globs, .gz, or '-' for stdin (default: /var/log/nova, /var/log/kolla/nova)")
    .option('--since <time>', 'only records at or after this time (YYYY-MM-DD[ HH:MM[:SS]])')
    .option('--until <time>', 'only records before this time')
    .option('--threads <n>', THREADS_HELP)
    .option('--json', 'one JSON object on stdout')
    .action(async (logs: string[], flags: CommonFlags) => {
      const config = doctorConfigFrom(logs, flags);
      let report: ScanReport | StreamedScanReport;
      if (flags.json) {
        // Compact and written piece by piece, at the reader's pace: a report over gigabytes of logs is tens of
        // megabytes, read from the scan's spill (memory or a temp file) as it goes out.
        const scanned = await scanStreamedWithProgress(config);
        report = scanned.report;
        try {
          const stdout = new BufferedOut();
          for (const piece of reportJsonPieces(report)) {
            const written = stdout.write(piece);
            if (written) await written;
          }
          await stdout.write('\n');
          await stdout.flush();
        } finally {
          scanned.close();
        }
        for (const w of report.warnings)
          process.stderr.write(`nova-doctor: ${w.file}${w.line ? `:${w.line}` : ''}: ${w.message}\n`);
      } else {
        report = await scanWithProgress(config);
        out(renderScanText(report)); // the text lists the warnings itself
      }
      setExitCode(
        report.warnings.length > 0 ? ExitCode.partial : scanFoundTrouble(report) ? ExitCode.found : ExitCode.ok,
      );
    });

  dbOptions(
    program
      .command('trace')
      .description('show every stale Xen value of instances in nova_api and the cell databases (read-only)')
      .argument('[targets...]', 'instance UUIDs and/or scheduler logs (the instances a scan finds)')
      .option('--all', 'sweep every instance of every cell')
      .option('--include-healthy', 'also list instances with nothing stale')
      .option('--since <time>', 'with logs: only records at or after this time')
      .option('--until <time>', 'with logs: only records before this time')
      .option('--threads <n>', THREADS_HELP)
      .option('--json', 'one JSON object on stdout'),
  ).action(async (args: string[], flags: TraceFlags) => {
    const targets = await targetsFrom(args, flags);
    const { traceInstances } = await doctorDb();
    await withNova(flags, async (nova) => {
      const partial = reportCells(nova.cells(), Boolean(flags.json));
      let stale = 0;
      let shown = 0;
      const stdout = new BufferedOut();
      // Records on a terminal are their own progress; written elsewhere, a sweep says how far it is on stderr.
      const progress = process.stdout.isTTY ? null : progressLine();
      const onProgress = (done: number, total: number | null) =>
        progress?.message(`tracing: ${done}${total === null ? '' : `/${total}`} instances, ${stale} with stale values`);
      if (flags.json) await stdout.write(`{\n"cells": ${JSON.stringify(nova.cells())},\n"instances": [`);
      try {
        for await (const t of traceInstances(nova, targets, onProgress)) {
          // A sweep shows what needs a look: stale values, or a problem (e.g. a node that is not its host's).
          const interesting =
            t.diagnosis.health !== 'ok' || t.diagnosis.problems.length > 0 || flags.includeHealthy || !targets.all;
          if (t.diagnosis.health === 'stale' || t.diagnosis.health === 'half-fixed') stale++;
          if (!interesting) continue;
          if (flags.json) await stdout.write(`${shown > 0 ? ',' : ''}\n${JSON.stringify(traceJson(t))}`);
          else await stdout.write(renderTraced(t));
          shown++;
        }
      } finally {
        progress?.done();
      }
      if (flags.json)
        await stdout.write(`\n],\n"unattributed": ${JSON.stringify(targets.scan?.unattributed ?? [])}\n}\n`);
      else await stdout.write(`\n${stale} instance(s) with stale values${targets.all ? '' : ` of ${shown} traced`}.\n`);
      await stdout.flush();
      setExitCode(partial ? ExitCode.partial : stale > 0 ? ExitCode.found : ExitCode.ok);
    });
  });

  dbOptions(
    program
      .command('repair')
      .description('plan and (with --apply) write the minimal repair of each stale instance; dry run by default')
      .argument('[targets...]', 'instance UUIDs and/or scheduler logs')
      .option('--all', 'every instance of every cell')
      .option('--apply', 'write the changes (default: dry run)')
      .option('--yes', 'do not ask for confirmation (needed without a terminal)')
      .option('--journal <file>', 'journal to write (default: $XDG_STATE_HOME/nova-doctor/repair-<time>.jsonl)')
      .option(
        '--hv-type <type>',
        "img_hv_type to write (default: what every host in the cell supports); 'remove' drops it",
      )
      .option(
        '--set-host <host>',
        "also move the instance record to this compute node of its cell (the field report's host change)",
      )
      .addOption(
        new Option('--resume', 'finish (or with --rollback take back) repairs a crash interrupted; needs --journal'),
      )
      .option('--rollback', 'with --resume: take back the committed half instead of finishing')
      .option('--threads <n>', THREADS_HELP)
      .option('--json', 'one JSON object on stdout'),
  ).action(
    async (
      args: string[],
      flags: CommonFlags & {
        apply?: boolean;
        yes?: boolean;
        journal?: string;
        setHost?: string;
        resume?: boolean;
        rollback?: boolean;
      },
    ) => {
      const { applyRepairs, defaultJournalPath, planFor, resumeRepairs, traceInstances } = await doctorDb();
      if (flags.resume) {
        if (!flags.journal) throw new DoctorError('--resume needs --journal FILE', { exitCode: ExitCode.usage });
        await withNova(flags, async (nova) => {
          if (flags.apply) await confirmOrRefuse(flags, `resume the interrupted repairs in ${flags.journal}`);
          const results = await resumeRepairs(
            nova,
            flags.journal!,
            Boolean(flags.apply),
            flags.rollback ? 'rollback' : 'finish',
          );
          if (flags.json) json({ dryRun: !flags.apply, journal: flags.journal, instances: results });
          else
            for (const r of results)
              out(
                `${r.uuid}  ${r.status}${r.reason ? `: ${r.reason}` : ''} (journal: ${r.journalState}; api ${r.found.api}, cell ${r.found.cell})\n`,
              );
          const bad = results.some((r) => r.status === 'conflict' || r.status === 'failed');
          setExitCode(
            bad
              ? ExitCode.incomplete
              : !flags.apply && results.some((r) => r.status === 'dry-run')
                ? ExitCode.found
                : ExitCode.ok,
          );
        });
        return;
      }
      const targets = await targetsFrom(args, flags);
      const planOptions = { hvType: flags.hvType ?? null, setHost: flags.setHost ?? null };
      await withNova(flags, async (nova) => {
        const partial = reportCells(nova.cells(), true);
        const plans: RepairPlan[] = [];
        const traced: TracedInstance[] = [];
        for await (const t of traceInstances(nova, targets)) {
          const plan = planFor(t, planOptions);
          if (targets.all && plan.status === 'nothing-to-do') continue;
          traced.push(t);
          plans.push(plan);
        }
        const planned = plans.filter((p) => p.status === 'planned');
        const journalPath = flags.apply ? (flags.journal ?? defaultJournalPath()) : null;
        if (flags.apply && planned.length > 0) {
          const cells = [...new Set(planned.map((p) => p.cell?.name ?? p.cell?.uuid ?? '?'))];
          await confirmOrRefuse(
            flags,
            `apply ${planned.length} repair(s) to nova_api and cell(s) ${cells.join(', ')}`,
            `apply ${planned.length}`,
          );
        }
        const progress = progressLine();
        const results = await applyRepairs(nova, plans, {
          apply: Boolean(flags.apply),
          journalPath,
          planOptions,
          onWarning: (text) => process.stderr.write(`nova-doctor: warning: ${text}\n`),
          onProgress: (done, total, uuid) =>
            progress.message(`${flags.apply ? 'repairing' : 'checking'} ${done}/${total} ${uuid}`),
        }).finally(() => progress.done());
        const counts: Record<string, number> = {};
        for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
        if (flags.json) {
          json({
            dryRun: !flags.apply,
            journal: journalPath,
            instances: results.map((r) => ({
              uuid: r.uuid,
              cell: r.plan.cell,
              status: r.status,
              reason: r.reason,
              requestSpecPatch: r.plan.requestSpecPatch,
              rowChanges: r.plan.rowChanges.filter((c) => c.table !== 'request_specs'),
              warnings: r.plan.warnings,
              target: r.plan.target ?? null,
              conflicts: r.conflicts ?? [],
              verified: r.verified ?? null,
            })),
            summary: counts,
          });
        } else {
          for (const r of results) out(renderApplyResult(r));
          out(`\n${flags.apply ? 'Applied' : 'Dry run'}: ${summarise(counts) || 'nothing to do'}\n`);
          if (journalPath && planned.length > 0)
            out(`Journal: ${journalPath}  (undo: nova-doctor undo --journal ${journalPath} --apply)\n`);
          if (!flags.apply && planned.length > 0)
            out('Nothing was written. Run again with --apply to make these changes.\n');
        }
        const incomplete = results.some((r) => ['conflict', 'failed', 'skipped'].includes(r.status));
        const pending = !flags.apply && results.some((r) => r.status === 'dry-run');
        setExitCode(
          incomplete ? ExitCode.incomplete : partial ? ExitCode.partial : pending ? ExitCode.found : ExitCode.ok,
        );
      });
    },
  );

  dbOptions(
    program
      .command('undo')
      .description('restore the values a repair journal recorded, where nothing changed them since; dry run by default')
      .requiredOption('--journal <file>', 'the journal a repair wrote')
      .option('--apply', 'write the changes (default: dry run)')
      .option('--yes', 'do not ask for confirmation (needed without a terminal)')
      .option('--json', 'one JSON object on stdout'),
  ).action(async (flags: CommonFlags & { journal: string; apply?: boolean; yes?: boolean }) => {
    const { undoRepairs } = await doctorDb();
    await withNova(flags, async (nova) => {
      if (flags.apply) {
        const preview = await undoRepairs(nova, flags.journal, false);
        const n = preview.filter((r) => r.status === 'dry-run').length;
        if (n > 0) await confirmOrRefuse(flags, `undo ${n} repair(s) from ${flags.journal}`, `undo ${n}`);
      }
      const results = await undoRepairs(nova, flags.journal, Boolean(flags.apply));
      const counts: Record<string, number> = {};
      for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
      if (flags.json) json({ dryRun: !flags.apply, journal: flags.journal, instances: results, summary: counts });
      else {
        for (const r of results) out(renderUndoResult(r));
        out(`\n${flags.apply ? 'Undone' : 'Dry run'}: ${summarise(counts) || 'nothing to do'}\n`);
      }
      const incomplete = results.some((r) => r.status === 'conflict' || r.status === 'failed');
      setExitCode(incomplete ? ExitCode.incomplete : !flags.apply && counts['dry-run'] ? ExitCode.found : ExitCode.ok);
    });
  });

  program
    .command('demo')
    .description('start a private MariaDB with a generated nova cloud and a scheduler log, and open the TUI on them')
    .option('--keep', 'keep the demo server and files after exit (prints how to reach them)')
    .action(async (flags: { keep?: boolean }) => {
      setExitCode(await (await interactive()).runDemo({ keep: Boolean(flags.keep) }));
    });

  dbOptions(
    program
      .command('tui', { isDefault: true, hidden: true })
      .argument('[logs...]', 'scheduler logs to scan')
      .option('--all', 'also sweep every instance of every cell')
      .option('--read-only', 'never offer apply or undo')
      .option('--hv-type <type>', 'img_hv_type repairs write')
      .option('--since <time>', 'only records at or after this time')
      .option('--until <time>', 'only records before this time')
      .option('--threads <n>', THREADS_HELP),
  ).action(async (logs: string[], flags: CommonFlags) => {
    const config = doctorConfigFrom(logs, flags);
    setExitCode(await (await interactive()).runInteractive(config));
  });
}

function traceJson(t: TracedInstance) {
  const d = t.diagnosis;
  return {
    uuid: t.uuid,
    cell: d.cell,
    health: d.health,
    displayName: t.snapshot.instance?.displayName ?? null,
    vmState: t.snapshot.instance?.vmState ?? null,
    taskState: t.snapshot.instance?.taskState ?? null,
    stale: d.stale,
    problems: d.problems,
    requestIds: t.incident?.requestIds ?? [],
  };
}

async function confirmOrRefuse(flags: { yes?: boolean }, what: string, phrase = 'yes'): Promise<void> {
  if (flags.yes) return;
  if (!process.stdin.isTTY) {
    throw new DoctorError(`refusing to ${what} without confirmation`, {
      hint: 'no terminal to ask in: add --yes',
      exitCode: ExitCode.usage,
    });
  }
  if (!(await confirmTyped(`About to ${what}.`, phrase))) {
    throw new DoctorError('not confirmed: nothing was written', { exitCode: ExitCode.incomplete });
  }
}
