/*
 * tests/test.h — the unit-test harness: CHECK macros that report file:line and the values, a
 * temporary-directory helper and a main that runs the listed tests.
 *
 *   static void test_foo(void) { CHECK_EQ_INT(1 + 1, 2); }
 *   TEST_MAIN(test_foo, test_bar)
 *
 * A failed CHECK prints where and what, and the test executable exits 1 after running the rest
 * of the current test function (abort on the first failure of a test is TEST_REQUIRE).
 */
#ifndef STRATA_TESTS_TEST_H
#define STRATA_TESTS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int test_failures;
static const char *test_current;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__, test_current,     \
                    #cond);                                                                        \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: %s: REQUIRE(%s) failed\n", __FILE__, __LINE__, test_current,   \
                    #cond);                                                                        \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
    do {                                                                                           \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                      \
        if (va_ != vb_) {                                                                          \
            fprintf(stderr, "%s:%d: %s: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__,      \
                    test_current, #a, #b, va_, vb_);                                               \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                         \
    do {                                                                                           \
        const char *sa_ = (a), *sb_ = (b);                                                         \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                                               \
            fprintf(stderr, "%s:%d: %s: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__,  \
                    test_current, #a, #b, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");             \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define CHECK_MEM(p, plen, q, qlen)                                                                \
    do {                                                                                           \
        size_t la_ = (plen), lb_ = (qlen);                                                         \
        if (la_ != lb_ || memcmp((p), (q), la_) != 0) {                                            \
            fprintf(stderr, "%s:%d: %s: bytes %s differ from %s (len %zu vs %zu)\n", __FILE__,     \
                    __LINE__, test_current, #p, #q, la_, lb_);                                     \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

/* A fresh empty directory under $STRATA_TEST_TMP (or /tmp) named for the test; returns a static
 * buffer's copy the caller frees. */
static inline char *test_tmpdir(const char *name)
{
    const char *base = getenv("STRATA_TEST_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0755);
    char *p = malloc(strlen(base) + strlen(name) + 64);
    sprintf(p, "%s/%s.%d.XXXXXX", base, name, (int)getpid());
    if (!mkdtemp(p)) {
        perror("mkdtemp");
        exit(1);
    }
    return p;
}

/* rm -rf dir */
static inline void test_rmdir(const char *dir)
{
    size_t n = strlen(dir) + 16;
    char *cmd = malloc(n);
    if (!cmd) return;
    snprintf(cmd, n, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
    free(cmd);
}

typedef void (*test_fn)(void);
#define TEST_MAIN(...)                                                                             \
    int main(void)                                                                                 \
    {                                                                                              \
        test_fn fns_[] = {__VA_ARGS__};                                                            \
        const char *names_ = #__VA_ARGS__;                                                         \
        char buf_[4096];                                                                           \
        snprintf(buf_, sizeof buf_, "%s", names_);                                                 \
        char *save_ = NULL, *name_ = strtok_r(buf_, ", ", &save_);                                 \
        for (size_t i_ = 0; i_ < sizeof fns_ / sizeof fns_[0]; i_++) {                             \
            test_current = name_ ? name_ : "?";                                                    \
            int before_ = test_failures;                                                           \
            fns_[i_]();                                                                            \
            fprintf(stderr, "%s %s\n", test_failures == before_ ? "ok  " : "FAIL", test_current);  \
            name_ = strtok_r(NULL, ", ", &save_);                                                  \
        }                                                                                          \
        if (test_failures) fprintf(stderr, "%d check(s) failed\n", test_failures);                 \
        return test_failures ? 1 : 0;                                                              \
    }

#endif
