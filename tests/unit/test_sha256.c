// SPDX-License-Identifier: MIT
// Unit tests for SHA-256: the FIPS 180-4 examples, and any split of the input giving the same digest.
#include "check.h"
#include "lib/sha256.h"

#include <stdint.h>

static void hex(const uint8_t *d, char *out)
{
    for (unsigned i = 0; i < SHA256_LEN; i++) {
        sprintf(out + 2 * i, "%02x", d[i]);
    }
}

static void check_digest(const void *data, size_t len, const char *want)
{
    uint8_t d[SHA256_LEN];
    char got[2 * SHA256_LEN + 1];

    sha256(data, len, d);
    hex(d, got);
    CHECK_STR(got, want);
}

TEST(sha256_known_answers)
{
    check_digest("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_digest("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check_digest(m448, strlen(m448),
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklm"
                       "nopqrlmnopqrsmnopqrstnopqrstu";
    check_digest(m896, strlen(m896),
                 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(sha256_million_a)
{
    static uint8_t a[1000000];
    memset(a, 'a', sizeof a);
    check_digest(a, sizeof a, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the padding boundaries (55, 56, 63, 64 bytes) fed in every split must agree. */
TEST(sha256_splits_agree)
{
    uint8_t msg[200], whole[SHA256_LEN], parts[SHA256_LEN];

    for (unsigned i = 0; i < sizeof msg; i++) {
        msg[i] = (uint8_t)(i * 7 + 3);
    }
    for (size_t len = 0; len <= sizeof msg; len++) {
        sha256(msg, len, whole);
        for (size_t cut = 0; cut <= len; cut += 1 + len / 9) {
            struct sha256 s;
            sha256_init(&s);
            sha256_update(&s, msg, cut);
            sha256_update(&s, msg + cut, len - cut);
            sha256_final(&s, parts);
            CHECK(memcmp(whole, parts, SHA256_LEN) == 0);
        }
    }
}
