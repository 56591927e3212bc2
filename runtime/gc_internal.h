/* runtime/gc_internal.h: state shared by the heap and GC files (heap.c: spaces,
 * allocation, roots, minor GC; gc_major.c: incremental mark-sweep, weak objects,
 * finalizers; gc_verify.c: the heap verifier). Not a public header.
 *
 * Address map inside [RT_HEAP_BASE, RT_HEAP_LIMIT):
 *   STATIC   BASE + 0        .. + 64 MiB  static cells (NIL at +0, T at +0x10), roots
 *   NURSERY  BASE + 1 GiB    .. + size    bump region, emptied by every minor GC
 *   CELLS    BASE + 4 GiB    .. + 512 GiB old 16-byte cells (conses, header cells)
 *   RACKS    BASE + 1 TiB    .. + 1 TiB   old racks: size-class pages and large runs
 * One card byte per 4 KiB page covers all of it (rt_card_table).
 */
#ifndef RT_GC_INTERNAL_H
#define RT_GC_INTERNAL_H

#include "rt/heap.h"

#define GC_STATIC_START   RT_HEAP_BASE
#define GC_STATIC_BYTES   (UINT64_C(64) << 20)
#define GC_STATIC_CELLS_MAX (UINT64_C(4) << 20)
#define GC_NURSERY_START  (RT_HEAP_BASE + (UINT64_C(1) << 30))
#define GC_NURSERY_MAX    (UINT64_C(1) << 30)
#define GC_CELLS_START    (RT_HEAP_BASE + (UINT64_C(4) << 30))
#define GC_CELLS_MAX      (UINT64_C(512) << 30)
#define GC_RACKS_START    (RT_HEAP_BASE + (UINT64_C(1) << 40))
#define GC_RACKS_MAX      (UINT64_C(1) << 40)
#define GC_PAGE           RT_PAGE_SIZE
#define GC_CELLS_PER_PAGE (GC_PAGE / 16)

/* Page table of rack space: one uint32 per page. */
#define GC_PT_KIND_SHIFT  28
#define GC_PT_FREE        0u
#define GC_PT_CLASS       1u   /* low bits: size class index */
#define GC_PT_LARGE_HEAD  2u   /* low bits: number of pages of the rack */
#define GC_PT_LARGE_TAIL  3u   /* low bits: distance in pages back to the head */
#define GC_PT_KIND(e)     ((e) >> GC_PT_KIND_SHIFT)
#define GC_PT_ARG(e)      ((e) & ((1u << GC_PT_KIND_SHIFT) - 1))
#define GC_PT_MAKE(k, a)  (((uint32_t)(k) << GC_PT_KIND_SHIFT) | (uint32_t)(a))

#define GC_NCLASSES       20
/* Mark stack capacity: every cell of a full cell space could be on it once, plus chunks. */
#define GC_MARK_STACK_ENTRIES (GC_CELLS_MAX / 16 + (UINT64_C(1) << 20))
#define GC_MAX_CLASS_BYTES 2048

enum gc_phase { GC_IDLE, GC_MARK, GC_SWEEP };

typedef struct gc_mentry { uintptr_t cell; uint64_t start; } gc_mentry;
typedef struct gc_run { uintptr_t start; size_t npages; } gc_run;
typedef struct gc_final { rt_value obj; rt_finalizer_fn fn; void *data; } gc_final;

/* A growable array of words. */
typedef struct gc_vec { uintptr_t *v; size_t n, cap; } gc_vec;
void gc_vec_push(gc_vec *s, uintptr_t x);

typedef struct gc_heap {
    bool ready;
    size_t nursery_bytes, old_limit, reserve;
    bool reserve_mode;
    uintptr_t static_top;
    /* cells */
    uintptr_t cells_top, cell_bump, cell_bump_end, cell_free;
    uint64_t *mark_bits;              /* one bit per 16 bytes of cell space */
    /* racks */
    uintptr_t racks_top;
    uint32_t *page_table;
    uintptr_t class_free[GC_NCLASSES], class_bump[GC_NCLASSES], class_bump_end[GC_NCLASSES];
    gc_run *runs;
    size_t nruns, cap_runs;
    size_t rack_pages;                /* pages of rack space in use (class or large) */
    gc_vec zombie_racks;              /* replaced by rt_realloc_rack, freed at next minor */
    /* accounting */
    uint64_t live_bytes, trigger_bytes, last_live;
    /* major collector */
    enum gc_phase phase;
    gc_mentry *mstack;
    size_t msp, mcap;
    uintptr_t sweep_cursor, sweep_end;
    gc_vec weak_ptrs, weak_vecs;      /* marked weak objects found this cycle */
    /* minor collector */
    gc_vec promoted;                  /* promoted cells still to scan */
    gc_vec minor_weak;                /* weak pointers and vectors met (minor_weak) */
    /* finalizers */
    gc_final *finals;
    size_t nfinals, cap_finals;
    gc_final *pending;
    size_t npending, cap_pending;
    bool running_finalizers;
    /* roots */
    rt_root_stack roots;              /* the running thread's (rt_root_stack_switch) */
    rt_value **globals;
    size_t nglobals, cap_globals;
    rt_root_scanner *scanners;
    size_t nscanners, cap_scanners;
    /* modes */
    uint64_t torture_n, torture_count;
    bool verify, verbose, in_gc;
    bool promoting;                   /* inside gc_minor: cells allocated are promotions */
    rt_oom_handler oom;
    rt_gc_pause_hook pause_hook;
    /* stats */
    uint64_t minor_count, major_count, allocated_old, promoted_bytes;
    uint64_t old_at_last_slice;       /* allocated_old + promoted_bytes at the last major slice */
    uint64_t nursery_allocated;       /* bytes consumed in emptied nurseries */
    uint64_t last_pause_ns, max_pause_ns;
    uint64_t last_work_end;           /* gc_now_ns when major work last ended */
} gc_heap;

extern gc_heap gc_H;
extern const uint32_t gc_class_bytes[GC_NCLASSES];

static inline bool gc_in_nursery(uintptr_t a) { return a >= rt_nursery_start_ && a < rt_nursery_end_; }
static inline bool gc_in_cells(uintptr_t a) { return a >= GC_CELLS_START && a < gc_H.cells_top; }
static inline bool gc_in_racks(uintptr_t a) { return a >= GC_RACKS_START && a < gc_H.racks_top; }
/* A static cell: NIL, T, or one from rt_alloc_static_cell. */
static inline bool gc_in_static(uintptr_t a)
{
    return (a >= GC_STATIC_START && a < GC_STATIC_START + 0x20)
        || (a >= GC_STATIC_START + RT_STATIC_CELLS_OFFSET && a < gc_H.static_top);
}
/* The objects module's static area (NIL's and T's racks). */
static inline bool gc_in_static_area(uintptr_t a)
{
    return a >= GC_STATIC_START + 0x20 && a < GC_STATIC_START + RT_STATIC_CELLS_OFFSET;
}
/* Calls f on every static cell. */
#define GC_FOR_STATIC_CELLS(c)                                                                 \
    for (uintptr_t c = GC_STATIC_START; c < gc_H.static_top;                                   \
         c = (c + 16 == GC_STATIC_START + 0x20) ? GC_STATIC_START + RT_STATIC_CELLS_OFFSET : c + 16)
static inline uint8_t *gc_card(uintptr_t a) { return &rt_card_table[(a - RT_HEAP_BASE) >> RT_PAGE_SHIFT]; }
static inline void gc_ckpt(uintptr_t a) { *gc_card(a) |= RT_CARD_CKPT; }

static inline size_t gc_bit_index(uintptr_t cell) { return (cell - GC_CELLS_START) >> 4; }
static inline bool gc_marked(uintptr_t cell)
{
    size_t i = gc_bit_index(cell);
    return (gc_H.mark_bits[i >> 6] >> (i & 63)) & 1;
}
/* Weak vectors, for both collectors. A weak vector cell's rack holds the count of pairs
 * the GC cleared (word 0) and then key/value pairs; its header info the number of pairs
 * and (low 3 bits) the kind. */
static inline rt_value *gc_weak_body(uintptr_t cell)
{
    rt_rack *r = (rt_rack *)(uintptr_t)((uint64_t *)cell)[1];
    return r ? r->body : NULL;
}
static inline unsigned gc_weak_kind(uintptr_t cell) { return (unsigned)(rt_header_info(((uint64_t *)cell)[0]) & 7); }
static inline size_t gc_weak_npairs(uintptr_t cell)
{
    rt_rack *r = (rt_rack *)(uintptr_t)((uint64_t *)cell)[1];
    size_t n = (size_t)(rt_header_info(((uint64_t *)cell)[0]) >> 3);
    size_t cap = r ? (rt_rack_nboxed(r) - 1) / 2 : 0;   /* never trust info beyond the rack */
    return n < cap ? n : cap;
}
/* Whether a pair of `kind` dies, given which of its halves are alive otherwise. */
static inline bool gc_weak_pair_dead(unsigned kind, bool key_alive, bool value_alive)
{
    switch (kind) {
    case RT_WEAK_KEY: return !key_alive;
    case RT_WEAK_VALUE: return !value_alive;
    case RT_WEAK_KEY_AND_VALUE: return !key_alive || !value_alive;
    default: return !key_alive && !value_alive;   /* RT_WEAK_KEY_OR_VALUE */
    }
}
/* The ephemeron rule: which half a pair of `kind` keeps alive because the other half is
 * alive: 'v' (the value), 'k' (the key) or 0. */
static inline char gc_weak_pair_keeps(unsigned kind, bool key_alive, bool value_alive)
{
    if (key_alive == value_alive)
        return 0;
    if (key_alive && (kind == RT_WEAK_KEY || kind == RT_WEAK_KEY_OR_VALUE))
        return 'v';
    if (value_alive && (kind == RT_WEAK_VALUE || kind == RT_WEAK_KEY_OR_VALUE))
        return 'k';
    return 0;
}

static inline void gc_set_mark(uintptr_t cell)
{
    size_t i = gc_bit_index(cell);
    gc_H.mark_bits[i >> 6] |= UINT64_C(1) << (i & 63);
}
/* Test-and-set: true when the cell was unmarked. */
static inline bool gc_mark(uintptr_t cell)
{
    size_t i = gc_bit_index(cell);
    uint64_t m = UINT64_C(1) << (i & 63);
    uint64_t *w = &gc_H.mark_bits[i >> 6];
    if (*w & m)
        return false;
    *w |= m;
    return true;
}

#define GC_FREE_HEADER  ((uint64_t)(((uint64_t)RT_WT_FREE << RT_WIDETAG_SHIFT) | RT_TAG_CELLHDR))
#define GC_FWD_HEADER   ((uint64_t)(((uint64_t)RT_WT_FORWARD << RT_WIDETAG_SHIFT) | RT_TAG_CELLHDR))
static inline bool gc_is_header(uint64_t w) { return (w & RT_TAG_MASK) == RT_TAG_CELLHDR; }
static inline bool gc_is_free_cell(uintptr_t c) { return *(uint64_t *)c == GC_FREE_HEADER; }

uint64_t gc_now_ns(void);
/* heap.c */
uintptr_t gc_cell_alloc(void);
rt_rack *gc_rack_alloc_old(size_t words);
void gc_rack_free(rt_rack *r);
void gc_visit_roots(rt_slot_visitor visit, void *ctx);
void gc_minor(void);
void gc_free_cell_contents(uintptr_t cell);
/* gc_major.c */
void gc_mark_push(uintptr_t cell, uint64_t start);
void gc_shade(rt_value v);
void gc_start_marking(void);
/* Does marking/sweeping until the deadline (ns, gc_now_ns clock) or, when work_limit is
 * non-zero, until that many units of work; returns true when the cycle ended. */
/* Major work until `deadline` (work_limit 0) or `work_limit` words; true when the cycle is
 * over (idle). Adds the words of work done to *work_done when it is not NULL. */
bool gc_major_work(uint64_t deadline, uint64_t work_limit, uint64_t *work_done);
/* realloc of a C table to twice its capacity (64 at first); fatal when C memory is out. */
void *gc_grow(void *p, size_t *cap, size_t elem);
void gc_finish_cycle(void);
bool gc_sweep_some(size_t pages);
void gc_minor_finalizers(void);
/* gc_verify.c */
void gc_verify(const char *when);

#endif
