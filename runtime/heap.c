/* runtime/heap.c: the fixed-address heap: spaces, allocation, roots, the minor GC.
 *
 * Generations: a bump-allocated nursery, and a non-moving old space of 16-byte cells
 * (free lists) plus racks (size-class pages and large page runs). A minor GC copies every
 * live nursery object to old space (cells to cell space, racks to rack space), so after
 * it the nursery is empty and no old object points into it. Roots of a minor GC: the
 * root stack, registered globals, root scanners, the static cells, and the remembered
 * set = old pages whose card has RT_CARD_REMEMBERED (cleared once scanned).
 *
 * Invariant between collections: every old word that points into the nursery lies on a
 * page whose card has RT_CARD_REMEMBERED (the barrier, rule 2 of rt/heap.h, and the
 * allocator's marking of pages of objects it puts straight into old space keep it).
 * The major collector (gc_major.c) is driven from here: after each minor GC it gets a
 * slice of time.
 */
#include "gc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define HEAP_BYTES (RT_HEAP_LIMIT - RT_HEAP_BASE)
#define DEFAULT_NURSERY (UINT64_C(4) << 20)
#define DEFAULT_OLD_LIMIT (UINT64_C(8) << 30)
/* Time a minor GC may add to its pause for major work. */
#define STEP_SLICE_NS  (UINT64_C(2000000))
#define MIN_SLICE_NS   (UINT64_C(500000))
/* Words of major work a slice owes per word put into old space (promoted or allocated
 * there directly) since the previous slice; see major_slice. */
#define GC_MARK_PACE 2
/* rt_gc_step works at most once per this interval. */
#define STEP_INTERVAL_NS (UINT64_C(4000000))

uint8_t *rt_card_table;
volatile int rt_gc_marking;
uint64_t rt_gc_epoch;
uintptr_t rt_nursery_top_, rt_nursery_limit_, rt_nursery_start_, rt_nursery_end_;
gc_heap gc_H;
#define H gc_H

/* Size classes of small racks, in bytes (multiples of 16). */
const uint32_t gc_class_bytes[GC_NCLASSES] = {
    16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 512, 640, 768, 1024, 1360, 2048,
};
static uint8_t class_of_units[GC_MAX_CLASS_BYTES / 16 + 1];

uint64_t gc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static _Noreturn void fatal(const char *msg)
{
    fprintf(stderr, "kons: fatal heap error: %s\n", msg);
    abort();
}

void gc_vec_push(gc_vec *s, uintptr_t x)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        uintptr_t *n = realloc(s->v, cap * sizeof *n);
        if (!n)
            fatal("out of C memory for GC tables");
        s->v = n;
        s->cap = cap;
    }
    s->v[s->n++] = x;
}

void *gc_grow(void *p, size_t *cap, size_t elem)
{
    size_t c = *cap ? *cap * 2 : 64;
    void *n = realloc(p, c * elem);
    if (!n)
        fatal("out of C memory for GC tables");
    *cap = c;
    return n;
}

static void *map_table(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void set_nursery_limit(void)
{
    rt_nursery_limit_ = H.torture_n ? 0 : rt_nursery_end_;
}

/* ---- Life cycle ------------------------------------------------------------------ */

int rt_heap_init(const rt_heap_config *cfg)
{
    if (H.ready)
        return 0;
    void *p = mmap((void *)RT_HEAP_BASE, HEAP_BYTES, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || p != (void *)RT_HEAP_BASE) {
        fprintf(stderr, "kons: cannot reserve the heap at %#llx: %s\n",
                (unsigned long long)RT_HEAP_BASE, p == MAP_FAILED ? strerror(errno) : "placed elsewhere");
        if (p != MAP_FAILED)
            munmap(p, HEAP_BYTES);
        return -1;
    }
    rt_card_table = map_table(HEAP_BYTES >> RT_PAGE_SHIFT);
    H.mark_bits = map_table(GC_CELLS_MAX / 16 / 8);
    H.page_table = map_table(GC_RACKS_MAX / GC_PAGE * sizeof(uint32_t));
    H.mcap = GC_MARK_STACK_ENTRIES;
    H.mstack = map_table(GC_MARK_STACK_ENTRIES * sizeof(gc_mentry));
    if (!rt_card_table || !H.mark_bits || !H.page_table || !H.mstack) {
        fprintf(stderr, "kons: cannot map the GC tables: %s\n", strerror(errno));
        munmap(p, HEAP_BYTES);
        return -1;
    }
    for (unsigned u = 0, k = 0; u <= GC_MAX_CLASS_BYTES / 16; u++) {
        while (gc_class_bytes[k] < u * 16)
            k++;
        class_of_units[u] = (uint8_t)k;
    }
    size_t nb = cfg && cfg->nursery_bytes ? cfg->nursery_bytes : DEFAULT_NURSERY;
    nb = (nb + GC_PAGE - 1) & ~(size_t)(GC_PAGE - 1);
    if (nb < (UINT64_C(256) << 10))
        nb = UINT64_C(256) << 10;
    if (nb > GC_NURSERY_MAX)
        nb = GC_NURSERY_MAX;
    H.nursery_bytes = nb;
    H.old_limit = cfg && cfg->old_space_bytes ? cfg->old_space_bytes : DEFAULT_OLD_LIMIT;
    H.reserve = H.old_limit / 8 > 2 * nb ? H.old_limit / 8 : 2 * nb;
    H.static_top = GC_STATIC_START + RT_STATIC_CELLS_OFFSET;   /* no cells past NIL and T yet */
    H.cells_top = GC_CELLS_START;
    H.racks_top = GC_RACKS_START;
    H.trigger_bytes = H.old_limit / 4 < (UINT64_C(32) << 20) ? H.old_limit / 4 : (UINT64_C(32) << 20);
    rt_nursery_start_ = GC_NURSERY_START;
    rt_nursery_end_ = GC_NURSERY_START + nb;
    rt_nursery_top_ = rt_nursery_start_;
    const char *e = getenv("KONS_GC_TORTURE");
    H.torture_n = e && *e ? strtoull(e, NULL, 10) : 0;
    e = getenv("KONS_VERIFY_HEAP");
    H.verify = e && *e && strcmp(e, "0") != 0;
    e = getenv("KONS_GC_VERBOSE");
    H.verbose = e && *e && strcmp(e, "0") != 0;
    set_nursery_limit();
    H.ready = true;
    return 0;
}

void rt_heap_fini(void)
{
    if (!H.ready)
        return;
    rt_gc_run_finalizers();
    munmap((void *)RT_HEAP_BASE, HEAP_BYTES);
    munmap(rt_card_table, HEAP_BYTES >> RT_PAGE_SHIFT);
    munmap(H.mark_bits, GC_CELLS_MAX / 16 / 8);
    munmap(H.page_table, GC_RACKS_MAX / GC_PAGE * sizeof(uint32_t));
    free(H.runs);
    free(H.zombie_racks.v);
    munmap(H.mstack, GC_MARK_STACK_ENTRIES * sizeof(gc_mentry));
    free(H.weak_ptrs.v);
    free(H.weak_vecs.v);
    free(H.minor_weak.v);
    free(H.promoted.v);
    free(H.finals);
    free(H.pending);
    rt_root_stack_free(&H.roots);
    free(H.globals);
    free(H.scanners);
    memset(&H, 0, sizeof H);
    rt_card_table = NULL;
    rt_gc_marking = 0;
    rt_nursery_top_ = rt_nursery_limit_ = rt_nursery_start_ = rt_nursery_end_ = 0;
}

void rt_heap_set_oom_handler(rt_oom_handler h) { H.oom = h; }
void rt_gc_set_pause_hook(rt_gc_pause_hook hook) { H.pause_hook = hook; }

/* ---- Old cell space -------------------------------------------------------------- */

/* An old cell for a promotion or a direct old allocation. Never fails (the heap limit is
 * enforced after the collection, see check_limit). Colour: allocated during marking it
 * is marked and queued (grey: its fields were written without the barrier); in a page
 * the sweeper has yet to visit it is marked so the sweeper keeps it. */
uintptr_t gc_cell_alloc(void)
{
    uintptr_t c;
    int sweep_budget = 64;
    for (;;) {
        if (H.cell_free) {
            c = H.cell_free;
            H.cell_free = ((uint64_t *)c)[1];
            break;
        }
        if (H.cell_bump < H.cell_bump_end) {
            c = H.cell_bump;
            H.cell_bump += 16;
            break;
        }
        /* Lazy sweeping on demand, bounded so that a heap of live pages cannot make one
         * allocation sweep it all: past the bound, a fresh page. */
        if (H.phase == GC_SWEEP && sweep_budget > 0 && gc_sweep_some(8)) {
            sweep_budget -= 8;
            continue;
        }
        if (H.cells_top + GC_PAGE > GC_CELLS_START + GC_CELLS_MAX)
            fatal("cell space reservation exhausted");
        H.cell_bump = H.cells_top;
        H.cell_bump_end = H.cells_top + GC_PAGE;
        H.cells_top += GC_PAGE;
    }
    H.live_bytes += 16;
    gc_ckpt(c);
    if (H.phase == GC_MARK) {
        gc_set_mark(c);
        if (!H.promoting)
            gc_mark_push(c, 0);   /* promoted cells are blackened by gc_minor instead */
    } else if (H.phase == GC_SWEEP && c >= H.sweep_cursor && c < H.sweep_end) {
        gc_set_mark(c);
    }
    return c;
}

/* ---- Old rack space -------------------------------------------------------------- */

static size_t page_index(uintptr_t a) { return (a - GC_RACKS_START) >> RT_PAGE_SHIFT; }

static uintptr_t rack_pages_alloc(size_t npages)
{
    for (size_t i = 0; i < H.nruns; i++) {
        if (H.runs[i].npages >= npages) {
            uintptr_t p = H.runs[i].start;
            H.runs[i].start += npages * GC_PAGE;
            H.runs[i].npages -= npages;
            if (H.runs[i].npages == 0)
                H.runs[i] = H.runs[--H.nruns];
            H.rack_pages += npages;
            return p;
        }
    }
    if (H.racks_top + npages * GC_PAGE > GC_RACKS_START + GC_RACKS_MAX)
        fatal("rack space reservation exhausted");
    uintptr_t p = H.racks_top;
    H.racks_top += npages * GC_PAGE;
    H.rack_pages += npages;
    return p;
}

rt_rack *gc_rack_alloc_old(size_t words)
{
    size_t bytes = words * 8;
    rt_rack *r;
    if (bytes <= GC_MAX_CLASS_BYTES) {
        unsigned k = class_of_units[bytes / 16];
        uint32_t sz = gc_class_bytes[k];
        if (H.class_free[k]) {
            r = (rt_rack *)H.class_free[k];
            H.class_free[k] = r->owner;
        } else {
            if (H.class_bump[k] >= H.class_bump_end[k]) {
                uintptr_t p = rack_pages_alloc(1);
                H.page_table[page_index(p)] = GC_PT_MAKE(GC_PT_CLASS, k);
                H.class_bump[k] = p;
                H.class_bump_end[k] = p + (GC_PAGE / sz) * sz;
            }
            r = (rt_rack *)H.class_bump[k];
            H.class_bump[k] += sz;
        }
        H.live_bytes += sz;
        gc_ckpt((uintptr_t)r);
        gc_ckpt((uintptr_t)r + bytes - 1);
    } else {
        size_t np = (bytes + GC_PAGE - 1) / GC_PAGE;
        uintptr_t p = rack_pages_alloc(np);
        size_t pi = page_index(p);
        H.page_table[pi] = GC_PT_MAKE(GC_PT_LARGE_HEAD, np);
        for (size_t i = 1; i < np; i++)
            H.page_table[pi + i] = GC_PT_MAKE(GC_PT_LARGE_TAIL, i);
        H.live_bytes += np * GC_PAGE;
        for (size_t i = 0; i < np; i++)
            gc_ckpt(p + i * GC_PAGE);
        r = (rt_rack *)p;
    }
    r->header = rt_make_rack_header(words, 0);
    r->owner = 0;
    return r;
}

void gc_rack_free(rt_rack *r)
{
    uintptr_t a = (uintptr_t)r;
    size_t pi = page_index(a);
    uint32_t e = H.page_table[pi];
    if (GC_PT_KIND(e) == GC_PT_CLASS) {
        unsigned k = GC_PT_ARG(e);
        /* A free slot: a rack header with no boxed words (card scans skip it), the link
         * in the owner word. */
        r->header = rt_make_rack_header(gc_class_bytes[k] / 8, 0);
        r->owner = H.class_free[k];
        H.class_free[k] = a;
        H.live_bytes -= gc_class_bytes[k];
    } else if (GC_PT_KIND(e) == GC_PT_LARGE_HEAD) {
        size_t np = GC_PT_ARG(e);
        for (size_t i = 0; i < np; i++)
            H.page_table[pi + i] = GC_PT_FREE;
        /* Give the memory back; the pages read as zero when reused. */
        madvise(r, np * GC_PAGE, MADV_DONTNEED);
        if (H.nruns == H.cap_runs)
            H.runs = gc_grow(H.runs, &H.cap_runs, sizeof *H.runs);
        H.runs[H.nruns++] = (gc_run){a, np};
        H.rack_pages -= np;
        H.live_bytes -= np * GC_PAGE;
    } else {
        fatal("freeing a rack that is not at the start of a rack slot");
    }
}

/* Frees what a dead old cell owns (its rack). Called by the sweeper. */
void gc_free_cell_contents(uintptr_t cell)
{
    uint64_t h = ((uint64_t *)cell)[0];
    if (!gc_is_header(h))
        return;
    unsigned wt = rt_header_widetag(h);
    if (wt == RT_WT_FREE || rt_widetag_payload(wt) != RT_PAYLOAD_RACK)
        return;
    uintptr_t r = ((uint64_t *)cell)[1];
    /* Only a rack this cell still owns (rt_static_adopt_rack and rt_realloc_rack hand
     * racks over), and only an old one (nursery racks die with the nursery). */
    if (r && gc_in_racks(r) && ((rt_rack *)r)->owner == cell)
        gc_rack_free((rt_rack *)r);
}

/* ---- Collection driver ----------------------------------------------------------- */

static uint64_t cpu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void record_pause(enum rt_gc_pause_kind kind, uint64_t t0, uint64_t c0)
{
    uint64_t ns = gc_now_ns() - t0;
    H.last_pause_ns = ns;
    if (ns > H.max_pause_ns)
        H.max_pause_ns = ns;
    if (H.verbose && ns > 30000000)
        fprintf(stderr, "kons gc: long pause %.1f ms (kind %d, phase now %d)\n", ns / 1e6, (int)kind,
                (int)H.phase);
    if (H.pause_hook)
        H.pause_hook(kind, ns, cpu_now_ns() - c0);
}

static void full_collect(void)
{
    gc_minor();
    gc_finish_cycle();          /* completes a cycle under way */
    gc_start_marking();
    gc_finish_cycle();          /* a whole new one */
}

/* After a collection: enforce the heap limit. Old space may exceed it by what one minor
 * GC promotes; then a full collection, and if that does not help, the storage-condition
 * handler with the reserve opened so that it can run. */
static void check_limit(void)
{
    uint64_t eff = H.old_limit + (H.reserve_mode ? H.reserve : 0);
    if (H.live_bytes <= eff) {
        if (H.reserve_mode && H.live_bytes < H.old_limit / 4 * 3)
            H.reserve_mode = false;
        return;
    }
    uint64_t t0 = gc_now_ns(), c0 = cpu_now_ns();
    if (H.verify)
        gc_verify("before full GC (heap limit)");
    full_collect();
    if (H.verify)
        gc_verify("after full GC (heap limit)");
    record_pause(RT_GC_PAUSE_FULL, t0, c0);
    if (H.live_bytes <= eff)
        return;
    if (H.reserve_mode) {
        fprintf(stderr, "kons: heap exhausted: %llu bytes live, limit %llu plus reserve %llu, "
                "and the storage-condition handler did not free memory\n",
                (unsigned long long)H.live_bytes, (unsigned long long)H.old_limit,
                (unsigned long long)H.reserve);
        abort();
    }
    H.reserve_mode = true;
    rt_gc_run_finalizers();
    if (H.oom)
        H.oom();
    fprintf(stderr, "kons: heap exhausted: %llu bytes live, limit %llu (--heap-size)\n",
            (unsigned long long)H.live_bytes, (unsigned long long)H.old_limit);
    abort();
}

/* One slice of major work: until `deadline`, and then on until it has paid for the
 * old-space allocation since the previous slice (GC_MARK_PACE). A slice bounded by time
 * alone loses against a mutator that puts big objects straight into old space: each of
 * them is queued for marking, the cycle never ends and old space grows without bound (the
 * reader fuzzer grew it by 20 MiB per minor GC that way). Paying by allocation makes the
 * work of a cycle proportional to what was allocated during it, so it ends. */
static void major_slice(uint64_t deadline)
{
    uint64_t old_now = H.allocated_old + H.promoted_bytes;
    uint64_t owed = (old_now - H.old_at_last_slice) / 8 * GC_MARK_PACE;
    H.old_at_last_slice = old_now;
    uint64_t done = 0;
    bool idle = gc_major_work(deadline, 0, &done);
    while (!idle && done < owed)
        idle = gc_major_work(0, owed - done, &done);
    H.last_work_end = gc_now_ns();
}

/* A minor GC plus a slice of major work: the collection every allocation may run. */
static void collect(void)
{
    if (H.in_gc)
        fatal("allocation inside the collector (a finalizer or root scanner allocated)");
    uint64_t t0 = gc_now_ns(), c0 = cpu_now_ns();
    if (H.verify)
        gc_verify("before minor GC");
    H.in_gc = true;
    gc_minor();
    uint64_t t1 = gc_now_ns();
    if (H.torture_n) {
        /* Torture: cycles back to back, in small steps, so that marking and sweeping
         * interleave with every kind of mutator action. */
        if (H.phase == GC_IDLE)
            gc_start_marking();
        gc_major_work(0, 64, NULL);
    } else {
        if (H.phase == GC_IDLE && H.live_bytes > H.trigger_bytes)
            gc_start_marking();
        /* The slice ends STEP_SLICE_NS after the pause began, but is never shorter than
         * MIN_SLICE_NS: marking must progress even when minor GCs are slow (a nursery of
         * survivors), or old space would outgrow the cycle. */
        if (H.phase != GC_IDLE) {
            uint64_t dl = t0 + STEP_SLICE_NS;
            if (dl < t1 + MIN_SLICE_NS)
                dl = t1 + MIN_SLICE_NS;
            major_slice(dl);
        }
    }
    H.old_at_last_slice = H.allocated_old + H.promoted_bytes;
    H.in_gc = false;
    if (H.verbose && cpu_now_ns() - c0 > 5000000)
        fprintf(stderr, "kons gc: pause of %.1f ms CPU: minor GC %.1f ms, major work %.1f ms (wall), phase %d\n",
                (cpu_now_ns() - c0) / 1e6, (t1 - t0) / 1e6, (gc_now_ns() - t1) / 1e6, (int)H.phase);
    if (H.verify)
        gc_verify("after minor GC");
    record_pause(RT_GC_PAUSE_MINOR, t0, c0);
    check_limit();
    rt_gc_run_finalizers();
}

static void alloc_tick(void)
{
    if (H.torture_n && ++H.torture_count >= H.torture_n) {
        H.torture_count = 0;
        collect();
    }
}

/* Room for `bytes` in the nursery (may collect). */
static uintptr_t nursery_take(size_t bytes)
{
    alloc_tick();
    if (rt_nursery_top_ + bytes > rt_nursery_end_)
        collect();
    uintptr_t p = rt_nursery_top_;
    rt_nursery_top_ = p + bytes;
    set_nursery_limit();
    return p;
}

static _Noreturn void bad_request(const char *what)
{
    H.reserve_mode = true;
    if (H.oom)
        H.oom();
    fprintf(stderr, "kons: impossible allocation: %s\n", what);
    abort();
}

/* Before putting an object straight into old space: once a nursery's worth went there
 * since the last collection, a collection now. Big objects may come faster than the
 * nursery fills, and only collections start the major cycle that frees them and pay for
 * its work (major_slice). */
static void pace_old_allocation(void)
{
    if (!H.in_gc && H.allocated_old + H.promoted_bytes - H.old_at_last_slice >= H.nursery_bytes)
        collect();
}

/* Before putting `bytes` straight into old space: the limit. */
static void old_room(size_t bytes)
{
    uint64_t eff = H.old_limit + (H.reserve_mode ? H.reserve : 0);
    if (H.live_bytes + bytes <= eff)
        return;
    uint64_t t0 = gc_now_ns(), c0 = cpu_now_ns();
    full_collect();
    record_pause(RT_GC_PAUSE_FULL, t0, c0);
    rt_gc_run_finalizers();
    if (H.live_bytes + bytes <= eff)
        return;
    if (H.reserve_mode)
        check_limit();   /* aborts with the message when even the reserve is gone */
    H.reserve_mode = true;
    if (H.oom)
        H.oom();
    fprintf(stderr, "kons: heap exhausted allocating %zu bytes (--heap-size)\n", bytes);
    abort();
}

/* ---- Allocation ------------------------------------------------------------------ */

rt_value rt_cons_slow_(rt_value car, rt_value cdr)
{
    RT_ROOTS(car, cdr);
    rt_cons_cell *c = (rt_cons_cell *)nursery_take(16);
    c->car = car;
    c->cdr = cdr;
    return rt_make_pointer(c, RT_TAG_CONS);
}

rt_value rt_alloc_cell_slow_(unsigned widetag, uint64_t info, uint64_t payload)
{
    rt_value pv = (rt_value)payload;
    bool boxed = rt_widetag_payload(widetag) == RT_PAYLOAD_VALUE;
    if (boxed)
        rt_root_push(&pv);
    rt_header_cell *c = (rt_header_cell *)nursery_take(16);
    if (boxed)
        rt_root_pop(1);
    c->header = rt_make_header(widetag, info);
    c->payload = pv;
    return rt_make_pointer(c, RT_TAG_OBJECT);
}

static void init_rack(rt_rack *r, size_t words, size_t nboxed)
{
    r->header = rt_make_rack_header(words, nboxed);
    size_t i = 0;
    for (; i < nboxed; i++)
        r->body[i] = RT_NIL;
    for (; i < words - RT_RACK_HEADER_WORDS; i++)
        r->body[i] = 0;
}

static size_t rack_words_for(size_t body_words, size_t nboxed)
{
    if (nboxed > body_words || body_words > RT_RACK_MAX_WORDS - 4 || nboxed > RT_RACK_MAX_BOXED)
        bad_request("object too large");
    return (RT_RACK_HEADER_WORDS + body_words + 1) & ~(size_t)1;
}

/* Every page of an object put straight into old space is marked as remembered and dirty:
 * the caller may initialise it with plain stores of young values until its next
 * allocation (rule 2), and the next minor GC scans those pages. */
static void touch_range(uintptr_t a, size_t bytes)
{
    for (uintptr_t p = a & ~(GC_PAGE - 1); p < a + bytes; p += GC_PAGE)
        *gc_card(p) = RT_CARD_DIRTY;
}

static rt_value alloc_object_old(unsigned widetag, uint64_t info, size_t words, size_t nboxed);

rt_value rt_alloc_object_slow_(unsigned widetag, uint64_t info, size_t body_words, size_t nboxed)
{
    size_t words = rack_words_for(body_words, nboxed);
    if (words * 8 <= RT_NURSERY_MAX_RACK_BYTES) {
        uintptr_t p = nursery_take(16 + words * 8);
        rt_header_cell *c = (rt_header_cell *)p;
        rt_rack *r = (rt_rack *)(p + 16);
        c->header = rt_make_header(widetag, info);
        c->payload = (uint64_t)(uintptr_t)r;
        init_rack(r, words, nboxed);
        r->owner = (uint64_t)p;
        return rt_make_pointer(c, RT_TAG_OBJECT);
    }
    return alloc_object_old(widetag, info, words, nboxed);
}

rt_value rt_alloc_object_old(unsigned widetag, uint64_t info, size_t body_words, size_t nboxed)
{
    return alloc_object_old(widetag, info, rack_words_for(body_words, nboxed), nboxed);
}

static rt_value alloc_object_old(unsigned widetag, uint64_t info, size_t words, size_t nboxed)
{
    alloc_tick();
    pace_old_allocation();
    old_room(16 + words * 8);
    rt_rack *r = gc_rack_alloc_old(words);
    uintptr_t c = gc_cell_alloc();    /* marked and queued when marking: after the rack */
    rt_header_cell *hc = (rt_header_cell *)c;
    init_rack(r, words, nboxed);
    r->owner = c;
    hc->header = rt_make_header(widetag, info);
    hc->payload = (uint64_t)(uintptr_t)r;
    touch_range((uintptr_t)r, words * 8);
    touch_range(c, 16);
    H.allocated_old += 16 + words * 8;
    return rt_make_pointer(hc, RT_TAG_OBJECT);
}

void rt_realloc_rack(rt_value obj, size_t body_words, size_t nboxed)
{
    RT_ROOTS(obj);
    size_t words = rack_words_for(body_words, nboxed);
    rt_header_cell *c = rt_cell_of(obj);
    rt_rack *old = (rt_rack *)(uintptr_t)c->payload;
    /* SATB: what the old rack held was reachable when marking began; the mutator may
     * still hold it in a register or C local. */
    if (rt_gc_marking && old)
        for (uint64_t i = 0; i < rt_rack_nboxed(old); i++)
            gc_shade(old->body[i]);
    rt_rack *r;
    if (words * 8 <= RT_NURSERY_MAX_RACK_BYTES) {
        r = (rt_rack *)nursery_take(words * 8);
    } else {
        /* An old rack needs an old owner: the sweeper frees racks through their owner
         * cells, and a nursery owner could die without anyone freeing the rack. */
        if (gc_in_nursery((uintptr_t)rt_addr(obj)))
            collect();
        alloc_tick();
        pace_old_allocation();
        old_room(words * 8);
        r = gc_rack_alloc_old(words);
        touch_range((uintptr_t)r, words * 8);
        H.allocated_old += words * 8;
    }
    c = rt_cell_of(obj);   /* may have moved */
    old = (rt_rack *)(uintptr_t)c->payload;
    init_rack(r, words, nboxed);
    r->owner = (uint64_t)(uintptr_t)c;
    rt_touch(c);
    c->payload = (uint64_t)(uintptr_t)r;
    if (old && gc_in_racks((uintptr_t)old) && old->owner == (uint64_t)(uintptr_t)c) {
        /* Freed at the next minor GC: the caller may still copy out of it until its next
         * allocation. */
        old->owner = 0;
        gc_vec_push(&H.zombie_racks, (uintptr_t)old);
    }
}

rt_value rt_alloc_static_cell(unsigned widetag, uint64_t info, uint64_t payload)
{
    if (H.static_top + 16 > GC_STATIC_START + GC_STATIC_CELLS_MAX)
        bad_request("static space full");
    rt_header_cell *c = (rt_header_cell *)H.static_top;
    H.static_top += 16;
    c->header = rt_make_header(widetag, info);
    c->payload = payload;
    rt_touch(c);
    if (H.phase == GC_MARK)
        gc_mark_push((uintptr_t)c, 0);   /* grey: static cells are otherwise scanned at the start */
    return rt_make_pointer(c, RT_TAG_OBJECT);
}

void rt_static_adopt_rack(rt_value static_obj, rt_value donor)
{
    rt_header_cell *s = rt_cell_of(static_obj), *d = rt_cell_of(donor);
    rt_rack *r = (rt_rack *)(uintptr_t)d->payload;
    if (rt_gc_marking)
        for (uint64_t i = 0; i < rt_rack_nboxed(r); i++)
            gc_shade(r->body[i]);
    rt_touch(s);
    s->payload = (uint64_t)(uintptr_t)r;
    rt_touch(&r->owner);
    r->owner = (uint64_t)(uintptr_t)s;
    rt_touch(d);
    d->payload = 0;
}

void rt_store_raw(void *dst, const void *src, size_t len)
{
    if (len == 0)
        return;
    memmove(dst, src, len);
    for (uintptr_t a = (uintptr_t)dst & ~(RT_PAGE_SIZE - 1); a < (uintptr_t)dst + len; a += RT_PAGE_SIZE)
        rt_touch((void *)a);
}

void rt_store_values(rt_value *dst, const rt_value *src, size_t n)
{
    if (n == 0)
        return;
    if (rt_gc_marking)
        for (size_t i = 0; i < n; i++) {
            gc_shade(dst[i]);
            gc_shade(src[i]);
        }
    memmove(dst, src, n * sizeof *dst);
    for (uintptr_t a = (uintptr_t)dst & ~(RT_PAGE_SIZE - 1); a < (uintptr_t)(dst + n); a += RT_PAGE_SIZE)
        rt_touch((void *)a);
}

rt_value rt_make_weak_pointer(rt_value target)
{
    return rt_alloc_cell(RT_WT_WEAK_POINTER, 0, target);
}

rt_value rt_make_weak_vector(size_t npairs, enum rt_weak_kind kind)
{
    if (kind < RT_WEAK_KEY || kind > RT_WEAK_KEY_OR_VALUE || npairs > (RT_INFO_MAX >> 3))
        bad_request("bad weak vector");
    rt_value wv = rt_alloc_object(RT_WT_WEAK_VECTOR, ((uint64_t)npairs << 3) | kind, 1 + 2 * npairs, 1 + 2 * npairs);
    rt_value *b = rt_body(wv);
    b[0] = rt_fixnum(0);
    for (size_t i = 1; i <= 2 * npairs; i++)
        b[i] = RT_EMPTY;
    return wv;
}

/* ---- Roots ----------------------------------------------------------------------- */

void rt_root_push(rt_value *slot)
{
    rt_root_stack *r = &H.roots;
    if (r->n == r->cap)
        r->slots = gc_grow(r->slots, &r->cap, sizeof *r->slots);
    r->slots[r->n++] = slot;
}
void rt_root_pop(size_t n) { H.roots.n -= n; }
size_t rt_root_depth(void) { return H.roots.n; }
void rt_root_restore(size_t depth) { H.roots.n = depth; }
void rt_root_stack_switch(rt_root_stack *save, const rt_root_stack *load)
{
    *save = H.roots;
    H.roots = *load;
}
void rt_root_stack_scan(rt_root_stack *s, void (*visit)(rt_value *slot, void *ctx), void *ctx)
{
    for (size_t i = 0; i < s->n; i++)
        visit(s->slots[i], ctx);
    for (size_t i = 0; i < RT_THREAD_LOCALS; i++)
        visit(&s->locals[i], ctx);
}
rt_value *rt_thread_local(enum rt_thread_local which) { return &H.roots.locals[which]; }
void rt_root_stack_free(rt_root_stack *s)
{
    free(s->slots);
    *s = (rt_root_stack){0};
}
void rt_register_global(rt_value *slot)
{
    if (H.nglobals == H.cap_globals)
        H.globals = gc_grow(H.globals, &H.cap_globals, sizeof *H.globals);
    H.globals[H.nglobals++] = slot;
}
void rt_add_root_scanner(rt_root_scanner scan)
{
    if (H.nscanners == H.cap_scanners)
        H.scanners = gc_grow(H.scanners, &H.cap_scanners, sizeof *H.scanners);
    H.scanners[H.nscanners++] = scan;
}

/* Every root slot except the static cells (their fields are handled by the callers). */
void gc_visit_roots(rt_slot_visitor visit, void *ctx)
{
    rt_root_stack_scan(&H.roots, visit, ctx);
    for (size_t i = 0; i < H.nglobals; i++)
        visit(H.globals[i], ctx);
    for (size_t i = 0; i < H.nscanners; i++)
        H.scanners[i](visit, ctx);
}

/* ---- Minor GC -------------------------------------------------------------------- */

/* Copies the nursery object *slot points to (if any) to old space, leaving a forwarding
 * header behind, and updates the slot. Access bits of the slot's pointer are kept. */
static inline void evac(rt_value *slot)
{
    rt_value v = *slot;
    if (!rt_pointerp(v))
        return;
    uintptr_t a = (uintptr_t)(v & RT_ADDR_MASK);
    if (!gc_in_nursery(a))
        return;
    uint64_t *w = (uint64_t *)a;
    if (w[0] == GC_FWD_HEADER) {
        *slot = (w[1] & ~RT_ACCESS_MASK) | (v & RT_ACCESS_MASK);
        return;
    }
    uintptr_t n = gc_cell_alloc();
    uint64_t *nw = (uint64_t *)n;
    nw[0] = w[0];
    nw[1] = w[1];
    w[0] = GC_FWD_HEADER;
    w[1] = n | (v & RT_TAG_MASK);
    H.promoted_bytes += 16;
    gc_vec_push(&H.promoted, n);
    *slot = n | (v & (RT_ACCESS_MASK | RT_TAG_MASK));
}

static void evac_visit(rt_value *slot, void *ctx)
{
    (void)ctx;
    evac(slot);
}

/* The payload of an old (or just promoted) header cell is a rack pointer: a nursery
 * rack is copied to rack space and its boxed words evacuated; an old rack owned by a
 * cell that just moved gets its owner word updated. */
static void evac_rack_of(uintptr_t cell, bool weak)
{
    uint64_t *cw = (uint64_t *)cell;
    uintptr_t r = cw[1];
    if (!r)
        return;
    if (!gc_in_nursery(r)) {
        rt_rack *rr = (rt_rack *)r;
        if (gc_in_racks(r) && rr->owner != cell && rr->owner && gc_in_nursery(rr->owner)) {
            rr->owner = cell;
            gc_ckpt((uintptr_t)&rr->owner);
        }
        return;
    }
    uint64_t *rw = (uint64_t *)r;
    if ((rw[0] & RT_TAG_MASK) == RT_TAG_FWDRACK) {
        cw[1] = rw[0] & ~RT_TAG_MASK;   /* a second owner: rt_static_adopt_rack's donor */
        gc_ckpt(cell);
        return;
    }
    size_t words = rt_rack_size((rt_rack *)r);
    rt_rack *nr = gc_rack_alloc_old(words);
    memcpy(nr, (void *)r, words * 8);
    nr->owner = cell;
    rw[0] = (uintptr_t)nr | RT_TAG_FWDRACK;
    cw[1] = (uintptr_t)nr;
    gc_ckpt(cell);
    H.promoted_bytes += words * 8;
    if (weak)
        return;   /* a weak vector's pairs: minor_weak decides what they keep */
    uint64_t nb = rt_rack_nboxed(nr);
    for (uint64_t i = 0; i < nb; i++)
        evac(&nr->body[i]);
}

/* H.minor_weak lists the weak objects a minor GC met, three words each: the cell, and for
 * a weak vector the range [lo, hi) of its pairs that may hold young halves. */
static void list_weak(uintptr_t cell, size_t lo, size_t hi)
{
    gc_vec_push(&H.minor_weak, cell);
    gc_vec_push(&H.minor_weak, lo);
    gc_vec_push(&H.minor_weak, hi);
}

/* True for a nursery object no strong reference has copied out (yet). */
static inline bool young_unreached(rt_value v)
{
    if (!rt_pointerp(v))
        return false;
    uintptr_t a = (uintptr_t)(v & RT_ADDR_MASK);
    return gc_in_nursery(a) && ((uint64_t *)a)[0] != GC_FWD_HEADER;
}

/* Evacuates everything a cell refers to. */
static void scan_cell_minor(uintptr_t cell)
{
    uint64_t *w = (uint64_t *)cell;
    if (!gc_is_header(w[0])) {
        evac((rt_value *)&w[0]);
        evac((rt_value *)&w[1]);
        return;
    }
    unsigned wt = rt_header_widetag(w[0]);
    if (wt == RT_WT_FREE)
        return;
    switch (rt_widetag_payload(wt)) {
    case RT_PAYLOAD_RAW:
        return;
    case RT_PAYLOAD_VALUE:
        if (wt == RT_WT_WEAK_POINTER && young_unreached((rt_value)w[1]))
            list_weak(cell, 0, 0);   /* decided by minor_weak */
        else
            evac((rt_value *)&w[1]);
        return;
    case RT_PAYLOAD_RACK:
        if (wt == RT_WT_WEAK_VECTOR) {
            /* A young rack is copied, not traced, and all its pairs decided; an old one is
             * reached through its remembered pages (rack_of_weak_vector). */
            bool young_rack = w[1] && gc_in_nursery((uintptr_t)w[1]);
            evac_rack_of(cell, true);
            if (young_rack)
                list_weak(cell, 0, gc_weak_npairs(cell));
        } else {
            evac_rack_of(cell, false);
        }
        return;
    }
}

/* A cell promoted during marking: marked by gc_cell_alloc, and made black here rather
 * than queued, by shading what it refers to (its young referents are promoted, hence
 * marked, by now or later in this minor GC). So marking work does not grow with
 * promotion, and a cycle ends even while the mutator promotes heavily. Weak objects are
 * listed for termination instead of traced, as the marker does. */
static void blacken_promoted(uintptr_t cell)
{
    uint64_t *w = (uint64_t *)cell;
    if (!gc_is_header(w[0])) {
        gc_shade(w[0]);
        gc_shade(w[1]);
        return;
    }
    unsigned wt = rt_header_widetag(w[0]);
    switch (rt_widetag_payload(wt)) {
    case RT_PAYLOAD_RAW:
        return;
    case RT_PAYLOAD_VALUE:
        if (wt == RT_WT_WEAK_POINTER)
            gc_vec_push(&H.weak_ptrs, cell);
        else
            gc_shade(w[1]);
        return;
    case RT_PAYLOAD_RACK:
        break;
    }
    if (wt == RT_WT_WEAK_VECTOR) {
        gc_vec_push(&H.weak_vecs, cell);
        return;
    }
    rt_rack *r = (rt_rack *)(uintptr_t)w[1];
    if (r)
        for (uint64_t i = 0, nb = rt_rack_nboxed(r); i < nb; i++)
            gc_shade(r->body[i]);
}

/* A remembered old cell page: every cell (live, dead or free) is scanned. Dead cells
 * scanned here may keep young objects alive until the next major cycle; that is all. */
static void scan_cell_page(uintptr_t page)
{
    for (uintptr_t c = page; c < page + GC_PAGE; c += 16)
        scan_cell_minor(c);
    gc_ckpt(page);
}

static void scan_rack_words(rt_value *from, rt_value *to)
{
    for (rt_value *p = from; p < to; p++)
        evac(p);
}

/* An old rack owned by a weak vector is not scanned as a rack: its owner goes on the
 * minor_weak list instead, with the pairs that lie (partly) on the remembered `page`
 * (a weak vector's young keys and values do not survive by being in it). Only those
 * pairs can hold young halves (invariant 3), so a big old weak table costs a minor GC
 * what its remembered pages cost, not its size. */
static bool rack_of_weak_vector(rt_rack *r, uintptr_t page)
{
    uintptr_t o = (uintptr_t)r->owner;
    if (!o || !(gc_in_cells(o) || gc_in_static(o)) || !gc_is_header(((uint64_t *)o)[0])
        || rt_header_widetag(((uint64_t *)o)[0]) != RT_WT_WEAK_VECTOR || ((uint64_t *)o)[1] != (uintptr_t)r)
        return false;
    /* Pair j holds body words 1+2j (key) and 2+2j (value); the page holds body words
     * [first, last) (relative to the body, so first may be negative). */
    ptrdiff_t first = ((intptr_t)page - (intptr_t)r->body) / 8, last = first + (ptrdiff_t)(GC_PAGE / 8);
    size_t n = gc_weak_npairs(o);
    size_t lo = first <= 1 ? 0 : (size_t)(first - 1) / 2;   /* first j with 2+2j >= first */
    size_t hi = last <= 0 ? 0 : (size_t)last / 2;            /* first j with 1+2j >= last */
    if (hi > n)
        hi = n;
    if (lo < hi)
        list_weak(o, lo, hi);
    return true;
}

/* Drains the list of promoted cells: each is scanned (its young referents promoted in
 * turn) and, during marking, blackened. */
static void scan_promoted(void)
{
    while (H.promoted.n) {
        uintptr_t c = H.promoted.v[--H.promoted.n];
        scan_cell_minor(c);
        if (H.phase == GC_MARK)
            blacken_promoted(c);
    }
}

/* Weak references in a minor GC. Weak pointers and weak vectors met while evacuating
 * were listed rather than traced. Ephemerons first: a pair whose key (or, by its kind,
 * value) was reached keeps the other half, which may reach further keys, so this runs to
 * a fixpoint. Then every listed reference to a young object that was not reached is
 * cleared (a weak pointer to unbound, a weak vector pair to tombstones counted in word 0,
 * as the major collector does), and the rest are updated to the copies. Old objects are
 * taken as alive: only a major cycle knows. */
static void minor_weak(void)
{
    for (bool again = true; again;) {
        again = false;
        for (size_t i = 0; i < H.minor_weak.n; i += 3) {
            uintptr_t c = H.minor_weak.v[i];
            rt_value *b = gc_weak_body(c);
            if (rt_header_widetag(((uint64_t *)c)[0]) != RT_WT_WEAK_VECTOR || !b)
                continue;
            unsigned kind = gc_weak_kind(c);
            for (size_t j = H.minor_weak.v[i + 1]; j < H.minor_weak.v[i + 2]; j++) {
                rt_value *kp = &b[1 + 2 * j], *vp = &b[2 + 2 * j];
                char keep = gc_weak_pair_keeps(kind, !young_unreached(*kp), !young_unreached(*vp));
                if (keep) {
                    evac(keep == 'v' ? vp : kp);
                    again = true;
                }
            }
        }
        scan_promoted();   /* may list more weak objects */
    }
    for (size_t i = 0; i < H.minor_weak.n; i += 3) {
        uintptr_t c = H.minor_weak.v[i];
        uint64_t *w = (uint64_t *)c;
        if (rt_header_widetag(w[0]) == RT_WT_WEAK_POINTER) {
            if (young_unreached((rt_value)w[1]))
                w[1] = RT_UNBOUND;
            else
                evac((rt_value *)&w[1]);
            gc_ckpt(c);
            continue;
        }
        rt_value *b = gc_weak_body(c);
        if (!b)
            continue;
        unsigned kind = gc_weak_kind(c);
        int64_t cleared = 0;
        for (size_t j = H.minor_weak.v[i + 1]; j < H.minor_weak.v[i + 2]; j++) {
            rt_value *kp = &b[1 + 2 * j], *vp = &b[2 + 2 * j];
            rt_value k0 = *kp, v0 = *vp;
            if (gc_weak_pair_dead(kind, !young_unreached(k0), !young_unreached(v0))) {
                *kp = *vp = RT_TOMBSTONE;
                cleared++;
            } else {
                evac(kp);   /* both reached or old: only updated, nothing copied */
                evac(vp);
            }
            if (*kp != k0)
                gc_ckpt((uintptr_t)kp);
            if (*vp != v0)
                gc_ckpt((uintptr_t)vp);
        }
        if (cleared && rt_fixnump(b[0])) {
            b[0] = rt_fixnum(rt_fixnum_value(b[0]) + cleared);
            gc_ckpt((uintptr_t)b);
        }
    }
    H.minor_weak.n = 0;
}

/* A remembered rack page: the racks on it are found from the page table. */
static void scan_rack_page(uintptr_t page)
{
    size_t pi = page_index(page);
    uint32_t e = H.page_table[pi];
    switch (GC_PT_KIND(e)) {
    case GC_PT_CLASS: {
        uint32_t sz = gc_class_bytes[GC_PT_ARG(e)];
        for (uintptr_t a = page; a + sz <= page + GC_PAGE; a += sz) {
            rt_rack *r = (rt_rack *)a;
            if ((r->header & RT_TAG_MASK) != RT_TAG_RACKHDR || rack_of_weak_vector(r, page))
                continue;
            scan_rack_words(r->body, r->body + rt_rack_nboxed(r));
        }
        break;
    }
    case GC_PT_LARGE_HEAD:
    case GC_PT_LARGE_TAIL: {
        uintptr_t head = page - (GC_PT_KIND(e) == GC_PT_LARGE_TAIL ? GC_PT_ARG(e) * GC_PAGE : 0);
        rt_rack *r = (rt_rack *)head;
        if (rack_of_weak_vector(r, page))
            break;
        rt_value *lo = r->body, *hi = r->body + rt_rack_nboxed(r);
        rt_value *plo = (rt_value *)page, *phi = (rt_value *)(page + GC_PAGE);
        if (lo < plo)
            lo = plo;
        if (hi > phi)
            hi = phi;
        scan_rack_words(lo, hi);
        break;
    }
    default:
        return;
    }
    gc_ckpt(page);
}

/* Visits the pages of [start, end) whose card has RT_CARD_REMEMBERED, clearing it. */
static void scan_remembered(uintptr_t start, uintptr_t end, void (*scan)(uintptr_t))
{
    uint8_t *c = gc_card(start), *ce = gc_card(end);
    const uint64_t rem8 = UINT64_C(0x0101010101010101) * RT_CARD_REMEMBERED;
    while (c < ce) {
        if (((uintptr_t)c & 7) == 0 && c + 8 <= ce) {
            uint64_t w;
            memcpy(&w, c, 8);
            if (!(w & rem8)) {
                c += 8;
                continue;
            }
        }
        if (*c & RT_CARD_REMEMBERED) {
            *c &= (uint8_t)~RT_CARD_REMEMBERED;
            scan(RT_HEAP_BASE + ((uintptr_t)(c - rt_card_table) << RT_PAGE_SHIFT));
        }
        c++;
    }
}

void gc_minor(void)
{
    size_t used = rt_nursery_top_ - rt_nursery_start_;
    /* Racks replaced by rt_realloc_rack since the last collection. */
    for (size_t i = 0; i < H.zombie_racks.n; i++)
        gc_rack_free((rt_rack *)H.zombie_racks.v[i]);
    H.zombie_racks.n = 0;
    H.minor_count++;
    H.nursery_allocated += used;
    H.promoting = true;
    gc_visit_roots(evac_visit, NULL);
    GC_FOR_STATIC_CELLS(c)
        scan_cell_minor(c);
    scan_remembered(GC_CELLS_START, H.cells_top, scan_cell_page);
    scan_remembered(GC_RACKS_START, H.racks_top, scan_rack_page);
    scan_promoted();
    minor_weak();
    H.promoting = false;
    gc_minor_finalizers();
    if (H.verify || H.torture_n)
        memset((void *)rt_nursery_start_, 0xdb, used);   /* stale pointers fault loudly */
    rt_nursery_top_ = rt_nursery_start_;
    set_nursery_limit();
    rt_gc_epoch++;
}

/* ---- Public collection entry points ---------------------------------------------- */

void rt_gc_minor(void)
{
    collect();
}

void rt_gc_full(void)
{
    if (H.in_gc)
        fatal("rt_gc_full inside the collector");
    uint64_t t0 = gc_now_ns(), c0 = cpu_now_ns();
    if (H.verify)
        gc_verify("before full GC");
    H.in_gc = true;
    full_collect();
    H.in_gc = false;
    if (H.verify)
        gc_verify("after full GC");
    record_pause(RT_GC_PAUSE_FULL, t0, c0);
    check_limit();
    rt_gc_run_finalizers();
}

/* A slice of major work outside a minor GC. */
static void major_step(void)
{
    uint64_t t0 = gc_now_ns(), c0 = cpu_now_ns();
    if (H.verify)
        gc_verify("before major step");
    H.in_gc = true;
    major_slice(t0 + 1000000);
    H.in_gc = false;
    if (H.verify)
        gc_verify("after major step");
    record_pause(RT_GC_PAUSE_STEP, t0, c0);
    rt_gc_run_finalizers();
}

void rt_gc_step(void)
{
    if (H.phase == GC_IDLE || H.in_gc)
        return;
    if (gc_now_ns() < H.last_work_end + STEP_INTERVAL_NS)
        return;
    major_step();
}

void rt_gc_start_major(void)
{
    if (H.phase != GC_IDLE || H.in_gc)
        return;
    uint64_t t0 = gc_now_ns(), c0 = cpu_now_ns();
    H.in_gc = true;
    gc_minor();
    gc_start_marking();
    H.in_gc = false;
    record_pause(RT_GC_PAUSE_MINOR, t0, c0);
    rt_gc_run_finalizers();
}

void rt_heap_verify(const char *when)
{
    gc_verify(when);
}

void rt_gc_get_stats(rt_gc_stats *out)
{
    memset(out, 0, sizeof *out);
    out->minor_count = H.minor_count;
    out->major_count = H.major_count;
    out->bytes_allocated = H.nursery_allocated + (rt_nursery_top_ - rt_nursery_start_) + H.allocated_old;
    out->old_bytes_in_use = H.live_bytes;
    out->last_pause_ns = H.last_pause_ns;
    out->max_pause_ns = H.max_pause_ns;
    out->old_bytes_committed = (H.cells_top - GC_CELLS_START) + H.rack_pages * GC_PAGE;
    out->bytes_promoted = H.promoted_bytes;
    out->epoch = rt_gc_epoch;
}

/* ---- Page / space API ------------------------------------------------------------ */

size_t rt_heap_spaces(rt_space_info *out, size_t max)
{
    uintptr_t st = (H.static_top + GC_PAGE - 1) & ~(uintptr_t)(GC_PAGE - 1);
    rt_space_info s[] = {
        {RT_SPACE_STATIC, GC_STATIC_START, st, GC_STATIC_START + GC_STATIC_BYTES, true},
        {RT_SPACE_CELLS, GC_CELLS_START, H.cells_top, GC_CELLS_START + GC_CELLS_MAX, true},
        {RT_SPACE_RACKS, GC_RACKS_START, H.racks_top, GC_RACKS_START + GC_RACKS_MAX, true},
        {RT_SPACE_NURSERY, rt_nursery_start_, rt_nursery_end_, GC_NURSERY_START + GC_NURSERY_MAX, false},
    };
    size_t n = sizeof s / sizeof s[0];
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = s[i];
    return n;
}

void rt_heap_take_dirty_pages(rt_page_fn fn, void *ctx)
{
    rt_space_info s[4];
    size_t n = rt_heap_spaces(s, 4);
    for (size_t i = 0; i < n; i++) {
        if (!s[i].persistent)
            continue;
        for (uintptr_t a = s[i].start; a < s[i].used_end; a += RT_PAGE_SIZE) {
            uint8_t *card = gc_card(a);
            if (*card & RT_CARD_CKPT) {
                *card &= (uint8_t)~RT_CARD_CKPT;
                fn(a, ctx);
            }
        }
    }
}
