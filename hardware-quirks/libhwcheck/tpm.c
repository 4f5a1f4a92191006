/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TPM query: presence and version from sysfs; for TPM 2.0 the manufacturer,
 * firmware version, owner and lockout state through tss2-esys
 * GetCapability.  tss2 loads its TCTI at run time; a missing TPM, TCTI or
 * resource manager is a result ("none" / an error string), not a failure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "live.h"
#include "util.h"

static void set_manufacturer(struct hw_tpm *t, uint32_t v) {
        char m[5];

        for (int i = 0; i < 4; i++) {
                char c = (char) ((v >> (24 - 8 * i)) & 0xff);
                m[i] = (c >= 0x20 && c < 0x7f) ? c : '\0';
        }
        m[4] = '\0';
        /* "IBM\0", "INTC", "AMD\0", "STM " */
        snprintf(t->manufacturer, sizeof(t->manufacturer), "%s", m);
        for (size_t i = strlen(t->manufacturer); i > 0 && t->manufacturer[i - 1] == ' '; i--)
                t->manufacturer[i - 1] = '\0';
}

static int tpm2_query(struct hw_tpm *t, const char *conf) {
        TSS2_TCTI_CONTEXT *tcti = NULL;
        ESYS_CONTEXT *esys = NULL;
        TPMS_CAPABILITY_DATA *cap = NULL;
        TPMI_YES_NO more = TPM2_NO;
        TSS2_RC rc;
        uint32_t fw1 = 0, fw2 = 0;
        bool have_fw = false;
        int r = 0;

        /* tss2 logs TCTI trouble to stderr at warning level: keep it quiet,
         * the report carries the error. */
        setenv("TSS2_LOG", "all+NONE", 0);

        rc = Tss2_TctiLdr_Initialize(conf, &tcti);
        if (rc != TSS2_RC_SUCCESS) {
                snprintf(t->error, sizeof(t->error), "cannot open TCTI \"%s\": %s", conf ? conf : "default",
                         Tss2_RC_Decode(rc));
                return -ENODEV;
        }
        rc = Esys_Initialize(&esys, tcti, NULL);
        if (rc != TSS2_RC_SUCCESS) {
                snprintf(t->error, sizeof(t->error), "Esys_Initialize: %s", Tss2_RC_Decode(rc));
                r = -EIO;
                goto out;
        }

        rc = Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
                                TPM2_PT_FIXED, TPM2_MAX_TPM_PROPERTIES, &more, &cap);
        if (rc == TPM2_RC_INITIALIZE) {
                /* a simulator that was never started: do it once */
                rc = Esys_Startup(esys, TPM2_SU_CLEAR);
                if (rc == TSS2_RC_SUCCESS)
                        rc = Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                                TPM2_CAP_TPM_PROPERTIES, TPM2_PT_FIXED, TPM2_MAX_TPM_PROPERTIES,
                                                &more, &cap);
        }
        if (rc != TSS2_RC_SUCCESS) {
                snprintf(t->error, sizeof(t->error), "GetCapability(fixed properties): %s", Tss2_RC_Decode(rc));
                r = -EIO;
                goto out;
        }
        t->version = HW_TPM_2_0;
        snprintf(t->source, sizeof(t->source), "tss2-esys");
        for (uint32_t i = 0; i < cap->data.tpmProperties.count && i < TPM2_MAX_TPM_PROPERTIES; i++) {
                const TPMS_TAGGED_PROPERTY *p = &cap->data.tpmProperties.tpmProperty[i];

                switch (p->property) {
                case TPM2_PT_MANUFACTURER:
                        set_manufacturer(t, p->value);
                        break;
                case TPM2_PT_FIRMWARE_VERSION_1:
                        fw1 = p->value;
                        have_fw = true;
                        break;
                case TPM2_PT_FIRMWARE_VERSION_2:
                        fw2 = p->value;
                        break;
                default:
                        break;
                }
        }
        if (have_fw)
                snprintf(t->firmware_version, sizeof(t->firmware_version), "%u.%u.%u.%u", fw1 >> 16, fw1 & 0xffff,
                         fw2 >> 16, fw2 & 0xffff);
        Esys_Free(cap);
        cap = NULL;

        rc = Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_TPM_PROPERTIES,
                                TPM2_PT_VAR, TPM2_MAX_TPM_PROPERTIES, &more, &cap);
        if (rc != TSS2_RC_SUCCESS) {
                snprintf(t->error, sizeof(t->error), "GetCapability(variable properties): %s", Tss2_RC_Decode(rc));
                goto out;
        }
        for (uint32_t i = 0; i < cap->data.tpmProperties.count && i < TPM2_MAX_TPM_PROPERTIES; i++) {
                const TPMS_TAGGED_PROPERTY *p = &cap->data.tpmProperties.tpmProperty[i];

                switch (p->property) {
                case TPM2_PT_PERMANENT:
                        t->owned = (p->value & TPMA_PERMANENT_OWNERAUTHSET) ? HW_YES : HW_NO;
                        t->lockout = (p->value & TPMA_PERMANENT_INLOCKOUT) ? HW_YES : HW_NO;
                        break;
                case TPM2_PT_LOCKOUT_COUNTER:
                        t->lockout_counter = p->value;
                        break;
                case TPM2_PT_MAX_AUTH_FAIL:
                        t->max_auth_fail = p->value;
                        break;
                default:
                        break;
                }
        }
out:
        Esys_Free(cap);
        if (esys)
                Esys_Finalize(&esys);
        Tss2_TctiLdr_Finalize(&tcti);
        return r;
}

static int read_small(const char *path, char **ret) {
        return read_full_file(path, 64 * 1024, ret, NULL);
}

int hw_tpm_query(struct hw_tpm *t, const char *tcti_conf) {
        _cleanup_free_ char *major = NULL, *caps = NULL, *owned = NULL;
        struct stat st;

        if (tcti_conf)
                return tpm2_query(t, tcti_conf);

        if (stat("/sys/class/tpm/tpm0", &st) < 0 && stat("/sys/class/misc/tpm0", &st) < 0) {
                t->version = HW_TPM_NONE;
                snprintf(t->source, sizeof(t->source), "sysfs");
                return 0;
        }
        if (read_small("/sys/class/tpm/tpm0/tpm_version_major", &major) >= 0 && strstrip(major)[0] == '2') {
                if (tpm2_query(t, "device:/dev/tpmrm0") < 0) {
                        /* present, but not queryable (no root, no resource manager) */
                        t->version = HW_TPM_2_0;
                        snprintf(t->source, sizeof(t->source), "sysfs");
                }
                return 0;
        }

        /* TPM 1.2: the kernel's caps file ("Manufacturer: 0x49465800", "Firmware version: 6.40") */
        if (read_small("/sys/class/tpm/tpm0/caps", &caps) >= 0 ||
            read_small("/sys/class/tpm/tpm0/device/caps", &caps) >= 0) {
                char *m = strstr(caps, "Manufacturer: 0x"), *fw = strstr(caps, "Firmware version: ");

                t->version = HW_TPM_1_2;
                snprintf(t->source, sizeof(t->source), "sysfs");
                if (m)
                        set_manufacturer(t, (uint32_t) strtoul(m + 16, NULL, 16));
                if (fw) {
                        fw += strlen("Firmware version: ");
                        snprintf(t->firmware_version, sizeof(t->firmware_version), "%.*s", (int) strcspn(fw, "\n"), fw);
                }
        } else if (!major) {
                /* no version file and no caps: a 2.0 device on an old kernel */
                return tpm2_query(t, "device:/dev/tpmrm0");
        }
        if (read_small("/sys/class/tpm/tpm0/owned", &owned) >= 0 ||
            read_small("/sys/class/tpm/tpm0/device/owned", &owned) >= 0)
                t->owned = strstrip(owned)[0] == '1' ? HW_YES : HW_NO;
        return 0;
}
