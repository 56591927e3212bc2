/* runtime/symbol.c: NIL and T in static space, symbols, property lists, gensym, the
 * table of well-known symbols, and rt_objects_init (the order of the module's start-up).
 */
#include "obj_internal.h"
#include "rt/number.h"

#include <stdio.h>
#include <stdlib.h>

uint64_t rt_string_hash(rt_value s);

#define RT_DEFINE_SYM_(c, n, p) rt_value rt_sym_##c;
RT_WELL_KNOWN_SYMBOLS(RT_DEFINE_SYM_)
#undef RT_DEFINE_SYM_

static void init_symbol_body(rt_value *b, rt_value name)
{
    b[RT_SYM_NAME] = name;
    b[RT_SYM_VALUE] = RT_UNBOUND;
    b[RT_SYM_FDEFN] = RT_NIL;
    b[RT_SYM_PLIST] = RT_NIL;
    b[RT_SYM_PACKAGE] = RT_NIL;
    b[RT_SYM_HASH] = rt_fixnum(0);
    b[RT_SYM_FLAGS] = rt_fixnum(0);
    b[RT_SYM_TLS_INDEX] = rt_fixnum(0);
}

static rt_value symbol_hash_of(rt_value name)
{
    return rt_fixnum((int64_t)(rt_string_hash(name) & ((UINT64_C(1) << 61) - 1)));
}

rt_value rt_make_symbol(rt_value name)
{
    if (!rt_stringp(name))
        rt_type_error(name, "string");
    RT_ROOTS(name);
    rt_value sym = rt_alloc_object(RT_WT_SYMBOL, 0, RT_SYM_NSLOTS, RT_SYM_NSLOTS);
    rt_value *b = rt_body(sym);
    init_symbol_body(b, name);
    b[RT_SYM_HASH] = symbol_hash_of(name);
    return sym;
}

/* NIL and T: header cells in static space (reserved by the heap), each given the rack of
 * a freshly allocated donor symbol (rt_static_adopt_rack). Static cells are roots. */
static void make_static_symbol(rt_value sym, const char *name)
{
    rt_value s = rt_string_from_cstr(name);
    RT_ROOTS(s);
    rt_value donor = rt_alloc_object(RT_WT_SYMBOL, 0, RT_SYM_NSLOTS, RT_SYM_NSLOTS);
    rt_value *b = rt_body(donor);
    init_symbol_body(b, s);
    b[RT_SYM_HASH] = symbol_hash_of(s);
    b[RT_SYM_VALUE] = sym;
    b[RT_SYM_FLAGS] = rt_fixnum(RT_SYMF_CONSTANT | RT_SYMF_LOCKED | RT_SYMF_SPECIAL);
    rt_header_cell *c = rt_cell_of(sym);
    c->header = rt_make_header(RT_WT_SYMBOL, 0);
    rt_touch(c);
    rt_static_adopt_rack(sym, donor);
}

void rt_symbols_init_static(void)
{
    make_static_symbol(RT_NIL, "NIL");
    make_static_symbol(RT_T, "T");
    /* Pre-made symbols the package system itself needs (hash-table tests). They are
     * adopted by COMMON-LISP when it is filled (rt_packages_init). */
    static const char *const pre[] = {"EQ", "EQL", "EQUAL", "EQUALP"};
    rt_value *slots[] = {&rt_sym_eq, &rt_sym_eql, &rt_sym_equal, &rt_sym_equalp};
    for (int i = 0; i < 4; i++) {
        rt_register_global(slots[i]);
        rt_value s = rt_string_from_cstr(pre[i]);
        *slots[i] = rt_make_symbol(s);
    }
}

void rt_symbols_init_wellknown(void)
{
#define RT_INTERN_SYM_(c, n, p)                                                        \
    rt_register_global(&rt_sym_##c);                                                 \
    rt_sym_##c = rt_intern_c(n, !strcmp(#p, "CL")    ? "COMMON-LISP"                 \
                                : !strcmp(#p, "KW")  ? "KEYWORD"                     \
                                : !strcmp(#p, "SYS") ? "KONS-SYSTEM"                 \
                                                     : "KONS");
    RT_WELL_KNOWN_SYMBOLS(RT_INTERN_SYM_)
#undef RT_INTERN_SYM_

    /* The well-known KONS-SYSTEM symbols are its interface to the library: exported. */
#define RT_EXPORT_SYS_(c, n, p)                                                        \
    if (!strcmp(#p, "SYS"))                                                            \
        rt_export(rt_sym_##c, rt_pkg_sys);
    RT_WELL_KNOWN_SYMBOLS(RT_EXPORT_SYS_)
#undef RT_EXPORT_SYS_

    /* Standard variables and their initial values, as SBCL has them under --script.
     * *print-pretty* is T as in SBCL: the printer then abbreviates (QUOTE X) as 'X and
     * #'X, but does not break lines yet. Streams, *readtable* and *package* are set by
     * their modules. */
    struct { rt_value *sym; rt_value val; } vars[] = {
        {&rt_sym_read_base, rt_fixnum(10)},
        {&rt_sym_read_default_float_format, rt_sym_single_float},
        {&rt_sym_read_eval, RT_T},
        {&rt_sym_read_suppress, RT_NIL},
        {&rt_sym_print_escape, RT_T},
        {&rt_sym_print_readably, RT_NIL},
        {&rt_sym_print_base, rt_fixnum(10)},
        {&rt_sym_print_radix, RT_NIL},
        {&rt_sym_print_circle, RT_NIL},
        {&rt_sym_print_length, RT_NIL},
        {&rt_sym_print_level, RT_NIL},
        {&rt_sym_print_case, rt_sym_kw_upcase},
        {&rt_sym_print_gensym, RT_T},
        {&rt_sym_print_array, RT_T},
        {&rt_sym_print_pretty, RT_T},
        {&rt_sym_print_lines, RT_NIL},
        {&rt_sym_print_right_margin, RT_NIL},
        {&rt_sym_print_miser_width, RT_NIL},
        {&rt_sym_print_pprint_dispatch, RT_NIL},
        {&rt_sym_gensym_counter, rt_fixnum(0)},
        {&rt_sym_package_var, rt_pkg_cl_user},
    };
    for (size_t i = 0; i < RT_COUNTOF(vars); i++) {
        rt_value s = *vars[i].sym;
        RT_STORE(rt_body(s)[RT_SYM_VALUE], vars[i].val);
        RT_STORE(rt_body(s)[RT_SYM_FLAGS], rt_fixnum(rt_symbol_flags(s) | RT_SYMF_SPECIAL));
    }
    rt_value feats = rt_list(8, rt_sym_kw_kons, rt_sym_kw_common_lisp, rt_sym_kw_ansi_cl,
                             rt_sym_kw_x86_64, rt_sym_kw_64_bit, rt_sym_kw_linux, rt_sym_kw_unix,
                             rt_sym_kw_little_endian);
    RT_STORE(rt_body(rt_sym_features)[RT_SYM_VALUE], feats);
    rt_value special_only[] = {rt_sym_features, rt_sym_readtable_var, rt_sym_standard_input,
                               rt_sym_standard_output, rt_sym_error_output, rt_sym_terminal_io,
                               rt_sym_trace_output, rt_sym_query_io, rt_sym_debug_io};
    for (size_t i = 0; i < RT_COUNTOF(special_only); i++)
        RT_STORE(rt_body(special_only[i])[RT_SYM_FLAGS],
                 rt_fixnum(rt_symbol_flags(special_only[i]) | RT_SYMF_SPECIAL));
}

void rt_objects_init(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    rt_symbols_init_static();
    rt_packages_init();
    rt_symbols_init_wellknown();
    rt_streams_init();
    rt_reader_init();
    rt_printer_init();
}

/* ---- Helpers shared by the module ------------------------------------------------ */

int64_t rt_check_index(rt_value v, int64_t lo, int64_t hi, const char *type)
{
    if (!rt_fixnump(v) || rt_fixnum_value(v) < lo || rt_fixnum_value(v) > hi) {
        char buf[96];
        if (hi >= lo && hi < INT64_C(1) << 60)
            snprintf(buf, sizeof buf, "(integer %lld %lld)", (long long)lo, (long long)hi);
        else
            snprintf(buf, sizeof buf, "%s", type);
        rt_type_error(v, buf);
    }
    return rt_fixnum_value(v);
}

rt_value rt_special(rt_value sym)
{
    rt_value v = rt_symbol_value(sym);
    return v == RT_UNBOUND ? RT_NIL : v;
}

static bool keyword_named(rt_value k, const char *name)
{
    if (!rt_symbolp(k) || !rt_keywordp(k))
        return false;
    rt_value s = rt_symbol_name(k);
    size_t len = strlen(name);
    if (rt_string_length(s) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (rt_string_ref(s, i) != (uint8_t)name[i])
            return false;
    return true;
}

rt_value rt_kwarg(rt_value *args, size_t nargs, size_t from, const char *name)
{
    for (size_t i = from; i + 1 < nargs; i += 2)
        if (keyword_named(args[i], name))
            return args[i + 1];
    return RT_NO_VALUE;
}

void rt_kwargs_check(rt_value *args, size_t nargs, size_t from, const char *const *allowed)
{
    if (nargs > from && (nargs - from) % 2)
        rt_error("PROGRAM-ERROR", "odd number of &KEY arguments");
    for (size_t i = from; i < nargs; i += 2) {
        if (keyword_named(args[i], "ALLOW-OTHER-KEYS") && rt_true(args[i + 1]))
            return;
    }
    for (size_t i = from; i < nargs; i += 2) {
        bool ok = keyword_named(args[i], "ALLOW-OTHER-KEYS");
        for (size_t k = 0; !ok && allowed[k]; k++)
            ok = keyword_named(args[i], allowed[k]);
        if (!ok) {
            char *s = rt_debug_string(args[i]);
            /* The message is built before signalling so the buffer can be freed. */
            char msg[128];
            snprintf(msg, sizeof msg, "%s", s);
            free(s);
            rt_error("PROGRAM-ERROR", "unknown &KEY argument: %s", msg);
        }
    }
}

rt_value rt_keyword(const char *name) { return rt_intern_c(name, "KEYWORD"); }

bool rt_keywordp(rt_value v)
{
    return rt_symbolp(v) && rt_body(v)[RT_SYM_PACKAGE] == rt_pkg_keyword;
}

/* ---- Property lists -------------------------------------------------------------- */

rt_value rt_symbol_plist_get(rt_value sym, rt_value indicator, rt_value dflt)
{
    for (rt_value l = rt_body(sym)[RT_SYM_PLIST]; rt_consp(l) && rt_consp(rt_cdr(l)); l = rt_cdr(rt_cdr(l)))
        if (rt_eq(rt_car(l), indicator))
            return rt_car(rt_cdr(l));
    return dflt;
}

void rt_symbol_plist_put(rt_value sym, rt_value indicator, rt_value value)
{
    for (rt_value l = rt_body(sym)[RT_SYM_PLIST]; rt_consp(l) && rt_consp(rt_cdr(l)); l = rt_cdr(rt_cdr(l)))
        if (rt_eq(rt_car(l), indicator)) {
            rt_set_car(rt_cdr(l), value);
            return;
        }
    RT_ROOTS(sym, indicator);
    rt_value tail = rt_cons(value, rt_body(sym)[RT_SYM_PLIST]);
    tail = rt_cons(indicator, tail);
    RT_STORE(rt_body(sym)[RT_SYM_PLIST], tail);
}

rt_value rt_gensym(const char *prefix)
{
    rt_value counter = rt_symbol_value(rt_sym_gensym_counter);
    int64_t n = rt_fixnump(counter) ? rt_fixnum_value(counter) : 0;
    char buf[96];
    snprintf(buf, sizeof buf, "%s%lld", prefix, (long long)n);
    rt_set_symbol_value(rt_sym_gensym_counter, rt_fixnum(n + 1));
    return rt_make_symbol(rt_string_from_cstr(buf));
}

/* ---- Lisp functions -------------------------------------------------------------- */

static rt_value p_symbolp(rt_value *a, size_t n) { return rt_bool(rt_symbolp(a[0])); }
static rt_value p_keywordp(rt_value *a, size_t n) { return rt_bool(rt_keywordp(a[0])); }
static rt_value p_make_symbol(rt_value *a, size_t n)
{
    if (!rt_stringp(a[0]))
        rt_type_error(a[0], "string");
    /* The symbol keeps its own copy when the name is not simple. */
    if (!rt_simple_string_p(a[0])) {
        size_t st, len;
        rt_value d = rt_string_data(a[0], &st, &len);
        uint32_t *tmp = malloc((len ? len : 1) * 4);
        if (!tmp)
            rt_storage_error("symbol name");
        for (size_t i = 0; i < len; i++)
            tmp[i] = rt_string_ref(d, st + i);
        rt_value s = rt_string_from_chars(tmp, len);
        free(tmp);
        return rt_make_symbol(s);
    }
    return rt_make_symbol(a[0]);
}

static rt_value p_gensym(rt_value *a, size_t n)
{
    if (n > 0 && rt_fixnump(a[0])) {
        char buf[64];
        snprintf(buf, sizeof buf, "G%lld", (long long)rt_fixnum_value(a[0]));
        return rt_make_symbol(rt_string_from_cstr(buf));
    }
    if (n > 0) {
        if (!rt_stringp(a[0]))
            rt_type_error(a[0], "(or string (integer 0 *))");
        char *p = rt_string_to_utf8(a[0], NULL);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s", p);
        bool truncated = strlen(p) >= sizeof prefix;
        if (truncated) {
            /* Long prefixes: build the name without the fixed buffer. */
            rt_value counter = rt_symbol_value(rt_sym_gensym_counter);
            int64_t k = rt_fixnump(counter) ? rt_fixnum_value(counter) : 0;
            size_t len = strlen(p) + 24;
            char *buf = malloc(len);
            if (!buf) {
                free(p);
                rt_storage_error("gensym name");
            }
            snprintf(buf, len, "%s%lld", p, (long long)k);
            free(p);
            rt_set_symbol_value(rt_sym_gensym_counter, rt_fixnum(k + 1));
            rt_value s = rt_string_from_cstr(buf);
            free(buf);
            return rt_make_symbol(s);
        }
        free(p);
        return rt_gensym(prefix);
    }
    return rt_gensym("G");
}

static rt_value p_symbol_name(rt_value *a, size_t n) { return rt_symbol_name(rt_check_symbol(a[0])); }
static rt_value p_symbol_package(rt_value *a, size_t n) { return rt_body(rt_check_symbol(a[0]))[RT_SYM_PACKAGE]; }
static rt_value p_symbol_plist(rt_value *a, size_t n) { return rt_body(rt_check_symbol(a[0]))[RT_SYM_PLIST]; }
static rt_value p_set_symbol_plist(rt_value *a, size_t n)
{
    RT_STORE(rt_body(rt_check_symbol(a[0]))[RT_SYM_PLIST], a[1]);
    return a[1];
}
static rt_value p_get(rt_value *a, size_t n)
{
    return rt_symbol_plist_get(rt_check_symbol(a[0]), a[1], n > 2 ? a[2] : RT_NIL);
}
/* (SYS:%PUT symbol indicator value) */
static rt_value p_put(rt_value *a, size_t n)
{
    rt_value v = a[2];
    RT_ROOTS(v);
    rt_symbol_plist_put(rt_check_symbol(a[0]), a[1], a[2]);
    return v;
}
static rt_value p_remprop(rt_value *a, size_t n)
{
    rt_value sym = rt_check_symbol(a[0]);
    rt_value prev = RT_NIL;
    for (rt_value l = rt_body(sym)[RT_SYM_PLIST]; rt_consp(l) && rt_consp(rt_cdr(l)); l = rt_cdr(rt_cdr(l))) {
        if (rt_eq(rt_car(l), a[1])) {
            rt_value rest = rt_cdr(rt_cdr(l));
            if (rt_null(prev))
                RT_STORE(rt_body(sym)[RT_SYM_PLIST], rest);
            else
                rt_set_cdr(rt_cdr(prev), rest);
            return RT_T;
        }
        prev = l;
    }
    return RT_NIL;
}
static rt_value p_copy_symbol(rt_value *a, size_t n)
{
    rt_value old = rt_check_symbol(a[0]);
    bool all = n > 1 && rt_true(a[1]);
    RT_ROOTS(old);
    rt_value s = rt_make_symbol(rt_symbol_name(old));
    if (all) {
        rt_value *o = rt_body(old), *b = rt_body(s);
        RT_STORE(b[RT_SYM_VALUE], o[RT_SYM_VALUE]);
        RT_STORE(b[RT_SYM_PLIST], o[RT_SYM_PLIST]);
        rt_value copy = RT_NIL, l = rt_body(old)[RT_SYM_PLIST];
        RT_ROOTS(s, copy, l);
        for (; rt_consp(l); l = rt_cdr(l)) {
            rt_value x = rt_car(l);
            copy = rt_cons(x, copy);
        }
        RT_STORE(rt_body(s)[RT_SYM_PLIST], rt_nreverse(copy));
        RT_STORE(rt_body(s)[RT_SYM_FDEFN], rt_body(old)[RT_SYM_FDEFN]);
    }
    return s;
}
/* (SYS:%SYMBOL-FLAGS sym) and (SYS:%SET-SYMBOL-FLAGS sym fixnum): for the VM and
 * library (special proclamations, constants). */
static rt_value p_symbol_flags(rt_value *a, size_t n) { return rt_body(rt_check_symbol(a[0]))[RT_SYM_FLAGS]; }
static rt_value p_set_symbol_flags(rt_value *a, size_t n)
{
    rt_check_symbol(a[0]);
    if (!rt_fixnump(a[1]))
        rt_type_error(a[1], "fixnum");
    RT_STORE(rt_body(a[0])[RT_SYM_FLAGS], a[1]);
    return a[1];
}

const rt_prim_def rt_symbol_prims[] = {
    {"COMMON-LISP", "SYMBOLP", p_symbolp, 1, 1},
    {"COMMON-LISP", "KEYWORDP", p_keywordp, 1, 1},
    {"COMMON-LISP", "MAKE-SYMBOL", p_make_symbol, 1, 1},
    {"COMMON-LISP", "GENSYM", p_gensym, 0, 1},
    {"COMMON-LISP", "SYMBOL-NAME", p_symbol_name, 1, 1},
    {"COMMON-LISP", "SYMBOL-PACKAGE", p_symbol_package, 1, 1},
    {"COMMON-LISP", "SYMBOL-PLIST", p_symbol_plist, 1, 1},
    {"KONS-SYSTEM", "%SET-SYMBOL-PLIST", p_set_symbol_plist, 2, 2},
    {"COMMON-LISP", "GET", p_get, 2, 3},
    {"KONS-SYSTEM", "%PUT", p_put, 3, 3},
    {"COMMON-LISP", "REMPROP", p_remprop, 2, 2},
    {"COMMON-LISP", "COPY-SYMBOL", p_copy_symbol, 1, 2},
    {"KONS-SYSTEM", "%SYMBOL-FLAGS", p_symbol_flags, 1, 1},
    {"KONS-SYSTEM", "%SET-SYMBOL-FLAGS", p_set_symbol_flags, 2, 2},
};
const size_t rt_symbol_prims_count = RT_COUNTOF(rt_symbol_prims);
