// The root: wires the doctor's session, the list and screen state machines, the keys and the layout.
import { Box, Text, useApp } from 'ink';
import { type ReactNode, useCallback, useMemo } from 'react';
import type { DoctorApi, DoctorConfig, InstanceRow, InstanceView } from '../../doctor/types.js';
import { type InputEnv, useAppInput } from '../hooks/useAppInput.js';
import { useDetail } from '../hooks/useDetail.js';
import { useDoctorSession } from '../hooks/useDoctorSession.js';
import { useRunner } from '../hooks/useRunner.js';
import { memoLast, useStore } from '../hooks/useStore.js';
import { useTerminalSize } from '../hooks/useTerminalSize.js';
import { KeyboardQuiet } from '../idle.js';
import type { KeyContext } from '../keymap.js';
import { type Layout, layoutFor } from '../layout.js';
import { type Line, wrapLines } from '../lines.js';
import {
  carryDerived,
  initialList,
  type ListState,
  listReducer,
  listWindow,
  narrowingFilter,
  sortInstances,
} from '../list.js';
import { errorsLines } from '../panes/errors.js';
import { helpLines } from '../panes/help.js';
import { type PaneContext, paneLines } from '../panes/index.js';
import { resultLines } from '../panes/result.js';
import { initialUi, type Overlay, type PaneId, type UiState, uiReducer } from '../screen.js';
import type { SessionState } from '../state.js';
import { DETAIL_MAX_ERROR_ROWS, Detail, detailBodyRows, errorsFor } from './Detail.js';
import { ErrorsPanel } from './ErrorsPanel.js';
import { Footer } from './Footer.js';
import { Header } from './Header.js';
import { InstanceList, LIST_CHROME_ROWS } from './InstanceList.js';
import { ConfirmDialog, OVERLAY_CHROME_ROWS, RunningPanel, ScrollOverlay } from './Overlays.js';

export interface AppProps {
  api: DoctorApi;
  /** Called with the exit code just before the app unmounts (0 for q, 130 for Ctrl-C). */
  onExit?: (code: number) => void;
}

/**
 * Work done ahead of keys (search text, sort orders) waits until no key has come for this long: longer than a key's
 * frame takes, shorter than a pause between keys typed by hand; a held key (30 a second) keeps it waiting.
 */
const QUIET_MS = 50;

/** Continuation rows of wrapped pane lines are indented this much. */
const WRAP_INDENT = 4;

export function keyContext(ui: UiState, list: ListState): KeyContext {
  switch (ui.overlay.kind) {
    case 'confirm':
      return 'confirm';
    case 'running':
      return 'running';
    case 'result':
      return 'result';
    case 'help':
      return 'help';
    case 'errors':
      return 'errors';
    case 'none':
      if (ui.screen.name === 'detail') return 'detail';
      return list.editing ? 'filter' : 'list';
  }
}

/**
 * Everything the screen shows that is derived from state, computed by memoised selectors that the
 * render and the key handler share: a key sees exactly what the next frame will show.
 */
function createView() {
  // A table that only replaced rows (a detail read again) takes over the last one's orders and search text first.
  const carried = memoLast(carryDerived);
  const sorted = memoLast(sortInstances<InstanceRow>);
  const rows = narrowingFilter();
  const placed = memoLast(listWindow);
  // An instance not read in full yet is shown from its row (the evidence is the log's) while it is read.
  const rowView = memoLast(
    (row: InstanceRow | undefined): InstanceView | undefined =>
      row && { ...row, snapshot: null, diagnosis: null, plan: null },
  );
  const paneContext = memoLast(
    (
      config: DoctorConfig,
      cells: SessionState['cells'],
      errors: SessionState['errors'],
      width: number,
      reading: boolean,
    ): PaneContext => ({
      hasDb: config.db !== null,
      sweep: config.all,
      cells,
      errors,
      width,
      reading,
    }),
  );
  const detail = memoLast(
    (view: InstanceView | undefined, pane: PaneId | null, ctx: PaneContext, width: number): Line[] =>
      view && pane ? wrapLines(paneLines(pane, view, ctx), width, WRAP_INDENT) : [],
  );
  const detailErrors = memoLast(errorsFor);
  const help = memoLast((readOnly: boolean, width: number) => wrapLines(helpLines(readOnly), width, WRAP_INDENT));
  const errorList = memoLast(
    (
      errors: SessionState['errors'],
      report: SessionState['scanReport'],
      cells: SessionState['cells'],
      dbWarnings: SessionState['dbWarnings'],
      width: number,
    ) => wrapLines(errorsLines(errors, report, cells, dbWarnings), width, WRAP_INDENT),
  );
  const result = memoLast((overlay: Overlay, width: number) =>
    overlay.kind === 'result' ? wrapLines(resultLines(overlay.report), width, WRAP_INDENT) : [],
  );

  return (config: DoctorConfig, session: SessionState, list: ListState, ui: UiState, layout: Layout) => {
    carried(session.views);
    const visible = rows(sorted(session.views, list.sort, list.reversed), list.filter);
    const listRows = Math.max(1, layout.mainRows - LIST_CHROME_ROWS);
    const win = placed(visible, list.selected, list.offset, listRows, list.at);
    const { screen, overlay } = ui;
    const open = screen.name === 'detail' ? screen.uuid : null;
    const full = open === null ? undefined : session.details.get(open);
    const detailView = open === null ? undefined : (full ?? rowView(session.views.get(open)));
    const reading = detailView !== undefined && full === undefined && detailNeeded(config, detailView);
    const ctx = paneContext(config, session.cells, session.errors, layout.columns, reading);
    const detailLines = detail(detailView, screen.name === 'detail' ? screen.pane : null, ctx, layout.columns);
    const errorsHere = detailView ? detailErrors(detailView, session.errors) : [];
    const overlayBody = Math.max(1, layout.mainRows - OVERLAY_CHROME_ROWS);
    let front: Line[];
    let pageRows: number;
    if (overlay.kind === 'help') [front, pageRows] = [help(config.readOnly, layout.columns), overlayBody];
    else if (overlay.kind === 'errors')
      [front, pageRows] = [
        errorList(session.errors, session.scanReport, session.cells, session.dbWarnings, layout.columns),
        overlayBody,
      ];
    else if (overlay.kind === 'result') [front, pageRows] = [result(overlay, layout.columns), overlayBody];
    else
      [front, pageRows] = [
        detailLines,
        detailBodyRows(layout.mainRows, Math.min(DETAIL_MAX_ERROR_ROWS, errorsHere.length)),
      ];
    return {
      visible,
      listRows,
      win,
      cursor: visible[win.index]?.uuid ?? null,
      detailView,
      detailLines,
      errorsHere,
      front,
      pageRows,
      scrollMax: Math.max(0, front.length - pageRows),
      context: keyContext(ui, list),
    };
  };
}

/** Whether an instance has more to show than its row: there is a database and it was traced. */
export function detailNeeded(config: DoctorConfig, row: InstanceRow): boolean {
  return config.db !== null && row.status !== 'untraced';
}

export function App({ api, onExit }: AppProps) {
  const { exit } = useApp();
  const { config } = api;
  const quiet = useMemo(() => new KeyboardQuiet(QUIET_MS, () => performance.now()), []);
  const doctor = useDoctorSession(api, quiet);
  const [list, dispatchList, getList] = useStore(listReducer, () => initialList);
  const [ui, dispatchUi, getUi] = useStore(uiReducer, () => initialUi);
  const size = useTerminalSize();
  const layout = layoutFor(size, doctor.session.errors.length);
  const derive = useMemo(createView, []);
  const opened = ui.screen.name === 'detail' ? ui.screen.uuid : null;
  const openedRow = opened === null ? undefined : doctor.session.views.get(opened);
  useDetail(api, openedRow && detailNeeded(config, openedRow) ? opened : null, doctor);
  useRunner(ui.overlay, {
    api,
    dispatchUi,
    dispatchSession: doctor.dispatch,
    getSession: doctor.get,
    flushEvents: doctor.flush,
  });

  const quit = useCallback(
    (code: number) => {
      onExit?.(code);
      exit();
    },
    [onExit, exit],
  );

  useAppInput((): InputEnv => {
    const session = doctor.get();
    const [l, u] = [getList(), getUi()];
    const v = derive(config, session, l, u, layoutFor(size, session.errors.length));
    return {
      context: v.context,
      readOnly: config.readOnly,
      ui: u,
      list: l,
      session,
      rows: v.visible,
      cursor: v.cursor,
      listRows: v.listRows,
      pageRows: v.pageRows,
      scrollMax: v.scrollMax,
      dispatchList,
      dispatchUi,
      quit,
    };
  }, quiet.keyPressed);

  const { session } = doctor;
  const v = derive(config, session, list, ui, layout);
  const { screen, overlay } = ui;

  let main: ReactNode;
  if (overlay.kind === 'help') {
    main = (
      <ScrollOverlay title="Keys (? or Esc closes)" lines={v.front} scroll={overlay.scroll} height={layout.mainRows} />
    );
  } else if (overlay.kind === 'errors') {
    main = (
      <ScrollOverlay
        title="Errors and warnings (e or Esc closes)"
        lines={v.front}
        scroll={overlay.scroll}
        height={layout.mainRows}
      />
    );
  } else if (overlay.kind === 'confirm') {
    main = (
      <ConfirmDialog
        request={overlay.request}
        typed={overlay.typed}
        rejected={overlay.rejected}
        height={layout.mainRows}
      />
    );
  } else if (overlay.kind === 'running') {
    main = <RunningPanel request={overlay.request} session={session} height={layout.mainRows} />;
  } else if (overlay.kind === 'result') {
    const title = overlay.report.action === 'apply' ? 'Repair results (Esc closes)' : 'Undo results (Esc closes)';
    main = <ScrollOverlay title={title} lines={v.front} scroll={overlay.scroll} height={layout.mainRows} />;
  } else if (screen.name === 'detail') {
    main = v.detailView ? (
      <Detail
        view={v.detailView}
        pane={screen.pane}
        lines={v.detailLines}
        scroll={Math.min(screen.scroll, v.scrollMax)}
        height={layout.mainRows}
        errors={v.errorsHere}
      />
    ) : (
      <Box height={layout.mainRows}>
        <Text dimColor>This instance is no longer listed (q goes back).</Text>
      </Box>
    );
  } else {
    main = (
      <InstanceList
        rows={v.visible}
        list={list}
        index={v.win.index}
        offset={v.win.offset}
        height={layout.mainRows}
        total={session.views.size}
        columns={layout.columns}
        session={session}
      />
    );
  }

  return (
    <Box flexDirection="column" width={layout.columns}>
      <Header config={config} session={session} />
      <ErrorsPanel errors={session.errors} rows={layout.errorRows} />
      {main}
      <Footer
        context={v.context}
        readOnly={config.readOnly}
        notice={ui.notice}
        filter={list.filter}
        editing={v.context === 'filter'}
      />
    </Box>
  );
}
