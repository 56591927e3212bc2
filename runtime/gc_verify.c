/* runtime/gc_verify.c: the heap verifier (KONS_VERIFY_HEAP=1, rt_heap_verify).
 *
 * Traces everything reachable from the roots (root stack, globals, root scanners,
 * static cells) with a private visited bitmap and checks, for every reachable object:
 *  - every pointer field points at a properly headed cell in a known space: static
 *    cells, the used part of the nursery, or a non-free cell of cell space; a cons is not
 *    a header cell and an object is a header cell with a known widetag; no forwarding
 *    header or poisoned (emptied) nursery memory is reachable;
 *  - rack invariants: the rack lies in the nursery or starts a slot of rack space (a
 *    size-class slot or a large run), has a rack header, its owner word names the cell,
 *    nboxed <= size - 2, and it fits its slot;
 *  - the generational invariant: an old (cell or rack space) word that points into the
 *    nursery lies on a page whose card has RT_CARD_REMEMBERED;
 *  - during marking, the tri-colour invariant: no black object (marked, not on the mark
 *    stack) points to a white one (an unmarked old cell);
 *  - during sweeping, every reachable cell in a page not yet swept is marked (else the
 *    sweeper would free it);
 *  - the free list holds only free cells of cell space.
 * Weak references (weak pointers, weak vector entries) are checked for validity but not
 * traced. On the first violation it prints what and where, and aborts.
 */
#include "gc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define H gc_H
#define VSPAN (GC_CELLS_START + GC_CELLS_MAX - RT_HEAP_BASE)

static struct {
    uint64_t *bits;
    gc_vec stack;
    uintptr_t *grey;
    size_t ngrey;
    const char *when;
} V;

static const char *wt_name(unsigned wt)
{
    static const char *names[] = {
        "free", "forward", "symbol", "double-float", "bignum", "ratio", "complex",
        "simple-vector", "string", "base-string", "bit-vector", "u8-vector", "u16-vector",
        "u32-vector", "u64-vector", "s8-vector", "s16-vector", "s32-vector", "s64-vector",
        "f32-vector", "f64-vector", "array", "code", "function", "primitive", "fdefn",
        "value-cell", "instance", "hash-table", "package", "weak-pointer", "foreign",
        "condition", "stream", "thread", "random-state", "weak-vector",
    };
    return wt < sizeof names / sizeof names[0] ? names[wt] : "?";
}

static _Noreturn void fail(uintptr_t obj, const char *field, rt_value v, const char *what)
{
    const char *kind = obj ? "cons" : "a root slot";
    if (obj && gc_is_header(*(uint64_t *)obj))
        kind = wt_name(rt_header_widetag(*(uint64_t *)obj));
    const char *space = obj >= GC_CELLS_START ? "old" : obj >= GC_NURSERY_START ? "nursery" : "static";
    fprintf(stderr,
            "kons: HEAP VERIFICATION FAILED (%s): %s\n"
            "  object %#llx (%s, %s space), %s = %#llx\n"
            "  phase %d, minor GCs %llu, major cycles %llu\n",
            V.when, what, (unsigned long long)obj, kind, obj ? space : "-", field,
            (unsigned long long)v, (int)H.phase, (unsigned long long)H.minor_count,
            (unsigned long long)H.major_count);
    uintptr_t a = (uintptr_t)(v & RT_ADDR_MASK);
    if (rt_pointerp(v) && (gc_in_static(a) || (gc_in_nursery(a) && a < rt_nursery_top_) || gc_in_cells(a)))
        fprintf(stderr, "  the cell it points to holds %#llx %#llx%s\n", (unsigned long long)((uint64_t *)a)[0],
                (unsigned long long)((uint64_t *)a)[1],
                (((uint64_t *)a)[0] & RT_TAG_MASK) == RT_TAG_RACKHDR ? " (a rack header: a pointer into a rack?)" : "");
    abort();
}

static bool visited(uintptr_t a)
{
    size_t i = (a - RT_HEAP_BASE) >> 4;
    uint64_t m = UINT64_C(1) << (i & 63);
    if (V.bits[i >> 6] & m)
        return true;
    V.bits[i >> 6] |= m;
    return false;
}

static bool is_grey(uintptr_t c)
{
    size_t lo = 0, hi = V.ngrey;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (V.grey[mid] == c)
            return true;
        if (V.grey[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static int cmp_addr(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

static bool is_old(uintptr_t a) { return a >= GC_CELLS_START; }

/* Checks the value in `slot` (a field of obj, or a root when obj == 0). */
static void check_value(uintptr_t obj, const char *field, const rt_value *slot, bool obj_black, bool trace)
{
    rt_value v = *slot;
    if (!rt_pointerp(v))
        return;
    uintptr_t a = (uintptr_t)(v & RT_ADDR_MASK);
    uint64_t *w = (uint64_t *)a;
    if (gc_in_static(a)) {
        if (w[0] == 0)
            return;   /* a static cell the objects module has not written yet */
    } else if (gc_in_nursery(a)) {
        if (a >= rt_nursery_top_)
            fail(obj, field, v, "points into the free part of the nursery");
        if (w[0] == GC_FWD_HEADER)
            fail(obj, field, v, "points to a forwarded nursery cell (missed by a minor GC)");
        if (obj && is_old((uintptr_t)slot) && !(*gc_card((uintptr_t)slot) & RT_CARD_REMEMBERED))
            fail(obj, field, v, "old-to-young pointer on a page not in the remembered set");
    } else if (gc_in_cells(a)) {
        if (w[0] == GC_FREE_HEADER)
            fail(obj, field, v, "points to a free cell");
        if (H.phase == GC_SWEEP && a >= H.sweep_cursor && a < H.sweep_end && !gc_marked(a))
            fail(obj, field, v, "reachable cell unmarked in a page the sweeper has yet to visit");
        if (H.phase == GC_MARK && obj_black && !gc_marked(a))
            fail(obj, field, v, "black-to-white pointer during marking");
    } else {
        fail(obj, field, v, "points outside every space");
    }
    if (rt_consp(v)) {
        unsigned t = (unsigned)(w[0] & RT_TAG_MASK);
        if (t == RT_TAG_CELLHDR || t == RT_TAG_RACKHDR || t == RT_TAG_FWDRACK)
            fail(obj, field, v, "cons pointer to a cell that is not a cons");
    } else {
        if (!gc_is_header(w[0]))
            fail(obj, field, v, "object pointer to a cell without a header");
        unsigned wt = rt_header_widetag(w[0]);
        if (wt == RT_WT_FREE || wt == RT_WT_FORWARD || wt >= RT_WT_LIMIT_)
            fail(obj, field, v, "object pointer to a cell with a bad widetag");
    }
    if (trace && !visited(a))
        gc_vec_push(&V.stack, a);
}

static void root_visit(rt_value *slot, void *ctx)
{
    check_value(0, (const char *)ctx, slot, false, true);
}

static void check_rack(uintptr_t cell, rt_rack *r)
{
    uintptr_t ra = (uintptr_t)r;
    if (ra & 15)
        fail(cell, "payload", ra, "rack pointer not 16-byte aligned");
    if (gc_in_nursery(ra)) {
        if (ra >= rt_nursery_top_)
            fail(cell, "payload", ra, "rack in the free part of the nursery");
        if (is_old(cell) && !(*gc_card(cell) & RT_CARD_REMEMBERED))
            fail(cell, "payload", ra, "old cell owns a nursery rack but its page is not remembered");
    } else if (gc_in_racks(ra)) {
        uint32_t e = H.page_table[(ra - GC_RACKS_START) >> RT_PAGE_SHIFT];
        if (GC_PT_KIND(e) == GC_PT_CLASS) {
            uint32_t sz = gc_class_bytes[GC_PT_ARG(e)];
            if ((ra & (GC_PAGE - 1)) % sz)
                fail(cell, "payload", ra, "rack not at a slot boundary of its size-class page");
            if (rt_rack_size(r) * 8 > sz)
                fail(cell, "payload", ra, "rack larger than its size-class slot");
        } else if (GC_PT_KIND(e) == GC_PT_LARGE_HEAD) {
            if (ra & (GC_PAGE - 1))
                fail(cell, "payload", ra, "large rack not at the start of its page");
            if (rt_rack_size(r) * 8 > (uint64_t)GC_PT_ARG(e) * GC_PAGE)
                fail(cell, "payload", ra, "large rack larger than its page run");
        } else {
            fail(cell, "payload", ra, "rack in a free or tail page of rack space");
        }
    } else if (!gc_in_static_area(ra)) {
        fail(cell, "payload", ra, "rack outside the nursery, rack space and the static area");
    }
    if ((r->header & RT_TAG_MASK) != RT_TAG_RACKHDR)
        fail(cell, "payload", ra, "rack without a rack header");
    if (r->owner != cell)
        fail(cell, "rack owner", r->owner, "rack's owner word does not name its cell");
    if (rt_rack_nboxed(r) + RT_RACK_HEADER_WORDS > rt_rack_size(r))
        fail(cell, "rack header", r->header, "rack has more boxed words than words");
}

static void scan_object(uintptr_t c)
{
    uint64_t *w = (uint64_t *)c;
    bool black = false;
    if (H.phase == GC_MARK) {
        if (gc_in_cells(c))
            black = gc_marked(c) && !is_grey(c);
        else if (gc_in_static(c))
            black = !is_grey(c);
    }
    if (!gc_is_header(w[0])) {
        check_value(c, "car", (rt_value *)&w[0], black, true);
        check_value(c, "cdr", (rt_value *)&w[1], black, true);
        return;
    }
    unsigned wt = rt_header_widetag(w[0]);
    switch (rt_widetag_payload(wt)) {
    case RT_PAYLOAD_RAW:
        return;
    case RT_PAYLOAD_VALUE:
        if (wt == RT_WT_WEAK_POINTER)
            check_value(c, "weak target", (rt_value *)&w[1], false, false);
        else
            check_value(c, "payload", (rt_value *)&w[1], black, true);
        return;
    case RT_PAYLOAD_RACK:
        break;
    }
    rt_rack *r = (rt_rack *)(uintptr_t)w[1];
    if (!r)
        return;   /* a donor emptied by rt_static_adopt_rack */
    check_rack(c, r);
    bool weak = wt == RT_WT_WEAK_VECTOR;
    uint64_t nb = rt_rack_nboxed(r);
    char field[40];
    for (uint64_t i = 0; i < nb; i++) {
        snprintf(field, sizeof field, "rack word %llu", (unsigned long long)i);
        check_value(c, field, &r->body[i], black && !weak, !weak);
    }
}

void gc_verify(const char *when)
{
    if (!H.ready)
        return;
    V.when = when;
    V.bits = mmap(NULL, VSPAN / 16 / 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (V.bits == MAP_FAILED) {
        fprintf(stderr, "kons: heap verifier: cannot map its bitmap\n");
        abort();
    }
    V.ngrey = 0;
    if (H.phase == GC_MARK) {
        V.grey = malloc((H.msp + 1) * sizeof *V.grey);
        if (!V.grey)
            abort();
        for (size_t i = 0; i < H.msp; i++)
            V.grey[V.ngrey++] = H.mstack[i].cell;
        qsort(V.grey, V.ngrey, sizeof *V.grey, cmp_addr);
    }
    V.stack.n = 0;
    /* The roots, named so that a stale one can be found: the root stack from the top
     * down (the most recent RT_ROOTS first), the globals, the scanners. */
    char name[96];
    for (size_t i = H.roots.n; i-- > 0;) {
        snprintf(name, sizeof name, "root stack entry %zu of %zu (C variable at %p)", i, H.roots.n,
                 (void *)H.roots.slots[i]);
        check_value(0, name, H.roots.slots[i], false, true);
    }
    for (size_t i = 0; i < RT_THREAD_LOCALS; i++) {
        snprintf(name, sizeof name, "thread-local value %zu of the running thread", i);
        check_value(0, name, &H.roots.locals[i], false, true);
    }
    for (size_t i = 0; i < H.nglobals; i++) {
        snprintf(name, sizeof name, "registered global %zu (at %p)", i, (void *)H.globals[i]);
        check_value(0, name, H.globals[i], false, true);
    }
    for (size_t i = 0; i < H.nscanners; i++)
        H.scanners[i](root_visit, (void *)"a slot from a root scanner");
    GC_FOR_STATIC_CELLS(c)
        if (*(uint64_t *)c && !visited(c))
            gc_vec_push(&V.stack, c);
    while (V.stack.n)
        scan_object(V.stack.v[--V.stack.n]);
    size_t n = 0;
    for (uintptr_t c = H.cell_free; c; c = ((uint64_t *)c)[1], n++) {
        if (!gc_in_cells(c) || (c & 15) || *(uint64_t *)c != GC_FREE_HEADER)
            fail(c, "free list link", c, "free list holds something that is not a free cell");
        if (n > (H.cells_top - GC_CELLS_START) / 16)
            fail(c, "free list link", c, "free list has a cycle");
    }
    munmap(V.bits, VSPAN / 16 / 8);
    free(V.grey);
    V.grey = NULL;
}
