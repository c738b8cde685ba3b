// SPDX-License-Identifier: MIT
// Runner for the unit-test harness: `--list` prints case names, `NAME...` runs those, no argument runs all.
#include "check.h"

#define MAX_TESTS 512

static struct test_case tests[MAX_TESTS];
static int ntests;
int test_failures;

void test_register(const char *name, void (*fn)(void))
{
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "too many tests\n");
        exit(2);
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
}

static int run_one(const struct test_case *t)
{
    int before = test_failures;
    t->fn();
    printf("%s %s\n", test_failures == before ? "PASS" : "FAIL", t->name);
    return test_failures == before;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;

    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < ntests; i++) {
            printf("%s\n", tests[i].name);
        }
        return 0;
    }
    for (int i = 0; i < ntests; i++) {
        int wanted = argc == 1;
        for (int a = 1; a < argc; a++) {
            wanted |= strcmp(argv[a], tests[i].name) == 0;
        }
        if (wanted) {
            run_one(&tests[i]) ? passed++ : failed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

unsigned char *test_load_dtb(const char *name, size_t *size)
{
    const char *dir = getenv("FDT_TEST_DATA");
    char path[512];
    snprintf(path, sizeof path, "%s/%s.dtb", dir ? dir : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s (FDT_TEST_DATA: the directory of compiled .dtb)\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = n > 0 ? malloc((size_t)n) : NULL;
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = buf ? (size_t)n : 0;
    return buf;
}
