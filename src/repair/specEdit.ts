// Apply an RFC 6902 patch to the stored request spec TEXT, touching only the bytes the patch is about.
//
// Nova wrote the text with Python's json.dumps; re-serialising it from JS would change floats (`1.0`),
// escapes and separators all over the document. So each operation becomes one span edit on the text,
// located with jsonc-parser's tree, and new values are written the way Python writes them. Every result
// is then proven: the edited text must parse to exactly what fast-json-patch makes of the parsed original.
// Anything that cannot be proven is refused with the reason, never written.
import { isDeepStrictEqual } from 'node:util';
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import jsonc, { type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { pointer } from '../nova/requestSpec.js';
import { type PyJsonValue, pyDumps, pyDumpsString } from './pyJson.js';

/**
 * One edit of the text, as applied in order: at `at` (a UTF-16 offset into the text as the previous edits left
 * it), `old` becomes `new`. The journal keeps these instead of the whole text before and after.
 */
export interface SpecSpan {
  at: number;
  old: string;
  new: string;
}

export type SpecEditResult = { ok: true; text: string; edits: SpecSpan[] } | { ok: false; reason: string };

class Refusal extends Error {}

function refuse(reason: string): never {
  throw new Refusal(reason);
}

/** RFC 6901 pointer → unescaped reference tokens. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) refuse(`JSON pointer ${JSON.stringify(pointer)} does not start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token)) refuse(`JSON pointer ${JSON.stringify(pointer)} has an invalid ~ escape`);
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

function parseStrict(text: string): JsonNode {
  const errors: ParseError[] = [];
  const root = jsonc.parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  if (!root || errors.length > 0) refuse(`spec is not strict JSON (error at offset ${errors[0]?.offset ?? 0})`);
  return root;
}

function keyOf(property: JsonNode): string {
  return property.children?.[0]?.value as string;
}

/** The property node of `key` in an object node; refuses duplicate keys, whose meaning JSON leaves open. */
function propertyOf(object: JsonNode, key: string, where: string): JsonNode | undefined {
  const matches = (object.children ?? []).filter((p) => keyOf(p) === key);
  if (matches.length > 1) refuse(`spec has the key ${JSON.stringify(key)} twice in ${where || 'the root'}`);
  return matches[0];
}

function arrayIndex(token: string, length: number, allowEnd: boolean, where: string): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9]\d*)$/.test(token)) refuse(`${JSON.stringify(token)} is not an array index at ${where}`);
  const index = Number(token);
  if (index > length || (!allowEnd && index === length)) refuse(`array index ${index} out of range at ${where}`);
  return index;
}

/** The value node at tokens, or undefined when the last token names nothing (parents must exist). */
function nodeAt(root: JsonNode, tokens: readonly string[]): JsonNode {
  let node = root;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const where = pointer(tokens.slice(0, i));
    if (node.type === 'object') {
      const property = propertyOf(node, token, where);
      const value = property?.children?.[1];
      if (!value) refuse(`spec has no ${pointer(tokens.slice(0, i + 1))}`);
      node = value;
    } else if (node.type === 'array') {
      const children = node.children ?? [];
      node = children[arrayIndex(token, children.length, false, where)]!;
    } else {
      refuse(`spec has no ${pointer(tokens.slice(0, i + 1))}: ${where || 'the root'} is a ${node.type}`);
    }
  }
  return node;
}

interface Span {
  offset: number;
  length: number;
  content: string;
}

/** The edits applyOne made (collected by editSpecText). */
let recorded: SpecSpan[] | null = null;

function splice(text: string, span: Span): string {
  recorded?.push({ at: span.offset, old: text.slice(span.offset, span.offset + span.length), new: span.content });
  return text.slice(0, span.offset) + span.content + text.slice(span.offset + span.length);
}

/** The span that removes member `index` of an object's properties or an array's items with its separator. */
function removalSpan(container: JsonNode, index: number): Span {
  const members = container.children ?? [];
  const member = members[index]!;
  const end = (n: JsonNode) => n.offset + n.length;
  if (members.length === 1) {
    // Python writes an empty dict/list as `{}` / `[]`: drop everything between the brackets.
    return { offset: container.offset + 1, length: container.length - 2, content: '' };
  }
  if (index > 0) {
    const previous = members[index - 1]!;
    return { offset: end(previous), length: end(member) - end(previous), content: '' };
  }
  const next = members[1]!;
  return { offset: member.offset, length: next.offset - member.offset, content: '' };
}

/** The span that inserts `item` (already serialised) as member `index` of a container. */
function insertionSpan(container: JsonNode, index: number, item: string): Span {
  const members = container.children ?? [];
  if (members.length === 0) return { offset: container.offset + 1, length: container.length - 2, content: item };
  if (index < members.length) return { offset: members[index]!.offset, length: 0, content: `${item}, ` };
  const last = members[members.length - 1]!;
  return { offset: last.offset + last.length, length: 0, content: `, ${item}` };
}

function nodeValue(text: string, node: JsonNode): unknown {
  return JSON.parse(text.slice(node.offset, node.offset + node.length));
}

function serialise(value: unknown, path: string): string {
  try {
    return pyDumps(value as PyJsonValue);
  } catch (err) {
    refuse(`value for ${path} cannot be written as JSON: ${(err as Error).message}`);
  }
}

function applyOne(text: string, root: JsonNode, op: Operation): string {
  const tokens = parsePointer(op.path);
  const shown = op.path || '(root)';
  if (op.op === 'test') {
    const actual = nodeValue(text, nodeAt(root, tokens));
    if (!isDeepStrictEqual(actual, op.value)) {
      refuse(`test failed at ${shown}: expected ${JSON.stringify(op.value)}, found ${JSON.stringify(actual)}`);
    }
    return text;
  }
  if (tokens.length === 0) refuse(`${op.op} of the whole spec is not a minimal edit`);
  const parent = nodeAt(root, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1]!;
  const parentWhere = pointer(tokens.slice(0, -1));
  switch (op.op) {
    case 'replace': {
      const node = nodeAt(root, tokens);
      return splice(text, { offset: node.offset, length: node.length, content: serialise(op.value, shown) });
    }
    case 'remove': {
      if (parent.type === 'object') {
        const property = propertyOf(parent, last, parentWhere);
        if (!property) refuse(`spec has no ${shown} to remove`);
        return splice(text, removalSpan(parent, (parent.children ?? []).indexOf(property)));
      }
      if (parent.type === 'array') {
        return splice(text, removalSpan(parent, arrayIndex(last, parent.children?.length ?? 0, false, parentWhere)));
      }
      return refuse(`cannot remove ${shown}: its parent is a ${parent.type}`);
    }
    case 'add': {
      const value = serialise(op.value, shown);
      if (parent.type === 'object') {
        const existing = propertyOf(parent, last, parentWhere)?.children?.[1];
        if (existing) return splice(text, { offset: existing.offset, length: existing.length, content: value });
        const member = `${pyDumpsString(last)}: ${value}`;
        return splice(text, insertionSpan(parent, parent.children?.length ?? 0, member));
      }
      if (parent.type === 'array') {
        const index = arrayIndex(last, parent.children?.length ?? 0, true, parentWhere);
        return splice(text, insertionSpan(parent, index, value));
      }
      return refuse(`cannot add ${shown}: its parent is a ${parent.type}`);
    }
    default:
      return refuse(`${op.op} operations are not supported on spec text (${shown})`);
  }
}

/** fast-json-patch's reading of the patch: the semantics the text edit must reproduce exactly. */
function expectedDocument(original: unknown, patch: readonly Operation[]): unknown {
  try {
    const ops = fastJsonPatch.deepClone(patch) as Operation[];
    return fastJsonPatch.applyPatch(original, ops, true, true, true).newDocument;
  } catch (err) {
    return refuse(`the patch does not apply to the spec: ${(err as Error).message.split('\n')[0]}`);
  }
}

/**
 * Apply `patch` to the spec text byte-minimally. Refuses (ok: false) unless the edited text provably parses
 * to the patched document and stays printable ASCII where the original was.
 */
export function editSpecText(text: string, patch: readonly Operation[]): SpecEditResult {
  try {
    let original: unknown;
    try {
      original = JSON.parse(text);
    } catch (err) {
      refuse(`spec is not valid JSON: ${(err as Error).message}`);
    }
    let edited = text;
    let tree: JsonNode | null = null;
    const edits: SpecSpan[] = [];
    recorded = edits;
    try {
      for (const op of patch) {
        tree ??= parseStrict(edited);
        const next = applyOne(edited, tree, op);
        if (next !== edited) tree = null; // offsets moved: parse again before the next op
        edited = next;
      }
    } finally {
      recorded = null;
    }
    // JSON.parse below is strict JSON: the edited text is checked for syntax there.
    const expected = expectedDocument(original, patch);
    let reparsed: unknown;
    try {
      reparsed = JSON.parse(edited);
    } catch (err) {
      refuse(`the edited text is not valid JSON: ${(err as Error).message}`);
    }
    if (!isDeepStrictEqual(reparsed, expected)) {
      refuse('the edited text does not parse to the patched document');
    }
    if (/^[\x20-\x7e]*$/.test(text) && !/^[\x20-\x7e]*$/.test(edited)) {
      refuse('the edited text is not printable ASCII like the original');
    }
    // The edits must give the text again, and taken back, the original (the journal keeps only them).
    let reproduced = false;
    try {
      reproduced = applySpans(text, edits) === edited && revertSpans(edited, edits) === text;
    } catch {
      // reported below
    }
    if (!reproduced) refuse('the edits do not reproduce the edited text');
    return { ok: true, text: edited, edits };
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, reason: err.message };
    throw err;
  }
}

/** The text after `spans`, applied in order. */
export function applySpans(text: string, spans: readonly SpecSpan[]): string {
  let out = text;
  for (const s of spans) {
    if (out.slice(s.at, s.at + s.old.length) !== s.old) return refuseSpan(s);
    out = out.slice(0, s.at) + s.new + out.slice(s.at + s.old.length);
  }
  return out;
}

/** The text before `spans`: each taken back, last first. */
export function revertSpans(text: string, spans: readonly SpecSpan[]): string {
  return applySpans(text, reverseSpans(spans));
}

/** The spans that take `spans` back. */
export function reverseSpans(spans: readonly SpecSpan[]): SpecSpan[] {
  return [...spans].reverse().map((s) => ({ at: s.at, old: s.new, new: s.old }));
}

function refuseSpan(s: SpecSpan): never {
  throw new Error(`the text does not hold ${JSON.stringify(s.old.slice(0, 40))} at ${s.at}`);
}
