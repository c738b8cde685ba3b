/* SPDX-License-Identifier: MIT */
/* Included first in every hypervisor file (the Makefile's -include): the image is one position-independent
 * executable with nothing to export, so every symbol, declared or defined, is hidden. The compiler then
 * reaches them PC-relative instead of through the GOT, which keeps hot paths one load shorter. */
#ifndef ARCH_PIE_H
#define ARCH_PIE_H

#pragma GCC visibility push(hidden)

#endif
