// ink's frame text made again only where it changed. ink (6.8) turns every frame into text from scratch: a cell
// object for each of the screen's cells (140x40: 5,600), every line written tokenised into styled characters again
// and every row turned back into text, ~10 MiB of garbage and 15-25 ms of CPU a frame at 100k instances, the bulk
// of what a key cost (bench/tui/cloud.mjs --cpu-prof: Output.get ~60% of the keys' CPU). A key changes a few rows:
// a cursor move two of the list's, a sort its rows but not the header's. Here a row's text is kept from the frame
// before when the same lines were written to it at the same places (compared by identity of their styled characters,
// which a cache that lives over two frames gives the same line), and only the other rows are made, the way ink
// makes them. The result is the same text; test/tui/inkOutput.test.ts compares it with ink's own on many frames.
//
// It replaces Output.prototype.get of the ink version it was written against only (inkOutputClass.ts finds it);
// another version keeps ink's own.
import {
  ansiCodesToString,
  diffAnsiCodes,
  reduceAnsiCodesIncremental,
  type StyledChar,
  styledCharsFromTokens,
  tokenize,
} from '@alcalzone/ansi-tokenize';
import { loadInkOutput } from './inkOutputClass.js';

/** The ink whose Output.get this reproduces (its output.js, line for line where a row is made). */
export const INK_VERSION = '6.8.0';

type Transformer = (line: string, index: number) => string;
interface Clip {
  x1?: number;
  x2?: number;
  y1?: number;
  y2?: number;
}
type Operation =
  | { type: 'write'; x: number; y: number; text: string; transformers: Transformer[] }
  | { type: 'clip'; clip: Clip }
  | { type: 'unclip' };

/** What of ink's Output this uses (its fields, and its own caches for the widths of texts). */
export interface InkOutput {
  width: number;
  height: number;
  operations: Operation[];
  caches: { getStringWidth(text: string): number; getWidestLine(text: string): number };
}
export type OutputGet = (this: InkOutput) => { output: string; height: number };

/** A line's styled characters, the same array for the same line over this frame and the one before. */
class StyledLines {
  private now = new Map<string, StyledChar[]>();
  private before = new Map<string, StyledChar[]>();

  /** A frame begins: what the one before last used is let go. */
  nextFrame(): void {
    this.before = this.now;
    this.now = new Map();
  }

  get(line: string): StyledChar[] {
    let chars = this.now.get(line);
    if (chars === undefined) {
      chars = this.before.get(line) ?? styledChars(line);
      this.now.set(line, chars);
    }
    return chars;
  }
}

/** No style: one array for all plain characters (never changed, only read). */
const NO_STYLES: StyledChar['styles'] = Object.freeze([]) as unknown as StyledChar['styles'];
/** Printable ASCII only: one character a code unit, one column each, no escape (most of a list's text). */
const PLAIN = /^[\x20-\x7e]*$/;
/** Printable ASCII and SGR sequences (colours, inverse, bold: what ink's Text writes). */
const ASCII_AND_SGR = /^(?:[\x20-\x7e]|\x1b\[[0-9;]*m)*$/;
const SGR = /\x1b\[[0-9;]*m/g;

/** An SGR sequence as ink's tokenizer reads it (its codes), or null if it reads any of it as characters. */
const sgrTokens = new Map<string, ReturnType<typeof tokenize> | null>();
function codesOf(sequence: string): ReturnType<typeof tokenize> | null {
  let tokens = sgrTokens.get(sequence);
  if (tokens === undefined) {
    const read = tokenize(sequence);
    tokens = read.every((t) => t.type === 'ansi') ? read : null;
    if (sgrTokens.size < 1024) sgrTokens.set(sequence, tokens);
  }
  return tokens;
}

function plainChars(text: string, styles: StyledChar['styles'], into: StyledChar[]): void {
  for (let i = 0; i < text.length; i++) into.push({ type: 'char', value: text[i] as string, fullWidth: false, styles });
}

/**
 * A line's characters with their styles, as ink's tokenizer and styledCharsFromTokens give them. A line of
 * printable ASCII and SGR sequences is read without the tokenizer (which goes through Intl.Segmenter, a grapheme
 * at a time): its sequences are tokenized on their own and reduced as styledCharsFromTokens does; the characters
 * of a run between two of them share one styles array (nothing changes it).
 */
function styledChars(line: string): StyledChar[] {
  const chars: StyledChar[] = [];
  if (PLAIN.test(line)) {
    plainChars(line, NO_STYLES, chars);
    return chars;
  }
  if (!ASCII_AND_SGR.test(line)) return styledCharsFromTokens(tokenize(line));
  let codes: StyledChar['styles'] = [];
  let at = 0;
  for (const match of line.matchAll(SGR)) {
    plainChars(line.slice(at, match.index), codes.length === 0 ? NO_STYLES : codes, chars);
    const tokens = codesOf(match[0]);
    if (tokens === null) return styledCharsFromTokens(tokenize(line));
    codes = reduceAnsiCodesIncremental(codes, tokens as StyledChar['styles']);
    at = match.index + match[0].length;
  }
  plainChars(line.slice(at), codes.length === 0 ? NO_STYLES : codes, chars);
  return chars;
}

/** Whether two characters' styles are the same codes (then ink's diff of them is empty: nothing is written). */
function sameStyles(a: StyledChar['styles'], b: StyledChar['styles']): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if ((a[i] as { code: string }).code !== (b[i] as { code: string }).code) return false;
  return true;
}

/**
 * ansi-tokenize's styledCharsToString: a character's styles as the codes that differ from the one before, its
 * value, and at the end what resets them. A run of characters in the same styles is written as their values.
 */
function styledText(chars: readonly StyledChar[]): string {
  let ret = '';
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] as StyledChar;
    if (i === 0) ret += ansiCodesToString(char.styles);
    else {
      const before = (chars[i - 1] as StyledChar).styles;
      if (!sameStyles(before, char.styles)) ret += ansiCodesToString(diffAnsiCodes(before, char.styles));
    }
    ret += char.value;
    if (i === chars.length - 1 && char.styles.length > 0) ret += ansiCodesToString(diffAnsiCodes(char.styles, []));
  }
  return ret;
}

/** One column: a printable ASCII character (the width of the others is string-width's, as ink asks it). */
function widthOf(output: InkOutput, value: string): number {
  if (value.length === 1) {
    const c = value.charCodeAt(0);
    if (c >= 0x20 && c <= 0x7e) return 1;
  }
  return output.caches.getStringWidth(value);
}

/** A row as the last frame made it: the screen's width, what was written where (x, chars, x, chars…), its text. */
interface MadeRow {
  width: number;
  writes: (number | StyledChar[])[];
  text: string;
}

const BLANK: StyledChar = Object.freeze({ type: 'char', value: ' ', fullWidth: false, styles: [] }) as StyledChar;

function sameWrites(a: readonly (number | StyledChar[])[], b: readonly (number | StyledChar[])[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Output.get as ink 6.8 does it, but rows whose writes are those of the row made last time at that index (same
 * width) take its text. `original` is ink's own get: the frames it handles as they are (horizontal clipping,
 * which this program does not use).
 */
export function incrementalGet(original: OutputGet): OutputGet {
  const styled = new StyledLines();
  let made: (MadeRow | undefined)[] = [];
  return function get(this: InkOutput) {
    if (
      this.operations.some(
        (op) => op.type === 'clip' && typeof op.clip.x1 === 'number' && typeof op.clip.x2 === 'number',
      )
    ) {
      frames.handedOn++;
      return original.call(this);
    }
    frames.incremental++;
    styled.nextFrame();
    const { width, height } = this;
    // What each row has written to it, in order (ink writes them over each other in this order).
    const writes: (number | StyledChar[])[][] = Array.from({ length: height }, () => []);
    const clips: Clip[] = [];
    for (const operation of this.operations) {
      if (operation.type === 'clip') clips.push(operation.clip);
      if (operation.type === 'unclip') clips.pop();
      if (operation.type !== 'write') continue;
      const { text, transformers } = operation;
      let { y } = operation;
      const { x } = operation;
      let lines = text.split('\n');
      const clip = clips.at(-1);
      if (clip && typeof clip.y1 === 'number' && typeof clip.y2 === 'number') {
        const height = lines.length;
        if (y + height < clip.y1 || y > clip.y2) continue;
        const from = y < clip.y1 ? clip.y1 - y : 0;
        const to = y + height > clip.y2 ? clip.y2 - y : height;
        lines = lines.slice(from, to);
        if (y < clip.y1) y = clip.y1;
      }
      let offsetY = 0;
      for (let [index, line] of lines.entries()) {
        const row = writes[y + offsetY];
        // A line below the rows made (ink's "line can be missing"): skipped, and so are the ones after it.
        if (!row) continue;
        for (const transformer of transformers) line = transformer(line, index);
        row.push(x, styled.get(line));
        offsetY++;
      }
    }
    const next: MadeRow[] = new Array(height);
    const texts: string[] = new Array(height);
    for (let y = 0; y < height; y++) {
      const rowWrites = writes[y] as (number | StyledChar[])[];
      const last = made[y];
      if (last && last.width === width && sameWrites(last.writes, rowWrites)) {
        next[y] = last;
        texts[y] = last.text;
        continue;
      }
      const text = rowText(this, width, rowWrites);
      next[y] = { width, writes: rowWrites, text };
      texts[y] = text;
    }
    made = next;
    return { output: texts.join('\n'), height };
  };
}

/** One row's text, made as ink's Output.get makes it: blank cells, the writes placed in order, then styled text. */
function rowText(output: InkOutput, width: number, writes: readonly (number | StyledChar[])[]): string {
  const currentLine: (StyledChar | undefined)[] = new Array(width).fill(BLANK);
  for (let w = 0; w < writes.length; w += 2) {
    let offsetX = writes[w] as number;
    for (const character of writes[w + 1] as StyledChar[]) {
      currentLine[offsetX] = character;
      const characterWidth = Math.max(1, widthOf(output, character.value));
      // For multi-column characters, ink clears the cells they cover.
      for (let index = 1; index < characterWidth; index++) {
        currentLine[offsetX + index] = { type: 'char', value: '', fullWidth: false, styles: character.styles };
      }
      offsetX += characterWidth;
    }
  }
  const lineWithoutEmptyItems = currentLine.filter((item) => item !== undefined) as StyledChar[];
  return styledText(lineWithoutEmptyItems).trimEnd();
}

let installed: Promise<boolean> | null = null;
/** Why ink's own get was left in place, once installing has decided so. */
let notInstalled: string | null = null;
/** Frames asked of an incrementalGet: made by it, or handed on to ink's own get (horizontal clipping). */
const frames = { incremental: 0, handedOn: 0 };

export type InkOutputClass = (new (o: {
  width: number;
  height: number;
}) => InkOutput & {
  write(x: number, y: number, text: string, options: { transformers: Transformer[] }): void;
  clip(clip: Clip): void;
  unclip(): void;
  get(): { output: string; height: number };
}) & { prototype: { get: OutputGet; inkGet?: OutputGet } };

/** ink's Output class, with its own get kept as `inkGet` once incrementalGet has taken its place. */
export async function inkOutputClass(): Promise<InkOutputClass> {
  return (await loadInkOutput()).Output as InkOutputClass;
}

/**
 * Puts incrementalGet in place of ink's Output.get, once; resolves whether it did. Another ink version keeps its
 * own, and so does an ink whose Output cannot be found: frames are then made as ink makes them, only slower.
 */
export function installIncrementalOutput(): Promise<boolean> {
  installed ??= (async () => {
    try {
      const { version, Output } = await loadInkOutput();
      if (version !== INK_VERSION) {
        notInstalled = `ink ${version} is not ${INK_VERSION}`;
        return false;
      }
      const proto = (Output as InkOutputClass).prototype;
      proto.inkGet ??= proto.get;
      proto.get = incrementalGet(proto.inkGet);
      return true;
    } catch (e) {
      notInstalled = `ink's Output class was not found: ${String((e as Error).message).split('\n')[0]}`;
      return false;
    }
  })();
  return installed;
}

/**
 * One line on how the frames so far were made, for NOVA_DOCTOR_SEA_DEBUG=ink-output (src/tui/index.ts): installed
 * or not (and why), and how many frames went through incrementalGet. The single executable's test reads it, since
 * a bundle whose ink Output is not the one this module finds would fall back to ink's own get without a sign.
 */
export function inkOutputReport(): string {
  if (notInstalled !== null) return `ink output: ink's own get (${notInstalled})`;
  if (installed === null) return "ink output: ink's own get (not installed)";
  return (
    `ink output: incremental get installed (ink ${INK_VERSION}): ${frames.incremental} frames made by it, ` +
    `${frames.handedOn} handed on to ink's own get`
  );
}
