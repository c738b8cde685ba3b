// SPDX-License-Identifier: MIT
// The host disk queue's state machine (hostq.h): claims, deadlines, turns.
#include "blk/hostq.h"

void hostq_init(struct hostq *q, uint64_t timeout, uint64_t grace)
{
    *q = (struct hostq){ .state = HOSTQ_IDLE,
                         .owner = HOSTQ_NOBODY,
                         .timeout = timeout,
                         .grace = grace,
                         .turn = HOSTQ_NOBODY,
                         .last = HOSTQ_IDS - 1 };
}

static uint64_t bit(unsigned id)
{
    return 1ull << id;
}

/* The queue is free at now: it is kept for the first waiter after the last owner for a grace
 * period, so that a guest whose exits come first cannot take it again and again while another
 * guest waits (whoever looks first would otherwise win every time). */
static void give_turn(struct hostq *q, uint64_t now)
{
    q->state = HOSTQ_IDLE;
    q->owner = HOSTQ_NOBODY;
    q->turn = HOSTQ_NOBODY;
    for (unsigned k = 1; k <= HOSTQ_IDS && q->waiting; k++) {
        unsigned id = (q->last + k) % HOSTQ_IDS;
        if (q->waiting & bit(id)) {
            q->waiting &= ~bit(id);
            q->turn = id;
            q->turn_until = now + q->grace;
            return;
        }
    }
}

bool hostq_claim(struct hostq *q, unsigned id, uint64_t now)
{
    if (id >= HOSTQ_IDS) {
        return false;
    }
    if (q->state != HOSTQ_IDLE ||
        (q->turn != HOSTQ_NOBODY && q->turn != id && now < q->turn_until)) {
        q->waiting |= bit(id);
        return false;
    }
    q->state = HOSTQ_BUSY;
    q->owner = id;
    q->last = id;
    q->deadline = now + q->timeout;
    q->waiting &= ~bit(id);
    q->turn = HOSTQ_NOBODY;
    return true;
}

unsigned hostq_complete(struct hostq *q, uint64_t now)
{
    unsigned owner = q->owner;

    if (q->state != HOSTQ_BUSY) {
        return HOSTQ_NOBODY;
    }
    q->completed++;
    give_turn(q, now);
    return owner;
}

bool hostq_expired(struct hostq *q, uint64_t now, unsigned *owner)
{
    if (q->state != HOSTQ_BUSY || now <= q->deadline) {
        return false;
    }
    *owner = q->owner;
    q->owner = HOSTQ_NOBODY;
    q->state = HOSTQ_RESETTING;
    q->timeouts++;
    return true;
}

void hostq_reset_done(struct hostq *q, uint64_t now)
{
    if (q->state == HOSTQ_RESETTING) {
        give_turn(q, now);
    }
}

void hostq_forget(struct hostq *q, unsigned id, uint64_t now)
{
    if (id >= HOSTQ_IDS) {
        return;
    }
    q->waiting &= ~bit(id);
    if (q->state == HOSTQ_BUSY && q->owner == id) {
        q->owner = HOSTQ_NOBODY;
    }
    if (q->state == HOSTQ_IDLE && q->turn == id) {
        give_turn(q, now); /* the turn passes on at once */
    }
}
