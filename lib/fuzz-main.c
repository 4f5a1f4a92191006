/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A main() for fuzz targets built without libFuzzer: feeds every file named on
 * the command line (or every file in a named directory) to
 * LLVMFuzzerTestOneInput once.  The unit-test run uses it to replay the seed
 * corpus and past crashes through each target under the sanitizers. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_one(const char *path) {
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        int r;

        r = read_full_file(path, 64 * 1024 * 1024, &data, &size);
        if (r < 0) {
                fprintf(stderr, "fuzz-replay: cannot read %s: %s\n", path, strerror(-r));
                return r;
        }
        LLVMFuzzerTestOneInput((const uint8_t *) data, size);
        return 0;
}

int main(int argc, char **argv) {
        int n = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "fuzz-replay: %s: %s\n", argv[i], strerror(errno));
                        return EXIT_FAILURE;
                }
                if (S_ISDIR(st.st_mode)) {
                        DIR *d = opendir(argv[i]);
                        struct dirent *de;

                        if (!d)
                                return EXIT_FAILURE;
                        while ((de = readdir(d))) {
                                _cleanup_free_ char *p = NULL;

                                if (de->d_name[0] == '.')
                                        continue;
                                if (asprintf(&p, "%s/%s", argv[i], de->d_name) < 0)
                                        return EXIT_FAILURE;
                                if (run_one(p) < 0) {
                                        closedir(d);
                                        return EXIT_FAILURE;
                                }
                                n++;
                        }
                        closedir(d);
                } else {
                        if (run_one(argv[i]) < 0)
                                return EXIT_FAILURE;
                        n++;
                }
        }
        printf("fuzz-replay: %d inputs, no crash\n", n);
        return n > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
