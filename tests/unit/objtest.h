/* tests/unit/objtest.h: helpers shared by the objects-module unit tests. */
#ifndef KONS_TESTS_OBJTEST_H
#define KONS_TESTS_OBJTEST_H

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "rt/heap.h"
#include "rt/object.h"
#include "rt/printer.h"
#include "rt/reader.h"
#include "rt/stream.h"

static inline void objtest_init(void)
{
    if (rt_heap_init(NULL) != 0) {
        fprintf(stderr, "cannot init heap\n");
        exit(2);
    }
    rt_objects_init();
}

/* Moves v (and every other live young object) to old space, where objects never move.
 * The helpers below return promoted objects so that a test may pass several of them as
 * arguments of one call (C evaluates them in any order, unrooted) and stay correct
 * under KONS_GC_TORTURE=1. */
static inline rt_value promoted(rt_value v)
{
    RT_ROOTS(v);
    rt_gc_minor();
    return v;
}

/* Reads the first form of text (promoted); a reader error fails the test. */
static inline rt_value rd(const char *text)
{
    rt_value v;
    char err[RT_READ_ERRBUF];
    enum rt_read_status st = rt_read_from_utf8(text, strlen(text), &v, err);
    if (st != RT_READ_OK) {
        fprintf(stderr, "read of %s failed: %s\n", text, err);
        check_failed_++;
        return RT_NIL;
    }
    return promoted(v);
}

/* prin1 to a static buffer (tests only). */
static inline const char *pr(rt_value v)
{
    static char buf[8192];
    char *s = rt_print_to_utf8(v, true);
    snprintf(buf, sizeof buf, "%s", s);
    free(s);
    return buf;
}

#define CHECK_STR(a, b)                                                                   \
    do {                                                                                  \
        const char *a_ = (a), *b_ = (b);                                                  \
        if (strcmp(a_, b_) == 0) {                                                        \
            check_passed_++;                                                              \
        } else {                                                                          \
            check_failed_++;                                                              \
            fprintf(stderr, "%s:%d: check failed: %s\n   got: %s\n  want: %s\n", __FILE__, \
                    __LINE__, #a, a_, b_);                                                \
        }                                                                                 \
    } while (0)

/* Runs fn in a child process and checks that it signals a condition whose type name
 * appears on stderr and does not return normally (with the foundation error.c the
 * child aborts; with the VM's it unwinds to a top level that is not this test). */
static inline void check_signals(void (*fn)(void), const char *type, const char *where)
{
    int fds[2];
    if (pipe(fds) != 0)
        return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn();
        _exit(0); /* returned normally: no condition */
    }
    close(fds[1]);
    char buf[4096];
    size_t n = 0;
    ssize_t k;
    while ((k = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)k;
    buf[n] = 0;
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    bool normal = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!normal && strstr(buf, type)) {
        check_passed_++;
    } else {
        check_failed_++;
        fprintf(stderr, "%s: expected a %s, got status %d and stderr: %s\n", where, type, status, buf);
    }
}

#endif
