/* tests/bench/gcpause.c: GC pause times with a big old space and a mutator allocating
 * at full speed.
 *
 * Heap: NLISTS linked lists of nodes, about 1 GB of old space in all. A node is a cons
 * whose car is a 6-word simple-vector (a header cell plus a 64-byte rack: id, a link to
 * an earlier node of any list, a cons holding a double-float, 3 more boxed words) and
 * whose cdr is the next node: about 112 bytes of old space per node (cells: cons,
 * vector header, inner cons, double; rack: 64). So the marker traverses a graph with
 * long lists and random cross links, not one array.
 *
 * Workload (measured): for SECONDS seconds, as fast as it can: build short lists of 1-32
 * conses and drop them (nursery garbage); every 64th iteration replace a random node of
 * the old structure by a fresh one (an old->young store through the barrier: promotion,
 * and old garbage, so that major cycles have work). A major cycle is started at the
 * beginning so that a whole 1 GB marking runs during the measurement. Every pause (a
 * minor GC with its slice of major work, or a step) is recorded through
 * rt_gc_set_pause_hook.
 *
 * Output: pause count, p50/p99/max in wall-clock time and in the thread's CPU time (on
 * a shared, loaded machine, and under `nice`, the OS preempts the process inside
 * pauses: the CPU figures show what the collector itself costs), the allocation rate,
 * the major cycles completed. The exit status is 0 when wall-clock p99 < 10 ms and
 * max < 30 ms (the target).
 * Arguments: [old-space MB to build, default 1024] [seconds, default 20].
 */
#include "rt/heap.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NLISTS 1024
#define NODE_BYTES 112

static uint64_t *pauses, *cpu_pauses;
static size_t npauses, cap_pauses;
static size_t nfull;
static bool recording;

static void hook(enum rt_gc_pause_kind kind, uint64_t ns, uint64_t cpu_ns)
{
    if (!recording)
        return;
    if (kind == RT_GC_PAUSE_FULL)
        nfull++;
    if (npauses == cap_pauses) {
        cap_pauses = cap_pauses ? cap_pauses * 2 : 1 << 16;
        pauses = realloc(pauses, cap_pauses * sizeof *pauses);
        cpu_pauses = realloc(cpu_pauses, cap_pauses * sizeof *cpu_pauses);
        if (!pauses || !cpu_pauses)
            abort();
    }
    cpu_pauses[npauses] = cpu_ns;
    pauses[npauses++] = ns;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rng = 88172645463325252u;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Prints the pause figures recorded so far under `label` and resets them. */
static void report(const char *label)
{
    qsort(pauses, npauses, sizeof *pauses, cmp_u64);
    qsort(cpu_pauses, npauses, sizeof *cpu_pauses, cmp_u64);
    size_t i99 = (size_t)((double)npauses * 0.99);
    if (npauses) {
        printf("%s pauses: %zu, p50 %.3f ms, p99 %.3f ms, max %.3f ms (wall clock)\n", label, npauses,
               pauses[npauses / 2] / 1e6, pauses[i99] / 1e6, pauses[npauses - 1] / 1e6);
        printf("%s pauses: %zu, p50 %.3f ms, p99 %.3f ms, max %.3f ms (CPU time of the thread)\n", label,
               npauses, cpu_pauses[npauses / 2] / 1e6, cpu_pauses[i99] / 1e6, cpu_pauses[npauses - 1] / 1e6);
    }
    npauses = 0;
    nfull = 0;
}

static rt_value roots;   /* simple-vector of NLISTS lists */

/* A fresh node in front of `next`, linked to `link`. */
static rt_value make_node(int64_t id, rt_value link, rt_value next)
{
    rt_value vec = RT_NIL, d = RT_NIL;
    RT_ROOTS(link, next, vec, d);
    d = rt_alloc_cell(RT_WT_DOUBLE_FLOAT, 0, 0x400921FB54442D18u);
    d = rt_cons(d, RT_NIL);
    vec = rt_alloc_object(RT_WT_SIMPLE_VECTOR, 6, 6, 6);
    rt_value *b = rt_body(vec);
    b[0] = rt_fixnum(id);
    b[1] = link;
    b[2] = d;
    return rt_cons(vec, next);
}

int main(int argc, char **argv)
{
    double mb = argc > 1 ? atof(argv[1]) : 1024;
    double seconds = argc > 2 ? atof(argv[2]) : 20;
    rt_heap_config cfg = {UINT64_C(4) << 30, 0};
    if (rt_heap_init(&cfg) != 0)
        return 2;
    rt_gc_set_pause_hook(hook);
    recording = true;
    rt_register_global(&roots);
    roots = rt_alloc_object(RT_WT_SIMPLE_VECTOR, NLISTS, NLISTS, NLISTS);

    /* Build. */
    uint64_t t0 = now_ns();
    int64_t nnodes = (int64_t)(mb * 1048576.0 / NODE_BYTES);
    rt_value link = RT_NIL, node = RT_NIL;
    RT_ROOTS(link, node);
    for (int64_t i = 0; i < nnodes; i++) {
        size_t l = (size_t)i % NLISTS;
        node = make_node(i, link, rt_body(roots)[l]);
        RT_STORE(rt_body(roots)[l], node);
        if (next_rand() % 16 == 0)
            link = node;
    }
    link = node = RT_NIL;
    printf("build: every nursery survives (promotion-heavy), old space growing to the full size\n");
    report("build");
    recording = false;
    rt_gc_full();
    rt_gc_stats st;
    rt_gc_get_stats(&st);
    printf("built %lld nodes in %.1f s: old space %.0f MB live, %.0f MB committed\n",
           (long long)nnodes, (double)(now_ns() - t0) / 1e9, st.old_bytes_in_use / 1048576.0,
           st.old_bytes_committed / 1048576.0);

    /* Measure. */
    rt_gc_stats s0;
    rt_gc_get_stats(&s0);
    recording = true;
    rt_gc_start_major();
    uint64_t start = now_ns(), end = start + (uint64_t)(seconds * 1e9);
    uint64_t iters = 0, conses = 0;
    rt_value junk = RT_NIL;
    RT_ROOTS(junk);
    while (now_ns() < end) {
        for (int rep = 0; rep < 256; rep++) {
            int len = 1 + (int)(next_rand() % 32);
            junk = RT_NIL;
            for (int k = 0; k < len; k++)
                junk = rt_cons(rt_fixnum(k), junk);
            conses += (uint64_t)len;
            if (++iters % 64 == 0) {
                /* Replace the second node of a random list by a fresh one. */
                size_t l = (size_t)(next_rand() % NLISTS);
                rt_value first = rt_body(roots)[l];
                if (rt_consp(first) && rt_consp(rt_cdr(first))) {
                    RT_ROOTS(first);
                    node = make_node((int64_t)iters, rt_car(first), rt_cdr(rt_cdr(first)));
                    rt_set_cdr(first, node);
                    node = RT_NIL;
                }
            }
        }
    }
    double secs = (double)(now_ns() - start) / 1e9;
    recording = false;
    rt_gc_stats s1;
    rt_gc_get_stats(&s1);
    size_t nfull_run = nfull, npauses_run = npauses;
    qsort(pauses, npauses, sizeof *pauses, cmp_u64);
    uint64_t p99 = npauses ? pauses[(size_t)((double)npauses * 0.99)] : 0;
    uint64_t pmax = npauses ? pauses[npauses - 1] : 0;
    double alloc_mb = (double)(s1.bytes_allocated - s0.bytes_allocated) / 1048576.0;
    printf("workload: %.1f s, %llu iterations, %.1f M conses, allocated %.0f MB (%.0f MB/s), "
           "promoted %.0f MB\n",
           secs, (unsigned long long)iters, conses / 1e6, alloc_mb, alloc_mb / secs,
           (double)(s1.bytes_promoted - s0.bytes_promoted) / 1048576.0);
    printf("collections: %llu minor, %llu major cycles completed, %zu full (stop-the-world)\n",
           (unsigned long long)(s1.minor_count - s0.minor_count),
           (unsigned long long)(s1.major_count - s0.major_count), nfull_run);
    (void)npauses_run;
    report("workload");
    printf("old space at end: %.0f MB live\n", s1.old_bytes_in_use / 1048576.0);
    rt_heap_fini();
    free(pauses);
    free(cpu_pauses);
    /* The target: p99 < 10 ms, max < 30 ms. */
    return p99 < 10000000 && pmax < 30000000 ? 0 : 1;
}
