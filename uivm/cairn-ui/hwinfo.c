/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "hwinfo.h"
#include "log.h"
#include "model.h"
#include "util.h"

static json_object *get(json_object *o, const char *key) {
        json_object *v = NULL;

        if (!o || !json_object_is_type(o, json_type_object))
                return NULL;
        if (!json_object_object_get_ex(o, key, &v))
                return NULL;
        return v;
}

static const char *get_str(json_object *o, const char *key) {
        json_object *v = get(o, key);
        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* -1 absent/null, 0 false, 1 true */
static int get_bool(json_object *o, const char *key) {
        json_object *v = get(o, key);
        return v && json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : -1;
}

int hwinfo_parse(const char *data, size_t size, hwinfo *ret) {
        json_tokener *tok;
        json_object *root, *dmi, *cpu, *tpm, *fw, *xen, *summary, *v;
        const char *vendor, *product, *s;
        hwinfo h = {};
        int b;

        if (size > HWINFO_REPORT_MAX || size > INT32_MAX)
                return -EFBIG;
        tok = json_tokener_new_ex(32);
        if (!tok)
                return -ENOMEM;
        root = json_tokener_parse_ex(tok, data, (int) size);
        if (!root || json_tokener_get_error(tok) != json_tokener_success) {
                json_tokener_free(tok);
                json_object_put(root);
                return -EINVAL;
        }
        /* One document and nothing after it but white space. */
        for (size_t i = json_tokener_get_parse_end(tok); i < size; i++)
                if (!strchr(" \t\r\n", data[i]) || data[i] == '\0') {
                        json_tokener_free(tok);
                        json_object_put(root);
                        return -EINVAL;
                }
        json_tokener_free(tok);

        v = get(root, "schema");
        if (!v || !json_object_is_type(v, json_type_int) || json_object_get_int64(v) != 1) {
                json_object_put(root);
                return -EINVAL;
        }
        h.present = true;

        dmi = get(root, "dmi");
        vendor = get_str(dmi, "sys_vendor");
        product = get_str(dmi, "product_name");
        if (vendor || product) {
                char buf[200];
                snprintf(buf, sizeof(buf), "%s%s%s", vendor ?: "", vendor && product ? " " : "",
                         product ?: "");
                model_copy_text(h.machine, sizeof(h.machine), buf);
        } else
                model_copy_text(h.machine, sizeof(h.machine), "Unknown");

        cpu = get(root, "cpu");
        s = get_str(cpu, "brand");
        if (!s)
                s = get_str(dmi, "cpu_version");
        model_copy_text(h.cpu, sizeof(h.cpu), s ?: "Unknown");
        v = get(cpu, "count");
        if (s && v && json_object_is_type(v, json_type_int)) {
                int64_t n = json_object_get_int64(v);
                size_t len = strlen(h.cpu);
                if (n > 0 && n < 100000 && len + 16 < sizeof(h.cpu))
                        snprintf(h.cpu + len, sizeof(h.cpu) - len, " (%lld threads)", (long long) n);
        }

        v = get(dmi, "memory_mb");
        if (v && json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0)
                model_format_memory((uint64_t) json_object_get_int64(v), h.memory, sizeof(h.memory));
        else
                model_copy_text(h.memory, sizeof(h.memory), "Unknown");

        tpm = get(root, "tpm");
        s = get_str(tpm, "version");
        if (s && (strcmp(s, "2.0") == 0 || strcmp(s, "1.2") == 0)) {
                const char *manu = get_str(tpm, "manufacturer");
                char buf[100];
                snprintf(buf, sizeof(buf), "TPM %s%s%s", s, manu ? ", " : "", manu ?: "");
                model_copy_text(h.tpm, sizeof(h.tpm), buf);
                model_copy_text(h.measured, sizeof(h.measured),
                                strcmp(s, "2.0") == 0 ? "Measured with TPM 2.0" :
                                "TPM 1.2 only: not supported");
        } else {
                model_copy_text(h.tpm, sizeof(h.tpm), "None found");
                model_copy_text(h.measured, sizeof(h.measured), "Not measured: no TPM");
        }

        fw = get(root, "firmware");
        b = get_bool(fw, "secure_boot");
        model_copy_text(h.secure_boot, sizeof(h.secure_boot),
                        get_bool(fw, "uefi") == 0 ? "Legacy BIOS" :
                        b == 1 ? "On" : b == 0 ? "Off" : "Unknown");

        xen = get(root, "xen");
        b = get_bool(xen, "iommu");
        model_copy_text(h.iommu, sizeof(h.iommu), b == 1 ? "Enabled" : b == 0 ? "Not available" : "Unknown");

        summary = get(root, "summary");
        s = get_str(summary, "verdict");
        model_copy_text(h.verdict, sizeof(h.verdict),
                        s && (strcmp(s, "ok") == 0 || strcmp(s, "warn") == 0 || strcmp(s, "fail") == 0) ?
                        s : "unknown");

        json_object_put(root);
        *ret = h;
        return 0;
}

int hwinfo_load(const char *path, hwinfo *ret) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        int r;

        r = read_full_file(path, HWINFO_REPORT_MAX, &data, &size);
        if (r < 0)
                return log_error_errno(r, "Failed to read hardware report %s: %m", path);
        r = hwinfo_parse(data, size, ret);
        if (r < 0)
                return log_error_errno(r, "%s: not a cairn-hwcheck schema 1 JSON report", path);
        return 0;
}
