/* SPDX-License-Identifier: MIT */
/* Fixed virtual addresses of the trap engine, shared by C and assembly. */
#ifndef ARCH_LAYOUT_H
#define ARCH_LAYOUT_H

/* The hypervisor's alias: its image mapped at the top 1 GiB slot (511) of every root a guest runs on
 * under the trap engine, without the U bit. Guests cannot map anything there themselves. */
#define ARCH_ALIAS_BASE 0xffffffffc0000000

#endif
