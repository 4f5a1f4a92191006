/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GRUB module dependency parsing (module files come from the boot medium being predicted). */
#include <stddef.h>
#include <stdint.h>

#include "grubmod.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char **names = NULL;

        if (grubmod_deps(data, size, &names) >= 0)
                strv_free(names);
        return 0;
}
