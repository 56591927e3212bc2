/* runtime/obj_stubs.c: weak default implementations of functions other modules own, so
 * that the objects module links and runs (and its unit tests run) before those modules
 * are merged. A strong definition anywhere in the link replaces each of these.
 *
 *  rt-vm:  rt_symbol_value, rt_set_symbol_value (global value slot only, no dynamic
 *          bindings), rt_funcall (signals: no VM), rt_funcall_values_count (1),
 *          rt_values/rt_values2 (primary value only), rt_define_primitives (no-op),
 *          rt_eval (signals: no VM).
 *  rt-gc:  rt_gc_epoch (0: the foundation heap never moves objects).
 *  rt-num: rt_parse_number (fixnums only, else "not a number"), rt_number_to_string
 *          (fixnums only), rt_num_eql/rt_num_equal/rt_num_hash/rt_num_compare and the
 *          type predicates on fixnums and immediates. NOT an implementation of the
 *          numeric tower: delete nothing here when rt-num lands, its strong
 *          definitions win at link time.
 */
#include "obj_internal.h"
#include "rt/number.h"

#include <stdio.h>
#include <stdlib.h>

#define WEAK __attribute__((weak))

WEAK rt_value rt_symbol_value(rt_value sym) { return rt_body(sym)[RT_SYM_VALUE]; }
WEAK void rt_set_symbol_value(rt_value sym, rt_value v) { RT_STORE(rt_body(sym)[RT_SYM_VALUE], v); }
WEAK size_t rt_funcall_values_count(void) { return 1; }
WEAK rt_value rt_funcall(rt_value fn, size_t nargs, const rt_value *args)
{
    (void)fn, (void)nargs, (void)args;
    rt_error("UNDEFINED-FUNCTION", "rt_funcall: no VM linked");
}
WEAK rt_value rt_eval(rt_value form)
{
    (void)form;
    rt_error("SIMPLE-ERROR", "eval: no VM linked");
}
WEAK rt_value rt_values(size_t n, const rt_value *vals) { return n ? vals[0] : RT_NIL; }
WEAK rt_value rt_values2(rt_value a, rt_value b)
{
    (void)b;
    return a;
}
WEAK void rt_define_primitives(const rt_prim_def *defs, size_t n) { (void)defs, (void)n; }

WEAK bool rt_numberp(rt_value v)
{
    return rt_fixnump(v) || rt_single_floatp(v) ||
           (rt_objectp(v) && (rt_widetag(v) == RT_WT_DOUBLE_FLOAT || rt_widetag(v) == RT_WT_BIGNUM ||
                              rt_widetag(v) == RT_WT_RATIO || rt_widetag(v) == RT_WT_COMPLEX));
}
WEAK bool rt_integerp(rt_value v) { return rt_fixnump(v) || rt_widetagp(v, RT_WT_BIGNUM); }
WEAK bool rt_num_eql(rt_value a, rt_value b) { return a == b; }
WEAK bool rt_num_equal(rt_value a, rt_value b)
{
    if (rt_single_floatp(a) && rt_single_floatp(b))
        return rt_single_value(a) == rt_single_value(b);
    return a == b;
}
WEAK uint64_t rt_num_hash(rt_value a) { return rt_hash_mix(a); }
WEAK int rt_num_compare(rt_value a, rt_value b)
{
    if (rt_fixnump(a) && rt_fixnump(b))
        return rt_fixnum_value(a) < rt_fixnum_value(b) ? -1 : rt_fixnum_value(a) > rt_fixnum_value(b);
    rt_error("SIMPLE-ERROR", "number comparison: numbers module not linked");
}
WEAK rt_value rt_make_integer(int64_t n)
{
    if (!rt_fixnum_fits(n))
        rt_error("SIMPLE-ERROR", "bignums: numbers module not linked");
    return rt_fixnum(n);
}

WEAK rt_value rt_parse_number(const uint32_t *token, size_t len, unsigned base, char float_format)
{
    (void)float_format;
    size_t i = 0;
    bool neg = false;
    if (i < len && (token[i] == '+' || token[i] == '-'))
        neg = token[i++] == '-';
    if (i < len && token[len - 1] == '.') {
        base = 10;
        len--;
    }
    if (i == len)
        return RT_NO_VALUE;
    /* Accumulates negatively so the most negative fixnum fits. */
    int64_t v = 0;
    for (; i < len; i++) {
        uint32_t c = token[i];
        unsigned d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'z' ? c - 'a' + 10 : c >= 'A' && c <= 'Z' ? c - 'A' + 10 : 99;
        if (d >= base)
            return RT_NO_VALUE;
        if (v < (RT_MOST_NEGATIVE_FIXNUM + (int64_t)d) / (int64_t)base)
            return RT_NO_VALUE; /* too big for this stub: not a number here */
        v = v * (int64_t)base - (int64_t)d;
    }
    if (!neg && v == RT_MOST_NEGATIVE_FIXNUM)
        return RT_NO_VALUE;
    return rt_fixnum(neg ? v : -v);
}

WEAK char *rt_number_to_string(rt_value n, unsigned base, char float_format)
{
    (void)float_format;
    char buf[80], *p = buf + sizeof buf;
    *--p = 0;
    if (!rt_fixnump(n))
        return strdup("#<number>");
    int64_t v = rt_fixnum_value(n);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        unsigned d = (unsigned)(u % base);
        *--p = (char)(d < 10 ? '0' + d : 'A' + d - 10);
        u /= base;
    } while (u);
    if (v < 0)
        *--p = '-';
    return strdup(p);
}

WEAK rt_value rt_make_unsigned(uint64_t n)
{
    if (n > (uint64_t)RT_MOST_POSITIVE_FIXNUM)
        rt_error("SIMPLE-ERROR", "bignums: numbers module not linked");
    return rt_fixnum((int64_t)n);
}
WEAK bool rt_integer_to_int64(rt_value v, int64_t *out)
{
    if (!rt_fixnump(v))
        return false;
    *out = rt_fixnum_value(v);
    return true;
}
WEAK rt_value rt_make_double(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, 8);
    return rt_alloc_cell(RT_WT_DOUBLE_FLOAT, 0, bits);
}
WEAK bool rt_rationalp(rt_value v) { return rt_integerp(v) || rt_widetagp(v, RT_WT_RATIO); }
WEAK bool rt_floatp(rt_value v) { return rt_single_floatp(v) || rt_widetagp(v, RT_WT_DOUBLE_FLOAT); }
WEAK bool rt_realp(rt_value v) { return rt_rationalp(v) || rt_floatp(v); }
