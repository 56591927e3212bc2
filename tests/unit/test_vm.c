/* tests/unit/test_vm.c: the compiler and VM seen from C (rt/vm.h, rt/prim.h,
 * rt/error.h): evaluation, calls from C, multiple values, non-local exits through C
 * frames, rt_protect, primitives, deep recursion and the storage-condition. The Lisp
 * library is not loaded: only the kernel (special operators and the C macros). */
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rt/error.h"
#include "rt/printer.h"
#include "rt/reader.h"
#include "rt/rt.h"
#include "rt/thread.h"
#include "rt/vm.h"

static rt_value rd(const char *text)
{
    rt_value v;
    char err[RT_READ_ERRBUF];
    if (rt_read_from_utf8(text, strlen(text), &v, err) != RT_READ_OK) {
        fprintf(stderr, "read error: %s\n", err);
        abort();
    }
    return v;
}

static rt_value ev(const char *text) { return rt_eval(rd(text)); }

static bool printed_as(rt_value v, const char *expected)
{
    char *s = rt_print_to_utf8(v, true);
    bool ok = strcmp(s, expected) == 0;
    if (!ok)
        fprintf(stderr, "printed %s, expected %s\n", s, expected);
    free(s);
    return ok;
}

#define EV_IS(text, expected) CHECK(printed_as(ev(text), expected))

static void test_basics(void)
{
    EV_IS("(+ 1 2)", "3");
    EV_IS("(let ((x 1) (y 2)) (list x y))", "(1 2)");
    EV_IS("(progn (defun vm-fib (n) (if (< n 2) n (+ (vm-fib (- n 1)) (vm-fib (- n 2))))) (vm-fib 20))", "6765");
    EV_IS("(funcall (let ((n 0)) (lambda () (setq n (+ n 1)) (setq n (+ n 1)))))", "2");
    EV_IS("(block b (tagbody (return-from b 5)))", "5");
    EV_IS("`(1 ,(+ 1 1) ,@(cons 3 nil))", "(1 2 3)");
    EV_IS("(progn (defmacro vm-m ((a) &rest r) `(cons ,a ',r)) (vm-m (1) 2 3))", "(1 2 3)");
    EV_IS("(+ 4611686018427387903 1)", "4611686018427387904");  /* fixnum overflow -> bignum */
    EV_IS("(- -4611686018427387904 1)", "-4611686018427387905");
}

static void test_values_and_calls(void)
{
    rt_value v = ev("(values 1 2 3)");
    CHECK_EQ_INT(rt_values_count(), 3);
    CHECK(rt_value_n(2) == rt_fixnum(3));
    CHECK(v == rt_fixnum(1));
    ev("(values)");
    CHECK_EQ_INT(rt_values_count(), 0);
    /* rt_funcall from C, with a symbol and with a function object */
    rt_value args[2] = {rt_fixnum(3), rt_fixnum(4)};
    CHECK(rt_funcall(rt_intern_c("+", "COMMON-LISP"), 2, args) == rt_fixnum(7));
    rt_value f = ev("(lambda (a b) (values b a))");
    RT_ROOTS(f);
    CHECK(rt_funcall(f, 2, args) == rt_fixnum(4));
    CHECK_EQ_INT(rt_values_count(), 2);
    CHECK(rt_apply_list(f, rd("(5 6)")) == rt_fixnum(6));
}

static int cleanups;
static void cleanup(void *p)
{
    (void)p;
    cleanups++;
}
static void throw_from_c(void *p)
{
    (void)p;
    ev("(throw 'vm-tag 42)");
}
static rt_value prim_protect(rt_value *a, size_t n)
{
    (void)a, (void)n;
    rt_protect(throw_from_c, cleanup, NULL);
    return RT_NIL;
}
static rt_value prim_error(rt_value *a, size_t n)
{
    (void)a, (void)n;
    rt_error("SIMPLE-ERROR", "from C %d", 7);
}
static const rt_prim_def test_prims[] = {
    {"KONS-SYSTEM", "%TEST-PROTECT", prim_protect, 0, 0},
    {"KONS-SYSTEM", "%TEST-ERROR", prim_error, 0, 0},
};

static void body_error(void *p)
{
    (void)p;
    ev("(kons-system::%test-error)");
}
static void body_deep(void *p)
{
    (void)p;
    ev("(progn (defun vm-down (n) (+ 1 (vm-down (+ n 1)))) (vm-down 0))");
}

static void test_nonlocal_through_c(void)
{
    rt_define_primitives(test_prims, 2);
    cleanups = 0;
    /* a throw from Lisp called by C called by Lisp: the C cleanup runs, the catch gets 42 */
    EV_IS("(catch 'vm-tag (kons-system::%test-protect) 1)", "42");
    CHECK_EQ_INT(cleanups, 1);
    /* unwind-protect cleanups run on the way */
    EV_IS("(let ((log nil)) (catch 'vm-tag (unwind-protect (kons-system::%test-protect) (setq log 'ran))) log)", "RAN");
    /* without the condition system an error unwinds to the top level */
    CHECK(!rt_catch_toplevel(body_error, NULL));
    /* deep recursion: a storage-condition, and the VM stays usable */
    CHECK(!rt_catch_toplevel(body_deep, NULL));
    EV_IS("(vm-fib 10)", "55");
}

/* The scheduler driven from C, as the desktop's event loop does. */
static void test_threads_from_event_loop(void)
{
    ev("(setq vm-slice-result nil)");
    ev("(kons:make-thread (lambda () (sleep 0.01) (setq vm-slice-result :done)))");
    rt_value sym = rt_intern_c("VM-SLICE-RESULT", "COMMON-LISP-USER");
    RT_ROOTS(sym);
    int slices = 0;
    int64_t next = 0;
    while (rt_null(rt_symbol_value(sym)) && slices < 1000) {
        next = rt_threads_run_slice(2 * 1000000);
        slices++;
    }
    CHECK(printed_as(rt_symbol_value(sym), ":DONE"));
    CHECK(slices > 1);                            /* the sleeper needed several slices */
    CHECK(rt_threads_next_deadline_ns() == -1);   /* nothing left to run */
    (void)next;
}

/* The wake-up descriptor: another OS thread's rt_threads_wake makes it readable, so an
 * event loop blocked in poll() returns; the next slice drains it. */
static void *wake_later(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 30 * 1000000};
    nanosleep(&ts, NULL);
    rt_threads_wake();
    return NULL;
}

static void test_wakeup_fd(void)
{
    int fd = rt_threads_wakeup_fd();
    CHECK(fd >= 0);
    rt_threads_run_slice(1000000);   /* drains anything pending */
    struct pollfd p = {fd, POLLIN, 0};
    CHECK(poll(&p, 1, 0) == 0);      /* not readable before a wake */
    pthread_t th;
    CHECK(pthread_create(&th, NULL, wake_later, NULL) == 0);
    p.revents = 0;
    CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLIN));
    pthread_join(th, NULL);
    rt_threads_run_slice(1000000);
    p.revents = 0;
    CHECK(poll(&p, 1, 0) == 0);      /* drained by the slice */
    EV_IS("(+ 1 2)", "3");           /* the pending preemption request harms nothing */
}

int main(void)
{
    rt_config cfg = {0};
    if (rt_init(&cfg) != 0)
        return 1;
    test_basics();
    test_values_and_calls();
    test_nonlocal_through_c();
    test_threads_from_event_loop();
    test_wakeup_fd();
    return check_report();
}
