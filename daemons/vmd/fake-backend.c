/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake-backend.h"
#include "macro.h"

typedef struct Pending {
        FakeBackend *b;
        bool is_create;
        char name[VMDEF_NAME_MAX + 1];
        uint32_t domid;
        int r;
        VmExit how;
} Pending;

static int deliver(sd_event_source *s, uint64_t usec, void *userdata) {
        Pending *p = userdata;
        FakeBackend *b = p->b;

        if (p->is_create)
                b->base.events->created(b->base.userdata, p->name, p->domid, p->r,
                                        p->r < 0 ? "fake create failure" : NULL);
        else
                b->base.events->exited(b->base.userdata, p->name, p->domid, p->how);
        free(p);
        return 0;
}

static int schedule(FakeBackend *b, Pending *p, uint64_t delay) {
        int r;

        p->b = b;
        /* Floating: the loop owns the source. */
        r = sd_event_add_time_relative(b->event, NULL, CLOCK_MONOTONIC, delay, 0, deliver, p);
        if (r < 0)
                free(p);
        return r;
}

FakeDomain *fake_backend_find(FakeBackend *b, const char *name) {
        for (unsigned i = 0; i < FAKE_DOMAINS_MAX; i++)
                if (b->domains[i].alive && strcmp(b->domains[i].name, name) == 0)
                        return &b->domains[i];
        return NULL;
}

static FakeDomain *find_domid(FakeBackend *b, uint32_t domid) {
        for (unsigned i = 0; i < FAKE_DOMAINS_MAX; i++)
                if (b->domains[i].alive && b->domains[i].domid == domid)
                        return &b->domains[i];
        return NULL;
}

static FakeDomain *add(FakeBackend *b, const char *name, uint32_t domid) {
        for (unsigned i = 0; i < FAKE_DOMAINS_MAX; i++)
                if (!b->domains[i].alive) {
                        b->domains[i].alive = true;
                        b->domains[i].domid = domid;
                        snprintf(b->domains[i].name, sizeof(b->domains[i].name), "%s", name);
                        return &b->domains[i];
                }
        return NULL;
}

static int fake_create(VmBackend *base, const VmDef *def, const uint8_t uuid[16]) {
        FakeBackend *b = (FakeBackend *) base;
        Pending *p;

        if (fake_backend_find(b, def->name))
                return -EEXIST;
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        b->n_creates++;
        if (strlen(b->create_log) + strlen(def->name) + 2 < sizeof(b->create_log)) {
                if (b->create_log[0])
                        strcat(b->create_log, " ");
                strcat(b->create_log, def->name);
        }
        p->is_create = true;
        snprintf(p->name, sizeof(p->name), "%s", def->name);
        if (b->fail_creates > 0) {
                b->fail_creates--;
                p->r = -EIO;
                p->domid = VM_DOMID_INVALID;
        } else {
                p->domid = b->next_domid++;
                add(b, def->name, p->domid);
        }
        return schedule(b, p, b->create_delay_usec);
}

int fake_backend_exit(FakeBackend *b, uint32_t domid, VmExit how) {
        FakeDomain *d = find_domid(b, domid);
        Pending *p;

        if (!d)
                return -ENOENT;
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        snprintf(p->name, sizeof(p->name), "%s", d->name);
        p->domid = domid;
        p->how = how;
        d->alive = false;
        return schedule(b, p, 0);
}

static int fake_shutdown(VmBackend *base, uint32_t domid) {
        FakeBackend *b = (FakeBackend *) base;

        if (!find_domid(b, domid))
                return -ENOENT;
        b->n_shutdowns++;
        if (b->ignore_shutdown)
                return 0;
        return fake_backend_exit(b, domid, VM_EXIT_POWEROFF);
}

static int fake_destroy(VmBackend *base, uint32_t domid) {
        FakeBackend *b = (FakeBackend *) base;

        b->n_destroys++;
        return fake_backend_exit(b, domid, VM_EXIT_DESTROYED);
}

static int fake_lookup(VmBackend *base, const char *name, VmDomainInfo *ret) {
        FakeDomain *d = fake_backend_find((FakeBackend *) base, name);

        if (!d)
                return -ENOENT;
        *ret = (VmDomainInfo) { .domid = d->domid, .uuid = { 0xaa, [15] = 0x01 } };
        return 0;
}

static void fake_free(VmBackend *base) {
        FakeBackend *b = (FakeBackend *) base;

        sd_event_unref(b->event);
        free(b);
}

static const VmBackendOps fake_ops = {
        .create = fake_create,
        .shutdown = fake_shutdown,
        .destroy = fake_destroy,
        .lookup = fake_lookup,
        .free = fake_free,
};

int fake_backend_new(sd_event *event, FakeBackend **ret) {
        FakeBackend *b = calloc(1, sizeof(*b));

        if (!b)
                return -ENOMEM;
        b->base.ops = &fake_ops;
        b->event = sd_event_ref(event);
        b->next_domid = 1;
        *ret = b;
        return 0;
}

void fake_backend_add_running(FakeBackend *b, const char *name, uint32_t domid) {
        add(b, name, domid);
        if (domid >= b->next_domid)
                b->next_domid = domid + 1;
}
