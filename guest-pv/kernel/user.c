// SPDX-License-Identifier: MIT
// The U-mode side of system calls: linked into the user window that every task maps.
#include "guest.h"

USER_TEXT long sys_call(long n, long a0, long a1)
{
    register long r0 __asm__("a0") = a0;
    register long r1 __asm__("a1") = a1;
    register long r7 __asm__("a7") = n;

    __asm__ volatile("ecall" : "+r"(r0) : "r"(r1), "r"(r7) : "memory");
    return r0;
}
