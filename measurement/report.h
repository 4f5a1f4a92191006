/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Explain, in sentences, why the sealed key does not unseal: which PCRs differ from the
 * values sealed in the token, and which components feed each, by comparing the token's
 * recorded events with a prediction for the present boot medium and the firmware log. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "measlog.h"
#include "token.h"

/* Parse a firmware event log file and append its events to log. */
int report_add_eventlog(const char *path, meas_log *log);
/* current: PCR values now (NULL: unknown); now: events of the present boot (prediction
 * and/or firmware log; NULL: none). */
int report_print(FILE *f, const cairn_token *t, const tpm2_pcr_values current, const meas_log *now, bool json);
