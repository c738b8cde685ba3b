/* SPDX-License-Identifier: MIT */
/* Patched privileged instructions of a trap-engine guest kernel. OpenSBI does not delegate illegal
 * instructions: each privileged instruction of the deprivileged kernel costs a detour through
 * M-mode
 * (~400 instructions) before the hypervisor sees it. Once emulated, such an instruction is
 * rewritten in guest memory as `lb x0, imm(x0)` with imm in [-2048, -1025]: a load from the top of
 * the address space (the hypervisor's alias slot, never mapped for U-mode), so a load page fault,
 * which the firmware delegates, whose stval names the patch slot keeping the original instruction.
 * A frame holding patches is mapped execute-only in every shadow tree, so the guest never reads the
 * patch: its first load or store to the frame (or a device's write into it) undoes every patch in
 * it first. The 4 bytes replace 4 bytes, so sepc + 4 stays the next instruction. Pure logic: tested
 * on the host (tests/unit/test_tpatch.c). */
#ifndef ARCH_TPATCH_H
#define ARCH_TPATCH_H

#include <stdbool.h>
#include <stdint.h>

#define TPATCH_SLOTS 1024
#define TPATCH_FRAMES 256 /* frames ever patched (Linux spreads its CSR accesses over its text) */
#define TPATCH_HASH 512   /* open-addressed index of the frames by address (a power of two) */
#define TPATCH_MEGAS 16   /* 2 MiB regions holding them, with their count of patched frames */
/* A frame whose patches were undone this often is never patched again: a frame of code and data
 * mixed would otherwise cost a whole-VM shadow drop per round of patching. */
#define TPATCH_MAX_UNDO 4
/* Slot s loads from TPATCH_ADDR_BASE + s: imm = s - 2048, all within the alias slot's last 2 KiB.
 */
#define TPATCH_ADDR_BASE 0xfffffffffffff800ull

struct tpatch_slot
{
    uint64_t va;   /* where the guest kernel executes it (a fault elsewhere is not this patch) */
    uint32_t orig; /* the instruction it replaces */
    uint16_t off;  /* its offset in the frame */
    uint8_t live;
    uint8_t pad;
    uint16_t frame; /* index in tpatch.frame */
    uint16_t next;  /* the next slot of its frame's list, or of the free list (TPATCH_NONE) */
};
#define TPATCH_NONE 0xffffu

struct tpatch_frame
{
    uint64_t gpa;   /* guest physical address of the frame */
    uint32_t n;     /* live patches in it: the frame is execute-only while n > 0 */
    uint32_t undos; /* times its patches were undone */
    uint16_t head;  /* its first slot: undoing or reading a frame visits only its own slots */
};

struct tpatch
{
    struct tpatch_slot slot[TPATCH_SLOTS];
    struct tpatch_frame frame[TPATCH_FRAMES];
    unsigned nframes; /* records are never given to another frame: the index stays valid */
    uint16_t hash[TPATCH_HASH]; /* frame index + 1, 0 empty */
    struct
    {
        uint64_t gpa;
        uint32_t live; /* frames in it with live patches */
    } mega[TPATCH_MEGAS];
    unsigned nmegas;
    unsigned live_frames; /* frames with live patches */
    /* Every frame with live patches lies in [lo, hi) (empty: lo >= hi): most questions about an
     * address (every shadow fill asks one) are answered without looking at the frames. */
    uint64_t lo, hi;
    uint16_t free;    /* the first free slot */
    uint64_t patched; /* instructions patched */
    uint64_t undone;  /* frames whose patches were undone */
};

enum tpatch_add_result
{
    TPATCH_REFUSED,   /* not patched (no room, frame given up, bytes not the instruction) */
    TPATCH_ADDED,     /* patched in a frame that already had patches */
    TPATCH_NEW_FRAME, /* the frame's first patch: the caller must take every readable or writable
                       * mapping of it out of the shadow trees before the guest runs again */
};

void tpatch_init(struct tpatch *p);
/* The patch instruction for slot s (`lb x0, imm(x0)`, LOAD opcode 0x03, funct3 0). */
uint32_t tpatch_insn(unsigned s);
/* The slot a load page fault at addr by the instruction at pc is the patch of, or NULL. */
const struct tpatch_slot *tpatch_hit(const struct tpatch *p, uint64_t addr, uint64_t pc);
/* True when the frame of gpa holds live patches (it must stay execute-only). */
bool tpatch_frame_patched(const struct tpatch *p, uint64_t gpa);
/* True when some frame of [gpa, gpa + len) holds live patches. */
bool tpatch_any_in(const struct tpatch *p, uint64_t gpa, uint64_t len);
/* Patches the instruction insn at offset off of the frame at frame_gpa (host view mem, 4096 bytes),
 * executed at va. off + 4 <= 4096, off even; the bytes there must still be insn. */
enum tpatch_add_result tpatch_add(struct tpatch *p,
                                  uint8_t *mem,
                                  uint64_t frame_gpa,
                                  unsigned off,
                                  uint64_t va,
                                  uint32_t insn);
/* Undoes every patch of the frame at frame_gpa (host view mem): the original bytes come back where
 * the patch still is (a write that already replaced it wins). */
void tpatch_undo_frame(struct tpatch *p, uint8_t *mem, uint64_t frame_gpa);
/* Undoes the patches of every frame that meets [gpa, gpa + len); ram is the host view of guest RAM
 * from ram_gpa on, which holds every patched frame. Visits the frames and their own slots only. */
void tpatch_undo_range(struct tpatch *p,
                       uint8_t *ram,
                       uint64_t ram_gpa,
                       uint64_t gpa,
                       uint64_t len);
/* Bytes read from guest memory at [gpa, gpa + len) into buf, as the guest would read them: the
 * original instruction where a patch is. */
void tpatch_fixup(const struct tpatch *p, uint64_t gpa, uint8_t *buf, unsigned len);

#endif
