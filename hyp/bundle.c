/* SPDX-License-Identifier: MIT */
/* Guest bundles: reads the FIT-style tree the loader passed as the initrd into VM configurations,
 * treating it as hostile input as it may be a corrupted copy on an SD card, or worse. */
#include "bundle.h"

#include <stdarg.h>
#include <string.h>

#include "fdt.h"
#include "lib/format.h"
#include "lib/sha256.h"

#define MiB (1ul << 20)
/* /images/<image>/<hash node> is as deep as a bundle goes; deeper nodes are skipped, but nesting past
 * this is refused (it bounds nothing here, yet no bundle has a reason for it). */
#define MAX_DEPTH 16

enum section { S_NONE, S_IMAGES, S_GUESTS };

/* An image as its node describes it, before its place and hash are checked. */
struct raw_image {
    const char *name;
    const uint8_t *data; /* embedded: the data property */
    uint32_t len;
    uint64_t off, pos, size; /* external: data-offset (after the tree) or data-position, data-size */
    bool has_data, has_off, has_pos, has_size;
    const uint8_t *sha; /* the sha256 value its hash node gives */
    const char *bad;    /* why it cannot be used, as soon as that is known */
    const char *hash_algo, *hash_value_node; /* the hash node being read */
    const uint8_t *hash_value;
    uint32_t hash_value_len;
};

struct raw_guest {
    const char *name;
    const char *kernel, *initrd, *disk_image, *disk, *bootargs, *on_fault;
    uint64_t memory_mib, vcpus, restarts, load_offset, disk_offset, disk_sectors;
    uint64_t cpus; /* a bit per hart id its cpus property names */
    unsigned devices;
    bool has_memory;
    const char *bad;
    char why[96]; /* storage for a message that names a value */
};

struct reader {
    struct bundle *out;
    struct raw_image img[BUNDLE_MAX_IMAGES];
    struct raw_guest *g; /* the guest being read */
    struct raw_guest guest;
    bool too_many_images, too_many_guests;
};

static void say(struct bundle *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct bundle *b, const char *fmt, ...)
{
    va_list ap;

    if (b->nmsgs == BUNDLE_MAX_MSGS) {
        return;
    }
    if (b->nmsgs == BUNDLE_MAX_MSGS - 1) {
        fmt_snprintf(b->msgs[b->nmsgs++], BUNDLE_MSG_LEN, "bundle: more problems not listed");
        return;
    }
    va_start(ap, fmt);
    char *m = b->msgs[b->nmsgs++];
    fmt_vsnprintf(m, BUNDLE_MSG_LEN, fmt, ap);
    va_end(ap);
    /* Names and values come from the bundle: nothing in them may drive the console. */
    for (; *m; m++) {
        *m = *m < 0x20 || *m > 0x7e ? '?' : *m;
    }
}

/* A value the tree gives as one string: it must end in its NUL, with none before. */
static const char *prop_str(const struct fdt_token *t)
{
    const char *s = (const char *)t->data;
    return t->len >= 1 && s[t->len - 1] == '\0' && strlen(s) == t->len - 1 ? s : (const char *)0;
}

/* A number of one or two cells. */
static bool prop_num(const struct fdt_token *t, uint64_t *v)
{
    if (t->len == 4) {
        *v = fdt_be32(t->data);
    } else if (t->len == 8) {
        *v = (uint64_t)fdt_be32(t->data) << 32 | fdt_be32(t->data + 4);
    } else {
        return false;
    }
    return true;
}

static bool named(const struct fdt_token *t, const char *lit)
{
    return strcmp(t->name, lit) == 0;
}

/* A hash node's name: "hash" or "hash-<n>", as FIT writes them. */
static bool hash_node(const char *name)
{
    return strncmp(name, "hash", 4) == 0 && (name[4] == '\0' || name[4] == '-' || name[4] == '@');
}

static void image_prop(struct raw_image *im, const struct fdt_token *t)
{
    if (named(t, "data")) {
        im->data = t->data;
        im->len = t->len;
        im->has_data = true;
    } else if (named(t, "data-offset")) {
        im->has_off = prop_num(t, &im->off);
    } else if (named(t, "data-position")) {
        im->has_pos = prop_num(t, &im->pos);
    } else if (named(t, "data-size")) {
        im->has_size = prop_num(t, &im->size);
    } else if (named(t, "compression")) {
        const char *c = prop_str(t);
        if (!c || strcmp(c, "none") != 0) {
            im->bad = "compressed (only compression = \"none\" is loaded)";
        }
    }
}

/* The devices a guest may have, by the names its description uses. */
static const struct {
    const char *name;
    unsigned bit;
} device_names[] = {
    { "uart", VM_DEV_UART },
    { "plic", VM_DEV_PLIC },
    { "virtio-blk", VM_DEV_VIRTIO_BLK },
};

static void guest_devices(struct raw_guest *g, const struct fdt_token *t)
{
    const char *s = (const char *)t->data;

    if (t->len == 0 || s[t->len - 1] != '\0') {
        g->bad = "devices is not a list of strings";
        return;
    }
    for (uint32_t off = 0; off < t->len; off += (uint32_t)strlen(s + off) + 1) {
        unsigned i = 0;
        while (i < sizeof device_names / sizeof device_names[0] &&
               strcmp(s + off, device_names[i].name) != 0) {
            i++;
        }
        if (i == sizeof device_names / sizeof device_names[0]) {
            fmt_snprintf(g->why, sizeof g->why, "unknown device \"%s\" (uart, plic, virtio-blk)",
                         s + off);
            g->bad = g->why;
            return;
        }
        g->devices |= device_names[i].bit;
    }
}

/* cpus = <hart ids>: the harts the guest may run on (Bao's cpu affinity), each id below 64. */
static void guest_cpus(struct raw_guest *g, const struct fdt_token *t)
{
    if (t->len == 0 || t->len % 4) {
        g->bad = "cpus is not a list of hart ids (one cell each)";
        return;
    }
    for (uint32_t off = 0; off < t->len; off += 4) {
        uint32_t id = fdt_be32(t->data + off);
        if (id >= 64) {
            fmt_snprintf(g->why, sizeof g->why, "cpus names hart %u (hart ids above 63 are not supported)",
                         (unsigned)id);
            g->bad = g->why;
            return;
        }
        g->cpus |= 1ull << id;
    }
}

static void guest_prop(struct raw_guest *g, const struct fdt_token *t)
{
    static const char *const strings[] = { "kernel",   "initrd",   "disk-image",
                                           "disk",     "bootargs", "on-fault" };
    static const char *const numbers[] = { "memory-mib", "vcpus", "restarts", "load-offset",
                                           "disk-sector-offset", "disk-sectors" };
    const char **str_slot[] = { &g->kernel, &g->initrd,   &g->disk_image,
                                &g->disk,   &g->bootargs, &g->on_fault };
    uint64_t *num_slot[] = { &g->memory_mib, &g->vcpus, &g->restarts, &g->load_offset,
                             &g->disk_offset, &g->disk_sectors };

    if (g->bad) {
        return;
    }
    if (named(t, "devices")) {
        guest_devices(g, t);
        return;
    }
    if (named(t, "cpus")) {
        guest_cpus(g, t);
        return;
    }
    for (unsigned i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        if (named(t, strings[i])) {
            *str_slot[i] = prop_str(t);
            if (!*str_slot[i]) {
                fmt_snprintf(g->why, sizeof g->why, "%s is not one string", strings[i]);
                g->bad = g->why;
            }
            return;
        }
    }
    for (unsigned i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        if (named(t, numbers[i])) {
            if (!prop_num(t, num_slot[i])) {
                fmt_snprintf(g->why, sizeof g->why, "%s is not a number of one or two cells",
                             numbers[i]);
                g->bad = g->why;
            }
            g->has_memory |= i == 0;
            return;
        }
    }
    /* A misspelt property would otherwise be a silent default: refuse the guest instead. */
    fmt_snprintf(g->why, sizeof g->why, "unknown property '%s'", t->name);
    g->bad = g->why;
}

static void hash_end(struct bundle *b, struct raw_image *im)
{
    if (!im->hash_algo) {
        say(b, "bundle: image '%s': hash node '%s' has no algo: not checked", im->name,
            im->hash_value_node);
    } else if (strcmp(im->hash_algo, "sha256") != 0) {
        say(b, "bundle: image '%s': hash algo '%s' is not checked (only sha256 is)", im->name,
            im->hash_algo);
    } else if (!im->hash_value || im->hash_value_len != SHA256_LEN) {
        im->bad = "its sha256 hash node has no 32-byte value";
    } else {
        im->sha = im->hash_value;
    }
    im->hash_algo = (const char *)0;
    im->hash_value = (const uint8_t *)0;
}

/* The values of a guest's description that need nothing else of the bundle. */
static const char *guest_check(const struct raw_guest *g)
{
    /* The name prefixes the guest's console lines and log lines. */
    for (const char *n = g->name; *n; n++) {
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
              *n == '-' || *n == '_' || *n == '.')) {
            return "its name may hold only letters, digits, '-', '_' and '.'";
        }
    }
    if (!g->kernel) {
        return "no kernel";
    }
    if (!g->has_memory || g->memory_mib == 0 || g->memory_mib > BUNDLE_MAX_MEMORY_MIB) {
        return "memory-mib missing or out of range";
    }
    if (g->vcpus == 0 || g->vcpus > 1024) {
        return "vcpus out of range";
    }
    if (g->on_fault && strcmp(g->on_fault, "stop") != 0 && strcmp(g->on_fault, "deliver") != 0) {
        return "on-fault must be \"deliver\" or \"stop\"";
    }
    return g->restarts > 1000000 ? "restarts out of range" : (const char *)0;
}

static void guest_end(struct reader *r)
{
    struct bundle *b = r->out;
    struct raw_guest *g = r->g;

    r->g = (struct raw_guest *)0;
    if (g->bad) {
        say(b, "guest '%s' not started: %s", g->name, g->bad);
        return;
    }
    if (b->nguests == BUNDLE_MAX_GUESTS) {
        if (!r->too_many_guests) {
            say(b, "guest '%s' and those after it not started: a bundle holds %u guests at most",
                g->name, BUNDLE_MAX_GUESTS);
        }
        r->too_many_guests = true;
        return;
    }
    struct vm_config *c = &b->guests[b->nguests];
    const struct guest_image **slot[] = { &c->image, &c->initrd, &c->disk.image };
    const char *names[] = { g->kernel, g->initrd, g->disk_image };
    const char *what[] = { "kernel", "initrd", "disk-image" };
    const char *why;

    memset(c, 0, sizeof *c);
    why = guest_check(g);
    for (unsigned i = 0; !why && i < 3; i++) {
        if (!names[i]) {
            continue;
        }
        unsigned k = 0;
        while (k < b->nimages && strcmp(b->images[k].img.name, names[i]) != 0) {
            k++;
        }
        if (k == b->nimages) {
            fmt_snprintf(g->why, sizeof g->why, "its %s '%s' is not in the bundle", what[i],
                         names[i]);
            why = g->why;
        } else if (!b->images[k].usable) {
            fmt_snprintf(g->why, sizeof g->why, "its %s '%s' is unusable (see above)", what[i],
                         names[i]);
            why = g->why;
        } else {
            *slot[i] = &b->images[k].img;
        }
    }
    for (unsigned i = 0; !why && i < b->nguests; i++) {
        if (strcmp(b->guests[i].name, g->name) == 0) {
            why = "another guest has that name";
        }
    }
    if (!why && g->disk) {
        if (strcmp(g->disk, "host") == 0) {
            c->disk.kind = VM_DISK_HOST;
        } else if (strcmp(g->disk, "ram") == 0) {
            c->disk.kind = VM_DISK_RAM;
        } else if (strcmp(g->disk, "none") != 0) {
            why = "disk must be \"host\", \"ram\" or \"none\"";
        }
    }
    if (why) {
        say(b, "guest '%s' not started: %s", g->name, why);
        return;
    }
    c->name = g->name;
    c->bootargs = g->bootargs;
    c->ram_size = g->memory_mib * MiB;
    c->vcpus = (unsigned)g->vcpus;
    c->devices = g->devices;
    c->restarts = (unsigned)g->restarts;
    c->cpus = g->cpus;
    c->fault_stop = g->on_fault && strcmp(g->on_fault, "stop") == 0;
    c->load_offset = g->load_offset;
    c->disk.host_offset_sectors = g->disk_offset;
    c->disk.sectors = g->disk_sectors;
    b->nguests++;
}

/* One pass over the tree: the images (first pass) or the guests (second pass, once every image's
 * verdict is known). */
static int walk(struct reader *r, const struct fdt_blob *blob, bool guests)
{
    struct bundle *b = r->out;
    bool root_seen = false;
    enum section sec = S_NONE;
    struct raw_image *im = (struct raw_image *)0;
    struct fdt_token t;
    uint32_t pos = 0;
    int depth = -1, err;

    while ((err = fdt_next(blob, &pos, &t)) == FDT_OK) {
        if (t.kind == FDT_END) {
            return depth == -1 ? FDT_OK : FDT_ERR_BADSTRUCT;
        }
        if (t.kind == FDT_BEGIN) {
            if (++depth >= MAX_DEPTH) {
                return FDT_ERR_TOODEEP;
            }
            if (depth == 0 && root_seen) {
                return FDT_ERR_BADSTRUCT; /* a second root */
            }
            root_seen = true;
            if (depth == 1) {
                sec = strcmp(t.name, "images") == 0 && !guests  ? S_IMAGES
                      : strcmp(t.name, "guests") == 0 && guests ? S_GUESTS
                                                                : S_NONE;
            } else if (depth == 2 && sec == S_IMAGES) {
                if (b->nimages == BUNDLE_MAX_IMAGES) {
                    if (!r->too_many_images) {
                        say(b, "bundle: image '%s' and those after it ignored: %u images at most",
                            t.name, BUNDLE_MAX_IMAGES);
                    }
                    r->too_many_images = true;
                    im = (struct raw_image *)0;
                } else {
                    im = &r->img[b->nimages];
                    memset(im, 0, sizeof *im);
                    im->name = t.name;
                    b->images[b->nimages++].img.name = t.name;
                }
            } else if (depth == 2 && sec == S_GUESTS) {
                r->g = &r->guest;
                memset(r->g, 0, sizeof *r->g);
                r->g->name = t.name;
                r->g->vcpus = 1;
            } else if (depth == 3 && im && hash_node(t.name)) {
                im->hash_value_node = t.name;
            } else if (depth == 3 && r->g && !r->g->bad) {
                fmt_snprintf(r->g->why, sizeof r->g->why, "unknown node '%s'", t.name);
                r->g->bad = r->g->why;
            }
            continue;
        }
        if (depth < 0) {
            return FDT_ERR_BADSTRUCT; /* a token outside the root */
        }
        if (t.kind == FDT_PROP) {
            if (depth == 0 && !guests && named(&t, "description") && prop_str(&t)) {
                b->description = prop_str(&t);
            } else if (depth == 2 && im) {
                image_prop(im, &t);
            } else if (depth == 3 && im && im->hash_value_node) {
                if (named(&t, "algo")) {
                    im->hash_algo = prop_str(&t);
                } else if (named(&t, "value")) {
                    im->hash_value = t.data;
                    im->hash_value_len = t.len;
                }
            } else if (depth == 2 && r->g) {
                guest_prop(r->g, &t);
            }
            continue;
        }
        /* FDT_END_NODE */
        if (depth == 3 && im && im->hash_value_node) {
            hash_end(b, im);
            im->hash_value_node = (const char *)0;
        } else if (depth == 2 && sec == S_IMAGES) {
            im = (struct raw_image *)0;
        } else if (depth == 2 && r->g) {
            guest_end(r);
        }
        depth--;
    }
    return err;
}

/* Places every image inside the bundle and checks its hash. */
static void place_images(struct reader *r, const struct fdt_blob *blob, size_t avail, bool verify)
{
    struct bundle *b = r->out;
    /* FIT: external data starts after the tree, at the next 4-byte boundary. */
    uint64_t tree_end = ((uint64_t)blob->total + 3) & ~3ull;

    for (unsigned i = 0; i < b->nimages; i++) {
        struct raw_image *im = &r->img[i];
        uint64_t start = 0, size = 0;

        if (!im->bad && im->has_data) {
            start = (uint64_t)(im->data - blob->base);
            size = im->len;
        } else if (!im->bad && im->has_size && (im->has_off || im->has_pos)) {
            /* An offset past the bundle's end is refused before the sum could wrap. */
            start = im->has_pos ? im->pos : im->off > avail ? avail + 1 : tree_end + im->off;
            size = im->size;
            if (im->has_pos && im->pos < tree_end) {
                im->bad = "its data would lie inside the bundle's tree";
            } else if (start > avail || size > avail - start) {
                im->bad = "its data lies past the end of the bundle (truncated copy?)";
            }
        } else if (!im->bad) {
            im->bad = "no data, or data-offset/data-position without data-size";
        }
        if (!im->bad && size == 0) {
            im->bad = "empty";
        }
        b->images[i].img.start = blob->base + start;
        b->images[i].img.end = blob->base + start + size;
    }
    /* External images must not share bytes: a hash would then vouch for another image's data. */
    for (unsigned i = 0; i < b->nimages; i++) {
        for (unsigned j = i + 1; j < b->nimages; j++) {
            const struct guest_image *x = &b->images[i].img, *y = &b->images[j].img;
            if (!r->img[i].bad && !r->img[j].bad && !r->img[i].has_data && !r->img[j].has_data &&
                x->start < y->end && y->start < x->end) {
                say(b, "bundle: images '%s' and '%s' overlap", x->name, y->name);
                r->img[i].bad = r->img[j].bad = "it overlaps another image";
            }
        }
    }
    for (unsigned i = 0; i < b->nimages; i++) {
        struct raw_image *im = &r->img[i];
        struct bundle_image *bi = &b->images[i];
        uint8_t sum[SHA256_LEN];

        if (!im->bad && im->sha && verify) {
            sha256(bi->img.start, (size_t)(bi->img.end - bi->img.start), sum);
            bi->hashed = true;
            if (memcmp(sum, im->sha, SHA256_LEN) != 0) {
                im->bad = "its sha256 does not match: the bundle's copy is corrupted";
            }
        }
        bi->usable = !im->bad;
        if (im->bad) {
            say(b, "bundle: image '%s' unusable: %s", bi->img.name, im->bad);
        }
    }
}

int bundle_parse(const void *blob, size_t avail, bool verify, struct bundle *out)
{
    static struct reader r; /* large: kept off the boot stack */
    struct fdt_blob fb;
    int err;

    memset(out, 0, sizeof *out);
    memset(&r, 0, sizeof r);
    r.out = out;
    out->description = "";
    err = fdt_open(blob, avail, UINT32_MAX, &fb);
    if (err == FDT_ERR_TRUNCATED && avail >= 8 && fdt_total_size(blob) > avail) {
        say(out, "bundle: truncated: its header says %u bytes, the loader gave %lu",
            (unsigned)fdt_total_size(blob), (unsigned long)avail);
        return -1;
    }
    if (err != FDT_OK) {
        say(out, "bundle: not a usable device tree (%s)", fdt_strerror(err));
        return -1;
    }
    err = walk(&r, &fb, false);
    if (err != FDT_OK) {
        say(out, "bundle: malformed tree (%s)", fdt_strerror(err));
        return -1;
    }
    place_images(&r, &fb, avail, verify);
    walk(&r, &fb, true); /* the same tree again: it cannot fail where the first pass did not */
    if (out->nguests == 0) {
        say(out, "bundle: no guest that can be started");
    }
    return 0;
}
