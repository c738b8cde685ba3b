/* SPDX-License-Identifier: MIT */
/* Who may use the host disk's queue, and until when: one request at a time, asynchronous, with a
 * deadline, handed round-robin between the guests that asked while it was taken. Pure logic on
 * times the caller reads (timebase ticks), unit tested on the host; hyp/blk/blk.c drives it under
 * the host disk lock and does what it decides to the device (hyp/drv/virtio_blk.c). */
#ifndef HYP_BLK_HOSTQ_H
#define HYP_BLK_HOSTQ_H

#include <stdbool.h>
#include <stdint.h>

/* Owners are disk ids (a VM's id), one bit each in the waiting set. */
#define HOSTQ_IDS 64u
/* The owner of a request nobody wants any more (its VM stopped, its device was reset). */
#define HOSTQ_NOBODY 0xffffffffu

enum hostq_state
{
    HOSTQ_IDLE,      /* nothing on the device's queue */
    HOSTQ_BUSY,      /* one request on it, owner's, until deadline */
    HOSTQ_RESETTING, /* its request timed out: the device is being reset and takes nothing */
};

struct hostq
{
    enum hostq_state state;
    unsigned owner;    /* BUSY: whose request it is (or HOSTQ_NOBODY) */
    uint64_t deadline; /* BUSY: the request has timed out once this time has passed */
    uint64_t timeout;  /* how long a request may take */
    uint64_t grace;    /* how long a turn is kept for a waiter that does not come */
    uint64_t waiting;  /* ids told "busy" since the queue was last given */
    unsigned turn;     /* IDLE: the only id that may take the queue before turn_until */
    uint64_t turn_until;
    unsigned last; /* the last owner: the next turn goes to the first waiter after it */
    uint64_t completed, timeouts;
};

void hostq_init(struct hostq *q, uint64_t timeout, uint64_t grace);
/* id wants to put a request on the queue at time now: true when it may (the queue is then BUSY with
 * id's request, due by now + timeout), false when the queue is taken or it is another's turn (id
 * then waits for a turn of its own). */
bool hostq_claim(struct hostq *q, unsigned id, uint64_t now);
/* The device answered the request on the queue (BUSY): returns its owner and frees the queue, the
 * next turn going to a waiter. */
unsigned hostq_complete(struct hostq *q, uint64_t now);
/* BUSY and past its deadline: true, with *owner the request's owner; the queue is RESETTING until
 * hostq_reset_done. */
bool hostq_expired(struct hostq *q, uint64_t now, unsigned *owner);
/* The device took its reset: the queue is free (RESETTING -> IDLE). */
void hostq_reset_done(struct hostq *q, uint64_t now);
/* id's request, if on the queue, is no longer wanted (it runs on, owned by nobody), and id stops
 * waiting or gives up its turn. */
void hostq_forget(struct hostq *q, unsigned id, uint64_t now);

#endif
