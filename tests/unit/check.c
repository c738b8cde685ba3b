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
