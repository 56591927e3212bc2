/* runtime/numfun.c: the numeric functions of the standard above the four operations:
 * rounding and division, integer and bit functions, byte specifiers, float decoding,
 * rational/rationalize, and the irrational and transcendental functions.
 *
 * Where the standard leaves a choice, the behaviour is SBCL's (checked against SBCL
 * 2.2.9 in tests/unit/number_cases.h): rounding of floats goes through truncation of the
 * float quotient as SBCL's number.lisp does; transcendental functions of rationals and
 * single-floats compute in double and round to single; branch cuts are the standard's
 * (CLHS 12.1.5.3, Kahan's), taken through C99's complex functions with the sign of a
 * zero imaginary part chosen on the side the standard makes the function continuous.
 */
#include "number_impl.h"

#include <complex.h>
/* clang 14 with glibc lacks C11's CMPLX (the libFuzzer build); build the value from its
 * parts without the multiplication by I, which would mangle infinities and signed zeros. */
#ifndef CMPLX
static inline double complex num_cmplx_(double re, double im)
{
    union { double complex z; double p[2]; } u = {.p = {re, im}};
    return u.z;
}
#define CMPLX(re, im) num_cmplx_((re), (im))
#endif
#include <fenv.h>
#include <stdlib.h>
#include <float.h>

static bool is_int(rt_value v) { return rt_fixnump(v) || rt_bignump(v); }
static void need_integer(rt_value v)
{
    if (!is_int(v))
        rt_num_type_error(v, "integer");
}
static void need_real(rt_value v)
{
    if (!rt_realp(v))
        rt_num_type_error(v, "real");
}

rt_value rt_abs(rt_value n)
{
    switch (rt_num_kind(n)) {
    case RT_NK_FIXNUM:
    case RT_NK_BIGNUM:
    case RT_NK_RATIO: return rt_num_sign(n) < 0 ? rt_negate(n) : n;
    case RT_NK_SINGLE: return rt_single(fabsf(rt_single_value(n)));
    case RT_NK_DOUBLE: return rt_make_double(fabs(rt_double_value(n)));
    case RT_NK_COMPLEX: {
        rt_value re = rt_body(n)[0], im = rt_body(n)[1];
        bool dbl = rt_double_float_p(re);
        double r = hypot(rt_num_to_double(re), rt_num_to_double(im));
        rt_num_fcheck(r, 0, 0, "ABS");
        return dbl ? rt_make_double(r) : rt_make_single_checked(r);
    }
    default: rt_num_type_error(n, "number");
    }
}

/* ---- Division with rounding ------------------------------------------------------- */

/* An integer from a float, exactly (the float is integral already or is truncated). */
static rt_value integer_of_double(double d)
{
    if (!isfinite(d))
        rt_error("FLOATING-POINT-INVALID-OPERATION", "cannot convert %s to an integer",
                 isnan(d) ? "a NaN" : "an infinity");
    if (d > -4.0e18 && d < 4.0e18)
        return rt_make_integer((int64_t)d);
    mpz_set_d(RT_Z(0), d);
    return rt_num_from_mpz(RT_Z(0));
}

static rt_value int_divide(rt_value a, rt_value b, int mode, rt_value *rem)
{
    if (b == rt_fixnum(0))
        rt_error("DIVISION-BY-ZERO", "arithmetic error DIVISION-BY-ZERO signalled: division of an integer by zero");
    if (rt_fixnump(a) && rt_fixnump(b)) {
        int64_t x = rt_fixnum_value(a), y = rt_fixnum_value(b), q = x / y, r = x % y;
        if (r != 0) {
            switch (mode) {
            case 'f':
                if ((r < 0) != (y < 0)) {
                    q--;
                    r += y;
                }
                break;
            case 'c':
                if ((r < 0) == (y < 0)) {
                    q++;
                    r -= y;
                }
                break;
            case 'r': {
                /* |r| vs |y|/2, ties to even */
                uint64_t ar = (uint64_t)(r < 0 ? -r : r) * 2, ay = (uint64_t)(y < 0 ? -y : y);
                if (ar > ay || (ar == ay && (q & 1))) {
                    int s = ((r < 0) == (y < 0)) ? 1 : -1;   /* sign of the true quotient */
                    q += s;
                    r -= s * y;
                }
                break;
            }
            default: break;
            }
        }
        if (rem)
            *rem = rt_fixnum(r);
        return rt_make_integer(q);
    }
    rt_zview x, y;
    mpz_srcptr za = rt_zv(&x, a), zb = rt_zv(&y, b);
    mpz_ptr q = RT_Z(1), r = RT_Z(2);
    switch (mode) {
    case 'f': mpz_fdiv_qr(q, r, za, zb); break;
    case 'c': mpz_cdiv_qr(q, r, za, zb); break;
    case 't': mpz_tdiv_qr(q, r, za, zb); break;
    default: {
        mpz_tdiv_qr(q, r, za, zb);
        if (mpz_sgn(r) != 0) {
            mpz_ptr t = RT_Z(3);
            mpz_mul_2exp(t, r, 1);
            int c = mpz_cmpabs(t, zb);
            if (c > 0 || (c == 0 && mpz_odd_p(q))) {
                if (mpz_sgn(r) == mpz_sgn(zb)) {
                    mpz_add_ui(q, q, 1);
                    mpz_sub(r, r, zb);
                } else {
                    mpz_sub_ui(q, q, 1);
                    mpz_add(r, r, zb);
                }
            }
        }
        break;
    }
    }
    rt_value qv = rt_num_from_mpz(q);
    if (rem) {
        RT_ROOTS(qv);
        *rem = rt_num_from_mpz(r);
    }
    return qv;
}

/* Rounds a real quotient (already computed, as tru/rem by truncation) the way SBCL's
 * floor/ceiling/round do in number.lisp, with generic arithmetic. */
static rt_value adjust(rt_value number, rt_value divisor, int mode, rt_value tru, rt_value rem, rt_value *rem_out)
{
    RT_ROOTS(number, divisor, tru, rem);
    if (mode != 't' && !rt_num_zerop(rem)) {
        int sd = rt_num_sign(divisor), sn = rt_num_sign(number);
        if (mode == 'f' && (sd < 0 ? sn > 0 : sn < 0)) {
            tru = rt_sub(tru, rt_fixnum(1));
            rem = rt_add(rem, divisor);
        } else if (mode == 'c' && (sd < 0 ? sn < 0 : sn > 0)) {
            tru = rt_add(tru, rt_fixnum(1));
            rem = rt_sub(rem, divisor);
        } else if (mode == 'r') {
            rt_value thresh = RT_NIL;
            RT_ROOTS(thresh);
            thresh = rt_div(rt_abs(divisor), rt_fixnum(2));
            bool odd = is_int(tru) ? (rt_fixnump(tru) ? (rt_fixnum_value(tru) & 1) : mpz_odd_p(rt_zv(&(rt_zview){0}, tru)))
                                   : fmod(rt_num_to_double(tru), 2.0) != 0.0;
            int c = rt_num_compare(rem, thresh);
            if (c > 0 || (c == 0 && odd)) {
                if (sd < 0) {
                    tru = rt_sub(tru, rt_fixnum(1));
                    rem = rt_add(rem, divisor);
                } else {
                    tru = rt_add(tru, rt_fixnum(1));
                    rem = rt_sub(rem, divisor);
                }
            } else {
                thresh = rt_negate(thresh);
                c = rt_num_compare(rem, thresh);
                if (c < 0 || (c == 0 && odd)) {
                    if (sd < 0) {
                        tru = rt_add(tru, rt_fixnum(1));
                        rem = rt_sub(rem, divisor);
                    } else {
                        tru = rt_sub(tru, rt_fixnum(1));
                        rem = rt_add(rem, divisor);
                    }
                }
            }
        }
    }
    if (rem_out)
        *rem_out = rem;
    return tru;
}

rt_value rt_divide(rt_value a, rt_value b, int mode, rt_value *rem)
{
    need_real(a);
    need_real(b);
    if (is_int(a) && is_int(b))
        return int_divide(a, b, mode, rem);
    RT_ROOTS(a, b);
    if (rt_rationalp(a) && rt_rationalp(b)) {
        /* q = a/b exactly, n/d; integer part by the integer rule; rem = a - q*b */
        rt_value q = RT_NIL, tru = RT_NIL, r = RT_NIL;
        RT_ROOTS(q, tru, r);
        q = rt_div(a, b);
        if (is_int(q))
            tru = q;
        else
            tru = int_divide(rt_body(q)[0], rt_body(q)[1], mode, NULL);
        if (rem) {
            r = rt_mul(tru, b);
            *rem = rt_sub(a, r);
        }
        return tru;
    }
    /* Floats: SBCL truncates the float quotient, computes the remainder in the float
     * type as number - (float q) * (float divisor), then adjusts (number.lisp). */
    bool dbl = rt_double_float_p(a) || rt_double_float_p(b);
    rt_value tru = RT_NIL, r = RT_NIL;
    RT_ROOTS(tru, r);
    if (dbl) {
        double x = rt_num_to_double(a), y = rt_num_to_double(b);
        if (y == 0)
            rt_error(x == 0 || isnan(x) ? "FLOATING-POINT-INVALID-OPERATION" : "DIVISION-BY-ZERO",
                     "arithmetic error signalled in a division by zero");
        /* + 0.0: the integer quotient coerced back is +0.0, never -0.0 */
        double t = trunc(rt_num_fcheck(x / y, x, y, "TRUNCATE")) + 0.0;
        tru = integer_of_double(t);
        r = rt_make_double(x - t * y);
    } else {
        float x = rt_num_to_single(a), y = rt_num_to_single(b);
        if (y == 0)
            rt_error(x == 0 || isnan(x) ? "FLOATING-POINT-INVALID-OPERATION" : "DIVISION-BY-ZERO",
                     "arithmetic error signalled in a division by zero");
        float q = x / y;
        rt_num_fcheck(q, x, y, "TRUNCATE");
        float t = truncf(q) + 0.0f;
        tru = integer_of_double(t);
        r = rt_single(x - t * y);
    }
    return adjust(a, b, mode, tru, r, rem);
}

rt_value rt_fdivide(rt_value a, rt_value b, int mode, rt_value *rem)
{
    need_real(a);
    need_real(b);
    RT_ROOTS(a, b);
    rt_value tru = RT_NIL, r = RT_NIL;
    RT_ROOTS(tru, r);
    if ((rt_rationalp(a) && rt_rationalp(b)) || mode == 'r') {
        tru = rt_divide(a, b, mode, &r);
        if (rt_double_float_p(r))
            tru = rt_make_double(rt_num_to_double(tru));
        else
            tru = rt_single(rt_num_to_single(tru));
        if (rem)
            *rem = r;
        return tru;
    }
    bool dbl = rt_double_float_p(a) || rt_double_float_p(b);
    rt_value qf = rt_div(a, b);
    double q = dbl ? rt_double_value(qf) : (double)rt_single_value(qf), t;
    if (mode == 'r') {   /* SBCL: (round number divisor), then the quotient as a float */
        tru = rt_divide(a, b, 'r', &r);
        tru = dbl ? rt_make_double(rt_num_to_double(tru)) : rt_single(rt_num_to_single(tru));
        if (rem)
            *rem = r;
        return tru;
    }
    t = trunc(q);
    tru = rt_num_float_of_kind(t, !dbl);
    r = rt_mul(tru, b);
    r = rt_sub(a, r);
    return adjust(a, b, mode, tru, r, rem);
}

/* ---- Integer functions ------------------------------------------------------------ */

rt_value rt_gcd(rt_value a, rt_value b)
{
    need_integer(a);
    need_integer(b);
    if (rt_fixnump(a) && rt_fixnump(b)) {
        uint64_t x = (uint64_t)llabs(rt_fixnum_value(a)), y = (uint64_t)llabs(rt_fixnum_value(b));
        while (y) {
            uint64_t t = x % y;
            x = y;
            y = t;
        }
        return rt_make_unsigned(x);
    }
    rt_zview x, y;
    mpz_gcd(RT_Z(0), rt_zv(&x, a), rt_zv(&y, b));
    return rt_num_from_mpz(RT_Z(0));
}

rt_value rt_lcm(rt_value a, rt_value b)
{
    need_integer(a);
    need_integer(b);
    rt_zview x, y;
    mpz_srcptr za = rt_zv(&x, a), zb = rt_zv(&y, b);
    if (mpz_sgn(za) == 0 || mpz_sgn(zb) == 0)
        return rt_fixnum(0);
    mpz_lcm(RT_Z(0), za, zb);
    return rt_num_from_mpz(RT_Z(0));
}

rt_value rt_isqrt(rt_value n)
{
    if (!is_int(n) || rt_num_sign(n) < 0)
        rt_num_type_error(n, "unsigned-byte");
    rt_zview x;
    mpz_sqrt(RT_Z(0), rt_zv(&x, n));
    return rt_num_from_mpz(RT_Z(0));
}

rt_value rt_ash(rt_value n, rt_value count)
{
    need_integer(n);
    need_integer(count);
    if (n == rt_fixnum(0))
        return n;
    int64_t c;
    if (!rt_integer_to_int64(count, &c)) {
        if (rt_num_sign(count) > 0)
            rt_storage_error("ASH: result too large");
        return rt_num_sign(n) < 0 ? rt_fixnum(-1) : rt_fixnum(0);
    }
    if (rt_fixnump(n)) {
        int64_t v = rt_fixnum_value(n);
        if (c <= 0)
            return rt_fixnum(c <= -63 ? (v < 0 ? -1 : 0) : v >> -c);
        if (c < 62) {
            int64_t r = (int64_t)((uint64_t)v << c);
            if ((r >> c) == v && rt_fixnum_fits(r))
                return rt_fixnum(r);
        }
    }
    rt_zview x;
    mpz_srcptr z = rt_zv(&x, n);
    if (c > 0) {
        if ((uint64_t)c + mpz_sizeinbase(z, 2) > RT_NUM_MAX_BITS)
            rt_storage_error("ASH: result too large");
        mpz_mul_2exp(RT_Z(0), z, (mp_bitcnt_t)c);
    } else {
        mpz_fdiv_q_2exp(RT_Z(0), z, (mp_bitcnt_t)(c == INT64_MIN ? INT64_MAX : -c));
    }
    return rt_num_from_mpz(RT_Z(0));
}

/* boole op codes as CLHS / SBCL number them: clr set 1 2 c1 c2 and ior xor eqv nand
 * nor andc1 andc2 orc1 orc2 = 0..15. */
static int64_t boole_fix(int op, int64_t a, int64_t b)
{
    switch (op) {
    case 0: return 0;
    case 1: return -1;
    case 2: return a;
    case 3: return b;
    case 4: return ~a;
    case 5: return ~b;
    case 6: return a & b;
    case 7: return a | b;
    case 8: return a ^ b;
    case 9: return ~(a ^ b);
    case 10: return ~(a & b);
    case 11: return ~(a | b);
    case 12: return ~a & b;
    case 13: return a & ~b;
    case 14: return ~a | b;
    default: return a | ~b;
    }
}

rt_value rt_logop(int op, rt_value a, rt_value b)
{
    need_integer(a);
    need_integer(b);
    if (op < 0 || op > 15)
        rt_num_type_error(rt_fixnum(op), "(integer 0 15)");
    if (rt_fixnump(a) && rt_fixnump(b))   /* fixnums stay fixnums under every op */
        return rt_fixnum(boole_fix(op, rt_fixnum_value(a), rt_fixnum_value(b)));
    rt_zview x, y;
    mpz_srcptr za = rt_zv(&x, a), zb = rt_zv(&y, b);
    mpz_ptr r = RT_Z(0), t = RT_Z(1);
    /* GMP's logical functions use two's complement semantics on negative numbers. */
    switch (op) {
    case 0: mpz_set_ui(r, 0); break;
    case 1: mpz_set_si(r, -1); break;
    case 2: mpz_set(r, za); break;
    case 3: mpz_set(r, zb); break;
    case 4: mpz_com(r, za); break;
    case 5: mpz_com(r, zb); break;
    case 6: mpz_and(r, za, zb); break;
    case 7: mpz_ior(r, za, zb); break;
    case 8: mpz_xor(r, za, zb); break;
    case 9: mpz_xor(r, za, zb); mpz_com(r, r); break;
    case 10: mpz_and(r, za, zb); mpz_com(r, r); break;
    case 11: mpz_ior(r, za, zb); mpz_com(r, r); break;
    case 12: mpz_com(t, za); mpz_and(r, t, zb); break;
    case 13: mpz_com(t, zb); mpz_and(r, za, t); break;
    case 14: mpz_com(t, za); mpz_ior(r, t, zb); break;
    default: mpz_com(t, zb); mpz_ior(r, za, t); break;
    }
    return rt_num_from_mpz(r);
}

rt_value rt_lognot(rt_value a)
{
    need_integer(a);
    if (rt_fixnump(a))
        return rt_fixnum(~rt_fixnum_value(a));
    rt_zview x;
    mpz_com(RT_Z(0), rt_zv(&x, a));
    return rt_num_from_mpz(RT_Z(0));
}

rt_value rt_integer_length(rt_value n)
{
    need_integer(n);
    if (rt_fixnump(n)) {
        int64_t v = rt_fixnum_value(n);
        if (v < 0)
            v = ~v;
        return rt_fixnum(v == 0 ? 0 : 64 - __builtin_clzll((uint64_t)v));
    }
    rt_zview x;
    mpz_srcptr z = rt_zv(&x, n);
    if (mpz_sgn(z) < 0) {
        mpz_com(RT_Z(0), z);
        return rt_make_unsigned(mpz_sgn(RT_Z(0)) ? mpz_sizeinbase(RT_Z(0), 2) : 0);
    }
    return rt_make_unsigned(mpz_sizeinbase(z, 2));
}

rt_value rt_logcount(rt_value n)
{
    need_integer(n);
    if (rt_fixnump(n)) {
        int64_t v = rt_fixnum_value(n);
        return rt_fixnum(__builtin_popcountll((uint64_t)(v < 0 ? ~v : v)));
    }
    rt_zview x;
    mpz_srcptr z = rt_zv(&x, n);
    if (mpz_sgn(z) < 0) {
        mpz_com(RT_Z(0), z);
        return rt_make_unsigned(mpz_popcount(RT_Z(0)));
    }
    return rt_make_unsigned(mpz_popcount(z));
}

bool rt_logbitp(rt_value index, rt_value n)
{
    need_integer(n);
    if (!is_int(index) || rt_num_sign(index) < 0)
        rt_num_type_error(index, "unsigned-byte");
    int64_t i;
    if (!rt_integer_to_int64(index, &i))
        return rt_num_sign(n) < 0;
    if (rt_fixnump(n))
        return i >= 63 ? rt_fixnum_value(n) < 0 : ((rt_fixnum_value(n) >> i) & 1);
    rt_zview x;
    return mpz_tstbit(rt_zv(&x, n), (mp_bitcnt_t)i);
}

/* (ldb (byte size pos) n) */
rt_value rt_ldb(rt_value size, rt_value pos, rt_value n)
{
    need_integer(n);
    int64_t s, p;
    if (!rt_integer_to_int64(size, &s) || s < 0)
        rt_num_type_error(size, "unsigned-byte");
    if (!rt_integer_to_int64(pos, &p) || p < 0)
        rt_num_type_error(pos, "unsigned-byte");
    if (rt_fixnump(n) && s < 62) {
        int64_t v = rt_fixnum_value(n);
        v = p >= 63 ? (v < 0 ? -1 : 0) : v >> p;
        return rt_fixnum(v & ((INT64_C(1) << s) - 1));
    }
    if ((uint64_t)s > RT_NUM_MAX_BITS)
        rt_storage_error("LDB: byte too large");
    rt_zview x;
    mpz_fdiv_q_2exp(RT_Z(0), rt_zv(&x, n), (mp_bitcnt_t)p);
    mpz_fdiv_r_2exp(RT_Z(0), RT_Z(0), (mp_bitcnt_t)s);
    return rt_num_from_mpz(RT_Z(0));
}

/* (dpb newbyte (byte size pos) n) */
rt_value rt_dpb(rt_value newbyte, rt_value size, rt_value pos, rt_value n)
{
    need_integer(n);
    need_integer(newbyte);
    int64_t s, p;
    if (!rt_integer_to_int64(size, &s) || s < 0)
        rt_num_type_error(size, "unsigned-byte");
    if (!rt_integer_to_int64(pos, &p) || p < 0)
        rt_num_type_error(pos, "unsigned-byte");
    if ((uint64_t)s + (uint64_t)p > RT_NUM_MAX_BITS)
        rt_storage_error("DPB: byte too large");
    rt_zview x, y;
    mpz_ptr mask = RT_Z(1), r = RT_Z(0), t = RT_Z(2);
    mpz_set_ui(mask, 0);
    mpz_setbit(mask, (mp_bitcnt_t)s);
    mpz_sub_ui(mask, mask, 1);
    mpz_mul_2exp(mask, mask, (mp_bitcnt_t)p);            /* mask of the field */
    mpz_mul_2exp(t, rt_zv(&y, newbyte), (mp_bitcnt_t)p);
    mpz_and(t, t, mask);                                  /* new field */
    mpz_com(mask, mask);
    mpz_and(r, rt_zv(&x, n), mask);                       /* old without field */
    mpz_ior(r, r, t);
    return rt_num_from_mpz(r);
}

/* ---- Float decoding --------------------------------------------------------------- */

/* (integer-decode-float x): mantissa, exponent, sign (SBCL's values for subnormals:
 * the raw significand and the minimum exponent). */
void rt_num_integer_decode(rt_value x, uint64_t *mant, int64_t *ex, int *sign)
{
    if (rt_single_floatp(x)) {
        float f = rt_single_value(x);
        uint32_t bits;
        memcpy(&bits, &f, 4);
        uint32_t e = (bits >> 23) & 0xFF, m = bits & 0x7FFFFF;
        *sign = (bits >> 31) ? -1 : 1;
        if (!isfinite(f))
            rt_error("SIMPLE-ERROR", "Can't decode NaN or infinity");
        if (e == 0) {
            *mant = m;
            *ex = m == 0 ? 0 : -149;
        } else {
            *mant = m | 0x800000;
            *ex = (int64_t)e - 150;
        }
        return;
    }
    if (!rt_double_float_p(x))
        rt_num_type_error(x, "float");
    double d = rt_double_value(x);
    uint64_t bits;
    memcpy(&bits, &d, 8);
    uint64_t e = (bits >> 52) & 0x7FF, m = bits & ((UINT64_C(1) << 52) - 1);
    *sign = (bits >> 63) ? -1 : 1;
    if (!isfinite(d))
        rt_error("SIMPLE-ERROR", "Can't decode NaN or infinity");
    if (e == 0) {
        *mant = m;
        *ex = m == 0 ? 0 : -1074;
    } else {
        *mant = m | (UINT64_C(1) << 52);
        *ex = (int64_t)e - 1075;
    }
}

/* ---- rational and rationalize ------------------------------------------------------ */

rt_value rt_num_rational(rt_value x)
{
    if (rt_rationalp(x))
        return x;
    if (!rt_floatp(x))
        rt_num_type_error(x, "real");
    uint64_t m;
    int64_t e;
    int s;
    rt_num_integer_decode(x, &m, &e, &s);
    mpz_set_ui(RT_Z(0), m);
    if (s < 0)
        mpz_neg(RT_Z(0), RT_Z(0));
    if (e >= 0) {
        mpz_mul_2exp(RT_Z(0), RT_Z(0), (mp_bitcnt_t)e);
        return rt_num_from_mpz(RT_Z(0));
    }
    mpq_set_num(RT_Q(0), RT_Z(0));
    mpz_set_ui(RT_Z(1), 1);
    mpz_mul_2exp(RT_Z(1), RT_Z(1), (mp_bitcnt_t)-e);
    mpq_set_den(RT_Q(0), RT_Z(1));
    mpq_canonicalize(RT_Q(0));
    return rt_num_from_mpq(RT_Q(0));
}

/* SBCL's (CMUCL's) rationalize: the simplest rational within half an ulp, by a
 * continued-fraction walk between (2f-1)/2^(1-e) and (2f+1)/2^(1-e). */
rt_value rt_num_rationalize(rt_value x)
{
    if (rt_rationalp(x))
        return x;
    if (!rt_floatp(x))
        rt_num_type_error(x, "real");
    uint64_t f;
    int64_t e;
    int s;
    rt_num_integer_decode(x, &f, &e, &s);
    if (f == 0 || e >= 0) {
        mpz_set_ui(RT_Z(0), f);
        if (e > 0)
            mpz_mul_2exp(RT_Z(0), RT_Z(0), (mp_bitcnt_t)e);
        if (s < 0)
            mpz_neg(RT_Z(0), RT_Z(0));
        return rt_num_from_mpz(RT_Z(0));
    }
    mpq_ptr a = RT_Q(0), b = RT_Q(1), t = RT_Q(2);
    mpz_ptr p0 = RT_Z(0), q0 = RT_Z(1), p1 = RT_Z(2), q1 = RT_Z(3), c = RT_Z(4), k = RT_Z(5), tmp = RT_Z(6);
    mpz_set_ui(tmp, 1);
    mpz_mul_2exp(tmp, tmp, (mp_bitcnt_t)(1 - e));
    mpz_set_ui(mpq_numref(a), f);
    mpz_mul_2exp(mpq_numref(a), mpq_numref(a), 1);
    mpz_sub_ui(mpq_numref(a), mpq_numref(a), 1);
    mpz_set(mpq_denref(a), tmp);
    mpq_canonicalize(a);
    mpz_set_ui(mpq_numref(b), f);
    mpz_mul_2exp(mpq_numref(b), mpq_numref(b), 1);
    mpz_add_ui(mpq_numref(b), mpq_numref(b), 1);
    mpz_set(mpq_denref(b), tmp);
    mpq_canonicalize(b);
    mpz_set_ui(p0, 0);
    mpz_set_ui(q0, 1);
    mpz_set_ui(p1, 1);
    mpz_set_ui(q1, 0);
    for (;;) {
        mpz_cdiv_q(c, mpq_numref(a), mpq_denref(a));   /* c = ceiling(a) */
        mpq_set_z(t, c);
        if (mpq_cmp(t, b) < 0) {
            /* top = c*p1 + p0, bot = c*q1 + q0 */
            mpz_mul(tmp, c, p1);
            mpz_add(mpq_numref(t), tmp, p0);
            mpz_mul(tmp, c, q1);
            mpz_add(mpq_denref(t), tmp, q0);
            if (s < 0)
                mpz_neg(mpq_numref(t), mpq_numref(t));
            mpq_canonicalize(t);
            return rt_num_from_mpq(t);
        }
        mpz_sub_ui(k, c, 1);
        /* p2 = k*p1 + p0, q2 = k*q1 + q0; p0,q0 = p1,q1; p1,q1 = p2,q2 */
        mpz_mul(tmp, k, p1);
        mpz_add(tmp, tmp, p0);
        mpz_set(p0, p1);
        mpz_set(p1, tmp);
        mpz_mul(tmp, k, q1);
        mpz_add(tmp, tmp, q0);
        mpz_set(q0, q1);
        mpz_set(q1, tmp);
        /* a, b = 1/(b - k), 1/(a - k) */
        mpq_set_z(t, k);
        mpq_sub(a, a, t);
        mpq_sub(b, b, t);
        mpq_inv(a, a);
        mpq_inv(b, b);
        mpq_swap(a, b);
    }
}

/* ---- Irrational and transcendental functions ------------------------------------- */

/* The float kind of a result computed from x: double if x is (or has parts) double. */
static bool double_kind(rt_value x)
{
    if (rt_complexp(x))
        return rt_double_float_p(rt_body(x)[0]);
    return rt_double_float_p(x);
}

static rt_value make_real_result(double r, bool dbl, const char *op)
{
    rt_num_fcheck(r, 0, 0, op);
    return dbl ? rt_make_double(r) : rt_make_single_checked(r);
}

static rt_value make_complex_result(double complex z, bool dbl, const char *op)
{
    double re = creal(z), im = cimag(z);
    rt_num_fcheck(re, 0, 0, op);
    rt_num_fcheck(im, 0, 0, op);
    rt_value a = dbl ? rt_make_double(re) : rt_make_single_checked(re);
    RT_ROOTS(a);
    rt_value b = dbl ? rt_make_double(im) : rt_make_single_checked(im);
    return rt_num_make_complex_raw(a, b);
}

/* log of a positive rational, in double, also for integers beyond the double range. */
static double log_rational(rt_value x)
{
    if (rt_bignump(x)) {
        rt_zview w;
        signed long ex;
        double m = mpz_get_d_2exp(&ex, rt_zv(&w, x));
        return log(fabs(m)) + (double)ex * M_LN2;
    }
    if (rt_ratiop(x)) {
        rt_value n = rt_body(x)[0], d = rt_body(x)[1];
        rt_zview wn, wd;
        if (mpz_sizeinbase(rt_zv(&wn, n), 2) < 900 && mpz_sizeinbase(rt_zv(&wd, d), 2) < 900)
            return log(rt_num_to_double(x));   /* in range: one rounding, then log */
        return log_rational(n) - log_rational(d);
    }
    return log(rt_num_to_double(x));
}

enum tfn { F_EXP, F_LOG, F_SQRT, F_SIN, F_COS, F_TAN, F_ASIN, F_ACOS, F_ATAN, F_SINH, F_COSH, F_TANH,
           F_ASINH, F_ACOSH, F_ATANH };
static const char *const tfn_names[] = {"EXP", "LOG", "SQRT", "SIN", "COS", "TAN", "ASIN", "ACOS", "ATAN",
                                        "SINH", "COSH", "TANH", "ASINH", "ACOSH", "ATANH"};

/* Rounds to the result kind: float ops computed in double and rounded once to single
 * are the single-precision ops (double has more than 2*24+2 bits). The empty asm keeps
 * the rounding: GCC 12 at -O2 was seen to drop a plain (double)(float)v round trip
 * here (tests/unit caught it). */
static inline double rk(double v, bool single)
{
    float f = (float)v;
    __asm__("" : "+x"(f));
    return single ? (double)f : v;
}

/* sin, cos, sinh, cosh and exp of a complex, as SBCL computes them: each real function
 * of a part rounded to the result's float type, then combined in that type, e.g.
 * (sin z) = (complex (* (sin x) (cosh y)) (* (cos x) (sinh y))). */
static rt_value complex_by_parts(enum tfn f, rt_value z, bool dbl)
{
    double x = rt_num_to_double(rt_body(z)[0]), y = rt_num_to_double(rt_body(z)[1]);
    double a, b, c, d;   /* result = (a*b, c*d) */
    bool neg_im = false;
    switch (f) {
    case F_SIN: a = sin(x); b = cosh(y); c = cos(x); d = sinh(y); break;
    case F_COS: a = cos(x); b = cosh(y); c = sin(x); d = sinh(y); neg_im = true; break;
    case F_SINH: a = sinh(x); b = cos(y); c = cosh(x); d = sin(y); break;
    case F_COSH: a = cosh(x); b = cos(y); c = sinh(x); d = sin(y); break;
    default: a = exp(x); b = cos(y); c = a; d = sin(y); break;
    }
    double re, im;
    if (dbl) {
        re = a * b;
        im = c * d;
    } else {   /* each factor rounded to single, the product in single */
        re = rk(rk(a, true) * rk(b, true), true);
        im = rk(rk(c, true) * rk(d, true), true);
    }
    if (neg_im)
        im = -im;
    return make_complex_result(CMPLX(re, im), dbl, tfn_names[f]);
}

/* ---- Kahan's complex functions ---------------------------------------------------
 * From W. Kahan, "Branch Cuts for Complex Elementary Functions, or Much Ado About
 * Nothing's Sign Bit" (1987), the algorithms SBCL uses; written here with the same
 * precision discipline as SBCL so results print identically: sqrt, log, atanh and tanh
 * compute in double and round the result to the argument's kind (single for rational
 * and single-float arguments); asin, acos, acosh combine those square roots with
 * arithmetic in the result's kind. Divisions by zero inside give infinities (masked). */

typedef struct cpx {
    double re, im;
} cpx;


static double part_double(rt_value z, int which)
{
    if (rt_complexp(z))
        return rt_num_to_double(rt_body(z)[which]);
    return which == 0 ? rt_num_to_double(z) : 0.0;
}

/* |z/2^k|^2 without spurious overflow or underflow: returns rho, sets *k. */
static double cssqs(double x, double y, int *k)
{
    *k = 0;
    feclearexcept(FE_OVERFLOW | FE_UNDERFLOW);
    double rho = x * x + y * y;
    int flags = fetestexcept(FE_OVERFLOW | FE_UNDERFLOW);
    if (!isfinite(rho) && (isinf(x) || isinf(y)))
        return INFINITY;
    /* least-positive-double-float / double-float-epsilon */
    const double lambda_eps = 0x1p-1074 / 0x1.0000000000001p-53;
    if ((flags & FE_OVERFLOW) || ((flags & FE_UNDERFLOW) && rho < lambda_eps)) {
        double m = fmax(fabs(x), fabs(y));
        int kk = -ilogb(m);
        double sx = ldexp(x, kk), sy = ldexp(y, kk);
        *k = -kk;
        return sx * sx + sy * sy;
    }
    return rho;
}

static cpx kahan_sqrt(rt_value z)
{
    bool single = !double_kind(z);
    double x = part_double(z, 0), y = part_double(z, 1);
    int k;
    double rho = cssqs(x, y, &k);
    if (!isnan(x))
        rho = ldexp(fabs(x), -k) + sqrt(rho);
    if (k & 1) {
        k = (k - 1) / 2;
    } else {
        k = k / 2 - 1;
        rho = rho + rho;
    }
    rho = ldexp(sqrt(rho), k);
    double xi = rho, eta = y;
    if (rho != 0) {
        if (!isinf(eta))
            eta = (eta / rho) / 2;
        if (x < 0) {
            xi = fabs(eta);
            eta = copysign(rho, y);
        }
    }
    return (cpx){rk(xi, single), rk(eta, single)};
}

static cpx kahan_log(rt_value z)
{
    bool single = !double_kind(z);
    double x = part_double(z, 0), y = part_double(z, 1);
    int k;
    double rho = cssqs(x, y, &k);
    double beta = fmax(fabs(x), fabs(y)), theta = fmin(fabs(x), fabs(y)), re;
    if (k == 0 && M_SQRT1_2 < beta && (beta <= 1.2 || rho < 3.0))
        re = log1p((beta - 1.0) * (beta + 1.0) + theta * theta) / 2.0;
    else
        re = log(rho) / 2.0 + k * M_LN2;
    return (cpx){rk(re, single), rk(atan2(y, x), single)};
}

static cpx kahan_atanh(rt_value z)
{
    bool single = !double_kind(z);
    const double theta = sqrt(DBL_MAX) / 4.0, rho = 4.0 / sqrt(DBL_MAX), half_pi = M_PI / 2;
    double rp = part_double(z, 0), beta = copysign(1.0, rp);
    double x = beta * rp, y = beta * -part_double(z, 1), eta, nu;
    if (x > theta || fabs(y) > theta) {
        nu = copysign(half_pi, y);
        bool xb = x > fabs(y);
        double r = xb ? y / x : x / y, d = 1.0 + r * r;
        eta = xb ? (1.0 / x) / d : (r / y) / d;
    } else if (x == 1.0) {
        double t1 = 4.0 + y * y, t2 = fabs(y) + rho;
        eta = log(sqrt(sqrt(t1)) / sqrt(t2));
        nu = 0.5 * copysign(half_pi + atan(0.5 * t2), y);
    } else {
        double t1 = fabs(y) + rho;
        eta = 0.25 * log1p(4.0 * x / ((1.0 - x) * (1.0 - x) + t1 * t1));
        nu = 0.5 * atan2(2.0 * y, (1.0 - x) * (1.0 + x) - t1 * t1);
    }
    return (cpx){rk(beta * eta, single), rk(-(beta * nu), single)};
}

static cpx kahan_tanh(rt_value z)
{
    bool single = !double_kind(z);
    double x = part_double(z, 0), y = part_double(z, 1);
    if (fabs(x) > 177.618965018485966)   /* (log(DBL_MAX) + log 2) / 4: tanh is +-1 */
        return (cpx){rk(copysign(1.0, x), single), rk(copysign(1.0, y), single)};
    double tv = tan(y), beta = 1.0 + tv * tv, sh = sinh(x), rho = sqrt(1.0 + sh * sh);
    if (isinf(tv))
        return (cpx){rk(rho / sh, single), rk(1.0 / tv, single)};
    double den = 1.0 + beta * sh * sh;
    return (cpx){rk(beta * rho * sh / den, single), rk(tv / den, single)};
}

/* asin, acos, acosh from the square roots of 1 -+ z (z -+ 1), in the result kind. */
static cpx kahan_asin_acos(rt_value z, enum tfn f)
{
    bool single = !double_kind(z);
    cpx s1, s2;   /* asin, acos: sqrt(1-z), sqrt(1+z); acosh: sqrt(z-1), sqrt(z+1) */
    RT_ROOTS(z);
    if (f == F_ACOSH) {
        s1 = kahan_sqrt(rt_sub(z, rt_fixnum(1)));
        s2 = kahan_sqrt(rt_add(z, rt_fixnum(1)));
    } else {
        s1 = kahan_sqrt(rt_sub(rt_fixnum(1), z));
        s2 = kahan_sqrt(rt_add(rt_fixnum(1), z));
    }
#define K(v) rk((v), single)
    double re, im;
    if (f == F_ASIN) {
        double zr = single ? (rt_complexp(z) ? (double)rt_num_to_single(rt_body(z)[0]) : (double)rt_num_to_single(z))
                           : part_double(z, 0);
        double pre = K(K(s1.re * s2.re) - K(s1.im * s2.im));                 /* Re(s1 s2) */
        re = K(atan(K(zr / pre)));
        im = K(asinh(K(K(s1.re * s2.im) + K(-s1.im * s2.re))));            /* Im(conj(s1) s2) */
    } else if (f == F_ACOS) {
        re = K(2.0 * K(atan(K(s1.re / s2.re))));
        im = K(asinh(K(K(s2.re * s1.im) + K(-s2.im * s1.re))));            /* Im(conj(s2) s1) */
    } else {
        re = K(asinh(K(K(s1.re * s2.re) - K(-s1.im * s2.im))));            /* Re(conj(s1) s2) */
        im = K(2.0 * K(atan(K(s1.im / s2.re))));
    }
#undef K
    return (cpx){re, im};
}

/* i z as a Lisp number: (complex (- (imagpart z)) (realpart z)). */
static rt_value times_i(rt_value z)
{
    RT_ROOTS(z);
    rt_value nim = RT_NIL;
    RT_ROOTS(nim);
    if (rt_complexp(z))
        nim = rt_negate(rt_body(z)[1]);
    else
        nim = rt_single_floatp(z) ? rt_single(-0.0f) : rt_double_float_p(z) ? rt_make_double(-0.0) : rt_fixnum(0);
    return rt_make_complex(nim, rt_complexp(z) ? rt_body(z)[0] : z);
}

/* The Kahan function f of z (a complex, or a real outside the real domain); the result
 * is always a complex of the argument's float kind. */
static rt_value kahan_apply(enum tfn f, rt_value z)
{
    bool dbl = double_kind(z);
    cpx r;
    switch (f) {
    case F_SQRT: r = kahan_sqrt(z); break;
    case F_LOG: r = kahan_log(z); break;
    case F_ATANH: r = kahan_atanh(z); break;
    case F_TANH: r = kahan_tanh(z); break;
    case F_ASIN:
    case F_ACOS:
    case F_ACOSH: r = kahan_asin_acos(z, f); break;
    case F_ASINH: {   /* asinh z = -i asin(i z) */
        cpx a = kahan_asin_acos(times_i(z), F_ASIN);
        r = (cpx){a.im, -a.re};
        break;
    }
    case F_ATAN: {    /* atan z = -i atanh(i z) */
        cpx a = kahan_atanh(times_i(z));
        r = (cpx){a.im, -a.re};
        break;
    }
    default: {        /* tan z = -i tanh(i z) */
        cpx a = kahan_tanh(times_i(z));
        r = (cpx){a.im, -a.re};
        break;
    }
    }
    return make_complex_result(CMPLX(r.re, r.im), dbl, tfn_names[f]);
}

/* A real outside the real domain of f, as SBCL passes it on: a rational as it is, a
 * float as (complex x) = x + 0.0i. */
static rt_value kahan_real(enum tfn f, rt_value x)
{
    if (rt_floatp(x)) {
        RT_ROOTS(x);
        rt_value zero = rt_single_floatp(x) ? rt_single(0.0f) : rt_make_double(0.0);
        x = rt_make_complex(x, zero);
    }
    return kahan_apply(f, x);
}

rt_value rt_num_transcendental(int fn, rt_value x)
{
    enum tfn f = (enum tfn)fn;
    const char *op = tfn_names[f];
    if (!rt_numberp(x))
        rt_num_type_error(x, "number");
    bool dbl = double_kind(x);
    if (rt_complexp(x)) {
        if (f == F_SIN || f == F_COS || f == F_SINH || f == F_COSH || f == F_EXP)
            return complex_by_parts(f, x, dbl);
        return kahan_apply(f, x);
    }
    if (f == F_LOG && rt_num_zerop(x))
        rt_error("DIVISION-BY-ZERO", "arithmetic error DIVISION-BY-ZERO signalled in LOG of zero");
    double d;
    if (f == F_LOG && rt_rationalp(x)) {
        if (rt_num_sign(x) > 0)
            return make_real_result(log_rational(x), false, op);
        rt_value ax = rt_negate(x);
        return make_complex_result(CMPLX(log_rational(ax), M_PI), false, op);
    }
    d = rt_num_to_double(x);
    double r;
    switch (f) {
    case F_EXP: r = exp(d); break;
    case F_LOG:
        if (d < 0 || (d == 0 && signbit(d)))
            return make_complex_result(CMPLX(log(-d), M_PI), dbl, op);
        r = log(d);
        break;
    case F_SQRT:
        if (d < 0)
            return make_complex_result(CMPLX(0.0, sqrt(-d)), dbl, op);
        r = sqrt(d);
        break;
    case F_SIN: r = sin(d); break;
    case F_COS: r = cos(d); break;
    case F_TAN: r = tan(d); break;
    case F_ASIN:
    case F_ACOS:
        if (d > 1 || d < -1)
            return kahan_real(f, x);
        r = f == F_ASIN ? asin(d) : acos(d);
        break;
    case F_ATAN: r = atan(d); break;
    case F_SINH: r = sinh(d); break;
    case F_COSH: r = cosh(d); break;
    case F_TANH: r = tanh(d); break;
    case F_ASINH: r = asinh(d); break;
    case F_ACOSH:
        if (d < 1)
            return kahan_real(f, x);
        r = acosh(d);
        break;
    default:
        if (d > 1 || d < -1)
            return kahan_real(f, x);
        r = atanh(d);
        if (isinf(r))
            rt_error("DIVISION-BY-ZERO", "arithmetic error DIVISION-BY-ZERO signalled in ATANH");
        break;
    }
    return make_real_result(r, dbl, op);
}

/* (atan y x) */
rt_value rt_num_atan2(rt_value y, rt_value x)
{
    need_real(y);
    need_real(x);
    bool dbl = rt_double_float_p(y) || rt_double_float_p(x);
    return make_real_result(atan2(rt_num_to_double(y), rt_num_to_double(x)), dbl, "ATAN");
}

/* a / b for the two-argument log, with SBCL's errors when b is zero. */
static rt_value log_quotient(double a, double b, bool dbl)
{
    if (b == 0)
        rt_error(a == 0 ? "FLOATING-POINT-INVALID-OPERATION" : "DIVISION-BY-ZERO",
                 "arithmetic error signalled in LOG: the logarithm of the base is zero");
    return make_real_result(a / b, dbl, "LOG");
}

/* (log x base) as SBCL computes it. */
rt_value rt_num_log2(rt_value x, rt_value base)
{
    if (!rt_numberp(x))
        rt_num_type_error(x, "number");
    if (!rt_numberp(base))
        rt_num_type_error(base, "number");
    if (rt_num_zerop(base))
        return (rt_double_float_p(x) || rt_double_float_p(base)) ? rt_make_double(0.0) : rt_single(0.0f);
    if (is_int(x) && is_int(base) && rt_num_sign(x) > 0 && rt_num_sign(base) > 0)
        return log_quotient(log_rational(x) / M_LN2, log_rational(base) / M_LN2, false);
    RT_ROOTS(x, base);
    rt_value a = RT_NIL, b = RT_NIL;
    RT_ROOTS(a, b);
    if (is_int(x) && rt_double_float_p(base) && rt_num_sign(x) > 0 && rt_double_value(base) > 0)
        return log_quotient(log_rational(x) / M_LN2, log(rt_double_value(base)) / M_LN2, true);
    if (rt_double_float_p(x) && is_int(base) && rt_double_value(x) > 0 && rt_num_sign(base) > 0)
        return log_quotient(log(rt_double_value(x)) / M_LN2, log_rational(base) / M_LN2, true);
    a = rt_num_transcendental(F_LOG, x);
    b = rt_num_transcendental(F_LOG, base);
    return rt_div(a, b);
}

rt_value rt_num_sqrt(rt_value x) { return rt_num_transcendental(F_SQRT, x); }

/* ---- expt ------------------------------------------------------------------------- */

/* SBCL's intexp: repeated squaring with generic multiplication (exact for rationals and
 * rational complexes). */
static rt_value intexp(rt_value base, rt_value power)
{
    RT_ROOTS(base, power);
    if (rt_num_sign(power) < 0) {
        rt_value p = rt_negate(power);
        rt_value r = intexp(base, p);
        return rt_div(rt_fixnum(1), r);
    }
    if (is_int(base)) {
        int64_t p;
        if (base == rt_fixnum(1) || base == rt_fixnum(0))
            return base;
        if (base == rt_fixnum(-1))
            return rt_logbitp(rt_fixnum(0), power) ? base : rt_fixnum(1);
        rt_zview w;
        mpz_srcptr z = rt_zv(&w, base);
        if (!rt_integer_to_int64(power, &p) || (uint64_t)p > RT_NUM_MAX_BITS
            || (uint64_t)p * (mpz_sizeinbase(z, 2) - 1) > RT_NUM_MAX_BITS)
            rt_storage_error("EXPT: result too large");
        mpz_pow_ui(RT_Z(0), z, (unsigned long)p);
        return rt_num_from_mpz(RT_Z(0));
    }
    if (rt_ratiop(base)) {
        rt_value n = RT_NIL, d = RT_NIL;
        RT_ROOTS(n, d);
        n = intexp(rt_body(base)[0], power);
        d = intexp(rt_body(base)[1], power);
        return rt_num_make_ratio_raw(n, d);   /* coprime powers of coprime integers */
    }
    /* complex rational base */
    rt_value total = RT_NIL, sq = RT_NIL, n = RT_NIL, nt = RT_NIL;
    RT_ROOTS(total, sq, n, nt);
    n = rt_ash(power, rt_fixnum(-1));
    total = rt_logbitp(rt_fixnum(0), power) ? base : rt_fixnum(1);
    sq = rt_mul(base, base);
    while (n != rt_fixnum(0)) {
        nt = rt_logbitp(rt_fixnum(0), n) ? rt_mul(sq, total) : total;
        if (rt_ash(n, rt_fixnum(-1)) != rt_fixnum(0))
            sq = rt_mul(sq, sq);
        n = rt_ash(n, rt_fixnum(-1));
        total = nt;
    }
    return total;
}

rt_value rt_expt(rt_value base, rt_value power)
{
    if (!rt_numberp(base))
        rt_num_type_error(base, "number");
    if (!rt_numberp(power))
        rt_num_type_error(power, "number");
    RT_ROOTS(base, power);
    if (rt_num_zerop(power) && is_int(power)) {
        /* (expt x 0) = 1 of x's type */
        if (rt_single_floatp(base))
            return rt_single(1.0f);
        if (rt_double_float_p(base))
            return rt_make_double(1.0);
        if (rt_complexp(base) && rt_floatp(rt_body(base)[0]))
            return rt_make_complex(double_kind(base) ? rt_make_double(1.0) : rt_single(1.0f), rt_fixnum(0));
        return rt_fixnum(1);
    }
    if (rt_num_zerop(power)) {   /* a float or complex zero power: 1 of the contagion type */
        rt_value one = (double_kind(base) || double_kind(power)) ? rt_make_double(1.0) : rt_single(1.0f);
        if (rt_complexp(base) || rt_complexp(power))
            return rt_make_complex(one, rt_fixnum(0));
        return one;
    }
    bool base_rat = rt_rationalp(base) || (rt_complexp(base) && rt_rationalp(rt_body(base)[0]));
    if (is_int(power) && base_rat)
        return intexp(base, power);
    if (rt_realp(base) && rt_realp(power)) {
        /* SBCL's real-expt: pow in double, the result in double if either is double. */
        bool dbl = rt_double_float_p(base) || rt_double_float_p(power);
        double x = rt_num_to_double(base), y = rt_num_to_double(power);
        if (x == 0 && y < 0)
            rt_error("DIVISION-BY-ZERO", "arithmetic error DIVISION-BY-ZERO signalled in EXPT of zero");
        if (x < 0 && !is_int(power) && y != trunc(y)) {
            double p = pow(-x, y), c = cos(y * M_PI), s = sin(y * M_PI);
            return make_complex_result(CMPLX(p * c, p * s), dbl, "EXPT");
        }
        double r = pow(x, y);
        return make_real_result(r, dbl, "EXPT");
    }
    if (rt_num_zerop(base)) {
        if (rt_complexp(power) ? rt_num_sign(rt_body(power)[0]) > 0 : rt_num_sign(power) > 0)
            return rt_mul(base, power);
        rt_error("DIVISION-BY-ZERO", "arithmetic error DIVISION-BY-ZERO signalled in EXPT of zero");
    }
    /* (exp (* power (log base))) */
    rt_value l = RT_NIL;
    RT_ROOTS(l);
    l = rt_num_transcendental(F_LOG, base);
    l = rt_mul(power, l);
    return rt_num_transcendental(F_EXP, l);
}
