// SPDX-License-Identifier: MIT
// The attack pack (tests/e2e/test_attack.py): a hostile guest making the one attack its bootargs name
// (APPEND=hyp.guestargs=attack=NAME), beside a canary that must keep its heartbeat through it.
#include "config.h"

DECLARE_GUEST_IMAGE(attack);
DECLARE_GUEST_IMAGE(canary);

const struct vm_config vm_configs[] = {
    /* Its own tables stay native (pv.mmu=native): the trees it hands the validator are the attacks. */
    { .name = "attack", .image = GUEST_IMAGE(attack), .ram_size = 16 * MiB, .vcpus = 2,
      .devices = VM_DEV_UART | VM_DEV_PLIC, .bootargs = "pv.mmu=native",
      .disk = { .kind = VM_DISK_RAM, .sectors = 256 } },
    { .name = "canary", .image = GUEST_IMAGE(canary), .ram_size = 16 * MiB, .vcpus = 1 },
};
const unsigned vm_nconfigs = sizeof(vm_configs) / sizeof(vm_configs[0]);
