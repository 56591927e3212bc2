/* runtime/thread.c: green threads (package KONS), scheduled by the VM on one OS thread.
 *
 * Each Lisp thread has its own Lisp stacks (vm_thread) and its own C stack (ucontext),
 * so a thread can be switched even while C code called Lisp (rt_funcall). Switches
 * happen at VM safepoints (function entries, backward jumps) when the preemption timer
 * (SIGALRM, 10 ms, armed only while several threads exist) has fired, and in blocking
 * operations (join, mutex, condition wait, sleep, yield).
 *
 * Dynamic bindings are shallow (the symbol's value slot holds the running thread's
 * value): a switch swaps the outgoing thread's bindings out and the incoming one's in.
 *
 * Each thread has its own C root stack (rt/heap.h's rt_root_stack), switched with its
 * C stack, so a thread is preempted at any safepoint, also while C code it called (a
 * primitive that calls Lisp back, say) holds roots.
 *
 * The outside event loop API (rt/thread.h): rt_threads_run_slice runs Lisp threads from
 * the initial C context for a bounded time; rt_threads_wake makes the VM look at the
 * scheduler at its next safepoint (safe from signal handlers and other OS threads).
 */
#include "vm_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "rt/thread.h"

enum { TS_RUNNABLE, TS_WAITING, TS_SLEEPING, TS_DEAD };
enum { W_NONE, W_MUTEX, W_CV, W_JOIN };

static vm_thread *all_threads, *initial;
static int nthreads, next_id = 1;
static volatile sig_atomic_t preempt_pending;
static bool timer_armed;
static vm_thread *to_free;
static rt_value thread_sym_marker, mutex_marker, cv_marker;
static int64_t slice_deadline = -1;
static int wakeup_fd = -1;   /* an eventfd, made by vm_threads_init (rt_threads_wakeup_fd) */

#define C_STACK_BYTES ((size_t)8 << 20)

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void vm_threads_init(void)
{
    vm_thread *t = vm_thread_new((size_t)8 << 20);
    t->id = 0;
    t->name = RT_NO_VALUE; /* "main thread", made a string once objects exist */
    t->state = TS_RUNNABLE;
    all_threads = initial = t;
    nthreads = 1;
    vm_current = t;
    wakeup_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

void vm_threads_scan(rt_slot_visitor visit, void *ctx)
{
    for (vm_thread *t = all_threads; t; t = t->next_all) {
        vm_scan_thread(t, visit, ctx);
        vm_compiler_scan(t->compile_cx, visit, ctx);
        if (t != vm_current)
            rt_root_stack_scan(&t->roots, visit, ctx);
    }
    if (thread_sym_marker)
        visit(&thread_sym_marker, ctx);
}

/* ---- Preemption timer -------------------------------------------------------------------- */

static void on_alarm(int sig)
{
    (void)sig;
    preempt_pending = 1;
    rt_vm_poll_flag = 1;
}

static void arm_timer(bool on)
{
    if (on == timer_armed)
        return;
    timer_armed = on;
    if (on) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGALRM, &sa, NULL);
    }
    struct itimerval it = {{0, on ? 10000 : 0}, {0, on ? 10000 : 0}};
    setitimer(ITIMER_REAL, &it, NULL);
}

void rt_threads_wake(void)
{
    preempt_pending = 1;
    rt_vm_poll_flag = 1;
    if (wakeup_fd >= 0) {
        uint64_t one = 1;
        ssize_t r = write(wakeup_fd, &one, sizeof one);   /* EAGAIN: already readable */
        (void)r;
    }
}

int rt_threads_wakeup_fd(void) { return wakeup_fd; }

static void drain_wakeup_fd(void)
{
    uint64_t n;
    if (wakeup_fd >= 0) {
        ssize_t r = read(wakeup_fd, &n, sizeof n);   /* EAGAIN: nothing pending */
        (void)r;
    }
}

/* ---- Switching ---------------------------------------------------------------------------- */

/* A thread that finished hands its stacks to the next one to run, which frees them here
 * (on its own C stack): after a switch returns, and when a new thread starts. */
static void free_dead_thread(void)
{
    if (to_free && to_free != vm_current) {
        vm_thread *d = to_free;
        to_free = NULL;
        munmap(d->cstack, d->cstack_size);
        vm_thread_free(d);
    }
}

static void switch_to(vm_thread *next)
{
    vm_thread *cur = vm_current;
    if (next == cur)
        return;
    vm_swap_bindings(cur, true);
    vm_swap_bindings(next, false);
    rt_root_stack_switch(&cur->roots, &next->roots);
    vm_current = next;
    if (next->interrupts != RT_NIL)
        rt_vm_poll_flag = 1;
    swapcontext(&cur->uctx, &next->uctx);
    /* running again as cur (whoever switched back installed cur's root stack) */
    free_dead_thread();
}

static vm_thread *pick_next(vm_thread *cur)
{
    int64_t now = -1;
    vm_thread *t = cur->next_all ? cur->next_all : all_threads;
    for (int i = 0; i < nthreads; i++) {
        if (t->state == TS_SLEEPING) {
            if (now < 0)
                now = now_ns();
            if (t->wake_at_ns <= now)
                t->state = TS_RUNNABLE;
        }
        if (t->state == TS_RUNNABLE)
            return t;
        t = t->next_all ? t->next_all : all_threads;
    }
    return NULL;
}

/* Gives the processor to another runnable thread (or waits for a sleeper). Returns when
 * the current thread is runnable and scheduled again. */
static void schedule(void)
{
    vm_thread *cur = vm_current;
    for (;;) {
        vm_thread *next = pick_next(cur);
        if (next) {
            switch_to(next);
            if (cur->state == TS_RUNNABLE)
                return;
            continue;
        }
        /* nobody runnable: sleep until the earliest sleeper */
        int64_t earliest = -1;
        for (vm_thread *t = all_threads; t; t = t->next_all)
            if (t->state == TS_SLEEPING && (earliest < 0 || t->wake_at_ns < earliest))
                earliest = t->wake_at_ns;
        if (earliest < 0) {
            cur->state = TS_RUNNABLE;
            rt_error("SIMPLE-ERROR", "deadlock: every thread is waiting");
        }
        int64_t d = earliest - now_ns();
        if (d > 0) {
            struct timespec ts = {d / 1000000000, d % 1000000000};
            while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
                ;
        }
    }
}

static void run_interrupts(vm_thread *t)
{
    while (rt_consp(t->interrupts)) {
        rt_value fn = rt_car(t->interrupts);
        t->interrupts = rt_cdr(t->interrupts);
        rt_funcall(fn, 0, NULL);
    }
}

void vm_thread_safepoint(void)
{
    vm_thread *cur = vm_current;
    if (cur->interrupts != RT_NIL)
        run_interrupts(cur);
    if (!preempt_pending)
        return;
    preempt_pending = 0;
    if (slice_deadline >= 0 && cur != initial && now_ns() >= slice_deadline)
        initial->state = TS_RUNNABLE;
    if (nthreads > 1)
        schedule();
}

/* ---- Thread objects ------------------------------------------------------------------------ *
 * A KONS:THREAD is an RT_WT_THREAD object whose rack holds [name, id]. */

static vm_thread *thread_of(rt_value obj)
{
    if (!rt_widetagp(obj, RT_WT_THREAD))
        rt_type_error(obj, "kons:thread");
    int64_t id = rt_fixnum_value(rt_body(obj)[1]);
    for (vm_thread *t = all_threads; t; t = t->next_all)
        if (t->id == id)
            return t;
    return NULL;
}

static rt_value thread_object(vm_thread *t)
{
    if (t->lisp_thread == RT_NIL) {
        rt_value o = rt_alloc_object(RT_WT_THREAD, 0, 3, 3);
        RT_STORE(rt_body(o)[0], t->name);
        RT_STORE(rt_body(o)[1], rt_fixnum(t->id));
        t->lisp_thread = o;
    }
    return t->lisp_thread;
}

static void wake_waiters(int kind, rt_value obj, bool all)
{
    for (vm_thread *t = all_threads; t; t = t->next_all)
        if (t->state == TS_WAITING && t->wait_obj != RT_NIL && rt_eq(t->wait_obj, obj) &&
            t->wait_kind == kind) {
            t->state = TS_RUNNABLE;
            t->wait_obj = RT_NIL;
            if (!all)
                return;
        }
}

static void wait_on(int kind, rt_value obj)
{
    vm_thread *cur = vm_current;
    cur->state = TS_WAITING;
    cur->wait_obj = obj;
    cur->wait_kind = kind;
    schedule();
}

static void run_fn_body(void *p)
{
    vm_thread *t = p;
    rt_value r = vm_call(t->function, 0, NULL);
    size_t n = t->nvals;
    rt_value l = RT_NIL;
    RT_ROOTS(r, l);
    if (n == 1)
        l = rt_cons(r, RT_NIL);
    else
        for (size_t i = n; i-- > 0;)
            l = rt_cons(t->mv[i], l);
    rt_value o = thread_object(t);
    RT_STORE(rt_body(o)[2], l);
}

static void thread_main(void)
{
    vm_thread *T = vm_current;
    free_dead_thread();   /* a thread that died just before this one first ran */
    rt_catch_toplevel(run_fn_body, T);
    T->state = TS_DEAD;
    wake_waiters(W_JOIN, thread_object(T), true);
    /* unlink and hand the stacks to the next thread to free */
    vm_thread **pp = &all_threads;
    while (*pp != T)
        pp = &(*pp)->next_all;
    *pp = T->next_all;
    nthreads--;
    if (nthreads == 1)
        arm_timer(false);
    vm_thread *next = NULL;
    for (vm_thread *t = all_threads; t; t = t->next_all)
        if (t->state == TS_RUNNABLE) {
            next = t;
            break;
        }
    if (!next)
        next = initial;
    if (next->state != TS_RUNNABLE && next == initial && slice_deadline >= 0)
        next->state = TS_RUNNABLE;
    vm_swap_bindings(T, true);
    rt_root_stack_switch(&T->roots, &next->roots); /* T's is freed with T */
    to_free = T;
    vm_current = next;
    vm_swap_bindings(next, false);
    /* A dead thread's bindings are gone; set context and never return. */
    T->nbind = 0;
    if (next->state != TS_RUNNABLE) {
        /* nobody can run: let the scheduler of 'next' sleep/deadlock-check */
        next->state = TS_RUNNABLE;
    }
    setcontext(&next->uctx);
    abort();
}

/* ---- Primitives ------------------------------------------------------------------------------ */

static rt_value p_make_thread(rt_value *a, size_t n)
{
    rt_value fn = a[0], name = RT_NIL;
    RT_ROOTS(fn, name);
    for (size_t i = 1; i + 1 < n; i += 2)
        if (rt_eq(a[i], rt_intern_c("NAME", "KEYWORD")))
            name = a[i + 1];
    if (!rt_functionp(fn) && !rt_symbolp(fn))
        rt_type_error(fn, "function");
    vm_thread *t = vm_thread_new((size_t)4 << 20);
    t->id = next_id++;
    t->function = fn;
    t->name = name;
    t->state = TS_RUNNABLE;
    t->cstack_size = C_STACK_BYTES;
    t->cstack = mmap(NULL, C_STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (t->cstack == MAP_FAILED) {
        vm_thread_free(t);
        rt_storage_error("cannot allocate a thread stack");
    }
    mprotect(t->cstack, 4096, PROT_NONE); /* guard page */
    getcontext(&t->uctx);
    t->uctx.uc_stack.ss_sp = t->cstack;
    t->uctx.uc_stack.ss_size = C_STACK_BYTES;
    t->uctx.uc_link = NULL;
    makecontext(&t->uctx, thread_main, 0);
    t->bindings_swapped_out = true; /* no bindings yet: nothing to swap in */
    t->next_all = NULL;
    vm_thread **pp = &all_threads;
    while (*pp)
        pp = &(*pp)->next_all;
    *pp = t;
    nthreads++;
    arm_timer(true);
    return thread_object(t);
}

static rt_value p_join_thread(rt_value *a, size_t n)
{
    (void)n;
    for (;;) {
        vm_thread *t = thread_of(a[0]);
        if (!t || t->state == TS_DEAD)
            break;
        if (t == vm_current)
            rt_error("SIMPLE-ERROR", "a thread cannot join itself");
        wait_on(W_JOIN, a[0]);
    }
    rt_value th = a[0];
    /* The values were kept in the thread object when it finished. */
    rt_value vals[64];
    size_t k = 0;
    for (rt_value l = rt_body(th)[2]; rt_consp(l) && k < 64; l = rt_cdr(l))
        vals[k++] = rt_car(l);
    return rt_values(k, vals);
}

static rt_value p_thread_yield(rt_value *a, size_t n)
{
    (void)a;
    (void)n;
    if (nthreads > 1)
        schedule();
    return RT_NIL;
}

static rt_value p_current_thread(rt_value *a, size_t n)
{
    (void)a;
    (void)n;
    return thread_object(vm_current);
}

static rt_value p_thread_name(rt_value *a, size_t n)
{
    (void)n;
    if (!rt_widetagp(a[0], RT_WT_THREAD))
        rt_type_error(a[0], "kons:thread");
    return rt_body(a[0])[0];
}

static rt_value p_thread_alive_p(rt_value *a, size_t n)
{
    (void)n;
    vm_thread *t = thread_of(a[0]);
    return rt_bool(t && t->state != TS_DEAD);
}

static rt_value p_all_threads(rt_value *a, size_t n)
{
    (void)a;
    (void)n;
    rt_value l = RT_NIL;
    RT_ROOTS(l);
    for (vm_thread *t = all_threads; t; t = t->next_all) {
        rt_value o = thread_object(t);
        l = rt_cons(o, l);
    }
    return rt_nreverse(l);
}

static rt_value p_interrupt_thread(rt_value *a, size_t n)
{
    (void)n;
    vm_thread *t = thread_of(a[0]);
    if (!t || t->state == TS_DEAD)
        return RT_NIL;
    rt_value fn = a[1];
    RT_ROOTS(fn);
    /* appended: interrupts run in order */
    rt_value cell = rt_cons(fn, RT_NIL);
    t = thread_of(a[0]);
    if (t->interrupts == RT_NIL)
        t->interrupts = cell;
    else {
        rt_value l = t->interrupts;
        while (rt_consp(rt_cdr(l)))
            l = rt_cdr(l);
        rt_set_cdr(l, cell);
    }
    if (t->state == TS_WAITING || t->state == TS_SLEEPING)
        t->state = TS_RUNNABLE;
    if (t == vm_current)
        rt_vm_poll_flag = 1;
    return RT_T;
}

/* Mutexes and condition variables are simple vectors #(marker name owner). */
static rt_value make_marked(rt_value marker, rt_value name)
{
    RT_ROOTS(marker, name);
    rt_value v = rt_make_simple_vector(3, RT_NIL);
    RT_STORE(rt_body(v)[0], marker);
    RT_STORE(rt_body(v)[1], name);
    return v;
}

static rt_value check_marked(rt_value v, rt_value marker, const char *type)
{
    if (!rt_simple_vector_p(v) || rt_vector_length(v) != 3 || !rt_eq(rt_body(v)[0], marker))
        rt_type_error(v, type);
    return v;
}

static rt_value key_arg(rt_value *a, size_t n, size_t from, const char *kw)
{
    for (size_t i = from; i + 1 < n; i += 2)
        if (rt_eq(a[i], rt_intern_c(kw, "KEYWORD")))
            return a[i + 1];
    return RT_NIL;
}

static rt_value p_make_mutex(rt_value *a, size_t n) { return make_marked(mutex_marker, key_arg(a, n, 0, "NAME")); }

/* The blocking primitives keep their arguments in the Lisp stack (a[]), which the GC
 * scans and updates in place, so a[i] is re-read after every switch. */
static rt_value grab(rt_value *a)
{
    check_marked(a[0], mutex_marker, "kons:mutex");
    if (rt_eq(rt_body(a[0])[2], thread_object(vm_current)))
        rt_error("SIMPLE-ERROR", "recursive lock attempt on a mutex");
    while (!rt_null(rt_body(a[0])[2]))
        wait_on(W_MUTEX, a[0]);
    rt_value self = thread_object(vm_current);
    RT_STORE(rt_body(a[0])[2], self);
    return RT_T;
}

static rt_value p_grab_mutex(rt_value *a, size_t n)
{
    (void)n;
    return grab(a);
}

static void release(rt_value m)
{
    RT_STORE(rt_body(m)[2], RT_NIL);
    wake_waiters(W_MUTEX, m, false);
}

static rt_value p_release_mutex(rt_value *a, size_t n)
{
    (void)n;
    rt_value m = check_marked(a[0], mutex_marker, "kons:mutex");
    if (!rt_eq(rt_body(m)[2], thread_object(vm_current)))
        rt_error("SIMPLE-ERROR", "releasing a mutex this thread does not own");
    release(m);
    return RT_NIL;
}

static rt_value p_mutex_owner(rt_value *a, size_t n)
{
    (void)n;
    return rt_body(check_marked(a[0], mutex_marker, "kons:mutex"))[2];
}

static rt_value p_make_cv(rt_value *a, size_t n) { return make_marked(cv_marker, key_arg(a, n, 0, "NAME")); }

static rt_value p_condition_wait(rt_value *a, size_t n)
{
    (void)n;
    check_marked(a[0], cv_marker, "kons:condition-variable");
    check_marked(a[1], mutex_marker, "kons:mutex");
    if (!rt_eq(rt_body(a[1])[2], thread_object(vm_current)))
        rt_error("SIMPLE-ERROR", "CONDITION-WAIT without holding the mutex");
    release(a[1]);
    wait_on(W_CV, a[0]);
    return grab(a + 1);
}

static rt_value p_condition_notify(rt_value *a, size_t n)
{
    (void)n;
    wake_waiters(W_CV, check_marked(a[0], cv_marker, "kons:condition-variable"), false);
    return RT_NIL;
}

static rt_value p_condition_broadcast(rt_value *a, size_t n)
{
    (void)n;
    wake_waiters(W_CV, check_marked(a[0], cv_marker, "kons:condition-variable"), true);
    return RT_NIL;
}

static double seconds_of(rt_value v)
{
    if (rt_fixnump(v))
        return (double)rt_fixnum_value(v);
    if (rt_single_floatp(v))
        return rt_single_value(v);
    rt_value f = rt_funcall(rt_intern_c("FLOAT", "COMMON-LISP"), 2, (rt_value[]){v, rt_single(0)});
    /* double precision when the argument was a double */
    if (rt_single_floatp(f))
        return rt_single_value(f);
    return 0;
}

static rt_value p_sleep(rt_value *a, size_t n)
{
    (void)n;
    double s = seconds_of(a[0]);
    if (s < 0)
        rt_type_error(a[0], "(real 0)");
    int64_t until = now_ns() + (int64_t)(s * 1e9);
    vm_thread *cur = vm_current;
    if (nthreads > 1) {
        cur->state = TS_SLEEPING;
        cur->wake_at_ns = until;
        schedule();
        return RT_NIL;
    }
    for (;;) {
        int64_t d = until - now_ns();
        if (d <= 0)
            break;
        struct timespec ts = {d / 1000000000, d % 1000000000};
        nanosleep(&ts, NULL);
        if (rt_vm_poll_flag)
            vm_poll();
    }
    return RT_NIL;
}

const rt_prim_def rt_thread_prims[] = {
    {"KONS", "MAKE-THREAD", p_make_thread, 1, -1},
    {"KONS", "JOIN-THREAD", p_join_thread, 1, -1},
    {"KONS", "THREAD-YIELD", p_thread_yield, 0, 0},
    {"KONS", "CURRENT-THREAD", p_current_thread, 0, 0},
    {"KONS", "THREAD-NAME", p_thread_name, 1, 1},
    {"KONS", "THREAD-ALIVE-P", p_thread_alive_p, 1, 1},
    {"KONS", "ALL-THREADS", p_all_threads, 0, 0},
    {"KONS", "INTERRUPT-THREAD", p_interrupt_thread, 2, 2},
    {"KONS", "MAKE-MUTEX", p_make_mutex, 0, -1},
    {"KONS", "GRAB-MUTEX", p_grab_mutex, 1, -1},
    {"KONS", "RELEASE-MUTEX", p_release_mutex, 1, 1},
    {"KONS", "MUTEX-OWNER", p_mutex_owner, 1, 1},
    {"KONS", "MAKE-CONDITION-VARIABLE", p_make_cv, 0, -1},
    {"KONS", "CONDITION-WAIT", p_condition_wait, 2, -1},
    {"KONS", "CONDITION-NOTIFY", p_condition_notify, 1, 1},
    {"KONS", "CONDITION-BROADCAST", p_condition_broadcast, 1, 1},
    {"COMMON-LISP", "SLEEP", p_sleep, 1, 1},
};
const size_t rt_thread_prims_count = sizeof rt_thread_prims / sizeof rt_thread_prims[0];

/* Lets other threads run while the initial thread waits for terminal input (the REPL):
 * returns when ready() says the input is there, or at once with no other thread. */
void vm_threads_wait_input(bool (*ready)(void *), void *ctx)
{
    vm_thread *cur = vm_current;
    while (nthreads > 1 && !ready(ctx)) {
        cur->state = TS_SLEEPING;
        cur->wake_at_ns = now_ns() + 10 * 1000000;
        schedule();
    }
}

/* ---- The outside event loop ------------------------------------------------------------------- */

int64_t rt_threads_run_slice(int64_t budget_ns)
{
    vm_thread *cur = vm_current;
    drain_wakeup_fd();
    if (cur != initial || nthreads == 1)
        return -1;
    slice_deadline = now_ns() + budget_ns;
    cur->state = TS_SLEEPING;
    cur->wake_at_ns = slice_deadline;
    schedule();
    cur->state = TS_RUNNABLE;
    slice_deadline = -1;
    return rt_threads_next_deadline_ns();
}

int64_t rt_threads_next_deadline_ns(void)
{
    int64_t best = -1, now = now_ns();
    for (vm_thread *t = all_threads; t; t = t->next_all) {
        if (t == initial)
            continue;
        if (t->state == TS_RUNNABLE)
            return 0;
        if (t->state == TS_SLEEPING) {
            int64_t d = t->wake_at_ns - now;
            if (d < 0)
                d = 0;
            if (best < 0 || d < best)
                best = d;
        }
    }
    return best;
}

void vm_threads_markers_init(void);
void vm_threads_markers_init(void)
{
    if (initial->name == RT_NO_VALUE)
        initial->name = rt_string_from_cstr("main thread");
    mutex_marker = rt_intern_c("MUTEX", "KONS");
    rt_register_global(&mutex_marker);
    cv_marker = rt_intern_c("CONDITION-VARIABLE", "KONS");
    rt_register_global(&cv_marker);
}
