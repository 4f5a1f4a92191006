#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Fixture test: runs cairn-hwcheck offline on every real machine in
tests/fixtures/acpi/ and compares every required JSON field with an
independent decoding of the same machine:

  * ACPI fields against ACPICA's `iasl -d` text (iasl.txt), read here from the
    decoded field lines.  Where iasl gives up (old iasl versions print
    "**** Unknown IVRS subtable type 0x11" / "Unknown DMAR subtable type" and
    stop decoding), the rest of that table is decoded here from the raw hex that
    iasl prints after it ("Raw Table Data"), with this file's own decoder.
  * DMI fields against the dmidecode text, read here line by line.
  * The findings the issue names (ivrs-ioapic-mismatch, DMAR alignment and
    RMRR and INCLUDE_ALL checks, TPM2 length, no IOMMU), recomputed here.

Usage: check-fixtures.py CAIRN_HWCHECK FIXTURES_DIR QUIRKS_DIR
"""
import json
import os
import re
import subprocess
import sys

FIELD_RE = re.compile(r'^\[([0-9A-Fa-f]+)h ([0-9]+)\s+([0-9A-Fa-f]+h?)\]\s+(.*?)\s+:\s?(.*)$')
RAW_RE = re.compile(r'^\s*([0-9A-Fa-f]{4,}):((?: [0-9A-Fa-f]{2})+)')


def parse_iasl(path):
    """Returns {signature: [table, ...]}; a table is a dict with 'fields'
    (list of (offset, name, value) in order), 'unknown' (offsets where iasl
    stopped on an unknown subtable) and 'raw' (bytes)."""
    tables = {}
    cur = None
    lines = open(path, encoding='utf-8', errors='replace').read().split('\n')
    i = 0
    while i < len(lines):
        line = lines[i]
        if re.fullmatch(r'[A-Z0-9]{4}', line) and i + 1 < len(lines) and lines[i + 1].startswith('----'):
            cur = {'sig': line, 'fields': [], 'unknown': [], 'raw': bytearray(), 'in_raw': False}
            tables.setdefault(line, []).append(cur)
            i += 2
            continue
        if cur is not None:
            m = FIELD_RE.match(line)
            if m and not cur['in_raw']:
                cur['fields'].append((int(m.group(2)), m.group(4).strip(), m.group(5).strip()))
            elif line.startswith('**** Unknown') and 'subtable type' in line:
                cur['unknown'].append(len(cur['fields']))
            elif line.startswith('Raw Table Data'):
                cur['in_raw'] = True
            elif cur['in_raw']:
                r = RAW_RE.match(line)
                if r:
                    cur['raw'] += bytes(int(x, 16) for x in r.group(2).split())
        i += 1
    return tables


def hexval(v):
    return int(v.split()[0], 16)


def le(b, off, n):
    return int.from_bytes(b[off:off + n], 'little')


# ---- DMAR ----

def raw_dmar_subtables(raw, off, dmar):
    """Independent raw decoder for DMAR subtables from `off` on."""
    end = le(raw, 4, 4)
    while off + 4 <= end:
        typ, length = le(raw, off, 2), le(raw, off + 2, 2)
        if length < 4:
            break
        if typ in (0, 1):
            if typ == 0:
                unit = {'flags': raw[off + 4], 'segment': le(raw, off + 6, 2), 'base': le(raw, off + 8, 8), 'scopes': []}
                dmar['drhd'].append(unit)
                soff = off + 16
            else:
                unit = {'segment': le(raw, off + 6, 2), 'base': le(raw, off + 8, 8), 'limit': le(raw, off + 16, 8), 'scopes': []}
                dmar['rmrr'].append(unit)
                soff = off + 24
            while soff + 6 <= off + length:
                sl = raw[soff + 1]
                if sl < 6:
                    break
                path = [[raw[soff + 6 + 2 * k], raw[soff + 7 + 2 * k]] for k in range((sl - 6) // 2)]
                unit['scopes'].append({'type': raw[soff], 'enumeration_id': raw[soff + 4], 'bus': raw[soff + 5], 'path': path})
                soff += sl
        off += length


def decode_dmar(t):
    f = t['fields']
    dmar = {'drhd': [], 'rmrr': []}
    sub = None      # current subtable dict or None
    subtype = None
    scope = None
    stop_at = t['unknown'][0] if t['unknown'] else None
    for idx, (off, name, val) in enumerate(f):
        if stop_at is not None and idx >= stop_at:
            break
        if off == 36 and name == 'Host Address Width':
            dmar['host_address_width'] = hexval(val) + 1
        elif off == 37 and name == 'Flags':
            dmar['flags'] = hexval(val)
        elif name == 'Subtable Type':
            subtype = hexval(val)
            scope = None
            sub = None
            if subtype == 0:
                sub = {'scopes': []}
                dmar['drhd'].append(sub)
            elif subtype == 1:
                sub = {'scopes': []}
                dmar['rmrr'].append(sub)
            last_sub_off = off
        elif sub is None:
            continue
        elif name == 'Device Scope Type':
            scope = {'type': hexval(val), 'path': []}
            sub['scopes'].append(scope)
        elif scope is not None and name == 'Enumeration ID':
            scope['enumeration_id'] = hexval(val)
        elif scope is not None and name == 'PCI Bus Number':
            scope['bus'] = hexval(val)
        elif scope is not None and name == 'PCI Path':
            d, fn = val.split(',')
            scope['path'].append([int(d, 16), int(fn, 16)])
        elif subtype == 0 and name.startswith('Flags'):
            sub['flags'] = hexval(val)
        elif name == 'PCI Segment Number':
            sub['segment'] = hexval(val)
        elif subtype == 0 and name == 'Register Base Address':
            sub['base'] = hexval(val)
        elif subtype == 1 and name == 'Base Address':
            sub['base'] = hexval(val)
        elif subtype == 1 and name == 'End Address (limit)':
            sub['limit'] = hexval(val)
    if stop_at is not None:
        # iasl stopped at an unknown subtable: take its offset and length
        # from the decoded lines, then decode the rest from the raw bytes.
        off, _, _ = f[stop_at - 2] if f[stop_at - 1][1] == 'Length' else f[stop_at - 1]
        length = hexval(f[stop_at - 1][2]) if f[stop_at - 1][1] == 'Length' else 4
        raw_dmar_subtables(t['raw'], off + length, dmar)
        t['raw_fallback'] = True
    return dmar


# ---- IVRS ----

def raw_ivrs_subtables(raw, off, ivrs):
    end = le(raw, 4, 4)
    while off + 4 <= end:
        typ, length = raw[off], le(raw, off + 2, 2)
        if length < 4:
            break
        if typ in (0x10, 0x11, 0x40):
            hdr = 24 if typ == 0x10 else 40
            h = {'type': typ, 'flags': raw[off + 1], 'device_id': le(raw, off + 4, 2), 'base': le(raw, off + 8, 8),
                 'segment': le(raw, off + 16, 2), 'special': []}
            e = off + hdr
            while e < off + length:
                et = raw[e]
                el = (22 + raw[e + 21]) if et == 0xF0 else (4 << (et >> 6))
                if et == 0x48:
                    h['special'].append({'variety': raw[e + 7], 'handle': raw[e + 4], 'device_id': le(raw, e + 5, 2)})
                e += el
            ivrs['ivhd'].append(h)
        off += length


def decode_ivrs(t):
    f = t['fields']
    ivrs = {'ivhd': []}
    cur = None
    entry = None
    stop_at = t['unknown'][0] if t['unknown'] else None
    unknown_off = None
    last_top = None     # [offset, length] of the last top-level subtable
    for idx, (off, name, val) in enumerate(f):
        if stop_at is not None and idx >= stop_at:
            break
        if off == 36 and name == 'Virtualization Info':
            ivrs['info'] = hexval(val)
            continue
        is_top = name == 'Subtable Type' and ('Definition Block' in val or 'Unknown Subtable Type' in val)
        if is_top:
            typ = hexval(val)
            entry = None
            last_top = [off, None]
            if 'Unknown Subtable Type' in val:
                unknown_off = off
                cur = None
            elif typ in (0x10, 0x11, 0x40):
                cur = {'type': typ, 'special': []}
                ivrs['ivhd'].append(cur)
            else:
                cur = None
            continue
        if last_top is not None and last_top[1] is None and name == 'Length':
            last_top[1] = hexval(val)
        if cur is None:
            continue
        if name in ('Subtable Type', 'Entry Type'):
            entry = {'type': hexval(val)}
            if entry['type'] == 0x48:
                cur['special'].append(entry)
        elif entry is None:
            if name.startswith('Flags'):
                cur['flags'] = hexval(val)
            elif name == 'DeviceId':
                cur['device_id'] = hexval(val)
            elif name == 'Base Address':
                cur['base'] = hexval(val)
            elif name == 'PCI Segment Group':
                cur['segment'] = hexval(val)
        elif entry['type'] == 0x48:
            if name == 'Handle':
                entry['handle'] = hexval(val)
            elif name == 'Source Used Device ID':
                entry['device_id'] = hexval(val)
            elif name == 'Variety':
                entry['variety'] = hexval(val)
    for h in ivrs['ivhd']:
        for s in h['special']:
            s.pop('type', None)
    if stop_at is not None:
        if unknown_off is None:
            # iasl printed no line for the unknown subtable: it follows the
            # last one it decoded
            if last_top is None or last_top[1] is None:
                raise ValueError('iasl stopped on an unknown IVRS subtable but its offset was not found')
            unknown_off = last_top[0] + last_top[1]
        raw_ivrs_subtables(t['raw'], unknown_off, ivrs)
        t['raw_fallback'] = True
    return ivrs


def decode_tpm2(t):
    out = {}
    for off, name, val in t['fields']:
        if name == 'Table Length':
            out['length'] = hexval(val)
        elif name == 'Start Method':
            out['start_method'] = hexval(val)
    return out


def decode_madt(t):
    ioapics = []
    cur = None
    for off, name, val in t['fields']:
        if name == 'Subtable Type':
            cur = {} if hexval(val) == 1 else None
            if cur is not None:
                ioapics.append(cur)
        elif cur is not None:
            if name == 'I/O Apic ID':
                cur['id'] = hexval(val)
            elif name == 'Address':
                cur['address'] = hexval(val)
            elif name == 'Interrupt':
                cur['gsi_base'] = hexval(val)
    return {'ioapics': ioapics}


# ---- dmidecode ----

DMI_KEYS = {
    0: {'Vendor': 'bios_vendor', 'Version': 'bios_version', 'Release Date': 'bios_date'},
    1: {'Manufacturer': 'sys_vendor', 'Product Name': 'product_name', 'Version': 'product_version'},
    2: {'Manufacturer': 'board_vendor', 'Product Name': 'board_name'},
}


def decode_dmidecode(path):
    out = {k: None for keys in DMI_KEYS.values() for k in keys.values()}
    seen = set()
    typ = None
    for line in open(path, encoding='utf-8', errors='replace').read().split('\n'):
        m = re.match(r'^Handle 0x[0-9A-Fa-f]+, DMI type (\d+),', line)
        if m:
            typ = int(m.group(1))
            active = typ in DMI_KEYS and typ not in seen
            seen.add(typ)
            continue
        if typ not in DMI_KEYS or not active or not line.startswith('\t') or line.startswith('\t\t'):
            continue
        key, sep, val = line[1:].partition(':')
        if not sep or key not in DMI_KEYS[typ]:
            continue
        val = val.strip(' \t')
        out[DMI_KEYS[typ][key]] = None if val == 'Not Specified' else val
    return out


# ---- comparison ----

def compare(expected, actual, path, errors):
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            errors.append(f'{path}: expected an object, got {actual!r}')
            return 0
        n = 0
        for k, v in expected.items():
            if k not in actual:
                errors.append(f'{path}.{k}: missing')
                continue
            n += compare(v, actual[k], f'{path}.{k}', errors)
        return n
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            errors.append(f'{path}: expected {len(expected)} items, got {actual!r}')
            return 0
        return sum(compare(e, a, f'{path}[{i}]', errors) for i, (e, a) in enumerate(zip(expected, actual)))
    if type(expected) is not type(actual) or expected != actual:
        errors.append(f'{path}: expected {expected!r}, got {actual!r}')
        return 0
    return 1


def expected_findings(acpi):
    """The findings the issue names, recomputed from the oracle's decoding."""
    exp = {}
    dmar, ivrs, madt, tpm2 = acpi['dmar'], acpi['ivrs'], acpi['madt'], acpi['tpm2']
    exp['no-iommu'] = dmar is None and ivrs is None
    if dmar is not None:
        exp['dmar-drhd-unaligned'] = any(u['base'] & 0xfff and u['base'] != 0 for u in dmar['drhd'])
        exp['dmar-rmrr-inverted'] = any(m['base'] > m['limit'] for m in dmar['rmrr'])
        segs = [u['segment'] for u in dmar['drhd'] if u['flags'] & 1]
        exp['dmar-multiple-include-all'] = len(segs) != len(set(segs))
        exp['no-interrupt-remapping'] = not (dmar['flags'] & 1)
    if ivrs is not None and madt is not None:
        handles = {s['handle'] for h in ivrs['ivhd'] for s in h['special'] if s['variety'] == 1}
        ids = {io['id'] for io in madt['ioapics']}
        exp['ivrs-ioapic-mismatch'] = bool(handles - ids)
        exp['ivrs-ioapic-missing'] = bool(ids - handles)
    if tpm2 is not None:
        need = {2: 56, 11: 64, 13: 68}.get(tpm2['start_method'], 52)
        exp['tpm2-table-short'] = tpm2['length'] < need
    return exp


# The quirks of quirks.d that real fixtures trigger; every other machine must
# match none.
EXPECTED_QUIRKS = {
    'c1a1b4d7db': ['acer-aspire-a315-41-ivrs-ioapic'],   # Acer Aspire A315-41
    '295df62723': ['lenovo-thinkpad-t490s-tpm-irq'],     # ThinkPad T490s
}


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    tool, fixtures, quirks = sys.argv[1:]
    machines = sorted(d for d in os.listdir(fixtures) if os.path.isfile(os.path.join(fixtures, d, 'iasl.txt')))
    if not machines:
        print(f'no fixtures under {fixtures}', file=sys.stderr)
        return 1
    passed = failed = 0
    total_fields = 0
    fallback = []
    mismatch_machines = []
    for mid in machines:
        d = os.path.join(fixtures, mid)
        proc = subprocess.run([tool, '--json', '--quirks-dir', quirks, '--acpidump', os.path.join(d, 'acpidump.txt'),
                               '--dmidecode', os.path.join(d, 'dmidecode.txt')], capture_output=True, text=True)
        errors = []
        if proc.returncode not in (0, 3):
            errors.append(f'exit status {proc.returncode}: {proc.stderr.strip()}')
        try:
            report = json.loads(proc.stdout)
        except ValueError as e:
            report = None
            errors.append(f'not JSON: {e}')
        if report is not None:
            iasl = parse_iasl(os.path.join(d, 'iasl.txt'))
            first = {sig: tabs[0] for sig, tabs in iasl.items()}
            acpi = {
                'dmar': decode_dmar(first['DMAR']) if 'DMAR' in first else None,
                'ivrs': decode_ivrs(first['IVRS']) if 'IVRS' in first else None,
                'tpm2': decode_tpm2(first['TPM2']) if 'TPM2' in first else None,
                'madt': decode_madt(first['APIC']) if 'APIC' in first else None,
            }
            if any(t.get('raw_fallback') for t in first.values()):
                fallback.append(mid)
            expected = {'schema': 1, 'acpi': acpi, 'dmi': decode_dmidecode(os.path.join(d, 'dmidecode.txt'))}
            n = compare(expected, report, '', errors)
            if report.get('acpi', {}).get('dmar') is None and acpi['dmar'] is None:
                n += 1
            total_fields += n
            ids = {f['id'] for f in report.get('findings', [])}
            for fid, want in expected_findings(acpi).items():
                total_fields += 1
                if want != (fid in ids):
                    errors.append(f'finding {fid}: expected {"present" if want else "absent"}')
            got_quirks = [q.get('id') for q in report.get('quirks', [])]
            total_fields += 1
            if got_quirks != EXPECTED_QUIRKS.get(mid, []):
                errors.append(f'quirks: expected {EXPECTED_QUIRKS.get(mid, [])}, got {got_quirks}')
            for q in report.get('quirks', []):
                for key in ('id', 'xen_cmdline', 'linux_cmdline', 'unsupported', 'reason', 'source'):
                    if key not in q:
                        errors.append(f'quirk {q.get("id")}: no {key}')
            if 'ivrs-ioapic-mismatch' in ids:
                mismatch_machines.append(mid)
            for f in report.get('findings', []):
                if f.get('severity') not in ('ok', 'warn', 'fail') or not f.get('message'):
                    errors.append(f'finding {f.get("id")}: bad severity or message')
        if errors:
            failed += 1
            print(f'FAIL {mid}:')
            for e in errors[:20]:
                print(f'    {e}')
        else:
            passed += 1
            print(f'ok   {mid}')
    print(f'{total_fields} fields and findings compared; raw-hex fallback used for {len(fallback)} machine(s): {" ".join(fallback)}')
    print(f'ivrs-ioapic-mismatch on: {" ".join(mismatch_machines) or "none"}')
    if 'c1a1b4d7db' in machines and 'c1a1b4d7db' not in mismatch_machines:
        print('FAIL: the Acer Aspire A315-41 (c1a1b4d7db) must show ivrs-ioapic-mismatch')
        failed += 1
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
