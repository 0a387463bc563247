// One decoded log line to its header and event: the whole text path, without any I/O.
import type { ParsedImageProps } from '../nova/imageMetaProps.js';
import { classifyMessage, type MessageEvent } from './events.js';
import { type OsloHeader, parseOsloHeader, stripDebugSuffix } from './osloLine.js';

export interface LineEvent {
  header: OsloHeader;
  event: MessageEvent | null;
}

/**
 * null for a continuation line (not a record's first line), including the prefixed lines of an
 * exception traceback, which repeat the text of the exception ("No valid host was found") without
 * saying which request they belong to.
 */
export function eventOfLine(text: string, cache?: Map<string, ParsedImageProps | null>): LineEvent | null {
  const header = parseOsloHeader(text);
  if (!header?.hasContext) return null;
  let message = header.text.slice(header.messageStart);
  if (header.level === 'DEBUG') message = stripDebugSuffix(message).message;
  return { header, event: classifyMessage(message, cache) };
}
