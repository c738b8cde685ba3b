// SPDX-License-Identifier: MIT
// The host disk queue's state machine (hyp/blk/hostq.c): one request at a time, its deadline, the
// reset after a timeout, turns handed round-robin to the guests that waited, and forgotten owners.
#include <stdint.h>

#include "blk/hostq.h"
#include "check.h"

#define TIMEOUT 1000
#define GRACE 50

static struct hostq q;

TEST(one_request_at_a_time)
{
    hostq_init(&q, TIMEOUT, GRACE);
    CHECK(hostq_claim(&q, 3, 100));
    CHECK_EQ(q.state, HOSTQ_BUSY);
    CHECK_EQ(q.owner, 3u);
    CHECK_EQ(q.deadline, 100u + TIMEOUT);
    CHECK(!hostq_claim(&q, 5, 101)); /* taken */
    CHECK(!hostq_claim(&q, 3, 101)); /* even by its owner: one request on the queue */
    CHECK_EQ(hostq_complete(&q, 200), 3u);
    CHECK_EQ(q.completed, 1u);
    CHECK_EQ(q.state, HOSTQ_IDLE);
}

TEST(deadline_fails_only_that_request_and_the_queue_goes_on)
{
    unsigned owner = 99;
    hostq_init(&q, TIMEOUT, GRACE);
    CHECK(hostq_claim(&q, 1, 0));
    CHECK(!hostq_expired(&q, TIMEOUT, &owner)); /* on the deadline: not yet */
    CHECK_EQ(owner, 99u);
    CHECK(hostq_expired(&q, TIMEOUT + 1, &owner));
    CHECK_EQ(owner, 1u);
    CHECK_EQ(q.timeouts, 1u);
    CHECK_EQ(q.state, HOSTQ_RESETTING);
    /* While the device resets nothing is put on it, and a late answer is nobody's. */
    CHECK(!hostq_claim(&q, 2, TIMEOUT + 2));
    CHECK_EQ(hostq_complete(&q, TIMEOUT + 2), HOSTQ_NOBODY);
    CHECK(!hostq_expired(&q, 10 * TIMEOUT, &owner));
    hostq_reset_done(&q, TIMEOUT + 3);
    CHECK_EQ(q.state, HOSTQ_IDLE);
    /* Guest 2 asked during the reset: its turn now; then guest 1 is served again. */
    CHECK(!hostq_claim(&q, 1, TIMEOUT + 4));
    CHECK(hostq_claim(&q, 2, TIMEOUT + 4));
    CHECK_EQ(hostq_complete(&q, TIMEOUT + 5), 2u);
    CHECK(hostq_claim(&q, 1, TIMEOUT + 6));
    CHECK_EQ(q.deadline, TIMEOUT + 6u + TIMEOUT); /* a fresh deadline per request */
    CHECK_EQ(hostq_complete(&q, TIMEOUT + 7), 1u);
}

TEST(turns_go_round_robin_so_no_waiter_starves)
{
    hostq_init(&q, TIMEOUT, GRACE);
    CHECK(hostq_claim(&q, 0, 0));
    CHECK(!hostq_claim(&q, 7, 1));
    CHECK(!hostq_claim(&q, 4, 1));
    CHECK_EQ(hostq_complete(&q, 2), 0u);
    /* Guest 0 comes back first every time, as a guest whose exits find the answer first does. */
    CHECK(!hostq_claim(&q, 0, 3));
    CHECK(hostq_claim(&q, 4, 3)); /* first waiter after 0 */
    CHECK_EQ(hostq_complete(&q, 4), 4u);
    CHECK(!hostq_claim(&q, 0, 5));
    CHECK(hostq_claim(&q, 7, 5));
    CHECK_EQ(hostq_complete(&q, 6), 7u);
    CHECK(hostq_claim(&q, 0, 7)); /* it waited: wrapping round, its turn */
    CHECK_EQ(hostq_complete(&q, 8), 0u);
    /* Nobody waiting: anyone may take it. */
    CHECK(hostq_claim(&q, 63, 9));
    CHECK(!hostq_claim(&q, 64, 9)); /* no such id */
}

TEST(a_turn_not_taken_lapses)
{
    hostq_init(&q, TIMEOUT, GRACE);
    CHECK(hostq_claim(&q, 0, 0));
    CHECK(!hostq_claim(&q, 1, 1));
    CHECK_EQ(hostq_complete(&q, 10), 0u);
    CHECK(!hostq_claim(&q, 0, 10 + GRACE - 1)); /* guest 1's turn, which it does not take */
    CHECK(hostq_claim(&q, 0, 10 + GRACE));      /* a guest that never comes back blocks nobody */
}

TEST(forgotten_owner_and_waiter)
{
    unsigned owner;
    hostq_init(&q, TIMEOUT, GRACE);
    CHECK(hostq_claim(&q, 2, 0));
    CHECK(!hostq_claim(&q, 5, 1));
    CHECK(!hostq_claim(&q, 6, 1));
    /* 2 stops with its request on the queue: it stays there, nobody's, until answered. */
    hostq_forget(&q, 2, 2);
    CHECK_EQ(q.state, HOSTQ_BUSY);
    CHECK(!hostq_claim(&q, 3, 2));
    /* 3 stops while waiting: the turn skips it (and 5, next after 2, gets it). */
    hostq_forget(&q, 3, 3);
    CHECK_EQ(hostq_complete(&q, 4), HOSTQ_NOBODY);
    CHECK_EQ(q.turn, 5u);
    CHECK(!hostq_claim(&q, 6, 5));
    CHECK(hostq_claim(&q, 5, 5));
    /* A forgotten request still times out, and the device is still reset. */
    hostq_forget(&q, 5, 6);
    CHECK(hostq_expired(&q, 5 + TIMEOUT + 1, &owner));
    CHECK_EQ(owner, HOSTQ_NOBODY);
    hostq_reset_done(&q, 2000);
    CHECK_EQ(q.turn, 6u);
    /* 6 stops before taking its turn: the turn passes on at once, to nobody here. */
    hostq_forget(&q, 6, 2001);
    CHECK_EQ(q.turn, HOSTQ_NOBODY);
    CHECK(hostq_claim(&q, 9, 2001));
}
