/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VM definition files (NAME.vm): key=value lines from the config volume.
 * Untrusted input: every length, count and number is bounded. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

#define VMDEF_NAME_MAX VM_NAME_MAX
#define VMDEF_FILE_MAX (64 * 1024)
#define VMDEF_LINE_MAX 4096
#define VMDEF_VALUE_MAX 1024
#define VMDEF_DISKS_MAX 16
#define VMDEF_NICS_MAX 8
#define VMDEF_PCI_MAX 16
#define VMDEF_REQUIRES_MAX 4
#define VMDEF_UNIT_MAX 255

typedef enum VmType {
        VM_TYPE_PV,
        VM_TYPE_PVH,
        VM_TYPE_HVM,
        _VM_TYPE_MAX,
} VmType;

typedef enum VmRestart {
        VM_RESTART_NEVER,
        VM_RESTART_ON_CRASH,
        VM_RESTART_ALWAYS,
        _VM_RESTART_MAX,
} VmRestart;

typedef struct VmDisk {
        char *target;
        char *vdev;
        bool writable;
} VmDisk;

typedef struct VmNic {
        char *backend;  /* backend domain name, NULL: dom0 */
        char *bridge;
        char *ip;
        char *model;
        char *vifname;
        char *script;
        bool has_mac;
        uint8_t mac[6];
} VmNic;

typedef struct VmPci {
        bool is_class;     /* every device whose base class is `class` */
        uint8_t class;
        uint16_t domain;
        uint8_t bus, dev, func;
} VmPci;

typedef struct VmDef {
        char *path;
        char name[VMDEF_NAME_MAX + 1];
        VmType type;
        uint64_t memory_mib;
        unsigned vcpus;
        char *kernel;
        char *ramdisk;
        char *cmdline;
        char *cpuid;
        VmDisk disks[VMDEF_DISKS_MAX];
        unsigned n_disks;
        VmNic nics[VMDEF_NICS_MAX];
        unsigned n_nics;
        VmPci pcis[VMDEF_PCI_MAX];
        unsigned n_pcis;
        /* systemd units started (and waited for) before each start of the VM,
         * e.g. the unit that opens its image: requires=UNIT.service */
        char *requires[VMDEF_REQUIRES_MAX];
        unsigned n_requires;
        bool vfb;
        bool vkb;
        bool autostart;
        int64_t order;
        VmRestart restart;
        unsigned restart_max;
        unsigned shutdown_timeout;  /* seconds */
} VmDef;

const char *vm_type_to_string(VmType t);
const char *vm_restart_to_string(VmRestart r);

/* Parse a definition held in memory.  `path` names it in messages; when
 * `expect_name` is non-NULL the name= key must equal it.  On a syntax or
 * value error returns -EINVAL and a message "PATH:LINE: what is wrong" in
 * *ret_error (when ret_error is non-NULL). */
int vmdef_parse(const char *path, const char *expect_name, const char *data, size_t size,
                VmDef **ret, char **ret_error);

/* Read and parse PATH; the name must equal the file's base name without ".vm". */
int vmdef_load(const char *path, VmDef **ret, char **ret_error);

/* Load every *.vm file of the directories, in order; a name defined twice keeps
 * the first.  Errors are reported through `report` (one line each) and the file
 * is skipped.  Missing directories are fine.  Returns the number of errors. */
typedef void (*vmdef_report_t)(const char *message, void *userdata);
int vmdef_load_dirs(char *const *dirs, size_t n_dirs, VmDef ***ret_defs, size_t *ret_n,
                    vmdef_report_t report, void *userdata);

/* Canonical key=value form (what `cairn-vmd -n -v` prints; parses back the same). */
void vmdef_dump(const VmDef *def, FILE *f);

VmDef *vmdef_free(VmDef *def);
void vmdef_freep(VmDef **p);
void vmdef_free_many(VmDef **defs, size_t n);
