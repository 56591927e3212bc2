/* runtime/string.c: strings (RT_WT_STRING, 32-bit code points; RT_WT_BASE_STRING,
 * Latin-1 bytes), UTF-8 conversion, and the string functions of CL.
 *
 * Invariant: every character of a base string is < 256. UTF-8 decoding is strict: an
 * invalid sequence is an error naming the byte offset, never replaced or truncated.
 */
#include "obj_internal.h"
#include "rt/number.h"

#include <stdio.h>
#include <stdlib.h>

rt_value rt_make_string(size_t length, uint32_t fill)
{
    if (length > RT_INFO_MAX / 2)
        rt_error("STORAGE-CONDITION", "string of %zu characters is too long", length);
    rt_value s = rt_alloc_object(RT_WT_STRING, length, (length * 4 + 7) / 8, 0);
    uint32_t *d = (uint32_t *)rt_body(s);
    for (size_t i = 0; i < length; i++)
        d[i] = fill;
    return s;
}

rt_value rt_make_base_string(size_t length, uint8_t fill)
{
    if (length > RT_INFO_MAX / 2)
        rt_error("STORAGE-CONDITION", "string of %zu characters is too long", length);
    rt_value s = rt_alloc_object(RT_WT_BASE_STRING, length, (length + 7) / 8, 0);
    if (fill)
        memset(rt_body(s), fill, length);
    return s;
}

rt_value rt_string_from_chars(const uint32_t *chars, size_t len)
{
    bool base = true;
    for (size_t i = 0; i < len && base; i++)
        base = chars[i] < 128;
    if (base) {
        rt_value s = rt_make_base_string(len, 0);
        uint8_t *d = (uint8_t *)rt_body(s);
        for (size_t i = 0; i < len; i++)
            d[i] = (uint8_t)chars[i];
        return s;
    }
    rt_value s = rt_make_string(len, 0);
    memcpy(rt_body(s), chars, len * 4);
    return s;
}

int rt_utf8_encode(uint32_t c, char out[4])
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Decodes one code point at s[*i]; returns it and advances *i, or -1 when invalid
 * (i unchanged), -2 when the sequence is cut short by the end of the buffer. */
static int32_t utf8_next(const uint8_t *s, size_t len, size_t *i)
{
    size_t p = *i;
    uint32_t c = s[p];
    if (c < 0x80) {
        *i = p + 1;
        return (int32_t)c;
    }
    int n;
    uint32_t min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1, min = 0x80, c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2, min = 0x800, c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3, min = 0x10000, c &= 0x07;
    } else {
        return -1;
    }
    for (int k = 1; k <= n; k++) {
        if (p + k >= len)
            return -2;
        uint8_t b = s[p + k];
        if ((b & 0xC0) != 0x80)
            return -1;
        c = (c << 6) | (b & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return -1;
    *i = p + n + 1;
    return (int32_t)c;
}

int32_t rt_utf8_decode_one(const uint8_t *s, size_t len, size_t *i);
int32_t rt_utf8_decode_one(const uint8_t *s, size_t len, size_t *i) { return utf8_next(s, len, i); }

long rt_utf8_decode(const char *s, size_t len, uint32_t **out, size_t *bad_offset)
{
    uint32_t *buf = malloc((len ? len : 1) * sizeof *buf);
    if (!buf)
        rt_storage_error("UTF-8 decoding buffer");
    size_t i = 0, n = 0;
    while (i < len) {
        int32_t c = utf8_next((const uint8_t *)s, len, &i);
        if (c < 0) {
            free(buf);
            if (bad_offset)
                *bad_offset = i;
            *out = NULL;
            return -1;
        }
        buf[n++] = (uint32_t)c;
    }
    *out = buf;
    return (long)n;
}

rt_value rt_string_from_utf8(const char *utf8, size_t len)
{
    /* Pure ASCII needs no decoding buffer. */
    size_t i = 0;
    while (i < len && (uint8_t)utf8[i] < 0x80)
        i++;
    if (i == len) {
        rt_value s = rt_make_base_string(len, 0);
        memcpy(rt_body(s), utf8, len);
        return s;
    }
    uint32_t *buf;
    size_t bad;
    long n = rt_utf8_decode(utf8, len, &buf, &bad);
    if (n < 0)
        rt_error("SIMPLE-ERROR", "invalid UTF-8 at byte offset %zu (byte #x%02X)", bad,
                 (unsigned)(uint8_t)utf8[bad]);
    rt_value s = rt_make_string((size_t)n, 0);
    memcpy(rt_body(s), buf, (size_t)n * 4);
    free(buf);
    return s;
}

rt_value rt_string_from_cstr(const char *utf8) { return rt_string_from_utf8(utf8, strlen(utf8)); }

char *rt_string_to_utf8(rt_value s, size_t *len_out)
{
    size_t start, len;
    rt_value d = rt_string_data(s, &start, &len);
    char *out = malloc(len * 4 + 1);
    if (!out)
        rt_storage_error("UTF-8 encoding buffer");
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += (size_t)rt_utf8_encode(rt_string_ref(d, start + i), out + n);
    out[n] = 0;
    if (len_out)
        *len_out = n;
    return out;
}

char *rt_debug_string(rt_value v)
{
    if (rt_stringp(v))
        return rt_string_to_utf8(v, NULL);
    if (rt_symbolp(v))
        return rt_string_to_utf8(rt_symbol_name(v), NULL);
    return strdup("?");
}

bool rt_stringp(rt_value v)
{
    if (rt_simple_string_p(v))
        return true;
    if (rt_widetagp(v, RT_WT_ARRAY) && rt_info(v) == 1) {
        rt_value d = rt_body(v)[RT_ARR_DATA];
        return rt_simple_string_p(d);
    }
    return false;
}

rt_value rt_string_data(rt_value s, size_t *start, size_t *len)
{
    if (rt_simple_string_p(s)) {
        *start = 0;
        *len = rt_string_length(s);
        return s;
    }
    if (!rt_stringp(s))
        rt_type_error(s, "string");
    rt_value *b = rt_body(s);
    *start = (size_t)rt_fixnum_value(b[RT_ARR_OFFSET]);
    *len = rt_fixnump(b[RT_ARR_FILL]) ? (size_t)rt_fixnum_value(b[RT_ARR_FILL])
                                      : (size_t)rt_fixnum_value(b[RT_ARR_DIMS]);
    return b[RT_ARR_DATA];
}

bool rt_string_equal(rt_value a, rt_value b)
{
    size_t sa, la, sb, lb;
    rt_value da = rt_string_data(a, &sa, &la), db = rt_string_data(b, &sb, &lb);
    if (la != lb)
        return false;
    if (rt_widetag(da) == RT_WT_BASE_STRING && rt_widetag(db) == RT_WT_BASE_STRING)
        return memcmp((uint8_t *)rt_body(da) + sa, (uint8_t *)rt_body(db) + sb, la) == 0;
    for (size_t i = 0; i < la; i++)
        if (rt_string_ref(da, sa + i) != rt_string_ref(db, sb + i))
            return false;
    return true;
}

uint64_t rt_string_hash_chars(const uint32_t *chars, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < len; i++) {
        h ^= chars[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* Same function as rt_string_hash_chars, over a Lisp string. */
uint64_t rt_string_hash(rt_value s);
uint64_t rt_string_hash(rt_value s)
{
    size_t st, len;
    rt_value d = rt_string_data(s, &st, &len);
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < len; i++) {
        h ^= rt_string_ref(d, st + i);
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

rt_value rt_string_designator(rt_value v)
{
    if (rt_stringp(v))
        return v;
    if (rt_symbolp(v))
        return rt_symbol_name(v);
    if (rt_characterp(v)) {
        uint32_t c = rt_char_code(v);
        rt_value s = rt_make_string(1, c);
        return s;
    }
    rt_type_error(v, "(or string symbol character)");
}

/* ---- Lisp functions -------------------------------------------------------------- */

static size_t check_len(rt_value v)
{
    if (!rt_fixnump(v) || rt_fixnum_value(v) < 0)
        rt_type_error(v, "(integer 0 *)");
    return (size_t)rt_fixnum_value(v);
}

/* Parses :start/:end keywords (or positional start/end) for a string of length len. */
static void bounds(rt_value st, rt_value en, size_t len, size_t *s, size_t *e)
{
    *s = 0;
    *e = len;
    if (st != RT_NO_VALUE && !rt_null(st))
        *s = (size_t)rt_check_index(st, 0, (int64_t)len, "(integer 0 *)");
    if (en != RT_NO_VALUE && !rt_null(en))
        *e = (size_t)rt_check_index(en, 0, (int64_t)len, "(or null (integer 0 *))");
    if (*s > *e)
        rt_error("SIMPLE-ERROR", "bounding indices start %zu > end %zu", *s, *e);
}

static rt_value p_make_string(rt_value *a, size_t n)
{
    static const char *const allowed[] = {"INITIAL-ELEMENT", "ELEMENT-TYPE", NULL};
    size_t len = check_len(a[0]);
    rt_kwargs_check(a, n, 1, allowed);
    rt_value ie = rt_kwarg(a, n, 1, "INITIAL-ELEMENT");
    rt_value et = rt_kwarg(a, n, 1, "ELEMENT-TYPE");
    uint32_t fill = ie == RT_NO_VALUE ? 0 : rt_check_char(ie);
    if (et == rt_sym_base_char && fill < 256)
        return rt_make_base_string(len, (uint8_t)fill);
    return rt_make_string(len, fill);
}

static rt_value p_char(rt_value *a, size_t n)
{
    size_t st, len;
    rt_value d = rt_string_data(a[0], &st, &len);
    size_t i = (size_t)rt_check_index(a[1], 0, (int64_t)len - 1, "(integer 0 *)");
    return rt_char(rt_string_ref(d, st + i));
}

static void string_set(rt_value d, size_t i, uint32_t c)
{
    if (rt_widetag(d) == RT_WT_STRING) {
        uint32_t *p = (uint32_t *)rt_body(d) + i;
        rt_store_raw(p, &c, 4);
    } else {
        if (c > 255)
            rt_type_error(rt_char(c), "base-char");
        uint8_t b = (uint8_t)c;
        rt_store_raw((uint8_t *)rt_body(d) + i, &b, 1);
    }
}

/* (SYS:%SET-CHAR string index char) */
static rt_value p_set_char(rt_value *a, size_t n)
{
    size_t st, len;
    rt_value d = rt_string_data(a[0], &st, &len);
    size_t i = (size_t)rt_check_index(a[1], 0, (int64_t)len - 1, "(integer 0 *)");
    string_set(d, st + i, rt_check_char(a[2]));
    return a[2];
}

static rt_value p_stringp(rt_value *a, size_t n) { return rt_bool(rt_stringp(a[0])); }
static rt_value p_simple_string_p(rt_value *a, size_t n) { return rt_bool(rt_simple_string_p(a[0])); }
static rt_value p_string(rt_value *a, size_t n) { return rt_string_designator(a[0]); }

/* Compares designators a and b over their bounds. Returns the mismatch index (relative
 * to a's data) via *idx and the ordering <0, 0, >0. */
static int compare(rt_value *a, size_t n, bool fold, size_t *idx)
{
    rt_value x = rt_string_designator(a[0]);
    RT_ROOTS(x);
    rt_value y = rt_string_designator(a[1]);
    size_t xs, xl, ys, yl;
    rt_value dx = rt_string_data(x, &xs, &xl), dy = rt_string_data(y, &ys, &yl);
    size_t s1, e1, s2, e2;
    bounds(rt_kwarg(a, n, 2, "START1"), rt_kwarg(a, n, 2, "END1"), xl, &s1, &e1);
    bounds(rt_kwarg(a, n, 2, "START2"), rt_kwarg(a, n, 2, "END2"), yl, &s2, &e2);
    size_t i = s1, j = s2;
    for (; i < e1 && j < e2; i++, j++) {
        uint32_t c1 = rt_string_ref(dx, xs + i), c2 = rt_string_ref(dy, ys + j);
        if (fold) {
            c1 = rt_char_downcase(c1);
            c2 = rt_char_downcase(c2);
        }
        if (c1 != c2) {
            *idx = i;
            return c1 < c2 ? -1 : 1;
        }
    }
    *idx = i;
    if (i == e1 && j == e2)
        return 0;
    return i == e1 ? -1 : 1;
}

static const char *const cmp_keys[] = {"START1", "END1", "START2", "END2", NULL};
#define STRCMP_PRIM(fname, fold, test, eqonly)                         \
    static rt_value fname(rt_value *a, size_t n)                         \
    {                                                                    \
        rt_kwargs_check(a, n, 2, cmp_keys);                              \
        size_t idx;                                                      \
        int c = compare(a, n, fold, &idx);                               \
        if (eqonly)                                                      \
            return rt_bool(test);                                        \
        return (test) ? rt_fixnum((int64_t)idx) : RT_NIL;                \
    }
STRCMP_PRIM(p_string_eq, false, c == 0, 1)
STRCMP_PRIM(p_string_ne, false, c != 0, 0)
STRCMP_PRIM(p_string_lt, false, c < 0, 0)
STRCMP_PRIM(p_string_gt, false, c > 0, 0)
STRCMP_PRIM(p_string_le, false, c <= 0, 0)
STRCMP_PRIM(p_string_ge, false, c >= 0, 0)
STRCMP_PRIM(p_string_equal, true, c == 0, 1)
STRCMP_PRIM(p_string_not_equal, true, c != 0, 0)
STRCMP_PRIM(p_string_lessp, true, c < 0, 0)
STRCMP_PRIM(p_string_greaterp, true, c > 0, 0)
STRCMP_PRIM(p_string_not_greaterp, true, c <= 0, 0)
STRCMP_PRIM(p_string_not_lessp, true, c >= 0, 0)

/* Copy of a designator as a fresh RT_WT_STRING. */
static rt_value fresh_copy(rt_value v, size_t *len_out)
{
    rt_value s = rt_string_designator(v);
    RT_ROOTS(s);
    size_t st, len;
    rt_string_data(s, &st, &len);
    rt_value out = rt_make_string(len, 0);
    rt_value d = rt_string_data(s, &st, &len);
    uint32_t *o = (uint32_t *)rt_body(out);
    for (size_t i = 0; i < len; i++)
        o[i] = rt_string_ref(d, st + i);
    *len_out = len;
    return out;
}

enum casemode { UP, DOWN, CAP };
static void case_convert(uint32_t *o, size_t s, size_t e, enum casemode m)
{
    bool in_word = false;
    for (size_t i = s; i < e; i++) {
        uint32_t c = o[i];
        if (m == UP)
            o[i] = rt_char_upcase(c);
        else if (m == DOWN)
            o[i] = rt_char_downcase(c);
        else {
            bool alnum = rt_char_alpha_p(c) || (c < 128 && c >= '0' && c <= '9');
            if (alnum) {
                o[i] = in_word ? rt_char_downcase(c) : rt_char_upcase(c);
                in_word = true;
            } else {
                in_word = false;
            }
        }
    }
}

static rt_value case_prim(rt_value *a, size_t n, enum casemode m)
{
    static const char *const keys[] = {"START", "END", NULL};
    rt_kwargs_check(a, n, 1, keys);
    size_t len;
    rt_value out = fresh_copy(a[0], &len);
    size_t s, e;
    bounds(rt_kwarg(a, n, 1, "START"), rt_kwarg(a, n, 1, "END"), len, &s, &e);
    case_convert((uint32_t *)rt_body(out), s, e, m);
    return out;
}
static rt_value p_string_upcase(rt_value *a, size_t n) { return case_prim(a, n, UP); }
static rt_value p_string_downcase(rt_value *a, size_t n) { return case_prim(a, n, DOWN); }
static rt_value p_string_capitalize(rt_value *a, size_t n) { return case_prim(a, n, CAP); }

static rt_value ncase_prim(rt_value *a, size_t n, enum casemode m)
{
    static const char *const keys[] = {"START", "END", NULL};
    rt_kwargs_check(a, n, 1, keys);
    size_t st, len;
    rt_value d = rt_string_data(a[0], &st, &len);
    size_t s, e;
    bounds(rt_kwarg(a, n, 1, "START"), rt_kwarg(a, n, 1, "END"), len, &s, &e);
    uint32_t *tmp = malloc((len ? len : 1) * 4);
    if (!tmp)
        rt_storage_error("string buffer");
    for (size_t i = 0; i < len; i++)
        tmp[i] = rt_string_ref(d, st + i);
    case_convert(tmp, s, e, m);
    for (size_t i = s; i < e; i++) {
        if (rt_widetag(d) == RT_WT_BASE_STRING && tmp[i] > 255)
            tmp[i] = rt_string_ref(d, st + i); /* no Latin-1 case partner */
        string_set(d, st + i, tmp[i]);
    }
    free(tmp);
    return a[0];
}
static rt_value p_nstring_upcase(rt_value *a, size_t n) { return ncase_prim(a, n, UP); }
static rt_value p_nstring_downcase(rt_value *a, size_t n) { return ncase_prim(a, n, DOWN); }
static rt_value p_nstring_capitalize(rt_value *a, size_t n) { return ncase_prim(a, n, CAP); }

static bool in_bag(rt_value bag, uint32_t c)
{
    if (rt_listp(bag)) {
        for (rt_value l = bag; rt_consp(l); l = rt_cdr(l))
            if (rt_characterp(rt_car(l)) && rt_char_code(rt_car(l)) == c)
                return true;
        return false;
    }
    size_t n = rt_seq_length(bag);
    for (size_t i = 0; i < n; i++) {
        rt_value x = rt_vector_ref(bag, i);
        if (rt_characterp(x) && rt_char_code(x) == c)
            return true;
    }
    return false;
}

static rt_value trim(rt_value *a, bool left, bool right)
{
    rt_value bag = a[0];
    rt_value s = rt_string_designator(a[1]);
    RT_ROOTS(bag, s);
    size_t st, len;
    rt_value d = rt_string_data(s, &st, &len);
    size_t i = 0, j = len;
    if (left)
        while (i < j && in_bag(bag, rt_string_ref(d, st + i)))
            i++;
    if (right)
        while (j > i && in_bag(bag, rt_string_ref(d, st + j - 1)))
            j--;
    rt_value out = rt_make_string(j - i, 0);
    d = rt_string_data(s, &st, &len);
    uint32_t *o = (uint32_t *)rt_body(out);
    for (size_t k = i; k < j; k++)
        o[k - i] = rt_string_ref(d, st + k);
    return out;
}
static rt_value p_string_trim(rt_value *a, size_t n) { return trim(a, true, true); }
static rt_value p_string_left_trim(rt_value *a, size_t n) { return trim(a, true, false); }
static rt_value p_string_right_trim(rt_value *a, size_t n) { return trim(a, false, true); }

/* (SYS:%STRING-TO-UTF8 string) -> (unsigned-byte 8) vector; (SYS:%UTF8-TO-STRING v) */
static rt_value p_string_to_utf8(rt_value *a, size_t n)
{
    size_t len;
    char *u = rt_string_to_utf8(a[0], &len);
    rt_value v = rt_alloc_object(RT_WT_VECTOR_U8, len, (len + 7) / 8, 0);
    memcpy(rt_body(v), u, len);
    free(u);
    return v;
}
static rt_value p_utf8_to_string(rt_value *a, size_t n)
{
    if (!rt_widetagp(a[0], RT_WT_VECTOR_U8))
        rt_type_error(a[0], "(simple-array (unsigned-byte 8) (*))");
    size_t len = (size_t)rt_info(a[0]);
    char *copy = malloc(len ? len : 1);
    if (!copy)
        rt_storage_error("UTF-8 buffer");
    memcpy(copy, rt_body(a[0]), len);
    uint32_t *buf;
    size_t bad;
    long m = rt_utf8_decode(copy, len, &buf, &bad);
    free(copy);
    if (m < 0)
        rt_error("SIMPLE-ERROR", "invalid UTF-8 at byte offset %zu", bad);
    rt_value s = rt_make_string((size_t)m, 0);
    memcpy(rt_body(s), buf, (size_t)m * 4);
    free(buf);
    return s;
}

const rt_prim_def rt_string_prims[] = {
    {"COMMON-LISP", "MAKE-STRING", p_make_string, 1, -1},
    {"COMMON-LISP", "CHAR", p_char, 2, 2},
    {"COMMON-LISP", "SCHAR", p_char, 2, 2},
    {"KONS-SYSTEM", "%SET-CHAR", p_set_char, 3, 3},
    {"COMMON-LISP", "STRINGP", p_stringp, 1, 1},
    {"COMMON-LISP", "SIMPLE-STRING-P", p_simple_string_p, 1, 1},
    {"COMMON-LISP", "STRING", p_string, 1, 1},
    {"COMMON-LISP", "STRING=", p_string_eq, 2, -1},
    {"COMMON-LISP", "STRING/=", p_string_ne, 2, -1},
    {"COMMON-LISP", "STRING<", p_string_lt, 2, -1},
    {"COMMON-LISP", "STRING>", p_string_gt, 2, -1},
    {"COMMON-LISP", "STRING<=", p_string_le, 2, -1},
    {"COMMON-LISP", "STRING>=", p_string_ge, 2, -1},
    {"COMMON-LISP", "STRING-EQUAL", p_string_equal, 2, -1},
    {"COMMON-LISP", "STRING-NOT-EQUAL", p_string_not_equal, 2, -1},
    {"COMMON-LISP", "STRING-LESSP", p_string_lessp, 2, -1},
    {"COMMON-LISP", "STRING-GREATERP", p_string_greaterp, 2, -1},
    {"COMMON-LISP", "STRING-NOT-GREATERP", p_string_not_greaterp, 2, -1},
    {"COMMON-LISP", "STRING-NOT-LESSP", p_string_not_lessp, 2, -1},
    {"COMMON-LISP", "STRING-UPCASE", p_string_upcase, 1, -1},
    {"COMMON-LISP", "STRING-DOWNCASE", p_string_downcase, 1, -1},
    {"COMMON-LISP", "STRING-CAPITALIZE", p_string_capitalize, 1, -1},
    {"COMMON-LISP", "NSTRING-UPCASE", p_nstring_upcase, 1, -1},
    {"COMMON-LISP", "NSTRING-DOWNCASE", p_nstring_downcase, 1, -1},
    {"COMMON-LISP", "NSTRING-CAPITALIZE", p_nstring_capitalize, 1, -1},
    {"COMMON-LISP", "STRING-TRIM", p_string_trim, 2, 2},
    {"COMMON-LISP", "STRING-LEFT-TRIM", p_string_left_trim, 2, 2},
    {"COMMON-LISP", "STRING-RIGHT-TRIM", p_string_right_trim, 2, 2},
    {"KONS-SYSTEM", "%STRING-TO-UTF8", p_string_to_utf8, 1, 1},
    {"KONS-SYSTEM", "%UTF8-TO-STRING", p_utf8_to_string, 1, 1},
};
const size_t rt_string_prims_count = RT_COUNTOF(rt_string_prims);
