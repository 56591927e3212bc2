/* rt/heap.h: allocation, roots, the write barrier, and the page/space API that the
 * checkpointing layer (ckpt/) uses.
 *
 * Rules for C code that holds Lisp values (the GC is precise and the nursery moves):
 *  1. Any call that may allocate may move every young object. A C local holding a value
 *     across such a call must be registered as a root: RT_ROOTS(a, b, ...) in the scope
 *     that owns the variables (they are unregistered when the scope ends), or
 *     rt_root_push/rt_root_pop by hand. Long-lived C globals use rt_register_global.
 *  2. Every store of anything (pointer or raw bytes) into a heap object goes through
 *     RT_STORE / rt_set_car / rt_set_cdr / rt_store_raw / rt_touch, which mark the page.
 *     Page marks are both the generational remembered set and the checkpoint's dirty set.
 *     Objects just allocated by the caller and still in the nursery may be initialised
 *     with plain stores (the nursery is never checkpointed and never remembered).
 *  3. Non-local exits (longjmp across C frames) restore the root stack depth saved at the
 *     catch point with rt_root_depth / rt_root_restore.
 *
 * Environment switches (read at rt_heap_init):
 *   KONS_GC_TORTURE=N   collect every N allocations (1: every allocation)
 *   KONS_VERIFY_HEAP=1  verify the whole heap before and after every collection
 */
#ifndef RT_HEAP_H
#define RT_HEAP_H

#include "rt/value.h"

/* ---- Life cycle ------------------------------------------------------------------ */

typedef struct rt_heap_config {
    size_t old_space_bytes;   /* limit on old space (cells + racks); 0: default */
    size_t nursery_bytes;     /* 0: default */
} rt_heap_config;

/* Reserves the fixed address range and sets up the spaces. Returns 0, or -1 with a
 * message on stderr (address range taken, out of memory). */
int rt_heap_init(const rt_heap_config *cfg);
void rt_heap_fini(void);

/* ---- Allocation ------------------------------------------------------------------ */

/* All allocators may collect. Arguments passed by value are protected by the allocator
 * itself; the caller protects everything else it holds (rule 1). When the heap is
 * exhausted they call the storage-condition hook (rt_heap_set_oom_handler), which must
 * not return; with no hook installed they print a message and abort. */
rt_value rt_cons(rt_value car, rt_value cdr);

/* A header cell with no rack (payload kind VALUE or RAW). */
rt_value rt_alloc_cell(unsigned widetag, uint64_t info, uint64_t payload);

/* A header cell and its rack of body_words words, the first nboxed of them boxed.
 * Boxed words start as NIL, raw words as zero. */
rt_value rt_alloc_object(unsigned widetag, uint64_t info, size_t body_words, size_t nboxed);

/* Replaces an object's rack with a fresh one (adjust-array, change-class): the old rack
 * becomes garbage. Contents are not copied. */
void rt_realloc_rack(rt_value obj, size_t body_words, size_t nboxed);

typedef void (*rt_oom_handler)(void);
void rt_heap_set_oom_handler(rt_oom_handler h);

/* ---- Roots ----------------------------------------------------------------------- */

void rt_root_push(rt_value *slot);
void rt_root_pop(size_t n);
size_t rt_root_depth(void);
void rt_root_restore(size_t depth);
void rt_register_global(rt_value *slot);   /* a root for the life of the process */

/* Extra root scanners (the VM's stacks, the thread table, ...): called at every
 * collection with a visitor that must be applied to every slot holding a value. */
typedef void (*rt_slot_visitor)(rt_value *slot, void *ctx);
typedef void (*rt_root_scanner)(rt_slot_visitor visit, void *ctx);
void rt_add_root_scanner(rt_root_scanner scan);

typedef struct rt_root_frame_ { size_t depth; } rt_root_frame_;
static inline void rt_root_frame_end_(rt_root_frame_ *f) { rt_root_restore(f->depth); }
#define RT_ROOT_PUSH_ONE_(x) rt_root_push(&(x));
#define RT_ROOTS1_(a) RT_ROOT_PUSH_ONE_(a)
/* RT_ROOTS(a, b, ...): up to 6 variables, registered until the end of the scope. */
#define RT_ROOTS(...)                                                                    \
    rt_root_frame_ RT_CAT_(rt_rf_, __LINE__) __attribute__((cleanup(rt_root_frame_end_))) \
        = {rt_root_depth()};                                                             \
    RT_FOREACH_(RT_ROOT_PUSH_ONE_, __VA_ARGS__)
#define RT_CAT2_(a, b) a##b
#define RT_CAT_(a, b) RT_CAT2_(a, b)
#define RT_NARGS_(...) RT_NARGS_I_(__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define RT_NARGS_I_(_1, _2, _3, _4, _5, _6, N, ...) N
#define RT_FOREACH_(m, ...) RT_CAT_(RT_FOREACH_, RT_NARGS_(__VA_ARGS__))(m, __VA_ARGS__)
#define RT_FOREACH_1(m, a) m(a)
#define RT_FOREACH_2(m, a, ...) m(a) RT_FOREACH_1(m, __VA_ARGS__)
#define RT_FOREACH_3(m, a, ...) m(a) RT_FOREACH_2(m, __VA_ARGS__)
#define RT_FOREACH_4(m, a, ...) m(a) RT_FOREACH_3(m, __VA_ARGS__)
#define RT_FOREACH_5(m, a, ...) m(a) RT_FOREACH_4(m, __VA_ARGS__)
#define RT_FOREACH_6(m, a, ...) m(a) RT_FOREACH_5(m, __VA_ARGS__)

/* ---- Write barrier --------------------------------------------------------------- */

#define RT_PAGE_SHIFT 12
#define RT_PAGE_SIZE  (UINT64_C(1) << RT_PAGE_SHIFT)

/* One byte per heap page. The barrier writes RT_CARD_DIRTY unconditionally (no branch);
 * the minor GC clears RT_CARD_REMEMBERED after scanning a page and the checkpointer
 * clears RT_CARD_CKPT after saving it, so each sees every store since its last look. */
#define RT_CARD_REMEMBERED 0x01u
#define RT_CARD_CKPT       0x02u
#define RT_CARD_DIRTY      (RT_CARD_REMEMBERED | RT_CARD_CKPT)
extern uint8_t *rt_card_table;            /* indexed by (addr - RT_HEAP_BASE) >> RT_PAGE_SHIFT */
extern volatile int rt_gc_marking;        /* incremental marking in progress */
void rt_gc_shade_(rt_value old);          /* snapshot-at-the-beginning: keep old reachable */

static inline void rt_touch(const void *addr)
{
    rt_card_table[((uintptr_t)addr - RT_HEAP_BASE) >> RT_PAGE_SHIFT] = RT_CARD_DIRTY;
}
/* Store a value into a heap slot. */
static inline void rt_store(rt_value *slot, rt_value v)
{
    if (__builtin_expect(rt_gc_marking, 0))
        rt_gc_shade_(*slot);
    rt_touch(slot);
    *slot = v;
}
#define RT_STORE(slot, v) rt_store(&(slot), (v))
/* Raw bytes into a heap object (strings, limbs, floats): marks every page touched. */
void rt_store_raw(void *dst, const void *src, size_t len);

static inline rt_value rt_car(rt_value c) { return rt_cons_of(c)->car; }
static inline rt_value rt_cdr(rt_value c) { return rt_cons_of(c)->cdr; }
static inline void rt_set_car(rt_value c, rt_value v) { rt_store(&rt_cons_of(c)->car, v); }
static inline void rt_set_cdr(rt_value c, rt_value v) { rt_store(&rt_cons_of(c)->cdr, v); }

/* ---- Collection ------------------------------------------------------------------ */

void rt_gc_minor(void);
void rt_gc_full(void);
/* A safepoint: lets an incremental major collection take a bounded step. */
void rt_gc_step(void);

typedef struct rt_gc_stats {
    uint64_t minor_count, major_count;
    uint64_t bytes_allocated;          /* since start */
    uint64_t old_bytes_in_use;
    uint64_t last_pause_ns, max_pause_ns;
} rt_gc_stats;
void rt_gc_get_stats(rt_gc_stats *out);

/* ---- Page / space API for the checkpointer ---------------------------------------- */

enum rt_space_kind { RT_SPACE_STATIC, RT_SPACE_CELLS, RT_SPACE_RACKS, RT_SPACE_NURSERY };

typedef struct rt_space_info {
    enum rt_space_kind kind;
    uintptr_t start;        /* first byte of the space */
    uintptr_t used_end;     /* pages in [start, used_end) may hold data */
    uintptr_t reserved_end; /* the space may grow to here */
    bool persistent;        /* saved by checkpoints (the nursery is not) */
} rt_space_info;

/* Fills up to max entries, returns how many spaces exist. */
size_t rt_heap_spaces(rt_space_info *out, size_t max);
/* Calls fn for every page in persistent spaces whose RT_CARD_CKPT mark is set, and clears
 * the mark. Run at a safepoint after an empty nursery (rt_gc_minor). */
typedef void (*rt_page_fn)(uintptr_t page_addr, void *ctx);
void rt_heap_take_dirty_pages(rt_page_fn fn, void *ctx);

#endif /* RT_HEAP_H */
