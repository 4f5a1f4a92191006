/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "eventlog.h"
#include "report.h"
#include "util.h"

static const char *const pcr_meaning[MEAS_PCR_MAX] = {
        [0] = "the firmware code (a firmware update?)",
        [1] = "the firmware settings",
        [2] = "option ROMs or firmware drivers of add-in devices",
        [3] = "option ROM settings",
        [4] = "the boot loader binary (GRUB's core image) or the boot path",
        [5] = "the boot configuration (partition table, boot variables)",
        [6] = "platform-specific events (resume, vendor)",
        [7] = "the Secure Boot state or its keys",
        [8] = "the GRUB commands and command lines (Xen's and dom0's, incl. the dom0 image root hash)",
        [9] = "the files GRUB loaded (its config, modules, Xen, dom0 kernel, initramfs)",
};

int report_add_eventlog(const char *path, meas_log *log) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r;

        r = read_full_file(path, EVENTLOG_MAX_SIZE, &data, &size);
        if (r < 0)
                return r;
        return eventlog_parse((const uint8_t *) data, size, log, NULL);
}

/* Events of one component: same pcr, kind, index and (for files) path. */
static bool same_component(const meas_event *a, const meas_event *b) {
        if (a->pcr != b->pcr || a->kind != b->kind || a->index != b->index)
                return false;
        if (a->kind == MEAS_KIND_GRUB_MODULE || a->kind == MEAS_KIND_GRUB_CONFIG)
                return a->text && b->text && strcmp(a->text, b->text) == 0;
        return true;
}

static bool component_equal(const meas_log *x, const meas_log *y, const meas_event *key) {
        size_t i = 0, j = 0;

        for (;;) {
                while (i < x->n_events && !same_component(&x->events[i], key))
                        i++;
                while (j < y->n_events && !same_component(&y->events[j], key))
                        j++;
                if (i == x->n_events || j == y->n_events)
                        return i == x->n_events && j == y->n_events;
                if (memcmp(x->events[i].digest, y->events[j].digest, MEAS_DIGEST_SIZE) != 0)
                        return false;
                i++;
                j++;
        }
}

static const meas_event *find_component(const meas_log *l, const meas_event *key) {
        for (size_t i = 0; l && i < l->n_events; i++)
                if (same_component(&l->events[i], key))
                        return &l->events[i];
        return NULL;
}

/* Does the dom0 command line differ only in cairn.verity=? */
static bool only_verity_differs(const char *a, const char *b) {
        const char *pa = strstr(a, "cairn.verity="), *pb = strstr(b, "cairn.verity=");
        size_t ea, eb;

        if (!pa || !pb || pa - a != pb - b || strncmp(a, b, (size_t) (pa - a)) != 0)
                return false;
        ea = strcspn(pa, " ");
        eb = strcspn(pb, " ");
        return strcmp(pa + ea, pb + eb) == 0;
}

static int add_reason(json_object *reasons, const char *fmt, ...) _printf_(2, 3);
static int add_reason(json_object *reasons, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return json_object_array_add(reasons, json_object_new_string(s)) < 0 ? -ENOMEM : 0;
}

static void explain_component(json_object *reasons, const meas_event *key, const meas_event *old,
                              const meas_event *new) {
        char buf[256];
        const char *what = meas_event_component(key, buf, sizeof(buf));

        if (!old) {
                add_reason(reasons, "%s was added", what);
                return;
        }
        if (!new) {
                add_reason(reasons, "%s is no longer part of the boot", what);
                return;
        }
        if (key->kind == MEAS_KIND_MODULE_CMDLINE && key->index == 0 && old->text && new->text &&
            only_verity_differs(old->text, new->text)) {
                add_reason(reasons, "the dom0 image changed (its dm-verity root hash on the dom0 command line)");
                return;
        }
        if ((key->kind == MEAS_KIND_KERNEL_CMDLINE || key->kind == MEAS_KIND_MODULE_CMDLINE) && old->text && new->text) {
                add_reason(reasons, "%s changed: \"%s\" is now \"%s\"", what, old->text, new->text);
                return;
        }
        add_reason(reasons, "%s changed", what);
}

static int filter_pcr(const meas_log *in, unsigned pcr, meas_log *out) {
        /* A shallow copy of one PCR's events (texts stay owned by in). */
        out->events = NULL;
        out->n_events = 0;
        if (!in || in->n_events == 0)
                return 0;
        out->events = calloc(in->n_events, sizeof(meas_event));
        if (!out->events)
                return -ENOMEM;
        for (size_t i = 0; i < in->n_events; i++)
                if (in->events[i].pcr == pcr)
                        out->events[out->n_events++] = in->events[i];
        return 0;
}

static void explain_pcr(json_object *reasons, unsigned pcr, const cairn_token *t, const meas_log *now) {
        _cleanup_free_ meas_event *sev = NULL, *nev = NULL;
        meas_log sealed = {}, present = {};
        bool any = false, other_than_commands = false;

        if (filter_pcr(&t->events, pcr, &sealed) < 0 || filter_pcr(now, pcr, &present) < 0) {
                free(sealed.events);
                add_reason(reasons, "PCR %u changed (out of memory while explaining)", pcr);
                return;
        }
        sev = sealed.events;
        nev = present.events;

        if (sealed.n_events == 0 || present.n_events == 0) {
                add_reason(reasons, "PCR %u changed: it covers %s%s", pcr, pcr_meaning[pcr] ?: "other components",
                           sealed.n_events == 0 ? "" : " (no prediction for the present boot to compare with)");
                return;
        }
        for (int pass = 0; pass < 2; pass++) {
                const meas_log *l = pass == 0 ? &sealed : &present;

                for (size_t i = 0; i < l->n_events; i++) {
                        const meas_event *key = &l->events[i];
                        bool seen = false;

                        /* First occurrence of the component only. */
                        for (size_t k = 0; k < i && !seen; k++)
                                seen = same_component(&l->events[k], key);
                        if (pass == 1)
                                seen = seen || find_component(&sealed, key);
                        if (seen || key->kind == MEAS_KIND_GRUB_COMMAND)
                                continue;
                        if (component_equal(&sealed, &present, key))
                                continue;
                        explain_component(reasons, key, find_component(&sealed, key), find_component(&present, key));
                        any = other_than_commands = true;
                }
        }
        if (!other_than_commands) {
                meas_event cmd = { .pcr = pcr, .kind = MEAS_KIND_GRUB_COMMAND };

                if (!component_equal(&sealed, &present, &cmd)) {
                        add_reason(reasons, "the boot menu changed (GRUB's commands differ)");
                        any = true;
                }
        }
        if (!any)
                add_reason(reasons, "PCR %u changed, but the present boot medium predicts the sealed events: "
                                    "this boot did not follow the predicted path (another menu entry or medium?)",
                           pcr);
}

int report_print(FILE *f, const cairn_token *t, const tpm2_pcr_values current, const meas_log *now, bool json) {
        json_object *root = json_object_new_object(), *pcrs = json_object_new_array();
        unsigned n_diff = 0;
        char hex[2 * MEAS_DIGEST_SIZE + 1];

        if (!root || !pcrs)
                return -ENOMEM;
        for (unsigned p = 0; p < MEAS_PCR_MAX; p++) {
                json_object *o, *reasons;
                bool differs;

                if (!(t->pcr_mask & (1u << p)))
                        continue;
                o = json_object_new_object();
                reasons = json_object_new_array();
                json_object_object_add(o, "pcr", json_object_new_int((int) p));
                hex_encode(t->pcr_values[p], MEAS_DIGEST_SIZE, hex);
                json_object_object_add(o, "sealed", json_object_new_string(hex));
                if (current) {
                        hex_encode(current[p], MEAS_DIGEST_SIZE, hex);
                        json_object_object_add(o, "current", json_object_new_string(hex));
                        differs = memcmp(current[p], t->pcr_values[p], MEAS_DIGEST_SIZE) != 0;
                } else {
                        /* Without a TPM, compare against the prediction for the present boot. */
                        uint8_t v[MEAS_DIGEST_SIZE];

                        if (!now || !(meas_log_pcrs(now) & (1u << p))) {
                                json_object_object_add(o, "match", NULL);
                                json_object_array_add(pcrs, o);
                                json_object_put(reasons);
                                continue;
                        }
                        meas_log_replay(now, p, v);
                        differs = memcmp(v, t->pcr_values[p], MEAS_DIGEST_SIZE) != 0;
                }
                json_object_object_add(o, "match", json_object_new_boolean(!differs));
                if (differs) {
                        n_diff++;
                        explain_pcr(reasons, p, t, now);
                        if (current && now && (meas_log_pcrs(now) & (1u << p))) {
                                uint8_t v[MEAS_DIGEST_SIZE];

                                meas_log_replay(now, p, v);
                                if (memcmp(v, current[p], MEAS_DIGEST_SIZE) != 0 && p >= 8)
                                        add_reason(reasons, "note: PCR %u of this boot also differs from the prediction for the given medium", p);
                        }
                }
                json_object_object_add(o, "reasons", reasons);
                json_object_array_add(pcrs, o);
        }
        json_object_object_add(root, "pcrs", pcrs);
        json_object_object_add(root, "changed", json_object_new_int((int) n_diff));

        if (json)
                fprintf(f, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        else if (n_diff == 0)
                fprintf(f, "All sealed PCRs match%s: the TPM should release the config key.\n",
                        current ? " their current values" : " the prediction");
        else {
                fprintf(f, "The config key is sealed to measurements that changed:\n");
                for (size_t i = 0; i < json_object_array_length(pcrs); i++) {
                        json_object *o = json_object_array_get_idx(pcrs, i), *m, *rs, *pv;

                        if (!json_object_object_get_ex(o, "match", &m) || !m || json_object_get_boolean(m))
                                continue;
                        json_object_object_get_ex(o, "pcr", &pv);
                        json_object_object_get_ex(o, "reasons", &rs);
                        fprintf(f, "- PCR %d:\n", json_object_get_int(pv));
                        for (size_t k = 0; k < json_object_array_length(rs); k++)
                                fprintf(f, "    %s\n", json_object_get_string(json_object_array_get_idx(rs, k)));
                }
                fprintf(f, "Unlock with the recovery passphrase, then reseal if the change is expected.\n");
        }
        json_object_put(root);
        return n_diff > 0 ? 1 : 0;
}
