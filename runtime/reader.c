/* runtime/reader.c: the Lisp reader (see rt/reader.h).
 *
 * One READ is a loop over characters with an explicit stack of frames (a simple
 * vector, 4 words per frame) for the constructs that wrap the objects read inside them:
 * lists, #( vectors, the quote-like prefixes, #. #C #nA #S #P, #+/#- and #n=. An object
 * that completes is "delivered" to the frame on top; when no frame is left it is the
 * result. So nesting costs no C stack, and the depth limit RT_READ_MAX_DEPTH is a
 * policy (kept equal to the printer's) rather than a guard against a crash.
 *
 * Errors: reader_error() either signals through rt/error.h or, for the status API,
 * longjmps back to rt_read_status with the message (the root stack depth is restored
 * and the token buffers are freed there).
 *
 * Readtable (an instance with layout rt_readtable_layout), slots:
 *   0 case keyword; 1 syntax types of chars < 128 (simple vector of fixnums);
 *   2 macro functions of chars < 128 (NIL, a fixnum naming a built-in macro, or a
 *     function designator); 3 dispatch tables (NIL or a simple vector of 128 entries
 *     for the sub-characters, upcased; entries as for macros); 4 entries for chars
 *     >= 128: alist (code syntax macro dispatch-table).
 */
#include "obj_internal.h"
#include "rt/number.h"
#include "rt/reader.h"
#include "rt/stream.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

rt_value rt_make_array(rt_value dims_v, unsigned wt, rt_value initial_element, rt_value initial_contents,
                       bool adjustable, rt_value fill_pointer, rt_value displaced_to, size_t displaced_offset);

enum syntax { S_CONSTITUENT = 0, S_WHITESPACE, S_TERM_MACRO, S_NONTERM_MACRO, S_SINGLE_ESC, S_MULTI_ESC, S_INVALID };
enum { RTS_CASE = 0, RTS_SYNTAX, RTS_MACROS, RTS_DISPATCH, RTS_EXTRA, RTS_NSLOTS };
/* Built-in macro codes (stored as fixnums in the macro and dispatch tables). */
enum {
    M_LPAREN = 1, M_RPAREN, M_QUOTE, M_BACKQUOTE, M_COMMA, M_SEMI, M_STRING, M_SHARP,
    D_VECTOR = 20, D_FUNCTION, D_CHAR, D_UNINTERNED, D_EVAL, D_BIN, D_OCT, D_HEX, D_RADIX, D_COMPLEX,
    D_ARRAY, D_BITS, D_PLUS, D_MINUS, D_COMMENT, D_LABEL, D_REF, D_PATH, D_STRUCT
};
/* Frame kinds. */
enum { F_LIST = 1, F_LIST_DOT, F_LIST_DONE, F_VECTOR, F_WRAP, F_EVAL, F_COMPLEX, F_PATH, F_STRUCT,
       F_ARRAY, F_FEATURE, F_LABEL };
#define FRAME_WORDS 4
#define DOT_MARKER RT_IMMEDIATE(40)

rt_value rt_readtable_layout;
static rt_value standard_readtable; /* pristine copy for (copy-readtable nil) */
/* #n= labels of the running thread's current outermost read (per thread: a read that
 * evaluates #. may be switched out while another thread reads). */
#define labels (*rt_thread_local(RT_TL_READ_LABELS))

typedef struct R {
    rt_value stream, readtable, stack, tmp, tmp2;
    size_t sp;                 /* words used in stack */
    int suppress;              /* > 0: *read-suppress* or inside a false #+/#- */
    int kwmode;                /* > 0: reading a feature expression (keywords) */
    unsigned base;
    char ffmt;
    bool preserve_ws;
    bool recursive;
    bool status_mode;
    jmp_buf jb;
    char *errbuf;
    uint32_t *tok;
    uint8_t *esc;
    size_t toklen, tokcap;
    uint32_t *sbuf;
    size_t slen, scap;
} R;

/* ---- Errors ---------------------------------------------------------------------- */

_Noreturn static void reader_error(R *r, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
_Noreturn static void reader_error(R *r, const char *type, const char *fmt, ...)
{
    char msg[RT_READ_ERRBUF - 32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->status_mode) {
        snprintf(r->errbuf, RT_READ_ERRBUF, "%s: %s", type, msg);
        longjmp(r->jb, 1);
    }
    free(r->tok);
    free(r->esc);
    free(r->sbuf);
    r->tok = NULL, r->esc = NULL, r->sbuf = NULL;
    rt_error(type, "%s", msg);
}

/* A printable rendering of a character for messages. */
static const char *char_desc(uint32_t c, char buf[24])
{
    char nb[16];
    const char *name = rt_char_name(c, nb);
    if (!name) {
        char u[4];
        int k = rt_utf8_encode(c, u);
        snprintf(buf, 24, "#\\%.*s", k, u);
    } else {
        snprintf(buf, 24, "#\\%s", name);
    }
    return buf;
}

/* ---- Readtables ------------------------------------------------------------------ */

static rt_value rt_slot(rt_value rt, int k) { return rt_body(rt)[1 + k]; }

bool rt_readtablep(rt_value v) { return rt_instancep(v) && rt_body(v)[0] == rt_readtable_layout; }
rt_value rt_readtable_case(rt_value readtable)
{
    return rt_readtablep(readtable) ? rt_slot(readtable, RTS_CASE) : rt_sym_kw_upcase;
}

static rt_value extra_entry(rt_value rt, uint32_t c)
{
    for (rt_value l = rt_slot(rt, RTS_EXTRA); rt_consp(l); l = rt_cdr(l))
        if (rt_fixnum_value(rt_car(rt_car(l))) == (int64_t)c)
            return rt_car(l);
    return RT_NIL;
}

static enum syntax syntax_of(rt_value rt, int32_t c)
{
    if (c < 128)
        return (enum syntax)rt_fixnum_value(rt_body(rt_slot(rt, RTS_SYNTAX))[c]);
    rt_value e = extra_entry(rt, (uint32_t)c);
    return rt_null(e) ? S_CONSTITUENT : (enum syntax)rt_fixnum_value(rt_car(rt_cdr(e)));
}

static rt_value macro_of(rt_value rt, uint32_t c)
{
    if (c < 128)
        return rt_body(rt_slot(rt, RTS_MACROS))[c];
    rt_value e = extra_entry(rt, c);
    return rt_null(e) ? RT_NIL : rt_car(rt_cdr(rt_cdr(e)));
}

static rt_value dispatch_table_of(rt_value rt, uint32_t c)
{
    if (c < 128)
        return rt_body(rt_slot(rt, RTS_DISPATCH))[c];
    rt_value e = extra_entry(rt, c);
    return rt_null(e) ? RT_NIL : rt_car(rt_cdr(rt_cdr(rt_cdr(e))));
}

static rt_value make_readtable(void)
{
    rt_value rt = rt_make_instance(rt_readtable_layout, RTS_NSLOTS);
    RT_ROOTS(rt);
    rt_value v = rt_make_simple_vector(128, rt_fixnum(S_CONSTITUENT));
    rt_store(&rt_body(rt)[1 + RTS_SYNTAX], v);
    v = rt_make_simple_vector(128, RT_NIL);
    rt_store(&rt_body(rt)[1 + RTS_MACROS], v);
    v = rt_make_simple_vector(128, RT_NIL);
    rt_store(&rt_body(rt)[1 + RTS_DISPATCH], v);
    rt_store(&rt_body(rt)[1 + RTS_EXTRA], RT_NIL);
    rt_store(&rt_body(rt)[1 + RTS_CASE], rt_sym_kw_upcase);
    return rt;
}

static rt_value copy_vector(rt_value v)
{
    RT_ROOTS(v);
    size_t n = rt_vector_length(v);
    rt_value c = rt_make_simple_vector(n, RT_NIL);
    memcpy(rt_body(c), rt_body(v), n * 8);
    return c;
}

rt_value rt_copy_readtable(rt_value from, rt_value to)
{
    if (rt_null(from))
        from = standard_readtable;
    if (!rt_readtablep(from))
        rt_type_error(from, "readtable");
    RT_ROOTS(from, to);
    if (rt_null(to))
        to = make_readtable();
    else if (!rt_readtablep(to))
        rt_type_error(to, "readtable");
    rt_value v = RT_NIL, d = RT_NIL, extra = RT_NIL, e = RT_NIL;
    RT_ROOTS(v, d, extra, e);
    rt_store(&rt_body(to)[1 + RTS_CASE], rt_slot(from, RTS_CASE));
    v = copy_vector(rt_slot(from, RTS_SYNTAX));
    rt_store(&rt_body(to)[1 + RTS_SYNTAX], v);
    v = copy_vector(rt_slot(from, RTS_MACROS));
    rt_store(&rt_body(to)[1 + RTS_MACROS], v);
    v = copy_vector(rt_slot(from, RTS_DISPATCH));
    rt_store(&rt_body(to)[1 + RTS_DISPATCH], v);
    for (size_t i = 0; i < 128; i++) {
        d = rt_body(v)[i];
        if (rt_simple_vector_p(d)) {
            d = copy_vector(d);
            rt_store(&rt_body(v)[i], d);
        }
    }
    rt_value l = rt_slot(from, RTS_EXTRA);
    RT_ROOTS(l);
    for (; rt_consp(l); l = rt_cdr(l)) {
        e = rt_car(l);
        d = rt_car(rt_cdr(rt_cdr(rt_cdr(e))));
        if (rt_simple_vector_p(d))
            d = copy_vector(d);
        e = rt_car(l);
        e = rt_list(4, rt_car(e), rt_car(rt_cdr(e)), rt_car(rt_cdr(rt_cdr(e))), d);
        extra = rt_cons(e, extra);
    }
    rt_store(&rt_body(to)[1 + RTS_EXTRA], extra);
    return to;
}

/* Sets the entry of char c: syntax, macro (RT_NO_VALUE: unchanged), dispatch table. */
static void set_char_entry(rt_value rt, uint32_t c, enum syntax syn, rt_value macro, rt_value disp)
{
    RT_ROOTS(rt, macro, disp);
    if (c < 128) {
        rt_store(&rt_body(rt_slot(rt, RTS_SYNTAX))[c], rt_fixnum(syn));
        if (macro != RT_NO_VALUE)
            rt_store(&rt_body(rt_slot(rt, RTS_MACROS))[c], macro);
        if (disp != RT_NO_VALUE)
            rt_store(&rt_body(rt_slot(rt, RTS_DISPATCH))[c], disp);
        return;
    }
    rt_value e = extra_entry(rt, c);
    RT_ROOTS(e);
    if (rt_null(e)) {
        e = rt_list(4, rt_fixnum(c), rt_fixnum(S_CONSTITUENT), RT_NIL, RT_NIL);
        rt_value l = rt_cons(e, rt_slot(rt, RTS_EXTRA));
        rt_store(&rt_body(rt)[1 + RTS_EXTRA], l);
    }
    rt_set_car(rt_cdr(e), rt_fixnum(syn));
    if (macro != RT_NO_VALUE)
        rt_set_car(rt_cdr(rt_cdr(e)), macro);
    if (disp != RT_NO_VALUE)
        rt_set_car(rt_cdr(rt_cdr(rt_cdr(e))), disp);
}

static rt_value build_standard_readtable(void)
{
    rt_value rt = make_readtable();
    RT_ROOTS(rt);
    const char *ws = " \t\n\r\f";
    for (const char *p = ws; *p; p++)
        set_char_entry(rt, (uint8_t)*p, S_WHITESPACE, RT_NO_VALUE, RT_NO_VALUE);
    set_char_entry(rt, 10, S_WHITESPACE, RT_NO_VALUE, RT_NO_VALUE);
    set_char_entry(rt, '\\', S_SINGLE_ESC, RT_NO_VALUE, RT_NO_VALUE);
    set_char_entry(rt, '|', S_MULTI_ESC, RT_NO_VALUE, RT_NO_VALUE);
    struct { char c; int code; } term[] = {{'(', M_LPAREN}, {')', M_RPAREN}, {'\'', M_QUOTE}, {'`', M_BACKQUOTE},
                                           {',', M_COMMA}, {';', M_SEMI}, {'"', M_STRING}};
    for (size_t i = 0; i < RT_COUNTOF(term); i++)
        set_char_entry(rt, (uint8_t)term[i].c, S_TERM_MACRO, rt_fixnum(term[i].code), RT_NO_VALUE);
    rt_value d = rt_make_simple_vector(128, RT_NIL);
    RT_ROOTS(d);
    struct { char c; int code; } sub[] = {
        {'(', D_VECTOR}, {'\'', D_FUNCTION}, {'\\', D_CHAR}, {':', D_UNINTERNED}, {'.', D_EVAL},
        {'B', D_BIN}, {'O', D_OCT}, {'X', D_HEX}, {'R', D_RADIX}, {'C', D_COMPLEX}, {'A', D_ARRAY},
        {'*', D_BITS}, {'+', D_PLUS}, {'-', D_MINUS}, {'|', D_COMMENT}, {'=', D_LABEL}, {'#', D_REF},
        {'P', D_PATH}, {'S', D_STRUCT}};
    for (size_t i = 0; i < RT_COUNTOF(sub); i++)
        rt_body(d)[(uint8_t)sub[i].c] = rt_fixnum(sub[i].code);
    set_char_entry(rt, '#', S_NONTERM_MACRO, rt_fixnum(M_SHARP), d);
    return rt;
}

rt_value rt_standard_readtable(void) { return standard_readtable; }

/* ---- Character input ------------------------------------------------------------- */

static int32_t rdc(R *r)
{
    int32_t c = rt_read_char_status(r->stream);
    if (c == RT_BAD_UTF8)
        reader_error(r, "READER-ERROR", "invalid UTF-8 byte sequence in input");
    return c;
}
static void unrdc(R *r, int32_t c)
{
    if (c >= 0)
        rt_unread_char(r->stream, (uint32_t)c);
}

/* ---- Frames ---------------------------------------------------------------------- */

static void push_frame(R *r, int kind, rt_value a, rt_value b)
{
    if (r->sp / FRAME_WORDS >= RT_READ_MAX_DEPTH)
        reader_error(r, "READER-ERROR", "nesting deeper than %d levels", RT_READ_MAX_DEPTH);
    if (r->sp + FRAME_WORDS > rt_vector_length(r->stack)) {
        RT_ROOTS(a, b);
        size_t n = rt_vector_length(r->stack) * 2;
        rt_value nv = rt_make_simple_vector(n, RT_NIL);
        memcpy(rt_body(nv), rt_body(r->stack), r->sp * 8);
        r->stack = nv;
    }
    rt_value *f = rt_body(r->stack) + r->sp;
    rt_store(&f[0], rt_fixnum(kind));
    rt_store(&f[1], a);
    rt_store(&f[2], b);
    rt_store(&f[3], RT_NIL);
    r->sp += FRAME_WORDS;
}
static rt_value *top(R *r) { return rt_body(r->stack) + r->sp - FRAME_WORDS; }
static int top_kind(R *r) { return (int)rt_fixnum_value(top(r)[0]); }
static void pop_frame(R *r)
{
    r->sp -= FRAME_WORDS;
    rt_value *f = rt_body(r->stack) + r->sp;
    for (int i = 0; i < FRAME_WORDS; i++)
        rt_store(&f[i], RT_NIL);
}

/* Appends obj to the list being built in the top frame (head in [1], tail in [2]). */
static void frame_append(R *r, rt_value obj)
{
    rt_value c = rt_cons(obj, RT_NIL);
    rt_value *f = top(r);
    if (rt_null(f[1]))
        rt_store(&f[1], c);
    else
        rt_set_cdr(f[2], c);
    rt_store(&top(r)[2], c);
}

/* ---- Tokens ---------------------------------------------------------------------- */

static void tok_push(R *r, uint32_t c, bool escaped)
{
    if (r->toklen == r->tokcap) {
        size_t cap = r->tokcap ? r->tokcap * 2 : 64;
        uint32_t *t = realloc(r->tok, cap * 4);
        uint8_t *e = t ? realloc(r->esc, cap) : NULL;
        if (!t || !e) {
            if (t)
                r->tok = t;
            reader_error(r, "STORAGE-CONDITION", "token too long for memory");
        }
        r->tok = t;
        r->esc = e;
        r->tokcap = cap;
    }
    r->tok[r->toklen] = c;
    r->esc[r->toklen] = escaped;
    r->toklen++;
}

/* Reads a token whose first character c has been read. Returns whether any character
 * was escaped. first_literal: c is taken as a constituent whatever its syntax (#\). */
static bool read_token(R *r, int32_t c, bool first_literal)
{
    r->toklen = 0;
    bool any_esc = false, multi = false;
    if (first_literal) {
        tok_push(r, (uint32_t)c, true);
        c = rdc(r);
    }
    for (;; c = rdc(r)) {
        if (c == RT_EOF) {
            if (multi)
                reader_error(r, "END-OF-FILE", "end of file inside a |...| escape");
            return any_esc;
        }
        enum syntax s = syntax_of(r->readtable, c);
        if (multi) {
            if (s == S_MULTI_ESC)
                multi = false;
            else if (s == S_SINGLE_ESC) {
                int32_t d = rdc(r);
                if (d == RT_EOF)
                    reader_error(r, "END-OF-FILE", "end of file after a single escape");
                tok_push(r, (uint32_t)d, true);
            } else
                tok_push(r, (uint32_t)c, true);
            continue;
        }
        switch (s) {
        case S_CONSTITUENT:
        case S_NONTERM_MACRO:
            tok_push(r, (uint32_t)c, false);
            break;
        case S_SINGLE_ESC: {
            int32_t d = rdc(r);
            if (d == RT_EOF)
                reader_error(r, "END-OF-FILE", "end of file after a single escape");
            tok_push(r, (uint32_t)d, true);
            any_esc = true;
            break;
        }
        case S_MULTI_ESC:
            multi = true;
            any_esc = true;
            break;
        case S_WHITESPACE:
            /* Left for the caller: READ consumes one whitespace character after the
             * whole object (as SBCL does), READ-PRESERVING-WHITESPACE none. */
            unrdc(r, c);
            return any_esc;
        case S_INVALID: {
            char b[24];
            reader_error(r, "READER-ERROR", "invalid character %s in a token", char_desc((uint32_t)c, b));
        }
        default:
            unrdc(r, c);
            return any_esc;
        }
    }
}

/* Applies the readtable case to the unescaped characters of the token. */
static void apply_case(R *r)
{
    rt_value mode = rt_slot(r->readtable, RTS_CASE);
    if (mode == rt_sym_kw_preserve)
        return;
    if (mode == rt_sym_kw_invert) {
        bool up = false, low = false;
        for (size_t i = 0; i < r->toklen; i++)
            if (!r->esc[i]) {
                up |= rt_char_upper_p(r->tok[i]);
                low |= rt_char_lower_p(r->tok[i]);
            }
        if (up && low)
            return;
        for (size_t i = 0; i < r->toklen; i++)
            if (!r->esc[i])
                r->tok[i] = up ? rt_char_downcase(r->tok[i]) : rt_char_upcase(r->tok[i]);
        return;
    }
    bool down = mode == rt_sym_kw_downcase;
    for (size_t i = 0; i < r->toklen; i++)
        if (!r->esc[i])
            r->tok[i] = down ? rt_char_downcase(r->tok[i]) : rt_char_upcase(r->tok[i]);
}

static void tok_utf8(R *r, size_t from, size_t to, char *out, size_t outlen)
{
    size_t n = 0;
    for (size_t i = from; i < to && n + 5 < outlen; i++)
        n += (size_t)rt_utf8_encode(r->tok[i], out + n);
    if (to - from > 0 && n + 5 >= outlen && outlen > 4)
        memcpy(out + outlen - 4, "...", 3), n = outlen - 1;
    out[n] = 0;
}

static int digit_of(uint32_t c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    c |= 32;
    return c >= 'a' && c <= 'z' ? (int)(c - 'a' + 10) : 99;
}

/* The numbers module signals (through rt/error.h) for a ratio with a zero denominator
 * and for a float that overflows. The reader finds those tokens first so they are
 * READER-ERRORs of its own (and statuses for rt_read_status). Float overflow is decided
 * by the C library's correctly rounded strtod/strtof on the same digits. */
static void check_number_token(R *r, unsigned base)
{
    const uint32_t *t = r->tok;
    size_t n = r->toklen, i = 0;
    if (i < n && (t[i] == '+' || t[i] == '-'))
        i++;
    size_t j = i;
    while (j < n && digit_of(t[j]) < (int)base)
        j++;
    if (j > i && j == n)
        return; /* an integer in base (in base 16, "1e99" is one) */
    if (j > i && j < n && t[j] == '/') {
        size_t k = j + 1;
        bool zero = true;
        while (k < n && digit_of(t[k]) < (int)base)
            zero &= t[k++] == '0';
        if (k == n && k > j + 1 && zero)
            reader_error(r, "READER-ERROR", "division by zero in the ratio token");
        return;
    }
    /* decimal float: digits [. digits] [marker [sign] digits] */
    size_t a = i, b = a;
    while (b < n && t[b] >= '0' && t[b] <= '9')
        b++;
    size_t c = b, d = b;
    bool dot = b < n && t[b] == '.';
    if (dot) {
        c = b + 1;
        d = c;
        while (d < n && t[d] >= '0' && t[d] <= '9')
            d++;
    }
    if (b == a && d == c)
        return;
    bool single = r->ffmt != 'd';
    size_t e = d;
    if (e < n) {
        uint32_t m = t[e] | 32;
        if (m == 'e')
            ;
        else if (m == 's' || m == 'f')
            single = true;
        else if (m == 'd' || m == 'l')
            single = false;
        else
            return;
        size_t p = e + 1;
        if (p < n && (t[p] == '+' || t[p] == '-'))
            p++;
        size_t q = p;
        while (q < n && t[q] >= '0' && t[q] <= '9')
            q++;
        if (q != n || q == p)
            return;
    } else if (!dot || d == c) {
        return; /* an integer ("12", "12.") */
    }
    /* ASCII copy for strtod: the token is digits, '.', sign, marker and exponent. */
    char *buf = malloc(n + 2);
    if (!buf)
        reader_error(r, "STORAGE-CONDITION", "out of memory reading a number");
    for (size_t k = 0; k < n; k++)
        buf[k] = k == e ? 'e' : (char)t[k];
    buf[n] = 0;
    bool overflow;
    if (single) {
        float f = strtof(buf, NULL);
        overflow = f == HUGE_VALF || f == -HUGE_VALF;
    } else {
        double x = strtod(buf, NULL);
        overflow = x == HUGE_VAL || x == -HUGE_VAL;
    }
    free(buf);
    if (overflow)
        reader_error(r, "READER-ERROR", "floating-point-overflow reading a %s float", single ? "single" : "double");
}

static rt_value parse_number_token(R *r, unsigned base)
{
    check_number_token(r, base);
    return rt_parse_number(r->tok, r->toklen, base, r->ffmt);
}

/* The token as a number or symbol. */
static rt_value interpret_token(R *r, bool any_esc)
{
    if (r->suppress)
        return RT_NIL;
    if (!any_esc) {
        size_t dots = 0;
        while (dots < r->toklen && r->tok[dots] == '.')
            dots++;
        if (dots == r->toklen && r->toklen > 0) {
            if (r->toklen == 1)
                return DOT_MARKER;
            reader_error(r, "READER-ERROR", "too many dots");
        }
        uint32_t c0 = r->tok[0];
        if ((c0 >= '0' && c0 <= '9') || c0 == '+' || c0 == '-' || c0 == '.' || c0 == '^' || c0 == '_' ||
            r->base > 10) {
            rt_value n = parse_number_token(r, r->base);
            if (n != RT_NO_VALUE)
                return n;
        }
    }
    apply_case(r);
    /* Package markers: unescaped colons. */
    size_t c1 = SIZE_MAX, ncolons = 0;
    for (size_t i = 0; i < r->toklen; i++)
        if (r->tok[i] == ':' && !r->esc[i]) {
            if (c1 == SIZE_MAX)
                c1 = i;
            ncolons++;
        }
    char nb[120], pb[120];
    if (ncolons == 0) {
        rt_value pkg = r->kwmode ? rt_pkg_keyword : rt_current_package();
        return rt_intern_chars(r->tok, r->toklen, pkg, NULL);
    }
    bool internal = ncolons == 2 && c1 + 1 < r->toklen && r->tok[c1 + 1] == ':' && !r->esc[c1 + 1];
    if (ncolons > 2 || (ncolons == 2 && !internal)) {
        tok_utf8(r, 0, r->toklen, nb, sizeof nb);
        reader_error(r, "READER-ERROR", "too many colons in \"%s\"", nb);
    }
    size_t name_start = c1 + (internal ? 2 : 1);
    if (name_start >= r->toklen) {
        tok_utf8(r, 0, r->toklen, nb, sizeof nb);
        reader_error(r, "READER-ERROR", "illegal terminating character after a colon: \"%s\"", nb);
    }
    if (c1 == 0) {
        if (internal)
            reader_error(r, "READER-ERROR", "a keyword written with two colons");
        return rt_intern_chars(r->tok + 1, r->toklen - 1, rt_pkg_keyword, NULL);
    }
    /* Find the package by name (the token characters before the colon). */
    rt_value pname = rt_string_from_chars(r->tok, c1);
    rt_value pkg = rt_find_package(pname);
    if (rt_null(pkg)) {
        tok_utf8(r, 0, c1, pb, sizeof pb);
        reader_error(r, "READER-ERROR", "Package %s does not exist.", pb);
    }
    if (internal)
        return rt_intern_chars(r->tok + name_start, r->toklen - name_start, pkg, NULL);
    rt_value status;
    RT_ROOTS(pkg);
    rt_value s = rt_find_symbol_chars(r->tok + name_start, r->toklen - name_start, pkg, &status);
    if (rt_eq(pkg, rt_pkg_keyword))
        return rt_intern_chars(r->tok + name_start, r->toklen - name_start, pkg, NULL);
    if (s == RT_NO_VALUE || status != rt_sym_kw_external) {
        tok_utf8(r, name_start, r->toklen, nb, sizeof nb);
        tok_utf8(r, 0, c1, pb, sizeof pb);
        reader_error(r, "READER-ERROR", "The symbol \"%s\" is not external in the %s package.", nb, pb);
    }
    return s;
}

/* ---- Strings and comments -------------------------------------------------------- */

static rt_value read_string(R *r, int32_t delim)
{
    r->slen = 0;
    for (;;) {
        int32_t c = rdc(r);
        if (c == RT_EOF)
            reader_error(r, "END-OF-FILE", "end of file inside a string");
        if (c == delim)
            break;
        if (syntax_of(r->readtable, c) == S_SINGLE_ESC) {
            c = rdc(r);
            if (c == RT_EOF)
                reader_error(r, "END-OF-FILE", "end of file inside a string");
        }
        if (r->suppress)
            continue;
        if (r->slen == r->scap) {
            size_t cap = r->scap ? r->scap * 2 : 256;
            uint32_t *nb = realloc(r->sbuf, cap * 4);
            if (!nb)
                reader_error(r, "STORAGE-CONDITION", "string too long for memory");
            r->sbuf = nb;
            r->scap = cap;
        }
        r->sbuf[r->slen++] = (uint32_t)c;
    }
    if (r->suppress)
        return RT_NIL;
    rt_value s = rt_make_string(r->slen, 0);
    if (r->slen)
        memcpy(rt_body(s), r->sbuf, r->slen * 4);
    if (r->scap > 65536) { /* do not keep a huge buffer around */
        free(r->sbuf);
        r->sbuf = NULL;
        r->scap = 0;
    }
    return s;
}

static void skip_line_comment(R *r)
{
    int32_t c;
    while ((c = rdc(r)) != RT_EOF && c != '\n')
        ;
}

static void skip_block_comment(R *r)
{
    int depth = 1;
    int32_t prev = 0;
    for (;;) {
        int32_t c = rdc(r);
        if (c == RT_EOF)
            reader_error(r, "END-OF-FILE", "end of file inside a #| |# comment");
        if (prev == '|' && c == '#') {
            if (--depth == 0)
                return;
            c = 0;
        } else if (prev == '#' && c == '|') {
            depth++;
            c = 0;
        }
        prev = c;
    }
}

/* Length of a proper list; a READER-ERROR for dotted or circular ones (the #n= syntax can
 * make circular lists anywhere, e.g. in #A contents or feature expressions). */
static size_t proper_length(R *r, rt_value l, const char *what)
{
    size_t n = 0;
    rt_value slow = l;
    while (rt_consp(l)) {
        l = rt_cdr(l);
        n++;
        if (!rt_consp(l))
            break;
        l = rt_cdr(l);
        n++;
        slow = rt_cdr(slow);
        if (rt_eq(l, slow))
            reader_error(r, "READER-ERROR", "%s: a circular list", what);
    }
    if (!rt_null(l))
        reader_error(r, "READER-ERROR", "%s: a dotted list", what);
    return n;
}

/* ---- Feature expressions --------------------------------------------------------- */

static bool feature_true(R *r, rt_value x, int depth)
{
    if (depth > 1000)
        reader_error(r, "READER-ERROR", "feature expression nested too deeply");
    if (rt_symbolp(x))
        return rt_true(rt_memq(x, rt_special(rt_sym_features)));
    if (rt_consp(x) && rt_symbolp(rt_car(x))) {
        proper_length(r, x, "feature expression");
        rt_value op = rt_car(x);
        rt_value name = rt_symbol_name(op);
        const char *ops[] = {"AND", "OR", "NOT"};
        int k = -1;
        for (int i = 0; i < 3; i++) {
            size_t len = strlen(ops[i]);
            if (rt_string_length(name) == len) {
                size_t j = 0;
                while (j < len && rt_string_ref(name, j) == (uint8_t)ops[i][j])
                    j++;
                if (j == len)
                    k = i;
            }
        }
        if (k == 0) {
            for (rt_value l = rt_cdr(x); rt_consp(l); l = rt_cdr(l))
                if (!feature_true(r, rt_car(l), depth + 1))
                    return false;
            return true;
        }
        if (k == 1) {
            for (rt_value l = rt_cdr(x); rt_consp(l); l = rt_cdr(l))
                if (feature_true(r, rt_car(l), depth + 1))
                    return true;
            return false;
        }
        if (k == 2 && rt_consp(rt_cdr(x)))
            return !feature_true(r, rt_car(rt_cdr(x)), depth + 1);
    }
    reader_error(r, "READER-ERROR", "invalid feature expression");
}

/* ---- #n= substitution ------------------------------------------------------------ */

/* Replaces every reference to placeholder inside obj by value. Iterative, with a visited
 * table, so circular and deep structures are fine. */
static void substitute(rt_value obj, rt_value placeholder, rt_value value)
{
    rt_value work = RT_NIL, seen = RT_NIL, x = RT_NIL;
    RT_ROOTS(obj, placeholder, value, work, seen, x);
    seen = rt_make_hash_table(rt_sym_eq, 64, RT_NIL);
    work = rt_cons(obj, RT_NIL);
    while (rt_consp(work)) {
        x = rt_car(work);
        work = rt_cdr(work);
        bool found;
        rt_gethash(seen, x, RT_NIL, &found);
        if (found)
            continue;
        rt_puthash(seen, x, RT_T);
        if (rt_consp(x)) {
            if (rt_eq(rt_car(x), placeholder))
                rt_set_car(x, value);
            else if (rt_consp(rt_car(x)) || rt_simple_vector_p(rt_car(x)))
                work = rt_cons(rt_car(x), work);
            if (rt_eq(rt_cdr(x), placeholder))
                rt_set_cdr(x, value);
            else if (rt_consp(rt_cdr(x)) || rt_simple_vector_p(rt_cdr(x)))
                work = rt_cons(rt_cdr(x), work);
        } else if (rt_simple_vector_p(x)) {
            size_t n = rt_vector_length(x);
            for (size_t i = 0; i < n; i++) {
                rt_value e = rt_body(x)[i];
                if (rt_eq(e, placeholder))
                    rt_store(&rt_body(x)[i], value);
                else if (rt_consp(e) || rt_simple_vector_p(e))
                    work = rt_cons(e, work);
            }
        }
    }
}

/* labels: list of simple vectors #(n placeholder value referenced) */
static rt_value find_label(int64_t n)
{
    for (rt_value l = labels; rt_consp(l); l = rt_cdr(l))
        if (rt_fixnum_value(rt_body(rt_car(l))[0]) == n)
            return rt_car(l);
    return RT_NIL;
}

/* ---- The read loop --------------------------------------------------------------- */

static rt_value call_macro(R *r, rt_value fn, size_t nargs, rt_value a1, rt_value a2, bool *none)
{
    rt_value args[3] = {r->stream, a1, a2};
    rt_value v = rt_funcall(fn, nargs, args);
    *none = rt_funcall_values_count() == 0;
    return v;
}

/* Reads a (possibly negative-free) decimal argument of a # dispatch; returns -1 if none. */
static int64_t read_numarg(R *r, int32_t *c)
{
    int64_t n = -1;
    while (*c >= '0' && *c <= '9') {
        if (n < 0)
            n = 0;
        if (n < (INT64_C(1) << 50))
            n = n * 10 + (*c - '0');
        *c = rdc(r);
    }
    return n;
}

static rt_value make_vector_from_list(R *r, rt_value list, int64_t n)
{
    size_t len = rt_list_length(list);
    if (n >= 0 && (size_t)n < len)
        reader_error(r, "READER-ERROR", "vector longer than its specified length %lld", (long long)n);
    size_t total = n >= 0 ? (size_t)n : len;
    if (n > 0 && len == 0)
        reader_error(r, "READER-ERROR", "#%lld() has no element to fill it with", (long long)n);
    if (total > RT_READ_MAX_FILL)
        reader_error(r, "READER-ERROR", "#%lld( vector too long (limit %lu)", (long long)n, (unsigned long)RT_READ_MAX_FILL);
    RT_ROOTS(list);
    rt_value v = rt_make_simple_vector(total, RT_NIL);
    rt_value last = RT_NIL;
    size_t i = 0;
    for (rt_value l = list; rt_consp(l); l = rt_cdr(l))
        rt_body(v)[i++] = last = rt_car(l);
    for (; i < total; i++)
        rt_body(v)[i] = last;
    return v;
}

static rt_value read_bits(R *r, int32_t c, int64_t n)
{
    r->toklen = 0;
    bool esc = false;
    if (syntax_of(r->readtable, c) == S_CONSTITUENT || c < 0) {
        if (c >= 0)
            esc = read_token(r, c, false);
    } else {
        unrdc(r, c);
    }
    if (r->suppress)
        return RT_NIL;
    for (size_t i = 0; i < r->toklen; i++)
        if (esc || (r->tok[i] != '0' && r->tok[i] != '1'))
            reader_error(r, "READER-ERROR", "illegal element in a #* bit vector");
    size_t len = r->toklen;
    if (n >= 0 && (size_t)n < len)
        reader_error(r, "READER-ERROR", "#* bit vector longer than its length %lld", (long long)n);
    if (n > 0 && len == 0)
        reader_error(r, "READER-ERROR", "#%lld* has no element to fill it with", (long long)n);
    size_t total = n >= 0 ? (size_t)n : len;
    if (total > RT_READ_MAX_FILL)
        reader_error(r, "READER-ERROR", "#* bit vector too long (limit %lu)", (unsigned long)RT_READ_MAX_FILL);
    rt_value v = rt_alloc_object(RT_WT_BIT_VECTOR, total, (total + 63) / 64, 0);
    uint64_t *w = (uint64_t *)rt_body(v);
    for (size_t i = 0; i < total; i++) {
        uint32_t b = i < len ? r->tok[i] : r->tok[len - 1];
        if (b == '1')
            w[i / 64] |= UINT64_C(1) << (i % 64);
    }
    return v;
}

static void check_contents(R *r, rt_value x, const size_t *dims, size_t rank, size_t level)
{
    if (level == rank)
        return;
    size_t n = 0;
    if (rt_listp(x)) {
        n = proper_length(r, x, "#A contents");
        for (rt_value l = x; rt_consp(l); l = rt_cdr(l))
            check_contents(r, rt_car(l), dims, rank, level + 1);
    } else if (rt_vectorp(x)) {
        n = rt_seq_length(x);
        for (size_t i = 0; i < n && level + 1 < rank; i++)
            check_contents(r, rt_vector_ref(x, i), dims, rank, level + 1);
    } else {
        reader_error(r, "READER-ERROR", "#A contents are not nested %zu deep", rank);
    }
    if (n != dims[level])
        reader_error(r, "READER-ERROR", "#A contents: dimension %zu has lengths %zu and %zu", level, dims[level], n);
}

static rt_value make_array_from_contents(R *r, int64_t rank, rt_value contents)
{
    if (rank < 0)
        reader_error(r, "READER-ERROR", "#A needs a rank: #nA");
    if (rank > 64)
        reader_error(r, "READER-ERROR", "#%lldA: rank too large", (long long)rank);
    rt_value dims = RT_NIL, d = contents;
    RT_ROOTS(contents, dims, d);
    for (int64_t k = 0; k < rank; k++) {
        if (!rt_listp(d) && !rt_vectorp(d))
            reader_error(r, "READER-ERROR", "#%lldA contents are not nested %lld deep", (long long)rank, (long long)rank);
        size_t len = rt_vectorp(d) ? rt_seq_length(d) : proper_length(r, d, "#A contents");
        dims = rt_cons(rt_fixnum((int64_t)len), dims);
        if (len == 0) {
            for (int64_t j = k + 1; j < rank; j++)
                dims = rt_cons(rt_fixnum(0), dims);
            break;
        }
        d = rt_listp(d) ? rt_car(d) : rt_vector_ref(d, 0);
    }
    dims = rt_nreverse(dims);
    /* Every level must be a proper sequence of its dimension's length. */
    size_t dv[64];
    size_t k = 0;
    for (rt_value l = dims; rt_consp(l); l = rt_cdr(l))
        dv[k++] = (size_t)rt_fixnum_value(rt_car(l));
    size_t total = 1;
    for (size_t q = 0; q < (size_t)rank; q++) {
        total *= dv[q] ? dv[q] : 1;
        if (total > RT_READ_MAX_FILL)
            reader_error(r, "READER-ERROR", "#%lldA array too large", (long long)rank);
    }
    check_contents(r, contents, dv, (size_t)rank, 0);
    if (rank == 0)
        return rt_make_array(RT_NIL, RT_WT_SIMPLE_VECTOR, contents, RT_NO_VALUE, false, RT_NO_VALUE, RT_NO_VALUE, 0);
    return rt_make_array(dims, RT_WT_SIMPLE_VECTOR, RT_NO_VALUE, contents, false, RT_NO_VALUE, RT_NO_VALUE, 0);
}

static rt_value read_char_token(R *r)
{
    int32_t c = rdc(r);
    if (c == RT_EOF)
        reader_error(r, "END-OF-FILE", "end of file after #\\");
    read_token(r, c, true);
    if (r->suppress)
        return RT_NIL;
    if (r->toklen == 1)
        return rt_char(r->tok[0]);
    int32_t code = rt_name_char(r->tok, r->toklen);
    if (code < 0) {
        char nb[100];
        tok_utf8(r, 0, r->toklen, nb, sizeof nb);
        reader_error(r, "READER-ERROR", "unrecognized character name: \"%s\"", nb);
    }
    return rt_char((uint32_t)code);
}

static rt_value read_radix(R *r, unsigned base, int32_t c)
{
    if (c == RT_EOF)
        reader_error(r, "END-OF-FILE", "end of file after #%c", base == 2 ? 'B' : base == 8 ? 'O' : base == 16 ? 'X' : 'R');
    unrdc(r, c);
    c = rdc(r);
    bool esc = read_token(r, c, false);
    if (r->suppress)
        return RT_NIL;
    rt_value n = esc ? RT_NO_VALUE : parse_number_token(r, base);
    if (n == RT_NO_VALUE || !rt_rationalp(n) || (r->toklen && r->tok[r->toklen - 1] == '.')) {
        char nb[100];
        tok_utf8(r, 0, r->toklen, nb, sizeof nb);
        reader_error(r, "READER-ERROR", "\"%s\" is not a rational number in radix %u", nb, base);
    }
    return n;
}

static bool fboundp(rt_value sym)
{
    rt_value f = rt_body(sym)[RT_SYM_FDEFN];
    return rt_objectp(f) && rt_widetag(f) == RT_WT_FDEFN && rt_pointerp((rt_value)rt_cell_of(f)->payload);
}

/* #S(name slot value ...): SYS:%READ-STRUCTURE (list) when the library defines it, else
 * the default constructor MAKE-<name> (found, not interned, in name's package) called
 * with the slot names as keywords. */
static rt_value read_structure(R *r, rt_value form)
{
    RT_ROOTS(form); /* rt_intern_c below allocates the first time */
    if (!rt_consp(form) || !rt_symbolp(rt_car(form)))
        reader_error(r, "READER-ERROR", "#S must be followed by a list starting with a structure name");
    size_t n = proper_length(r, form, "#S");
    if (n % 2 == 0)
        reader_error(r, "READER-ERROR", "#S: odd number of slot initializers");
    rt_value hook = rt_intern_c("%READ-STRUCTURE", "KONS-SYSTEM");
    if (fboundp(hook))
        return rt_funcall(hook, 1, &form);
    rt_value name = rt_symbol_name(rt_car(form));
    size_t len = rt_string_length(name);
    uint32_t *buf = malloc((len + 5) * 4);
    if (!buf)
        reader_error(r, "STORAGE-CONDITION", "out of memory in #S");
    const char *make = "MAKE-";
    for (int i = 0; i < 5; i++)
        buf[i] = (uint8_t)make[i];
    for (size_t i = 0; i < len; i++)
        buf[5 + i] = rt_string_ref(name, i);
    rt_value pkg = rt_body(rt_car(form))[RT_SYM_PACKAGE];
    rt_value ctor = rt_packagep(pkg) ? rt_find_symbol_chars(buf, len + 5, pkg, NULL) : RT_NO_VALUE;
    free(buf);
    if (ctor == RT_NO_VALUE || !fboundp(ctor))
        reader_error(r, "READER-ERROR", "#S: no structure constructor for this name");
    RT_ROOTS(ctor);
    /* Arguments: keywords named like the slot names, and the values. */
    rt_value args = RT_NIL, l = rt_cdr(form), k = RT_NIL;
    RT_ROOTS(args, l, k);
    for (; rt_consp(l); l = rt_cdr(rt_cdr(l))) {
        rt_value slot = rt_car(l);
        if (!rt_symbolp(slot) && !rt_stringp(slot))
            reader_error(r, "READER-ERROR", "#S: a slot name must be a symbol");
        rt_value sname = rt_symbolp(slot) ? rt_symbol_name(slot) : slot;
        size_t st, sl;
        rt_value d = rt_string_data(sname, &st, &sl);
        uint32_t *kb = malloc((sl ? sl : 1) * 4);
        if (!kb)
            reader_error(r, "STORAGE-CONDITION", "out of memory in #S");
        for (size_t i = 0; i < sl; i++)
            kb[i] = rt_string_ref(d, st + i);
        k = rt_intern_chars(kb, sl, rt_pkg_keyword, NULL);
        free(kb);
        args = rt_cons(k, args);
        args = rt_cons(rt_car(rt_cdr(l)), args);
    }
    args = rt_nreverse(args);
    size_t nargs = rt_list_length(args);
    if (nargs > 256)
        reader_error(r, "READER-ERROR", "#S: too many slots");
    rt_value v[256];
    size_t i = 0;
    for (rt_value a = args; rt_consp(a); a = rt_cdr(a))
        v[i++] = rt_car(a);
    return rt_funcall(ctor, nargs, v);
}

/* The main loop: reads one object (see the file comment). */
/* first_code: a built-in macro code to run first, as if its character first_c had just
 * been read (the standard macro functions called from Lisp, see builtin_macro). */
static rt_value read_object(R *r, bool eof_error, rt_value eof_value, int32_t first_c, int first_code)
{
    size_t base = r->sp;
    /* obj is rooted: it is held across allocations (wrapping, #n= substitution). */
    rt_value obj = RT_NIL;
    RT_ROOTS(obj);
    for (;;) {
        int32_t c;
        rt_value m;
        if (first_code) {
            c = first_c;
            m = rt_fixnum(first_code);
            first_code = 0;
            goto builtin;
        }
        c = rdc(r);
        if (c == RT_EOF) {
            if (r->sp > base)
                reader_error(r, "END-OF-FILE", "end of file inside an unfinished form (unbalanced parentheses?)");
            if (eof_error)
                reader_error(r, "END-OF-FILE", "end of file");
            return eof_value;
        }
        enum syntax syn = syntax_of(r->readtable, c);
        if (syn == S_WHITESPACE)
            continue;
        if (syn == S_INVALID) {
            char b[24];
            reader_error(r, "READER-ERROR", "invalid character %s", char_desc((uint32_t)c, b));
        }
        if (syn == S_TERM_MACRO || syn == S_NONTERM_MACRO) {
            m = macro_of(r->readtable, (uint32_t)c);
            if (!rt_fixnump(m)) {
                if (rt_null(m))
                    goto token; /* a macro character without a function: constituent */
                bool none;
                obj = call_macro(r, m, 2, rt_char((uint32_t)c), RT_NIL, &none);
                if (none)
                    continue;
                goto deliver;
            }
        builtin:
            switch (rt_fixnum_value(m)) {
            case M_LPAREN:
                push_frame(r, F_LIST, RT_NIL, RT_NIL);
                continue;
            case M_RPAREN: {
                if (r->sp == base)
                    reader_error(r, "READER-ERROR", "unmatched close parenthesis");
                int k = top_kind(r);
                if (k == F_LIST || k == F_LIST_DONE) {
                    obj = top(r)[1];
                    pop_frame(r);
                    goto deliver;
                }
                if (k == F_VECTOR) {
                    rt_value lst = top(r)[1];
                    int64_t n = rt_fixnum_value(top(r)[3]);
                    pop_frame(r);
                    obj = r->suppress ? RT_NIL : make_vector_from_list(r, lst, n);
                    goto deliver;
                }
                if (k == F_LIST_DOT)
                    reader_error(r, "READER-ERROR", "nothing appears after . in a list");
                reader_error(r, "READER-ERROR", "unexpected close parenthesis");
            }
            case M_QUOTE:
                push_frame(r, F_WRAP, rt_sym_quote, RT_NIL);
                continue;
            case M_BACKQUOTE:
                push_frame(r, F_WRAP, rt_sym_quasiquote, RT_NIL);
                continue;
            case M_COMMA: {
                int32_t d = rdc(r);
                rt_value sym = rt_sym_unquote;
                if (d == '@')
                    sym = rt_sym_unquote_splicing;
                else if (d == '.')
                    sym = rt_sym_unquote_nsplicing;
                else
                    unrdc(r, d);
                push_frame(r, F_WRAP, sym, RT_NIL);
                continue;
            }
            case M_SEMI:
                skip_line_comment(r);
                continue;
            case M_STRING:
                obj = read_string(r, c);
                goto deliver;
            case M_SHARP: {
                int32_t d = rdc(r);
                int64_t n = read_numarg(r, &d);
                if (d == RT_EOF)
                    reader_error(r, "END-OF-FILE", "end of file after #");
                uint32_t sub = rt_char_upcase((uint32_t)d);
                rt_value table = dispatch_table_of(r->readtable, (uint32_t)c);
                rt_value fn = rt_simple_vector_p(table) && sub < 128 ? rt_body(table)[sub] : RT_NIL;
                if (rt_null(fn)) {
                    char b[24];
                    reader_error(r, "READER-ERROR", "no dispatch function defined for %s after #",
                                 char_desc((uint32_t)d, b));
                }
                if (!rt_fixnump(fn)) {
                    bool none;
                    obj = call_macro(r, fn, 3, rt_char((uint32_t)d), n < 0 ? RT_NIL : rt_fixnum(n), &none);
                    if (none)
                        continue;
                    goto deliver;
                }
                switch (rt_fixnum_value(fn)) {
                case D_VECTOR:
                    push_frame(r, F_VECTOR, RT_NIL, RT_NIL);
                    rt_store(&top(r)[3], rt_fixnum(n));
                    continue;
                case D_FUNCTION:
                    push_frame(r, F_WRAP, rt_sym_function, RT_NIL);
                    continue;
                case D_CHAR:
                    obj = read_char_token(r);
                    goto deliver;
                case D_UNINTERNED: {
                    int32_t e = rdc(r);
                    if (e == RT_EOF)
                        reader_error(r, "END-OF-FILE", "end of file after #:");
                    bool esc = read_token(r, e, false);
                    (void)esc;
                    if (r->suppress) {
                        obj = RT_NIL;
                        goto deliver;
                    }
                    apply_case(r);
                    for (size_t i = 0; i < r->toklen; i++)
                        if (r->tok[i] == ':' && !r->esc[i])
                            reader_error(r, "READER-ERROR", "a symbol after #: has a package marker");
                    rt_value name = rt_string_from_chars(r->tok, r->toklen);
                    obj = rt_make_symbol(name);
                    goto deliver;
                }
                case D_EVAL:
                    if (!r->suppress && rt_null(rt_special(rt_sym_read_eval)))
                        reader_error(r, "READER-ERROR", "#. is not allowed when *READ-EVAL* is NIL");
                    push_frame(r, F_EVAL, RT_NIL, RT_NIL);
                    continue;
                case D_BIN:
                case D_OCT:
                case D_HEX:
                case D_RADIX: {
                    unsigned b = sub == 'B' ? 2 : sub == 'O' ? 8 : sub == 'X' ? 16 : 0;
                    if (!b) {
                        if (!r->suppress && (n < 2 || n > 36))
                            reader_error(r, "READER-ERROR", "illegal radix for #R: %lld", (long long)n);
                        b = (unsigned)(n < 2 || n > 36 ? 10 : n);
                    }
                    obj = read_radix(r, b, rdc(r));
                    goto deliver;
                }
                case D_COMPLEX:
                    push_frame(r, F_COMPLEX, RT_NIL, RT_NIL);
                    continue;
                case D_ARRAY:
                    push_frame(r, F_ARRAY, rt_fixnum(n), RT_NIL);
                    continue;
                case D_BITS:
                    obj = read_bits(r, rdc(r), n);
                    goto deliver;
                case D_PLUS:
                case D_MINUS:
                    push_frame(r, F_FEATURE, rt_fixnum(0), rt_fixnum(sub == '+'));
                    r->kwmode++;
                    continue;
                case D_COMMENT:
                    skip_block_comment(r);
                    continue;
                case D_LABEL: {
                    if (r->suppress) {
                        continue;
                    }
                    if (n < 0)
                        reader_error(r, "READER-ERROR", "#= needs a label number");
                    if (!rt_null(find_label(n)))
                        reader_error(r, "READER-ERROR", "label #%lld= defined twice", (long long)n);
                    rt_value ph = rt_cons(RT_UNBOUND, rt_fixnum(n)); /* a unique placeholder */
                    RT_ROOTS(ph);
                    rt_value e = rt_make_simple_vector(4, RT_NIL);
                    rt_body(e)[0] = rt_fixnum(n);
                    rt_body(e)[1] = ph;
                    rt_body(e)[2] = RT_UNBOUND;
                    RT_ROOTS(e);
                    labels = rt_cons(e, labels);
                    push_frame(r, F_LABEL, e, RT_NIL);
                    continue;
                }
                case D_REF: {
                    if (r->suppress) {
                        obj = RT_NIL;
                        goto deliver;
                    }
                    rt_value e = n < 0 ? RT_NIL : find_label(n);
                    if (rt_null(e))
                        reader_error(r, "READER-ERROR", "reference to undefined label #%lld#", (long long)n);
                    if (rt_body(e)[2] != RT_UNBOUND)
                        obj = rt_body(e)[2];
                    else {
                        rt_store(&rt_body(e)[3], RT_T);
                        obj = rt_body(e)[1];
                    }
                    goto deliver;
                }
                case D_PATH:
                    push_frame(r, F_PATH, RT_NIL, RT_NIL);
                    continue;
                case D_STRUCT:
                    push_frame(r, F_STRUCT, RT_NIL, RT_NIL);
                    continue;
                default:
                    reader_error(r, "READER-ERROR", "bad dispatch table entry");
                }
            }
            default:
                reader_error(r, "READER-ERROR", "bad macro table entry");
            }
        }
    token:;
        {
            bool esc = read_token(r, c, false);
            obj = interpret_token(r, esc);
        }
    deliver:
        if (r->suppress && obj != DOT_MARKER)
            obj = RT_NIL;
        for (;;) {
            if (r->sp == base) {
                if (obj == DOT_MARKER)
                    reader_error(r, "READER-ERROR", "dot context error");
                return obj;
            }
            int k = top_kind(r);
            if (obj == DOT_MARKER) {
                if (k == F_LIST && !rt_null(top(r)[1])) {
                    rt_store(&top(r)[0], rt_fixnum(F_LIST_DOT));
                    break;
                }
                reader_error(r, "READER-ERROR", "dot context error");
            }
            if (k == F_LIST || k == F_VECTOR) {
                frame_append(r, obj);
                break;
            }
            if (k == F_LIST_DOT) {
                rt_set_cdr(top(r)[2], obj);
                rt_store(&top(r)[0], rt_fixnum(F_LIST_DONE));
                break;
            }
            if (k == F_LIST_DONE)
                reader_error(r, "READER-ERROR", "more than one object follows . in a list");
            rt_value a = top(r)[1];
            if (k == F_WRAP) {
                pop_frame(r);
                if (!r->suppress) {
                    RT_ROOTS(a);
                    obj = rt_cons(obj, RT_NIL);
                    obj = rt_cons(a, obj);
                }
                continue;
            }
            if (k == F_FEATURE) {
                int64_t state = rt_fixnum_value(a);
                bool plus = rt_true(top(r)[2]) && rt_fixnum_value(top(r)[2]);
                if (state == 0) {
                    r->kwmode--;
                    bool t = r->suppress ? true : feature_true(r, obj, 0);
                    if (t == plus) {
                        pop_frame(r); /* the next object is read normally, for the frame below */
                    } else {
                        rt_store(&top(r)[1], rt_fixnum(1));
                        r->suppress++;
                    }
                    break;
                }
                pop_frame(r);
                r->suppress--;
                break; /* the skipped object is not delivered */
            }
            pop_frame(r);
            if (r->suppress) {
                obj = RT_NIL;
                continue;
            }
            RT_ROOTS(a);
            switch (k) {
            case F_EVAL:
                obj = rt_eval(obj);
                break;
            case F_COMPLEX: {
                if (!rt_consp(obj) || !rt_consp(rt_cdr(obj)) || !rt_null(rt_cdr(rt_cdr(obj))) ||
                    !rt_realp(rt_car(obj)) || !rt_realp(rt_car(rt_cdr(obj))))
                    reader_error(r, "READER-ERROR", "#C must be followed by a list of two reals");
                obj = rt_make_complex(rt_car(obj), rt_car(rt_cdr(obj)));
                break;
            }
            case F_PATH:
                if (!rt_stringp(obj))
                    reader_error(r, "READER-ERROR", "#P must be followed by a string");
                break;
            case F_STRUCT:
                obj = read_structure(r, obj);
                break;
            case F_ARRAY:
                obj = make_array_from_contents(r, rt_fixnum_value(a), obj);
                break;
            case F_LABEL: {
                rt_value ph = rt_body(a)[1];
                if (rt_eq(obj, ph))
                    reader_error(r, "READER-ERROR", "#n= label refers only to itself");
                rt_store(&rt_body(a)[2], obj);
                if (rt_true(rt_body(a)[3]))
                    substitute(obj, ph, obj);
                break;
            }
            default:
                reader_error(r, "READER-ERROR", "bad reader frame");
            }
        }
    }
}

/* ---- Entry points ---------------------------------------------------------------- */

static void setup(R *r, rt_value stream, bool preserve)
{
    memset(r, 0, sizeof *r);
    r->stream = stream;
    r->stack = RT_NIL;
    r->tmp = r->tmp2 = RT_NIL;
    rt_value rt = rt_symbol_value(rt_sym_readtable_var);
    r->readtable = rt_readtablep(rt) ? rt : standard_readtable;
    rt_value b = rt_symbol_value(rt_sym_read_base);
    r->base = rt_fixnump(b) && rt_fixnum_value(b) >= 2 && rt_fixnum_value(b) <= 36 ? (unsigned)rt_fixnum_value(b) : 10;
    rt_value ff = rt_symbol_value(rt_sym_read_default_float_format);
    r->ffmt = (ff == rt_sym_double_float || ff == rt_sym_long_float) ? 'd' : 's';
    r->suppress = rt_true(rt_special(rt_sym_read_suppress)) ? 1 : 0;
    r->preserve_ws = preserve;
}

static void teardown(R *r)
{
    free(r->tok);
    free(r->esc);
    free(r->sbuf);
    r->tok = NULL, r->esc = NULL, r->sbuf = NULL;
}

struct read_call {
    R *r;
    bool eof_error;
    rt_value eof_value;
    rt_value result;
};
/* After an object read by READ (not READ-PRESERVING-WHITESPACE, not recursive), one
 * following whitespace character is consumed: SBCL's behaviour, which FILE-POSITION and
 * READ-FROM-STRING's second value show. */
static void consume_whitespace(R *r)
{
    int32_t c = rt_read_char_status(r->stream);
    if (c >= 0 && syntax_of(r->readtable, c) != S_WHITESPACE)
        unrdc(r, c);
}

static void read_body(void *p)
{
    struct read_call *c = p;
    c->result = read_object(c->r, c->eof_error, c->eof_value, 0, 0);
    if (!c->r->preserve_ws && !c->r->recursive && c->result != c->eof_value)
        consume_whitespace(c->r);
}
static void read_cleanup(void *p) { teardown(((struct read_call *)p)->r); }

static rt_value read_top(rt_value stream, bool eof_error_p, rt_value eof_value, bool recursive_p, bool preserve)
{
    R r;
    stream = rt_input_stream(stream);
    setup(&r, stream, preserve && !recursive_p);
    r.recursive = recursive_p;
    RT_ROOTS(r.stream, r.readtable, r.stack, r.tmp, r.tmp2, eof_value);
    rt_value saved_labels = labels;
    RT_ROOTS(saved_labels);
    if (!recursive_p)
        labels = RT_NIL;
    r.stack = rt_make_simple_vector(16 * FRAME_WORDS, RT_NIL);
    struct read_call call = {&r, eof_error_p, eof_value, RT_NIL};
    rt_protect(read_body, read_cleanup, &call);
    if (!recursive_p)
        labels = saved_labels;
    return call.result;
}

rt_value rt_read(rt_value stream, bool eof_error_p, rt_value eof_value, bool recursive_p)
{
    return read_top(stream, eof_error_p, eof_value, recursive_p, false);
}

rt_value rt_read_preserving_whitespace(rt_value stream, bool eof_error_p, rt_value eof_value, bool recursive_p)
{
    return read_top(stream, eof_error_p, eof_value, recursive_p, true);
}

#define EOF_MARKER RT_IMMEDIATE(41)

struct status_call {
    R *r;
    rt_value *saved_labels;
    rt_value *out;
    enum rt_read_status st;
};

static void status_body(void *p)
{
    struct status_call *c = p;
    if (setjmp(c->r->jb) == 0) {
        rt_value v = read_object(c->r, false, EOF_MARKER, 0, 0);
        if (v != EOF_MARKER)
            consume_whitespace(c->r);
        c->st = v == EOF_MARKER ? RT_READ_EOF : RT_READ_OK;
        *c->out = v == EOF_MARKER ? RT_NIL : v;
    } else {
        c->st = RT_READ_ERROR;
        *c->out = RT_NIL;
    }
}

static void status_cleanup(void *p)
{
    struct status_call *c = p;
    labels = *c->saved_labels;
    teardown(c->r);
}

enum rt_read_status rt_read_status(rt_value stream, rt_value *out, char *errbuf)
{
    R r;
    setup(&r, stream, false);
    r.status_mode = true;
    r.errbuf = errbuf;
    errbuf[0] = 0;
    size_t depth = rt_root_depth();
    rt_value saved_labels = labels;
    rt_root_push(&r.stream);
    rt_root_push(&r.readtable);
    rt_root_push(&r.stack);
    rt_root_push(&r.tmp);
    rt_root_push(&r.tmp2);
    rt_root_push(&saved_labels);
    labels = RT_NIL;
    r.stack = rt_make_simple_vector(16 * FRAME_WORDS, RT_NIL);
    /* Reader errors come back here as a status (r.jb); a condition signalled by Lisp
     * code the reader runs (a reader macro, #.) still unwinds through rt_protect, so the
     * token buffers are freed and the labels restored on that path too. */
    struct status_call call = {&r, &saved_labels, out, RT_READ_ERROR};
    rt_protect(status_body, status_cleanup, &call);
    rt_root_restore(depth);
    return call.st;
}

enum rt_read_status rt_read_from_utf8(const char *utf8, size_t len, rt_value *out, char *errbuf)
{
    rt_value s = rt_make_mem_input_stream(utf8, len);
    return rt_read_status(s, out, errbuf);
}

void rt_reader_init(void)
{
    rt_register_global(&rt_readtable_layout);
    rt_register_global(&standard_readtable);
    labels = RT_NIL;
    rt_readtable_layout = rt_intern_c("READTABLE", "KONS-SYSTEM");
    standard_readtable = build_standard_readtable();
    rt_value rt = rt_copy_readtable(standard_readtable, RT_NIL);
    rt_set_symbol_value(rt_sym_readtable_var, rt);
}

/* ---- Lisp functions -------------------------------------------------------------- */

static rt_value opt(rt_value *a, size_t n, size_t i, rt_value d) { return n > i ? a[i] : d; }

static rt_value p_read(rt_value *a, size_t n)
{
    return rt_read(opt(a, n, 0, RT_NIL), rt_true(opt(a, n, 1, RT_T)), opt(a, n, 2, RT_NIL), rt_true(opt(a, n, 3, RT_NIL)));
}
static rt_value p_read_preserving_whitespace(rt_value *a, size_t n)
{
    return rt_read_preserving_whitespace(opt(a, n, 0, RT_NIL), rt_true(opt(a, n, 1, RT_T)), opt(a, n, 2, RT_NIL),
                                         rt_true(opt(a, n, 3, RT_NIL)));
}

/* (read-from-string string &optional eof-error-p eof-value &key start end preserve-whitespace) */
static rt_value p_read_from_string(rt_value *a, size_t n)
{
    rt_value str = a[0];
    if (!rt_stringp(str))
        rt_type_error(str, "string");
    rt_value eep = opt(a, n, 1, RT_T), ev = opt(a, n, 2, RT_NIL);
    static const char *const keys[] = {"START", "END", "PRESERVE-WHITESPACE", NULL};
    size_t from = n > 3 ? 3 : n;
    rt_kwargs_check(a, n, from, keys);
    size_t st, len;
    rt_string_data(str, &st, &len);
    rt_value vs = rt_kwarg(a, n, from, "START"), ve = rt_kwarg(a, n, from, "END");
    rt_value pw = rt_kwarg(a, n, from, "PRESERVE-WHITESPACE");
    size_t s = vs == RT_NO_VALUE ? 0 : (size_t)rt_check_index(vs, 0, (int64_t)len, "index");
    size_t e = ve == RT_NO_VALUE || rt_null(ve) ? len : (size_t)rt_check_index(ve, (int64_t)s, (int64_t)len, "index");
    RT_ROOTS(str, eep, ev);
    rt_value stream = rt_make_string_input_stream(str, s, e);
    RT_ROOTS(stream);
    rt_value obj = read_top(stream, rt_true(eep), ev, false, pw != RT_NO_VALUE && rt_true(pw));
    int64_t pos = rt_fixnum_value(rt_body(stream)[RT_STR_POS]);
    if (rt_characterp(rt_body(stream)[RT_STR_PUSHBACK]))
        pos--;
    return rt_values2(obj, rt_fixnum(pos));
}

static rt_value p_read_delimited_list(rt_value *a, size_t n)
{
    uint32_t delim = rt_check_char(a[0]);
    rt_value stream = rt_input_stream(opt(a, n, 1, RT_NIL));
    rt_value result = RT_NIL, x = RT_NIL;
    RT_ROOTS(stream, result, x);
    for (;;) {
        int32_t c = rt_read_char(stream);
        if (c == RT_EOF)
            rt_error("END-OF-FILE", "end of file in read-delimited-list");
        if ((uint32_t)c == delim)
            break;
        rt_value rt = rt_symbol_value(rt_sym_readtable_var);
        if (!rt_readtablep(rt))
            rt = standard_readtable;
        if (syntax_of(rt, c) == S_WHITESPACE)
            continue;
        rt_unread_char(stream, (uint32_t)c);
        x = rt_read(stream, true, RT_NIL, true);
        result = rt_cons(x, result);
    }
    return rt_nreverse(result);
}

/* The standard macro characters' functions, as GET-MACRO-CHARACTER returns them: each
 * runs its built-in action for the character it is called with (so they may be installed
 * on other characters, as in SBCL). */
static const struct { int code; const char *name; } builtin_names[] = {
    {M_LPAREN, "%READ-LIST"}, {M_RPAREN, "%READ-RIGHT-PAREN"}, {M_QUOTE, "%READ-QUOTE"},
    {M_BACKQUOTE, "%READ-BACKQUOTE"}, {M_COMMA, "%READ-COMMA"}, {M_SEMI, "%READ-COMMENT"},
    {M_STRING, "%READ-STRING"}, {M_SHARP, "%READ-DISPATCH-CHAR"}};

struct builtin_call {
    R *r;
    int32_t c;
    int code;
    rt_value result;
};
static void builtin_body(void *p)
{
    struct builtin_call *b = p;
    b->result = read_object(b->r, true, RT_NIL, b->c, b->code);
}

static void builtin_cleanup(void *p) { teardown(((struct builtin_call *)p)->r); }

static rt_value builtin_macro(rt_value *a, size_t n, int code)
{
    rt_value stream = rt_input_stream(a[0]);
    uint32_t c = rt_check_char(a[1]);
    if (code == M_SEMI) {
        int32_t d;
        while ((d = rt_read_char(stream)) != RT_EOF && d != '\n')
            ;
        return rt_values(0, NULL);
    }
    R r;
    setup(&r, stream, false);
    r.recursive = true;
    RT_ROOTS(r.stream, r.readtable, r.stack, r.tmp, r.tmp2);
    r.stack = rt_make_simple_vector(16 * FRAME_WORDS, RT_NIL);
    struct builtin_call call = {&r, (int32_t)c, code, RT_NIL};
    rt_protect(builtin_body, builtin_cleanup, &call);
    return call.result;
}
#define BUILTIN_PRIM(fname, code) \
    static rt_value fname(rt_value *a, size_t n) { return builtin_macro(a, n, code); }
BUILTIN_PRIM(p_read_list, M_LPAREN)
BUILTIN_PRIM(p_read_right_paren, M_RPAREN)
BUILTIN_PRIM(p_read_quote, M_QUOTE)
BUILTIN_PRIM(p_read_backquote, M_BACKQUOTE)
BUILTIN_PRIM(p_read_comma, M_COMMA)
BUILTIN_PRIM(p_read_comment, M_SEMI)
BUILTIN_PRIM(p_read_string, M_STRING)
BUILTIN_PRIM(p_read_dispatch_char, M_SHARP)

/* The function object of a built-in macro code (the symbol itself before the VM has
 * defined the primitives). */
static rt_value builtin_function(rt_value m)
{
    for (size_t i = 0; i < RT_COUNTOF(builtin_names); i++)
        if (rt_fixnum_value(m) == builtin_names[i].code) {
            rt_value sym = rt_intern_c(builtin_names[i].name, "KONS-SYSTEM");
            rt_value f = rt_body(sym)[RT_SYM_FDEFN];
            if (rt_objectp(f) && rt_widetag(f) == RT_WT_FDEFN && rt_pointerp((rt_value)rt_cell_of(f)->payload))
                return (rt_value)rt_cell_of(f)->payload;
            return sym;
        }
    return m;
}

static rt_value current_rt(rt_value *a, size_t n, size_t i)
{
    rt_value rt = n > i ? a[i] : rt_symbol_value(rt_sym_readtable_var);
    if (!rt_readtablep(rt))
        rt_type_error(rt, "readtable");
    return rt;
}

static rt_value p_copy_readtable(rt_value *a, size_t n)
{
    rt_value from = n > 0 ? a[0] : rt_symbol_value(rt_sym_readtable_var);
    return rt_copy_readtable(from, opt(a, n, 1, RT_NIL));
}
static rt_value p_readtablep(rt_value *a, size_t n) { return rt_bool(rt_readtablep(a[0])); }
static rt_value p_readtable_case(rt_value *a, size_t n) { return rt_slot(current_rt(a, n, 0), RTS_CASE); }
static rt_value p_set_readtable_case(rt_value *a, size_t n)
{
    rt_value rt = current_rt(a, n, 0);
    rt_value m = a[1];
    if (m != rt_sym_kw_upcase && m != rt_sym_kw_downcase && m != rt_sym_kw_preserve && m != rt_sym_kw_invert)
        rt_type_error(m, "(member :upcase :downcase :preserve :invert)");
    rt_store(&rt_body(rt)[1 + RTS_CASE], m);
    return m;
}
/* (set-macro-character char function &optional non-terminating-p readtable) */
static rt_value p_set_macro_character(rt_value *a, size_t n)
{
    uint32_t c = rt_check_char(a[0]);
    rt_value rt = current_rt(a, n, 3);
    bool nonterm = rt_true(opt(a, n, 2, RT_NIL));
    set_char_entry(rt, c, nonterm ? S_NONTERM_MACRO : S_TERM_MACRO, a[1], RT_NIL);
    return RT_T;
}
static rt_value p_get_macro_character(rt_value *a, size_t n)
{
    uint32_t c = rt_check_char(a[0]);
    rt_value rt = n > 1 && !rt_null(a[1]) ? current_rt(a, n, 1) : (n > 1 ? standard_readtable : current_rt(a, 0, 0));
    enum syntax s = syntax_of(rt, (int32_t)c);
    if (s != S_TERM_MACRO && s != S_NONTERM_MACRO)
        return rt_values2(RT_NIL, RT_NIL);
    rt_value m = macro_of(rt, c);
    if (rt_fixnump(m))
        m = builtin_function(m);
    return rt_values2(m, rt_bool(s == S_NONTERM_MACRO));
}
static rt_value p_make_dispatch_macro_character(rt_value *a, size_t n)
{
    uint32_t c = rt_check_char(a[0]);
    rt_value rt = current_rt(a, n, 2);
    RT_ROOTS(rt);
    rt_value d = rt_make_simple_vector(128, RT_NIL);
    set_char_entry(rt, c, rt_true(opt(a, n, 1, RT_NIL)) ? S_NONTERM_MACRO : S_TERM_MACRO, rt_fixnum(M_SHARP), d);
    return RT_T;
}
static rt_value p_set_dispatch_macro_character(rt_value *a, size_t n)
{
    uint32_t c = rt_check_char(a[0]);
    uint32_t sub = rt_char_upcase(rt_check_char(a[1]));
    rt_value rt = current_rt(a, n, 3);
    rt_value d = dispatch_table_of(rt, c);
    if (!rt_simple_vector_p(d))
        rt_error("SIMPLE-ERROR", "the character is not a dispatching macro character");
    if (sub >= 128 || (sub >= '0' && sub <= '9'))
        rt_error("SIMPLE-ERROR", "invalid dispatch sub-character");
    rt_store(&rt_body(d)[sub], a[2]);
    return RT_T;
}
static rt_value p_get_dispatch_macro_character(rt_value *a, size_t n)
{
    uint32_t c = rt_check_char(a[0]);
    uint32_t sub = rt_char_upcase(rt_check_char(a[1]));
    rt_value rt = n > 2 && rt_null(a[2]) ? standard_readtable : current_rt(a, n, 2);
    rt_value d = dispatch_table_of(rt, c);
    if (!rt_simple_vector_p(d))
        rt_error("SIMPLE-ERROR", "the character is not a dispatching macro character");
    return sub < 128 ? rt_body(d)[sub] : RT_NIL;
}
/* (set-syntax-from-char to-char from-char &optional to-readtable from-readtable) */
static rt_value p_set_syntax_from_char(rt_value *a, size_t n)
{
    uint32_t to = rt_check_char(a[0]), from = rt_check_char(a[1]);
    rt_value trt = current_rt(a, n, 2);
    rt_value frt = n > 3 && !rt_null(a[3]) ? a[3] : standard_readtable;
    if (!rt_readtablep(frt))
        rt_type_error(frt, "readtable");
    RT_ROOTS(trt, frt);
    rt_value d = dispatch_table_of(frt, from);
    if (rt_simple_vector_p(d))
        d = copy_vector(d);
    set_char_entry(trt, to, syntax_of(frt, (int32_t)from), macro_of(frt, from), d);
    return RT_T;
}

const rt_prim_def rt_reader_prims[] = {
    {"COMMON-LISP", "READ", p_read, 0, 4},
    {"COMMON-LISP", "READ-PRESERVING-WHITESPACE", p_read_preserving_whitespace, 0, 4},
    {"COMMON-LISP", "READ-FROM-STRING", p_read_from_string, 1, -1},
    {"COMMON-LISP", "READ-DELIMITED-LIST", p_read_delimited_list, 1, 3},
    {"COMMON-LISP", "COPY-READTABLE", p_copy_readtable, 0, 2},
    {"COMMON-LISP", "READTABLEP", p_readtablep, 1, 1},
    {"COMMON-LISP", "READTABLE-CASE", p_readtable_case, 1, 1},
    {"KONS-SYSTEM", "%SET-READTABLE-CASE", p_set_readtable_case, 2, 2},
    {"COMMON-LISP", "SET-MACRO-CHARACTER", p_set_macro_character, 2, 4},
    {"COMMON-LISP", "GET-MACRO-CHARACTER", p_get_macro_character, 1, 2},
    {"COMMON-LISP", "MAKE-DISPATCH-MACRO-CHARACTER", p_make_dispatch_macro_character, 1, 3},
    {"COMMON-LISP", "SET-DISPATCH-MACRO-CHARACTER", p_set_dispatch_macro_character, 3, 4},
    {"COMMON-LISP", "GET-DISPATCH-MACRO-CHARACTER", p_get_dispatch_macro_character, 2, 3},
    {"COMMON-LISP", "SET-SYNTAX-FROM-CHAR", p_set_syntax_from_char, 2, 4},
    {"KONS-SYSTEM", "%READ-LIST", p_read_list, 2, 2},
    {"KONS-SYSTEM", "%READ-RIGHT-PAREN", p_read_right_paren, 2, 2},
    {"KONS-SYSTEM", "%READ-QUOTE", p_read_quote, 2, 2},
    {"KONS-SYSTEM", "%READ-BACKQUOTE", p_read_backquote, 2, 2},
    {"KONS-SYSTEM", "%READ-COMMA", p_read_comma, 2, 2},
    {"KONS-SYSTEM", "%READ-COMMENT", p_read_comment, 2, 2},
    {"KONS-SYSTEM", "%READ-STRING", p_read_string, 2, 2},
    {"KONS-SYSTEM", "%READ-DISPATCH-CHAR", p_read_dispatch_char, 2, 2},
};
const size_t rt_reader_prims_count = RT_COUNTOF(rt_reader_prims);
