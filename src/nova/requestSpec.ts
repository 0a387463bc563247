// The one reader of nova_api.request_specs.spec: the RequestSpec primitive nova wrote with
// jsonutils.dumps(spec.obj_to_primitive()), read as nova would read it. Diagnosis and planning both start
// here, so what trace calls unreadable is exactly what repair refuses to touch. Pure and never throws.
//
// Only the image properties path counts: a scheduler hint called img_hv_type is not an image property.

import type { ImageProps } from './types.js';

/** Where the ImageMetaProps object sits inside the spec, as reference tokens. */
export const SPEC_PROPS_PATH: readonly string[] = ['nova_object.data', 'image', 'nova_object.data', 'properties'];

/** RFC 6901 escaping of one reference token. */
export function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** RFC 6901 pointer of reference tokens. */
export function pointer(tokens: readonly string[]): string {
  return tokens.map((t) => `/${pointerToken(t)}`).join('');
}

/** JSON Pointer of the image properties' data inside request_specs.spec. */
export const SPEC_PROPS_POINTER = pointer([...SPEC_PROPS_PATH, 'nova_object.data']);

/** JSON Pointer of the properties' nova_object.changes list. */
export const SPEC_PROPS_CHANGES_POINTER = pointer([...SPEC_PROPS_PATH, 'nova_object.changes']);

/**
 * Nesting at which nova itself can no longer load a spec. Python's json.loads recurses once per level and
 * shares the interpreter's recursion limit (1000) with the caller's frames: at the top of a fresh
 * interpreter it fails from about 996 levels; nova calls it some tens of frames deep (conductor, objects,
 * jsonutils). A real RequestSpec nests under 20 levels; anything near this is not nova's.
 */
export const NOVA_JSON_DEPTH_LIMIT = 900;

/** Why a spec cannot be read as nova's, one kind per way nova's own loading would fail or differ. */
export type SpecProblemKind =
  | 'not-json'
  | 'too-deep'
  | 'not-request-spec'
  | 'unknown-version'
  | 'no-image'
  | 'image-null'
  | 'no-properties'
  | 'bad-properties'
  | 'bad-field';

/** The request spec as nova would read it, or why it cannot be. Plain data: it crosses to worker threads. */
export type SpecReading =
  | {
      ok: true;
      /** The ImageMetaProps data: field name → value. */
      props: ImageProps;
      /** The properties' stored nova_object.changes list, when it has one. */
      changes: string[] | null;
    }
  | { ok: false; kind: SpecProblemKind; problem: string };

/** The ImageMetaProps fields that must be strings where present (the filter compares them as text). */
const STRING_FIELDS = ['img_hv_type', 'hw_vm_mode', 'hw_architecture', 'img_hv_requested_version'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function countOf(text: string, ch: string): number {
  let n = 0;
  for (let at = text.indexOf(ch); at !== -1; at = text.indexOf(ch, at + 1)) n++;
  return n;
}

/** Deepest nesting of objects and arrays in JSON text (brackets inside strings do not count). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** Whether nova's json.loads would stop on the text. Cheap for every real spec: it counts brackets first. */
function tooDeepForNova(text: string): number | null {
  if (countOf(text, '{') + countOf(text, '[') < NOVA_JSON_DEPTH_LIMIT) return null;
  const depth = jsonDepth(text);
  return depth >= NOVA_JSON_DEPTH_LIMIT ? depth : null;
}

/** The RequestSpec and, where present, its ImageMeta and ImageMetaProps envelopes. */
function objectChain(doc: Record<string, unknown>): [string, Record<string, unknown>][] {
  const chain: [string, Record<string, unknown>][] = [['RequestSpec', doc]];
  const data = doc['nova_object.data'];
  const image = isObject(data) ? data.image : null;
  if (isObject(image)) {
    chain.push(['ImageMeta', image]);
    const props = isObject(image['nova_object.data']) ? image['nova_object.data'].properties : null;
    if (isObject(props)) chain.push(['ImageMetaProps', props]);
  }
  return chain;
}

const fail = (kind: SpecProblemKind, problem: string): SpecReading => ({ ok: false, kind, problem });

/** Read request_specs.spec as a RequestSpec primitive and find its ImageMetaProps data. */
export function readSpec(spec: string): SpecReading {
  const depth = tooDeepForNova(spec);
  if (depth !== null) {
    return fail(
      'too-deep',
      `request_specs.spec nests ${depth} levels deep: nova itself cannot load this spec (Python's json.loads raises RecursionError)`,
    );
  }
  let root: unknown;
  try {
    root = JSON.parse(spec);
  } catch {
    const shown = spec.length > 40 ? `${spec.slice(0, 40)}…` : spec;
    return fail('not-json', `request_specs.spec is not JSON (starts ${JSON.stringify(shown)}): nova cannot load it`);
  }
  if (!isObject(root) || root['nova_object.name'] !== 'RequestSpec' || !isObject(root['nova_object.data'])) {
    const name = isObject(root) ? root['nova_object.name'] : undefined;
    return fail(
      'not-request-spec',
      `request_specs.spec is JSON but not a RequestSpec${typeof name === 'string' && name !== 'RequestSpec' ? ` (it is a ${name})` : ''}`,
    );
  }
  // oslo.versionedobjects refuses a major version it does not know: so must we, or we would edit a format we
  // cannot vouch for. Every RequestSpec/ImageMeta/ImageMetaProps nova has written is 1.x.
  for (const [name, obj] of objectChain(root)) {
    const version = obj['nova_object.version'];
    if (typeof version !== 'string' || !/^1\.\d+$/.test(version)) {
      return fail(
        'unknown-version',
        `request_specs.spec ${name} object version ${JSON.stringify(version)} is not one nova writes (1.x)`,
      );
    }
  }
  const data = root['nova_object.data'];
  if (!('image' in data)) {
    return fail('no-image', "request_specs.spec has no image: nova's scheduler raises instead of filtering");
  }
  const image = data.image;
  if (image === null) {
    return fail(
      'image-null',
      `request_specs.spec has "image": null (the image is null): nova's scheduler fails on it (nothing to patch)`,
    );
  }
  if (!isObject(image) || !isObject(image['nova_object.data'])) {
    return fail('bad-properties', 'request_specs.spec image is not an ImageMeta object');
  }
  const imageData = image['nova_object.data'];
  if (!('properties' in imageData)) {
    return fail(
      'no-properties',
      "request_specs.spec image has no properties: nova's scheduler raises NotImplementedError on it (rebuild the instance or recreate the spec)",
    );
  }
  const properties = imageData.properties;
  if (!isObject(properties) || !isObject(properties['nova_object.data'])) {
    return fail('bad-properties', 'request_specs.spec image properties are not an ImageMetaProps object');
  }
  const props = properties['nova_object.data'];
  for (const field of STRING_FIELDS) {
    if (field in props && typeof props[field] !== 'string') {
      return fail('bad-field', `request_specs.spec ${field} is ${JSON.stringify(props[field])}, not a string`);
    }
  }
  const changes = properties['nova_object.changes'];
  return {
    ok: true,
    props,
    changes: Array.isArray(changes) && changes.every((c) => typeof c === 'string') ? changes : null,
  };
}
