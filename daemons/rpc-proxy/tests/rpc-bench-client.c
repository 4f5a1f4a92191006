/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Round trips to rpc-test-service: N calls of Ping (or Echo with SIZE bytes),
 * one after the other, to org.cairn.VMManager1 or to --dest NAME.  Prints
 * "N calls: T s, U us/call".
 * Usage: rpc-bench-client [--dest NAME] ADDRESS N [SIZE] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
        sd_bus *bus = NULL;
        unsigned long n, size = 0;
        void *payload = NULL;
        const char *dest = "org.cairn.VMManager1";
        double t0, t1;
        int r;

        if (argc >= 3 && strcmp(argv[1], "--dest") == 0) {
                dest = argv[2];
                argv += 2;
                argc -= 2;
        }
        if (argc < 3 || argc > 4 || strcmp(argv[1], "--help") == 0) {
                printf("Usage: rpc-bench-client [--dest NAME] ADDRESS N [SIZE]\n");
                return argc >= 2 && strcmp(argv[1], "--help") == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        }
        n = strtoul(argv[2], NULL, 10);
        if (argc == 4) {
                size = strtoul(argv[3], NULL, 10);
                payload = calloc(1, size ? size : 1);
        }
        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, argv[1]);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                fprintf(stderr, "rpc-bench-client: %s: %s\n", argv[1], strerror(-r));
                return EXIT_FAILURE;
        }
        t0 = now();
        for (unsigned long i = 0; i < n; i++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *m = NULL, *reply = NULL;

                if (payload) {
                        r = sd_bus_message_new_method_call(bus, &m, dest, "/org/cairn/VMManager1",
                                                           "org.cairn.VMManager1", "Echo");
                        if (r >= 0)
                                r = sd_bus_message_append_array(m, 'y', payload, size);
                        if (r >= 0)
                                r = sd_bus_call(bus, m, 0, &error, &reply);
                } else
                        r = sd_bus_call_method(bus, dest, "/org/cairn/VMManager1",
                                               "org.cairn.VMManager1", "Ping", &error, &reply, "");
                if (r < 0) {
                        fprintf(stderr, "rpc-bench-client: call %lu: %s\n", i,
                                error.message ? error.message : strerror(-r));
                        return EXIT_FAILURE;
                }
                sd_bus_message_unref(m);
                sd_bus_message_unref(reply);
                sd_bus_error_free(&error);
        }
        t1 = now();
        printf("%lu calls: %.3f s, %.1f us/call\n", n, t1 - t0, (t1 - t0) * 1e6 / (double) (n ? n : 1));
        sd_bus_flush_close_unref(bus);
        free(payload);
        return EXIT_SUCCESS;
}
