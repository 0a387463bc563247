import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IMAGE_META_PROPS_FIELDS,
  parseImageMetaPropsRepr,
  parseImagePropsText,
  parseLegacyImagePropsDict,
} from '../../src/nova/imageMetaProps.js';
import { oracle } from './oracle.js';

/** What the repr can express: strings stay strings, ints/bools keep their type, compound values their repr. */
function expected(props: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(props).map(([k, v]) => [
      k,
      typeof v === 'string' && /^\[|^\{|^set\(/.test(v) ? expect.any(String) : v,
    ]),
  );
}

describe('ImageMetaProps repr (reprs made by nova Zed)', () => {
  it.each(oracle.reprs.map((r, i) => [i, r] as const))('case %i reads back the set fields', (_, r) => {
    const parsed = parseImageMetaPropsRepr(r.repr);
    expect(parsed).not.toBeNull();
    expect(parsed!.partial).toBe(false);
    expect(parsed!.props).toEqual(expected(r.props));
    expect(parsed!.fields.length).toBe(77); // Zed's ImageMetaProps 1.34
  });

  it('keeps free text with commas, parentheses, quotes and fake field names intact', () => {
    const r = oracle.reprs[4]!;
    const parsed = parseImageMetaPropsRepr(r.repr)!;
    expect(parsed.props.img_hv_type).toBe('xen');
    expect(parsed.props.os_command_line).toBe("console=hvc0, root=(x) os_distro='evil',img_hv_type='kvm' \\ end");
    expect(parsed.props.os_distro).toBe("it's");
  });

  it('is not fooled by ",img_hv_type=" quoted inside an earlier free-text field', () => {
    const parsed = parseImageMetaPropsRepr(oracle.reprs[5]!.repr)!;
    expect(parsed.props.img_hv_type).toBe('xen');
    expect(parsed.props.hw_machine_type).toBe("pc',img_hv_type='qemu'");
  });

  it('reads the abbreviated 2017 line of the field report as far as it goes', () => {
    // From ../shared/docs/field-report-xen-to-kvm.txt, "[...]" as the author left it.
    const text =
      "ImageMetaProps(hw_architecture=<?>,[...] img_config_drive=<?>,img_hv_requested_version=<?>,img_hv_type='xen',[...] os_type=<?>)";
    const parsed = parseImagePropsText(text)!;
    expect(parsed.partial).toBe(true);
    expect(parsed.props).toEqual({ img_hv_type: 'xen' });
    expect(parsed.fields).toEqual([
      'hw_architecture',
      'img_config_drive',
      'img_hv_requested_version',
      'img_hv_type',
      'os_type',
    ]);
  });

  it('marks a repr cut short as partial', () => {
    const full = oracle.reprs[0]!.repr;
    const cut = parseImageMetaPropsRepr(full.slice(0, full.indexOf('hw_vm_mode') + 15))!;
    expect(cut.partial).toBe(true);
    expect(cut.props.hw_architecture).toBe('x86_64');
  });

  it('lists every field of the newest release in sorted order', () => {
    expect([...IMAGE_META_PROPS_FIELDS].sort()).toEqual(IMAGE_META_PROPS_FIELDS);
    expect(IMAGE_META_PROPS_FIELDS).toHaveLength(86);
  });

  it('never throws and stays linear on mutated reprs', () => {
    const base = oracle.reprs[6]!.repr;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: base.length }),
        fc.integer({ min: 0, max: 64 }),
        fc.string({ maxLength: 40 }),
        (at, del, ins) => {
          const s = base.slice(0, at) + ins + base.slice(at + del);
          const r = parseImagePropsText(s);
          if (r) expect(typeof r.props).toBe('object');
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('Kilo/Liberty dict form', () => {
  // Kilo/Liberty log a dict of Glance's legacy names (nova-facts.md §1). Zed cannot write this form,
  // so these strings are the documented shape (py2 u'' prefixes), not captured output.
  it('maps legacy names to current field names', () => {
    const r = parseLegacyImagePropsDict(
      "{u'hypervisor_type': u'xen', u'vm_mode': u'xen', u'architecture': u'x86_64', u'os_type': u'linux'}",
    )!;
    expect(r.form).toBe('dict');
    expect(r.props).toEqual({ img_hv_type: 'xen', hw_vm_mode: 'xen', hw_architecture: 'x86_64', os_type: 'linux' });
  });

  it('lets a current name win over its legacy twin, as ImageMetaProps.from_dict does', () => {
    expect(parseLegacyImagePropsDict("{'hypervisor_type': 'xen', 'img_hv_type': 'kvm'}")!.props).toEqual({
      img_hv_type: 'kvm',
    });
  });

  it('reads hypervisor_version_requires and non-string values', () => {
    const r = parseImagePropsText(
      "{u'hypervisor_version_requires': u'>=4.1', u'xenapi_use_agent': True, u'min_ram': 512, u'kernel_id': None}",
    )!;
    expect(r.props).toEqual({ img_hv_requested_version: '>=4.1', img_use_agent: true, min_ram: 512, kernel_id: null });
  });

  it('returns null for text that is neither form', () => {
    expect(parseImagePropsText('[...]')).toBeNull();
    expect(parseImagePropsText("{u'a': ")).toBeNull();
  });
});
