/* Unit tests of the value layout (rt/value.h) and the heap interface (rt/heap.h). */
#include "check.h"
#include "rt/heap.h"

static void test_fixnums(void)
{
    int64_t samples[] = {0, 1, -1, 42, -42, RT_MOST_POSITIVE_FIXNUM, RT_MOST_NEGATIVE_FIXNUM};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        rt_value v = rt_fixnum(samples[i]);
        CHECK(rt_fixnump(v));
        CHECK(!rt_pointerp(v));
        CHECK_EQ_INT(rt_fixnum_value(v), samples[i]);
    }
    CHECK(RT_MOST_POSITIVE_FIXNUM >= (INT64_C(1) << 61) - 1); /* at least 62 bits */
    CHECK(rt_fixnum_fits(RT_MOST_POSITIVE_FIXNUM) && !rt_fixnum_fits(RT_MOST_POSITIVE_FIXNUM + 1));
    /* Tagged addition needs no untagging. */
    CHECK_EQ_INT(rt_fixnum_value(rt_fixnum(20) + rt_fixnum(22)), 42);
    /* Two fixnums differing only in their top bits are different numbers, not the same
     * pointer with different access bits. */
    CHECK(!rt_eq(rt_fixnum(1), rt_fixnum(1) | RT_ACCESS_MASK));
}

static void test_immediates(void)
{
    rt_value c = rt_char(0x10FFFF);
    CHECK(rt_characterp(c) && !rt_pointerp(c) && !rt_fixnump(c));
    CHECK_EQ_INT(rt_char_code(c), 0x10FFFF);
    CHECK_EQ_INT(rt_char_code(rt_char('a')), 'a');
    rt_value f = rt_single(-1.5f);
    CHECK(rt_single_floatp(f) && !rt_pointerp(f));
    CHECK(rt_single_value(f) == -1.5f);
    CHECK(rt_immediatep(RT_UNBOUND) && RT_UNBOUND != RT_NO_VALUE);
}

static void test_heap_objects(void)
{
    CHECK(rt_heap_init(NULL) == 0);
    rt_value c = rt_cons(rt_fixnum(1), RT_NIL);
    CHECK(rt_consp(c) && rt_pointerp(c) && rt_listp(c));
    CHECK(((uintptr_t)rt_addr(c) & 15) == 0);
    CHECK(rt_addr(c) >= (void *)RT_HEAP_BASE && rt_addr(c) < (void *)RT_HEAP_LIMIT);
    CHECK_EQ_INT(rt_fixnum_value(rt_car(c)), 1);
    CHECK(rt_null(rt_cdr(c)));

    /* Access bits: readable and settable; eq, and dereferencing ignore them. */
    rt_value v = rt_alloc_object(RT_WT_SIMPLE_VECTOR, 3, 3, 3);
    CHECK(rt_objectp(v) && rt_widetag(v) == RT_WT_SIMPLE_VECTOR && rt_info(v) == 3);
    rt_rack *r = rt_rack_of(v);
    CHECK(r->owner == (uint64_t)(uintptr_t)rt_cell_of(v));
    CHECK(rt_rack_nboxed(r) == 3 && rt_rack_size(r) >= 5);
    CHECK(rt_null(rt_body(v)[2]));
    rt_value restricted = rt_with_access_bits(v, 0x5);
    CHECK_EQ_INT(rt_access_bits(restricted), 0x5);
    CHECK_EQ_INT(rt_access_bits(v), 0);
    CHECK(rt_eq(v, restricted) && restricted != v);
    CHECK(rt_addr(restricted) == rt_addr(v));
    CHECK(rt_widetag(restricted) == RT_WT_SIMPLE_VECTOR);
    CHECK(rt_strip_access(restricted) == v);

    /* The barrier marks the page for the checkpointer. */
    uint8_t *card = &rt_card_table[((uintptr_t)&rt_body(v)[1] - RT_HEAP_BASE) >> RT_PAGE_SHIFT];
    *card = 0;
    RT_STORE(rt_body(v)[1], c);
    CHECK(*card == RT_CARD_DIRTY);
    CHECK(rt_body(v)[1] == c);
}

int main(void)
{
    test_fixnums();
    test_immediates();
    test_heap_objects();
    return check_report();
}
