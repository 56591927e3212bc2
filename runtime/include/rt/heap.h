/* rt/heap.h: allocation, roots, the write barrier, and the page/space API that the
 * checkpointing layer (ckpt/) uses.
 *
 * Rules for C code that holds Lisp values (the GC is precise and the nursery moves):
 *  1. Any call that may allocate may move every young object. A C local holding a value
 *     across such a call must be registered as a root: RT_ROOTS(a, b, ...) in the scope
 *     that owns the variables (they are unregistered when the scope ends), or
 *     rt_root_push/rt_root_pop by hand. Long-lived C globals use rt_register_global.
 *     Run your code under KONS_GC_TORTURE=1 KONS_VERIFY_HEAP=1: every allocation then
 *     moves every young object, so a forgotten root shows up at once.
 *  2. Every store of anything (pointer or raw bytes) into a heap object goes through
 *     RT_STORE / rt_set_car / rt_set_cdr / rt_store_values / rt_store_raw / rt_touch,
 *     which mark the page. Page marks are both the generational remembered set and the
 *     checkpoint's dirty set, and RT_STORE also feeds the incremental marker.
 *     The ONE exception: an object you have just allocated may be initialised with plain
 *     stores (body[i] = x) UNTIL YOUR NEXT CALL THAT MAY ALLOCATE. After that call the
 *     object may have been promoted to old space (or, if big, was allocated there) and
 *     a plain store would hide an old->young pointer from the GC. So a loop
 *     `for (i...) rt_body(v)[i] = rt_cons(...)` is wrong twice: write
 *     `x = rt_cons(...); RT_STORE(rt_body(v)[i], x);` (v rooted; rt_body(v) re-read after
 *     the allocation: racks move with their objects, and C may evaluate &slot first).
 *     Raw words (string characters, limbs, floats) may be written plainly under the same
 *     rule, or with rt_store_raw / rt_touch afterwards.
 *  3. Non-local exits (longjmp across C frames) restore the root stack depth saved at the
 *     catch point with rt_root_depth / rt_root_restore. Depths are of the running
 *     thread's own root stack (one per green thread, see rt_root_stack).
 *  4. Weak pointers are read with rt_weak_pointer_value (not rt_cell_of(wp)->payload):
 *     during incremental marking the read must shade the target.
 *  5. Old-space addresses never change; nursery objects move at every minor GC and
 *     rt_gc_epoch is bumped each time. An eq/eql hash table hashing addresses records
 *     rt_gc_epoch when it hashes a key that is rt_in_nursery(); when the epoch has moved
 *     since, it rehashes before a lookup misses.
 *  6. Do not hold a raw C pointer into an object (rt_body(v), a string's characters)
 *     across an allocation: the rack may have moved with its object. Re-derive it.
 *  7. Finalizers and root scanners must not allocate (the collector aborts if they do).
 *
 * When a check of the heap verifier fires, it names the object and the field (for a
 * root: the root-stack entry and the address of the C variable); a root-stack entry
 * holding a pointer to a cell that "is not a cons" or "has no header" is nearly always
 * a local that was read before an allocation and rooted (or used) after it.
 *
 * Environment switches (read at rt_heap_init):
 *   KONS_GC_TORTURE=N   collect every N allocations (1: every allocation): a minor GC
 *                       plus an incremental major step, with major cycles back to back
 *   KONS_VERIFY_HEAP=1  verify the whole heap before and after every collection
 *                       (aborts with a message naming the bad object)
 *   KONS_GC_VERBOSE=1   a line on stderr per major cycle, and per pause over 5 ms CPU
 * Figures, invariants and the design: runtime/README.md, "Heap and GC".
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
 * not return; with no hook installed they print a message and abort.
 *
 * The nursery is one bump region [start, rt_nursery_limit_): rt_cons and rt_alloc_object
 * are inline and take a slow path (a call) only when the nursery is full, or on every
 * allocation in torture mode (rt_nursery_limit_ is then kept at the top). The VM may
 * inline the same fast path: bump rt_nursery_top_ by a multiple of 16 when it stays
 * <= rt_nursery_limit_, else call the slow function. */
extern uintptr_t rt_nursery_top_, rt_nursery_limit_;
extern uintptr_t rt_nursery_start_, rt_nursery_end_;   /* the whole nursery region */
rt_value rt_cons_slow_(rt_value car, rt_value cdr);
rt_value rt_alloc_object_slow_(unsigned widetag, uint64_t info, size_t body_words, size_t nboxed);
/* As rt_alloc_object, but straight into old space whatever its size: the object and its
 * rack never move (compiled code: functions keep raw pointers to its bytes). */
rt_value rt_alloc_object_old(unsigned widetag, uint64_t info, size_t body_words, size_t nboxed);
/* Racks bigger than this (bytes, headers included) never enter the nursery. */
#define RT_NURSERY_MAX_RACK_BYTES (UINT64_C(32) << 10)

static inline rt_value rt_cons(rt_value car, rt_value cdr)
{
    uintptr_t p = rt_nursery_top_;
    if (__builtin_expect(p + 16 <= rt_nursery_limit_, 1)) {
        rt_nursery_top_ = p + 16;
        rt_cons_cell *c = (rt_cons_cell *)p;
        c->car = car;
        c->cdr = cdr;
        return (rt_value)p | RT_TAG_CONS;
    }
    return rt_cons_slow_(car, cdr);
}

/* A header cell with no rack (payload kind VALUE or RAW): double-floats, fdefns,
 * value cells, weak pointers, foreign pointers. */
rt_value rt_alloc_cell_slow_(unsigned widetag, uint64_t info, uint64_t payload);
static inline rt_value rt_alloc_cell(unsigned widetag, uint64_t info, uint64_t payload)
{
    uintptr_t p = rt_nursery_top_;
    if (__builtin_expect(p + 16 <= rt_nursery_limit_, 1)) {
        rt_nursery_top_ = p + 16;
        rt_header_cell *c = (rt_header_cell *)p;
        c->header = rt_make_header(widetag, info);
        c->payload = payload;
        return (rt_value)p | RT_TAG_OBJECT;
    }
    return rt_alloc_cell_slow_(widetag, info, payload);
}

/* A header cell and its rack of body_words words, the first nboxed of them boxed.
 * Boxed words start as NIL, raw words as zero. In the nursery the rack follows its cell. */
static inline rt_value rt_alloc_object(unsigned widetag, uint64_t info, size_t body_words, size_t nboxed)
{
    size_t rack_words = (RT_RACK_HEADER_WORDS + body_words + 1) & ~(size_t)1;
    size_t bytes = 16 + rack_words * 8;
    uintptr_t p = rt_nursery_top_;
    if (__builtin_expect(body_words < RT_NURSERY_MAX_RACK_BYTES / 8
                         && rack_words * 8 <= RT_NURSERY_MAX_RACK_BYTES && nboxed <= body_words
                         && p + bytes <= rt_nursery_limit_, 1)) {
        rt_nursery_top_ = p + bytes;
        rt_header_cell *c = (rt_header_cell *)p;
        rt_rack *r = (rt_rack *)(p + 16);
        c->header = rt_make_header(widetag, info);
        c->payload = (uint64_t)(uintptr_t)r;
        r->header = rt_make_rack_header(rack_words, nboxed);
        r->owner = (uint64_t)p;
        size_t i = 0;
        for (; i < nboxed; i++)
            r->body[i] = RT_NIL;
        for (; i < rack_words - RT_RACK_HEADER_WORDS; i++)
            r->body[i] = 0;
        return (rt_value)p | RT_TAG_OBJECT;
    }
    return rt_alloc_object_slow_(widetag, info, body_words, nboxed);
}

/* Replaces an object's rack with a fresh one (adjust-array, change-class): the old rack
 * becomes garbage. Contents are not copied. Copy what you need from the old rack BEFORE
 * your next allocation, and fill the new rack with RT_STORE (it belongs to an existing,
 * possibly old, object: rule 2's exception does not apply). */
void rt_realloc_rack(rt_value obj, size_t body_words, size_t nboxed);

/* Static space: never collected nor moved, scanned whole at every collection.
 *   [RT_STATIC_BASE, +0x20)          NIL and T's header cells (RT_NIL, RT_T)
 *   [+0x20, +RT_STATIC_CELLS_OFFSET)  reserved for the objects module, which writes NIL's
 *                                    and T's racks there at startup and registers their
 *                                    slots with rt_register_global (the GC does not scan
 *                                    this area itself)
 *   [+RT_STATIC_CELLS_OFFSET, ...)   further static cells from rt_alloc_static_cell (roots;
 *                                    give them a rack with rt_static_adopt_rack)
 * Static racks must hold values only (their slots are registered roots). */
#define RT_STATIC_CELLS_OFFSET 0x10000
rt_value rt_alloc_static_cell(unsigned widetag, uint64_t info, uint64_t payload);
/* Moves the rack of `donor` (a fresh object of the same shape) to the static cell
 * `static_obj` (whose header the caller has written): sets payload and owner, and leaves
 * the donor without a rack (payload 0): drop it. */
void rt_static_adopt_rack(rt_value static_obj, rt_value donor);

/* Where a value lives. */
static inline bool rt_in_nursery(rt_value v)
{
    uintptr_t a = (uintptr_t)rt_addr(v);
    return rt_pointerp(v) && a >= rt_nursery_start_ && a < rt_nursery_end_;
}

typedef void (*rt_oom_handler)(void);
void rt_heap_set_oom_handler(rt_oom_handler h);

/* ---- Roots ----------------------------------------------------------------------- */

void rt_root_push(rt_value *slot);
void rt_root_pop(size_t n);
size_t rt_root_depth(void);
void rt_root_restore(size_t depth);
void rt_register_global(rt_value *slot);   /* a root for the life of the process */

/* Root stacks. Each green thread has its own C stack, so it has its own root stack:
 * the heap holds the running thread's (the one rt_root_push uses, scanned at every
 * collection); a suspended thread's is kept by its owner, the thread module, which scans
 * it from its root scanner. A fresh rt_root_stack is all zero. */
enum rt_thread_local { RT_TL_READ_LABELS, RT_THREAD_LOCALS };
typedef struct rt_root_stack {
    rt_value **slots;
    size_t n, cap;
    rt_value locals[RT_THREAD_LOCALS];   /* see rt_thread_local */
} rt_root_stack;
/* Saves the running root stack into *save and makes *load the running one. */
void rt_root_stack_switch(rt_root_stack *save, const rt_root_stack *load);
void rt_root_stack_scan(rt_root_stack *s, void (*visit)(rt_value *slot, void *ctx), void *ctx);
void rt_root_stack_free(rt_root_stack *s);
/* Per-thread values of C code below the VM, which a thread switch may interrupt (a read
 * that evaluates #. may be switched out while another thread reads): they travel with the
 * root stack and are GC roots. The pointer is the running thread's slot: take it again
 * after anything that may switch threads (any call into Lisp). A new thread's slots read
 * 0 (an immediate; treat it as NIL). */
rt_value *rt_thread_local(enum rt_thread_local which);

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
    rt_root_frame_ RT_CAT_(rt_rf_, __LINE__) __attribute__((cleanup(rt_root_frame_end_), unused)) \
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
/* The marking-time half of the barrier: shades the overwritten value (SATB: everything
 * reachable when marking began gets marked) and the stored one (so no marked, scanned
 * object ever points to an unmarked one: the verifier checks this). */
void rt_gc_barrier_marking_(rt_value old, rt_value v);

static inline void rt_touch(const void *addr)
{
    rt_card_table[((uintptr_t)addr - RT_HEAP_BASE) >> RT_PAGE_SHIFT] = RT_CARD_DIRTY;
}
/* Store a value into a heap slot. */
static inline void rt_store(rt_value *slot, rt_value v)
{
    if (__builtin_expect(rt_gc_marking, 0))
        rt_gc_barrier_marking_(*slot, v);
    rt_touch(slot);
    *slot = v;
}
#define RT_STORE(slot, v) rt_store(&(slot), (v))
/* Raw bytes into a heap object (strings, limbs, floats): marks every page touched.
 * Never for boxed words (it does not feed the marker): use rt_store_values. */
void rt_store_raw(void *dst, const void *src, size_t len);
/* n values into boxed slots (memmove semantics, overlapping ranges allowed), with the
 * barrier: replace, adjust-array, vector growth. */
void rt_store_values(rt_value *dst, const rt_value *src, size_t n);

static inline rt_value rt_car(rt_value c) { return rt_cons_of(c)->car; }
static inline rt_value rt_cdr(rt_value c) { return rt_cons_of(c)->cdr; }
static inline void rt_set_car(rt_value c, rt_value v) { rt_store(&rt_cons_of(c)->car, v); }
static inline void rt_set_cdr(rt_value c, rt_value v) { rt_store(&rt_cons_of(c)->cdr, v); }

/* ---- Collection ------------------------------------------------------------------ */

/* Minor GC: promotes every live nursery object to old space (and runs a major step when
 * a major cycle is under way). */
void rt_gc_minor(void);
/* A complete, stop-the-world collection of everything (finishes any incremental cycle,
 * then runs a whole new one). Weak pointers to dead objects are cleared and finalizers
 * of dead objects queued (and run before it returns). */
void rt_gc_full(void);
/* A safepoint: when a major cycle is under way and at least 4 ms have passed since the
 * collector last worked, does a bounded step of marking or sweeping (about 1 ms);
 * otherwise returns at once (a load and a compare when no cycle runs). So the VM may call
 * it at every safepoint; the desktop's event loop calls it when idle. Allocation drives
 * the collector anyway: rt_gc_step only helps a cycle finish when little is allocated. */
void rt_gc_step(void);
/* Begins an incremental major cycle now if none is running (normally started when old
 * space has grown by half since the last cycle's end). */
void rt_gc_start_major(void);

typedef struct rt_gc_stats {
    uint64_t minor_count, major_count;  /* major_count: completed major cycles */
    uint64_t bytes_allocated;          /* since start */
    uint64_t old_bytes_in_use;         /* live cells + racks in old space (by slot size) */
    uint64_t last_pause_ns, max_pause_ns;
    uint64_t old_bytes_committed;      /* pages of old space in use */
    uint64_t bytes_promoted;           /* nursery -> old, since start */
    uint64_t epoch;                    /* = rt_gc_epoch */
} rt_gc_stats;
void rt_gc_get_stats(rt_gc_stats *out);

/* Called after every pause (a minor GC with its major step, a step from rt_gc_step, a
 * full collection) with its length in wall-clock time and in CPU time of the thread (the
 * two differ when the OS preempts the process during the pause); for benchmarks and the
 * UI's frame-time meter. */
enum rt_gc_pause_kind { RT_GC_PAUSE_MINOR, RT_GC_PAUSE_STEP, RT_GC_PAUSE_FULL };
typedef void (*rt_gc_pause_hook)(enum rt_gc_pause_kind kind, uint64_t wall_ns, uint64_t cpu_ns);
void rt_gc_set_pause_hook(rt_gc_pause_hook hook);

/* Bumped by every minor GC (nursery objects moved). See rule 5. */
extern uint64_t rt_gc_epoch;

/* Checks every invariant of the heap now (see runtime/README.md, "Heap and GC"); aborts
 * with a message naming the bad object. KONS_VERIFY_HEAP=1 runs it around collections. */
void rt_heap_verify(const char *when);

/* ---- Weak pointers ----------------------------------------------------------------
 * An RT_WT_WEAK_POINTER cell holds its target weakly: once the target is otherwise
 * unreachable, a major collection replaces the payload by RT_UNBOUND. (A minor GC treats
 * it strongly: a young target is promoted and cleared by the next major cycle.) */
rt_value rt_make_weak_pointer(rt_value target);
/* The target, or RT_UNBOUND when it has been collected (rule 4). */
static inline rt_value rt_weak_pointer_value(rt_value wp)
{
    rt_value v = (rt_value)rt_cell_of(wp)->payload;
    if (__builtin_expect(rt_gc_marking, 0))
        rt_gc_shade_(v);
    return v;
}

/* ---- Weak vectors: the storage of weak hash tables ---------------------------------
 * An RT_WT_WEAK_VECTOR is a vector of npairs (key, value) pairs whose references the
 * major GC holds weakly according to its kind (ephemeron semantics for KEY and VALUE:
 * with RT_WEAK_KEY the value is kept alive only as long as the key is). When a pair is
 * dead the GC replaces both words with RT_TOMBSTONE and adds 1 to the fixnum in word 0
 * (the table reads and resets that count to keep its own count right and to know it
 * holds tombstones). Layout of the rack: body[0] = cleared count (fixnum),
 * body[1 + 2i] = key i, body[2 + 2i] = value i; header info = npairs << 3 | kind.
 * Empty pairs hold RT_EMPTY (never traced). Keys and values that are not heap pointers,
 * or live in static space, never die. Minor GCs treat weak vectors strongly. */
enum rt_weak_kind { RT_WEAK_KEY = 1, RT_WEAK_VALUE = 2, RT_WEAK_KEY_AND_VALUE = 3, RT_WEAK_KEY_OR_VALUE = 4 };
rt_value rt_make_weak_vector(size_t npairs, enum rt_weak_kind kind);
static inline size_t rt_weak_vector_npairs(rt_value wv) { return (size_t)(rt_info(wv) >> 3); }
static inline enum rt_weak_kind rt_weak_vector_kind(rt_value wv) { return (enum rt_weak_kind)(rt_info(wv) & 7); }
/* Reading a key or value out of a weak vector during marking must shade it (rule 4). */
static inline rt_value rt_weak_vector_ref(rt_value wv, size_t index_in_body)
{
    rt_value v = rt_body(wv)[index_in_body];
    if (__builtin_expect(rt_gc_marking, 0))
        rt_gc_shade_(v);
    return v;
}

/* ---- Finalizers --------------------------------------------------------------------
 * rt_gc_finalize(obj, fn, data): after obj has become unreachable and been collected,
 * fn(data) is called once, outside the collector (at the end of the allocation or
 * rt_gc_* call that found it dead), on the Lisp thread. fn gets only data (the object
 * is gone): keep there what is needed to release the native resource. fn must not
 * allocate Lisp objects or longjmp. The registration does not keep obj alive. */
typedef void (*rt_finalizer_fn)(void *data);
void rt_gc_finalize(rt_value obj, rt_finalizer_fn fn, void *data);
/* Runs the finalizers queued so far (also done automatically). */
void rt_gc_run_finalizers(void);

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

/* After recovery: call right after rt_heap_init, once the checkpointer has put every
 * saved page of the persistent spaces back at its address, the modules have written
 * their roots again (static cells are in the saved pages; C globals registered with
 * rt_register_global must hold their restored values), and before anything is allocated.
 * `spaces` is what rt_heap_spaces returned when the checkpoint was taken. None of the
 * GC's side tables are saved: this rebuilds the rack page table from the racks found in
 * rack space, then runs one full mark from the roots and a sweep that rebuilds the free
 * lists and the accounting (a rack is live iff its owner cell is live and owns it).
 * Returns 0, or -1 with a message on stderr when the spaces do not fit this heap. */
int rt_heap_restore(const rt_space_info *spaces, size_t n);

#endif /* RT_HEAP_H */
