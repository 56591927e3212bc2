/* tests/check.h: the C unit-test idiom. Each test program is a list of checks; it prints
 * every failure with its place and ends with the line "N passed, M failed", exiting
 * non-zero when anything failed. */
#ifndef KONS_TESTS_CHECK_H
#define KONS_TESTS_CHECK_H

#include <stdio.h>

static int check_passed_, check_failed_;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            check_passed_++;                                                         \
        } else {                                                                     \
            check_failed_++;                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                            \
    do {                                                                              \
        long long a_ = (long long)(a), b_ = (long long)(b);                           \
        if (a_ == b_) {                                                               \
            check_passed_++;                                                          \
        } else {                                                                      \
            check_failed_++;                                                          \
            fprintf(stderr, "%s:%d: check failed: %s == %s (%lld != %lld)\n",         \
                    __FILE__, __LINE__, #a, #b, a_, b_);                              \
        }                                                                             \
    } while (0)

static inline int check_report(void)
{
    printf("%d passed, %d failed\n", check_passed_, check_failed_);
    return check_failed_ ? 1 : 0;
}

#endif
