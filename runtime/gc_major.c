/* runtime/gc_major.c: the old-space collector: incremental mark-sweep with side mark
 * bitmaps, weak pointers, weak vectors (ephemerons) and finalizers.
 *
 * Marking is snapshot-at-the-beginning (SATB): a cycle starts right after a minor GC
 * (empty nursery) by shading the roots; from then on the barrier (rt_store) shades the
 * value a store overwrites, so everything reachable at the start gets marked, and also
 * the value stored, so that no scanned (black) object ever points to an unmarked (white)
 * one. Objects allocated in old space during marking, promoted ones included, are marked
 * and queued (grey): their fields were written without the barrier. Marking never writes
 * into objects (the bitmap is apart), so it dirties no page the checkpointer would save.
 *
 * Work is done in slices: after every minor GC (gc_major_work with a deadline) and from
 * rt_gc_step. Old-space allocation paces the slices (heap.c, pay_mark_debt): a slice
 * does at least GC_MARK_PACE words of work per word put into old space since the last
 * one, so a mutator that allocates faster than a time-bounded slice marks cannot keep a
 * cycle from ending while old space grows without bound. Big racks are scanned in chunks (a mark-stack entry is a cell and the index
 * of the next boxed word), so no slice is longer than one chunk past its deadline.
 * Termination (empty mark stack) is atomic: ephemerons of weak vectors are iterated to a
 * fixpoint, dead weak entries and weak pointers cleared, finalizers of dead objects
 * queued. Then sweeping runs lazily page by page (also on demand from the cell
 * allocator): unmarked cells go on the free list and their racks are freed; each swept
 * page's mark bits are cleared, so the bitmap is all zero when the next cycle begins.
 */
#include "gc_internal.h"

#include <stdio.h>
#include <stdlib.h>

#define H gc_H
#define CHUNK_WORDS 4096

/* The mark stack is one big reserved mapping (rt_heap_init): it never moves or copies,
 * so pushing costs the same at depth 10 and at depth 10 million (a realloc'd stack
 * copied hundreds of MB inside a pause). */
void gc_mark_push(uintptr_t cell, uint64_t start)
{
    if (H.msp == H.mcap) {
        fprintf(stderr, "kons: fatal heap error: mark stack overflow (%zu entries)\n", H.msp);
        abort();
    }
    H.mstack[H.msp++] = (gc_mentry){cell, start};
}

void gc_shade(rt_value v)
{
    if (!rt_pointerp(v))
        return;
    uintptr_t a = (uintptr_t)(v & RT_ADDR_MASK);
    if (a >= GC_CELLS_START && a < H.cells_top && gc_mark(a))
        gc_mark_push(a, 0);
}

void rt_gc_shade_(rt_value old)
{
    if (rt_gc_marking)
        gc_shade(old);
}

void rt_gc_barrier_marking_(rt_value old, rt_value v)
{
    gc_shade(old);
    gc_shade(v);
}

static void shade_visit(rt_value *slot, void *ctx)
{
    (void)ctx;
    gc_shade(*slot);
}

/* Scans one mark-stack entry; returns the work done (words). */
static size_t scan_entry(gc_mentry e)
{
    uint64_t *w = (uint64_t *)e.cell;
    if (!gc_is_header(w[0])) {
        gc_shade(w[0]);
        gc_shade(w[1]);
        return 2;
    }
    unsigned wt = rt_header_widetag(w[0]);
    switch (rt_widetag_payload(wt)) {
    case RT_PAYLOAD_RAW:
        return 1;
    case RT_PAYLOAD_VALUE:
        if (wt == RT_WT_WEAK_POINTER)
            gc_vec_push(&H.weak_ptrs, e.cell);
        else
            gc_shade(w[1]);
        return 2;
    case RT_PAYLOAD_RACK:
        break;
    }
    if (wt == RT_WT_WEAK_VECTOR) {
        if (e.start == 0)
            gc_vec_push(&H.weak_vecs, e.cell);
        return 2;
    }
    rt_rack *r = (rt_rack *)(uintptr_t)w[1];
    if (!r)
        return 1;
    uint64_t nb = rt_rack_nboxed(r);
    uint64_t from = e.start, to = nb;
    if (from >= nb)
        return 1;   /* the rack was replaced by a shorter one meanwhile */
    if (nb - from > CHUNK_WORDS) {
        to = from + CHUNK_WORDS;
        gc_mark_push(e.cell, to);
    }
    for (uint64_t i = from; i < to; i++)
        gc_shade(r->body[i]);
    return 2 + (to - from);
}

/* Marks until the stack is empty or `budget` words of work were done; true if empty. */
static bool mark_some(uint64_t budget, uint64_t *work)
{
    uint64_t done = 0;
    while (H.msp) {
        gc_mentry e = H.mstack[--H.msp];
        done += scan_entry(e);
        if (done >= budget) {
            *work += done;
            return H.msp == 0;
        }
    }
    *work += done;
    return true;
}

void gc_start_marking(void)
{
    H.phase = GC_MARK;
    rt_gc_marking = 1;
    H.weak_ptrs.n = H.weak_vecs.n = 0;
    gc_visit_roots(shade_visit, NULL);
    GC_FOR_STATIC_CELLS(c)
        if (*(uint64_t *)c)
            gc_mark_push(c, 0);
    if (H.verbose)
        fprintf(stderr, "kons gc: major cycle %llu begins, %llu MiB live\n",
                (unsigned long long)H.major_count + 1, (unsigned long long)(H.live_bytes >> 20));
}

static inline bool alive(rt_value v)
{
    if (!rt_pointerp(v))
        return true;
    uintptr_t a = (uintptr_t)(v & RT_ADDR_MASK);
    return !(a >= GC_CELLS_START && a < H.cells_top) || gc_marked(a);
}

/* One pass of ephemeron propagation; true when it shaded something. */
static bool propagate_weak_vectors(void)
{
    bool changed = false;
    for (size_t i = 0; i < H.weak_vecs.n; i++) {
        uintptr_t c = H.weak_vecs.v[i];
        rt_value *b = gc_weak_body(c);
        unsigned kind = gc_weak_kind(c);
        size_t n = gc_weak_npairs(c);
        for (size_t j = 0; b && j < n; j++) {
            rt_value k = b[1 + 2 * j], v = b[2 + 2 * j];
            char keep = gc_weak_pair_keeps(kind, alive(k), alive(v));
            if (keep) {
                gc_shade(keep == 'v' ? v : k);
                changed = true;
            }
        }
    }
    return changed;
}

static void clear_weak(void)
{
    for (size_t i = 0; i < H.weak_vecs.n; i++) {
        uintptr_t c = H.weak_vecs.v[i];
        rt_value *b = gc_weak_body(c);
        unsigned kind = gc_weak_kind(c);
        size_t n = gc_weak_npairs(c);
        int64_t cleared = 0;
        for (size_t j = 0; b && j < n; j++) {
            rt_value *kp = &b[1 + 2 * j], *vp = &b[2 + 2 * j];
            if (gc_weak_pair_dead(kind, alive(*kp), alive(*vp))) {
                *kp = *vp = RT_TOMBSTONE;
                gc_ckpt((uintptr_t)kp);
                gc_ckpt((uintptr_t)vp);
                cleared++;
            }
        }
        if (cleared && b && rt_fixnump(b[0])) {
            b[0] = rt_fixnum(rt_fixnum_value(b[0]) + cleared);
            gc_ckpt((uintptr_t)b);
        }
    }
    for (size_t i = 0; i < H.weak_ptrs.n; i++) {
        uint64_t *w = (uint64_t *)H.weak_ptrs.v[i];
        if (!alive((rt_value)w[1])) {
            w[1] = RT_UNBOUND;
            gc_ckpt((uintptr_t)w);
        }
    }
    H.weak_ptrs.n = H.weak_vecs.n = 0;
}

static void queue_finalizer(size_t i)
{
    if (H.npending == H.cap_pending)
        H.pending = gc_grow(H.pending, &H.cap_pending, sizeof *H.pending);
    H.pending[H.npending++] = H.finals[i];
    H.finals[i] = H.finals[--H.nfinals];
}

static void terminate_marking(void)
{
    uint64_t work = 0;
    do {
        mark_some(UINT64_MAX, &work);
    } while (propagate_weak_vectors());
    clear_weak();
    for (size_t i = 0; i < H.nfinals;) {
        if (!alive(H.finals[i].obj))
            queue_finalizer(i);
        else
            i++;
    }
    rt_gc_marking = 0;
    H.phase = GC_SWEEP;
    /* The free list and the unused end of the bump page are swept afresh. */
    H.cell_free = 0;
    for (uintptr_t c = H.cell_bump; c < H.cell_bump_end; c += 16) {
        ((uint64_t *)c)[0] = GC_FREE_HEADER;
        ((uint64_t *)c)[1] = 0;
    }
    H.cell_bump = H.cell_bump_end = 0;
    H.sweep_cursor = GC_CELLS_START;
    H.sweep_end = H.cells_top;
}

static void sweep_page(uintptr_t page)
{
    uint64_t *bits = &H.mark_bits[gc_bit_index(page) >> 6];
    for (unsigned wi = 0; wi < GC_CELLS_PER_PAGE / 64; wi++) {
        uint64_t dead = ~bits[wi];
        while (dead) {
            unsigned b = (unsigned)__builtin_ctzll(dead);
            dead &= dead - 1;
            uintptr_t c = page + ((uintptr_t)wi * 64 + b) * 16;
            uint64_t *w = (uint64_t *)c;
            if (w[0] != GC_FREE_HEADER) {
                gc_free_cell_contents(c);
                H.live_bytes -= 16;
                w[0] = GC_FREE_HEADER;
            }
            w[1] = H.cell_free;
            H.cell_free = c;
        }
        bits[wi] = 0;
    }
}

static void end_sweep(void)
{
    H.phase = GC_IDLE;
    H.major_count++;
    H.last_live = H.live_bytes;
    uint64_t t = H.live_bytes + H.live_bytes / 2;
    if (t < H.live_bytes + (UINT64_C(8) << 20))
        t = H.live_bytes + (UINT64_C(8) << 20);
    if (t > H.old_limit - H.old_limit / 8)
        t = H.old_limit - H.old_limit / 8;
    H.trigger_bytes = t;
    if (H.verbose)
        fprintf(stderr, "kons gc: major cycle %llu done, %llu MiB live, next at %llu MiB\n",
                (unsigned long long)H.major_count, (unsigned long long)(H.live_bytes >> 20),
                (unsigned long long)(t >> 20));
}

/* Sweeps up to `pages` pages; false when there was nothing left to sweep. */
bool gc_sweep_some(size_t pages)
{
    if (H.phase != GC_SWEEP)
        return false;
    if (H.sweep_cursor >= H.sweep_end) {
        end_sweep();
        return false;
    }
    for (size_t i = 0; i < pages && H.sweep_cursor < H.sweep_end; i++) {
        sweep_page(H.sweep_cursor);
        H.sweep_cursor += GC_PAGE;
    }
    if (H.sweep_cursor >= H.sweep_end)
        end_sweep();
    return true;
}

bool gc_major_work(uint64_t deadline, uint64_t work_limit, uint64_t *work_done)
{
    uint64_t work = 0;
    bool idle = false;
    for (;;) {
        if (H.phase == GC_MARK) {
            if (mark_some(work_limit ? work_limit - work : 2048, &work))
                terminate_marking();
        } else if (H.phase == GC_SWEEP) {
            gc_sweep_some(work_limit ? 1 : 32);
            work += work_limit ? 16 : 32 * GC_CELLS_PER_PAGE;
            idle = H.phase == GC_IDLE;
        } else {
            idle = true;
        }
        if (idle || (work_limit ? work >= work_limit : gc_now_ns() >= deadline))
            break;
    }
    if (work_done)
        *work_done += work;
    return idle;
}

void gc_finish_cycle(void)
{
    uint64_t work = 0;
    if (H.phase == GC_MARK) {
        mark_some(UINT64_MAX, &work);
        terminate_marking();
    }
    while (H.phase == GC_SWEEP)
        gc_sweep_some(SIZE_MAX);
}

/* ---- Finalizers ------------------------------------------------------------------ */

void rt_gc_finalize(rt_value obj, rt_finalizer_fn fn, void *data)
{
    if (H.nfinals == H.cap_finals)
        H.finals = gc_grow(H.finals, &H.cap_finals, sizeof *H.finals);
    H.finals[H.nfinals++] = (gc_final){rt_strip_access(obj), fn, data};
}

/* After a minor GC's copying: registrations of nursery objects follow them or, for
 * the dead ones, queue their finalizers. */
void gc_minor_finalizers(void)
{
    for (size_t i = 0; i < H.nfinals;) {
        rt_value v = H.finals[i].obj;
        uintptr_t a = (uintptr_t)(v & RT_ADDR_MASK);
        if (rt_pointerp(v) && gc_in_nursery(a)) {
            uint64_t *w = (uint64_t *)a;
            if (w[0] == GC_FWD_HEADER) {
                H.finals[i].obj = w[1];
            } else {
                queue_finalizer(i);
                continue;
            }
        }
        i++;
    }
}

void rt_gc_run_finalizers(void)
{
    if (H.running_finalizers || H.in_gc)
        return;
    H.running_finalizers = true;
    while (H.npending) {
        gc_final f = H.pending[--H.npending];
        f.fn(f.data);
    }
    H.running_finalizers = false;
}

/* ---- Recovery -------------------------------------------------------------------- */

static void add_free_run(uintptr_t start, size_t npages)
{
    if (H.nruns && H.runs[H.nruns - 1].start + H.runs[H.nruns - 1].npages * GC_PAGE == start) {
        H.runs[H.nruns - 1].npages += npages;
        return;
    }
    if (H.nruns == H.cap_runs) {
        size_t cap = H.cap_runs ? H.cap_runs * 2 : 64;
        gc_run *n = realloc(H.runs, cap * sizeof *n);
        if (!n) {
            fprintf(stderr, "kons: fatal heap error: out of C memory for the page runs\n");
            abort();
        }
        H.runs = n;
        H.cap_runs = cap;
    }
    H.runs[H.nruns++] = (gc_run){start, npages};
}

static unsigned class_for_bytes(size_t bytes)
{
    unsigned k = 0;
    while (gc_class_bytes[k] < bytes)
        k++;
    return k;
}

/* Rebuilds the page table of [GC_RACKS_START, racks_top) from the racks themselves: a
 * page starting with a rack header of at most 2048 bytes is a page of the smallest class
 * that holds it (allocation always uses that class; a free slot's header carries the
 * class size); a bigger rack starts a large run; a page of zeros is free. */
static int rebuild_page_table(void)
{
    for (uintptr_t p = GC_RACKS_START; p < H.racks_top;) {
        size_t pi = (p - GC_RACKS_START) >> RT_PAGE_SHIFT;
        uint64_t w = *(uint64_t *)p;
        if ((w & RT_TAG_MASK) != RT_TAG_RACKHDR) {
            if (w != 0) {
                fprintf(stderr, "kons: heap restore: rack page %#llx starts with no rack\n", (unsigned long long)p);
                return -1;
            }
            H.page_table[pi] = GC_PT_FREE;
            add_free_run(p, 1);
            p += GC_PAGE;
            continue;
        }
        size_t bytes = rt_rack_size((rt_rack *)p) * 8;
        if (bytes <= GC_MAX_CLASS_BYTES) {
            H.page_table[pi] = GC_PT_MAKE(GC_PT_CLASS, class_for_bytes(bytes));
            H.rack_pages++;
            p += GC_PAGE;
        } else {
            size_t np = (bytes + GC_PAGE - 1) / GC_PAGE;
            if (p + np * GC_PAGE > H.racks_top) {
                fprintf(stderr, "kons: heap restore: large rack at %#llx runs past rack space\n", (unsigned long long)p);
                return -1;
            }
            H.page_table[pi] = GC_PT_MAKE(GC_PT_LARGE_HEAD, np);
            for (size_t i = 1; i < np; i++)
                H.page_table[pi + i] = GC_PT_MAKE(GC_PT_LARGE_TAIL, i);
            H.rack_pages += np;
            p += np * GC_PAGE;
        }
    }
    return 0;
}

static bool rack_is_live(rt_rack *r)
{
    uintptr_t o = r->owner;
    if ((r->header & RT_TAG_MASK) != RT_TAG_RACKHDR || (o & 15))
        return false;
    bool live_owner = (gc_in_cells(o) && gc_marked(o)) || gc_in_static(o);
    return live_owner && gc_is_header(((uint64_t *)o)[0]) && ((uint64_t *)o)[1] == (uintptr_t)r;
}

int rt_heap_restore(const rt_space_info *spaces, size_t n)
{
    if (H.live_bytes || H.cells_top != GC_CELLS_START || rt_nursery_top_ != rt_nursery_start_) {
        fprintf(stderr, "kons: heap restore: the heap is not fresh\n");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const rt_space_info *s = &spaces[i];
        bool ok = s->used_end >= s->start && (s->used_end - s->start) % GC_PAGE == 0;
        switch (s->kind) {
        case RT_SPACE_STATIC:
            ok = ok && s->start == GC_STATIC_START && s->used_end <= GC_STATIC_START + GC_STATIC_CELLS_MAX;
            if (ok && s->used_end > H.static_top)
                H.static_top = s->used_end;
            break;
        case RT_SPACE_CELLS:
            ok = ok && s->start == GC_CELLS_START && s->used_end <= GC_CELLS_START + GC_CELLS_MAX;
            if (ok)
                H.cells_top = s->used_end;
            break;
        case RT_SPACE_RACKS:
            ok = ok && s->start == GC_RACKS_START && s->used_end <= GC_RACKS_START + GC_RACKS_MAX;
            if (ok)
                H.racks_top = s->used_end;
            break;
        case RT_SPACE_NURSERY:
            break;
        }
        if (!ok) {
            fprintf(stderr, "kons: heap restore: space %d [%#llx, %#llx) does not fit this heap\n", (int)s->kind,
                    (unsigned long long)s->start, (unsigned long long)s->used_end);
            return -1;
        }
    }
    if (rebuild_page_table() != 0)
        return -1;
    /* One full mark from the roots. */
    uint64_t work = 0;
    gc_start_marking();
    mark_some(UINT64_MAX, &work);
    terminate_marking();
    /* Racks: live iff owned by a live cell; the others, and never-used slots, are free. */
    H.live_bytes = 0;
    for (uintptr_t p = GC_RACKS_START; p < H.racks_top;) {
        uint32_t e = H.page_table[(p - GC_RACKS_START) >> RT_PAGE_SHIFT];
        if (GC_PT_KIND(e) == GC_PT_CLASS) {
            unsigned k = GC_PT_ARG(e);
            uint32_t sz = gc_class_bytes[k];
            for (uintptr_t a = p; a + sz <= p + GC_PAGE; a += sz) {
                rt_rack *r = (rt_rack *)a;
                if (rack_is_live(r)) {
                    H.live_bytes += sz;
                } else {
                    r->header = rt_make_rack_header(sz / 8, 0);
                    r->owner = H.class_free[k];
                    H.class_free[k] = a;
                }
            }
            p += GC_PAGE;
        } else if (GC_PT_KIND(e) == GC_PT_LARGE_HEAD) {
            size_t np = GC_PT_ARG(e);
            H.live_bytes += np * GC_PAGE;
            if (!rack_is_live((rt_rack *)p))
                gc_rack_free((rt_rack *)p);
            p += np * GC_PAGE;
        } else {
            p += GC_PAGE;
        }
    }
    /* Cells: the marked ones are live; every other becomes a free cell. */
    for (uintptr_t page = GC_CELLS_START; page < H.cells_top; page += GC_PAGE) {
        uint64_t *bits = &H.mark_bits[gc_bit_index(page) >> 6];
        for (unsigned wi = 0; wi < GC_CELLS_PER_PAGE / 64; wi++) {
            uint64_t m = bits[wi];
            H.live_bytes += 16 * (uint64_t)__builtin_popcountll(m);
            for (uint64_t dead = ~m; dead; dead &= dead - 1) {
                uintptr_t c = page + ((uintptr_t)wi * 64 + (unsigned)__builtin_ctzll(dead)) * 16;
                ((uint64_t *)c)[0] = GC_FREE_HEADER;
                ((uint64_t *)c)[1] = H.cell_free;
                H.cell_free = c;
            }
            bits[wi] = 0;
        }
    }
    H.phase = GC_IDLE;
    H.sweep_cursor = H.sweep_end = 0;
    H.last_live = H.live_bytes;
    uint64_t t = H.live_bytes + H.live_bytes / 2 + (UINT64_C(8) << 20);
    H.trigger_bytes = t > H.old_limit - H.old_limit / 8 ? H.old_limit - H.old_limit / 8 : t;
    return 0;
}
