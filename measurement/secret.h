/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Key material: locked in memory (best effort), erased on free, never logged. */
#pragma once

#include <stddef.h>

#include "macro.h"

void *secret_alloc(size_t size);
void secret_free(void *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(void *, secret_free);
/* The size given to secret_alloc(). */
size_t secret_size(const void *p);
