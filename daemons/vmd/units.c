/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Starting the systemd units a VM requires, without blocking the event loop:
 * StartUnit gives a job path; systemd's JobRemoved signal for that path tells its
 * result.  systemd sends the method reply before the job's signal on the same
 * connection, so a job is always known by the time its signal is read. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "units.h"
#include "util.h"
#include "vmdef.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
/* StartUnit only queues a job, but systemd answers no call while it reloads its
 * units (a daemon-reload on a loaded machine was seen to take 2 minutes): the
 * bus's default 25 s would count that wait as a failed start of the VM. */
#define START_UNIT_TIMEOUT_USEC (300ULL * 1000000ULL)

typedef struct Request {
        struct Request *next;
        Units *owner;
        char vm[VMDEF_NAME_MAX + 1];
        char **units;
        size_t n, next_unit;
        char *job;              /* the job being waited for */
        sd_bus_slot *call;      /* the StartUnit call in flight */
        sd_event_source *defer; /* the first StartUnit, from the event loop */
} Request;

struct Units {
        sd_bus *bus;
        sd_bus_slot *match;
        units_done_t done;
        void *userdata;
        Request *requests;
};

static Request *request_free(Request *q) {
        if (!q)
                return NULL;
        sd_bus_slot_unref(q->call);
        sd_event_source_disable_unref(q->defer);
        for (size_t i = 0; i < q->n; i++)
                free(q->units[i]);
        free(q->units);
        free(q->job);
        free(q);
        return NULL;
}

static void request_unlink(Units *u, Request *q) {
        for (Request **p = &u->requests; *p; p = &(*p)->next)
                if (*p == q) {
                        *p = q->next;
                        return;
                }
}

/* Report and drop the request. */
static void request_finish(Request *q, int r, const char *error) {
        Units *u = q->owner;
        char vm[sizeof(q->vm)];

        memcpy(vm, q->vm, sizeof(vm));
        request_unlink(u, q);
        request_free(q);
        u->done(vm, r, error, u->userdata);
}

static int request_next(Request *q);

static int on_start_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Request *q = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *job;
        int r;

        q->call = sd_bus_slot_unref(q->call);
        if (e) {
                _cleanup_free_ char *msg = NULL;

                if (asprintf(&msg, "%s cannot be started: %s", q->units[q->next_unit - 1],
                             e->message ?: e->name) < 0)
                        msg = NULL;
                request_finish(q, -sd_bus_error_get_errno(e) ?: -EIO, msg);
                return 0;
        }
        r = sd_bus_message_read(reply, "o", &job);
        if (r < 0 || !(q->job = strdup(job))) {
                request_finish(q, r < 0 ? r : -ENOMEM, "bad reply from systemd to StartUnit");
                return 0;
        }
        log_debug("%s: waiting for %s (%s)", q->vm, q->units[q->next_unit - 1], q->job);
        return 0;
}

/* Start the next unit, or report success. */
static int request_next(Request *q) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        free(q->job);
        q->job = NULL;
        if (q->next_unit >= q->n) {
                request_finish(q, 0, NULL);
                return 0;
        }
        log_info("%s: starting %s", q->vm, q->units[q->next_unit]);
        r = sd_bus_message_new_method_call(q->owner->bus, &m, SYSTEMD_DEST, SYSTEMD_PATH,
                                           SYSTEMD_MANAGER, "StartUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", q->units[q->next_unit], "replace");
        if (r < 0)
                return r;
        r = sd_bus_call_async(q->owner->bus, &q->call, m, on_start_reply, q, START_UNIT_TIMEOUT_USEC);
        q->next_unit++;
        return r;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Units *u = userdata;
        const char *job, *unit, *result;
        uint32_t id;
        Request *q;
        int r;

        r = sd_bus_message_read(m, "uoss", &id, &job, &unit, &result);
        if (r < 0)
                return 0;
        for (q = u->requests; q; q = q->next)
                if (q->job && strcmp(q->job, job) == 0)
                        break;
        if (!q)
                return 0;
        if (strcmp(result, "done") != 0) {
                _cleanup_free_ char *msg = NULL;

                if (asprintf(&msg, "%s %s (journalctl -u %s)", unit,
                             strcmp(result, "dependency") == 0 ? "has a dependency that failed" :
                             strcmp(result, "timeout") == 0 ? "timed out" : "failed", unit) < 0)
                        msg = NULL;
                request_finish(q, -EIO, msg ?: "a required unit failed");
                return 0;
        }
        r = request_next(q);
        if (r < 0)
                request_finish(q, r, "cannot ask systemd to start a unit");
        return 0;
}

/* The request is started from a deferred event source so that done() never runs
 * inside units_start(). */
static int on_defer(sd_event_source *s, void *userdata) {
        Request *q = userdata;
        int r;

        q->defer = sd_event_source_disable_unref(q->defer);
        r = request_next(q);
        if (r < 0)
                request_finish(q, r, "cannot ask systemd to start a unit");
        return 0;
}

int units_start(Units *u, const char *vm, char *const *units, size_t n) {
        Request *q;
        int r;

        if (strlen(vm) >= sizeof(q->vm))
                return -EINVAL;
        units_cancel(u, vm);
        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->owner = u;
        strcpy(q->vm, vm);
        q->units = calloc(n ?: 1, sizeof(char *));
        if (!q->units) {
                free(q);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                q->units[i] = strdup(units[i]);
                if (!q->units[i]) {
                        q->n = i;
                        request_free(q);
                        return -ENOMEM;
                }
        }
        q->n = n;
        r = sd_event_add_defer(sd_bus_get_event(u->bus), &q->defer, on_defer, q);
        if (r < 0) {
                request_free(q);
                return r;
        }
        q->next = u->requests;
        u->requests = q;
        return 0;
}

void units_cancel(Units *u, const char *vm) {
        for (Request *q = u->requests; q; q = q->next)
                if (strcmp(q->vm, vm) == 0) {
                        request_unlink(u, q);
                        request_free(q);  /* drops its call and deferred start: no report */
                        return;
                }
}

int units_new(sd_bus *bus, units_done_t done, void *userdata, Units **ret) {
        _cleanup_free_ Units *u = NULL;
        int r;

        if (!sd_bus_get_event(bus))
                return -EINVAL;
        u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        u->bus = sd_bus_ref(bus);
        u->done = done;
        u->userdata = userdata;
        r = sd_bus_match_signal(bus, &u->match, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                "JobRemoved", on_job_removed, u);
        if (r < 0) {
                sd_bus_unref(u->bus);
                return r;
        }
        /* systemd sends job signals only to subscribed clients. */
        r = sd_bus_call_method_async(bus, NULL, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                     "Subscribe", NULL, NULL, "");
        if (r < 0) {
                sd_bus_slot_unref(u->match);
                sd_bus_unref(u->bus);
                return r;
        }
        *ret = TAKE_PTR(u);
        return 0;
}

Units *units_free(Units *u) {
        if (!u)
                return NULL;
        while (u->requests) {
                Request *q = u->requests;

                u->requests = q->next;
                request_free(q);
        }
        sd_bus_slot_unref(u->match);
        sd_bus_unref(u->bus);
        free(u);
        return NULL;
}
