/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "bytes.h"

#define ACPI_ADD(f, id, sev, ...)                                               \
        do {                                                                    \
                if (hw_findings_add((f), "acpi", (id), (sev), __VA_ARGS__) < 0) \
                        return -ENOMEM;                                         \
        } while (0)

static void copy_name(char *dst, const uint8_t *src, size_t n) {
        for (size_t i = 0; i < n; i++)
                dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char) src[i] : '?';
        dst[n] = '\0';
}

uint32_t acpi_tpm2_min_length(uint32_t start_method) {
        switch (start_method) {
        case 2:         /* ACPI start method: 4 bytes of start-method parameters */
                return 56;
        case 11:        /* CRB with ARM SMC: 12 bytes of parameters */
                return 64;
        case 13:        /* CRB with Pluton: start and reply addresses */
                return 68;
        default:
                return 52;
        }
}

const char *acpi_tpm2_start_method_to_string(uint32_t start_method) {
        switch (start_method) {
        case 1:
                return "legacy";
        case 2:
                return "ACPI start method";
        case 6:
                return "memory-mapped I/O (TIS)";
        case 7:
                return "command response buffer";
        case 8:
                return "command response buffer with ACPI start method";
        case 11:
                return "command response buffer with ARM SMC";
        case 12:
                return "FIFO over I2C";
        case 13:
                return "command response buffer with Pluton";
        default:
                return "unknown";
        }
}

static int parse_dmar_scopes(const uint8_t *p, size_t len, struct acpi_dmar_scope *scopes,
                             size_t *n_scopes, const char *name, struct hw_findings *f) {
        size_t off = 0;

        *n_scopes = 0;
        while (off < len) {
                struct acpi_dmar_scope *s;
                size_t slen, npath;

                if (len - off < 6) {
                        ACPI_ADD(f, "acpi-dmar-malformed", HW_SEVERITY_WARN,
                                 "%s: a device scope is cut short (%zu bytes left, 6 needed); the table is malformed.",
                                 name, len - off);
                        return 0;
                }
                slen = p[off + 1];
                if (slen < 6 || slen > len - off) {
                        ACPI_ADD(f, "acpi-dmar-malformed", HW_SEVERITY_WARN,
                                 "%s: a device scope has length %zu (needs 6 to %zu); the rest of this unit's scopes are ignored.",
                                 name, slen, len - off);
                        return 0;
                }
                if (*n_scopes >= ACPI_DMAR_MAX_SCOPES) {
                        ACPI_ADD(f, "acpi-dmar-too-many", HW_SEVERITY_WARN,
                                 "%s: a unit has more than %d device scopes; the rest are not shown.",
                                 name, ACPI_DMAR_MAX_SCOPES);
                        return 0;
                }
                s = &scopes[(*n_scopes)++];
                *s = (struct acpi_dmar_scope) {
                        .type = p[off],
                        .enumeration_id = p[off + 4],
                        .bus = p[off + 5],
                };
                npath = (slen - 6) / 2;
                if (npath > ACPI_DMAR_MAX_PATH) {
                        ACPI_ADD(f, "acpi-dmar-malformed", HW_SEVERITY_WARN,
                                 "%s: a device scope has a %zu-element PCI path; only %d are kept.",
                                 name, npath, ACPI_DMAR_MAX_PATH);
                        npath = ACPI_DMAR_MAX_PATH;
                }
                for (size_t i = 0; i < npath; i++) {
                        s->path[i][0] = p[off + 6 + 2 * i];
                        s->path[i][1] = p[off + 7 + 2 * i];
                }
                s->n_path = (uint8_t) npath;
                off += slen;
        }
        return 0;
}

static int parse_dmar(struct acpi_info *a, const uint8_t *t, size_t len, const char *name,
                      struct hw_findings *f) {
        struct acpi_dmar *d;
        size_t off = 48;
        int r;

        if (len < 48) {
                ACPI_ADD(f, "acpi-dmar-malformed", HW_SEVERITY_FAIL,
                         "%s: the DMAR table is %zu bytes, shorter than its 48-byte header; VT-d cannot be used.",
                         name, len);
                return 0;
        }
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        a->dmar = d;
        d->host_address_width = (unsigned) t[36] + 1;
        d->flags = t[37];

        while (off < len) {
                const uint8_t *s = t + off;
                uint16_t type, slen;

                if (len - off < 4) {
                        ACPI_ADD(f, "acpi-dmar-malformed", HW_SEVERITY_WARN,
                                 "%s: %zu stray bytes at the end of the DMAR table.", name, len - off);
                        break;
                }
                type = get_le16(s);
                slen = get_le16(s + 2);
                if (slen < 4) {
                        ACPI_ADD(f, "acpi-dmar-malformed", HW_SEVERITY_FAIL,
                                 "%s: DMAR subtable at offset %zu has length %u; the rest of the table cannot be read.",
                                 name, off, slen);
                        break;
                }
                if (slen > len - off) {
                        ACPI_ADD(f, "acpi-dmar-malformed", HW_SEVERITY_FAIL,
                                 "%s: DMAR subtable at offset %zu (length %u) runs past the end of the table (%zu bytes).",
                                 name, off, slen, len);
                        break;
                }

                switch (type) {
                case 0: {
                        struct acpi_dmar_drhd *u;

                        if (slen < 16) {
                                ACPI_ADD(f, "acpi-dmar-malformed", HW_SEVERITY_WARN,
                                         "%s: DMAR hardware unit at offset %zu is %u bytes (16 needed); ignored.",
                                         name, off, slen);
                                break;
                        }
                        if (d->n_drhd >= ACPI_DMAR_MAX_DRHD) {
                                ACPI_ADD(f, "acpi-dmar-too-many", HW_SEVERITY_WARN,
                                         "%s: more than %d DMAR hardware units; the rest are not shown.",
                                         name, ACPI_DMAR_MAX_DRHD);
                                break;
                        }
                        u = &d->drhd[d->n_drhd++];
                        u->flags = s[4];
                        u->size = s[5];
                        u->segment = get_le16(s + 6);
                        u->base = get_le64(s + 8);
                        r = parse_dmar_scopes(s + 16, slen - 16, u->scopes, &u->n_scopes, name, f);
                        if (r < 0)
                                return r;
                        break;
                }
                case 1: {
                        struct acpi_dmar_rmrr *m;

                        if (slen < 24) {
                                ACPI_ADD(f, "acpi-dmar-malformed", HW_SEVERITY_WARN,
                                         "%s: DMAR reserved-memory region at offset %zu is %u bytes (24 needed); ignored.",
                                         name, off, slen);
                                break;
                        }
                        if (d->n_rmrr >= ACPI_DMAR_MAX_RMRR) {
                                ACPI_ADD(f, "acpi-dmar-too-many", HW_SEVERITY_WARN,
                                         "%s: more than %d reserved-memory regions; the rest are not shown.",
                                         name, ACPI_DMAR_MAX_RMRR);
                                break;
                        }
                        m = &d->rmrr[d->n_rmrr++];
                        m->segment = get_le16(s + 6);
                        m->base = get_le64(s + 8);
                        m->limit = get_le64(s + 16);
                        r = parse_dmar_scopes(s + 24, slen - 24, m->scopes, &m->n_scopes, name, f);
                        if (r < 0)
                                return r;
                        break;
                }
                case 2:
                        d->n_atsr++;
                        break;
                case 3:
                        d->n_rhsa++;
                        break;
                case 4:
                        d->n_andd++;
                        break;
                case 5:
                        d->n_satc++;
                        break;
                default:
                        d->n_other++;
                        break;
                }
                off += slen;
        }
        return 0;
}

static size_t ivhd_entry_length(const uint8_t *e, size_t avail) {
        uint8_t type = e[0];

        if (type == 0xf0) {
                /* ACPI HID device: 22 fixed bytes, then a UID of UID-length bytes */
                if (avail < 22)
                        return 22;
                return 22 + (size_t) e[21];
        }
        return (size_t) 4 << (type >> 6);
}

static int parse_ivhd(struct acpi_ivrs_ivhd *h, const uint8_t *s, size_t slen, size_t hdr,
                      const char *name, struct hw_findings *f) {
        size_t off = hdr;

        while (off < slen) {
                const uint8_t *e = s + off;
                size_t elen = ivhd_entry_length(e, slen - off);

                if (elen > slen - off) {
                        ACPI_ADD(f, "acpi-ivrs-malformed", HW_SEVERITY_WARN,
                                 "%s: IVHD device entry type 0x%02x at offset %zu needs %zu bytes, only %zu left in its block.",
                                 name, e[0], off, elen, slen - off);
                        break;
                }
                h->n_entries++;
                if (e[0] == 0x48) {
                        if (h->n_special >= ACPI_IVRS_MAX_SPECIAL) {
                                ACPI_ADD(f, "acpi-ivrs-too-many", HW_SEVERITY_WARN,
                                         "%s: more than %d special-device entries in one IVHD; the rest are not shown.",
                                         name, ACPI_IVRS_MAX_SPECIAL);
                        } else {
                                struct acpi_ivrs_special *sp = &h->special[h->n_special++];

                                sp->handle = e[4];
                                sp->device_id = get_le16(e + 5);
                                sp->variety = e[7];
                        }
                }
                off += elen;
        }
        return 0;
}

static int parse_ivrs(struct acpi_info *a, const uint8_t *t, size_t len, const char *name,
                      struct hw_findings *f) {
        struct acpi_ivrs *v;
        size_t off = 48;
        int r;

        if (len < 48) {
                ACPI_ADD(f, "acpi-ivrs-malformed", HW_SEVERITY_FAIL,
                         "%s: the IVRS table is %zu bytes, shorter than its 48-byte header; AMD-Vi cannot be used.",
                         name, len);
                return 0;
        }
        v = calloc(1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        a->ivrs = v;
        v->info = get_le32(t + 36);

        while (off < len) {
                const uint8_t *s = t + off;
                uint8_t type;
                uint16_t slen;

                if (len - off < 4) {
                        ACPI_ADD(f, "acpi-ivrs-malformed", HW_SEVERITY_WARN,
                                 "%s: %zu stray bytes at the end of the IVRS table.", name, len - off);
                        break;
                }
                type = s[0];
                slen = get_le16(s + 2);
                if (slen < 4) {
                        ACPI_ADD(f, "acpi-ivrs-malformed", HW_SEVERITY_FAIL,
                                 "%s: IVRS subtable at offset %zu has length %u; the rest of the table cannot be read.",
                                 name, off, slen);
                        break;
                }
                if (slen > len - off) {
                        ACPI_ADD(f, "acpi-ivrs-malformed", HW_SEVERITY_FAIL,
                                 "%s: IVRS subtable at offset %zu (length %u) runs past the end of the table (%zu bytes).",
                                 name, off, slen, len);
                        break;
                }

                if (type == 0x10 || type == 0x11 || type == 0x40) {
                        size_t hdr = type == 0x10 ? 24 : 40;
                        struct acpi_ivrs_ivhd *h;

                        if (slen < hdr) {
                                ACPI_ADD(f, "acpi-ivrs-malformed", HW_SEVERITY_WARN,
                                         "%s: IVHD type 0x%02x at offset %zu is %u bytes (%zu needed); ignored.",
                                         name, type, off, slen, hdr);
                        } else if (v->n_ivhd >= ACPI_IVRS_MAX_IVHD) {
                                ACPI_ADD(f, "acpi-ivrs-too-many", HW_SEVERITY_WARN,
                                         "%s: more than %d IVHD blocks; the rest are not shown.",
                                         name, ACPI_IVRS_MAX_IVHD);
                        } else {
                                h = &v->ivhd[v->n_ivhd++];
                                h->type = type;
                                h->flags = s[1];
                                h->device_id = get_le16(s + 4);
                                h->capability_offset = get_le16(s + 6);
                                h->base = get_le64(s + 8);
                                h->segment = get_le16(s + 16);
                                h->iommu_info = get_le16(s + 18);
                                h->feature_reporting = get_le32(s + 20);
                                if (hdr == 40)
                                        h->efr = get_le64(s + 24);
                                r = parse_ivhd(h, s, slen, hdr, name, f);
                                if (r < 0)
                                        return r;
                        }
                } else if (type >= 0x20 && type <= 0x22) {
                        struct acpi_ivrs_ivmd *m;

                        if (slen < 32) {
                                ACPI_ADD(f, "acpi-ivrs-malformed", HW_SEVERITY_WARN,
                                         "%s: IVMD at offset %zu is %u bytes (32 needed); ignored.", name, off, slen);
                        } else if (v->n_ivmd >= ACPI_IVRS_MAX_IVMD) {
                                ACPI_ADD(f, "acpi-ivrs-too-many", HW_SEVERITY_WARN,
                                         "%s: more than %d IVMD blocks; the rest are not shown.",
                                         name, ACPI_IVRS_MAX_IVMD);
                        } else {
                                m = &v->ivmd[v->n_ivmd++];
                                m->type = type;
                                m->flags = s[1];
                                m->device_id = get_le16(s + 4);
                                m->aux = get_le16(s + 6);
                                m->start = get_le64(s + 16);
                                m->length = get_le64(s + 24);
                        }
                }
                off += slen;
        }
        return 0;
}

static int parse_tpm2(struct acpi_info *a, const uint8_t *t, size_t len, const char *name,
                      struct hw_findings *f) {
        struct acpi_tpm2 *p = calloc(1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        a->tpm2 = p;
        p->length = (uint32_t) len;
        if (len >= 38)
                p->platform_class = get_le16(t + 36);
        if (len >= 48)
                p->control_address = get_le64(t + 40);
        if (len >= 52)
                p->start_method = get_le32(t + 48);
        if (len >= 76) {
                p->has_log = true;
                p->laml = get_le32(t + 64);
                p->lasa = get_le64(t + 68);
        }
        return 0;
}

static int parse_tcpa(struct acpi_info *a, const uint8_t *t, size_t len, const char *name,
                      struct hw_findings *f) {
        struct acpi_tcpa *p;

        if (a->tcpa)
                return 0;
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        a->tcpa = p;
        p->length = (uint32_t) len;
        if (len >= 38)
                p->platform_class = get_le16(t + 36);
        if (len >= 50) {
                p->laml = get_le32(t + 38);
                p->lasa = get_le64(t + 42);
        } else {
                ACPI_ADD(f, "acpi-tcpa-malformed", HW_SEVERITY_WARN,
                         "%s: the TCPA table is %zu bytes, too short to hold the event log address (50 needed).",
                         name, len);
        }
        return 0;
}

static int parse_madt(struct acpi_info *a, const uint8_t *t, size_t len, const char *name,
                      struct hw_findings *f) {
        struct acpi_madt *m;
        size_t off = 44;

        if (len < 44) {
                ACPI_ADD(f, "acpi-madt-malformed", HW_SEVERITY_FAIL,
                         "%s: the MADT is %zu bytes, shorter than its 44-byte header.", name, len);
                return 0;
        }
        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        a->madt = m;
        m->lapic_address = get_le32(t + 36);
        m->flags = get_le32(t + 40);

        while (off < len) {
                const uint8_t *s = t + off;
                uint8_t type, slen;

                if (len - off < 2) {
                        ACPI_ADD(f, "acpi-madt-malformed", HW_SEVERITY_WARN,
                                 "%s: a stray byte at the end of the MADT.", name);
                        break;
                }
                type = s[0];
                slen = s[1];
                if (slen < 2) {
                        ACPI_ADD(f, "acpi-madt-malformed", HW_SEVERITY_FAIL,
                                 "%s: MADT entry at offset %zu has length %u; the rest of the table cannot be read.",
                                 name, off, slen);
                        break;
                }
                if (slen > len - off) {
                        ACPI_ADD(f, "acpi-madt-malformed", HW_SEVERITY_FAIL,
                                 "%s: MADT entry at offset %zu (length %u) runs past the end of the table.",
                                 name, off, slen);
                        break;
                }
                switch (type) {
                case 0:
                        if (slen >= 8) {
                                m->n_lapic++;
                                if (get_le32(s + 4) & 1)
                                        m->n_lapic_enabled++;
                        }
                        break;
                case 1:
                        if (slen < 12) {
                                ACPI_ADD(f, "acpi-madt-malformed", HW_SEVERITY_WARN,
                                         "%s: I/O APIC entry at offset %zu is %u bytes (12 needed); ignored.",
                                         name, off, slen);
                        } else if (m->n_ioapics >= ACPI_MADT_MAX_IOAPIC) {
                                ACPI_ADD(f, "acpi-madt-too-many", HW_SEVERITY_WARN,
                                         "%s: more than %d I/O APICs; the rest are not shown.",
                                         name, ACPI_MADT_MAX_IOAPIC);
                        } else {
                                struct acpi_madt_ioapic *io = &m->ioapics[m->n_ioapics++];

                                io->id = s[2];
                                io->address = get_le32(s + 4);
                                io->gsi_base = get_le32(s + 8);
                        }
                        break;
                case 2:
                        m->n_iso++;
                        break;
                case 4:
                case 0x0a:
                        m->n_nmi++;
                        break;
                case 9:
                        if (slen >= 16) {
                                m->n_x2apic++;
                                if (get_le32(s + 8) & 1)
                                        m->n_x2apic_enabled++;
                        }
                        break;
                default:
                        break;
                }
                off += slen;
        }
        return 0;
}

static int parse_mcfg(struct acpi_info *a, const uint8_t *t, size_t len, const char *name,
                      struct hw_findings *f) {
        struct acpi_mcfg *m;

        if (len < 44) {
                ACPI_ADD(f, "acpi-mcfg-malformed", HW_SEVERITY_WARN,
                         "%s: the MCFG is %zu bytes, shorter than its 44-byte header.", name, len);
                return 0;
        }
        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        a->mcfg = m;
        if ((len - 44) % 16 != 0)
                ACPI_ADD(f, "acpi-mcfg-malformed", HW_SEVERITY_WARN,
                         "%s: the MCFG body is not a whole number of 16-byte allocations.", name);
        for (size_t off = 44; off + 16 <= len; off += 16) {
                struct acpi_mcfg_alloc *c;

                if (m->n_alloc >= ACPI_MCFG_MAX_ALLOC) {
                        ACPI_ADD(f, "acpi-mcfg-too-many", HW_SEVERITY_WARN,
                                 "%s: more than %d MCFG allocations; the rest are not shown.",
                                 name, ACPI_MCFG_MAX_ALLOC);
                        break;
                }
                c = &m->alloc[m->n_alloc++];
                c->base = get_le64(t + off);
                c->segment = get_le16(t + off + 8);
                c->start_bus = t[off + 10];
                c->end_bus = t[off + 11];
        }
        return 0;
}

static int parse_facp(struct acpi_info *a, const uint8_t *t, size_t len, const char *name,
                      struct hw_findings *f) {
        struct acpi_facp *p = calloc(1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        a->facp = p;
        p->revision = t[8];
        if (len >= 111 && p->revision >= 2) {
                p->iapc_boot_arch = get_le16(t + 109);
                p->has_boot_arch = true;
        }
        if (len >= 116) {
                p->flags = get_le32(t + 112);
                p->hw_reduced = p->flags & (UINT32_C(1) << 20);
        }
        return 0;
}

static int parse_hpet(struct acpi_info *a, const uint8_t *t, size_t len, const char *name,
                      struct hw_findings *f) {
        struct acpi_hpet *p;

        if (len < 56) {
                ACPI_ADD(f, "acpi-hpet-malformed", HW_SEVERITY_WARN,
                         "%s: the HPET table is %zu bytes (56 needed).", name, len);
                return 0;
        }
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        a->hpet = p;
        p->event_timer_block_id = get_le32(t + 36);
        p->base = get_le64(t + 44);
        p->number = t[52];
        return 0;
}

int acpi_parse_table(struct acpi_info *a, const uint8_t *data, size_t size, const char *name,
                     struct hw_findings *f) {
        struct acpi_table_info *ti;
        char sig[5];
        uint32_t length;
        size_t len;
        uint8_t sum = 0;

        if (!name)
                name = "ACPI table";
        if (size < ACPI_HEADER_SIZE) {
                ACPI_ADD(f, "acpi-table-truncated", HW_SEVERITY_WARN,
                         "%s: only %zu bytes, shorter than an ACPI table header (36); ignored.", name, size);
                return 0;
        }
        copy_name(sig, data, 4);
        length = get_le32(data + 4);
        if (length < ACPI_HEADER_SIZE) {
                ACPI_ADD(f, "acpi-table-truncated", HW_SEVERITY_WARN,
                         "%s: table %s claims length %u, shorter than its own header; ignored.",
                         name, sig, length);
                return 0;
        }
        if (length > ACPI_MAX_TABLE_SIZE) {
                ACPI_ADD(f, "acpi-table-truncated", HW_SEVERITY_WARN,
                         "%s: table %s claims length %u, more than %u bytes; ignored.",
                         name, sig, length, ACPI_MAX_TABLE_SIZE);
                return 0;
        }
        len = length;
        if (len > size) {
                ACPI_ADD(f, "acpi-table-truncated", HW_SEVERITY_WARN,
                         "%s: table %s claims %u bytes but only %zu are present; parsing what is there.",
                         name, sig, length, size);
                len = size;
        }

        for (size_t i = 0; i < len; i++)
                sum = (uint8_t) (sum + data[i]);

        if (a->n_tables < ACPI_MAX_TABLES) {
                ti = &a->tables[a->n_tables++];
                memcpy(ti->signature, sig, sizeof(sig));
                copy_name(ti->oem_id, data + 10, 6);
                copy_name(ti->oem_table_id, data + 16, 8);
                ti->length = length;
                ti->size = (uint32_t) len;
                ti->revision = data[8];
                ti->checksum_ok = sum == 0 && len == length;
        }
        if (sum != 0 && len == length)
                ACPI_ADD(f, "acpi-checksum", HW_SEVERITY_WARN,
                         "%s: table %s has a bad checksum (bytes sum to 0x%02x); the firmware or the dump is corrupt, so its contents are doubtful.",
                         name, sig, sum);

#define ONCE(field, s)                                                                     \
        if (a->field) {                                                                    \
                ACPI_ADD(f, "acpi-duplicate-table", HW_SEVERITY_WARN,                      \
                         "%s: a second %s table; only the first one is used.", name, (s)); \
                return 0;                                                                  \
        }
        if (memcmp(sig, "DMAR", 4) == 0) {
                ONCE(dmar, "DMAR");
                return parse_dmar(a, data, len, name, f);
        }
        if (memcmp(sig, "IVRS", 4) == 0) {
                ONCE(ivrs, "IVRS");
                return parse_ivrs(a, data, len, name, f);
        }
        if (memcmp(sig, "TPM2", 4) == 0) {
                ONCE(tpm2, "TPM2");
                return parse_tpm2(a, data, len, name, f);
        }
        if (memcmp(sig, "TCPA", 4) == 0) {
                ONCE(tcpa, "TCPA");
                return parse_tcpa(a, data, len, name, f);
        }
        if (memcmp(sig, "APIC", 4) == 0) {
                ONCE(madt, "APIC");
                return parse_madt(a, data, len, name, f);
        }
        if (memcmp(sig, "MCFG", 4) == 0) {
                ONCE(mcfg, "MCFG");
                return parse_mcfg(a, data, len, name, f);
        }
        if (memcmp(sig, "FACP", 4) == 0) {
                ONCE(facp, "FACP");
                return parse_facp(a, data, len, name, f);
        }
        if (memcmp(sig, "HPET", 4) == 0) {
                ONCE(hpet, "HPET");
                return parse_hpet(a, data, len, name, f);
        }
#undef ONCE
        return 0;
}

void acpi_info_done(struct acpi_info *a) {
        free(a->dmar);
        free(a->ivrs);
        free(a->tpm2);
        free(a->tcpa);
        free(a->madt);
        free(a->mcfg);
        free(a->facp);
        free(a->hpet);
        *a = (struct acpi_info) {};
}
