// SPDX-License-Identifier: MIT
// Guest fuzzing: the fuzz program in both flavours, each with a RAM disk and two vCPUs, beside two
// canaries that must run to their end whatever the fuzzers do: the demo guest (its workloads, early
// in the run) and the heartbeat canary (canary.beats=, through hyp.guestargs, sets how long it
// lasts). "fuzz" validates its page tables through hypercalls on either engine; "fuzzfv" writes its
// own (shadowed on the trap engine) and also gets the UART, the PLIC and a virtio-blk device to
// poke at. Options for both come from the QEMU command line: make fuzz FUZZ_SEED=.. FUZZ_N=..
// (hyp.guestargs=fuzz.seed=..,fuzz.n=..).
#include "config.h"

DECLARE_GUEST_IMAGE(fuzz);
DECLARE_GUEST_IMAGE(fuzz_fv);
DECLARE_GUEST_IMAGE(demo);
DECLARE_GUEST_IMAGE(canary);

const struct vm_config vm_configs[] = {
    { .name = "fuzz",
      .image = GUEST_IMAGE(fuzz),
      .ram_size = 16 * MiB,
      .vcpus = 2,
      .devices = VM_DEV_PLIC,
      .bootargs = "pv.mmu=hypercall",
      .disk = { .kind = VM_DISK_RAM, .sectors = 2048, .image = GUEST_IMAGE(demo) } },
    { .name = "fuzzfv",
      .image = GUEST_IMAGE(fuzz_fv),
      .ram_size = 16 * MiB,
      .vcpus = 2,
      .devices = VM_DEV_UART | VM_DEV_PLIC | VM_DEV_VIRTIO_BLK,
      .disk = { .kind = VM_DISK_RAM, .sectors = 2048, .image = GUEST_IMAGE(demo) } },
    { .name = "demo", .image = GUEST_IMAGE(demo), .ram_size = 16 * MiB, .vcpus = 1 },
    { .name = "canary", .image = GUEST_IMAGE(canary), .ram_size = 16 * MiB, .vcpus = 1 },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
