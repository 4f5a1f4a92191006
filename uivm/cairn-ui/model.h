/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What cairn-ui shows: the VMs (org.cairn.VMManager1), the NDVM's interfaces
 * (org.cairn.Network1), the hardware summary, and how the links to them stand.
 * Pure data and wording; no SDL, no bus. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MODEL_VMS_MAX 64
#define MODEL_IFS_MAX 16
#define MODEL_ADDRS_MAX 4

typedef struct model_vm {
        char name[33];
        char uuid[37];
        char type[8];
        char state[16];
        int64_t domid;
        uint64_t memory_mib;
        uint32_t vcpus;
} model_vm;

typedef struct model_iface {
        char name[16];
        char mac[18];
        char link[16];
        char addrs[MODEL_ADDRS_MAX][44];
        size_t n_addrs;
} model_iface;

typedef enum model_link {
        MODEL_LINK_CONNECTING,   /* not asked yet */
        MODEL_LINK_UP,           /* the peer answered */
        MODEL_LINK_DOWN,         /* the peer is gone: retrying */
} model_link;

/* A colour role for a VM state; the renderer maps roles to the palette. */
typedef enum model_tone {
        MODEL_TONE_GOOD,
        MODEL_TONE_BUSY,
        MODEL_TONE_IDLE,
        MODEL_TONE_BAD,
} model_tone;

typedef struct model {
        model_vm vms[MODEL_VMS_MAX];
        size_t n_vms;
        model_iface ifaces[MODEL_IFS_MAX];
        size_t n_ifaces;
        model_link vmm_link;      /* org.cairn.VMManager1 */
        model_link net_link;      /* org.cairn.Network1 */
        bool bus_connected;       /* the connection to --bus itself */
        char notice[160];         /* last action's outcome, in plain words ("" = none) */
        bool notice_is_error;
} model;

/* Copy s into a fixed buffer: truncated, control and non-ASCII-printable bytes
 * replaced by '?', so text from another domain is always drawable. */
void model_copy_text(char *dst, size_t size, const char *s);

/* Replace the VM list (sorted by name); returns 0. */
int model_set_vms(model *m, const model_vm *vms, size_t n);
model_vm *model_find_vm(model *m, const char *name);
/* Apply a StateChanged signal; returns the VM's index or -ENOENT. */
int model_vm_state_changed(model *m, const char *name, const char *state, int64_t domid);

/* "Running", "Starting"... for a state the interface defines, else "Unknown". */
const char *model_state_label(const char *state);
model_tone model_state_tone(const char *state);
/* "512 MiB", "2 GiB", "1.5 GiB". */
void model_format_memory(uint64_t mib, char *buf, size_t size);
/* "PV", "PVH", "HVM" or "?". */
const char *model_type_label(const char *type);
/* Which actions make sense in a state. */
bool model_can_start(const char *state);
bool model_can_stop(const char *state);
bool model_can_switch(const char *state);

/* Plain words for a failed method call on a VM: `action` is "start", "stop" or
 * "switch to"; `error_name`/`message` come from sd_bus_error. */
void model_format_error(const char *action, const char *vm, const char *error_name,
                        const char *message, char *buf, size_t size);

/* A sentence about a service VM being unavailable ("The NDVM is restarting"),
 * or NULL when the VM is running or unknown. */
const char *model_service_vm_sentence(const model_vm *vm, char *buf, size_t size);
