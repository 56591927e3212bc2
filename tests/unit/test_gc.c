/* Unit tests of the heap and the garbage collector (runtime/heap.c, gc_major.c,
 * gc_verify.c): allocation, survival of rooted structures across minor and major
 * collections, reclamation, rack owners, the write barrier and remembered set,
 * incremental marking under mutation, weak pointers and weak vectors, finalizers,
 * torture and verify modes, the verifier catching a broken heap, the heap limit. */
#include "check.h"
#include "rt/heap.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void start(size_t old_bytes, size_t nursery_bytes)
{
    rt_heap_config cfg = {old_bytes, nursery_bytes};
    if (rt_heap_init(&cfg) != 0) {
        fprintf(stderr, "rt_heap_init failed\n");
        exit(2);
    }
}

static bool is_old(rt_value v)
{
    rt_space_info s[4];
    size_t n = rt_heap_spaces(s, 4);
    uintptr_t a = (uintptr_t)rt_addr(v);
    for (size_t i = 0; i < n; i++)
        if (s[i].kind == RT_SPACE_CELLS && a >= s[i].start && a < s[i].used_end)
            return true;
    return false;
}

/* A list of n elements; element i is (i . #(i "raw" ...)) with a vector of 3 boxed and
 * 2 raw words. */
static rt_value build_list(int64_t n)
{
    rt_value list = RT_NIL, vec = RT_NIL, pair = RT_NIL;
    RT_ROOTS(list, vec, pair);
    for (int64_t i = n - 1; i >= 0; i--) {
        vec = rt_alloc_object(RT_WT_SIMPLE_VECTOR, 3, 5, 3);
        rt_body(vec)[0] = rt_fixnum(i);
        rt_body(vec)[3] = (rt_value)(0xABCD0000u + (uint64_t)i);   /* raw word */
        pair = rt_cons(rt_fixnum(i), vec);
        list = rt_cons(pair, list);
    }
    return list;
}

static bool check_list(rt_value list, int64_t n)
{
    int64_t i = 0;
    for (rt_value l = list; rt_consp(l); l = rt_cdr(l), i++) {
        rt_value pair = rt_car(l);
        if (!rt_consp(pair) || rt_car(pair) != rt_fixnum(i))
            return false;
        rt_value vec = rt_cdr(pair);
        if (!rt_widetagp(vec, RT_WT_SIMPLE_VECTOR) || rt_body(vec)[0] != rt_fixnum(i)
            || !rt_null(rt_body(vec)[1]) || rt_body(vec)[3] != (rt_value)(0xABCD0000u + (uint64_t)i)
            || rt_rack_of(vec)->owner != (uint64_t)(uintptr_t)rt_cell_of(vec))
            return false;
    }
    return i == n;
}

static void test_survival(void)
{
    rt_value list = build_list(20000);
    RT_ROOTS(list);
    CHECK(check_list(list, 20000));
    rt_gc_stats st0, st1;
    rt_gc_get_stats(&st0);
    rt_gc_minor();
    rt_gc_get_stats(&st1);
    CHECK(st1.minor_count == st0.minor_count + 1);
    CHECK(st1.epoch == st0.epoch + 1);
    CHECK(is_old(list) && !rt_in_nursery(list));
    CHECK(check_list(list, 20000));
    rt_gc_full();
    CHECK(check_list(list, 20000));
    rt_gc_full();
    CHECK(check_list(list, 20000));
    /* Access bits survive moving. */
    rt_value restricted = rt_with_access_bits(rt_cons(rt_fixnum(7), RT_NIL), 0x9);
    RT_ROOTS(restricted);
    rt_gc_minor();
    CHECK(rt_access_bits(restricted) == 0x9 && rt_car(restricted) == rt_fixnum(7) && is_old(restricted));
}

static void test_reclaim(void)
{
    rt_gc_full();
    rt_gc_stats a, b;
    rt_gc_get_stats(&a);
    /* Promote garbage: rooted across a minor GC, then dropped. */
    for (int round = 0; round < 5; round++) {
        rt_value junk = build_list(20000);
        RT_ROOTS(junk);
        rt_gc_minor();
        CHECK(is_old(junk));
    }
    rt_gc_get_stats(&b);
    CHECK(b.bytes_promoted >= a.bytes_promoted + 5 * 20000 * 112);
    rt_gc_full();
    rt_gc_get_stats(&b);
    CHECK(b.old_bytes_in_use <= a.old_bytes_in_use + 4096);
    uint64_t committed = b.old_bytes_committed;
    /* Memory is reused: the same again does not grow old space. */
    for (int round = 0; round < 5; round++) {
        rt_value junk = build_list(20000);
        RT_ROOTS(junk);
        rt_gc_minor();
        rt_gc_full();
    }
    rt_gc_get_stats(&b);
    CHECK(b.old_bytes_committed <= committed + (UINT64_C(8) << 20));
}

static void test_large_and_realloc(void)
{
    rt_value big = rt_alloc_object(RT_WT_SIMPLE_VECTOR, 100000, 100000, 100000);
    RT_ROOTS(big);
    CHECK(is_old(big));
    CHECK(rt_null(rt_body(big)[99999]));
    for (int i = 0; i < 100000; i += 997) {
        rt_value c = rt_cons(rt_fixnum(i), RT_NIL);
        RT_STORE(rt_body(big)[i], c);
    }
    rt_gc_minor();
    bool ok = true;
    for (int i = 0; i < 100000; i += 997)
        ok &= rt_consp(rt_body(big)[i]) && rt_car(rt_body(big)[i]) == rt_fixnum(i) && is_old(rt_body(big)[i]);
    CHECK(ok);
    rt_gc_stats a, b;
    rt_gc_full();
    rt_gc_get_stats(&a);
    /* Grow it (adjust-array): the old rack is freed. */
    rt_rack *old = rt_rack_of(big);
    rt_value keep = rt_body(big)[997];
    RT_ROOTS(keep);
    rt_realloc_rack(big, 10, 10);
    CHECK(rt_rack_of(big) != old && rt_rack_of(big)->owner == (uint64_t)(uintptr_t)rt_cell_of(big));
    RT_STORE(rt_body(big)[1], keep);
    rt_gc_minor();
    rt_gc_full();
    rt_gc_get_stats(&b);
    CHECK(b.old_bytes_in_use + 700000 < a.old_bytes_in_use);
    CHECK(rt_car(rt_body(big)[1]) == rt_fixnum(997));
    CHECK(rt_rack_of(big)->owner == (uint64_t)(uintptr_t)rt_cell_of(big));
    CHECK(rt_rack_size(rt_rack_of(big)) >= 12);
    /* A young object given a big rack is promoted first (its rack must have an old
     * owner that the sweeper can free it through). */
    rt_value y = rt_alloc_object(RT_WT_SIMPLE_VECTOR, 2, 2, 2);
    RT_ROOTS(y);
    CHECK(rt_in_nursery(y));
    rt_realloc_rack(y, 20000, 20000);
    CHECK(is_old(y) && rt_rack_of(y)->owner == (uint64_t)(uintptr_t)rt_cell_of(y));
    rt_gc_stats d0, d1;
    rt_gc_get_stats(&d0);
    y = RT_NIL;
    rt_gc_full();
    rt_gc_get_stats(&d1);
    CHECK(d1.old_bytes_in_use + 20000 * 8 <= d0.old_bytes_in_use);
    /* A dead large object gives its pages back. */
    big = RT_NIL;
    rt_gc_full();
    rt_gc_stats c;
    rt_gc_get_stats(&c);
    CHECK(c.old_bytes_in_use < b.old_bytes_in_use);
}

static void test_barrier(void)
{
    rt_value vec = rt_alloc_object(RT_WT_SIMPLE_VECTOR, 4, 4, 4);
    RT_ROOTS(vec);
    rt_gc_minor();
    CHECK(is_old(vec));
    rt_value young = rt_cons(rt_fixnum(42), rt_cons(rt_fixnum(43), RT_NIL));
    CHECK(rt_in_nursery(young));
    RT_STORE(rt_body(vec)[2], young);
    uint8_t *card = &rt_card_table[((uintptr_t)&rt_body(vec)[2] - RT_HEAP_BASE) >> RT_PAGE_SHIFT];
    CHECK(*card & RT_CARD_REMEMBERED);
    young = RT_NIL;   /* only the old vector refers to it now */
    rt_gc_minor();
    CHECK(!(*card & RT_CARD_REMEMBERED));
    CHECK(*card & RT_CARD_CKPT);
    rt_value got = rt_body(vec)[2];
    CHECK(rt_consp(got) && is_old(got) && rt_car(got) == rt_fixnum(42) && rt_car(rt_cdr(got)) == rt_fixnum(43));
    /* set-car on an old cons */
    rt_value c2 = rt_cons(rt_fixnum(5), RT_NIL);
    rt_set_car(got, c2);
    c2 = RT_NIL;
    rt_gc_minor();
    CHECK(rt_car(rt_car(rt_body(vec)[2])) == rt_fixnum(5));
    /* A globally registered slot. */
    static rt_value global;
    global = rt_cons(rt_fixnum(99), RT_NIL);
    rt_register_global(&global);
    rt_gc_minor();
    rt_gc_full();
    CHECK(rt_consp(global) && rt_car(global) == rt_fixnum(99) && is_old(global));
}

/* Incremental marking while the mutator moves the only path to an object around: the
 * snapshot barrier must keep it. */
static void test_incremental(void)
{
    rt_value a = rt_alloc_object(RT_WT_SIMPLE_VECTOR, 2, 2, 2);
    rt_value b = rt_alloc_object(RT_WT_SIMPLE_VECTOR, 2, 2, 2);
    rt_value big = RT_NIL;
    RT_ROOTS(a, b, big);
    big = build_list(30000);
    RT_STORE(rt_body(a)[0], big);
    big = rt_cons(rt_fixnum(1), RT_NIL);   /* the list is now only in a */
    rt_gc_full();
    rt_gc_stats s0, s;
    rt_gc_get_stats(&s0);
    rt_gc_start_major();
    CHECK(rt_gc_marking);
    /* Move the list from a to b one step into the cycle. */
    rt_gc_step();
    rt_value t = rt_body(a)[0];
    RT_ROOTS(t);
    RT_STORE(rt_body(a)[0], RT_NIL);
    for (int i = 0; i < 100; i++)
        rt_cons(RT_NIL, RT_NIL);
    RT_STORE(rt_body(b)[1], t);
    t = RT_NIL;
    int steps = 0;
    do {
        rt_gc_step();
        for (int i = 0; i < 1000; i++)
            rt_cons(RT_NIL, RT_NIL);
        rt_gc_get_stats(&s);
        steps++;
    } while (s.major_count == s0.major_count && steps < 100000);
    CHECK(s.major_count >= s0.major_count + 1);
    CHECK(check_list(rt_body(b)[1], 30000));
    rt_heap_verify("test_incremental");
    rt_gc_full();
    CHECK(check_list(rt_body(b)[1], 30000));
}

static void test_weak(void)
{
    rt_value target = rt_cons(rt_fixnum(1), RT_NIL);
    rt_value wp = RT_NIL, wp2 = RT_NIL, wv = RT_NIL, k1 = RT_NIL, k2 = RT_NIL;
    RT_ROOTS(target, wp, wp2, wv, k1, k2);
    wp = rt_make_weak_pointer(target);
    wp2 = rt_make_weak_pointer(rt_cons(rt_fixnum(2), RT_NIL));
    rt_gc_full();
    CHECK(rt_weak_pointer_value(wp) == target);
    CHECK(rt_weak_pointer_value(wp2) == RT_UNBOUND);
    target = RT_NIL;
    rt_gc_full();
    CHECK(rt_weak_pointer_value(wp) == RT_UNBOUND);

    /* A weak-key vector: pair 0 keyed by a live key, pair 1 by a dead key whose value
     * refers back to the key (an ephemeron: must still die), pair 2 a fixnum key. */
    wv = rt_make_weak_vector(4, RT_WEAK_KEY);
    CHECK(rt_weak_vector_npairs(wv) == 4 && rt_weak_vector_kind(wv) == RT_WEAK_KEY);
    k1 = rt_cons(rt_fixnum(10), RT_NIL);
    k2 = rt_cons(rt_fixnum(20), RT_NIL);
    RT_STORE(rt_body(wv)[1], k1);
    rt_value v1 = rt_cons(rt_fixnum(11), RT_NIL);
    RT_STORE(rt_body(wv)[2], v1);
    RT_STORE(rt_body(wv)[3], k2);
    rt_value v2 = rt_cons(k2, RT_NIL);
    RT_STORE(rt_body(wv)[4], v2);
    RT_STORE(rt_body(wv)[5], rt_fixnum(3));
    rt_value v3 = rt_cons(rt_fixnum(33), RT_NIL);
    RT_STORE(rt_body(wv)[6], v3);
    k2 = RT_NIL;
    rt_gc_full();
    rt_value *b = rt_body(wv);
    CHECK(b[1] == k1 && rt_consp(b[2]) && rt_car(b[2]) == rt_fixnum(11));
    CHECK(b[3] == RT_TOMBSTONE && b[4] == RT_TOMBSTONE);
    CHECK(b[5] == rt_fixnum(3) && rt_consp(b[6]) && rt_car(b[6]) == rt_fixnum(33));
    CHECK(b[7] == RT_EMPTY && b[8] == RT_EMPTY);
    CHECK(b[0] == rt_fixnum(1));
    k1 = RT_NIL;
    rt_gc_full();
    b = rt_body(wv);
    CHECK(b[1] == RT_TOMBSTONE && b[0] == rt_fixnum(2));
    CHECK(b[5] == rt_fixnum(3));
}

/* Weak references die in minor GCs too: young targets nobody else holds are cleared by
 * the next minor GC, not kept until a major cycle; reached ones are updated to their
 * copies; a weak-key pair whose young value refers to its own young key still dies. */
static void test_weak_minor(void)
{
    /* Under KONS_GC_TORTURE every allocation promotes what is rooted: nothing here would
     * still be young at the minor GCs the test is about. */
    if (getenv("KONS_GC_TORTURE"))
        return;
    rt_value kept = RT_NIL, wp = RT_NIL, wp2 = RT_NIL, wv = RT_NIL, k = RT_NIL, v = RT_NIL;
    RT_ROOTS(kept, wp, wp2, wv, k, v);
    rt_gc_full();   /* no major cycle running: only minor GCs below */
    kept = rt_cons(rt_fixnum(1), RT_NIL);
    wp = rt_make_weak_pointer(kept);
    v = rt_cons(rt_fixnum(2), RT_NIL);
    wp2 = rt_make_weak_pointer(v);
    v = RT_NIL;
    rt_gc_minor();
    CHECK(!rt_in_nursery(kept) && rt_weak_pointer_value(wp) == kept);
    CHECK(rt_weak_pointer_value(wp2) == RT_UNBOUND);

    wv = rt_make_weak_vector(4, RT_WEAK_KEY);
    k = rt_cons(rt_fixnum(10), RT_NIL);                 /* pair 0: key held */
    RT_STORE(rt_body(wv)[1], k);
    v = rt_cons(rt_fixnum(11), RT_NIL);
    RT_STORE(rt_body(wv)[2], v);
    v = rt_cons(rt_fixnum(20), RT_NIL);                 /* pair 1: key dropped, value -> key */
    RT_STORE(rt_body(wv)[3], v);
    v = rt_cons(v, RT_NIL);
    RT_STORE(rt_body(wv)[4], v);
    RT_STORE(rt_body(wv)[5], rt_fixnum(3));              /* pair 2: immediate key */
    v = rt_cons(rt_fixnum(33), RT_NIL);
    RT_STORE(rt_body(wv)[6], v);
    v = RT_NIL;
    rt_gc_minor();
    rt_value *b = rt_body(wv);
    CHECK(b[1] == k && !rt_in_nursery(k) && rt_consp(b[2]) && rt_car(b[2]) == rt_fixnum(11));
    CHECK(b[3] == RT_TOMBSTONE && b[4] == RT_TOMBSTONE);
    CHECK(b[5] == rt_fixnum(3) && rt_consp(b[6]) && rt_car(b[6]) == rt_fixnum(33));
    CHECK(b[0] == rt_fixnum(1));
    /* Now old: a young key stored into the old weak vector dies in the next minor GC too
     * (the vector's rack is found through the remembered set, not scanned strongly). */
    v = rt_cons(rt_fixnum(40), RT_NIL);
    RT_STORE(rt_body(wv)[7], v);
    RT_STORE(rt_body(wv)[8], v);
    v = RT_NIL;
    rt_gc_minor();
    b = rt_body(wv);
    CHECK(b[7] == RT_TOMBSTONE && b[8] == RT_TOMBSTONE && b[0] == rt_fixnum(2));
    CHECK(b[1] == k);
    rt_heap_verify("test_weak_minor");
}

/* NIL and T written the way the objects module does (racks in the static area, slots
 * registered as globals), and a further static cell with an adopted rack. */
static void test_static(void)
{
    for (int k = 0; k < 2; k++) {
        rt_value sym = k ? RT_T : RT_NIL;
        rt_rack *r = (rt_rack *)(uintptr_t)(RT_STATIC_BASE + 0x20 + 0x50 * (unsigned)k);
        r->header = rt_make_rack_header(10, 8);
        r->owner = (uint64_t)(uintptr_t)rt_cell_of(sym);
        rt_cell_of(sym)->header = rt_make_header(RT_WT_SYMBOL, 0);
        rt_cell_of(sym)->payload = (uint64_t)(uintptr_t)r;
        for (int i = 0; i < 8; i++) {
            r->body[i] = RT_NIL;
            rt_register_global(&r->body[i]);
        }
        rt_touch(r);
    }
    rt_value name = rt_cons(rt_fixnum(78), rt_cons(rt_fixnum(73), RT_NIL));
    RT_STORE(rt_body(RT_NIL)[0], name);
    name = RT_NIL;
    rt_value st = rt_alloc_static_cell(RT_WT_SIMPLE_VECTOR, 3, 0);
    rt_value donor = rt_alloc_object(RT_WT_SIMPLE_VECTOR, 3, 3, 3);
    rt_static_adopt_rack(st, donor);
    donor = RT_NIL;
    rt_value v = rt_cons(rt_fixnum(5), RT_NIL);
    RT_STORE(rt_body(st)[2], v);
    v = RT_NIL;
    rt_heap_verify("test_static");
    rt_gc_minor();
    rt_gc_full();
    rt_gc_start_major();
    for (int i = 0; i < 50000; i++)
        rt_cons(RT_NIL, RT_NIL);
    rt_gc_full();
    rt_heap_verify("test_static after");
    CHECK(rt_widetag(RT_NIL) == RT_WT_SYMBOL && rt_car(rt_body(RT_NIL)[0]) == rt_fixnum(78));
    CHECK(rt_car(rt_cdr(rt_body(RT_NIL)[0])) == rt_fixnum(73));
    CHECK(rt_car(rt_body(st)[2]) == rt_fixnum(5) && rt_rack_of(st)->owner == (uint64_t)(uintptr_t)rt_cell_of(st));
    CHECK(!rt_in_nursery(rt_body(st)[2]));
}

static int finalized[4];
static void finalizer(void *data) { finalized[(intptr_t)data]++; }

static void test_finalizers(void)
{
    rt_value live = rt_alloc_cell(RT_WT_FOREIGN, 0, 1234);
    RT_ROOTS(live);
    rt_gc_finalize(live, finalizer, (void *)0);
    rt_gc_finalize(rt_alloc_cell(RT_WT_FOREIGN, 0, 5678), finalizer, (void *)1);   /* dies young */
    rt_value old_dead = rt_alloc_cell(RT_WT_FOREIGN, 0, 9);
    RT_ROOTS(old_dead);
    rt_gc_finalize(old_dead, finalizer, (void *)2);
    rt_gc_minor();
    CHECK(finalized[1] == 1 && finalized[0] == 0 && finalized[2] == 0);
    old_dead = RT_NIL;
    rt_gc_full();
    CHECK(finalized[2] == 1 && finalized[0] == 0);
    rt_gc_full();
    CHECK(finalized[2] == 1 && finalized[1] == 1 && finalized[0] == 0);
    CHECK(rt_cell_of(live)->payload == 1234);
}

struct dctx { size_t n; uintptr_t want; bool seen; };
static void dirty_fn(uintptr_t page, void *ctx)
{
    struct dctx *c = ctx;
    c->n++;
    if (page == c->want)
        c->seen = true;
}

static void test_dirty_pages(void)
{
    rt_value v = rt_alloc_object(RT_WT_SIMPLE_VECTOR, 4, 4, 4);
    RT_ROOTS(v);
    rt_gc_minor();
    struct dctx c = {0, 0, false};
    rt_heap_take_dirty_pages(dirty_fn, &c);
    CHECK(c.n > 0);                       /* promotion wrote pages */
    c = (struct dctx){0, 0, false};
    rt_heap_take_dirty_pages(dirty_fn, &c);
    CHECK(c.n == 0);                      /* and taking clears the marks */
    RT_STORE(rt_body(v)[0], rt_fixnum(3));
    c = (struct dctx){0, (uintptr_t)&rt_body(v)[0] & ~(uintptr_t)(RT_PAGE_SIZE - 1), false};
    rt_heap_take_dirty_pages(dirty_fn, &c);
    CHECK(c.n == 1 && c.seen);
    /* Marking and sweeping write no page the checkpointer would save, except the pages
     * of freed cells (free-list links; recovery rebuilds free lists anyway). */
    rt_gc_start_major();
    c = (struct dctx){0, 0, false};
    rt_heap_take_dirty_pages(dirty_fn, &c);
    size_t after_minor = c.n;
    rt_gc_stats s0, s;
    rt_gc_get_stats(&s0);
    do {
        rt_gc_step();
        rt_gc_get_stats(&s);
    } while (s.major_count == s0.major_count);
    c = (struct dctx){0, 0, false};
    rt_heap_take_dirty_pages(dirty_fn, &c);
    CHECK(after_minor <= 2 && c.n == 0);
}

/* The verifier must catch an old->young pointer stored without the barrier. */
static void test_verifier_catches(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        rt_value v = rt_alloc_object(RT_WT_SIMPLE_VECTOR, 2, 2, 2);
        RT_ROOTS(v);
        rt_gc_minor();
        rt_gc_full();   /* clears remembered cards */
        rt_body(v)[0] = rt_cons(RT_NIL, RT_NIL);   /* plain store: a bug */
        rt_heap_verify("test");
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

/* A workload under KONS_GC_TORTURE and KONS_VERIFY_HEAP: results must be unchanged. */
static void torture_workload(int n)
{
    rt_value list = RT_NIL, vec = RT_NIL, wp = RT_NIL;
    RT_ROOTS(list, vec, wp);
    list = build_list(n);
    vec = rt_alloc_object(RT_WT_SIMPLE_VECTOR, 8, 8, 8);
    wp = rt_make_weak_pointer(RT_NIL);
    for (int i = 0; i < n; i++) {
        rt_value c = rt_cons(rt_fixnum(i), rt_body(vec)[i % 8]);
        RT_STORE(rt_body(vec)[i % 8], c);
        if (i % 7 == 0) {
            rt_value w = rt_make_weak_pointer(c);
            wp = w;
        }
        if (i % 50 == 0)
            rt_realloc_rack(vec, 8, 8), rt_body(vec)[0] = RT_NIL;
    }
    CHECK(check_list(list, n));
    size_t total = 0;
    for (int k = 0; k < 8; k++)
        for (rt_value l = rt_body(vec)[k]; rt_consp(l); l = rt_cdr(l))
            total++;
    CHECK(total > 0 && total <= (size_t)n);
    rt_gc_full();
    CHECK(check_list(list, n));
    rt_heap_verify("torture end");
}

static void test_torture(void)
{
    rt_heap_fini();
    setenv("KONS_GC_TORTURE", "1", 1);
    setenv("KONS_VERIFY_HEAP", "1", 1);
    start(0, 0);
    torture_workload(300);
    rt_gc_stats s;
    rt_gc_get_stats(&s);
    CHECK(s.minor_count > 1000 && s.major_count > 3);
    rt_heap_fini();
    setenv("KONS_GC_TORTURE", "7", 1);
    unsetenv("KONS_VERIFY_HEAP");
    start(0, 0);
    torture_workload(20000);
    rt_heap_fini();
    unsetenv("KONS_GC_TORTURE");
    start(0, 0);
}

/* A checkpoint and a recovery, simulated: every page of the persistent spaces is copied
 * out, the heap torn down and set up again, the pages copied back, and rt_heap_restore
 * rebuilds the GC's metadata. The world must read the same, the garbage that was in it
 * must be reclaimable, and allocation must go on. */
static void test_restore(void)
{
    rt_heap_fini();
    start(0, 0);
    rt_value root = rt_alloc_static_cell(RT_WT_SIMPLE_VECTOR, 3, 0);
    rt_value donor = rt_alloc_object(RT_WT_SIMPLE_VECTOR, 3, 3, 3);
    rt_static_adopt_rack(root, donor);
    donor = RT_NIL;
    rt_value list = build_list(5000);
    RT_STORE(rt_body(root)[0], list);
    rt_value big = rt_alloc_object(RT_WT_SIMPLE_VECTOR, 9000, 9000, 9000);
    RT_STORE(rt_body(root)[1], big);
    RT_STORE(rt_body(big)[8999], rt_body(root)[0]);
    list = big = RT_NIL;
    for (int i = 0; i < 3; i++) {   /* garbage promoted to old space */
        rt_value junk = build_list(3000);
        RT_ROOTS(junk);
        rt_gc_minor();
        rt_alloc_object(RT_WT_SIMPLE_VECTOR, 5000, 5000, 5000);
    }
    rt_gc_minor();
    rt_gc_stats before;
    rt_gc_get_stats(&before);
    rt_space_info sp[4];
    size_t n = rt_heap_spaces(sp, 4);
    unsigned char *saved[4] = {0};
    for (size_t i = 0; i < n; i++)
        if (sp[i].persistent) {
            saved[i] = malloc(sp[i].used_end - sp[i].start);
            memcpy(saved[i], (void *)sp[i].start, sp[i].used_end - sp[i].start);
        }
    rt_heap_fini();
    start(0, 0);
    for (size_t i = 0; i < n; i++)
        if (saved[i]) {
            memcpy((void *)sp[i].start, saved[i], sp[i].used_end - sp[i].start);
            free(saved[i]);
        }
    CHECK(rt_heap_restore(sp, n) == 0);
    rt_heap_verify("after restore");
    CHECK(check_list(rt_body(root)[0], 5000));
    rt_value b2 = rt_body(root)[1];
    CHECK(rt_widetagp(b2, RT_WT_SIMPLE_VECTOR) && rt_body(b2)[8999] == rt_body(root)[0]);
    rt_gc_stats after;
    rt_gc_get_stats(&after);
    CHECK(after.old_bytes_in_use < before.old_bytes_in_use);   /* the garbage is gone */
    CHECK(after.old_bytes_in_use > 5000 * 112);
    /* The world goes on: more allocation, collections, the same data. */
    rt_value more = build_list(20000);
    RT_ROOTS(more);
    rt_gc_full();
    rt_heap_verify("after restore and a full GC");
    CHECK(check_list(rt_body(root)[0], 5000) && check_list(more, 20000));
    /* A heap that is not fresh is refused. */
    CHECK(rt_heap_restore(sp, n) == -1);
}

/* A random mutator checked against a model: objects are 4-word vectors [id, a, b, c]
 * whose links the model mirrors by id. New objects, link changes through the barrier,
 * dropped roots, grown racks; minor GCs (small nursery), incremental major cycles
 * started at random and stepped. Every reachable object must match the model. */
#define RM_MAX 200000
static int32_t rm_edge[RM_MAX][3];
static uint64_t rm_rng = 0x9E3779B97F4A7C15u;
static uint64_t rm_rand(void)
{
    rm_rng ^= rm_rng << 13;
    rm_rng ^= rm_rng >> 7;
    rm_rng ^= rm_rng << 17;
    return rm_rng;
}

static int32_t rm_id(rt_value v) { return rt_null(v) ? -1 : (int32_t)rt_fixnum_value(rt_body(v)[0]); }

/* A reachable object: a root, then a few random links. */
static rt_value rm_pick(rt_value roots)
{
    rt_value v = rt_body(roots)[rm_rand() % 64];
    for (int hops = (int)(rm_rand() % 4); hops > 0 && !rt_null(v); hops--) {
        rt_value n = rt_body(v)[1 + rm_rand() % 3];
        if (rt_null(n))
            break;
        v = n;
    }
    return v;
}

/* Walks everything reachable (no allocation happens meanwhile, so a C array of values
 * is safe) and compares every object's links with the model. */
static bool rm_check(rt_value roots, int32_t nobj)
{
    static uint8_t seen[RM_MAX];
    memset(seen, 0, (size_t)nobj);
    rt_value *todo = malloc(sizeof *todo * (3 * (size_t)nobj + 64));
    size_t tn = 0, visited = 0;
    bool ok = true;
    for (int i = 0; i < 64; i++)
        if (!rt_null(rt_body(roots)[i]))
            todo[tn++] = rt_body(roots)[i];
    while (tn && ok) {
        rt_value o = todo[--tn];
        int32_t id = rt_widetagp(o, RT_WT_SIMPLE_VECTOR) ? rm_id(o) : -2;
        if (id < 0 || id >= nobj) {
            fprintf(stderr, "random mutator: reached %#llx, not a model object\n", (unsigned long long)o);
            ok = false;
            break;
        }
        if (seen[id])
            continue;
        seen[id] = 1;
        visited++;
        for (int f = 0; f < 3; f++) {
            rt_value n = rt_body(o)[1 + f];
            if (rm_id(n) != rm_edge[id][f]) {
                if (ok)
                    fprintf(stderr, "random mutator: object %d link %d is %d, model says %d\n", id, f,
                            rm_id(n), rm_edge[id][f]);
                ok = false;
            }
            if (!rt_null(n))
                todo[tn++] = n;
        }
    }
    free(todo);
    (void)visited;
    return ok;
}

static void test_random_mutator(void)
{
    rt_heap_fini();
    start(0, UINT64_C(256) << 10);
    rt_value roots = rt_alloc_object(RT_WT_SIMPLE_VECTOR, 64, 64, 64);
    rt_value x = RT_NIL, y = RT_NIL;
    RT_ROOTS(roots, x, y);
    int32_t nobj = 0;
    bool ok = true;
    for (long op = 0; op < 400000 && nobj < RM_MAX; op++) {
        unsigned r = (unsigned)(rm_rand() % 100);
        if (r < 40) {                                     /* a new object */
            x = rm_pick(roots);
            y = rt_alloc_object(RT_WT_SIMPLE_VECTOR, 4, 4, 4);
            int32_t id = nobj++;
            rt_body(y)[0] = rt_fixnum(id);
            rt_body(y)[1] = x;
            rm_edge[id][0] = rm_id(x);
            rm_edge[id][1] = rm_edge[id][2] = -1;
            if (rm_rand() % 8 == 0) {                         /* sometimes a bigger rack */
                rt_realloc_rack(y, 4 + rm_rand() % 300, 4);   /* may move x and y */
                rt_value keep[2] = {rt_fixnum(id), x};
                rt_store_values(rt_body(y), keep, 2);
            }
            RT_STORE(rt_body(roots)[rm_rand() % 64], y);
        } else if (r < 85) {                              /* relink */
            x = rm_pick(roots);
            y = rm_rand() % 5 ? rm_pick(roots) : RT_NIL;
            if (!rt_null(x)) {
                int f = (int)(rm_rand() % 3);
                RT_STORE(rt_body(x)[1 + f], y);
                rm_edge[rm_id(x)][f] = rm_id(y);
            }
        } else if (r < 95) {                              /* drop a root */
            RT_STORE(rt_body(roots)[rm_rand() % 64], RT_NIL);
        } else if (r < 99) {
            for (int i = 0; i < 200; i++)
                rt_cons(RT_NIL, RT_NIL);
            rt_gc_step();
        } else {
            rt_gc_start_major();
        }
        x = y = RT_NIL;
        if (op % 50000 == 0 && ok) {
            ok &= rm_check(roots, nobj);
            if (!ok)
                fprintf(stderr, "random mutator: mismatch by operation %ld\n", op);
        }
    }
    rt_gc_full();
    ok &= rm_check(roots, nobj);
    rt_heap_verify("random mutator");
    CHECK(ok);
    rt_gc_stats s;
    rt_gc_get_stats(&s);
    CHECK(s.major_count >= 3 && s.minor_count >= 20);
    rt_heap_fini();
    start(0, 0);
}

static jmp_buf oom_jmp;
static int oom_calls;
static void oom_handler(void)
{
    oom_calls++;
    longjmp(oom_jmp, 1);
}

static void test_heap_limit(void)
{
    rt_heap_fini();
    start(UINT64_C(16) << 20, UINT64_C(256) << 10);
    rt_heap_set_oom_handler(oom_handler);
    static rt_value list;
    list = RT_NIL;
    size_t depth = rt_root_depth();
    rt_root_push(&list);
    volatile long n = 0;   /* modified between setjmp and longjmp */
    if (setjmp(oom_jmp) == 0) {
        for (;;) {
            rt_value c = rt_cons(rt_fixnum(n), list);
            list = c;
            n++;
            if (n > 100000000)
                break;
        }
    }
    rt_root_restore(depth);
    CHECK(oom_calls == 1);
    if (!(n > 500000 && n < 16 * 1024 * 1024 / 16 + 65536))
        fprintf(stderr, "heap limit test: %ld conses before the handler\n", n);
    CHECK(n > 500000 && n < 16 * 1024 * 1024 / 16 + 65536);
    list = RT_NIL;
    rt_gc_full();
    rt_gc_stats s;
    rt_gc_get_stats(&s);
    CHECK(s.old_bytes_in_use < (UINT64_C(1) << 20));
    /* The heap works again, and a second exhaustion calls the handler again. */
    rt_root_push(&list);
    if (setjmp(oom_jmp) == 0) {
        for (long i = 0; i < 100000000; i++)
            list = rt_cons(rt_fixnum(i), list);
    }
    rt_root_restore(depth);
    CHECK(oom_calls == 2);
    /* An impossible request is a storage condition too, not a crash. */
    list = RT_NIL;
    rt_gc_full();
    if (setjmp(oom_jmp) == 0)
        rt_alloc_object(RT_WT_SIMPLE_VECTOR, 1, (size_t)1 << 40, 0);
    CHECK(oom_calls == 3);
    rt_heap_set_oom_handler(NULL);
    rt_heap_fini();
    start(0, 0);
}

int main(void)
{
    start(0, 0);
    test_survival();
    test_reclaim();
    test_large_and_realloc();
    test_barrier();
    test_incremental();
    test_weak();
    test_weak_minor();
    test_finalizers();
    test_static();
    test_dirty_pages();
    test_verifier_catches();
    test_torture();
    test_random_mutator();
    test_restore();
    test_heap_limit();
    rt_heap_fini();
    return check_report();
}
