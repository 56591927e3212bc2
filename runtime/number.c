/* runtime/number.c: the numeric tower's core: representation, construction and
 * normalisation, conversions between kinds (correctly rounded), the four operations
 * with the standard's contagion, comparison (exact between rationals and floats, as
 * SBCL does), eql and its hash.
 *
 * Invariants of every number this module returns:
 *  - an integer that fits 63 bits is a fixnum; a bignum has no leading zero limb;
 *  - a ratio has a denominator > 1 and gcd(num, den) = 1;
 *  - a complex has parts of the same kind (both rational, both single, or both double),
 *    and a complex with rational parts has a non-zero imaginary part.
 */
#include "number_impl.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>

mpz_t rt_num_scratch[RT_NUM_NSCRATCH];
mpq_t rt_num_qscratch[4];

/* GMP's own allocation failures must not abort the world: they become a
 * storage-condition. GMP state in a scratch is left valid (realloc failing keeps the old
 * block). */
static void *num_gmp_alloc(size_t n)
{
    void *p = malloc(n);
    if (!p)
        rt_storage_error("out of memory for a bignum temporary");
    return p;
}
static void *num_gmp_realloc(void *old, size_t oldn, size_t n)
{
    void *p = realloc(old, n);
    if (!p)
        rt_storage_error("out of memory for a bignum temporary");
    return p;
}
static void num_gmp_free(void *p, size_t n) { free(p); }

__attribute__((constructor)) static void num_scratch_init(void)
{
    mp_set_memory_functions(num_gmp_alloc, num_gmp_realloc, num_gmp_free);
    for (int i = 0; i < RT_NUM_NSCRATCH; i++)
        mpz_init(rt_num_scratch[i]);
    for (int i = 0; i < 4; i++)
        mpq_init(rt_num_qscratch[i]);
}

_Noreturn void rt_num_type_error(rt_value v, const char *type) { rt_type_error(v, type); }

/* ---- Predicates ------------------------------------------------------------------- */

bool rt_numberp(rt_value v) { return rt_num_kind(v) != RT_NK_NONE; }
bool rt_integerp(rt_value v) { return rt_fixnump(v) || rt_bignump(v); }
bool rt_rationalp(rt_value v) { return rt_num_kind(v) <= RT_NK_RATIO; }
bool rt_realp(rt_value v) { return rt_num_kind(v) <= RT_NK_DOUBLE; }
bool rt_floatp(rt_value v) { return rt_single_floatp(v) || rt_double_float_p(v); }

/* ---- Construction ----------------------------------------------------------------- */

rt_value rt_make_double(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return rt_alloc_cell(RT_WT_DOUBLE_FLOAT, 0, bits);
}

rt_value rt_num_float_of_kind(double d, bool single)
{
    return single ? rt_single((float)d) : rt_make_double(d);
}

static rt_value bignum_from_limbs(const mp_limb_t *limbs, size_t n, bool neg)
{
    /* limbs must not be heap memory: the allocation may move it. */
    rt_value b = rt_alloc_object(RT_WT_BIGNUM, n | (neg ? RT_BIGNUM_SIGN : 0), n, 0);
    rt_store_raw(rt_bn_limbs(b), limbs, n * sizeof(mp_limb_t));
    return b;
}

rt_value rt_make_integer(int64_t n)
{
    if (rt_fixnum_fits(n))
        return rt_fixnum(n);
    mp_limb_t l = n < 0 ? (mp_limb_t)0 - (mp_limb_t)n : (mp_limb_t)n;
    return bignum_from_limbs(&l, 1, n < 0);
}

rt_value rt_make_unsigned(uint64_t n)
{
    if (n <= (uint64_t)RT_MOST_POSITIVE_FIXNUM)
        return rt_fixnum((int64_t)n);
    mp_limb_t l = n;
    return bignum_from_limbs(&l, 1, false);
}

bool rt_integer_to_int64(rt_value v, int64_t *out)
{
    if (rt_fixnump(v)) {
        *out = rt_fixnum_value(v);
        return true;
    }
    if (!rt_bignump(v) || rt_bn_len(v) != 1)
        return false;
    mp_limb_t l = rt_bn_limbs(v)[0];
    if (rt_bn_neg(v)) {
        if (l > (mp_limb_t)INT64_MAX + 1)
            return false;
        *out = (int64_t)(0 - l);
    } else {
        if (l > (mp_limb_t)INT64_MAX)
            return false;
        *out = (int64_t)l;
    }
    return true;
}

/* After a huge result has been copied out of a scratch integer, give its memory back:
 * scratch must not pin a gigabyte of malloc for the rest of the session. Only the
 * integer just copied is trimmed (the caller may still need the other scratches). */
#define RT_NUM_SCRATCH_KEEP_LIMBS 4096
static void maybe_trim(mpz_srcptr z)
{
    if (z->_mp_alloc <= RT_NUM_SCRATCH_KEEP_LIMBS)
        return;
    for (int i = 0; i < RT_NUM_NSCRATCH; i++)
        if (z == rt_num_scratch[i])
            mpz_realloc2(rt_num_scratch[i], 64);
    for (int i = 0; i < 4; i++) {
        if (z == mpq_numref(rt_num_qscratch[i]))
            mpz_realloc2(mpq_numref(rt_num_qscratch[i]), 64);
        if (z == mpq_denref(rt_num_qscratch[i]))
            mpz_realloc2(mpq_denref(rt_num_qscratch[i]), 64);
    }
}

rt_value rt_num_from_mpz(mpz_srcptr z)
{
    mp_size_t sz = z->_mp_size;
    size_t n = (size_t)(sz < 0 ? -sz : sz);
    if (n == 0)
        return rt_fixnum(0);
    if (n == 1) {
        mp_limb_t l = z->_mp_d[0];
        if (sz > 0 && l <= (mp_limb_t)RT_MOST_POSITIVE_FIXNUM)
            return rt_fixnum((int64_t)l);
        if (sz < 0 && l <= (mp_limb_t)RT_MOST_POSITIVE_FIXNUM + 1)
            return rt_fixnum(-(int64_t)(l - 1) - 1);
    }
    rt_value b = bignum_from_limbs(z->_mp_d, n, sz < 0);
    maybe_trim(z);
    return b;
}

rt_value rt_num_make_ratio_raw(rt_value num, rt_value den)
{
    RT_ROOTS(num, den);
    rt_value r = rt_alloc_object(RT_WT_RATIO, 0, 2, 2);
    RT_STORE(rt_body(r)[0], num);
    RT_STORE(rt_body(r)[1], den);
    return r;
}

rt_value rt_num_from_mpq(mpq_srcptr q)
{
    if (mpz_cmp_ui(mpq_denref(q), 1) == 0)
        return rt_num_from_mpz(mpq_numref(q));
    rt_value num = rt_num_from_mpz(mpq_numref(q));
    RT_ROOTS(num);
    rt_value den = rt_num_from_mpz(mpq_denref(q));
    return rt_num_make_ratio_raw(num, den);
}

mpq_srcptr rt_qv(rt_qview *w, rt_value v)
{
    static const mp_limb_t one = 1;
    if (rt_ratiop(v)) {
        rt_zview a, b;
        rt_value n = rt_body(v)[0], d = rt_body(v)[1];
        mpz_srcptr zn = rt_zv(&a, n), zd = rt_zv(&b, d);
        /* Copy the views into the mpq's own numerator and denominator; fixnum limbs go
         * to the view's own storage. */
        *mpq_numref(w->q) = *zn;
        *mpq_denref(w->q) = *zd;
        if (rt_fixnump(n)) {
            w->nl = a.limb;
            mpq_numref(w->q)->_mp_d = &w->nl;
        }
        if (rt_fixnump(d)) {
            w->dl = b.limb;
            mpq_denref(w->q)->_mp_d = &w->dl;
        }
        return w->q;
    }
    rt_zview a;
    mpz_srcptr zn = rt_zv(&a, v);
    *mpq_numref(w->q) = *zn;
    if (rt_fixnump(v)) {
        w->nl = a.limb;
        mpq_numref(w->q)->_mp_d = &w->nl;
    }
    mpz_roinit_n(mpq_denref(w->q), &one, 1);
    return w->q;
}

/* (/ num den) for integers: normalised ratio or integer. */
rt_value rt_make_rational(rt_value num, rt_value den)
{
    if (!rt_integerp(num))
        rt_num_type_error(num, "integer");
    if (!rt_integerp(den))
        rt_num_type_error(den, "integer");
    if (den == rt_fixnum(0))
        rt_error("DIVISION-BY-ZERO", "division of %s by zero", "an integer");
    if (rt_fixnump(num) && rt_fixnump(den)) {
        int64_t n = rt_fixnum_value(num), d = rt_fixnum_value(den);
        if (d == 1)
            return num;
        int64_t a = n < 0 ? -n : n, b = d < 0 ? -d : d, g;
        while (b) {
            int64_t t = a % b;
            a = b;
            b = t;
        }
        g = a;
        n /= g;
        d /= g;
        if (d < 0) {
            n = -n;
            d = -d;   /* |d| <= 2^62 fits: only -2^62 / -1 leaves the fixnum range */
        }
        if (d == 1)
            return rt_make_integer(n);
        rt_value rn = rt_make_integer(n);
        RT_ROOTS(rn);
        rt_value rd = rt_make_integer(d);
        return rt_num_make_ratio_raw(rn, rd);
    }
    rt_zview a, b;
    mpq_set_num(RT_Q(0), rt_zv(&a, num));
    mpq_set_den(RT_Q(0), rt_zv(&b, den));
    mpq_canonicalize(RT_Q(0));
    return rt_num_from_mpq(RT_Q(0));
}

rt_value rt_num_make_complex_raw(rt_value re, rt_value im)
{
    RT_ROOTS(re, im);
    rt_value c = rt_alloc_object(RT_WT_COMPLEX, 0, 2, 2);
    RT_STORE(rt_body(c)[0], re);
    RT_STORE(rt_body(c)[1], im);
    return c;
}

/* (complex re im): float contagion between the parts; a rational complex with a zero
 * imaginary part is its real part. */
rt_value rt_make_complex(rt_value re, rt_value im)
{
    enum rt_num_kind kr = rt_num_kind(re), ki = rt_num_kind(im);
    if (kr > RT_NK_DOUBLE)
        rt_num_type_error(re, "real");
    if (ki > RT_NK_DOUBLE)
        rt_num_type_error(im, "real");
    if (kr <= RT_NK_RATIO && ki <= RT_NK_RATIO) {
        if (im == rt_fixnum(0))
            return re;
        return rt_num_make_complex_raw(re, im);
    }
    RT_ROOTS(re, im);
    if (kr == RT_NK_DOUBLE || ki == RT_NK_DOUBLE) {
        if (kr != RT_NK_DOUBLE)
            re = rt_make_double(rt_num_to_double(re));
        if (ki != RT_NK_DOUBLE)
            im = rt_make_double(rt_num_to_double(im));
    } else {
        if (kr != RT_NK_SINGLE)
            re = rt_single(rt_num_to_single(re));
        if (ki != RT_NK_SINGLE)
            im = rt_single(rt_num_to_single(im));
    }
    return rt_num_make_complex_raw(re, im);
}

/* ---- Float traps ------------------------------------------------------------------ */

void rt_num_float_trap_(double r, double a, double b, const char *op)
{
    if (isnan(r)) {
        if (isnan(a) || isnan(b))
            return;   /* quiet NaNs propagate, as with SBCL's traps */
        rt_error("FLOATING-POINT-INVALID-OPERATION", "arithmetic error FLOATING-POINT-INVALID-OPERATION signalled in %s", op);
    }
    if (isinf(a) || isinf(b) || isnan(a) || isnan(b))
        return;
    rt_error("FLOATING-POINT-OVERFLOW", "arithmetic error FLOATING-POINT-OVERFLOW signalled in %s", op);
}

static _Noreturn void float_overflow(const char *op)
{
    rt_error("FLOATING-POINT-OVERFLOW", "arithmetic error FLOATING-POINT-OVERFLOW signalled in %s", op);
}

/* ---- Correctly rounded rational -> float ------------------------------------------
 * Rounds |num|/den (den > 0) to the nearest value m * 2^e with m < 2^prec and
 * e >= emin (emin is the exponent of the smallest subnormal's unit: -1074 for doubles,
 * -149 for singles), ties to even. Uses scratch 4..6. Returns the value as a double
 * (exact: m has at most prec+1 bits), +inf if beyond the double range. */
static double round_ratio(mpz_srcptr num, mpz_srcptr den, int prec, long emin)
{
    mpz_ptr a = RT_Z(4), q = RT_Z(5), r = RT_Z(6);
    mpz_abs(a, num);
    if (mpz_sgn(a) == 0)
        return 0.0;
    long na = (long)mpz_sizeinbase(a, 2), nb = (long)mpz_sizeinbase(den, 2);
    /* q = floor(a * 2^-s / den) has prec+2 or prec+3 bits. */
    long s = na - nb - prec - 2;
    if (s < emin)
        s = emin - 2;   /* keep two guard bits below the smallest unit */
    if (s <= 0) {
        mpz_mul_2exp(q, a, (mp_bitcnt_t)-s);
        mpz_tdiv_qr(q, r, q, den);
    } else {
        mpz_mul_2exp(r, den, (mp_bitcnt_t)s);
        mpz_tdiv_qr(q, r, a, r);
    }
    bool sticky = mpz_sgn(r) != 0;
    long lq = (long)mpz_sizeinbase(q, 2);
    if (mpz_sgn(q) == 0)
        lq = 0;
    long e = s + (lq - prec);   /* exponent of the result's unit */
    if (e < emin)
        e = emin;
    long drop = e - s;          /* >= 2 */
    /* half = bit drop-1; rest = bits below | sticky */
    bool half = mpz_tstbit(q, (mp_bitcnt_t)(drop - 1));
    bool rest = sticky || (mpz_sgn(q) != 0 && (long)mpz_scan1(q, 0) < drop - 1);
    mpz_tdiv_q_2exp(q, q, (mp_bitcnt_t)drop);
    if (half && (rest || mpz_odd_p(q)))
        mpz_add_ui(q, q, 1);
    /* q <= 2^prec now; ldexp is exact unless beyond the double range. */
    double m = (double)mpz_get_ui(q);
    if (e > 2000)
        return INFINITY;
    return ldexp(m, (int)e);
}

static double mpq_to_double(mpz_srcptr num, mpz_srcptr den)
{
    double d = round_ratio(num, den, 53, -1074);
    if (isinf(d))
        float_overflow("FLOAT");
    return mpz_sgn(num) < 0 ? -d : d;
}

static float mpq_to_single(mpz_srcptr num, mpz_srcptr den)
{
    double d = round_ratio(num, den, 24, -149);
    if (d > (double)FLT_MAX)
        float_overflow("FLOAT");
    return (float)(mpz_sgn(num) < 0 ? -d : d);
}

double rt_num_mpq_to_float_(mpq_srcptr q, bool single, bool *overflow)
{
    double d = round_ratio(mpq_numref(q), mpq_denref(q), single ? 24 : 53, single ? -149 : -1074);
    *overflow = single ? d > (double)FLT_MAX : isinf(d);
    return mpq_sgn(q) < 0 ? -d : d;
}

double rt_num_to_double(rt_value v)
{
    switch (rt_num_kind(v)) {
    case RT_NK_FIXNUM: return (double)rt_fixnum_value(v);
    case RT_NK_SINGLE: return (double)rt_single_value(v);
    case RT_NK_DOUBLE: return rt_double_value(v);
    case RT_NK_BIGNUM: {
        rt_zview a;
        static const mp_limb_t one = 1;
        mpz_t d1;
        return mpq_to_double(rt_zv(&a, v), mpz_roinit_n(d1, &one, 1));
    }
    case RT_NK_RATIO: {
        rt_zview a, b;
        return mpq_to_double(rt_zv(&a, rt_body(v)[0]), rt_zv(&b, rt_body(v)[1]));
    }
    default: rt_num_type_error(v, "real");
    }
}

float rt_num_to_single(rt_value v)
{
    switch (rt_num_kind(v)) {
    case RT_NK_FIXNUM: return (float)rt_fixnum_value(v);
    case RT_NK_SINGLE: return rt_single_value(v);
    case RT_NK_DOUBLE: {
        double d = rt_double_value(v);
        float f = (float)d;
        if (isinf(f) && !isinf(d))
            float_overflow("COERCE");
        return f;
    }
    case RT_NK_BIGNUM: {
        rt_zview a;
        static const mp_limb_t one = 1;
        mpz_t d1;
        return mpq_to_single(rt_zv(&a, v), mpz_roinit_n(d1, &one, 1));
    }
    case RT_NK_RATIO: {
        rt_zview a, b;
        return mpq_to_single(rt_zv(&a, rt_body(v)[0]), rt_zv(&b, rt_body(v)[1]));
    }
    default: rt_num_type_error(v, "real");
    }
}

double rt_to_double(rt_value real) { return rt_num_to_double(real); }

rt_value rt_make_single_checked(double d)
{
    float f = (float)d;
    if (isinf(f) && !isinf(d))
        float_overflow("COERCE");
    return rt_single(f);
}

void rt_num_float_to_mpq(mpq_ptr q, rt_value f)
{
    double d = rt_single_floatp(f) ? (double)rt_single_value(f) : rt_double_value(f);
    mpq_set_d(q, d);   /* exact for finite d */
}

rt_value rt_float(rt_value real, rt_value prototype)
{
    if (!rt_realp(real))
        rt_num_type_error(real, "real");
    if (prototype == RT_NIL || rt_single_floatp(prototype))
        return rt_floatp(real) && prototype == RT_NIL ? real : rt_single(rt_num_to_single(real));
    if (rt_double_float_p(prototype))
        return rt_double_float_p(real) ? real : rt_make_double(rt_num_to_double(real));
    rt_num_type_error(prototype, "float");
}

/* ---- Integer arithmetic ----------------------------------------------------------- */

static rt_value int_add(rt_value a, rt_value b)
{
    int64_t r;
    if (rt_fixnump(a) && rt_fixnump(b) && !__builtin_add_overflow((int64_t)a, (int64_t)b, &r))
        return (rt_value)r;
    rt_zview x, y;
    mpz_add(RT_Z(0), rt_zv(&x, a), rt_zv(&y, b));
    return rt_num_from_mpz(RT_Z(0));
}

static rt_value int_sub(rt_value a, rt_value b)
{
    int64_t r;
    if (rt_fixnump(a) && rt_fixnump(b) && !__builtin_sub_overflow((int64_t)a, (int64_t)b, &r))
        return (rt_value)r;
    rt_zview x, y;
    mpz_sub(RT_Z(0), rt_zv(&x, a), rt_zv(&y, b));
    return rt_num_from_mpz(RT_Z(0));
}

static void check_bits(uint64_t bits)
{
    if (bits > RT_NUM_MAX_BITS)
        rt_storage_error("integer result too large");
}

static rt_value int_mul(rt_value a, rt_value b)
{
    int64_t r;
    if (rt_fixnump(a) && rt_fixnump(b) && !__builtin_mul_overflow((int64_t)a >> 1, (int64_t)b, &r))
        return (rt_value)r;
    rt_zview x, y;
    mpz_srcptr za = rt_zv(&x, a), zb = rt_zv(&y, b);
    check_bits((uint64_t)mpz_sizeinbase(za, 2) + mpz_sizeinbase(zb, 2));
    mpz_mul(RT_Z(0), za, zb);
    return rt_num_from_mpz(RT_Z(0));
}

/* ---- Rational arithmetic ---------------------------------------------------------- */

static rt_value rat_op(int op, rt_value a, rt_value b)
{
    rt_qview x, y;
    mpq_srcptr qa = rt_qv(&x, a), qb = rt_qv(&y, b);
    switch (op) {
    case '+': mpq_add(RT_Q(0), qa, qb); break;
    case '-': mpq_sub(RT_Q(0), qa, qb); break;
    case '*': mpq_mul(RT_Q(0), qa, qb); break;
    default:
        if (mpq_sgn(qb) == 0)
            rt_error("DIVISION-BY-ZERO", "arithmetic error DIVISION-BY-ZERO signalled in /");
        mpq_div(RT_Q(0), qa, qb);
        break;
    }
    return rt_num_from_mpq(RT_Q(0));
}

/* ---- Float arithmetic ------------------------------------------------------------- */

static rt_value float_op(int op, rt_value a, rt_value b, bool single)
{
    if (single) {
        float x = rt_num_to_single(a), y = rt_num_to_single(b), r;
        switch (op) {
        case '+': r = x + y; break;
        case '-': r = x - y; break;
        case '*': r = x * y; break;
        default:
            if (y == 0.0f && !isnan(x))
                rt_error(x == 0.0f ? "FLOATING-POINT-INVALID-OPERATION" : "DIVISION-BY-ZERO",
                         "arithmetic error signalled in / by zero");
            r = x / y;
            break;
        }
        if (!isfinite(r))
            rt_num_float_trap_(r, x, y, "single-float arithmetic");
        return rt_single(r);
    }
    double x = rt_num_to_double(a), y = rt_num_to_double(b), r;
    switch (op) {
    case '+': r = x + y; break;
    case '-': r = x - y; break;
    case '*': r = x * y; break;
    default:
        if (y == 0.0 && !isnan(x))
            rt_error(x == 0.0 ? "FLOATING-POINT-INVALID-OPERATION" : "DIVISION-BY-ZERO",
                     "arithmetic error signalled in / by zero");
        r = x / y;
        break;
    }
    rt_num_fcheck(r, x, y, "double-float arithmetic");
    return rt_make_double(r);
}

/* ---- Complex arithmetic ----------------------------------------------------------- */

static rt_value arith(int op, rt_value a, rt_value b);

static rt_value re_of(rt_value v) { return rt_complexp(v) ? rt_body(v)[0] : v; }
static rt_value im_of(rt_value v)
{
    if (rt_complexp(v))
        return rt_body(v)[1];
    if (rt_single_floatp(v))
        return rt_single(0.0f);
    if (rt_double_float_p(v))
        return RT_NO_VALUE;   /* the caller makes 0d0 (allocation) */
    return rt_fixnum(0);
}
static rt_value im_part(rt_value v)
{
    rt_value i = im_of(v);
    return i == RT_NO_VALUE ? rt_make_double(0.0) : i;
}

static rt_value complex_op(int op, rt_value a, rt_value b)
{
    rt_value ar = RT_NIL, ai = RT_NIL, br = RT_NIL, bi = RT_NIL, t1 = RT_NIL, t2 = RT_NIL;
    RT_ROOTS(a, b, ar, ai, br, bi);
    RT_ROOTS(t1, t2);
    ar = re_of(a);
    ai = im_part(a);
    br = re_of(b);
    bi = im_part(b);
    /* A real operand has a zero imaginary part of the same kind; for a rational real
     * operand against a float complex this is the exact 0, which contagion turns into
     * a float zero of the right type: the result parts are all floats either way. */
    switch (op) {
    case '+':
    case '-':
        /* A real operand counts as (x, 0): SBCL computes the imaginary part as
         * iy -+ 0 with contagion, so (- 1 #c(2.5 -0.0)) is #C(-1.5 0.0). */
        t1 = arith(op, ar, br);
        t2 = arith(op, ai, bi);
        return rt_make_complex(t1, t2);
    case '*':
        if (!rt_complexp(b)) {   /* (a+bi)*r: no cross terms, keeps -0.0 and exactness */
            t1 = arith('*', ar, b);
            t2 = arith('*', ai, b);
            return rt_make_complex(t1, t2);
        }
        if (!rt_complexp(a)) {
            t1 = arith('*', a, br);
            t2 = arith('*', a, bi);
            return rt_make_complex(t1, t2);
        }
        {
            rt_value t3 = RT_NIL;
            RT_ROOTS(t3);
            t1 = arith('*', ar, br);
            t2 = arith('*', ai, bi);
            t1 = arith('-', t1, t2);
            t2 = arith('*', ar, bi);
            t3 = arith('*', ai, br);
            t2 = arith('+', t2, t3);
            return rt_make_complex(t1, t2);
        }
    default: { /* '/' */
        if (!rt_complexp(b)) {
            t1 = arith('/', ar, b);
            t2 = arith('/', ai, b);
            return rt_make_complex(t1, t2);
        }
        /* SBCL's (Smith's) algorithm with generic arithmetic, so that float results
         * round exactly as SBCL's do; exact for rationals:
         *   |ry| > |iy|: r = iy/ry, dn = ry (1 + r r), ((rx + ix r)/dn, (ix - rx r)/dn)
         *   otherwise:   r = ry/iy, dn = iy (1 + r r), ((rx r + ix)/dn, (ix r - rx)/dn)
         * with a real x: (x/dn, -(x r)/dn) and ((x r)/dn, -x/dn). */
        rt_value r = RT_NIL, dn = RT_NIL, t3 = RT_NIL;
        RT_ROOTS(r, dn, t3);
        rt_value ary = RT_NIL, aiy = RT_NIL;
        RT_ROOTS(ary, aiy);
        ary = rt_abs(br);
        aiy = rt_abs(bi);
        bool real_first = rt_num_compare(ary, aiy) == 1;
        r = real_first ? arith('/', bi, br) : arith('/', br, bi);
        dn = arith('*', r, r);
        dn = arith('+', rt_fixnum(1), dn);
        dn = arith('*', real_first ? br : bi, dn);
        if (!rt_complexp(a)) {
            if (real_first) {
                t1 = arith('/', a, dn);
                t2 = arith('*', a, r);
                t2 = rt_negate(t2);
                t2 = arith('/', t2, dn);
            } else {
                t1 = arith('*', a, r);
                t1 = arith('/', t1, dn);
                t2 = rt_negate(a);
                t2 = arith('/', t2, dn);
            }
            return rt_make_complex(t1, t2);
        }
        if (real_first) {
            t3 = arith('*', ai, r);
            t1 = arith('+', ar, t3);
            t1 = arith('/', t1, dn);
            t3 = arith('*', ar, r);
            t2 = arith('-', ai, t3);
            t2 = arith('/', t2, dn);
        } else {
            t3 = arith('*', ar, r);
            t1 = arith('+', t3, ai);
            t1 = arith('/', t1, dn);
            t3 = arith('*', ai, r);
            t2 = arith('-', t3, ar);
            t2 = arith('/', t2, dn);
        }
        return rt_make_complex(t1, t2);
    }
    }
}

/* ---- Generic operations ----------------------------------------------------------- */

static rt_value arith(int op, rt_value a, rt_value b)
{
    enum rt_num_kind ka = rt_num_kind(a), kb = rt_num_kind(b);
    if (ka == RT_NK_NONE)
        rt_num_type_error(a, "number");
    if (kb == RT_NK_NONE)
        rt_num_type_error(b, "number");
    enum rt_num_kind k = ka > kb ? ka : kb;
    switch (k) {
    case RT_NK_FIXNUM:
    case RT_NK_BIGNUM:
        switch (op) {
        case '+': return int_add(a, b);
        case '-': return int_sub(a, b);
        case '*': return int_mul(a, b);
        default: return rt_make_rational(a, b);
        }
    case RT_NK_RATIO: return rat_op(op, a, b);
    case RT_NK_SINGLE: return float_op(op, a, b, true);
    case RT_NK_DOUBLE: return float_op(op, a, b, false);
    default: return complex_op(op, a, b);
    }
}

rt_value rt_add(rt_value a, rt_value b) { return arith('+', a, b); }
rt_value rt_sub(rt_value a, rt_value b) { return arith('-', a, b); }
rt_value rt_mul(rt_value a, rt_value b) { return arith('*', a, b); }
rt_value rt_div(rt_value a, rt_value b) { return arith('/', a, b); }

rt_value rt_negate(rt_value a)
{
    switch (rt_num_kind(a)) {
    case RT_NK_FIXNUM:
        if (a != rt_fixnum(RT_MOST_NEGATIVE_FIXNUM))
            return (rt_value)(-(int64_t)a);
        /* fall through */
    case RT_NK_BIGNUM: {
        rt_zview x;
        mpz_neg(RT_Z(0), rt_zv(&x, a));
        return rt_num_from_mpz(RT_Z(0));
    }
    case RT_NK_RATIO: {
        rt_value n = RT_NIL;
        RT_ROOTS(a, n);
        n = rt_negate(rt_body(a)[0]);
        return rt_num_make_ratio_raw(n, rt_body(a)[1]);
    }
    case RT_NK_SINGLE: return rt_single(-rt_single_value(a));
    case RT_NK_DOUBLE: return rt_make_double(-rt_double_value(a));
    case RT_NK_COMPLEX: {
        rt_value r = RT_NIL, i = RT_NIL;
        RT_ROOTS(a, r, i);
        r = rt_negate(rt_body(a)[0]);
        i = rt_negate(rt_body(a)[1]);
        return rt_num_make_complex_raw(r, i);
    }
    default: rt_num_type_error(a, "number");
    }
}

bool rt_num_zerop(rt_value n)
{
    switch (rt_num_kind(n)) {
    case RT_NK_FIXNUM: return n == rt_fixnum(0);
    case RT_NK_BIGNUM:
    case RT_NK_RATIO: return false;
    case RT_NK_SINGLE: return rt_single_value(n) == 0.0f;
    case RT_NK_DOUBLE: return rt_double_value(n) == 0.0;
    case RT_NK_COMPLEX: return rt_num_zerop(rt_body(n)[0]) && rt_num_zerop(rt_body(n)[1]);
    default: rt_num_type_error(n, "number");
    }
}

int rt_num_sign(rt_value n)
{
    switch (rt_num_kind(n)) {
    case RT_NK_FIXNUM: return ((int64_t)n > 0) - ((int64_t)n < 0);
    case RT_NK_BIGNUM: return rt_bn_neg(n) ? -1 : 1;
    case RT_NK_RATIO: return rt_num_sign(rt_body(n)[0]);
    case RT_NK_SINGLE: {
        float f = rt_single_value(n);
        return (f > 0) - (f < 0);
    }
    case RT_NK_DOUBLE: {
        double d = rt_double_value(n);
        return (d > 0) - (d < 0);
    }
    default: rt_num_type_error(n, "real");
    }
}

/* ---- Comparison ------------------------------------------------------------------- */

static int cmp_rational(rt_value a, rt_value b)
{
    if (rt_fixnump(a) && rt_fixnump(b))
        return ((int64_t)a > (int64_t)b) - ((int64_t)a < (int64_t)b);
    if (rt_integerp(a) && rt_integerp(b)) {
        rt_zview x, y;
        int c = mpz_cmp(rt_zv(&x, a), rt_zv(&y, b));
        return (c > 0) - (c < 0);
    }
    rt_qview x, y;
    int c = mpq_cmp(rt_qv(&x, a), rt_qv(&y, b));
    return (c > 0) - (c < 0);
}

static double float_val(rt_value f)
{
    return rt_single_floatp(f) ? (double)rt_single_value(f) : rt_double_value(f);
}

/* A rational against a float, exactly. */
static int cmp_rational_float(rt_value r, double d)
{
    if (isnan(d))
        return RT_NUM_UNORDERED;
    if (isinf(d))
        return d > 0 ? -1 : 1;
    if (rt_fixnump(r)) {
        int64_t n = rt_fixnum_value(r);
        if (n > -(INT64_C(1) << 53) && n < (INT64_C(1) << 53)) {
            double x = (double)n;
            return (x > d) - (x < d);
        }
    }
    mpq_set_d(RT_Q(1), d);
    rt_qview x;
    int c = mpq_cmp(rt_qv(&x, r), RT_Q(1));
    return (c > 0) - (c < 0);
}

int rt_num_compare(rt_value a, rt_value b)
{
    enum rt_num_kind ka = rt_num_kind(a), kb = rt_num_kind(b);
    if (ka > RT_NK_DOUBLE)
        rt_num_type_error(a, "real");
    if (kb > RT_NK_DOUBLE)
        rt_num_type_error(b, "real");
    bool fa = ka >= RT_NK_SINGLE, fb = kb >= RT_NK_SINGLE;
    if (!fa && !fb)
        return cmp_rational(a, b);
    if (fa && fb) {
        double x = float_val(a), y = float_val(b);
        if (isnan(x) || isnan(y))
            return RT_NUM_UNORDERED;
        return (x > y) - (x < y);
    }
    if (fb)
        return cmp_rational_float(a, float_val(b));
    int c = cmp_rational_float(b, float_val(a));
    return c == RT_NUM_UNORDERED ? c : -c;
}

bool rt_num_equal(rt_value a, rt_value b)
{
    if (((a | b) & 1) == 0)
        return a == b;
    bool ca = rt_complexp(a), cb = rt_complexp(b);
    if (ca || cb) {
        if (!rt_numberp(a))
            rt_num_type_error(a, "number");
        if (!rt_numberp(b))
            rt_num_type_error(b, "number");
        rt_value ar = re_of(a), br = re_of(b);
        rt_value ai = ca ? rt_body(a)[1] : rt_fixnum(0), bi = cb ? rt_body(b)[1] : rt_fixnum(0);
        return rt_num_compare(ar, br) == 0 && rt_num_compare(ai, bi) == 0;
    }
    return rt_num_compare(a, b) == 0;
}

/* ---- eql and its hash ------------------------------------------------------------- */

bool rt_num_eql(rt_value a, rt_value b)
{
    if (a == b)
        return true;
    enum rt_num_kind ka = rt_num_kind(a), kb = rt_num_kind(b);
    if (ka != kb || ka == RT_NK_NONE)
        return false;
    switch (ka) {
    case RT_NK_FIXNUM:
    case RT_NK_SINGLE: return false;   /* immediate: same word or not eql */
    case RT_NK_BIGNUM:
        return rt_info(a) == rt_info(b)
            && memcmp(rt_bn_limbs(a), rt_bn_limbs(b), rt_bn_len(a) * sizeof(mp_limb_t)) == 0;
    case RT_NK_DOUBLE: return rt_cell_of(a)->payload == rt_cell_of(b)->payload;
    case RT_NK_RATIO:
    case RT_NK_COMPLEX:
        return rt_num_eql(rt_body(a)[0], rt_body(b)[0]) && rt_num_eql(rt_body(a)[1], rt_body(b)[1]);
    default: return false;
    }
}

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

uint64_t rt_num_hash(rt_value a)
{
    switch (rt_num_kind(a)) {
    case RT_NK_FIXNUM:
    case RT_NK_SINGLE: return mix64(a);
    case RT_NK_DOUBLE: return mix64(rt_cell_of(a)->payload ^ UINT64_C(0x5bd1e995));
    case RT_NK_BIGNUM: {
        uint64_t h = rt_info(a);
        const mp_limb_t *l = rt_bn_limbs(a);
        for (size_t i = 0, n = rt_bn_len(a); i < n; i++)
            h = mix64(h ^ l[i]);
        return h;
    }
    case RT_NK_RATIO:
    case RT_NK_COMPLEX:
        return mix64(rt_num_hash(rt_body(a)[0]) * 31 + rt_num_hash(rt_body(a)[1]) + rt_widetag(a));
    default: return mix64(rt_strip_access(a));
    }
}
