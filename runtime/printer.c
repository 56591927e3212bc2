/* runtime/printer.c: the Lisp printer (see rt/printer.h).
 *
 * One print call captures the *print-...* variables in a struct P, then walks the
 * object: lists iteratively along the cdr, recursion only into cars and elements, with
 * a depth limit. *print-circle* makes a first pass (iterative, an EQ table of counts)
 * before printing: objects met twice get #n= labels, assigned in printing order.
 */
#include "obj_internal.h"
#include "rt/number.h"
#include "rt/printer.h"
#include "rt/reader.h"
#include "rt/stream.h"

#include <stdio.h>
#include <stdlib.h>

static rt_print_hook hooks[RT_WT_LIMIT_];

/* The recursive path (obj -> list/array -> obj) must keep small frames: everything with
 * local buffers stays out of line (sanitizer builds put red zones around each buffer). */
#define NOINLINE __attribute__((noinline))

void rt_printer_set_hook(unsigned widetag, rt_print_hook fn)
{
    if (widetag < RT_WT_LIMIT_)
        hooks[widetag] = fn;
}

typedef struct P {
    rt_value stream, circle, pcase, rtcase;
    bool escape, readably, radix, gensym, array, pretty;
    unsigned base;
    int64_t length, level; /* -1: no limit */
    int64_t next_label;
    int depth;
    char ffmt;
    uintptr_t stack_base; /* C stack address at the print call's entry */
} P;

static void obj(P *p, rt_value x);

static void out(P *p, const char *s) { rt_write_cstr(p->stream, s); }
static void outc(P *p, uint32_t c) { rt_write_char(p->stream, c); }

const char *rt_print_address(rt_value x, char buf[24])
{
    snprintf(buf, 24, "{%llX}", (unsigned long long)(uintptr_t)rt_addr(x));
    return buf;
}

static void out_address(P *p, rt_value x)
{
    char b[24];
    out(p, rt_print_address(x, b));
}

static int64_t limit_of(rt_value v) { return rt_fixnump(v) && rt_fixnum_value(v) >= 0 ? rt_fixnum_value(v) : -1; }

static void setup(P *p, rt_value stream)
{
    char here;
    memset(p, 0, sizeof *p);
    p->stack_base = (uintptr_t)&here;
    p->stream = stream;
    p->circle = RT_NIL;
    p->readably = rt_true(rt_special(rt_sym_print_readably));
    p->escape = p->readably || rt_true(rt_special(rt_sym_print_escape));
    p->radix = rt_true(rt_special(rt_sym_print_radix));
    p->gensym = rt_true(rt_special(rt_sym_print_gensym));
    p->array = p->readably || rt_true(rt_special(rt_sym_print_array));
    p->pretty = rt_true(rt_special(rt_sym_print_pretty));
    rt_value b = rt_special(rt_sym_print_base);
    p->base = rt_fixnump(b) && rt_fixnum_value(b) >= 2 && rt_fixnum_value(b) <= 36 ? (unsigned)rt_fixnum_value(b) : 10;
    p->length = p->readably ? -1 : limit_of(rt_special(rt_sym_print_length));
    p->level = p->readably ? -1 : limit_of(rt_special(rt_sym_print_level));
    p->pcase = rt_special(rt_sym_print_case);
    p->rtcase = rt_readtable_case(rt_special(rt_sym_readtable_var));
    rt_value ff = rt_special(rt_sym_read_default_float_format);
    p->ffmt = (ff == rt_sym_double_float || ff == rt_sym_long_float) ? 'd' : 's';
    p->next_label = 1;
}

_Noreturn static void not_readable(P *p, rt_value x)
{
    (void)p;
    (void)x;
    rt_error("PRINT-NOT-READABLE", "an object cannot be printed readably");
}

/* ---- *print-circle* ------------------------------------------------------------- */

static bool circle_candidate(rt_value x)
{
    if (rt_consp(x))
        return true;
    if (!rt_objectp(x))
        return false;
    unsigned wt = rt_widetag(x);
    if (wt == RT_WT_SYMBOL)
        return rt_null(rt_body(x)[RT_SYM_PACKAGE]);
    return wt == RT_WT_SIMPLE_VECTOR || wt == RT_WT_ARRAY || wt == RT_WT_INSTANCE;
}

static void circle_scan(P *p, rt_value root)
{
    rt_value work = RT_NIL, x = RT_NIL;
    /* root before the first allocation: making the table may move a young root. */
    RT_ROOTS(work, x, root);
    p->circle = rt_make_hash_table(rt_sym_eq, 64, RT_NIL);
    work = rt_cons(root, RT_NIL);
    while (rt_consp(work)) {
        x = rt_car(work);
        work = rt_cdr(work);
        if (!circle_candidate(x))
            continue;
        bool found;
        rt_value n = rt_gethash(p->circle, x, RT_NIL, &found);
        if (found) {
            if (rt_fixnum_value(n) == 1)
                rt_puthash(p->circle, x, rt_fixnum(2));
            continue;
        }
        rt_puthash(p->circle, x, rt_fixnum(1));
        if (rt_consp(x)) {
            work = rt_cons(rt_cdr(x), work);
            work = rt_cons(rt_car(x), work);
        } else if (rt_simple_vector_p(x)) {
            for (size_t i = rt_vector_length(x); i-- > 0;)
                work = rt_cons(rt_body(x)[i], work);
        } else if (rt_widetagp(x, RT_WT_ARRAY)) {
            rt_value d = rt_body(x)[RT_ARR_DATA];
            if (rt_simple_vector_p(d))
                work = rt_cons(d, work);
        }
    }
}

/* Returns true when x was printed as #n# (the caller prints nothing more); prints the
 * #n= prefix for a first occurrence. */
NOINLINE static bool circle_mark(P *p, rt_value x)
{
    if (rt_null(p->circle) || !circle_candidate(x))
        return false;
    bool found;
    rt_value n = rt_gethash(p->circle, x, RT_NIL, &found);
    if (!found)
        return false;
    int64_t v = rt_fixnum_value(n);
    char buf[32];
    if (v < 0) {
        snprintf(buf, sizeof buf, "#%lld#", (long long)-v);
        out(p, buf);
        return true;
    }
    if (v >= 2) {
        int64_t label = p->next_label++;
        RT_ROOTS(x);
        rt_puthash(p->circle, x, rt_fixnum(-label));
        snprintf(buf, sizeof buf, "#%lld=", (long long)label);
        out(p, buf);
    }
    return false;
}

static bool circle_shared(P *p, rt_value x)
{
    if (rt_null(p->circle))
        return false;
    bool found;
    rt_value n = rt_gethash(p->circle, x, RT_NIL, &found);
    return found && (rt_fixnum_value(n) >= 2 || rt_fixnum_value(n) < 0);
}

/* ---- Numbers --------------------------------------------------------------------- */

NOINLINE static void number(P *p, rt_value x)
{
    bool integer = rt_integerp(x);
    bool ratio = rt_widetagp(x, RT_WT_RATIO);
    if (p->radix && (integer || ratio)) {
        char pre[16] = "";
        if (p->base == 2)
            strcpy(pre, "#b");
        else if (p->base == 8)
            strcpy(pre, "#o");
        else if (p->base == 16)
            strcpy(pre, "#x");
        else if (p->base != 10 || ratio)
            snprintf(pre, sizeof pre, "#%ur", p->base);
        out(p, pre);
    }
    char *s = rt_number_to_string(x, (integer || ratio) ? p->base : 10, p->ffmt);
    out(p, s);
    free(s);
    if (p->radix && integer && p->base == 10)
        outc(p, '.');
}

/* ---- Symbols --------------------------------------------------------------------- */

static bool digit_in(uint32_t c, unsigned base)
{
    unsigned d = c >= '0' && c <= '9' ? c - '0' : (c | 32) >= 'a' && (c | 32) <= 'z' ? (c | 32) - 'a' + 10 : 99;
    return d < base;
}

/* CLHS 2.3.1.1, simplified: could the name read as a number? */
static bool potential_number(const uint32_t *s, size_t n, unsigned base)
{
    if (n == 0)
        return false;
    uint32_t c0 = s[0];
    if (!(digit_in(c0, base) || c0 == '+' || c0 == '-' || c0 == '.' || c0 == '^' || c0 == '_'))
        return false;
    if (s[n - 1] == '+' || s[n - 1] == '-')
        return false;
    bool digit = false;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = s[i];
        if (digit_in(c, base) || (c >= '0' && c <= '9')) {
            digit = true;
            continue;
        }
        if (c == '+' || c == '-' || c == '/' || c == '.' || c == '^' || c == '_')
            continue;
        if (c < 128 && rt_char_alpha_p(c)) {
            if (i + 1 < n && s[i + 1] < 128 && rt_char_alpha_p(s[i + 1]) && !digit_in(s[i + 1], base))
                return false;
            continue;
        }
        return false;
    }
    return digit;
}

/* Does the name need |...| to read back as this symbol's name? */
static bool needs_bars(P *p, const uint32_t *s, size_t n)
{
    if (n == 0)
        return true;
    rt_value rt = rt_special(rt_sym_readtable_var);
    if (!rt_readtablep(rt))
        rt = rt_standard_readtable();
    size_t dots = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = s[i];
        if (c == '.')
            dots++;
        if (c == ':')
            return true;
        /* Syntax: only constituents (and # after the first character) are safe. */
        if (c < 128) {
            static const char bad[] = " \t\n\r\f()'\";`,|\\";
            if (c < 32 || c == 127 || strchr(bad, (int)c))
                return true;
            if (c == '#' && i == 0)
                return true;
        } else if (c == 0x85 || c == 0xA0 || (c >= 0x80 && c < 0xA0)) {
            return true;
        }
        if (p->rtcase == rt_sym_kw_upcase && rt_char_lower_p(c))
            return true;
        if (p->rtcase == rt_sym_kw_downcase && rt_char_upper_p(c))
            return true;
    }
    (void)rt;
    if (dots == n)
        return true;
    unsigned rb = 10;
    rt_value b = rt_special(rt_sym_read_base);
    if (rt_fixnump(b) && rt_fixnum_value(b) >= 2 && rt_fixnum_value(b) <= 36)
        rb = (unsigned)rt_fixnum_value(b);
    if (potential_number(s, n, rb))
        return true;
    return false;
}

/* Writes name characters with *print-case* applied (readtable case :upcase). */
static void cased_name(P *p, const uint32_t *s, size_t n)
{
    rt_value pc = p->pcase;
    if (p->rtcase != rt_sym_kw_upcase || (pc != rt_sym_kw_downcase && pc != rt_sym_kw_capitalize)) {
        rt_write_chars(p->stream, s, n);
        return;
    }
    uint32_t *buf = malloc((n ? n : 1) * 4);
    if (!buf)
        rt_storage_error("printer");
    bool in_word = false;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = s[i];
        bool alnum = rt_char_alpha_p(c) || (c >= '0' && c <= '9');
        if (pc == rt_sym_kw_downcase)
            buf[i] = rt_char_downcase(c);
        else {
            buf[i] = in_word && rt_char_upper_p(c) ? rt_char_downcase(c) : c;
            in_word = alnum;
        }
    }
    /* The stream write may signal; the buffer is freed before that can happen twice. */
    size_t depth = rt_root_depth();
    rt_write_chars(p->stream, buf, n);
    rt_root_restore(depth);
    free(buf);
}

static uint32_t *string_chars(rt_value s, size_t *n)
{
    size_t st;
    rt_value d = rt_string_data(s, &st, n);
    uint32_t *b = malloc((*n ? *n : 1) * 4);
    if (!b)
        rt_storage_error("printer");
    for (size_t i = 0; i < *n; i++)
        b[i] = rt_string_ref(d, st + i);
    return b;
}

static void symbol_name_out(P *p, rt_value name)
{
    size_t n;
    uint32_t *s = string_chars(name, &n);
    if (p->escape && needs_bars(p, s, n)) {
        outc(p, '|');
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '|' || s[i] == '\\')
                outc(p, '\\');
            outc(p, s[i]);
        }
        outc(p, '|');
    } else {
        cased_name(p, s, n);
    }
    free(s);
}

static bool external_in_home(rt_value sym)
{
    rt_value pkg = rt_body(sym)[RT_SYM_PACKAGE];
    rt_value status = RT_NIL;
    size_t n;
    uint32_t *s = string_chars(rt_symbol_name(sym), &n);
    rt_value found = rt_find_symbol_chars(s, n, pkg, &status);
    free(s);
    return found != RT_NO_VALUE && rt_eq(found, sym) && status == rt_sym_kw_external;
}

NOINLINE static void symbol(P *p, rt_value sym)
{
    RT_ROOTS(sym); /* writing the package prefix may allocate (string streams grow) */
    if (p->escape) {
        rt_value pkg = rt_body(sym)[RT_SYM_PACKAGE];
        if (rt_null(pkg)) {
            if (p->gensym || p->readably)
                out(p, "#:");
        } else if (rt_eq(pkg, rt_pkg_keyword)) {
            outc(p, ':');
        } else if (!rt_symbol_accessible_p(sym, rt_current_package())) {
            rt_value pname = rt_body(pkg)[RT_PKG_NAME];
            if (rt_stringp(pname))
                symbol_name_out(p, pname);
            out(p, external_in_home(sym) ? ":" : "::");
        }
    }
    symbol_name_out(p, rt_symbol_name(sym));
}

/* ---- Strings and characters ------------------------------------------------------ */

NOINLINE static void string(P *p, rt_value s)
{
    size_t st, n;
    rt_string_data(s, &st, &n);
    if (!p->escape) {
        rt_write_string(p->stream, s, 0, n);
        return;
    }
    outc(p, '"');
    size_t i = 0;
    RT_ROOTS(s);
    while (i < n) {
        uint32_t buf[128];
        size_t k = 0;
        rt_value d = rt_string_data(s, &st, &n);
        for (; i < n && k < 120; i++) {
            uint32_t c = rt_string_ref(d, st + i);
            if (c == '"' || c == '\\')
                buf[k++] = '\\';
            buf[k++] = c;
        }
        rt_write_chars(p->stream, buf, k);
    }
    outc(p, '"');
}

NOINLINE static void character(P *p, uint32_t c)
{
    if (!p->escape) {
        outc(p, c);
        return;
    }
    out(p, "#\\");
    if (c >= 32 && c < 127) {
        outc(p, c);
        return;
    }
    char buf[16];
    const char *name = rt_char_name(c, buf);
    out(p, name ? name : "?");
}

/* ---- Lists and vectors ----------------------------------------------------------- */

static bool depth_enter(P *p)
{
    char here;
    if (p->depth >= RT_READ_MAX_DEPTH || p->stack_base - (uintptr_t)&here > RT_PRINT_MAX_STACK)
        rt_storage_error("printer: nesting too deep (RT_READ_MAX_DEPTH or RT_PRINT_MAX_STACK)");
    if (p->level >= 0 && p->depth >= p->level) {
        outc(p, '#');
        return false;
    }
    p->depth++;
    return true;
}

static bool is_quote_form(P *p, rt_value x, const char **prefix)
{
    if (!rt_consp(rt_cdr(x)) || !rt_null(rt_cdr(rt_cdr(x))))
        return false;
    rt_value h = rt_car(x);
    if (h == rt_sym_quasiquote)
        *prefix = "`";
    else if (h == rt_sym_unquote)
        *prefix = ",";
    else if (h == rt_sym_unquote_splicing)
        *prefix = ",@";
    else if (h == rt_sym_unquote_nsplicing)
        *prefix = ",.";
    else if (p->pretty && h == rt_sym_quote)
        *prefix = "'";
    else if (p->pretty && h == rt_sym_function)
        *prefix = "#'";
    else
        return false;
    /* Under *print-circle*, a shared tail cannot be abbreviated. */
    return !circle_shared(p, rt_cdr(x));
}

static void list(P *p, rt_value x)
{
    const char *prefix;
    if (is_quote_form(p, x, &prefix)) {
        out(p, prefix);
        /* ,@X and ,.X are other forms: (UNQUOTE @X) prints as ", @X". */
        rt_value arg = rt_car(rt_cdr(x));
        if (prefix[0] == ',' && !prefix[1] && rt_symbolp(arg) && rt_string_length(rt_symbol_name(arg)) > 0) {
            uint32_t c0 = rt_string_ref(rt_symbol_name(arg), 0);
            if ((c0 == '@' || c0 == '.') && (!p->escape || rt_symbol_accessible_p(arg, rt_current_package())))
                outc(p, ' ');
        }
        obj(p, rt_car(rt_cdr(x)));
        return;
    }
    if (!depth_enter(p))
        return;
    RT_ROOTS(x);
    outc(p, '(');
    int64_t count = 0;
    for (;;) {
        if (p->length >= 0 && count >= p->length) {
            out(p, "...");
            break;
        }
        obj(p, rt_car(x));
        count++;
        x = rt_cdr(x);
        if (rt_null(x))
            break;
        if (!rt_consp(x) || circle_shared(p, x)) {
            out(p, " . ");
            obj(p, x);
            break;
        }
        outc(p, ' ');
    }
    outc(p, ')');
    p->depth--;
}

static void vector_body(P *p, rt_value v, size_t n)
{
    RT_ROOTS(v);
    for (size_t i = 0; i < n; i++) {
        if (i)
            outc(p, ' ');
        if (p->length >= 0 && (int64_t)i >= p->length) {
            out(p, "...");
            break;
        }
        rt_value e = rt_vector_ref(v, i);
        obj(p, e);
    }
}

NOINLINE static void unreadable_array(P *p, rt_value a)
{
    if (p->readably)
        not_readable(p, a);
    /* #<(SIMPLE-VECTOR 2) {...}> / #<(SIMPLE-ARRAY T (2 2)) {...}> */
    out(p, "#<");
    rt_value dims = RT_NIL, et = RT_NIL;
    RT_ROOTS(a, dims, et);
    if (rt_simple_vector_p(a)) {
        char buf[48];
        snprintf(buf, sizeof buf, "(SIMPLE-VECTOR %zu)", rt_vector_length(a));
        out(p, buf);
    } else {
        bool simple = rt_simple_array_data_p(a) ||
                      (rt_widetagp(a, RT_WT_ARRAY) && rt_fixnum_value(rt_body(a)[RT_ARR_FLAGS]) == 0 &&
                       rt_null(rt_body(a)[RT_ARR_FILL]));
        out(p, simple ? "(SIMPLE-ARRAY " : "(ARRAY ");
        rt_value d = rt_simple_array_data_p(a) ? a : rt_body(a)[RT_ARR_DATA];
        while (rt_widetagp(d, RT_WT_ARRAY))
            d = rt_body(d)[RT_ARR_DATA];
        et = rt_widetag_element_type(rt_widetag(d));
        bool saved = p->escape;
        p->escape = true;
        obj(p, et);
        outc(p, ' ');
        size_t rank = rt_simple_array_data_p(a) ? 1 : (size_t)rt_info(a);
        outc(p, '(');
        for (size_t k = 0; k < rank; k++) {
            char buf[32];
            size_t dim = rt_simple_array_data_p(a) ? (size_t)rt_info(a) : (size_t)rt_fixnum_value(rt_body(a)[RT_ARR_DIMS + k]);
            snprintf(buf, sizeof buf, k ? " %zu" : "%zu", dim);
            out(p, buf);
        }
        out(p, "))");
        p->escape = saved;
    }
    outc(p, ' ');
    out_address(p, a);
    outc(p, '>');
}

NOINLINE static void bit_vector(P *p, rt_value v)
{
    size_t n = rt_seq_length(v);
    out(p, "#*");
    RT_ROOTS(v);
    for (size_t i = 0; i < n; i++)
        outc(p, rt_vector_ref(v, i) == rt_fixnum(1) ? '1' : '0');
}

/* Prints the elements of dimension k of an array (row-major from *index). */
static void array_level(P *p, rt_value a, const size_t *dims, size_t rank, size_t k, size_t *index)
{
    RT_ROOTS(a);
    if (k == rank) {
        rt_value e = rt_vector_ref(a, (*index)++);
        obj(p, e);
        return;
    }
    if (!depth_enter(p)) {
        size_t skip = 1;
        for (size_t j = k; j < rank; j++)
            skip *= dims[j];
        *index += skip;
        return;
    }
    outc(p, '(');
    for (size_t i = 0; i < dims[k]; i++) {
        if (i)
            outc(p, ' ');
        if (p->length >= 0 && (int64_t)i >= p->length) {
            out(p, "...");
            size_t skip = 1;
            for (size_t j = k + 1; j < rank; j++)
                skip *= dims[j];
            *index += skip * (dims[k] - i);
            break;
        }
        array_level(p, a, dims, rank, k + 1, index);
    }
    outc(p, ')');
    p->depth--;
}

static void array(P *p, rt_value a)
{
    RT_ROOTS(a);
    bool vec = rt_vectorp(a);
    size_t off;
    rt_value d = a;
    (void)off;
    while (rt_widetagp(d, RT_WT_ARRAY))
        d = rt_body(d)[RT_ARR_DATA];
    unsigned wt = rt_widetag(d);
    if (vec && (wt == RT_WT_STRING || wt == RT_WT_BASE_STRING)) {
        string(p, a);
        return;
    }
    if (vec && wt == RT_WT_BIT_VECTOR) {
        if (!p->array && !p->readably) {
            unreadable_array(p, a);
            return;
        }
        bit_vector(p, a);
        return;
    }
    if (!p->array) {
        unreadable_array(p, a);
        return;
    }
    if (vec) {
        if (!depth_enter(p))
            return;
        out(p, "#(");
        vector_body(p, a, rt_seq_length(a));
        outc(p, ')');
        p->depth--;
        return;
    }
    size_t rank = (size_t)rt_info(a);
    size_t dims[64];
    for (size_t k = 0; k < rank && k < 64; k++)
        dims[k] = (size_t)rt_fixnum_value(rt_body(a)[RT_ARR_DIMS + k]);
    char buf[32];
    snprintf(buf, sizeof buf, "#%zuA", rank);
    out(p, buf);
    size_t index = 0;
    array_level(p, a, dims, rank, 0, &index);
}

/* ---- Other objects --------------------------------------------------------------- */

static void unreadable_begin(P *p, rt_value x, const char *type)
{
    if (p->readably)
        not_readable(p, x);
    out(p, "#<");
    out(p, type);
}

NOINLINE static void hash_table(P *p, rt_value h)
{
    unreadable_begin(p, h, "HASH-TABLE :TEST ");
    RT_ROOTS(h);
    bool saved = p->escape;
    p->escape = true;
    symbol(p, rt_body(h)[RT_HT_TEST]);
    p->escape = saved;
    char buf[48];
    snprintf(buf, sizeof buf, " :COUNT %zu ", rt_hash_count(h));
    out(p, buf);
    if (!rt_null(rt_body(h)[RT_HT_WEAKNESS])) {
        out(p, ":WEAKNESS ");
        p->escape = true;
        symbol(p, rt_body(h)[RT_HT_WEAKNESS]);
        p->escape = saved;
        outc(p, ' ');
    }
    out_address(p, h);
    outc(p, '>');
}

NOINLINE static void package(P *p, rt_value pkg)
{
    unreadable_begin(p, pkg, "PACKAGE ");
    RT_ROOTS(pkg);
    rt_value name = rt_body(pkg)[RT_PKG_NAME];
    if (rt_stringp(name)) {
        bool saved = p->escape;
        p->escape = true;
        string(p, name);
        p->escape = saved;
    } else {
        out(p, "(deleted) ");
        out_address(p, pkg);
    }
    outc(p, '>');
}

NOINLINE static void stream_obj(P *p, rt_value s)
{
    static const char *const names[] = {"STREAM", "FD-STREAM", "STRING-INPUT-STREAM", "STRING-OUTPUT-STREAM",
                                        "TWO-WAY-STREAM", "SYNONYM-STREAM", "FD-STREAM", "STREAM"};
    int64_t k = rt_fixnum_value(rt_body(s)[RT_STR_KIND]);
    RT_ROOTS(s);
    unreadable_begin(p, s, names[k >= 0 && k < 8 ? k : 0]);
    if (k == RT_STREAM_FD && rt_stringp(rt_body(s)[RT_STR_NAME])) {
        out(p, " for ");
        bool saved = p->escape;
        p->escape = true;
        string(p, rt_body(s)[RT_STR_NAME]);
        p->escape = saved;
    } else if (k == RT_STREAM_SYNONYM) {
        out(p, " :SYMBOL ");
        bool saved = p->escape;
        p->escape = true;
        symbol(p, rt_body(s)[RT_STR_BUF]);
        p->escape = saved;
    }
    outc(p, ' ');
    out_address(p, s);
    outc(p, '>');
}

NOINLINE static void instance(P *p, rt_value x)
{
    RT_ROOTS(x);
    rt_value layout = rt_body(x)[0];
    if (layout == rt_readtable_layout) {
        unreadable_begin(p, x, "READTABLE ");
        out_address(p, x);
        outc(p, '>');
        return;
    }
    rt_value f = rt_body(rt_sym_print_instance)[RT_SYM_FDEFN];
    bool fbound = rt_objectp(f) && rt_widetag(f) == RT_WT_FDEFN && !rt_null((rt_value)rt_cell_of(f)->payload) &&
                  (rt_value)rt_cell_of(f)->payload != RT_UNBOUND;
    if (fbound) {
        /* The library decides (#S(...), condition reports, #<TYPE {addr}>). The stream
         * and the printer variables are those of this call. */
        /* The third argument is the escape mode of this call (PRINC does not bind
         * *PRINT-ESCAPE*); the library binds *PRINT-ESCAPE* to it (lisplib). */
        rt_value args[3] = {x, p->stream, p->escape ? RT_T : RT_NIL};
        rt_funcall(rt_sym_print_instance, 3, args);
        return;
    }
    unreadable_begin(p, x, "INSTANCE ");
    out_address(p, x);
    outc(p, '>');
}

NOINLINE static void odd_value(P *p, rt_value x)
{
    char buf[48];
    if (!rt_immediatep(x))
        snprintf(buf, sizeof buf, "#<bad value>");
    else if (x == RT_UNBOUND)
        snprintf(buf, sizeof buf, "#<unbound marker>");
    else
        snprintf(buf, sizeof buf, "#<immediate %llu>", (unsigned long long)(x >> 4));
    if (p->readably)
        not_readable(p, x);
    out(p, buf);
}

NOINLINE static void other_object(P *p, rt_value x, unsigned wt)
{
    if (wt < RT_WT_LIMIT_ && hooks[wt]) {
        if (p->readably)
            not_readable(p, x);
        hooks[wt](x, p->stream, p->escape);
        return;
    }
    static const char *const names[RT_WT_LIMIT_] = {
        [RT_WT_CODE] = "CODE-COMPONENT", [RT_WT_FUNCTION] = "FUNCTION", [RT_WT_PRIMITIVE] = "FUNCTION",
        [RT_WT_FDEFN] = "FDEFN", [RT_WT_VALUE_CELL] = "VALUE-CELL", [RT_WT_WEAK_POINTER] = "WEAK-POINTER",
        [RT_WT_FOREIGN] = "FOREIGN-OBJECT", [RT_WT_CONDITION] = "CONDITION", [RT_WT_THREAD] = "THREAD",
        [RT_WT_RANDOM_STATE] = "RANDOM-STATE"};
    unreadable_begin(p, x, wt < RT_WT_LIMIT_ && names[wt] ? names[wt] : "UNKNOWN-OBJECT");
    outc(p, ' ');
    out_address(p, x);
    outc(p, '>');
}

static void obj(P *p, rt_value x)
{
    if (rt_fixnump(x)) {
        number(p, x);
        return;
    }
    if (rt_characterp(x)) {
        character(p, rt_char_code(x));
        return;
    }
    if (rt_single_floatp(x)) {
        number(p, x);
        return;
    }
    if (rt_immediatep(x) || !rt_pointerp(x)) {
        odd_value(p, x);
        return;
    }
    /* Writing (a growing string stream) and the circle table may allocate. */
    RT_ROOTS(x);
    if (circle_mark(p, x))
        return;
    if (rt_consp(x)) {
        list(p, x);
        return;
    }
    unsigned wt = rt_widetag(x);
    switch (wt) {
    case RT_WT_SYMBOL:
        symbol(p, x);
        return;
    case RT_WT_DOUBLE_FLOAT:
    case RT_WT_BIGNUM:
    case RT_WT_RATIO:
    case RT_WT_COMPLEX:
        number(p, x);
        return;
    case RT_WT_STRING:
    case RT_WT_BASE_STRING:
        string(p, x);
        return;
    case RT_WT_SIMPLE_VECTOR:
    case RT_WT_BIT_VECTOR:
    case RT_WT_ARRAY:
        array(p, x);
        return;
    case RT_WT_HASH_TABLE:
        hash_table(p, x);
        return;
    case RT_WT_PACKAGE:
        package(p, x);
        return;
    case RT_WT_STREAM:
        stream_obj(p, x);
        return;
    case RT_WT_INSTANCE:
        instance(p, x);
        return;
    default:
        break;
    }
    if (wt >= RT_WT_VECTOR_U8 && wt <= RT_WT_VECTOR_F64) {
        array(p, x);
        return;
    }
    other_object(p, x, wt);
}

/* ---- Entry points ---------------------------------------------------------------- */

static void print_top(rt_value x, rt_value stream, int escape_override)
{
    P p;
    stream = rt_output_stream(stream);
    setup(&p, stream);
    if (escape_override == 0) {
        p.escape = false;
        p.readably = false;
    } else if (escape_override == 1) {
        p.escape = true;
    }
    RT_ROOTS(x, p.stream, p.circle);
    if (rt_true(rt_special(rt_sym_print_circle)) && (rt_consp(x) || rt_objectp(x)))
        circle_scan(&p, x);
    obj(&p, x);
}

void rt_write(rt_value x, rt_value stream) { print_top(x, stream, -1); }
void rt_prin1(rt_value x, rt_value stream) { print_top(x, stream, 1); }
void rt_princ(rt_value x, rt_value stream) { print_top(x, stream, 0); }
void rt_print(rt_value x, rt_value stream)
{
    RT_ROOTS(x);
    stream = rt_output_stream(stream);
    RT_ROOTS(stream);
    rt_terpri(stream);
    rt_prin1(x, stream);
    rt_write_char(stream, ' ');
}

rt_value rt_prin1_to_string(rt_value x)
{
    RT_ROOTS(x);
    rt_value s = rt_make_string_output_stream();
    RT_ROOTS(s);
    rt_prin1(x, s);
    return rt_get_output_stream_string(s);
}

rt_value rt_princ_to_string(rt_value x)
{
    RT_ROOTS(x);
    rt_value s = rt_make_string_output_stream();
    RT_ROOTS(s);
    rt_princ(x, s);
    return rt_get_output_stream_string(s);
}

char *rt_print_to_utf8(rt_value x, bool escape)
{
    rt_value s = escape ? rt_prin1_to_string(x) : rt_princ_to_string(x);
    return rt_string_to_utf8(s, NULL);
}

void rt_printer_init(void) {}

/* ---- Lisp functions -------------------------------------------------------------- */

static rt_value opt(rt_value *a, size_t n, size_t i, rt_value d) { return n > i ? a[i] : d; }

static rt_value p_prin1(rt_value *a, size_t n)
{
    rt_value x = a[0];
    RT_ROOTS(x);
    rt_prin1(x, opt(a, n, 1, RT_NIL));
    return x;
}
static rt_value p_princ(rt_value *a, size_t n)
{
    rt_value x = a[0];
    RT_ROOTS(x);
    rt_princ(x, opt(a, n, 1, RT_NIL));
    return x;
}
static rt_value p_print(rt_value *a, size_t n)
{
    rt_value x = a[0];
    RT_ROOTS(x);
    rt_print(x, opt(a, n, 1, RT_NIL));
    return x;
}
static rt_value p_pprint(rt_value *a, size_t n)
{
    rt_value x = a[0];
    rt_value s = rt_output_stream(opt(a, n, 1, RT_NIL));
    RT_ROOTS(x, s);
    rt_terpri(s);
    rt_prin1(x, s);
    return rt_values(0, NULL);
}

/* (write object &key stream escape radix base circle pretty level length case gensym
 * array readably right-margin miser-width lines pprint-dispatch). The keyword values
 * apply to this call (they are not visible to print functions written in Lisp; the
 * library's WRITE binds the variables and calls SYS:%WRITE instead). */
static rt_value write_kw(rt_value *a, size_t n, bool to_string)
{
    static const char *const keys[] = {"STREAM", "ESCAPE", "RADIX", "BASE", "CIRCLE", "PRETTY", "LEVEL",
                                       "LENGTH", "CASE", "GENSYM", "ARRAY", "READABLY", "RIGHT-MARGIN",
                                       "MISER-WIDTH", "LINES", "PPRINT-DISPATCH", NULL};
    rt_kwargs_check(a, n, 1, keys);
    rt_value x = a[0];
    rt_value stream = to_string ? RT_NIL : rt_kwarg(a, n, 1, "STREAM");
    RT_ROOTS(x, stream);
    if (to_string)
        stream = rt_make_string_output_stream();
    else
        stream = rt_output_stream(stream == RT_NO_VALUE ? RT_NIL : stream);
    P p;
    setup(&p, stream);
    rt_value v;
#define KW(name, field, expr)                          \
    if ((v = rt_kwarg(a, n, 1, name)) != RT_NO_VALUE) \
        p.field = expr;
    KW("ESCAPE", escape, rt_true(v))
    KW("RADIX", radix, rt_true(v))
    KW("BASE", base, (unsigned)rt_check_index(v, 2, 36, "(integer 2 36)"))
    KW("PRETTY", pretty, rt_true(v))
    KW("LEVEL", level, limit_of(v))
    KW("LENGTH", length, limit_of(v))
    KW("CASE", pcase, v)
    KW("GENSYM", gensym, rt_true(v))
    KW("ARRAY", array, rt_true(v))
    KW("READABLY", readably, rt_true(v))
#undef KW
    if (p.readably)
        p.escape = true, p.array = true, p.length = -1, p.level = -1;
    rt_value circle = rt_kwarg(a, n, 1, "CIRCLE");
    bool do_circle = circle == RT_NO_VALUE ? rt_true(rt_special(rt_sym_print_circle)) : rt_true(circle);
    RT_ROOTS(p.stream, p.circle);
    if (do_circle && (rt_consp(x) || rt_objectp(x)))
        circle_scan(&p, x);
    obj(&p, x);
    if (to_string)
        return rt_get_output_stream_string(stream);
    return x;
}
static rt_value p_write(rt_value *a, size_t n) { return write_kw(a, n, false); }
static rt_value p_write_to_string(rt_value *a, size_t n) { return write_kw(a, n, true); }
static rt_value p_prin1_to_string(rt_value *a, size_t n) { return rt_prin1_to_string(a[0]); }
static rt_value p_princ_to_string(rt_value *a, size_t n) { return rt_princ_to_string(a[0]); }
/* (SYS:%WRITE object stream): prints per the current variables. */
static rt_value p_sys_write(rt_value *a, size_t n)
{
    rt_value x = a[0];
    RT_ROOTS(x);
    rt_write(x, a[1]);
    return x;
}
/* (SYS:%PRINT-ADDRESS object) -> "{ADDR}" string, for the library's #<...> forms. */
static rt_value p_print_address(rt_value *a, size_t n)
{
    char buf[24];
    return rt_string_from_cstr(rt_print_address(a[0], buf));
}

const rt_prim_def rt_printer_prims[] = {
    {"COMMON-LISP", "PRIN1", p_prin1, 1, 2},
    {"COMMON-LISP", "PRINC", p_princ, 1, 2},
    {"COMMON-LISP", "PRINT", p_print, 1, 2},
    {"COMMON-LISP", "PPRINT", p_pprint, 1, 2},
    {"COMMON-LISP", "WRITE", p_write, 1, -1},
    {"COMMON-LISP", "WRITE-TO-STRING", p_write_to_string, 1, -1},
    {"COMMON-LISP", "PRIN1-TO-STRING", p_prin1_to_string, 1, 1},
    {"COMMON-LISP", "PRINC-TO-STRING", p_princ_to_string, 1, 1},
    {"KONS-SYSTEM", "%WRITE", p_sys_write, 2, 2},
    {"KONS-SYSTEM", "%PRINT-ADDRESS", p_print_address, 1, 1},
};
const size_t rt_printer_prims_count = RT_COUNTOF(rt_printer_prims);
