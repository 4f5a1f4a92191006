/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VM definition files come from the config volume: fuzz the parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmdef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        VmDef *def = NULL, *again = NULL;
        char *err = NULL, *dump = NULL;
        size_t dump_size = 0;
        FILE *f;

        if (vmdef_parse("fuzz.vm", NULL, (const char *) data, size, &def, &err) == 0) {
                /* What parses must print in canonical form and parse back the same. */
                f = open_memstream(&dump, &dump_size);
                if (!f)
                        abort();
                vmdef_dump(def, f);
                fclose(f);
                if (vmdef_parse("fuzz.vm", def->name, dump, dump_size, &again, NULL) != 0)
                        abort();
                free(dump);
                dump = NULL;
                f = open_memstream(&dump, &dump_size);
                if (!f)
                        abort();
                vmdef_dump(again, f);
                fclose(f);
                {
                        char *first = NULL;
                        size_t first_size = 0;
                        FILE *g = open_memstream(&first, &first_size);
                        if (!g)
                                abort();
                        vmdef_dump(def, g);
                        fclose(g);
                        if (first_size != dump_size || memcmp(first, dump, dump_size) != 0)
                                abort();
                        free(first);
                }
                free(dump);
                vmdef_free(again);
        } else if (!err)
                abort(); /* every rejection says why */
        vmdef_free(def);
        free(err);
        return 0;
}
