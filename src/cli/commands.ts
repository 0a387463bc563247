// The command table. Each command parses its flags, calls the doctor, and renders what comes back; which instances
// are shown and planned, and what an outcome means as an exit code, is the doctor's (src/doctor/flow.ts).
import type { Command } from 'commander';
import type { NovaDatabases } from '../db/trace.js';
import { WIDEN_CHOICES } from '../doctor/checks.js';
import type { TracedInstance, TraceTargets } from '../doctor/trace.js';
import type { DoctorConfig } from '../doctor/types.js';
import { DoctorError, ExitCode, type ExitCodeValue, usageError } from '../errors.js';
import type { ScanReport } from '../logscan/types.js';
import type { ApplyResult } from '../repair/types.js';
import { jsonSafe, terminalSafe } from '../terminalText.js';
import { type CommonFlags, doctorConfigFrom, splitTargets, threadCount } from './options.js';
import { BufferedOut } from './output/bufferedOut.js';
import { progressLine } from './progress.js';
import { stopGracefully } from './signals.js';

// The doctor loads only for the commands that use it: `--help` and usage errors answer at once, and `scan` starts
// its worker (prepareScan) while the scanner's modules load.
const doctorScan = () => import('../doctor/scan.js');
const doctorDb = async () => {
  const [trace, repair, flow, checks] = await Promise.all([
    import('../doctor/trace.js'),
    import('../doctor/repair.js'),
    import('../doctor/flow.js'),
    import('../doctor/checks.js'),
  ]);
  return { ...trace, ...repair, ...flow, ...checks };
};
const interactive = () => import('./interactive.js');
// What one command renders or asks loads with it: `scan --json` reads none of it (~15 ms of CPU at start).
const scanText = () => import('./output/scanText.js');
const traceText = () => import('./output/traceText.js');
const repairText = () => import('./output/repairText.js');

export type SetExitCode = (code: ExitCodeValue | number) => void;

/** The commands, for "did you mean" (the TUI form takes logs where a command would be). */
export const COMMAND_NAMES = ['scan', 'trace', 'repair', 'undo', 'demo', 'help'] as const;

const collect = (value: string, previous: string[] = []) => [...previous, value];

function dbOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'a nova.conf to read [api_database]/[database] connection from (repeatable)', collect)
    .option('--config-dir <dir>', 'a directory of *.conf files, read after --config (repeatable)', collect)
    .option(
      '--api-db <url>',
      'nova_api URL, SQLAlchemy style (mysql+pymysql://user:pass@host/nova_api); env NOVA_DOCTOR_API_DB when no --config/--config-dir/--api-db is given',
    )
    .option(
      '--cell-db <url>',
      "NAME=URL (a cell's name or uuid) or URL (the cell with that database name): used instead of its cell_mappings entry (repeatable; one that matches no cell is an error)",
      collect,
    );
}

function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
}

function out(text: string): void {
  process.stdout.write(terminalSafe(text));
}

function json(value: unknown): void {
  process.stdout.write(`${jsonSafe(JSON.stringify(value, null, 2))}\n`);
}

function warn(text: string): void {
  process.stderr.write(`nova-doctor: ${text}\n`);
}

/** --since/--until, said once for every command that reads logs. Both bounds are inclusive and a bound covers all
 * of the date, minute or second it names (src/logscan/timeRange.ts): `--until 2026-11-26` keeps that whole day. */
const SINCE_HELP = 'only records at or after this time (YYYY-MM-DD[ HH:MM[:SS]], or 2h, 7d before now)';
const UNTIL_HELP = 'only records up to this time, all of it included (--until 2026-11-26 keeps that whole day)';
// The default is chooseScanThreads' (src/logscan/threadChoice.ts); an operator who knows the host (a busy
// scheduler, vCPUs that share a core) or has measured otherwise says so here.
const THREADS_HELP =
  'threads to read logs with (default: 2 when the logs are big enough for the share of a second CPU found free at start; scan --json: stats.threads says why)';

async function scanWithProgress(config: DoctorConfig): Promise<ScanReport> {
  const { prepareScan } = await import('../doctor/startup.js');
  prepareScan(config.logs, config.threads ?? null);
  const { scan, nothingRead } = await doctorScan();
  const progress = progressLine();
  let report: ScanReport;
  try {
    report = await scan(config, { onProgress: (p) => progress.scan(p) });
  } finally {
    progress.done();
  }
  const none = nothingRead(report);
  if (none) throw none;
  return report;
}

/** For scan --json: a report written out once, whose arrays (on big logs) are read from the scan's spill. */
async function scanStreamedWithProgress(config: DoctorConfig) {
  const { prepareScan } = await import('../doctor/startup.js');
  prepareScan(config.logs, config.threads ?? null);
  const { scanStreamed, nothingRead } = await doctorScan();
  const progress = progressLine();
  let scanned: Awaited<ReturnType<typeof scanStreamed>>;
  try {
    scanned = await scanStreamed(config, { onProgress: (p) => progress.scan(p) });
  } finally {
    progress.done();
  }
  const none = nothingRead(scanned.report);
  if (none) {
    scanned.close();
    throw none;
  }
  return scanned;
}

/** What trace/repair were asked about, checked before any work: the config, and UUIDs and logs apart. */
async function requestFrom(args: string[], flags: CommonFlags) {
  const { uuids, logs } = splitTargets(args);
  const config = doctorConfigFrom(logs, flags);
  if (uuids.length === 0 && logs.length === 0 && !flags.all)
    throw usageError('nothing to do: name instance UUIDs, scheduler logs, or --all');
  (await doctorDb()).requireDatabase(config.db);
  return { config, uuids, all: flags.all ?? false };
}

/**
 * What trace/repair operate on: named UUIDs, the instances a scan of the named logs finds, or --all; and whether
 * some of the logs were skipped (the exit code's). Called once the databases are open and what was asked for is
 * checked (checks.ts), so a scan is the first work done.
 */
async function targetsOf(
  request: Awaited<ReturnType<typeof requestFrom>>,
  work: 'trace' | 'repair',
): Promise<{ targets: TraceTargets; logSkipped: boolean }> {
  if (request.config.logs.length === 0)
    return { targets: { uuids: request.uuids, scan: null, all: request.all }, logSkipped: false };
  const report = await scanWithProgress(request.config);
  // The scan kept its own heap settings (prepareScan); the database work that follows has its own again.
  (await import('../doctor/startup.js')).prepareDatabaseWork(work);
  for (const w of report.warnings) warn(`${w.file}${w.line ? `:${w.line}` : ''}: ${w.message}`);
  const logSkipped = (await doctorScan()).skippedInput(report).length > 0;
  return { targets: { uuids: request.uuids, scan: report, all: request.all }, logSkipped };
}

async function withNova<T>(
  config: DoctorConfig,
  work: 'trace' | 'repair',
  fn: (nova: NovaDatabases) => Promise<T>,
): Promise<T> {
  (await import('../doctor/startup.js')).prepareDatabaseWork(work);
  const { openDatabases } = await doctorDb();
  const nova = await openDatabases(config.db);
  // What opening noted (the environment's URL used, URL parameters ignored): said once, on stderr, in text and
  // --json alike; --json also carries them in its `warnings`.
  for (const w of nova.warnings) warn(`warning: ${w}`);
  try {
    return await fn(nova);
  } finally {
    await nova.close();
  }
}

/** --apply without --yes needs a terminal to ask in: refused before any work, not after a sweep. */
function requireConfirmable(flags: { apply?: boolean; yes?: boolean }, command: string): void {
  if (flags.apply && !flags.yes && !process.stdin.isTTY)
    throw usageError(`refusing to ${command} --apply without confirmation`, 'no terminal to ask in: add --yes');
}

/** Asks for the typed phrase; false when the operator declines. */
async function confirmed(flags: { apply?: boolean; yes?: boolean }, what: string, phrase = 'yes'): Promise<boolean> {
  if (flags.yes) return true;
  requireConfirmable({ ...flags, apply: true }, what);
  const { confirmTyped } = await import('./confirm.js');
  const answer = await confirmTyped(`About to ${what}.`, phrase);
  if (answer === 'interrupted')
    throw new DoctorError('interrupted at the confirmation: nothing was written', { exitCode: ExitCode.interrupted });
  if (answer === 'declined') warn('not confirmed: nothing was written');
  return answer === 'confirmed';
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
    narrowing: d.narrowing,
    notes: d.notes,
    problems: d.problems,
    requestIds: t.incident?.requestIds ?? [],
  };
}

/** repair --json: per instance (README, "JSON for scripts"). */
export function repairJson(r: ApplyResult) {
  return {
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
  };
}

export function registerCommands(program: Command, setExitCode: SetExitCode): void {
  examples(
    program
      .command('scan')
      .description('find instances that ImagePropertiesFilter rejected, from nova-scheduler logs alone (no database)')
      .argument('[logs...]', "log files, globs, .gz, or '-' for stdin (default: /var/log/nova, /var/log/kolla/nova)")
      .option('--since <time>', SINCE_HELP)
      .option('--until <time>', UNTIL_HELP)
      .option('--threads <n>', THREADS_HELP, threadCount)
      .option('--json', 'one JSON object on stdout'),
    [
      'nova-doctor scan /var/log/nova/nova-scheduler.log*',
      "nova-doctor scan --since '2026-11-26 12:00' --json /var/log/nova/nova-scheduler.log.1.gz",
      'journalctl -u nova-scheduler | nova-doctor scan -',
    ],
  ).action(async (logs: string[], flags: CommonFlags) => {
    const config = doctorConfigFrom(logs, flags);
    const { reportJsonPieces, scanExitCode } = await doctorScan();
    if (flags.json) {
      // Compact and written piece by piece, at the reader's pace: a report over gigabytes of logs is tens of
      // megabytes, read from the scan's spill (memory or a temp file) as it goes out.
      const scanned = await scanStreamedWithProgress(config);
      const report = scanned.report;
      try {
        const stdout = new BufferedOut(process.stdout, undefined, 'json');
        for (const piece of reportJsonPieces(report)) {
          const written = stdout.write(piece);
          if (written) await written;
        }
        await stdout.write('\n');
        await stdout.flush();
      } finally {
        scanned.close();
      }
      for (const w of report.warnings) warn(`${w.file}${w.line ? `:${w.line}` : ''}: ${w.message}`);
      setExitCode(scanExitCode(report));
    } else {
      const report = await scanWithProgress(config);
      out((await scanText()).renderScanText(report)); // the text lists the warnings itself
      setExitCode(scanExitCode(report));
    }
  });

  examples(
    dbOptions(
      program
        .command('trace')
        .description('show every stale Xen value of instances in nova_api and the cell databases (read-only)')
        .argument('[targets...]', 'instance UUIDs and/or scheduler logs (the instances a scan finds)')
        .option('--all', 'sweep every instance of every cell (lists those with stale values or a problem)')
        .option('--include-healthy', 'with --all: also list instances with nothing stale and no problem')
        .option('--since <time>', `with logs: ${SINCE_HELP}`)
        .option('--until <time>', `with logs: ${UNTIL_HELP}`)
        .option('--threads <n>', THREADS_HELP, threadCount)
        .option('--json', 'one JSON object on stdout'),
    ),
    [
      'nova-doctor trace --config /etc/nova/nova.conf /var/log/nova/nova-scheduler.log',
      'nova-doctor trace --config /etc/nova/nova.conf 717668dd-215e-5f45-bec6-06b3c7693a65',
      'nova-doctor trace --config /etc/nova/nova.conf --all --json > stale.json',
    ],
  ).action(async (args: string[], flags: CommonFlags & { includeHealthy?: boolean }) => {
    const request = await requestFrom(args, flags);
    const { config } = request;
    const { cellNotes, checkRequest, shownInstances, traceExitCode } = await doctorDb();
    const { renderCells, renderTraced } = await traceText();
    await withNova(config, 'trace', async (nova) => {
      await checkRequest(nova, { uuids: request.uuids }); // before the logs are scanned: no work for a UUID nova lacks
      const { targets, logSkipped } = await targetsOf(request, 'trace');
      for (const note of cellNotes(nova.cells())) warn(note);
      if (!flags.json) out(renderCells(nova.cells()));
      const tally = { traced: 0, shown: 0, stale: 0 };
      const stdout = new BufferedOut(process.stdout, undefined, flags.json ? 'json' : 'text');
      // Records on a terminal are their own progress; written elsewhere, a sweep says how far it is on stderr.
      const progress = process.stdout.isTTY ? null : progressLine();
      const onProgress = (done: number, total: number | null) =>
        progress?.message(
          `tracing: ${done}${total === null ? '' : `/${total}`} instances, ${tally.stale} with stale values`,
        );
      if (flags.json)
        await stdout.write(
          `{\n"cells": ${JSON.stringify(nova.cells())},\n"warnings": ${JSON.stringify(nova.warnings)},\n"instances": [`,
        );
      try {
        for await (const t of shownInstances(nova, targets, {
          includeHealthy: flags.includeHealthy,
          tally,
          onProgress,
        })) {
          if (flags.json) await stdout.write(`${tally.shown > 1 ? ',' : ''}\n${JSON.stringify(traceJson(t))}`);
          else await stdout.write(renderTraced(t));
        }
      } finally {
        progress?.done();
      }
      if (flags.json)
        await stdout.write(`\n],\n"unattributed": ${JSON.stringify(targets.scan?.unattributed ?? [])}\n}\n`);
      else
        await stdout.write(
          `\n${tally.stale} instance(s) with stale values to repair; ${tally.shown} listed${targets.all ? ` of ${tally.traced} traced` : ''}.\n`,
        );
      await stdout.flush();
      setExitCode(traceExitCode(tally, { cells: nova.cells(), logSkipped }));
    });
  });

  examples(
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
        .option(
          '--widen <property>',
          `also rewrite non-Xen values of this property that keep some hosts out (${WIDEN_CHOICES.join(', ')}; repeatable)`,
          collect,
        )
        .option('--resume', 'finish (or with --rollback take back) repairs a crash interrupted; needs --journal')
        .option('--rollback', 'with --resume: take back the committed half instead of finishing')
        .option('--since <time>', `with logs: ${SINCE_HELP}`)
        .option('--until <time>', `with logs: ${UNTIL_HELP}`)
        .option('--threads <n>', THREADS_HELP, threadCount)
        .option('--json', 'one JSON object on stdout'),
    ),
    [
      'nova-doctor repair --config /etc/nova/nova.conf 717668dd-215e-5f45-bec6-06b3c7693a65   # dry run',
      'nova-doctor repair --config /etc/nova/nova.conf --all --apply                          # asks first',
      'nova-doctor repair --config /etc/nova/nova.conf --resume --journal ~/.local/state/nova-doctor/repair-….jsonl --apply',
    ],
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
      requireConfirmable(flags, 'repair');
      if (flags.resume) {
        if (!flags.journal) throw usageError('--resume needs --journal FILE');
        if (args.length > 0 || flags.all)
          throw usageError('--resume takes its instances from --journal, not from targets');
        const config = doctorConfigFrom([], flags);
        const { requireDatabase, resumeRepairs, undoExitCode } = await doctorDb();
        requireDatabase(config.db);
        await withNova(config, 'repair', async (nova) => {
          if (flags.apply && !(await confirmed(flags, `resume the interrupted repairs in ${flags.journal}`))) {
            setExitCode(ExitCode.found);
            return;
          }
          const results = await resumeRepairs(
            nova,
            flags.journal!,
            Boolean(flags.apply),
            flags.rollback ? 'rollback' : 'finish',
          );
          if (flags.json)
            json({ dryRun: !flags.apply, journal: flags.journal, warnings: nova.warnings, instances: results });
          else
            for (const r of results)
              out(
                `${r.uuid}  ${r.status}${r.reason ? `: ${r.reason}` : ''} (journal: ${r.journalState}; api ${r.found.api}, cell ${r.found.cell})\n`,
              );
          setExitCode(undoExitCode(results));
        });
        return;
      }
      if (flags.rollback) throw usageError('--rollback goes with --resume');
      const request = await requestFrom(args, flags);
      const { config } = request;
      const planOptions = { hvType: config.hvType, setHost: flags.setHost ?? null, widen: config.widen ?? [] };
      const d = await doctorDb();
      const { renderApplyResult, repairSummaryOf } = await repairText();
      await withNova(config, 'repair', async (nova) => {
        // Before the logs are scanned: no work for a host nobody has, a type no host lists, a UUID nova lacks.
        await d.checkRequest(nova, { uuids: request.uuids, hvType: planOptions.hvType, setHost: planOptions.setHost });
        const { targets, logSkipped } = await targetsOf(request, 'repair');
        for (const note of d.cellNotes(nova.cells())) warn(note);
        // Planned and applied page by page as the sweep reads (memory stays flat whatever the cloud's size). The
        // confirmation needs the count first: a first pass plans and keeps only which instances are planned.
        let apply = Boolean(flags.apply);
        const first = apply ? await d.countPlanned(nova, targets, planOptions) : null;
        let declined = false;
        if (first && first.planned.size > 0) {
          const cells = [...new Set(first.cells.values())];
          declined = !(await confirmed(
            flags,
            `apply ${first.planned.size} repair(s) to nova_api and cell(s) ${cells.join(', ')}`,
            `apply ${first.planned.size}`,
          ));
          apply &&= !declined;
        }
        const journalPath = apply ? (flags.journal ?? d.defaultJournalPath()) : null;
        const progress = progressLine();
        // Ctrl-C / SIGTERM while writing: finish the instances in progress, then report (exit 130).
        const stop = apply ? stopGracefully(() => progress.message('finishing the instance(s) in progress…')) : null;
        const cellUuids = first
          ? [...first.cells.keys()]
          : nova
              .cells()
              .filter((c) => c.reachable && !c.isCell0)
              .map((c) => c.uuid);
        const stdout = new BufferedOut(process.stdout, undefined, flags.json ? 'json' : 'text');
        const counts = new Map<ApplyResult['status'], number>();
        const outcome = { notMade: false, pending: false };
        const sofar = { repaired: 0, notTried: 0, tried: 0, planned: 0 };
        if (flags.json)
          await stdout.write(
            `{\n  "dryRun": ${!apply},\n  "warnings": ${JSON.stringify(nova.warnings)},\n  "instances": [`,
          );
        let written: string | null = null;
        try {
          written = await d.repairPages(
            nova,
            targets,
            {
              signal: stop?.signal,
              apply,
              journalPath,
              db: config.db,
              planOptions,
              cellUuids,
              confirmed: first?.planned ?? null,
              total: first?.shown ?? null,
              onWarning: (text) => warn(`warning: ${text}`),
              onProgress: (done, total, uuid) =>
                progress.message(`${apply ? 'repairing' : 'checking'} ${done}${total ? `/${total}` : ''} ${uuid}`),
            },
            async (r, t) => {
              const n = (counts.get(r.status) ?? 0) + 1;
              counts.set(r.status, n);
              d.noteOutcome(outcome, r, t, apply);
              if (r.status === 'repaired') sofar.repaired++;
              if (r.plan.status === 'planned') {
                sofar.planned++;
                if (r.changeSetId === undefined) sofar.notTried++;
                else sofar.tried++;
              }
              const total = [...counts.values()].reduce((a, b) => a + b, 0);
              const piece = flags.json
                ? `${total > 1 ? ',' : ''}\n    ${JSON.stringify(repairJson(r), null, 2).replaceAll('\n', '\n    ')}`
                : renderApplyResult(r);
              const wrote = stdout.write(piece);
              if (wrote) await wrote;
            },
          );
        } catch (e) {
          // A run stopped by an error after a journal was written: the JSON is closed with it, for a script to find
          // (the error's own line, on stderr, says how to go on).
          if (flags.json && e instanceof DoctorError && e.options.journal !== undefined) {
            await stdout.write(
              `\n  ],\n  "journal": ${JSON.stringify(e.options.journal)},\n  "error": ${JSON.stringify(e.oneLine())}\n}\n`,
            );
            await stdout.flush();
          }
          throw e;
        } finally {
          progress.done();
          stop?.dispose();
        }
        const interrupted = stop?.received() ?? null;
        const journalWritten = written !== null && sofar.repaired > 0 ? written : null;
        const undo = journalWritten
          ? (await import('../doctor/journalCommands.js')).undoCommand(config.db, journalWritten)
          : null;
        if (flags.json) {
          const summary = Object.fromEntries(counts);
          await stdout.write(
            // The journal once it is known to exist (a change set ran), not the path one would have had.
            `\n  ],\n  "journal": ${JSON.stringify(written)},\n  "undoCommand": ${JSON.stringify(undo)},\n  "summary": ${JSON.stringify(summary, null, 2).replaceAll('\n', '\n  ')}${
              interrupted ? `,\n  "interrupted": ${JSON.stringify(interrupted)}` : ''
            }\n}\n`,
          );
        } else {
          await stdout.write(`\n${repairSummaryOf(counts, apply)}\n`);
          if (journalWritten) await stdout.write(`Journal: ${journalWritten}\nUndo: ${undo}\n`);
          if (!apply && sofar.planned > 0)
            await stdout.write(
              declined
                ? 'Nothing was written (not confirmed).\n'
                : 'Nothing was written. Run again with --apply to make these changes.\n',
            );
        }
        await stdout.flush();
        if (interrupted)
          process.stderr.write(
            (await import('./interrupted.js')).interruptedReport(
              interrupted,
              // Instances the first pass planned that were never reached are not tried either.
              { repaired: sofar.repaired, notTried: first ? first.planned.size - sofar.tried : sofar.notTried },
              written !== null && sofar.tried > 0 ? written : null,
              config.db,
            ),
          );
        setExitCode(
          interrupted ? ExitCode.interrupted : d.repairExitCodeOf(outcome, { cells: nova.cells(), logSkipped }),
        );
      });
    },
  );

  examples(
    dbOptions(
      program
        .command('undo')
        .description(
          'restore the values a repair journal recorded, where nothing changed them since; dry run by default',
        )
        .requiredOption('--journal <file>', 'the journal a repair wrote')
        .option('--apply', 'write the changes (default: dry run)')
        .option('--yes', 'do not ask for confirmation (needed without a terminal)')
        .option('--json', 'one JSON object on stdout'),
    ),
    [
      'nova-doctor undo --config /etc/nova/nova.conf --journal ~/.local/state/nova-doctor/repair-….jsonl           # dry run',
      'nova-doctor undo --config /etc/nova/nova.conf --journal ~/.local/state/nova-doctor/repair-….jsonl --apply',
    ],
  ).action(async (flags: CommonFlags & { journal: string; apply?: boolean; yes?: boolean }) => {
    requireConfirmable(flags, 'undo');
    const config = doctorConfigFrom([], flags);
    const { requireDatabase, undoRepairs, undoExitCode } = await doctorDb();
    requireDatabase(config.db);
    await withNova(config, 'repair', async (nova) => {
      let apply = Boolean(flags.apply);
      let declined = false;
      if (apply) {
        const preview = await undoRepairs(nova, flags.journal, false);
        const n = preview.filter((r) => r.status === 'dry-run').length;
        if (n > 0) {
          declined = !(await confirmed(flags, `undo ${n} repair(s) from ${flags.journal}`, `undo ${n}`));
          apply = !declined;
        }
      }
      const results = await undoRepairs(nova, flags.journal, apply, (text) => warn(`note: ${text}`));
      if (flags.json) {
        const summary: Record<string, number> = {};
        for (const r of results) summary[r.status] = (summary[r.status] ?? 0) + 1;
        json({
          dryRun: !apply,
          journal: flags.journal,
          warnings: nova.warnings,
          instances: results.map((r) => ({
            uuid: r.uuid,
            status: r.status,
            reason: r.reason,
            restored: r.restored,
            conflicts: r.conflicts,
          })),
          summary,
        });
      } else {
        const { renderUndoResult, undoSummary } = await repairText();
        for (const r of results) out(renderUndoResult(r));
        out(`\n${undoSummary(results, apply)}\n`);
      }
      setExitCode(undoExitCode(results));
    });
  });

  examples(
    program
      .command('demo')
      .description('start a private MariaDB with a generated nova cloud and a scheduler log, and open the TUI on them')
      .option('--keep', 'keep the demo server and files after exit (prints how to reach them)'),
    ['nova-doctor demo', 'nova-doctor demo --keep    # then try the printed trace/repair commands'],
  ).action(async (flags: { keep?: boolean }) => {
    setExitCode(await (await interactive()).runDemo({ keep: Boolean(flags.keep) }));
  });

  dbOptions(
    program
      .command('tui', { isDefault: true, hidden: true })
      .argument('[logs...]', 'scheduler logs to scan')
      .option('--all', 'also sweep every instance of every cell')
      .option('--read-only', 'never offer apply or undo')
      .option('--hv-type <type>', 'img_hv_type repairs write')
      .option('--widen <property>', 'repairs also rewrite non-Xen values of this property that keep hosts out', collect)
      .option('--since <time>', SINCE_HELP)
      .option('--until <time>', UNTIL_HELP)
      .option('--threads <n>', THREADS_HELP, threadCount),
  ).action(async (args: string[], flags: CommonFlags) => {
    const { uuids, logs } = splitTargets(args, COMMAND_NAMES);
    if (uuids.length > 0)
      throw usageError(`the TUI takes logs, not instance UUIDs (${uuids[0]})`, 'nova-doctor trace --config … UUID');
    const config = doctorConfigFrom(logs, flags);
    if (config.db) (await import('../doctor/startup.js')).prepareDatabaseWork('tui');
    setExitCode(await (await interactive()).runInteractive(config));
  });
}
