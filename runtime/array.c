/* runtime/array.c: vectors and arrays.
 *
 * Simple one-dimensional arrays are data vectors: RT_WT_SIMPLE_VECTOR (boxed),
 * RT_WT_STRING / RT_WT_BASE_STRING, RT_WT_BIT_VECTOR and the specialised RT_WT_VECTOR_*
 * kinds (raw racks; info = length). Everything else (rank != 1, fill pointer,
 * adjustable, displaced) is an RT_WT_ARRAY header (slots in rt/object.h) over a data
 * vector. Adjusting swaps the data vector (adjustable arrays) so identity is kept.
 */
#include "obj_internal.h"
#include "rt/number.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- Data vectors ---------------------------------------------------------------- */

/* rt_simple_array_data_p, rt_arrayp and rt_vectorp are inline in rt/object.h. */

/* Bits per element of a raw data vector. */
static unsigned elt_bits(unsigned wt)
{
    switch (wt) {
    case RT_WT_BIT_VECTOR: return 1;
    case RT_WT_BASE_STRING: case RT_WT_VECTOR_U8: case RT_WT_VECTOR_S8: return 8;
    case RT_WT_VECTOR_U16: case RT_WT_VECTOR_S16: return 16;
    case RT_WT_STRING: case RT_WT_VECTOR_U32: case RT_WT_VECTOR_S32: case RT_WT_VECTOR_F32: return 32;
    default: return 64;
    }
}

static rt_value alloc_data(unsigned wt, size_t len)
{
    if (len > (RT_INFO_MAX >> 4))
        rt_error("STORAGE-CONDITION", "array of %zu elements is too large", len);
    if (wt == RT_WT_SIMPLE_VECTOR)
        return rt_alloc_object(wt, len, len, len);
    size_t words = (len * elt_bits(wt) + 63) / 64;
    return rt_alloc_object(wt, len, words, 0);
}

rt_value rt_make_simple_vector(size_t length, rt_value fill)
{
    RT_ROOTS(fill);
    rt_value v = alloc_data(RT_WT_SIMPLE_VECTOR, length);
    rt_value *b = rt_body(v);
    for (size_t i = 0; i < length; i++)
        b[i] = fill;
    return v;
}

rt_value rt_widetag_element_type(unsigned wt)
{
    switch (wt) {
    case RT_WT_STRING: return rt_sym_character;
    case RT_WT_BASE_STRING: return rt_sym_base_char;
    case RT_WT_BIT_VECTOR: return rt_sym_bit;
    case RT_WT_VECTOR_U8: return rt_list(2, rt_sym_unsigned_byte, rt_fixnum(8));
    case RT_WT_VECTOR_U16: return rt_list(2, rt_sym_unsigned_byte, rt_fixnum(16));
    case RT_WT_VECTOR_U32: return rt_list(2, rt_sym_unsigned_byte, rt_fixnum(32));
    case RT_WT_VECTOR_U64: return rt_list(2, rt_sym_unsigned_byte, rt_fixnum(64));
    case RT_WT_VECTOR_S8: return rt_list(2, rt_sym_signed_byte, rt_fixnum(8));
    case RT_WT_VECTOR_S16: return rt_list(2, rt_sym_signed_byte, rt_fixnum(16));
    case RT_WT_VECTOR_S32: return rt_list(2, rt_sym_signed_byte, rt_fixnum(32));
    case RT_WT_VECTOR_S64: return rt_list(2, rt_sym_signed_byte, rt_fixnum(64));
    case RT_WT_VECTOR_F32: return rt_sym_single_float;
    case RT_WT_VECTOR_F64: return rt_sym_double_float;
    default: return RT_T;
    }
}

/* Element type specifier -> data widetag (upgraded-array-element-type). */
static unsigned element_widetag(rt_value type)
{
    if (type == RT_NO_VALUE || type == RT_T)
        return RT_WT_SIMPLE_VECTOR;
    if (type == rt_sym_character)
        return RT_WT_STRING;
    if (type == rt_sym_base_char)
        return RT_WT_BASE_STRING;
    if (type == rt_sym_bit)
        return RT_WT_BIT_VECTOR;
    if (type == rt_sym_single_float || type == rt_sym_short_float)
        return RT_WT_VECTOR_F32;
    if (type == rt_sym_double_float || type == rt_sym_long_float)
        return RT_WT_VECTOR_F64;
    if (type == rt_sym_fixnum)
        return RT_WT_VECTOR_S64;
    if (type == rt_sym_unsigned_byte)
        return RT_WT_SIMPLE_VECTOR;
    if (rt_consp(type) && rt_consp(rt_cdr(type)) && rt_fixnump(rt_car(rt_cdr(type)))) {
        int64_t bits = rt_fixnum_value(rt_car(rt_cdr(type)));
        if (rt_car(type) == rt_sym_unsigned_byte) {
            if (bits == 1)
                return RT_WT_BIT_VECTOR;
            return bits <= 8 ? RT_WT_VECTOR_U8 : bits <= 16 ? RT_WT_VECTOR_U16 : bits <= 32 ? RT_WT_VECTOR_U32
                 : bits <= 64 ? RT_WT_VECTOR_U64 : RT_WT_SIMPLE_VECTOR;
        }
        if (rt_car(type) == rt_sym_signed_byte)
            return bits <= 8 ? RT_WT_VECTOR_S8 : bits <= 16 ? RT_WT_VECTOR_S16 : bits <= 32 ? RT_WT_VECTOR_S32
                 : bits <= 64 ? RT_WT_VECTOR_S64 : RT_WT_SIMPLE_VECTOR;
    }
    return RT_WT_SIMPLE_VECTOR;
}

static rt_value data_ref(rt_value d, size_t i)
{
    void *p = rt_body(d);
    switch (rt_widetag(d)) {
    case RT_WT_SIMPLE_VECTOR: return ((rt_value *)p)[i];
    case RT_WT_STRING: return rt_char(((uint32_t *)p)[i]);
    case RT_WT_BASE_STRING: return rt_char(((uint8_t *)p)[i]);
    case RT_WT_BIT_VECTOR: return rt_fixnum((((uint64_t *)p)[i / 64] >> (i % 64)) & 1);
    case RT_WT_VECTOR_U8: return rt_fixnum(((uint8_t *)p)[i]);
    case RT_WT_VECTOR_U16: return rt_fixnum(((uint16_t *)p)[i]);
    case RT_WT_VECTOR_U32: return rt_fixnum(((uint32_t *)p)[i]);
    case RT_WT_VECTOR_U64: return rt_make_unsigned(((uint64_t *)p)[i]);
    case RT_WT_VECTOR_S8: return rt_fixnum(((int8_t *)p)[i]);
    case RT_WT_VECTOR_S16: return rt_fixnum(((int16_t *)p)[i]);
    case RT_WT_VECTOR_S32: return rt_fixnum(((int32_t *)p)[i]);
    case RT_WT_VECTOR_S64: return rt_make_integer(((int64_t *)p)[i]);
    case RT_WT_VECTOR_F32: return rt_single(((float *)p)[i]);
    case RT_WT_VECTOR_F64: return rt_make_double(((double *)p)[i]);
    default: rt_type_error(d, "vector");
    }
}

static int64_t int_in(rt_value x, int64_t lo, int64_t hi, const char *type)
{
    int64_t v;
    if (!rt_integerp(x) || !rt_integer_to_int64(x, &v) || v < lo || v > hi)
        rt_type_error(x, type);
    return v;
}

static void data_set(rt_value d, size_t i, rt_value x)
{
    void *p = rt_body(d);
    switch (rt_widetag(d)) {
    case RT_WT_SIMPLE_VECTOR: rt_store(&((rt_value *)p)[i], x); return;
    case RT_WT_STRING: {
        uint32_t c = rt_check_char(x);
        rt_store_raw(&((uint32_t *)p)[i], &c, 4);
        return;
    }
    case RT_WT_BASE_STRING: {
        uint32_t c = rt_check_char(x);
        if (c > 255)
            rt_type_error(x, "base-char");
        uint8_t b = (uint8_t)c;
        rt_store_raw(&((uint8_t *)p)[i], &b, 1);
        return;
    }
    case RT_WT_BIT_VECTOR: {
        int64_t bit = int_in(x, 0, 1, "bit");
        uint64_t w = ((uint64_t *)p)[i / 64];
        w = (w & ~(UINT64_C(1) << (i % 64))) | ((uint64_t)bit << (i % 64));
        rt_store_raw(&((uint64_t *)p)[i / 64], &w, 8);
        return;
    }
#define RAWSET(WT, CT, LO, HI, TY)                                  \
    case WT: {                                                      \
        CT v = (CT)int_in(x, LO, HI, TY);                           \
        rt_store_raw(&((CT *)p)[i], &v, sizeof v);                  \
        return;                                                     \
    }
    RAWSET(RT_WT_VECTOR_U8, uint8_t, 0, 255, "(unsigned-byte 8)")
    RAWSET(RT_WT_VECTOR_U16, uint16_t, 0, 65535, "(unsigned-byte 16)")
    RAWSET(RT_WT_VECTOR_U32, uint32_t, 0, UINT32_MAX, "(unsigned-byte 32)")
    RAWSET(RT_WT_VECTOR_S8, int8_t, INT8_MIN, INT8_MAX, "(signed-byte 8)")
    RAWSET(RT_WT_VECTOR_S16, int16_t, INT16_MIN, INT16_MAX, "(signed-byte 16)")
    RAWSET(RT_WT_VECTOR_S32, int32_t, INT32_MIN, INT32_MAX, "(signed-byte 32)")
    RAWSET(RT_WT_VECTOR_S64, int64_t, INT64_MIN, INT64_MAX, "(signed-byte 64)")
#undef RAWSET
    case RT_WT_VECTOR_U64: {
        uint64_t v;
        int64_t s;
        if (rt_fixnump(x) && rt_fixnum_value(x) >= 0)
            v = (uint64_t)rt_fixnum_value(x);
        else if (rt_integerp(x) && rt_integer_to_int64(x, &s) && s >= 0)
            v = (uint64_t)s;
        else if (rt_integerp(x) && rt_num_compare(x, rt_fixnum(0)) > 0 &&
                 rt_widetagp(x, RT_WT_BIGNUM) && rt_info(x) == 1)
            v = rt_body(x)[0];
        else
            rt_type_error(x, "(unsigned-byte 64)");
        rt_store_raw(&((uint64_t *)p)[i], &v, 8);
        return;
    }
    case RT_WT_VECTOR_F32: {
        if (!rt_single_floatp(x))
            rt_type_error(x, "single-float");
        float f = rt_single_value(x);
        rt_store_raw(&((float *)p)[i], &f, 4);
        return;
    }
    case RT_WT_VECTOR_F64: {
        if (!rt_double_float_p(x))
            rt_type_error(x, "double-float");
        double f = rt_double_value(x);
        rt_store_raw(&((double *)p)[i], &f, 8);
        return;
    }
    default: rt_type_error(d, "vector");
    }
}

/* ---- Generic access --------------------------------------------------------------- */

/* Resolves an array to its data vector and offset; *total is the total size. */
static rt_value resolve(rt_value a, size_t *offset)
{
    if (rt_simple_array_data_p(a)) {
        *offset = 0;
        return a;
    }
    rt_value *b = rt_body(a);
    *offset = (size_t)rt_fixnum_value(b[RT_ARR_OFFSET]);
    rt_value d = b[RT_ARR_DATA];
    /* Displaced to a non-simple array: follow the chain. */
    while (rt_widetagp(d, RT_WT_ARRAY)) {
        *offset += (size_t)rt_fixnum_value(rt_body(d)[RT_ARR_OFFSET]);
        d = rt_body(d)[RT_ARR_DATA];
    }
    return d;
}

rt_value rt_vector_ref(rt_value v, size_t i)
{
    size_t off;
    rt_value d = resolve(v, &off);
    return data_ref(d, off + i);
}

void rt_vector_set(rt_value v, size_t i, rt_value x)
{
    size_t off;
    rt_value d = resolve(v, &off);
    data_set(d, off + i, x);
}

static size_t array_rank(rt_value a) { return rt_simple_array_data_p(a) ? 1 : (size_t)rt_info(a); }
static size_t array_dim(rt_value a, size_t k)
{
    if (rt_simple_array_data_p(a))
        return (size_t)rt_info(a);
    return (size_t)rt_fixnum_value(rt_body(a)[RT_ARR_DIMS + k]);
}
static size_t total_size(rt_value a)
{
    size_t t = 1, r = array_rank(a);
    for (size_t k = 0; k < r; k++)
        t *= array_dim(a, k);
    return t;
}

static rt_value check_array(rt_value a)
{
    if (!rt_arrayp(a))
        rt_type_error(a, "array");
    return a;
}

/* The array's type as SBCL names it in messages: (SIMPLE-VECTOR 2),
 * (SIMPLE-ARRAY CHARACTER (3)), (SIMPLE-ARRAY T (2 2)), (VECTOR T 10) for the rest. */
static void array_type_name(rt_value a, char *buf, size_t len)
{
    size_t off;
    rt_value d = resolve(a, &off);
    unsigned wt = rt_widetag(d);
    const char *et = wt == RT_WT_STRING ? "CHARACTER" : wt == RT_WT_BASE_STRING ? "BASE-CHAR"
                   : wt == RT_WT_BIT_VECTOR ? "BIT" : wt == RT_WT_VECTOR_F32 ? "SINGLE-FLOAT"
                   : wt == RT_WT_VECTOR_F64 ? "DOUBLE-FLOAT" : wt == RT_WT_VECTOR_U8 ? "(UNSIGNED-BYTE 8)"
                   : wt == RT_WT_SIMPLE_VECTOR ? "T" : "*";
    if (rt_simple_vector_p(a)) {
        snprintf(buf, len, "(SIMPLE-VECTOR %zu)", rt_vector_length(a));
    } else if (rt_simple_array_data_p(a)) {
        snprintf(buf, len, "(SIMPLE-ARRAY %s (%zu))", et, (size_t)rt_info(a));
    } else if (rt_info(a) == 1) {
        snprintf(buf, len, "(VECTOR %s %lld)", et, (long long)rt_fixnum_value(rt_body(a)[RT_ARR_DIMS]));
    } else {
        size_t n = (size_t)snprintf(buf, len, "(SIMPLE-ARRAY %s (", et);
        for (size_t k = 0; k < rt_info(a) && n + 24 < len; k++)
            n += (size_t)snprintf(buf + n, len - n, k ? " %lld" : "%lld", (long long)rt_fixnum_value(rt_body(a)[RT_ARR_DIMS + k]));
        snprintf(buf + n, len - n, "))");
    }
}

static size_t row_major_index(rt_value a, rt_value *subs, size_t nsubs)
{
    size_t r = array_rank(a);
    if (nsubs != r)
        rt_error("PROGRAM-ERROR", "Wrong number of subscripts, %zu, for array of rank %zu.", nsubs, r);
    size_t idx = 0;
    for (size_t k = 0; k < r; k++) {
        size_t dim = array_dim(a, k);
        if (!rt_fixnump(subs[k]) || rt_fixnum_value(subs[k]) < 0 || (size_t)rt_fixnum_value(subs[k]) >= dim) {
            if (!rt_fixnump(subs[k]))
                rt_type_error(subs[k], "(integer 0 *)");
            /* SBCL's wording: "Invalid index 5 for (SIMPLE-VECTOR 2), should be a
             * non-negative integer below 2." */
            char ty[96];
            array_type_name(a, ty, sizeof ty);
            if (r == 1)
                rt_error("SIMPLE-ERROR", "Invalid index %lld for %s, should be a non-negative integer below %zu.",
                         (long long)rt_fixnum_value(subs[k]), ty, dim);
            rt_error("SIMPLE-ERROR", "Invalid index %lld for axis %zu of %s, should be a non-negative integer below %zu.",
                     (long long)rt_fixnum_value(subs[k]), k, ty, dim);
        }
        idx = idx * dim + (size_t)rt_fixnum_value(subs[k]);
    }
    return idx;
}

/* ---- make-array ------------------------------------------------------------------ */

static rt_value p_make_array(rt_value *a, size_t n);

/* dims as a C array; returns rank. */
static size_t parse_dims(rt_value d, size_t *dims, size_t max)
{
    if (rt_fixnump(d)) {
        dims[0] = (size_t)rt_check_index(d, 0, RT_MOST_POSITIVE_FIXNUM, "(integer 0 *)");
        return 1;
    }
    size_t r = 0;
    for (rt_value l = rt_check_list(d); rt_consp(l); l = rt_cdr(l)) {
        if (r == max)
            rt_error("SIMPLE-ERROR", "array rank exceeds %zu", max);
        dims[r++] = (size_t)rt_check_index(rt_car(l), 0, RT_MOST_POSITIVE_FIXNUM, "(integer 0 *)");
    }
    return r;
}

/* Stores the nested sequence `contents` (rank levels deep) into data row-major. */
static void store_contents(rt_value data, rt_value contents, const size_t *dims, size_t rank, size_t level,
                           size_t *pos)
{
    if (level == rank) {
        data_set(data, (*pos)++, contents);
        return;
    }
    RT_ROOTS(data, contents);
    size_t len = rt_seq_length(contents);
    if (len != dims[level])
        rt_error("SIMPLE-ERROR", "initial-contents has length %zu, dimension %zu is %zu", len, level, dims[level]);
    if (rt_listp(contents)) {
        for (rt_value l = contents; rt_consp(l); l = rt_cdr(l))
            store_contents(data, rt_car(l), dims, rank, level + 1, pos);
    } else {
        for (size_t i = 0; i < len; i++)
            store_contents(data, rt_vector_ref(contents, i), dims, rank, level + 1, pos);
    }
}

rt_value rt_make_array(rt_value dims_v, unsigned wt, rt_value initial_element, rt_value initial_contents,
                       bool adjustable, rt_value fill_pointer, rt_value displaced_to, size_t displaced_offset);
rt_value rt_make_array(rt_value dims_v, unsigned wt, rt_value initial_element, rt_value initial_contents,
                       bool adjustable, rt_value fill_pointer, rt_value displaced_to, size_t displaced_offset)
{
    size_t dims[64];
    size_t rank = parse_dims(dims_v, dims, 64);
    size_t total = 1;
    for (size_t k = 0; k < rank; k++) {
        if (dims[k] && total > (RT_INFO_MAX >> 4) / dims[k])
            rt_error("STORAGE-CONDITION", "array too large");
        total *= dims[k];
    }
    bool has_fp = fill_pointer != RT_NO_VALUE && !rt_null(fill_pointer);
    if (has_fp && rank != 1)
        rt_error("SIMPLE-ERROR", "Only vectors can have fill pointers.");
    int64_t fp = 0;
    if (has_fp)
        fp = fill_pointer == RT_T ? (int64_t)total : rt_check_index(fill_pointer, 0, (int64_t)total, "(integer 0 *)");
    bool displaced = displaced_to != RT_NO_VALUE && !rt_null(displaced_to);
    RT_ROOTS(dims_v, initial_element, initial_contents, displaced_to);
    rt_value data = RT_NIL;
    RT_ROOTS(data);
    if (displaced) {
        check_array(displaced_to);
        if (displaced_offset + total > total_size(displaced_to))
            rt_error("SIMPLE-ERROR", "displaced array does not fit in its target");
        data = displaced_to;
    } else {
        data = alloc_data(wt, total);
        if (initial_element != RT_NO_VALUE) {
            for (size_t i = 0; i < total; i++)
                data_set(data, i, initial_element);
        } else if (wt == RT_WT_SIMPLE_VECTOR) {
            rt_value *b = rt_body(data);
            for (size_t i = 0; i < total; i++)
                b[i] = rt_fixnum(0); /* SBCL fills with 0 */
        }
        if (initial_contents != RT_NO_VALUE) {
            size_t pos = 0;
            store_contents(data, initial_contents, dims, rank, 0, &pos);
        }
    }
    if (rank == 1 && !adjustable && !has_fp && !displaced)
        return data;
    rt_value arr = rt_alloc_object(RT_WT_ARRAY, rank, RT_ARR_DIMS + rank, RT_ARR_DIMS + rank);
    rt_value *b = rt_body(arr);
    b[RT_ARR_DATA] = data;
    b[RT_ARR_FILL] = has_fp ? rt_fixnum(fp) : RT_NIL;
    b[RT_ARR_OFFSET] = rt_fixnum((int64_t)displaced_offset);
    b[RT_ARR_FLAGS] = rt_fixnum((adjustable ? RT_ARRF_ADJUSTABLE : 0) | (displaced ? RT_ARRF_DISPLACED : 0));
    for (size_t k = 0; k < rank; k++)
        b[RT_ARR_DIMS + k] = rt_fixnum((int64_t)dims[k]);
    return arr;
}

static rt_value p_make_array(rt_value *a, size_t n)
{
    static const char *const keys[] = {"ELEMENT-TYPE", "INITIAL-ELEMENT", "INITIAL-CONTENTS", "ADJUSTABLE",
                                       "FILL-POINTER", "DISPLACED-TO", "DISPLACED-INDEX-OFFSET", NULL};
    rt_kwargs_check(a, n, 1, keys);
    rt_value et = rt_kwarg(a, n, 1, "ELEMENT-TYPE");
    rt_value adj = rt_kwarg(a, n, 1, "ADJUSTABLE");
    rt_value off = rt_kwarg(a, n, 1, "DISPLACED-INDEX-OFFSET");
    rt_value disp = rt_kwarg(a, n, 1, "DISPLACED-TO");
    unsigned wt = element_widetag(et);
    if (disp != RT_NO_VALUE && !rt_null(disp)) {
        check_array(disp);
        size_t o;
        wt = rt_widetag(resolve(disp, &o));
    }
    return rt_make_array(a[0], wt, rt_kwarg(a, n, 1, "INITIAL-ELEMENT"), rt_kwarg(a, n, 1, "INITIAL-CONTENTS"),
                         adj != RT_NO_VALUE && rt_true(adj), rt_kwarg(a, n, 1, "FILL-POINTER"), disp,
                         off == RT_NO_VALUE ? 0 : (size_t)rt_check_index(off, 0, RT_MOST_POSITIVE_FIXNUM, "(integer 0 *)"));
}

/* ---- Lisp functions -------------------------------------------------------------- */

static rt_value p_aref(rt_value *a, size_t n)
{
    check_array(a[0]);
    size_t i = row_major_index(a[0], a + 1, n - 1);
    return rt_vector_ref(a[0], i);
}
/* (SYS:%ASET array subscript... value) */
static rt_value p_aset(rt_value *a, size_t n)
{
    check_array(a[0]);
    size_t i = row_major_index(a[0], a + 1, n - 2);
    rt_value x = a[n - 1];
    rt_vector_set(a[0], i, x);
    return x;
}
static rt_value p_svref(rt_value *a, size_t n)
{
    if (!rt_simple_vector_p(a[0]))
        rt_type_error(a[0], "simple-vector");
    size_t i = (size_t)rt_check_index(a[1], 0, (int64_t)rt_vector_length(a[0]) - 1, "index");
    return rt_body(a[0])[i];
}
static rt_value p_svset(rt_value *a, size_t n)
{
    if (!rt_simple_vector_p(a[0]))
        rt_type_error(a[0], "simple-vector");
    size_t i = (size_t)rt_check_index(a[1], 0, (int64_t)rt_vector_length(a[0]) - 1, "index");
    rt_store(&rt_body(a[0])[i], a[2]);
    return a[2];
}
static rt_value p_row_major_aref(rt_value *a, size_t n)
{
    check_array(a[0]);
    size_t i = (size_t)rt_check_index(a[1], 0, (int64_t)total_size(a[0]) - 1, "index");
    return rt_vector_ref(a[0], i);
}
static rt_value p_row_major_aset(rt_value *a, size_t n)
{
    check_array(a[0]);
    size_t i = (size_t)rt_check_index(a[1], 0, (int64_t)total_size(a[0]) - 1, "index");
    rt_vector_set(a[0], i, a[2]);
    return a[2];
}
static rt_value p_array_rank(rt_value *a, size_t n) { return rt_fixnum((int64_t)array_rank(check_array(a[0]))); }
static rt_value p_array_dimension(rt_value *a, size_t n)
{
    size_t r = array_rank(check_array(a[0]));
    size_t k = (size_t)rt_check_index(a[1], 0, (int64_t)r - 1, "axis");
    return rt_fixnum((int64_t)array_dim(a[0], k));
}
static rt_value p_array_dimensions(rt_value *a, size_t n)
{
    rt_value arr = check_array(a[0]), out = RT_NIL;
    RT_ROOTS(arr, out);
    for (size_t k = array_rank(arr); k-- > 0;)
        out = rt_cons(rt_fixnum((int64_t)array_dim(arr, k)), out);
    return out;
}
static rt_value p_array_total_size(rt_value *a, size_t n) { return rt_fixnum((int64_t)total_size(check_array(a[0]))); }
static rt_value p_array_element_type(rt_value *a, size_t n)
{
    size_t off;
    return rt_widetag_element_type(rt_widetag(resolve(check_array(a[0]), &off)));
}
static rt_value p_arrayp(rt_value *a, size_t n) { return rt_bool(rt_arrayp(a[0])); }
static rt_value p_vectorp(rt_value *a, size_t n) { return rt_bool(rt_vectorp(a[0])); }
static rt_value p_simple_vector_p(rt_value *a, size_t n) { return rt_bool(rt_simple_vector_p(a[0])); }
static rt_value p_bit_vector_p(rt_value *a, size_t n)
{
    size_t off;
    return rt_bool(rt_vectorp(a[0]) && rt_widetag(resolve(a[0], &off)) == RT_WT_BIT_VECTOR);
}
static rt_value p_simple_bit_vector_p(rt_value *a, size_t n) { return rt_bool(rt_widetagp(a[0], RT_WT_BIT_VECTOR)); }
static rt_value p_vector(rt_value *a, size_t n)
{
    /* The arguments are copied and rooted first: allocation may move them. */
    rt_value *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy)
        rt_storage_error("vector");
    memcpy(copy, a, n * sizeof *copy);
    size_t depth = rt_root_depth();
    for (size_t i = 0; i < n; i++)
        rt_root_push(&copy[i]);
    rt_value v = alloc_data(RT_WT_SIMPLE_VECTOR, n);
    memcpy(rt_body(v), copy, n * sizeof *copy);
    rt_root_restore(depth);
    free(copy);
    return v;
}
static rt_value p_adjustable_array_p(rt_value *a, size_t n)
{
    check_array(a[0]);
    return rt_bool(rt_widetagp(a[0], RT_WT_ARRAY) && (rt_fixnum_value(rt_body(a[0])[RT_ARR_FLAGS]) & RT_ARRF_ADJUSTABLE));
}
static bool has_fill_pointer(rt_value v) { return rt_widetagp(v, RT_WT_ARRAY) && rt_fixnump(rt_body(v)[RT_ARR_FILL]); }
static rt_value p_array_has_fill_pointer_p(rt_value *a, size_t n) { return rt_bool(has_fill_pointer(check_array(a[0]))); }
static rt_value p_fill_pointer(rt_value *a, size_t n)
{
    if (!has_fill_pointer(a[0]))
        rt_type_error(a[0], "(and vector (satisfies array-has-fill-pointer-p))");
    return rt_body(a[0])[RT_ARR_FILL];
}
static rt_value p_set_fill_pointer(rt_value *a, size_t n)
{
    if (!has_fill_pointer(a[0]))
        rt_type_error(a[0], "(and vector (satisfies array-has-fill-pointer-p))");
    rt_check_index(a[1], 0, (int64_t)array_dim(a[0], 0), "index");
    RT_STORE(rt_body(a[0])[RT_ARR_FILL], a[1]);
    return a[1];
}
static rt_value p_array_displacement(rt_value *a, size_t n)
{
    check_array(a[0]);
    if (rt_widetagp(a[0], RT_WT_ARRAY) && (rt_fixnum_value(rt_body(a[0])[RT_ARR_FLAGS]) & RT_ARRF_DISPLACED))
        return rt_values2(rt_body(a[0])[RT_ARR_DATA], rt_body(a[0])[RT_ARR_OFFSET]);
    return rt_values2(RT_NIL, rt_fixnum(0));
}

/* Grows an adjustable vector's storage to at least min_len elements. */
static void grow(rt_value v, size_t min_len)
{
    RT_ROOTS(v);
    size_t old = array_dim(v, 0);
    size_t len = old * 2 > min_len ? old * 2 : min_len;
    if (len < 16)
        len = 16;
    size_t off;
    rt_value d = resolve(v, &off);
    rt_value nd = alloc_data(rt_widetag(d), len);
    RT_ROOTS(nd);
    d = resolve(v, &off);
    if (rt_widetag(nd) == RT_WT_SIMPLE_VECTOR) {
        rt_value *b = rt_body(nd);
        for (size_t i = old; i < len; i++)
            b[i] = rt_fixnum(0);
    }
    for (size_t i = 0; i < old; i++) {
        /* data_ref may allocate (a double, a bignum): re-resolve the old data each time. */
        rt_value x = data_ref(resolve(v, &off), off + i);
        data_set(nd, i, x);
    }
    rt_value *b = rt_body(v);
    RT_STORE(b[RT_ARR_DATA], nd);
    RT_STORE(b[RT_ARR_OFFSET], rt_fixnum(0));
    RT_STORE(b[RT_ARR_DIMS], rt_fixnum((int64_t)len));
    RT_STORE(b[RT_ARR_FLAGS], rt_fixnum(rt_fixnum_value(b[RT_ARR_FLAGS]) & ~RT_ARRF_DISPLACED));
}

static rt_value p_vector_push(rt_value *a, size_t n)
{
    rt_value v = a[1];
    if (!has_fill_pointer(v))
        rt_type_error(v, "(and vector (satisfies array-has-fill-pointer-p))");
    int64_t fp = rt_fixnum_value(rt_body(v)[RT_ARR_FILL]);
    if ((size_t)fp >= array_dim(v, 0))
        return RT_NIL;
    rt_vector_set(v, (size_t)fp, a[0]);
    RT_STORE(rt_body(v)[RT_ARR_FILL], rt_fixnum(fp + 1));
    return rt_fixnum(fp);
}
static rt_value p_vector_push_extend(rt_value *a, size_t n)
{
    rt_value x = a[0], v = a[1];
    RT_ROOTS(x, v);
    if (!has_fill_pointer(v))
        rt_type_error(v, "(and vector (satisfies array-has-fill-pointer-p))");
    int64_t fp = rt_fixnum_value(rt_body(v)[RT_ARR_FILL]);
    if ((size_t)fp >= array_dim(v, 0)) {
        if (!(rt_fixnum_value(rt_body(v)[RT_ARR_FLAGS]) & RT_ARRF_ADJUSTABLE))
            rt_error("SIMPLE-ERROR", "vector-push-extend: the vector is not adjustable");
        size_t ext = n > 2 ? (size_t)rt_check_index(a[2], 1, RT_MOST_POSITIVE_FIXNUM, "(integer 1 *)") : 0;
        grow(v, (size_t)fp + (ext ? ext : 1));
    }
    rt_vector_set(v, (size_t)fp, x);
    RT_STORE(rt_body(v)[RT_ARR_FILL], rt_fixnum(fp + 1));
    return rt_fixnum(fp);
}
static rt_value p_vector_pop(rt_value *a, size_t n)
{
    rt_value v = a[0];
    if (!has_fill_pointer(v))
        rt_type_error(v, "(and vector (satisfies array-has-fill-pointer-p))");
    int64_t fp = rt_fixnum_value(rt_body(v)[RT_ARR_FILL]);
    if (fp == 0)
        rt_error("SIMPLE-ERROR", "There is nothing left to pop.");
    RT_STORE(rt_body(v)[RT_ARR_FILL], rt_fixnum(fp - 1));
    return rt_vector_ref(v, (size_t)fp - 1);
}

/* (adjust-array array dims &key element-type initial-element initial-contents
 *  fill-pointer displaced-to displaced-index-offset) */
static rt_value p_adjust_array(rt_value *a, size_t n)
{
    static const char *const keys[] = {"ELEMENT-TYPE", "INITIAL-ELEMENT", "INITIAL-CONTENTS", "FILL-POINTER",
                                       "DISPLACED-TO", "DISPLACED-INDEX-OFFSET", NULL};
    rt_kwargs_check(a, n, 2, keys);
    rt_value arr = check_array(a[0]);
    rt_value ie = rt_kwarg(a, n, 2, "INITIAL-ELEMENT");
    rt_value ic = rt_kwarg(a, n, 2, "INITIAL-CONTENTS");
    rt_value fp = rt_kwarg(a, n, 2, "FILL-POINTER");
    rt_value disp = rt_kwarg(a, n, 2, "DISPLACED-TO");
    rt_value off = rt_kwarg(a, n, 2, "DISPLACED-INDEX-OFFSET");
    size_t dims[64];
    size_t rank = parse_dims(a[1], dims, 64);
    if (rank != array_rank(arr))
        rt_error("SIMPLE-ERROR", "adjust-array: rank %zu differs from the array's rank %zu", rank, array_rank(arr));
    size_t o;
    unsigned wt = rt_widetag(resolve(arr, &o));
    if (fp == RT_NO_VALUE && has_fill_pointer(arr))
        fp = rt_body(arr)[RT_ARR_FILL];
    bool adjustable = rt_widetagp(arr, RT_WT_ARRAY) && (rt_fixnum_value(rt_body(arr)[RT_ARR_FLAGS]) & RT_ARRF_ADJUSTABLE);
    RT_ROOTS(arr, ie, ic, fp, disp);
    rt_value dims_v = a[1];
    RT_ROOTS(dims_v);
    rt_value fresh = rt_make_array(dims_v, wt, ie, ic, true, fp, disp,
                                   off == RT_NO_VALUE ? 0 : (size_t)rt_check_index(off, 0, RT_MOST_POSITIVE_FIXNUM, "index"));
    RT_ROOTS(fresh);
    if (ic == RT_NO_VALUE && (disp == RT_NO_VALUE || rt_null(disp))) {
        /* Copy the overlapping region, index by index. */
        size_t old_dims[64], r = rank, total = 1;
        for (size_t k = 0; k < r; k++)
            old_dims[k] = array_dim(arr, k), total *= dims[k];
        for (size_t i = 0; i < total; i++) {
            size_t rem = i, src = 0;
            bool inside = true;
            size_t idx[64];
            for (size_t k = r; k-- > 0;) {
                idx[k] = rem % dims[k];
                rem /= dims[k];
            }
            for (size_t k = 0; k < r; k++) {
                if (idx[k] >= old_dims[k])
                    inside = false;
                src = src * old_dims[k] + idx[k];
            }
            if (inside)
                rt_vector_set(fresh, i, rt_vector_ref(arr, src));
        }
    }
    if (!adjustable || !rt_widetagp(arr, RT_WT_ARRAY) || rt_info(arr) != rank)
        return fresh;
    /* Adjustable: keep identity, take the fresh array's contents (swap the header). */
    rt_value *fb = rt_body(fresh);
    size_t nw = RT_ARR_DIMS + rank;
    rt_value tmp[RT_ARR_DIMS + 64];
    memcpy(tmp, fb, nw * sizeof *tmp);
    for (size_t k = 0; k < nw; k++)
        rt_store(&rt_body(arr)[k], tmp[k]);
    return arr;
}

rt_value rt_subseq(rt_value seq, size_t start, size_t end);
rt_value rt_subseq(rt_value seq, size_t start, size_t end)
{
    if (rt_listp(seq)) {
        rt_value l = seq, head = RT_NIL, tail = RT_NIL;
        RT_ROOTS(l, head, tail);
        size_t i = 0;
        for (; i < start && rt_consp(l); i++)
            l = rt_cdr(l);
        if (i < start)
            rt_error("SIMPLE-ERROR", "subseq: start %zu is past the end of the list", start);
        for (; i < end; i++) {
            if (!rt_consp(l)) {
                if (end == SIZE_MAX)
                    break;
                rt_error("SIMPLE-ERROR", "subseq: end %zu is past the end of the list", end);
            }
            rt_value c = rt_cons(rt_car(l), RT_NIL);
            if (rt_null(head))
                head = c;
            else
                rt_set_cdr(tail, c);
            tail = c;
            l = rt_cdr(l);
        }
        return head;
    }
    if (!rt_vectorp(seq))
        rt_type_error(seq, "sequence");
    size_t len = rt_seq_length(seq);
    if (end == SIZE_MAX)
        end = len;
    if (start > end || end > len)
        rt_error("SIMPLE-ERROR", "The bounding indices %zu and %zu are bad for a sequence of length %zu.", start, end, len);
    RT_ROOTS(seq);
    size_t off;
    rt_value d = resolve(seq, &off);
    unsigned wt = rt_widetag(d);
    rt_value out = alloc_data(wt, end - start);
    d = resolve(seq, &off);
    if (wt == RT_WT_SIMPLE_VECTOR) {
        memcpy(rt_body(out), rt_body(d) + off + start, (end - start) * 8);
    } else if (wt == RT_WT_BIT_VECTOR) {
        for (size_t i = start; i < end; i++)
            data_set(out, i - start, data_ref(d, off + i));
    } else {
        size_t b = elt_bits(wt) / 8;
        memcpy(rt_body(out), (char *)rt_body(d) + (off + start) * b, (end - start) * b);
    }
    return out;
}

static rt_value p_subseq(rt_value *a, size_t n)
{
    size_t start = (size_t)rt_check_index(a[1], 0, RT_MOST_POSITIVE_FIXNUM, "(integer 0 *)");
    size_t end = n > 2 && !rt_null(a[2]) ? (size_t)rt_check_index(a[2], 0, RT_MOST_POSITIVE_FIXNUM, "(integer 0 *)") : SIZE_MAX;
    return rt_subseq(a[0], start, end);
}
static rt_value p_copy_seq(rt_value *a, size_t n) { return rt_subseq(a[0], 0, SIZE_MAX); }

rt_value rt_reverse_vector(rt_value v, bool destructive)
{
    if (!rt_vectorp(v))
        rt_type_error(v, "sequence");
    RT_ROOTS(v);
    size_t len = rt_seq_length(v);
    rt_value out = destructive ? v : rt_subseq(v, 0, SIZE_MAX);
    RT_ROOTS(out);
    for (size_t i = 0, j = len; i + 1 < j; i++, j--) {
        rt_value x = rt_vector_ref(out, i);
        RT_ROOTS(x);
        rt_value y = rt_vector_ref(out, j - 1);
        rt_vector_set(out, i, y);
        rt_vector_set(out, j - 1, x);
    }
    return out;
}

/* (SYS:%LIST-TO-VECTOR list &optional element-type) and (SYS:%VECTOR-TO-LIST vector):
 * coerce helpers. */
static rt_value p_list_to_vector(rt_value *a, size_t n)
{
    rt_value l = rt_check_list(a[0]);
    unsigned wt = element_widetag(n > 1 ? a[1] : RT_T);
    RT_ROOTS(l);
    size_t len = rt_seq_length(l);
    rt_value v = alloc_data(wt, len);
    if (wt == RT_WT_SIMPLE_VECTOR) {
        rt_value *b = rt_body(v);
        for (size_t i = 0; i < len; i++)
            b[i] = RT_NIL;
    }
    size_t i = 0;
    for (; rt_consp(l); l = rt_cdr(l))
        data_set(v, i++, rt_car(l));
    return v;
}
static rt_value p_vector_to_list(rt_value *a, size_t n)
{
    rt_value v = a[0], out = RT_NIL;
    if (!rt_vectorp(v))
        rt_type_error(v, "vector");
    RT_ROOTS(v, out);
    for (size_t i = rt_seq_length(v); i-- > 0;) {
        rt_value x = rt_vector_ref(v, i);
        out = rt_cons(x, out);
    }
    return out;
}
static rt_value p_upgraded_array_element_type(rt_value *a, size_t n)
{
    return rt_widetag_element_type(element_widetag(a[0]));
}
static rt_value p_array_in_bounds_p(rt_value *a, size_t n)
{
    check_array(a[0]);
    size_t r = array_rank(a[0]);
    if (n - 1 != r)
        rt_error("PROGRAM-ERROR", "Wrong number of subscripts for array of rank %zu.", r);
    for (size_t k = 0; k < r; k++)
        if (!rt_fixnump(a[k + 1]) || rt_fixnum_value(a[k + 1]) < 0 || (size_t)rt_fixnum_value(a[k + 1]) >= array_dim(a[0], k))
            return RT_NIL;
    return RT_T;
}
static rt_value p_array_row_major_index(rt_value *a, size_t n)
{
    check_array(a[0]);
    return rt_fixnum((int64_t)row_major_index(a[0], a + 1, n - 1));
}

const rt_prim_def rt_array_prims[] = {
    {"COMMON-LISP", "MAKE-ARRAY", p_make_array, 1, -1},
    {"COMMON-LISP", "AREF", p_aref, 1, -1},
    {"KONS-SYSTEM", "%ASET", p_aset, 2, -1},
    {"COMMON-LISP", "BIT", p_aref, 1, -1},
    {"COMMON-LISP", "SBIT", p_aref, 1, -1},
    {"COMMON-LISP", "SVREF", p_svref, 2, 2},
    {"KONS-SYSTEM", "%SVSET", p_svset, 3, 3},
    {"COMMON-LISP", "ROW-MAJOR-AREF", p_row_major_aref, 2, 2},
    {"KONS-SYSTEM", "%ROW-MAJOR-ASET", p_row_major_aset, 3, 3},
    {"COMMON-LISP", "ARRAY-RANK", p_array_rank, 1, 1},
    {"COMMON-LISP", "ARRAY-DIMENSION", p_array_dimension, 2, 2},
    {"COMMON-LISP", "ARRAY-DIMENSIONS", p_array_dimensions, 1, 1},
    {"COMMON-LISP", "ARRAY-TOTAL-SIZE", p_array_total_size, 1, 1},
    {"COMMON-LISP", "ARRAY-ELEMENT-TYPE", p_array_element_type, 1, 1},
    {"COMMON-LISP", "ARRAYP", p_arrayp, 1, 1},
    {"COMMON-LISP", "VECTORP", p_vectorp, 1, 1},
    {"COMMON-LISP", "SIMPLE-VECTOR-P", p_simple_vector_p, 1, 1},
    {"COMMON-LISP", "BIT-VECTOR-P", p_bit_vector_p, 1, 1},
    {"COMMON-LISP", "SIMPLE-BIT-VECTOR-P", p_simple_bit_vector_p, 1, 1},
    {"COMMON-LISP", "VECTOR", p_vector, 0, -1},
    {"COMMON-LISP", "ADJUSTABLE-ARRAY-P", p_adjustable_array_p, 1, 1},
    {"COMMON-LISP", "ARRAY-HAS-FILL-POINTER-P", p_array_has_fill_pointer_p, 1, 1},
    {"COMMON-LISP", "FILL-POINTER", p_fill_pointer, 1, 1},
    {"KONS-SYSTEM", "%SET-FILL-POINTER", p_set_fill_pointer, 2, 2},
    {"COMMON-LISP", "ARRAY-DISPLACEMENT", p_array_displacement, 1, 1},
    {"COMMON-LISP", "VECTOR-PUSH", p_vector_push, 2, 2},
    {"COMMON-LISP", "VECTOR-PUSH-EXTEND", p_vector_push_extend, 2, 3},
    {"COMMON-LISP", "VECTOR-POP", p_vector_pop, 1, 1},
    {"COMMON-LISP", "ADJUST-ARRAY", p_adjust_array, 2, -1},
    {"COMMON-LISP", "SUBSEQ", p_subseq, 2, 3},
    {"COMMON-LISP", "COPY-SEQ", p_copy_seq, 1, 1},
    {"KONS-SYSTEM", "%LIST-TO-VECTOR", p_list_to_vector, 1, 2},
    {"KONS-SYSTEM", "%VECTOR-TO-LIST", p_vector_to_list, 1, 1},
    {"COMMON-LISP", "UPGRADED-ARRAY-ELEMENT-TYPE", p_upgraded_array_element_type, 1, 2},
    {"COMMON-LISP", "ARRAY-IN-BOUNDS-P", p_array_in_bounds_p, 1, -1},
    {"COMMON-LISP", "ARRAY-ROW-MAJOR-INDEX", p_array_row_major_index, 1, -1},
};
const size_t rt_array_prims_count = RT_COUNTOF(rt_array_prims);
