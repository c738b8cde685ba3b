// SPDX-License-Identifier: MIT
// Fuzzes the guest-bundle reader (hyp/bundle.c), which treats what the loader put where an initrd goes
// as hostile: bundle_parse on arbitrary bytes, with and without hash checks, and again with the
// header's totalsize made right so that mutations reach the tree. Whatever it accepts must point
// inside the input and be a guest the hypervisor can build from.
#include <string.h>

#include "bundle.h"
#include "fuzz.h"

static struct bundle b;

static void check(const uint8_t *data, size_t size, int err)
{
    FUZZ_CHECK(err == 0 || err == -1, "result %d", err);
    FUZZ_CHECK(b.nmsgs <= BUNDLE_MAX_MSGS && b.nimages <= BUNDLE_MAX_IMAGES &&
                   b.nguests <= BUNDLE_MAX_GUESTS, "counts %u %u %u", b.nmsgs, b.nimages, b.nguests);
    FUZZ_CHECK(err == 0 || b.nguests == 0, "guests from a refused bundle");
    for (unsigned i = 0; i < b.nmsgs; i++) {
        FUZZ_CHECK(memchr(b.msgs[i], '\0', BUNDLE_MSG_LEN) != NULL, "message %u not terminated", i);
    }
    for (unsigned i = 0; i < b.nguests; i++) {
        const struct vm_config *c = &b.guests[i];
        const struct guest_image *imgs[] = { c->image, c->initrd, c->disk.image };
        FUZZ_CHECK(c->image != NULL && c->name != NULL, "guest %u incomplete", i);
        FUZZ_CHECK(c->ram_size > 0 && c->vcpus > 0, "guest %u: ram %lu vcpus %u", i,
                   (unsigned long)c->ram_size, c->vcpus);
        for (unsigned k = 0; k < 3; k++) {
            FUZZ_CHECK(!imgs[k] || (imgs[k]->start >= data && imgs[k]->end <= data + size &&
                                    imgs[k]->start < imgs[k]->end),
                       "guest %u image %u outside the input", i, k);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* libFuzzer's buffer is exactly size bytes on the heap: ASan catches any read past it. */
    check(data, size, bundle_parse(data, size, true, &b));
    check(data, size, bundle_parse(data, size, false, &b));
    if (size >= 40) {
        uint8_t *fixed = malloc(size);
        memcpy(fixed, data, size);
        uint32_t total = (uint32_t)(size < 4096 ? size : 4096);
        fixed[0] = 0xd0, fixed[1] = 0x0d, fixed[2] = 0xfe, fixed[3] = 0xed;
        fixed[4] = (uint8_t)(total >> 24), fixed[5] = (uint8_t)(total >> 16);
        fixed[6] = (uint8_t)(total >> 8), fixed[7] = (uint8_t)total;
        check(fixed, size, bundle_parse(fixed, size, false, &b));
        free(fixed);
    }
    return 0;
}
