/* SPDX-License-Identifier: MIT */
/* Steal-time accounting (SBI STA, hyp/sbi/sbi_sta.c): how long each vCPU was ready to run but
 * waited for its hart, told to the guest through a record in its memory. The scheduler reports the
 * moments that matter; without records they cost a test or two, and no call. */
#ifndef HYP_SBI_STA_H
#define HYP_SBI_STA_H

#include <stdbool.h>
#include <stdint.h>

struct pcpu;
struct vcpu;

struct vcpu_sta {
    bool on;      /* a record is registered: the rest means something */
    bool waiting; /* runnable and off its hart since ready_at */
    uint32_t seq; /* the record's sequence as we last wrote it (the guest's copy is not read) */
    uint64_t gpa; /* the record: 64 bytes of RAM, 64-byte aligned */
    uint64_t ready_at; /* timer ticks */
    uint64_t steal;    /* timer ticks waited in all, since the record was registered */
};

/* The vCPU became runnable at `now` (woken, started) and waits until it is next run. Called under
 * its hart's queue lock, from any hart. */
void sta_ready(struct vcpu *v, uint64_t now);
/* Hart c is about to run `next` at `now` (before it enters next's VM, holding no VM lock but
 * next's own exit's), having run `prev` last (may be NULL); prev still runnable is preempted.
 * Locks each VM that spans harts. */
void sta_switch(struct pcpu *c, struct vcpu *prev, struct vcpu *next, uint64_t now);
/* The vCPU starts a new life (reset, HSM start): it reports nothing until it registers again. */
void sta_reset(struct vcpu *v);
/* Timer ticks to nanoseconds at `freq` Hz, without overflow for any tick count a run reaches. */
uint64_t sta_ticks_to_ns(uint64_t ticks, uint64_t freq);

#endif
