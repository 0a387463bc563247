// Undo and resume write only to the cloud a journal was written for: checked here, before anything is written
// (dry runs too), against the servers and databases the connections reach. A mismatch refuses the whole journal
// with exit code 2: it is the wrong input, not a conflict of one row.
import { DoctorError, ExitCode } from '../errors.js';
import {
  type CloudIdentity,
  cloudOf,
  type DatabaseLocation,
  describeLocation,
  locationDifference,
} from './cloudIdentity.js';
import type { RepairConnections } from './engine.js';
import type { ChangeSetHistory, DatabaseIdentity, LoadedJournal } from './journal.js';

/** A version 1 change set's record of a database ('host:port'), as a location to compare. */
function v1Location(d: DatabaseIdentity): DatabaseLocation {
  const at = d.server?.lastIndexOf(':') ?? -1;
  const port = at >= 0 ? Number(d.server!.slice(at + 1)) : Number.NaN;
  return {
    schema: d.schema,
    server: {
      uid: null,
      galera: null,
      hostname: at >= 0 ? d.server!.slice(0, at) : null,
      port: Number.isInteger(port) ? port : null,
    },
  };
}

function mismatch(what: string, journaled: DatabaseLocation, now: DatabaseLocation): string | null {
  const why = locationDifference(journaled, now);
  if (why === null) return null;
  return `${what}: the journal names ${describeLocation(journaled)}, connected to ${describeLocation(now)} (${why})`;
}

/**
 * Throws DoctorError (exit 2) unless the journal was written for the cloud behind `conns`. Returns notes worth
 * telling the operator (a version 1 journal is identified by less).
 */
export async function requireJournalCloud(
  journal: LoadedJournal,
  histories: readonly ChangeSetHistory[],
  conns: RepairConnections,
): Promise<string[]> {
  const now: CloudIdentity = await cloudOf(conns);
  const problems: string[] = [];
  const notes: string[] = [];
  const cellNow = (uuid: string) => now.cells.find((c) => c.uuid === uuid);
  const trusted = histories.filter((h) => h.damage === null);
  const cloud = journal.header.cloud;
  if (cloud) {
    const api = mismatch('nova_api', cloud.api, now.api);
    if (api) problems.push(api);
    const used = new Set(trusted.flatMap((h) => (h.intent.cell ? [h.intent.cell.uuid] : [])));
    for (const uuid of used) {
      const journaled = cloud.cells.find((c) => c.uuid === uuid);
      const current = cellNow(uuid);
      if (!journaled) problems.push(`cell ${uuid} is not one of the cells the journal was written with`);
      else if (current) {
        const cell = mismatch(`cell ${uuid}`, journaled, current);
        if (cell) problems.push(cell);
      }
      // A cell not reachable now: its change sets fail on their own ("no connection to cell").
    }
    // Each row names its database too: it must be the one the header names (and the one connected to).
    for (const h of trusted) {
      for (const c of h.intent.changes) {
        const expected = c.database === 'api' ? now.api.schema : cellNow(h.intent.cell?.uuid ?? '')?.schema;
        if (expected !== undefined && c.schema !== expected) {
          problems.push(
            `journal line ${h.line ?? '?'} names database ${c.schema ?? '?'} for ${c.table} id ${c.rowId}, connected to ${expected ?? '?'}`,
          );
        }
      }
    }
  } else if (journal.version >= 2) {
    problems.push('the journal does not say which cloud it was written for (no cloud in its header)');
  } else {
    // Version 1: each change set recorded its databases' names and host:port; nothing else is known.
    notes.push(
      `${journal.path} is a version 1 journal: it names its cloud only by database names and host:port, which were checked`,
    );
    for (const h of trusted) {
      const dbs = h.intent.databases;
      if (dbs?.api?.schema) {
        const api = mismatch('nova_api', v1Location(dbs.api), now.api);
        if (api) problems.push(api);
      }
      const current = h.intent.cell ? cellNow(h.intent.cell.uuid) : undefined;
      if (dbs?.cell?.schema && current) {
        const cell = mismatch(`cell ${h.intent.cell!.uuid}`, v1Location(dbs.cell), current);
        if (cell) problems.push(cell);
      }
    }
  }
  if (problems.length > 0) {
    const unique = [...new Set(problems)];
    throw new DoctorError(
      `written for another cloud, nothing was changed: ${unique.slice(0, 3).join('; ')}${unique.length > 3 ? `; and ${unique.length - 3} more` : ''}`,
      {
        where: journal.path,
        hint: 'undo and resume run only against the cloud a journal was written for: a copy restored from the same dump has the same rows but other servers or database names',
        exitCode: ExitCode.usage,
      },
    );
  }
  return notes;
}
