// How the terminal's rows are shared out. Everything is one line per row (long text is cut or
// wrapped by us, never by the terminal), so the frame never outgrows the screen.
import type { TerminalSize } from './hooks/useTerminalSize.js';

export const HEADER_ROWS = 3;
export const FOOTER_ROWS = 1;
export const MAX_ERROR_ROWS = 3;

export interface Layout {
  columns: number;
  errorRows: number;
  /** Rows for the screen under the header (list, detail or overlay). */
  mainRows: number;
}

export function layoutFor(size: TerminalSize, errorCount: number): Layout {
  // One row short of the terminal: a frame as tall as the screen makes ink clear it on every update.
  const usable = Math.max(8, size.rows - 1);
  const errorRows = Math.min(MAX_ERROR_ROWS, errorCount, Math.max(0, usable - HEADER_ROWS - FOOTER_ROWS - 4));
  const mainRows = Math.max(3, usable - HEADER_ROWS - FOOTER_ROWS - errorRows);
  return { columns: Math.max(20, size.columns), errorRows, mainRows };
}
