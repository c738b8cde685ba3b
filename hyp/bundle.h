/* SPDX-License-Identifier: MIT */
/* Guest bundles: the guests to run and their images, in one FIT-style device tree (docs/bundles.md). */
#ifndef HYP_BUNDLE_H
#define HYP_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define BUNDLE_MAX_IMAGES 32
#define BUNDLE_MAX_GUESTS 64
#define BUNDLE_MAX_MSGS 48
#define BUNDLE_MSG_LEN 144
/* Guest RAM a description may ask for; larger values are refused before any arithmetic on them. */
#define BUNDLE_MAX_MEMORY_MIB (1u << 20)

struct bundle_image {
    struct guest_image img;
    bool usable;   /* its bytes lie inside the bundle and match its hash, if it has one */
    bool hashed;   /* a sha256 was given and checked */
};

struct bundle {
    struct bundle_image images[BUNDLE_MAX_IMAGES];
    unsigned nimages;
    struct vm_config guests[BUNDLE_MAX_GUESTS]; /* only the guests that can be started */
    unsigned nguests;
    const char *description; /* the root's description, or "" */
    /* One line per problem found, for the boot log; when more were found than fit, the last says so. */
    char msgs[BUNDLE_MAX_MSGS][BUNDLE_MSG_LEN];
    unsigned nmsgs;
};

/* Reads the bundle at `blob`, of which `avail` bytes were loaded. Everything in it is checked: the
 * tree, every image's place (inside the bundle, past the tree, not overlapping another) and, when
 * `verify` is set, its hash,
 * and every guest's description. A guest that names an unusable image or has a bad description is
 * left out with a message; the others are kept. Returns 0, or -1 when the bundle as a whole is
 * unusable (then msgs says why). out->guests and images point into the blob, which must stay. */
int bundle_parse(const void *blob, size_t avail, bool verify, struct bundle *out);

#endif
