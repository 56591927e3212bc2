/* runtime/heap.c: the fixed-address heap.
 *
 * FOUNDATION STAGE: this is the smallest correct implementation of rt/heap.h: it
 * reserves the fixed address range, bump-allocates cells and racks in their own spaces,
 * keeps the card table, and never collects. The generational GC replaces the inside of
 * this file and keeps the interface.
 */
#include "rt/heap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define STATIC_BYTES   (UINT64_C(64) << 20)
#define CELLS_START    (RT_HEAP_BASE + (UINT64_C(1) << 32))
#define RACKS_START    (RT_HEAP_BASE + (UINT64_C(1) << 40))
#define HEAP_BYTES     (RT_HEAP_LIMIT - RT_HEAP_BASE)

uint8_t *rt_card_table;
volatile int rt_gc_marking;

static struct {
    uintptr_t cells_top, cells_limit;
    uintptr_t racks_top, racks_limit;
    size_t old_limit;
    rt_oom_handler oom;
    rt_value **roots;
    size_t nroots, cap_roots;
    uint64_t allocated;
    bool ready;
} H;

int rt_heap_init(const rt_heap_config *cfg)
{
    if (H.ready)
        return 0;
    void *p = mmap((void *)RT_HEAP_BASE, HEAP_BYTES, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || p != (void *)RT_HEAP_BASE) {
        fprintf(stderr, "kons: cannot reserve the heap at %#llx: %s\n",
                (unsigned long long)RT_HEAP_BASE, p == MAP_FAILED ? strerror(errno) : "placed elsewhere");
        return -1;
    }
    size_t ncards = HEAP_BYTES >> RT_PAGE_SHIFT;
    rt_card_table = mmap(NULL, ncards, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (rt_card_table == MAP_FAILED) {
        fprintf(stderr, "kons: cannot map the card table: %s\n", strerror(errno));
        munmap(p, HEAP_BYTES);
        return -1;
    }
    H.old_limit = cfg && cfg->old_space_bytes ? cfg->old_space_bytes : (size_t)(UINT64_C(8) << 30);
    H.cells_top = CELLS_START;
    H.cells_limit = RACKS_START;
    H.racks_top = RACKS_START;
    H.racks_limit = RT_HEAP_LIMIT;
    H.ready = true;
    return 0;
}

void rt_heap_fini(void)
{
    if (!H.ready)
        return;
    munmap((void *)RT_HEAP_BASE, HEAP_BYTES);
    munmap(rt_card_table, HEAP_BYTES >> RT_PAGE_SHIFT);
    free(H.roots);
    memset(&H, 0, sizeof H);
}

void rt_heap_set_oom_handler(rt_oom_handler h) { H.oom = h; }

static void out_of_memory(void)
{
    if (H.oom)
        H.oom();
    fprintf(stderr, "kons: heap exhausted\n");
    abort();
}

static void *bump(uintptr_t *top, uintptr_t limit, size_t bytes)
{
    size_t used = (H.cells_top - CELLS_START) + (H.racks_top - RACKS_START);
    if (*top + bytes > limit || used + bytes > H.old_limit)
        out_of_memory();
    void *p = (void *)*top;
    *top += bytes;
    H.allocated += bytes;
    return p;
}

rt_value rt_cons(rt_value car, rt_value cdr)
{
    rt_cons_cell *c = bump(&H.cells_top, H.cells_limit, sizeof *c);
    c->car = car;
    c->cdr = cdr;
    rt_touch(c);
    return rt_make_pointer(c, RT_TAG_CONS);
}

rt_value rt_alloc_cell(unsigned widetag, uint64_t info, uint64_t payload)
{
    rt_header_cell *c = bump(&H.cells_top, H.cells_limit, sizeof *c);
    c->header = rt_make_header(widetag, info);
    c->payload = payload;
    rt_touch(c);
    return rt_make_pointer(c, RT_TAG_OBJECT);
}

static rt_rack *new_rack(size_t body_words, size_t nboxed)
{
    size_t words = RT_RACK_HEADER_WORDS + body_words;
    words = (words + 1) & ~(size_t)1; /* whole 16-byte units */
    if (words > RT_RACK_MAX_WORDS || nboxed > RT_RACK_MAX_BOXED || nboxed > body_words)
        out_of_memory();
    rt_rack *r = bump(&H.racks_top, H.racks_limit, words * 8);
    r->header = rt_make_rack_header(words, nboxed);
    r->owner = 0;
    for (size_t i = 0; i < nboxed; i++)
        r->body[i] = RT_NIL;
    /* Raw words are zero: fresh anonymous memory, never reused in this stage. */
    for (uintptr_t a = (uintptr_t)r; a < (uintptr_t)r + words * 8; a += RT_PAGE_SIZE)
        rt_touch((void *)a);
    rt_touch((char *)r + words * 8 - 1);
    return r;
}

rt_value rt_alloc_object(unsigned widetag, uint64_t info, size_t body_words, size_t nboxed)
{
    rt_rack *r = new_rack(body_words, nboxed);
    rt_value obj = rt_alloc_cell(widetag, info, (uint64_t)(uintptr_t)r);
    r->owner = (uint64_t)(uintptr_t)rt_cell_of(obj);
    return obj;
}

void rt_realloc_rack(rt_value obj, size_t body_words, size_t nboxed)
{
    rt_rack *r = new_rack(body_words, nboxed);
    rt_header_cell *c = rt_cell_of(obj);
    r->owner = (uint64_t)(uintptr_t)c;
    rt_touch(c);
    c->payload = (uint64_t)(uintptr_t)r;
}

void rt_store_raw(void *dst, const void *src, size_t len)
{
    if (len == 0)
        return;
    memmove(dst, src, len);
    for (uintptr_t a = (uintptr_t)dst & ~(RT_PAGE_SIZE - 1); a < (uintptr_t)dst + len; a += RT_PAGE_SIZE)
        rt_touch((void *)a);
}

void rt_gc_shade_(rt_value old) { (void)old; }

/* ---- Roots ---- */

void rt_root_push(rt_value *slot)
{
    if (H.nroots == H.cap_roots) {
        size_t cap = H.cap_roots ? H.cap_roots * 2 : 1024;
        rt_value **n = realloc(H.roots, cap * sizeof *n);
        if (!n)
            out_of_memory();
        H.roots = n;
        H.cap_roots = cap;
    }
    H.roots[H.nroots++] = slot;
}
void rt_root_pop(size_t n) { H.nroots -= n; }
size_t rt_root_depth(void) { return H.nroots; }
void rt_root_restore(size_t depth) { H.nroots = depth; }
void rt_register_global(rt_value *slot) { (void)slot; /* nothing moves yet */ }
void rt_add_root_scanner(rt_root_scanner scan) { (void)scan; }

/* ---- Collection (none yet) ---- */

void rt_gc_minor(void) {}
void rt_gc_full(void) {}
void rt_gc_step(void) {}

void rt_gc_get_stats(rt_gc_stats *out)
{
    memset(out, 0, sizeof *out);
    out->bytes_allocated = H.allocated;
    out->old_bytes_in_use = (H.cells_top - CELLS_START) + (H.racks_top - RACKS_START);
}

size_t rt_heap_spaces(rt_space_info *out, size_t max)
{
    rt_space_info s[] = {
        {RT_SPACE_STATIC, RT_STATIC_BASE, RT_STATIC_BASE + STATIC_BYTES, RT_STATIC_BASE + STATIC_BYTES, true},
        {RT_SPACE_CELLS, CELLS_START, H.cells_top, H.cells_limit, true},
        {RT_SPACE_RACKS, RACKS_START, H.racks_top, H.racks_limit, true},
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
            uint8_t *card = &rt_card_table[(a - RT_HEAP_BASE) >> RT_PAGE_SHIFT];
            if (*card & RT_CARD_CKPT) {
                *card &= (uint8_t)~RT_CARD_CKPT;
                fn(a, ctx);
            }
        }
    }
}
