/* SPDX-License-Identifier: MIT */
/* Spinlocks for the hypervisor's shared state, on the A extension's AMOs (amoswap.w.aq to take,
 * amoswap/sw with release to give back). Held only for bounded work, never across a guest's run. */
#ifndef ARCH_SPINLOCK_H
#define ARCH_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct spinlock
{
    uint32_t locked;
};

static inline bool spin_trylock(struct spinlock *l)
{
    /* Acquire ordering: nothing of the critical section is seen before the lock is ours. */
    return __atomic_exchange_n(&l->locked, 1u, __ATOMIC_ACQUIRE) == 0;
}

static inline void spin_lock(struct spinlock *l)
{
    while (!spin_trylock(l)) {
        /* Spin on a plain load: the AMO is tried again only once the lock looks free, so waiters
         * do not keep taking the line away from the holder. */
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
        }
    }
}

static inline void spin_unlock(struct spinlock *l)
{
    /* Release ordering: everything done under the lock is visible before it is seen free. */
    __atomic_store_n(&l->locked, 0u, __ATOMIC_RELEASE);
}

#endif
