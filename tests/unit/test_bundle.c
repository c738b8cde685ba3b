// SPDX-License-Identifier: MIT
// Unit tests for the guest-bundle reader: good bundles in both FIT forms, and every way a bundle can be
// broken (truncated, overlapping or out-of-range images, bad hashes, bad descriptions, random damage).
#include "bundle.h"
#include "check.h"
#include "fdt_write.h"
#include "lib/sha256.h"

#include <stdint.h>

static uint8_t buf[1 << 20];
static struct bundle b;
static const uint8_t kern[5000] = { 1, 2, 3 }, initrd[300] = { 9, 9 }, other[4096] = { 7 };

/* Nodes are written in the order a bundle has them: the root, /images, /guests. */
static void begin(struct fdt_writer *w)
{
    fdtw_init(w, buf, sizeof buf);
    fdtw_begin_node(w, "");
    fdtw_prop_str(w, "description", "test bundle");
    fdtw_prop_u32(w, "#address-cells", 1);
    fdtw_begin_node(w, "images");
}

static void hash_node(struct fdt_writer *w, const void *data, size_t len)
{
    uint8_t sum[SHA256_LEN];

    sha256(data, len, sum);
    fdtw_begin_node(w, "hash-1");
    fdtw_prop_str(w, "algo", "sha256");
    fdtw_prop(w, "value", sum, sizeof sum);
    fdtw_end_node(w);
}

static void image_embedded(struct fdt_writer *w, const char *name, const void *data, size_t len)
{
    fdtw_begin_node(w, name);
    fdtw_prop(w, "data", data, len);
    hash_node(w, data, len);
    fdtw_end_node(w);
}

/* An image stored after the tree at `off` (data-offset), hashed as `data`. */
static void image_external(struct fdt_writer *w, const char *name, uint32_t off, const void *data,
                           size_t len)
{
    fdtw_begin_node(w, name);
    fdtw_prop_u32(w, "data-offset", off);
    fdtw_prop_u32(w, "data-size", (uint32_t)len);
    hash_node(w, data, len);
    fdtw_end_node(w);
}

static void guests(struct fdt_writer *w)
{
    fdtw_end_node(w);
    fdtw_begin_node(w, "guests");
}

/* A guest node left open, so that a test can add properties. */
static void guest(struct fdt_writer *w, const char *name, const char *kernel, uint32_t mib)
{
    fdtw_begin_node(w, name);
    fdtw_prop_str(w, "kernel", kernel);
    fdtw_prop_u32(w, "memory-mib", mib);
}

/* Closes the tree, appends external data at the 4-byte boundary after it, returns the size. */
static size_t finish(struct fdt_writer *w, const void *ext, size_t ext_len)
{
    fdtw_end_node(w);
    fdtw_end_node(w);
    size_t total = fdtw_finish(w);
    CHECK(total != 0);
    size_t at = (total + 3) & ~(size_t)3;
    memset(buf + total, 0, at - total);
    if (ext_len) {
        memcpy(buf + at, ext, ext_len);
    }
    return at + ext_len;
}

static bool said(const char *needle)
{
    for (unsigned i = 0; i < b.nmsgs; i++) {
        if (strstr(b.msgs[i], needle)) {
            return true;
        }
    }
    fprintf(stderr, "no message contains \"%s\"; messages:\n", needle);
    for (unsigned i = 0; i < b.nmsgs; i++) {
        fprintf(stderr, "  %s\n", b.msgs[i]);
    }
    return false;
}

static const struct vm_config *find(const char *name)
{
    for (unsigned i = 0; i < b.nguests; i++) {
        if (strcmp(b.guests[i].name, name) == 0) {
            return &b.guests[i];
        }
    }
    return NULL;
}

TEST(bundle_embedded_guests)
{
    struct fdt_writer w;
    const char *devs[] = { "uart", "plic", "virtio-blk" };

    begin(&w);
    image_embedded(&w, "linux", kern, sizeof kern);
    image_embedded(&w, "initrd", initrd, sizeof initrd);
    guests(&w);
    guest(&w, "one", "linux", 128);
    fdtw_prop_str(&w, "initrd", "initrd");
    fdtw_prop_str(&w, "bootargs", "console=ttyS0,115200 quiet");
    fdtw_prop_u32(&w, "vcpus", 2);
    fdtw_prop_strs(&w, "devices", devs, 3);
    fdtw_prop_str(&w, "disk", "host");
    fdtw_prop_u32(&w, "disk-sector-offset", 8);
    fdtw_prop_u64(&w, "disk-sectors", 0x100000000ull);
    fdtw_end_node(&w);
    guest(&w, "two", "linux", 16);
    fdtw_prop_u32(&w, "load-offset", 0x200000);
    fdtw_prop_u32(&w, "restarts", 5);
    fdtw_prop_str(&w, "on-fault", "stop");
    fdtw_prop_str(&w, "disk", "ram");
    fdtw_prop_u32(&w, "disk-sectors", 64);
    fdtw_prop_str(&w, "disk-image", "initrd");
    fdtw_end_node(&w);
    size_t len = finish(&w, NULL, 0);

    CHECK_EQ(bundle_parse(buf, len, true, &b), 0);
    CHECK_EQ(b.nmsgs, 0);
    CHECK_STR(b.description, "test bundle");
    CHECK_EQ(b.nimages, 2);
    CHECK(b.images[0].usable && b.images[0].hashed);
    CHECK_EQ(b.images[0].img.end - b.images[0].img.start, sizeof kern);
    CHECK(memcmp(b.images[0].img.start, kern, sizeof kern) == 0);
    CHECK_EQ(b.nguests, 2);
    const struct vm_config *one = find("one"), *two = find("two");
    CHECK(one && two);
    if (!one || !two) {
        return;
    }
    CHECK(one->image == &b.images[0].img && one->initrd == &b.images[1].img);
    CHECK_STR(one->bootargs, "console=ttyS0,115200 quiet");
    CHECK_EQ(one->ram_size, 128ull << 20);
    CHECK_EQ(one->vcpus, 2);
    CHECK_EQ(one->devices, VM_DEV_UART | VM_DEV_PLIC | VM_DEV_VIRTIO_BLK);
    CHECK_EQ(one->disk.kind, VM_DISK_HOST);
    CHECK_EQ(one->disk.host_offset_sectors, 8);
    CHECK_EQ(one->disk.sectors, 0x100000000ull);
    CHECK(two->initrd == NULL && two->bootargs == NULL);
    CHECK_EQ(two->vcpus, 1);
    CHECK_EQ(two->devices, 0);
    CHECK_EQ(two->load_offset, 0x200000);
    CHECK_EQ(two->restarts, 5);
    CHECK(two->fault_stop && !one->fault_stop);
    CHECK_EQ(two->disk.kind, VM_DISK_RAM);
    CHECK(two->disk.image == &b.images[1].img);
}

/* mkimage -E: data-offset counts from the 4-byte boundary after the tree; data-position from the
 * bundle's start. */
static size_t external_pair(uint32_t off_b, size_t ext_len, const uint8_t *ext)
{
    struct fdt_writer w;

    begin(&w);
    image_external(&w, "a", 0, ext, sizeof kern);
    image_external(&w, "b", off_b, other, sizeof other);
    guests(&w);
    guest(&w, "ga", "a", 16);
    fdtw_end_node(&w);
    guest(&w, "gb", "b", 16);
    fdtw_end_node(&w);
    return finish(&w, ext, ext_len);
}

TEST(bundle_external_images)
{
    static uint8_t ext[sizeof kern + sizeof other];
    memcpy(ext, kern, sizeof kern);
    memcpy(ext + sizeof kern, other, sizeof other);
    size_t len = external_pair(sizeof kern, sizeof ext, ext);

    CHECK_EQ(bundle_parse(buf, len, true, &b), 0);
    CHECK_EQ(b.nmsgs, 0);
    CHECK_EQ(b.nguests, 2);
    CHECK(b.images[1].usable);
    CHECK(memcmp(b.images[1].img.start, other, sizeof other) == 0);
    CHECK_EQ((size_t)(b.images[1].img.end - buf), len);
}

TEST(bundle_truncated)
{
    static uint8_t ext[sizeof kern + sizeof other];
    memcpy(ext, kern, sizeof kern);
    memcpy(ext + sizeof kern, other, sizeof other);
    size_t len = external_pair(sizeof kern, sizeof ext, ext);

    /* Cut inside the tree: the bundle as a whole is unusable. */
    CHECK_EQ(bundle_parse(buf, 100, true, &b), -1);
    CHECK(said("truncated: its header says"));
    CHECK_EQ(b.nguests, 0);
    /* Cut inside the second image: only the guest that needs it is left out. */
    CHECK_EQ(bundle_parse(buf, len - 1, true, &b), 0);
    CHECK(said("image 'b' unusable: its data lies past the end of the bundle"));
    CHECK(said("guest 'gb' not started: its kernel 'b' is unusable"));
    CHECK_EQ(b.nguests, 1);
    CHECK(find("ga") != NULL);
}

TEST(bundle_overlapping_images)
{
    static uint8_t ext[sizeof kern + sizeof other];
    memcpy(ext, kern, sizeof kern);
    size_t len = external_pair(100, sizeof ext, ext); /* b starts inside a */

    CHECK_EQ(bundle_parse(buf, len, true, &b), 0);
    CHECK(said("images 'a' and 'b' overlap"));
    CHECK_EQ(b.nguests, 0);
    CHECK(said("bundle: no guest that can be started"));
}

TEST(bundle_out_of_range_images)
{
    struct fdt_writer w;

    begin(&w);
    fdtw_begin_node(&w, "far");
    fdtw_prop_u32(&w, "data-offset", 0xfffffff0u);
    fdtw_prop_u32(&w, "data-size", 0x100);
    fdtw_end_node(&w);
    fdtw_begin_node(&w, "wrap");
    fdtw_prop_u64(&w, "data-position", 0xffffffffffffff00ull);
    fdtw_prop_u64(&w, "data-size", 0x200);
    fdtw_end_node(&w);
    fdtw_begin_node(&w, "intree");
    fdtw_prop_u32(&w, "data-position", 8);
    fdtw_prop_u32(&w, "data-size", 16);
    fdtw_end_node(&w);
    fdtw_begin_node(&w, "nodata");
    fdtw_prop_u32(&w, "data-offset", 0);
    fdtw_end_node(&w);
    image_embedded(&w, "ok", kern, sizeof kern);
    guests(&w);
    guest(&w, "g1", "far", 16);
    fdtw_end_node(&w);
    guest(&w, "g2", "wrap", 16);
    fdtw_end_node(&w);
    guest(&w, "g3", "intree", 16);
    fdtw_end_node(&w);
    guest(&w, "g4", "nodata", 16);
    fdtw_end_node(&w);
    guest(&w, "g5", "ok", 16);
    fdtw_end_node(&w);
    size_t len = finish(&w, NULL, 0);

    CHECK_EQ(bundle_parse(buf, len, true, &b), 0);
    CHECK(said("image 'far' unusable: its data lies past the end"));
    CHECK(said("image 'wrap' unusable: its data lies past the end"));
    CHECK(said("image 'intree' unusable: its data would lie inside the bundle's tree"));
    CHECK(said("image 'nodata' unusable: no data"));
    CHECK_EQ(b.nguests, 1);
    CHECK(find("g5") != NULL);
}

TEST(bundle_bad_hash)
{
    struct fdt_writer w;

    begin(&w);
    image_embedded(&w, "good", kern, sizeof kern);
    image_embedded(&w, "bad", other, sizeof other);
    guests(&w);
    guest(&w, "g-good", "good", 16);
    fdtw_end_node(&w);
    guest(&w, "g-bad", "bad", 16);
    fdtw_end_node(&w);
    size_t len = finish(&w, NULL, 0);
    /* Damage one byte of the second image's data, as a bad SD card would. */
    uint8_t *p = NULL;
    for (size_t i = 0; !p && i + sizeof other <= len; i += 4) {
        p = memcmp(buf + i, other, sizeof other) == 0 ? buf + i : NULL;
    }
    CHECK(p != NULL);
    if (p) {
        p[100] ^= 0x40;
    }

    CHECK_EQ(bundle_parse(buf, len, false, &b), 0); /* hyp.verify=0: not checked, both start */
    CHECK_EQ(b.nguests, 2);
    CHECK(!b.images[1].hashed);
    CHECK_EQ(bundle_parse(buf, len, true, &b), 0);
    CHECK(said("image 'bad' unusable: its sha256 does not match"));
    CHECK(said("guest 'g-bad' not started: its kernel 'bad' is unusable"));
    CHECK_EQ(b.nguests, 1);
    CHECK(find("g-good") != NULL);
}

TEST(bundle_hash_forms)
{
    struct fdt_writer w;

    begin(&w);
    fdtw_begin_node(&w, "crc");
    fdtw_prop(&w, "data", kern, sizeof kern);
    fdtw_begin_node(&w, "hash-1");
    fdtw_prop_str(&w, "algo", "crc32");
    fdtw_prop_u32(&w, "value", 0x1234);
    fdtw_end_node(&w);
    fdtw_end_node(&w);
    fdtw_begin_node(&w, "short");
    fdtw_prop(&w, "data", kern, sizeof kern);
    fdtw_begin_node(&w, "hash");
    fdtw_prop_str(&w, "algo", "sha256");
    fdtw_prop(&w, "value", kern, 20);
    fdtw_end_node(&w);
    fdtw_end_node(&w);
    fdtw_begin_node(&w, "packed");
    fdtw_prop(&w, "data", kern, sizeof kern);
    fdtw_prop_str(&w, "compression", "gzip");
    fdtw_end_node(&w);
    guests(&w);
    guest(&w, "g", "crc", 16);
    fdtw_end_node(&w);
    size_t len = finish(&w, NULL, 0);

    CHECK_EQ(bundle_parse(buf, len, true, &b), 0);
    CHECK(said("image 'crc': hash algo 'crc32' is not checked"));
    CHECK(said("image 'short' unusable: its sha256 hash node has no 32-byte value"));
    CHECK(said("image 'packed' unusable: compressed"));
    CHECK(b.images[0].usable && !b.images[0].hashed);
    CHECK_EQ(b.nguests, 1);
}

TEST(bundle_bad_descriptions)
{
    struct fdt_writer w;
    const char *baddev[] = { "uart", "floppy" };

    begin(&w);
    image_embedded(&w, "k", kern, sizeof kern);
    guests(&w);
    guest(&w, "typo", "k", 16);
    fdtw_prop_u32(&w, "vcpu", 2);
    fdtw_end_node(&w);
    guest(&w, "floppy", "k", 16);
    fdtw_prop_strs(&w, "devices", baddev, 2);
    fdtw_end_node(&w);
    guest(&w, "missing", "nope", 16);
    fdtw_end_node(&w);
    guest(&w, "nomem", "k", 0);
    fdtw_end_node(&w);
    guest(&w, "hugemem", "k", 0);
    fdtw_prop_u64(&w, "memory-mib", 1ull << 40);
    fdtw_end_node(&w);
    guest(&w, "rawargs", "k", 16);
    fdtw_prop(&w, "bootargs", "abc", 3); /* no NUL */
    fdtw_end_node(&w);
    guest(&w, "twonum", "k", 16);
    fdtw_prop(&w, "vcpus", "abcdef", 6);
    fdtw_end_node(&w);
    guest(&w, "disk", "k", 16);
    fdtw_prop_str(&w, "disk", "tape");
    fdtw_end_node(&w);
    guest(&w, "policy", "k", 16);
    fdtw_prop_str(&w, "on-fault", "ignore");
    fdtw_end_node(&w);
    guest(&w, "sub", "k", 16);
    fdtw_begin_node(&w, "child");
    fdtw_end_node(&w);
    fdtw_end_node(&w);
    guest(&w, "dup", "k", 16);
    fdtw_end_node(&w);
    guest(&w, "dup", "k", 16);
    fdtw_end_node(&w);
    fdtw_begin_node(&w, "nokernel");
    fdtw_prop_u32(&w, "memory-mib", 16);
    fdtw_end_node(&w);
    size_t len = finish(&w, NULL, 0);

    CHECK_EQ(bundle_parse(buf, len, true, &b), 0);
    CHECK(said("guest 'typo' not started: unknown property 'vcpu'"));
    CHECK(said("guest 'floppy' not started: unknown device \"floppy\""));
    CHECK(said("guest 'missing' not started: its kernel 'nope' is not in the bundle"));
    CHECK(said("guest 'nomem' not started: memory-mib missing or out of range"));
    CHECK(said("guest 'hugemem' not started: memory-mib missing or out of range"));
    CHECK(said("guest 'rawargs' not started: bootargs is not one string"));
    CHECK(said("guest 'twonum' not started: vcpus is not a number"));
    CHECK(said("guest 'disk' not started: disk must be"));
    CHECK(said("guest 'policy' not started: on-fault must be"));
    CHECK(said("guest 'sub' not started: unknown node 'child'"));
    CHECK(said("guest 'dup' not started: another guest has that name"));
    CHECK(said("guest 'nokernel' not started: no kernel"));
    CHECK_EQ(b.nguests, 1);
    CHECK(find("dup") != NULL);
}

/* cpus = <hart ids>: the affinity set, each id below 64, one cell each. */
TEST(bundle_cpus_affinity)
{
    struct fdt_writer w;
    const uint8_t two[8] = { 0, 0, 0, 1, 0, 0, 0, 3 }, big[4] = { 0, 0, 0, 64 }, odd[6] = { 0 };

    begin(&w);
    image_embedded(&w, "k", kern, sizeof kern);
    guests(&w);
    guest(&w, "pinned", "k", 16);
    fdtw_prop(&w, "cpus", two, sizeof two);
    fdtw_end_node(&w);
    guest(&w, "any", "k", 16);
    fdtw_end_node(&w);
    guest(&w, "far", "k", 16);
    fdtw_prop(&w, "cpus", big, sizeof big);
    fdtw_end_node(&w);
    guest(&w, "ragged", "k", 16);
    fdtw_prop(&w, "cpus", odd, sizeof odd);
    fdtw_end_node(&w);
    guest(&w, "empty", "k", 16);
    fdtw_prop(&w, "cpus", odd, 0);
    fdtw_end_node(&w);
    size_t len = finish(&w, NULL, 0);

    CHECK_EQ(bundle_parse(buf, len, true, &b), 0);
    CHECK_EQ(b.nguests, 2);
    CHECK_EQ(find("pinned")->cpus, (1ull << 1) | (1ull << 3));
    CHECK_EQ(find("any")->cpus, 0ull);
    CHECK(said("guest 'far' not started: cpus names hart 64"));
    CHECK(said("guest 'ragged' not started: cpus is not a list of hart ids"));
    CHECK(said("guest 'empty' not started: cpus is not a list of hart ids"));
}

TEST(bundle_too_many_guests)
{
    struct fdt_writer w;
    char name[16];

    begin(&w);
    image_embedded(&w, "k", kern, 64);
    guests(&w);
    for (unsigned i = 0; i < BUNDLE_MAX_GUESTS + 3; i++) {
        snprintf(name, sizeof name, "g%u", i);
        guest(&w, name, "k", 2);
        fdtw_end_node(&w);
    }
    size_t len = finish(&w, NULL, 0);

    CHECK_EQ(bundle_parse(buf, len, true, &b), 0);
    CHECK_EQ(b.nguests, BUNDLE_MAX_GUESTS);
    CHECK(said("guest 'g64' and those after it not started"));
    CHECK_EQ(b.nmsgs, 1);
}

TEST(bundle_not_a_tree)
{
    memset(buf, 0x5a, 4096);
    CHECK_EQ(bundle_parse(buf, 4096, true, &b), -1);
    CHECK(said("bundle: not a usable device tree (bad magic)"));
    CHECK_EQ(bundle_parse(buf, 0, true, &b), -1);
}

/* Random damage anywhere in a good bundle: the reader may refuse it, never misbehave (ASan, UBSan),
 * and whatever it accepts points inside the buffer. */
TEST(bundle_random_damage)
{
    static uint8_t good[16384];
    struct fdt_writer w;
    uint32_t seed = 12345;

    begin(&w);
    image_embedded(&w, "linux", kern, 600);
    image_external(&w, "ext", 0, other, 512);
    guests(&w);
    guest(&w, "one", "linux", 128);
    fdtw_prop_str(&w, "bootargs", "x");
    fdtw_end_node(&w);
    guest(&w, "two", "ext", 16);
    fdtw_end_node(&w);
    size_t len = finish(&w, other, 512);
    CHECK(len <= sizeof good);
    memcpy(good, buf, len);
    for (unsigned iter = 0; iter < 20000; iter++) {
        memcpy(buf, good, len);
        for (unsigned k = 0; k < 1 + iter % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[(seed >> 8) % len] = (uint8_t)(seed >> 24);
        }
        size_t avail = iter % 7 == 0 ? (seed >> 4) % len : len;
        if (bundle_parse(buf, avail, true, &b) == 0) {
            for (unsigned i = 0; i < b.nguests; i++) {
                const struct guest_image *im = b.guests[i].image;
                CHECK(im->start >= buf && im->end <= buf + avail && im->start < im->end);
                CHECK(strlen(b.guests[i].name) < len);
            }
        }
    }
}
