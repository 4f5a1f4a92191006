/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "bus.h"
#include "log.h"

#define VMM_NAME "org.cairn.VMManager1"
#define VMM_PATH "/org/cairn/VMManager1"
#define NET_NAME "org.cairn.Network1"
#define NET_PATH "/org/cairn/Network1"
#define CON_NAME "org.cairn.Console1"
#define CON_PATH "/org/cairn/Console1"

#define BACKOFF_MIN_USEC (250 * 1000ULL)
#define BACKOFF_MAX_USEC (8 * 1000 * 1000ULL)
/* Refused by dom0's RPC rules: that changes only with the rules, and every refused
 * call is a line in dom0's journal, so ask far less often. */
#define DENIED_MIN_USEC (30 * 1000 * 1000ULL)
#define DENIED_MAX_USEC (10 * 60 * 1000 * 1000ULL)
#define CALL_TIMEOUT_USEC (10 * 1000 * 1000ULL)
#define HANDSHAKE_TIMEOUT_USEC (5 * 1000 * 1000ULL)

/* One remote service we list from: VM manager or network. */
typedef struct service {
        cbus *b;
        const char *name;
        sd_event_source *retry;
        uint64_t backoff;
        sd_bus_slot *call;
} service;

struct cbus {
        sd_event *event;
        char *address;
        sd_bus *bus;
        sd_bus_slot *matches[6];
        sd_event_source *reconnect;
        sd_event_source *handshake;     /* gives up on a peer that never completes Hello */
        uint64_t backoff;
        model *m;
        service vmm, net;
        const cbus_ops *ops;
        void *userdata;
};

static int connect_bus(cbus *b);
static void schedule_reconnect(cbus *b);
static void service_request(service *s);

/* Doubling from min, capped at max. */
static uint64_t backoff_double(uint64_t prev, uint64_t min, uint64_t max) {
        if (prev < min)
                return min;
        return prev * 2 > max ? max : prev * 2;
}

uint64_t cbus_backoff_denied_next(uint64_t prev) {
        return backoff_double(prev, DENIED_MIN_USEC, DENIED_MAX_USEC);
}

uint64_t cbus_backoff_next(uint64_t prev) {
        return backoff_double(prev, BACKOFF_MIN_USEC, BACKOFF_MAX_USEC);
}

static void changed(cbus *b) {
        b->ops->changed(b->userdata);
}

static bool error_is_unreachable(const sd_bus_error *e, int r) {
        return r == -ECONNRESET || r == -ENOTCONN || r == -ETIMEDOUT ||
               sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                      SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_DISCONNECTED, SD_BUS_ERROR_TIMEOUT,
                                      SD_BUS_ERROR_UNKNOWN_OBJECT, SD_BUS_ERROR_UNKNOWN_METHOD);
}

/* ---- service listing with retry ---- */

static model_link *service_link(service *s) {
        return s == &s->b->vmm ? &s->b->m->vmm_link : &s->b->m->net_link;
}

static int on_service_retry(sd_event_source *src, uint64_t usec, void *userdata) {
        service *s = userdata;
        s->retry = sd_event_source_disable_unref(s->retry);
        service_request(s);
        return 0;
}

static void service_retry_later(service *s, const char *why, bool denied) {
        cbus *b = s->b;
        int r;

        if (*service_link(s) != MODEL_LINK_DOWN)
                log_warning("%s unreachable: %s; retrying", s->name, why);
        *service_link(s) = MODEL_LINK_DOWN;
        changed(b);
        if (s->retry || !b->bus)
                return;
        s->backoff = denied ? cbus_backoff_denied_next(s->backoff) : cbus_backoff_next(s->backoff);
        r = sd_event_add_time_relative(b->event, &s->retry, CLOCK_MONOTONIC, s->backoff, 0, on_service_retry, s);
        if (r < 0)
                log_error_errno(r, "Failed to schedule a retry for %s: %m", s->name);
}

static void service_failed(service *s, const char *why) {
        service_retry_later(s, why, false);
}

static void service_ok(service *s) {
        if (*service_link(s) != MODEL_LINK_UP)
                log_info("%s reachable", s->name);
        *service_link(s) = MODEL_LINK_UP;
        s->backoff = 0;
        s->retry = sd_event_source_disable_unref(s->retry);
}

static int parse_vms(sd_bus_message *reply, model *m) {
        model_vm vms[MODEL_VMS_MAX];
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(ssssxtu)");
        if (r < 0)
                return r;
        for (;;) {
                const char *name, *uuid, *type, *state;
                int64_t domid;
                uint64_t mem;
                uint32_t vcpus;

                r = sd_bus_message_read(reply, "(ssssxtu)", &name, &uuid, &type, &state, &domid, &mem, &vcpus);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (n >= MODEL_VMS_MAX)
                        continue;       /* more than we can show: keep the first ones */
                memset(&vms[n], 0, sizeof(vms[n]));
                model_copy_text(vms[n].name, sizeof(vms[n].name), name);
                model_copy_text(vms[n].uuid, sizeof(vms[n].uuid), uuid);
                model_copy_text(vms[n].type, sizeof(vms[n].type), type);
                model_copy_text(vms[n].state, sizeof(vms[n].state), state);
                vms[n].domid = domid;
                vms[n].memory_mib = mem;
                vms[n].vcpus = vcpus;
                n++;
        }
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        return model_set_vms(m, vms, n);
}

static int parse_ifaces(sd_bus_message *reply, model *m) {
        model_iface ifs[MODEL_IFS_MAX];
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(sssas)");
        if (r < 0)
                return r;
        for (;;) {
                const char *name, *mac, *link, *addr;
                model_iface *f = n < MODEL_IFS_MAX ? &ifs[n] : NULL;

                r = sd_bus_message_enter_container(reply, 'r', "sssas");
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = sd_bus_message_read(reply, "sss", &name, &mac, &link);
                if (r < 0)
                        return r;
                if (f) {
                        memset(f, 0, sizeof(*f));
                        model_copy_text(f->name, sizeof(f->name), name);
                        model_copy_text(f->mac, sizeof(f->mac), mac);
                        model_copy_text(f->link, sizeof(f->link), link);
                }
                r = sd_bus_message_enter_container(reply, 'a', "s");
                if (r < 0)
                        return r;
                while ((r = sd_bus_message_read(reply, "s", &addr)) > 0)
                        if (f && f->n_addrs < MODEL_ADDRS_MAX)
                                model_copy_text(f->addrs[f->n_addrs++], sizeof(f->addrs[0]), addr);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
                if (f)
                        n++;
        }
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        memcpy(m->ifaces, ifs, n * sizeof(ifs[0]));
        m->n_ifaces = n;
        return 0;
}

static int on_list_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        service *s = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int r;

        s->call = sd_bus_slot_unref(s->call);
        if (e) {
                char why[200];
                if (s->b->bus && sd_bus_is_ready(s->b->bus) <= 0) {
                        /* The peer accepted the connection but never finished the handshake. */
                        log_warning("%s does not answer (%s); reconnecting", s->b->address, e->name);
                        schedule_reconnect(s->b);
                        return 0;
                }
                snprintf(why, sizeof(why), "%s: %s", e->name, e->message ?: "");
                service_retry_later(s, why, sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED));
                return 0;
        }
        r = s == &s->b->vmm ? parse_vms(reply, s->b->m) : parse_ifaces(reply, s->b->m);
        if (r < 0) {
                log_warning_errno(r, "%s: malformed reply: %m", s->name);
                service_failed(s, "malformed reply");
                return 0;
        }
        service_ok(s);
        changed(s->b);
        return 0;
}

static void service_request(service *s) {
        cbus *b = s->b;
        int r;

        if (!b->bus || s->call)
                return;
        if (s == &b->vmm)
                r = sd_bus_call_method_async(b->bus, &s->call, VMM_NAME, VMM_PATH, VMM_NAME, "ListVMs",
                                             on_list_reply, s, NULL);
        else
                r = sd_bus_call_method_async(b->bus, &s->call, NET_NAME, NET_PATH, NET_NAME, "ListInterfaces",
                                             on_list_reply, s, NULL);
        if (r < 0)
                service_failed(s, strerror(-r));
}

/* ---- signals ---- */

static int on_state_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        cbus *b = userdata;
        const char *name, *state;
        int64_t domid;
        int r;

        r = sd_bus_message_read(msg, "ssx", &name, &state, &domid);
        if (r < 0) {
                log_warning_errno(r, "Malformed StateChanged signal: %m");
                return 0;
        }
        if (model_vm_state_changed(b->m, name, state, domid) < 0)
                service_request(&b->vmm);      /* a VM we do not know: list again */
        b->ops->state_signal(b->userdata);
        changed(b);
        return 0;
}

static int on_net_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        cbus *b = userdata;
        service_request(&b->net);
        return 0;
}

static int on_name_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        cbus *b = userdata;
        const char *name, *old_owner, *new_owner;
        service *s;

        if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        s = strcmp(name, VMM_NAME) == 0 ? &b->vmm : strcmp(name, NET_NAME) == 0 ? &b->net : NULL;
        if (!s)
                return 0;
        if (new_owner[0]) {
                /* Back: ask now rather than at the next retry. */
                s->retry = sd_event_source_disable_unref(s->retry);
                s->backoff = 0;
                s->call = sd_bus_slot_unref(s->call);
                service_request(s);
        } else {
                s->call = sd_bus_slot_unref(s->call);
                service_failed(s, "the service left the bus");
        }
        return 0;
}

/* ---- connection ---- */

static int on_reconnect(sd_event_source *src, uint64_t usec, void *userdata) {
        cbus *b = userdata;
        b->reconnect = sd_event_source_disable_unref(b->reconnect);
        connect_bus(b);
        return 0;
}

static void drop_bus(cbus *b) {
        b->handshake = sd_event_source_disable_unref(b->handshake);
        for (size_t i = 0; i < ELEMENTSOF(b->matches); i++)
                b->matches[i] = sd_bus_slot_unref(b->matches[i]);
        b->vmm.call = sd_bus_slot_unref(b->vmm.call);
        b->net.call = sd_bus_slot_unref(b->net.call);
        b->vmm.retry = sd_event_source_disable_unref(b->vmm.retry);
        b->net.retry = sd_event_source_disable_unref(b->net.retry);
        if (b->bus) {
                sd_bus_detach_event(b->bus);
                /* No flush: it would wait for a peer that may never answer. */
                b->bus = sd_bus_close_unref(b->bus);
        }
}

static void schedule_reconnect(cbus *b) {
        int r;

        b->m->bus_connected = false;
        b->m->vmm_link = MODEL_LINK_DOWN;
        b->m->net_link = MODEL_LINK_DOWN;
        changed(b);
        if (b->reconnect)
                return;
        b->backoff = cbus_backoff_next(b->backoff);
        r = sd_event_add_time_relative(b->event, &b->reconnect, CLOCK_MONOTONIC, b->backoff, 0, on_reconnect, b);
        if (r < 0)
                log_error_errno(r, "Failed to schedule reconnection: %m");
}

static int on_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        cbus *b = userdata;

        log_warning("Lost the connection to %s; reconnecting", b->address);
        /* Freed from the reconnect timer, not inside the bus's own dispatch. */
        schedule_reconnect(b);
        return 0;
}

static int on_handshake_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        cbus *b = userdata;

        b->handshake = sd_event_source_disable_unref(b->handshake);
        if (b->bus && sd_bus_is_ready(b->bus) > 0)
                return 0;
        log_warning("%s accepted the connection but does not answer; reconnecting", b->address);
        schedule_reconnect(b);
        return 0;
}

static int connect_bus(cbus *b) {
        sd_bus *bus = NULL;
        int r;

        drop_bus(b);
        r = sd_bus_new(&bus);
        if (r < 0)
                goto fail;
        r = sd_bus_set_address(bus, b->address);
        if (r < 0)
                goto fail;
        r = sd_bus_set_bus_client(bus, true);
        if (r < 0)
                goto fail;
        (void) sd_bus_set_method_call_timeout(bus, CALL_TIMEOUT_USEC);
        /* Do not flush when the loop exits: the peer may be the reason we exit. */
        (void) sd_bus_set_close_on_exit(bus, false);
        r = sd_bus_start(bus);
        if (r < 0)
                goto fail;
        r = sd_bus_attach_event(bus, b->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                goto fail;
        b->bus = bus;

        /* All matches asynchronous: a peer that accepts the connection and then says
         * nothing must not freeze the screen. */
        r = sd_bus_match_signal_async(bus, &b->matches[0], "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                      "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, NULL, b);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &b->matches[1], NULL, VMM_PATH, VMM_NAME, "StateChanged",
                                              on_state_changed, NULL, b);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &b->matches[2], NULL, NET_PATH, NET_NAME, "Changed",
                                              on_net_changed, NULL, b);
        if (r >= 0)
                r = sd_bus_match_signal_async(bus, &b->matches[3], "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                              "org.freedesktop.DBus", "NameOwnerChanged", on_name_owner_changed,
                                              NULL, b);
        if (r < 0) {
                b->bus = NULL;
                goto fail;
        }

        r = sd_event_add_time_relative(b->event, &b->handshake, CLOCK_MONOTONIC, HANDSHAKE_TIMEOUT_USEC, 0,
                                       on_handshake_timeout, b);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the handshake timer: %m");

        log_info("Connected to %s", b->address);
        b->m->bus_connected = true;
        b->backoff = 0;
        b->m->vmm_link = MODEL_LINK_CONNECTING;
        b->m->net_link = MODEL_LINK_CONNECTING;
        changed(b);
        service_request(&b->vmm);
        service_request(&b->net);
        return 0;

fail:
        if (bus) {
                sd_bus_detach_event(bus);
                sd_bus_close_unref(bus);
        }
        if (b->m->bus_connected || b->backoff == 0)
                log_warning_errno(r, "Cannot connect to %s: %m; retrying", b->address);
        schedule_reconnect(b);
        return r;
}

cbus *cbus_free(cbus *b) {
        if (!b)
                return NULL;
        drop_bus(b);
        sd_event_source_disable_unref(b->reconnect);
        sd_event_unref(b->event);
        free(b->address);
        free(b);
        return NULL;
}

int cbus_new(sd_event *e, const char *address, model *m, const cbus_ops *ops, void *userdata, cbus **ret) {
        cbus *b = calloc(1, sizeof(*b));

        if (!b)
                return log_oom();
        b->address = strdup(address);
        if (!b->address) {
                free(b);
                return log_oom();
        }
        b->event = sd_event_ref(e);
        b->m = m;
        b->ops = ops;
        b->userdata = userdata;
        b->vmm = (service) { .b = b, .name = VMM_NAME };
        b->net = (service) { .b = b, .name = NET_NAME };
        m->bus_connected = false;
        m->vmm_link = MODEL_LINK_CONNECTING;
        m->net_link = MODEL_LINK_CONNECTING;
        connect_bus(b);
        *ret = b;
        return 0;
}

/* ---- actions ---- */

typedef struct action_call {
        cbus *b;
        ui_action a;
} action_call;

static const char *action_verb(ui_action_kind k) {
        return k == UI_ACTION_START ? "start" : k == UI_ACTION_STOP ? "stop" : "switch to";
}

static int on_action_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        action_call *c = userdata;
        model *m = c->b->m;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e) {
                model_format_error(action_verb(c->a.kind), c->a.vm, e->name, e->message, m->notice, sizeof(m->notice));
                m->notice_is_error = true;
                log_warning("%s %s: %s: %s", action_verb(c->a.kind), c->a.vm, e->name, e->message ?: "");
                if (error_is_unreachable(e, 0) && c->a.kind != UI_ACTION_SWITCH)
                        service_failed(&c->b->vmm, e->name);
        } else {
                snprintf(m->notice, sizeof(m->notice), "%s %s.",
                         c->a.kind == UI_ACTION_START ? "Starting" :
                         c->a.kind == UI_ACTION_STOP ? "Stopping" : "Switched to", c->a.vm);
                m->notice_is_error = false;
        }
        changed(c->b);
        return 0;
}

int cbus_action(cbus *b, const ui_action *a) {
        sd_bus_slot *slot = NULL;
        action_call *c;
        int r;

        if (a->kind == UI_ACTION_NONE)
                return 0;
        if (!b->bus) {
                snprintf(b->m->notice, sizeof(b->m->notice), "Cannot %s %s: dom0 is not reachable.",
                         action_verb(a->kind), a->vm);
                b->m->notice_is_error = true;
                changed(b);
                return -ENOTCONN;
        }
        c = calloc(1, sizeof(*c));
        if (!c)
                return log_oom();
        c->b = b;
        c->a = *a;
        if (a->kind == UI_ACTION_SWITCH)
                r = sd_bus_call_method_async(b->bus, &slot, CON_NAME, CON_PATH, CON_NAME, "Focus",
                                             on_action_reply, c, "s", a->vm);
        else
                r = sd_bus_call_method_async(b->bus, &slot, VMM_NAME, VMM_PATH, VMM_NAME,
                                             a->kind == UI_ACTION_START ? "Start" : "Stop",
                                             on_action_reply, c, "s", a->vm);
        if (r < 0) {
                free(c);
                return log_warning_errno(r, "Failed to send %s %s: %m", action_verb(a->kind), a->vm);
        }
        /* The slot lives until the reply (or the bus) goes, and frees `c` with it. */
        sd_bus_slot_set_destroy_callback(slot, free);
        sd_bus_slot_set_floating(slot, 1);
        sd_bus_slot_unref(slot);
        return 0;
}
