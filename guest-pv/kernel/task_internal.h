/* SPDX-License-Identifier: MIT */
/* Between the trap handler and the task code. */
#ifndef GUEST_TASK_INTERNAL_H
#define GUEST_TASK_INTERNAL_H

#include "guest.h"

void task_syscall(struct trap_frame *f);

#endif
