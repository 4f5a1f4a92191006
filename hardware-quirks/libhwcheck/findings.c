/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"

const char *hw_severity_to_string(enum hw_severity s) {
        switch (s) {
        case HW_SEVERITY_OK:
                return "ok";
        case HW_SEVERITY_WARN:
                return "warn";
        case HW_SEVERITY_FAIL:
                return "fail";
        }
        return "fail";
}

int hw_findings_add(struct hw_findings *f, const char *category, const char *id,
                    enum hw_severity severity, const char *format, ...) {
        struct hw_finding *n;
        char *msg = NULL;
        va_list ap;
        int r;

        if (f->n >= HW_FINDINGS_MAX) {
                f->dropped++;
                return 0;
        }
        if (f->n >= f->alloc) {
                size_t want = f->alloc ? f->alloc * 2 : 16;

                n = reallocarray(f->items, want, sizeof(*n));
                if (!n)
                        return -ENOMEM;
                f->items = n;
                f->alloc = want;
        }

        va_start(ap, format);
        r = vasprintf(&msg, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;

        n = &f->items[f->n];
        n->id = strdup(id);
        n->category = strdup(category);
        if (!n->id || !n->category) {
                free(n->id);
                free(n->category);
                free(msg);
                return -ENOMEM;
        }
        n->severity = severity;
        n->message = msg;
        f->n++;
        return 0;
}

const struct hw_finding *hw_findings_find(const struct hw_findings *f, const char *id) {
        for (size_t i = 0; i < f->n; i++)
                if (strcmp(f->items[i].id, id) == 0)
                        return &f->items[i];
        return NULL;
}

int hw_findings_worst(const struct hw_findings *f, const char *category) {
        int worst = -1;

        for (size_t i = 0; i < f->n; i++)
                if (strcmp(f->items[i].category, category) == 0 && (int) f->items[i].severity > worst)
                        worst = (int) f->items[i].severity;
        return worst;
}

void hw_findings_done(struct hw_findings *f) {
        for (size_t i = 0; i < f->n; i++) {
                free(f->items[i].id);
                free(f->items[i].category);
                free(f->items[i].message);
        }
        free(f->items);
        *f = (struct hw_findings) {};
}
