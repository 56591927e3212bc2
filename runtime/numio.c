/* runtime/numio.c: numbers from reader tokens and to printed text.
 *
 * Printing floats follows SBCL exactly (with *print-pretty* nil and default settings),
 * because the bar is "prints what SBCL prints":
 *  - digits: the free-format shortest digits of Burger & Dybvig (1996, figure 1), the
 *    algorithm SBCL uses, computed exactly with GMP, with SBCL's boundary rules (high-ok
 *    and low-ok when the mantissa is even; the asymmetric gap below a power of two except
 *    at SBCL's min-e);
 *  - notation: with k the position of the decimal point (value = 0.DIGITS * 10^k),
 *    fixed notation when -3 < k < 8, otherwise d.ddd plus an exponent; the exponent
 *    marker is 'e' (omitted when the exponent is 0) for the *read-default-float-format*
 *    type, else 'f' or 'd' and always written.
 * Reading floats is correctly rounded (round half even), so print -> read is identity.
 */
#include "number_impl.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- A small growable byte buffer (malloc'd: it holds no Lisp data) ---------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_reserve(sbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 32;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        free(b->p);
        rt_storage_error("out of memory printing a number");
    }
    b->p = p;
    b->cap = cap;
}
static void sb_putc(sbuf *b, char c)
{
    sb_reserve(b, 1);
    b->p[b->len++] = c;
    b->p[b->len] = 0;
}
static void sb_puts(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    sb_reserve(b, n);
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

/* ---- Integers -------------------------------------------------------------------- */

static void put_integer(sbuf *b, rt_value n, unsigned base)
{
    if (rt_fixnump(n)) {
        int64_t v = rt_fixnum_value(n);
        char tmp[72];
        size_t i = sizeof tmp;
        uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        do {
            unsigned d = (unsigned)(u % base);
            tmp[--i] = (char)(d < 10 ? '0' + d : 'A' + d - 10);
            u /= base;
        } while (u);
        if (v < 0)
            tmp[--i] = '-';
        sb_reserve(b, sizeof tmp - i);
        memcpy(b->p + b->len, tmp + i, sizeof tmp - i);
        b->len += sizeof tmp - i;
        b->p[b->len] = 0;
        return;
    }
    rt_zview w;
    mpz_srcptr z = rt_zv(&w, n);
    size_t need = mpz_sizeinbase(z, (int)base) + 2;
    sb_reserve(b, need);
    mpz_get_str(b->p + b->len, -(int)base, z);   /* negative base: upper-case digits */
    b->len += strlen(b->p + b->len);
}

/* ---- Float digits ------------------------------------------------------------------ */

/* Shortest digits of finite, non-zero |x| into digits (NUL-terminated); returns k with
 * |x| ~ 0.DIGITS * 10^k. Uses scratch 0..4. */
static int float_digits(double x, bool single, char *digits, size_t cap)
{
    int p = single ? 24 : 53;
    long min_e = single ? -148 : -1073;
    uint64_t f;
    long e;
    if (single) {
        float s = (float)fabs(x);
        uint32_t bits;
        memcpy(&bits, &s, 4);
        uint32_t ex = (bits >> 23) & 0xFF, fr = bits & 0x7FFFFF;
        if (ex == 0) {
            f = fr;
            e = -149;
        } else {
            f = fr | 0x800000;
            e = (long)ex - 150;
        }
    } else {
        double d = fabs(x);
        uint64_t bits;
        memcpy(&bits, &d, 8);
        uint64_t ex = (bits >> 52) & 0x7FF, fr = bits & ((UINT64_C(1) << 52) - 1);
        if (ex == 0) {
            f = fr;
            e = -1074;
        } else {
            f = fr | (UINT64_C(1) << 52);
            e = (long)ex - 1075;
        }
    }
    /* SBCL decodes subnormals with a mantissa normalised to full precision (and a lower
     * exponent), so its interval for them is narrower than the true rounding interval
     * and it prints more digits; we do the same to print what SBCL prints. */
    while (f < (UINT64_C(1) << (p - 1))) {
        f <<= 1;
        e--;
    }
    bool even = (f & 1) == 0, high_ok = even, low_ok = even;
    mpz_ptr r = RT_Z(0), s = RT_Z(1), mp = RT_Z(2), mm = RT_Z(3), t = RT_Z(4);
    bool boundary = f == (UINT64_C(1) << (p - 1));
    if (e >= 0) {
        mpz_set_ui(mm, 1);
        mpz_mul_2exp(mm, mm, (mp_bitcnt_t)e);          /* be */
        if (!boundary) {
            mpz_set_ui(r, f);
            mpz_mul_2exp(r, r, (mp_bitcnt_t)e + 1);
            mpz_set_ui(s, 2);
            mpz_set(mp, mm);
        } else {
            mpz_mul_2exp(mp, mm, 1);
            mpz_set_ui(r, f);
            mpz_mul_2exp(r, r, (mp_bitcnt_t)e + 2);
            mpz_set_ui(s, 4);
        }
    } else if (e == min_e || !boundary) {
        mpz_set_ui(r, f);
        mpz_mul_2exp(r, r, 1);
        mpz_set_ui(s, 1);
        mpz_mul_2exp(s, s, (mp_bitcnt_t)(-e) + 1);
        mpz_set_ui(mp, 1);
        mpz_set_ui(mm, 1);
    } else {
        mpz_set_ui(mm, 1);
        mpz_set_ui(mp, 2);
        mpz_set_ui(r, f);
        mpz_mul_2exp(r, r, 2);
        mpz_set_ui(s, 1);
        mpz_mul_2exp(s, s, (mp_bitcnt_t)(1 - e) + 1);
    }
    /* scale: find k. SBCL steps k one by one from 0; we start from an estimate (never
     * above the true k by more than one) and run the same two monotone fix-up loops,
     * which end at the same unique k: only the ratios r/s, m+/s, m-/s matter. */
    int k = (int)floor(log10(fabs(x))) - 1;
    if (k > 0) {
        mpz_ui_pow_ui(t, 10, (unsigned long)k);
        mpz_mul(s, s, t);
    } else if (k < 0) {
        mpz_ui_pow_ui(t, 10, (unsigned long)-k);
        mpz_mul(r, r, t);
        mpz_mul(mp, mp, t);
        mpz_mul(mm, mm, t);
    }
    mpz_add(t, r, mp);
    for (;;) {
        int c = mpz_cmp(t, s);
        if (!(c > 0 || (high_ok && c == 0)))
            break;
        mpz_mul_ui(s, s, 10);
        k++;
    }
    for (;;) {
        if (mpz_cmp(r, mm) <= 0)
            break;
        mpz_add(t, r, mp);
        mpz_mul_ui(t, t, 10);
        int c = mpz_cmp(t, s);
        if (!(c < 0 || (!high_ok && c == 0)))
            break;
        k--;
        mpz_mul_ui(r, r, 10);
        mpz_mul_ui(mp, mp, 10);
        mpz_mul_ui(mm, mm, 10);
    }
    /* generate */
    size_t n = 0;
    for (;;) {
        mpz_mul_ui(r, r, 10);
        mpz_tdiv_qr(t, r, r, s);
        unsigned d = (unsigned)mpz_get_ui(t);
        mpz_mul_ui(mp, mp, 10);
        mpz_mul_ui(mm, mm, 10);
        int c1 = mpz_cmp(r, mm);
        bool tc1 = c1 < 0 || (low_ok && c1 == 0);
        mpz_add(t, r, mp);
        int c2 = mpz_cmp(t, s);
        bool tc2 = c2 > 0 || (high_ok && c2 == 0);
        if (tc1 || tc2) {
            if (!tc1 && tc2)
                d++;
            else if (tc1 && tc2) {
                mpz_mul_2exp(t, r, 1);
                if (mpz_cmp(t, s) >= 0)
                    d++;
            }
            if (n + 1 < cap)
                digits[n++] = (char)('0' + d);
            break;
        }
        if (n + 1 < cap)
            digits[n++] = (char)('0' + d);
    }
    digits[n] = 0;
    return k;
}

static void put_exponent(sbuf *b, bool single, char float_format, int exp)
{
    bool dflt_double = float_format == 'd' || float_format == 'l';
    bool is_default = single != dflt_double;
    char tmp[24];
    if (is_default) {
        if (exp != 0) {
            snprintf(tmp, sizeof tmp, "e%d", exp);
            sb_puts(b, tmp);
        }
    } else {
        snprintf(tmp, sizeof tmp, "%c%d", single ? 'f' : 'd', exp);
        sb_puts(b, tmp);
    }
}

static void put_float(sbuf *b, double x, bool single, char float_format)
{
    if (isnan(x)) {
        sb_puts(b, single ? "#<SINGLE-FLOAT quiet NaN>" : "#<DOUBLE-FLOAT quiet NaN>");
        return;
    }
    if (isinf(x)) {
        sb_puts(b, "#.KONS:");
        sb_puts(b, single ? "SINGLE-FLOAT-" : "DOUBLE-FLOAT-");
        sb_puts(b, x > 0 ? "POSITIVE-INFINITY" : "NEGATIVE-INFINITY");
        return;
    }
    if (signbit(x))
        sb_putc(b, '-');
    if (x == 0) {
        sb_puts(b, "0.0");
        put_exponent(b, single, float_format, 0);
        return;
    }
    char digits[40];
    int k = float_digits(x, single, digits, sizeof digits);
    int len = (int)strlen(digits);
    if (k > -3 && k < 8) {
        if (k > 0) {
            for (int i = 0; i < k; i++)
                sb_putc(b, i < len ? digits[i] : '0');
            sb_putc(b, '.');
            if (len > k)
                sb_puts(b, digits + k);
            else
                sb_putc(b, '0');
        } else {
            sb_puts(b, "0.");
            for (int i = 0; i < -k; i++)
                sb_putc(b, '0');
            sb_puts(b, digits);
        }
        put_exponent(b, single, float_format, 0);
    } else {
        sb_putc(b, digits[0]);
        sb_putc(b, '.');
        if (len > 1)
            sb_puts(b, digits + 1);
        else
            sb_putc(b, '0');
        put_exponent(b, single, float_format, k - 1);
    }
}

static void put_number(sbuf *b, rt_value n, unsigned base, char float_format)
{
    switch (rt_num_kind(n)) {
    case RT_NK_FIXNUM:
    case RT_NK_BIGNUM: put_integer(b, n, base); break;
    case RT_NK_RATIO:
        put_integer(b, rt_body(n)[0], base);
        sb_putc(b, '/');
        put_integer(b, rt_body(n)[1], base);
        break;
    case RT_NK_SINGLE: put_float(b, rt_single_value(n), true, float_format); break;
    case RT_NK_DOUBLE: put_float(b, rt_double_value(n), false, float_format); break;
    case RT_NK_COMPLEX:
        sb_puts(b, "#C(");
        put_number(b, rt_body(n)[0], base, float_format);
        sb_putc(b, ' ');
        put_number(b, rt_body(n)[1], base, float_format);
        sb_putc(b, ')');
        break;
    default: rt_num_type_error(n, "number");
    }
}

char *rt_number_to_string(rt_value n, unsigned base, char float_format)
{
    if (base < 2 || base > 36)
        rt_error("TYPE-ERROR", "print base %u is not in (integer 2 36)", base);
    if (!rt_numberp(n))
        rt_num_type_error(n, "number");
    sbuf b = {0};
    sb_reserve(&b, 16);
    put_number(&b, n, base, float_format);
    return b.p;
}

int rt_float_shortest_digits(rt_value f, char *buf, size_t cap)
{
    double x;
    bool single = rt_single_floatp(f);
    if (single)
        x = rt_single_value(f);
    else if (rt_double_float_p(f))
        x = rt_double_value(f);
    else
        rt_num_type_error(f, "float");
    if (cap < 2 || !isfinite(x) || x == 0) {
        if (cap)
            buf[0] = 0;
        return 0;
    }
    return float_digits(x, single, buf, cap);
}

/* ---- Parsing ----------------------------------------------------------------------- */

static int digit_value(uint32_t c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    if (c >= 'a' && c <= 'z')
        return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'Z')
        return (int)(c - 'A' + 10);
    return 99;
}

/* Digits tok[i..j) in base into scratch z (ASCII digits already checked). */
static void digits_to_mpz(mpz_ptr z, const uint32_t *tok, size_t i, size_t j, unsigned base)
{
    size_t n = j - i;
    if (n <= 18 && base <= 10) {
        uint64_t v = 0;
        for (size_t k = i; k < j; k++)
            v = v * base + (uint64_t)digit_value(tok[k]);
        mpz_set_ui(z, v);
        return;
    }
    char small[64];
    char *s = n < sizeof small ? small : malloc(n + 1);
    if (!s)
        rt_storage_error("out of memory reading a number");
    for (size_t k = 0; k < n; k++)
        s[k] = (char)"0123456789abcdefghijklmnopqrstuvwxyz"[digit_value(tok[i + k])];
    s[n] = 0;
    mpz_set_str(z, s, (int)base);
    if (s != small)
        free(s);
}

static size_t scan_digits(const uint32_t *tok, size_t i, size_t len, unsigned base)
{
    while (i < len && digit_value(tok[i]) < (int)base)
        i++;
    return i;
}

static rt_value integer_from(const uint32_t *tok, size_t i, size_t j, unsigned base, bool neg)
{
    if (j - i <= 12 || (base <= 10 && j - i <= 18)) {
        int64_t v = 0;
        for (size_t k = i; k < j; k++)
            v = v * base + digit_value(tok[k]);
        return rt_make_integer(neg ? -v : v);
    }
    digits_to_mpz(RT_Z(0), tok, i, j, base);
    if (neg)
        mpz_neg(RT_Z(0), RT_Z(0));
    return rt_num_from_mpz(RT_Z(0));
}

/* A decimal float: mantissa digits tok[a..b) and tok[c..d) (fraction), decimal exponent
 * exp10 (saturated), kind single or double. */
static rt_value make_float(const uint32_t *tok, size_t a, size_t b, size_t c, size_t d,
                           long exp10, bool single, bool neg)
{
    /* mantissa as an integer M; value = M * 10^(exp10 - (d - c)) */
    size_t nd = (b - a) + (d - c);
    char small[64];
    char *s = nd < sizeof small ? small : malloc(nd + 1);
    if (!s)
        rt_storage_error("out of memory reading a number");
    size_t k = 0;
    for (size_t i = a; i < b; i++)
        s[k++] = (char)tok[i];
    for (size_t i = c; i < d; i++)
        s[k++] = (char)tok[i];
    s[k] = 0;
    mpz_ptr m = RT_Z(0), den = RT_Z(1);
    if (nd == 0)
        mpz_set_ui(m, 0);
    else
        mpz_set_str(m, s, 10);
    if (s != small)
        free(s);
    double r;
    if (mpz_sgn(m) == 0) {
        r = 0.0;
    } else {
        long scale = exp10 - (long)(d - c);
        /* magnitude: M has about mdig significant digits */
        long mdig = (long)mpz_sizeinbase(m, 10);
        long mag = mdig + scale;   /* value < 10^mag, >= 10^(mag-2) */
        if (mag > (single ? 40 : 310))
            rt_error("READER-ERROR", "floating-point-overflow reading a %s float",
                     single ? "single" : "double");
        if (mag < (single ? -47 : -326)) {
            r = 0.0;
        } else {
            if (scale >= 0) {
                mpz_ui_pow_ui(den, 10, (unsigned long)scale);
                mpz_mul(m, m, den);
                mpz_set_ui(den, 1);
            } else {
                mpz_ui_pow_ui(den, 10, (unsigned long)-scale);
            }
            mpq_set_num(RT_Q(2), m);
            mpq_set_den(RT_Q(2), den);
            mpq_canonicalize(RT_Q(2));
            bool overflow = false;
            r = rt_num_mpq_to_float_(RT_Q(2), single, &overflow);
            if (overflow)
                rt_error("READER-ERROR", "floating-point-overflow reading a %s float",
                         single ? "single" : "double");
        }
    }
    if (neg)
        r = -r;
    return single ? rt_single((float)r) : rt_make_double(r);
}

rt_value rt_parse_number(const uint32_t *tok, size_t len, unsigned base, char float_format)
{
    if (len == 0 || base < 2 || base > 36)
        return RT_NO_VALUE;
    size_t i = 0;
    bool neg = false;
    if (tok[0] == '+' || tok[0] == '-') {
        neg = tok[0] == '-';
        i = 1;
    }
    if (i == len)
        return RT_NO_VALUE;
    /* integer or ratio in base */
    size_t j = scan_digits(tok, i, len, base);
    if (j > i) {
        if (j == len)
            return integer_from(tok, i, j, base, neg);
        if (tok[j] == '/') {
            size_t k = scan_digits(tok, j + 1, len, base);
            if (k == len && k > j + 1) {
                rt_value num = integer_from(tok, i, j, base, neg);
                RT_ROOTS(num);
                rt_value den = integer_from(tok, j + 1, k, base, false);
                if (den == rt_fixnum(0))
                    rt_error("READER-ERROR", "division by zero in the ratio token");
                return rt_make_rational(num, den);
            }
            return RT_NO_VALUE;
        }
    }
    /* decimal: integer with trailing dot, or float */
    size_t a = i, b = scan_digits(tok, i, len, 10), c = b, d = b;
    if (b < len && tok[b] == '.') {
        c = b + 1;
        d = scan_digits(tok, c, len, 10);
        if (d == len) {
            if (d == c)   /* "123." : decimal integer; "." or "+." : not a number */
                return b > a ? integer_from(tok, a, b, 10, neg) : RT_NO_VALUE;
            return make_float(tok, a, b, c, d, 0, float_format != 'd' && float_format != 'l', neg);
        }
    }
    if (b == a && d == c)
        return RT_NO_VALUE;   /* no digits at all */
    /* exponent */
    if (d >= len)
        return RT_NO_VALUE;
    uint32_t m = tok[d];
    bool single;
    switch (m) {
    case 'e': case 'E': single = float_format != 'd' && float_format != 'l'; break;
    case 's': case 'S': case 'f': case 'F': single = true; break;
    case 'd': case 'D': case 'l': case 'L': single = false; break;
    default: return RT_NO_VALUE;
    }
    size_t p = d + 1;
    bool eneg = false;
    if (p < len && (tok[p] == '+' || tok[p] == '-')) {
        eneg = tok[p] == '-';
        p++;
    }
    size_t q = scan_digits(tok, p, len, 10);
    if (q == p || q != len)
        return RT_NO_VALUE;
    long exp10 = 0;
    for (size_t k = p; k < q; k++) {
        if (exp10 < 100000000)
            exp10 = exp10 * 10 + (long)(tok[k] - '0');
    }
    if (eneg)
        exp10 = -exp10;
    return make_float(tok, a, b, c, d, exp10, single, neg);
}
