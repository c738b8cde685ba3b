// SPDX-License-Identifier: MIT
// Per-hart run queue (ring) and sleep queue (deadline heap); see runq.h.
#include "runq.h"

#include "vm.h"

bool runq_has(const struct vcpu *v)
{
    return v->rq_next != (struct vcpu *)0;
}

void runq_add(struct pcpu *c, struct vcpu *v)
{
    if (runq_has(v)) {
        return;
    }
    if (!c->rq) {
        v->rq_next = v->rq_prev = v;
        c->rq = v;
        return;
    }
    /* c->rq is the next to run: v goes just before it, last in this round. */
    v->rq_next = c->rq;
    v->rq_prev = c->rq->rq_prev;
    v->rq_prev->rq_next = v;
    c->rq->rq_prev = v;
}

void runq_remove(struct pcpu *c, struct vcpu *v)
{
    if (!runq_has(v)) {
        return;
    }
    if (v->rq_next == v) {
        c->rq = (struct vcpu *)0;
    } else {
        v->rq_prev->rq_next = v->rq_next;
        v->rq_next->rq_prev = v->rq_prev;
        /* The vCPU after it keeps its turn. */
        if (c->rq == v) {
            c->rq = v->rq_next;
        }
    }
    v->rq_next = v->rq_prev = (struct vcpu *)0;
}

struct vcpu *runq_next(const struct pcpu *c, const struct vcpu *prev)
{
    /* prev's own hart, not its VM's first: the vCPUs of a VM on several harts share one VM. */
    if (prev && runq_has(prev) && prev->pcpu == c) {
        return prev->rq_next;
    }
    return c->rq;
}

/* ---- The sleep queue: a binary min-heap on sq_deadline; v->sq_slot is its index + 1, 0 when out.
 */

static void sq_put(struct pcpu *c, unsigned i, struct vcpu *v)
{
    c->sq[i] = v;
    v->sq_slot = i + 1;
}

static void sq_up(struct pcpu *c, unsigned i)
{
    struct vcpu *v = c->sq[i];

    while (i > 0 && c->sq[(i - 1) / 2]->sq_deadline > v->sq_deadline) {
        sq_put(c, i, c->sq[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    sq_put(c, i, v);
}

static void sq_down(struct pcpu *c, unsigned i)
{
    struct vcpu *v = c->sq[i];

    for (;;) {
        unsigned l = 2 * i + 1, m = i;
        uint64_t best = v->sq_deadline;
        if (l < c->nsq && c->sq[l]->sq_deadline < best) {
            m = l;
            best = c->sq[l]->sq_deadline;
        }
        if (l + 1 < c->nsq && c->sq[l + 1]->sq_deadline < best) {
            m = l + 1;
        }
        if (m == i) {
            break;
        }
        sq_put(c, i, c->sq[m]);
        i = m;
    }
    sq_put(c, i, v);
}

void sleepq_add(struct pcpu *c, struct vcpu *v, uint64_t deadline)
{
    sleepq_remove(c, v);
    if (deadline == ~0ull) {
        return;
    }
    /* Invariant: a vCPU is in at most one heap slot, and there are at most SLEEPQ_MAX vCPUs per
     * hart (every vCPU of every VM), so the heap cannot overflow. */
    v->sq_deadline = deadline;
    sq_put(c, c->nsq++, v);
    sq_up(c, c->nsq - 1);
}

void sleepq_remove(struct pcpu *c, struct vcpu *v)
{
    if (!v->sq_slot) {
        return;
    }
    unsigned i = v->sq_slot - 1;
    v->sq_slot = 0;
    c->nsq--;
    if (i == c->nsq) {
        return;
    }
    /* The last element fills the hole and moves whichever way its deadline says. */
    struct vcpu *last = c->sq[c->nsq];
    sq_put(c, i, last);
    if (i > 0 && c->sq[(i - 1) / 2]->sq_deadline > last->sq_deadline) {
        sq_up(c, i);
    } else {
        sq_down(c, i);
    }
}

struct vcpu *sleepq_first(const struct pcpu *c)
{
    return c->nsq ? c->sq[0] : (struct vcpu *)0;
}

uint64_t sleepq_deadline(const struct pcpu *c)
{
    return c->nsq ? c->sq[0]->sq_deadline : ~0ull;
}
