/* runtime/obj_internal.h: shared internals of the objects module (rt-obj). Not public. */
#ifndef RT_OBJ_INTERNAL_H
#define RT_OBJ_INTERNAL_H

#include "rt/error.h"
#include "rt/object.h"
#include "rt/prim.h"

#define RT_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

/* Module initialisation steps, in the order rt_objects_init runs them. */
void rt_symbols_init_static(void);
void rt_packages_init(void);
void rt_symbols_init_wellknown(void);
void rt_streams_init(void);
void rt_reader_init(void);
void rt_printer_init(void);

static inline uint64_t rt_hash_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

static inline rt_value rt_check_symbol(rt_value v)
{
    if (!rt_symbolp(v))
        rt_type_error(v, "symbol");
    return v;
}
static inline rt_value rt_check_list(rt_value v)
{
    if (!rt_listp(v))
        rt_type_error(v, "list");
    return v;
}
static inline rt_value rt_check_cons(rt_value v)
{
    if (!rt_consp(v))
        rt_type_error(v, "cons");
    return v;
}
static inline uint32_t rt_check_char(rt_value v)
{
    if (!rt_characterp(v))
        rt_type_error(v, "character");
    return rt_char_code(v);
}
/* A fixnum in [lo, hi]; type-error naming the type otherwise. */
int64_t rt_check_index(rt_value v, int64_t lo, int64_t hi, const char *type);
static inline bool rt_true(rt_value v) { return !rt_null(v); }
/* The value of a special variable, NIL when unbound. */
rt_value rt_special(rt_value sym);
/* Keyword argument parsing for primitives: finds :name in args[from..nargs), returns
 * RT_NO_VALUE when absent; signals program-error on an odd or unknown keyword list
 * (allowed is a NULL-terminated list of keyword names). */
rt_value rt_kwarg(rt_value *args, size_t nargs, size_t from, const char *name);
void rt_kwargs_check(rt_value *args, size_t nargs, size_t from, const char *const *allowed);
/* Lisp string -> malloc'd UTF-8 for error messages (never fails: "?" on non-strings). */
char *rt_debug_string(rt_value v);
/* Interns a keyword from C. */
rt_value rt_keyword(const char *name);

/* Cross-file internals. */
rt_value rt_reverse_vector(rt_value v, bool destructive);
rt_value rt_make_array(rt_value dims_v, unsigned wt, rt_value initial_element, rt_value initial_contents,
                       bool adjustable, rt_value fill_pointer, rt_value displaced_to, size_t displaced_offset);
rt_value rt_subseq(rt_value seq, size_t start, size_t end);   /* end SIZE_MAX: to the end */
uint64_t rt_string_hash(rt_value s);
int32_t rt_utf8_decode_one(const uint8_t *s, size_t len, size_t *i);
rt_value rt_use_package_1(rt_value used, rt_value user);

#endif
