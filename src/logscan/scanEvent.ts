// One log line that matters, as a small cloneable record: what workers send back, what correlation reads.
// Repeated texts (image properties, supported_instances) travel once, in tables, and are referred to by id.
import type { ParsedImageProps } from '../nova/imageMetaProps.js';
import type { MessageEvent, PropsEvent } from './events.js';

/** supportedInstances of a rejection: an index into the unit's supp table, or one of these. */
export const SUPP_UNREADABLE = -1; // abbreviated or damaged: unknown
export const SUPP_NONE = -2; // "no corresponding supported_instances are advertised"

/** "Instance contains properties …" whose host line has not been seen (yet). */
export interface WirePropsEvent {
  kind: 'props';
  /** Index into the unit's props table; -1 when the properties could not be read. */
  propsId: number;
  suppId: number;
  hypervisorVersion: number | null | undefined;
}

/** A props line and the "<host> does not support …" line after it, paired. Location: the props line. */
export interface WireRejectionEvent {
  kind: 'rejection';
  propsId: number;
  suppId: number;
  hypervisorVersion: number | null | undefined;
  host: string;
  node: string;
}

export type WireEvent = Exclude<MessageEvent, PropsEvent> | WirePropsEvent | WireRejectionEvent;

export interface ScanEvent {
  /** Index of the input (file) in the scan. */
  input: number;
  offset: number;
  /** 1-based line number within the input. */
  line: number;
  time: string;
  pid: number | null;
  level: string;
  logger: string;
  requestId: string | null;
  globalRequestId: string | null;
  instanceUuid: string | null;
  ev: WireEvent;
}

/** Distinct property texts of a unit, parsed once. */
export interface PropsTable {
  texts: string[];
  parsed: (ParsedImageProps | null)[];
}
