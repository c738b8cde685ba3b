// SPDX-License-Identifier: MIT
// The block hypercalls on a disk that is a region of the host disk, which answers in a later call
// (hyp/blk/blk.c over a simulated device, sbi_env.h): cut calls while it works, the status written
// by the call that finds the answer, a timeout that fails that request alone and resets the device,
// a VM that stops while its request is on the queue, and the device model of the same VM waiting
// its turn.
#include <stdint.h>
#include <stdlib.h>

#include "sbi_env.h"

/* A guest whose disk is a region of the host disk (sectors 32 to 95), which answers when the test
 * says so; the clock counts microseconds and a request may take 5 ms. */
static struct hv_blk_req *host_blk_setup(void)
{
    static const struct vm_config cfg = {
        .name = "t",
        .devices = VM_DEV_PLIC,
        .disk = { .kind = VM_DISK_HOST, .host_offset_sectors = 32, .sectors = 64 }
    };
    setup();
    vm.cfg = &cfg;
    vplic_init(&vm.plic, 1, NULL);
    vm.plic.priority[HV_BLK_IRQ] = 1;
    hd.present = true;
    hd.flush_cache = true;
    platform.timebase_freq = 1000000;
    boot_options.disk_timeout_ms = 5;
    t_now = 1000;
    blk_attach(&vm);
    CHECK_EQ(vm.disk.kind, BLK_HOST);
    return (struct hv_blk_req *)(ram + 0x2000);
}

TEST(hv_blk_host_disk_answers_in_a_later_call)
{
    struct hv_blk_req *r = host_blk_setup();
    for (unsigned i = 0; i < 1024; i++) {
        ram[0x4000 + i] = (uint8_t)(i * 7);
    }
    r[0] = (struct hv_blk_req){
        .op = HV_BLK_WRITE, .status = 9, .sector = 2, .buf = 0x80004000, .len = 1024
    };
    r[1] = (struct hv_blk_req){
        .op = HV_BLK_READ, .status = 9, .sector = 2, .buf = 0x80008000, .len = 1024
    };
    /* The write goes on the host queue and the call returns: nothing done yet, call again. */
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 2, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 0);
    CHECK(hd.queued && hd.op == BLK_WRITE && hd.sector == 34);
    CHECK(hd.buf < ram || hd.buf >= ram + RAM_SIZE); /* the device never gets guest RAM */
    CHECK_EQ(r[0].status, 9u);
    CHECK(!blk_irq_pending());
    /* Changing the data now changes nothing: it was copied when the request started. */
    ram[0x4000] ^= 0xff;
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 2, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 0);
    CHECK_EQ(hd.submits, 1u);
    /* Answered: another vCPU's call does not collect it (it would not know to skip the request)... */
    hd.answer = true;
    vm.vcpus[1].vm = &vm;
    vm.vcpus[1].id = 1;
    v = &vm.vcpus[1];
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80003000, 1, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 0);
    v = &vm.vcpus[0];
    CHECK_EQ(r[0].status, 9u);
    /* ...the next call of the vCPU that started it writes its status and starts the read. */
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 2, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 1);
    CHECK_EQ(r[0].status, HV_BLK_OK);
    CHECK(blk_irq_pending());
    CHECK(hd.queued && hd.op == BLK_READ);
    CHECK_EQ(hd.bytes[34 * 512], 0);
    CHECK_EQ(hd.bytes[34 * 512 + 1], 7);
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002020, 1, 0);
    CHECK_EQ(A1, 0);
    hd.answer = true;
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002020, 1, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 1);
    CHECK_EQ(r[1].status, HV_BLK_OK);
    CHECK(memcmp(ram + 0x8000, hd.bytes + 34 * 512, 1024) == 0);
    CHECK_EQ(ram[0x8000 + 1], 7);
    /* The VM stops while its read is on the queue: the buffer the device may still write is kept
     * until the device is done with it (ASan sees it freed once, then). */
    r[2] = (struct hv_blk_req){
        .op = HV_BLK_READ, .status = 9, .sector = 2, .buf = 0x8000a000, .len = 512
    };
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002040, 1, 0);
    CHECK_EQ(A1, 0);
    hc_blk_cancel(&vm);
    blk_detach(&vm);
    CHECK(hd.queued);
    blk_attach(&vm); /* built again: its new requests wait for the old one */
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002040, 1, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 0);
    CHECK_EQ(hd.submits, 3u);
    hd.answer = true;
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002040, 1, 0);
    CHECK_EQ(A1, 0);
    CHECK_EQ(hd.submits, 4u);
    CHECK_EQ(r[2].status, 9u); /* the old answer was nobody's */
    hd.answer = true;
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002040, 1, 0);
    CHECK_EQ(A1, 1);
    CHECK_EQ(r[2].status, HV_BLK_OK);
    blk_detach(&vm);
}

TEST(hv_blk_host_timeout_fails_that_request_and_the_disk_goes_on)
{
    struct hv_blk_req *r = host_blk_setup();
    r[0] = (struct hv_blk_req){
        .op = HV_BLK_READ, .status = 9, .sector = 0, .buf = 0x80008000, .len = 4096
    };
    r[1] = (struct hv_blk_req){
        .op = HV_BLK_WRITE, .status = 9, .sector = 8, .buf = 0x80004000, .len = 512
    };
    memset(ram + 0x8000, 0x33, 4096);
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 2, 0);
    CHECK_EQ(A1, 0);
    t_now += 5000; /* on the deadline: still waiting */
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 2, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 0);
    CHECK_EQ(hd.resets, 0u);
    t_now += 1;
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 2, 0);
    CHECK_EQ(A0, SBI_ERR_IO); /* that request failed, and the batch stops there */
    CHECK_EQ(A1, 0);
    CHECK_EQ(r[0].status, HV_BLK_IOERR);
    CHECK_EQ(r[1].status, 9u);
    CHECK_EQ(hd.resets, 1u); /* the device was reset: it holds nothing of the request */
    CHECK(!hd.queued);
    CHECK_EQ(ram[0x8000], 0x33); /* and nothing reached the guest */
    CHECK(blk_irq_pending());
    uint64_t completed, timeouts;
    blk_host_counts(&completed, &timeouts);
    CHECK_EQ(timeouts, 1u);
    /* The disk works on. */
    ram[0x4000] = 0x5c;
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002020, 1, 0);
    CHECK_EQ(A1, 0);
    hd.answer = true;
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002020, 1, 0);
    CHECK_EQ(A0, 0);
    CHECK_EQ(A1, 1);
    CHECK_EQ(r[1].status, HV_BLK_OK);
    CHECK_EQ(hd.bytes[40 * 512], 0x5c);
    blk_detach(&vm);
}

TEST(hv_blk_host_flush_and_a_second_user)
{
    struct hv_blk_req *r = host_blk_setup();
    r[0] = (struct hv_blk_req){ .op = HV_BLK_FLUSH, .status = 9 };
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 1, 0);
    CHECK_EQ(A1, 0);
    CHECK(hd.queued && hd.op == BLK_FLUSH);
    /* The device model of the same VM finds the disk taken: it waits its turn. */
    uint8_t b[512];
    struct blk_seg seg = { b, 512 };
    CHECK_EQ(blk_start(&vm.disk, BLK_USER_VBLK, BLK_READ, 0, &seg, 1), BLK_BUSY);
    hd.answer = true;
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 1, 0);
    CHECK_EQ(A1, 1);
    CHECK_EQ(r[0].status, HV_BLK_OK);
    CHECK_EQ(blk_start(&vm.disk, BLK_USER_VBLK, BLK_READ, 0, &seg, 1), BLK_PENDING);
    CHECK(!blk_answered(&vm.disk, BLK_USER_VBLK));
    /* Its reset drops it; the hypercalls then get the disk once the device has answered. */
    blk_cancel(&vm.disk, BLK_USER_VBLK);
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 1, 0);
    CHECK_EQ(A1, 0);
    CHECK_EQ(hd.submits, 2u);
    hd.answer = true;
    ecall(HV_EXT, HV_FID_BLK_SUBMIT, 0x80002000, 1, 0);
    CHECK_EQ(A1, 0);
    CHECK_EQ(hd.submits, 3u);
    /* The vCPU that started it starts afresh (HSM): its request is dropped, the disk is free. */
    CHECK(vm.blk_wait.busy);
    pv_vcpu_reset(&vm.vcpus[0]);
    CHECK(!vm.blk_wait.busy);
    hd.answer = true;
    CHECK_EQ(blk_start(&vm.disk, BLK_USER_VBLK, BLK_READ, 0, &seg, 1), BLK_PENDING);
    CHECK_EQ(hd.submits, 4u);
    blk_detach(&vm);
}
