/* runtime/numprim.c: the Lisp-callable number functions of COMMON-LISP (a table of
 * rt_prim_def for rt_define_primitives), random states, parse-integer and the values
 * of the numeric constants.
 *
 * Primitives get their arguments in an array that is valid only until they allocate:
 * each copies what it keeps into rooted locals (rt/heap.h rule 1) before allocating.
 */
#include "number_impl.h"

#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include "rt/object.h"
#include "rt/prim.h"

/* ---- Arithmetic with &rest arguments ---------------------------------------------- */

static void need_number(rt_value v)
{
    if (!rt_numberp(v))
        rt_num_type_error(v, "number");
}
static void need_real(rt_value v)
{
    if (!rt_realp(v))
        rt_num_type_error(v, "real");
}
static void need_integer(rt_value v)
{
    if (!rt_integerp(v))
        rt_num_type_error(v, "integer");
}
static void need_float(rt_value v)
{
    if (!rt_floatp(v))
        rt_num_type_error(v, "float");
}

/* Folds op over args from the left. The argument array is only valid until we
 * allocate, so the arguments are first copied into rooted locals. */
static rt_value fold(rt_value (*op)(rt_value, rt_value), rt_value acc, rt_value *args, size_t from, size_t n)
{
    rt_value copy[n + 1];
    rt_root_frame_ frame __attribute__((cleanup(rt_root_frame_end_))) = {rt_root_depth()};
    for (size_t i = from; i < n; i++) {
        copy[i] = args[i];
        rt_root_push(&copy[i]);
    }
    RT_ROOTS(acc);
    for (size_t i = from; i < n; i++)
        acc = op(acc, copy[i]);
    (void)frame;
    return acc;
}

static rt_value p_add(rt_value *a, size_t n)
{
    if (n == 0)
        return rt_fixnum(0);
    need_number(a[0]);
    return fold(rt_add, a[0], a, 1, n);
}
static rt_value p_mul(rt_value *a, size_t n)
{
    if (n == 0)
        return rt_fixnum(1);
    need_number(a[0]);
    return fold(rt_mul, a[0], a, 1, n);
}
static rt_value p_sub(rt_value *a, size_t n)
{
    if (n == 1)
        return rt_negate(a[0]);
    return fold(rt_sub, a[0], a, 1, n);
}
static rt_value p_div(rt_value *a, size_t n)
{
    if (n == 1)
        return rt_div(rt_fixnum(1), a[0]);
    return fold(rt_div, a[0], a, 1, n);
}

/* ---- Comparisons ------------------------------------------------------------------ */

static rt_value p_num_eq(rt_value *a, size_t n)
{
    need_number(a[0]);
    bool r = true;
    for (size_t i = 1; i < n; i++)
        if (!rt_num_equal(a[0], a[i]))
            r = false;   /* keep going: every argument is type-checked */
    return rt_bool(r);
}
static rt_value p_num_ne(rt_value *a, size_t n)
{
    need_number(a[0]);
    for (size_t i = 1; i < n; i++)
        need_number(a[i]);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (rt_num_equal(a[i], a[j]))
                return RT_NIL;
    return RT_T;
}
static rt_value compare_chain(rt_value *a, size_t n, int want)
{
    need_real(a[0]);
    bool r = true;
    for (size_t i = 1; i < n; i++) {
        int c = rt_num_compare(a[i - 1], a[i]);
        bool ok;
        switch (want) {
        case '<': ok = c == -1; break;
        case '>': ok = c == 1; break;
        case 'l': ok = c == -1 || c == 0; break;
        default: ok = c == 1 || c == 0; break;
        }
        if (!ok)
            r = false;
    }
    return rt_bool(r);
}
static rt_value p_lt(rt_value *a, size_t n) { return compare_chain(a, n, '<'); }
static rt_value p_gt(rt_value *a, size_t n) { return compare_chain(a, n, '>'); }
static rt_value p_le(rt_value *a, size_t n) { return compare_chain(a, n, 'l'); }
static rt_value p_ge(rt_value *a, size_t n) { return compare_chain(a, n, 'g'); }

static rt_value p_max(rt_value *a, size_t n)
{
    need_real(a[0]);
    rt_value best = a[0];
    for (size_t i = 1; i < n; i++) {
        int c = rt_num_compare(a[i], best);
        if (c == 1)
            best = a[i];
    }
    return best;
}
static rt_value p_min(rt_value *a, size_t n)
{
    need_real(a[0]);
    rt_value best = a[0];
    for (size_t i = 1; i < n; i++) {
        int c = rt_num_compare(a[i], best);
        if (c == -1)
            best = a[i];
    }
    return best;
}

/* ---- One-argument functions --------------------------------------------------------- */

static rt_value p_1plus(rt_value *a, size_t n) { return rt_add(a[0], rt_fixnum(1)); }
static rt_value p_1minus(rt_value *a, size_t n) { return rt_sub(a[0], rt_fixnum(1)); }
static rt_value p_abs(rt_value *a, size_t n) { return rt_abs(a[0]); }
static rt_value p_zerop(rt_value *a, size_t n) { return rt_bool(rt_num_zerop(a[0])); }
static rt_value p_plusp(rt_value *a, size_t n)
{
    need_real(a[0]);
    return rt_bool(rt_num_sign(a[0]) > 0);
}
static rt_value p_minusp(rt_value *a, size_t n)
{
    need_real(a[0]);
    return rt_bool(rt_num_sign(a[0]) < 0);
}
static rt_value p_evenp(rt_value *a, size_t n)
{
    need_integer(a[0]);
    return rt_bool(!rt_logbitp(rt_fixnum(0), a[0]));
}
static rt_value p_oddp(rt_value *a, size_t n)
{
    need_integer(a[0]);
    return rt_bool(rt_logbitp(rt_fixnum(0), a[0]));
}

static rt_value p_signum(rt_value *a, size_t n)
{
    rt_value x = a[0];
    switch (rt_num_kind(x)) {
    case RT_NK_FIXNUM:
    case RT_NK_BIGNUM:
    case RT_NK_RATIO: return rt_fixnum(rt_num_sign(x));
    case RT_NK_SINGLE: {
        float f = rt_single_value(x);
        return f == 0 || isnan(f) ? x : rt_single(f > 0 ? 1.0f : -1.0f);
    }
    case RT_NK_DOUBLE: {
        double d = rt_double_value(x);
        return d == 0 || isnan(d) ? x : rt_make_double(d > 0 ? 1.0 : -1.0);
    }
    case RT_NK_COMPLEX: {
        if (rt_num_zerop(x))
            return x;
        RT_ROOTS(x);
        rt_value m = rt_abs(x);
        return rt_div(x, m);
    }
    default: rt_num_type_error(x, "number");
    }
}

/* ---- Rounding --------------------------------------------------------------------- */

static rt_value divide_prim(rt_value *a, size_t n, int mode, bool fl)
{
    rt_value rem = RT_NIL, q;
    rt_value b = n > 1 ? a[1] : rt_fixnum(1);
    q = fl ? rt_fdivide(a[0], b, mode, &rem) : rt_divide(a[0], b, mode, &rem);
    return rt_values2(q, rem);
}
static rt_value p_floor(rt_value *a, size_t n) { return divide_prim(a, n, 'f', false); }
static rt_value p_ceiling(rt_value *a, size_t n) { return divide_prim(a, n, 'c', false); }
static rt_value p_truncate(rt_value *a, size_t n) { return divide_prim(a, n, 't', false); }
static rt_value p_round(rt_value *a, size_t n) { return divide_prim(a, n, 'r', false); }
static rt_value p_ffloor(rt_value *a, size_t n) { return divide_prim(a, n, 'f', true); }
static rt_value p_fceiling(rt_value *a, size_t n) { return divide_prim(a, n, 'c', true); }
static rt_value p_ftruncate(rt_value *a, size_t n) { return divide_prim(a, n, 't', true); }
static rt_value p_fround(rt_value *a, size_t n) { return divide_prim(a, n, 'r', true); }
static rt_value p_mod(rt_value *a, size_t n)
{
    rt_value rem = RT_NIL;
    rt_divide(a[0], a[1], 'f', &rem);
    return rem;
}
static rt_value p_rem(rt_value *a, size_t n)
{
    rt_value rem = RT_NIL;
    rt_divide(a[0], a[1], 't', &rem);
    return rem;
}

/* ---- Integer functions ------------------------------------------------------------ */

static rt_value p_gcd(rt_value *a, size_t n)
{
    if (n == 0)
        return rt_fixnum(0);
    need_integer(a[0]);
    if (n == 1)
        return rt_abs(a[0]);
    return fold(rt_gcd, a[0], a, 1, n);
}
static rt_value p_lcm(rt_value *a, size_t n)
{
    if (n == 0)
        return rt_fixnum(1);
    need_integer(a[0]);
    if (n == 1)
        return rt_abs(a[0]);
    return fold(rt_lcm, a[0], a, 1, n);
}
static rt_value p_isqrt(rt_value *a, size_t n) { return rt_isqrt(a[0]); }

static int logfold_op_;
static rt_value logfold_step_(rt_value a, rt_value b) { return rt_logop(logfold_op_, a, b); }
static rt_value logfold(int op, rt_value identity, rt_value *a, size_t n)
{
    if (n == 0)
        return identity;
    need_integer(a[0]);
    if (n == 1)
        return a[0];
    logfold_op_ = op;   /* one Lisp thread runs at a time; rt_logop calls no Lisp */
    return fold(logfold_step_, a[0], a, 1, n);
}
static rt_value p_logand(rt_value *a, size_t n) { return logfold(6, rt_fixnum(-1), a, n); }
static rt_value p_logior(rt_value *a, size_t n) { return logfold(7, rt_fixnum(0), a, n); }
static rt_value p_logxor(rt_value *a, size_t n) { return logfold(8, rt_fixnum(0), a, n); }
static rt_value p_logeqv(rt_value *a, size_t n) { return logfold(9, rt_fixnum(-1), a, n); }
static rt_value p_lognand(rt_value *a, size_t n) { return rt_logop(10, a[0], a[1]); }
static rt_value p_lognor(rt_value *a, size_t n) { return rt_logop(11, a[0], a[1]); }
static rt_value p_logandc1(rt_value *a, size_t n) { return rt_logop(12, a[0], a[1]); }
static rt_value p_logandc2(rt_value *a, size_t n) { return rt_logop(13, a[0], a[1]); }
static rt_value p_logorc1(rt_value *a, size_t n) { return rt_logop(14, a[0], a[1]); }
static rt_value p_logorc2(rt_value *a, size_t n) { return rt_logop(15, a[0], a[1]); }
static rt_value p_lognot(rt_value *a, size_t n) { return rt_lognot(a[0]); }
static rt_value p_logtest(rt_value *a, size_t n) { return rt_bool(rt_logop(6, a[0], a[1]) != rt_fixnum(0)); }
static rt_value p_logbitp(rt_value *a, size_t n) { return rt_bool(rt_logbitp(a[0], a[1])); }
static rt_value p_logcount(rt_value *a, size_t n) { return rt_logcount(a[0]); }
static rt_value p_integer_length(rt_value *a, size_t n) { return rt_integer_length(a[0]); }
static rt_value p_ash(rt_value *a, size_t n) { return rt_ash(a[0], a[1]); }
static rt_value p_boole(rt_value *a, size_t n)
{
    int64_t op;
    if (!rt_integer_to_int64(a[0], &op) || op < 0 || op > 15)
        rt_num_type_error(a[0], "(integer 0 15)");
    return rt_logop((int)op, a[1], a[2]);
}

/* Byte specifiers are conses (size . position), as in SBCL. */
static void need_index(rt_value v)
{
    if (!rt_integerp(v) || rt_num_sign(v) < 0)
        rt_num_type_error(v, "unsigned-byte");
}
static void byte_parts(rt_value spec, rt_value *size, rt_value *pos)
{
    if (!rt_consp(spec))
        rt_num_type_error(spec, "(cons unsigned-byte unsigned-byte)");
    *size = rt_car(spec);
    *pos = rt_cdr(spec);
    need_index(*size);
    need_index(*pos);
}
static rt_value p_byte(rt_value *a, size_t n)
{
    need_index(a[0]);
    need_index(a[1]);
    return rt_cons(a[0], a[1]);
}
static rt_value p_byte_size(rt_value *a, size_t n)
{
    rt_value s, p;
    byte_parts(a[0], &s, &p);
    return s;
}
static rt_value p_byte_position(rt_value *a, size_t n)
{
    rt_value s, p;
    byte_parts(a[0], &s, &p);
    return p;
}
static rt_value p_ldb(rt_value *a, size_t n)
{
    rt_value s, p;
    byte_parts(a[0], &s, &p);
    return rt_ldb(s, p, a[1]);
}
static rt_value p_ldb_test(rt_value *a, size_t n)
{
    rt_value s, p;
    byte_parts(a[0], &s, &p);
    return rt_bool(rt_ldb(s, p, a[1]) != rt_fixnum(0));
}
static rt_value p_dpb(rt_value *a, size_t n)
{
    rt_value s, p;
    byte_parts(a[1], &s, &p);
    return rt_dpb(a[0], s, p, a[2]);
}
static rt_value p_mask_field(rt_value *a, size_t n)
{
    rt_value s, p, x = a[1];
    byte_parts(a[0], &s, &p);
    RT_ROOTS(s, p, x);
    rt_value v = rt_ldb(s, p, x);
    return rt_ash(v, p);
}
static rt_value p_deposit_field(rt_value *a, size_t n)
{
    rt_value s, p, nb = a[0], x = a[2];
    byte_parts(a[1], &s, &p);
    RT_ROOTS(s, p, nb, x);
    rt_value np = rt_negate(p);
    nb = rt_ash(nb, np);   /* (dpb (ash newbyte (- pos)) spec x) */
    return rt_dpb(nb, s, p, x);
}

/* ---- Rationals, complexes, floats ------------------------------------------------- */

static rt_value p_numerator(rt_value *a, size_t n)
{
    if (rt_ratiop(a[0]))
        return rt_body(a[0])[0];
    need_integer(a[0]);
    return a[0];
}
static rt_value p_denominator(rt_value *a, size_t n)
{
    if (rt_ratiop(a[0]))
        return rt_body(a[0])[1];
    need_integer(a[0]);
    return rt_fixnum(1);
}
static rt_value p_realpart(rt_value *a, size_t n)
{
    if (rt_complexp(a[0]))
        return rt_body(a[0])[0];
    need_real(a[0]);
    return a[0];
}
static rt_value p_imagpart(rt_value *a, size_t n)
{
    rt_value x = a[0];
    if (rt_complexp(x))
        return rt_body(x)[1];
    need_real(x);
    if (rt_single_floatp(x))   /* (* 0 x): keeps the sign of x */
        return rt_single(0.0f * rt_single_value(x));
    if (rt_double_float_p(x))
        return rt_make_double(0.0 * rt_double_value(x));
    return rt_fixnum(0);
}
static rt_value p_conjugate(rt_value *a, size_t n)
{
    rt_value x = a[0];
    if (!rt_complexp(x)) {
        need_number(x);
        return x;
    }
    RT_ROOTS(x);
    rt_value im = rt_negate(rt_body(x)[1]);
    return rt_num_make_complex_raw(rt_body(x)[0], im);
}
static rt_value p_complex(rt_value *a, size_t n)
{
    if (n == 1) {
        need_real(a[0]);
        if (rt_floatp(a[0]))
            return rt_make_complex(a[0], rt_fixnum(0));
        return a[0];
    }
    return rt_make_complex(a[0], a[1]);
}
static rt_value p_rational(rt_value *a, size_t n) { return rt_num_rational(a[0]); }
static rt_value p_rationalize(rt_value *a, size_t n) { return rt_num_rationalize(a[0]); }
static rt_value p_float(rt_value *a, size_t n)
{
    if (n > 1)
        need_float(a[1]);
    return rt_float(a[0], n > 1 ? a[1] : RT_NIL);
}

static rt_value p_decode_float(rt_value *a, size_t n)
{
    rt_value x = a[0];
    need_float(x);
    bool single = rt_single_floatp(x);
    double d = single ? rt_single_value(x) : rt_double_value(x);
    if (!isfinite(d))
        rt_error("SIMPLE-ERROR", "Can't decode NaN or infinity");
    int e = 0;
    double m = d == 0 ? 0.0 : frexp(fabs(d), &e);
    double s = signbit(d) ? -1.0 : 1.0;
    rt_value vals[3];
    vals[1] = rt_fixnum(e);
    if (single) {
        vals[0] = rt_single((float)m);
        vals[2] = rt_single((float)s);
        return rt_values(3, vals);
    }
    rt_value mv = rt_make_double(m), sv = RT_NIL;
    RT_ROOTS(mv, sv);
    sv = rt_make_double(s);
    vals[0] = mv;
    vals[2] = sv;
    return rt_values(3, vals);
}
static rt_value p_integer_decode_float(rt_value *a, size_t n)
{
    uint64_t m;
    int64_t e;
    int s;
    need_float(a[0]);
    rt_num_integer_decode(a[0], &m, &e, &s);
    rt_value vals[3] = {rt_make_unsigned(m), rt_fixnum(e), rt_fixnum(s)};
    return rt_values(3, vals);
}
static rt_value p_scale_float(rt_value *a, size_t n)
{
    rt_value x = a[0];
    need_float(x);
    int64_t k;
    if (!rt_integer_to_int64(a[1], &k)) {
        need_integer(a[1]);
        k = rt_num_sign(a[1]) > 0 ? INT32_MAX : INT32_MIN;
    }
    if (k > INT32_MAX)
        k = INT32_MAX;
    if (k < INT32_MIN)
        k = INT32_MIN;
    if (rt_single_floatp(x)) {
        float f = rt_single_value(x), r = ldexpf(f, (int)k);
        rt_num_fcheck(r, f, 0, "SCALE-FLOAT");
        return rt_single(r);
    }
    double d = rt_double_value(x), r = ldexp(d, (int)k);
    rt_num_fcheck(r, d, 0, "SCALE-FLOAT");
    return rt_make_double(r);
}
static rt_value p_float_radix(rt_value *a, size_t n)
{
    need_float(a[0]);
    return rt_fixnum(2);
}
static rt_value p_float_sign(rt_value *a, size_t n)
{
    rt_value x = a[0];
    need_float(x);
    bool neg = rt_single_floatp(x) ? signbit(rt_single_value(x)) : signbit(rt_double_value(x));
    if (n == 1)
        return rt_single_floatp(x) ? rt_single(neg ? -1.0f : 1.0f) : rt_make_double(neg ? -1.0 : 1.0);
    rt_value y = a[1];
    need_float(y);
    if (rt_single_floatp(y)) {
        float f = fabsf(rt_single_value(y));
        return rt_single(neg ? -f : f);
    }
    double d = fabs(rt_double_value(y));
    return rt_make_double(neg ? -d : d);
}
static rt_value p_float_digits(rt_value *a, size_t n)
{
    need_float(a[0]);
    return rt_fixnum(rt_single_floatp(a[0]) ? 24 : 53);
}
static rt_value p_float_precision(rt_value *a, size_t n)
{
    uint64_t m;
    int64_t e;
    int s;
    need_float(a[0]);
    rt_num_integer_decode(a[0], &m, &e, &s);
    return rt_fixnum(m == 0 ? 0 : 64 - __builtin_clzll(m));
}

/* ---- Irrational functions --------------------------------------------------------- */

static rt_value p_exp(rt_value *a, size_t n) { return rt_num_transcendental(RT_F_EXP, a[0]); }
static rt_value p_log(rt_value *a, size_t n)
{
    return n > 1 ? rt_num_log2(a[0], a[1]) : rt_num_transcendental(RT_F_LOG, a[0]);
}
static rt_value p_sqrt(rt_value *a, size_t n) { return rt_num_transcendental(RT_F_SQRT, a[0]); }
static rt_value p_sin(rt_value *a, size_t n) { return rt_num_transcendental(RT_F_SIN, a[0]); }
static rt_value p_cos(rt_value *a, size_t n) { return rt_num_transcendental(RT_F_COS, a[0]); }
static rt_value p_tan(rt_value *a, size_t n) { return rt_num_transcendental(RT_F_TAN, a[0]); }
static rt_value p_asin(rt_value *a, size_t n) { return rt_num_transcendental(RT_F_ASIN, a[0]); }
static rt_value p_acos(rt_value *a, size_t n) { return rt_num_transcendental(RT_F_ACOS, a[0]); }
static rt_value p_atan(rt_value *a, size_t n)
{
    return n > 1 ? rt_num_atan2(a[0], a[1]) : rt_num_transcendental(RT_F_ATAN, a[0]);
}
static rt_value p_sinh(rt_value *a, size_t n) { return rt_num_transcendental(RT_F_SINH, a[0]); }
static rt_value p_cosh(rt_value *a, size_t n) { return rt_num_transcendental(RT_F_COSH, a[0]); }
static rt_value p_tanh(rt_value *a, size_t n) { return rt_num_transcendental(RT_F_TANH, a[0]); }
static rt_value p_asinh(rt_value *a, size_t n) { return rt_num_transcendental(RT_F_ASINH, a[0]); }
static rt_value p_acosh(rt_value *a, size_t n) { return rt_num_transcendental(RT_F_ACOSH, a[0]); }
static rt_value p_atanh(rt_value *a, size_t n) { return rt_num_transcendental(RT_F_ATANH, a[0]); }
static rt_value p_expt(rt_value *a, size_t n) { return rt_expt(a[0], a[1]); }
static rt_value p_cis(rt_value *a, size_t n)
{
    rt_value x = a[0];
    need_real(x);
    bool dbl = rt_double_float_p(x);
    double d = rt_num_to_double(x);
    rt_value re = dbl ? rt_make_double(cos(d)) : rt_single((float)cos(d));
    RT_ROOTS(re);
    rt_value im = dbl ? rt_make_double(sin(d)) : rt_single((float)sin(d));
    return rt_num_make_complex_raw(re, im);
}
static rt_value p_phase(rt_value *a, size_t n)
{
    rt_value x = a[0];
    if (rt_complexp(x))
        return rt_num_atan2(rt_body(x)[1], rt_body(x)[0]);
    need_real(x);
    bool neg = rt_single_floatp(x) ? signbit(rt_single_value(x))
             : rt_double_float_p(x) ? signbit(rt_double_value(x)) : rt_num_sign(x) < 0;
    double r = neg ? M_PI : 0.0;
    return rt_double_float_p(x) ? rt_make_double(r) : rt_single((float)r);
}

/* ---- Type predicates -------------------------------------------------------------- */

static rt_value p_numberp(rt_value *a, size_t n) { return rt_bool(rt_numberp(a[0])); }
static rt_value p_integerp(rt_value *a, size_t n) { return rt_bool(rt_integerp(a[0])); }
static rt_value p_rationalp(rt_value *a, size_t n) { return rt_bool(rt_rationalp(a[0])); }
static rt_value p_realp(rt_value *a, size_t n) { return rt_bool(rt_realp(a[0])); }
static rt_value p_floatp(rt_value *a, size_t n) { return rt_bool(rt_floatp(a[0])); }
static rt_value p_complexp(rt_value *a, size_t n) { return rt_bool(rt_complexp(a[0])); }

static rt_value p_random(rt_value *a, size_t n) { return rt_random(a[0], n > 1 ? a[1] : RT_NIL); }

static rt_value p_make_random_state(rt_value *a, size_t n)
{
    return rt_make_random_state(n > 0 ? a[0] : RT_NIL);
}

static rt_value p_random_state_p(rt_value *a, size_t n)
{
    return rt_bool(rt_widetagp(a[0], RT_WT_RANDOM_STATE));
}

/* ---- parse-integer -------------------------------------------------------------------- */

/* Does symbol sym (a keyword) have the name given in ASCII? */
static bool keyword_named(rt_value sym, const char *name)
{
    if (!rt_symbolp(sym))
        return false;
    rt_value s = rt_symbol_name(sym);
    if (!rt_simple_string_p(s))
        return false;
    size_t len = strlen(name);
    if (rt_string_length(s) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (rt_string_ref(s, i) != (uint32_t)(unsigned char)name[i])
            return false;
    return true;
}

static bool whitespace1p(uint32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

static int digit_in(uint32_t c, unsigned radix)
{
    int d = c >= '0' && c <= '9' ? (int)(c - '0')
          : c >= 'a' && c <= 'z' ? (int)(c - 'a' + 10)
          : c >= 'A' && c <= 'Z' ? (int)(c - 'A' + 10) : 99;
    return d < (int)radix ? d : -1;
}

static bool index_arg(rt_value v, size_t *out)
{
    int64_t i;
    if (!rt_integer_to_int64(v, &i) || i < 0)
        return false;
    *out = (size_t)i;
    return true;
}

/* (parse-integer string &key start end radix junk-allowed) */
static rt_value p_parse_integer(rt_value *a, size_t n)
{
    rt_value str = a[0];
    if (!rt_simple_string_p(str))
        rt_num_type_error(str, "string");
    if ((n - 1) % 2)
        rt_error("PROGRAM-ERROR", "odd number of &KEY arguments to PARSE-INTEGER");
    size_t len = rt_string_length(str), start = 0, end = len;
    unsigned radix = 10;
    bool junk = false, seen_start = false, seen_end = false, seen_radix = false, seen_junk = false, allow_other = false;
    rt_value bad_key = RT_NIL;
    for (size_t i = 1; i + 1 < n; i += 2) {
        rt_value k = a[i], v = a[i + 1];
        if (keyword_named(k, "START")) {
            if (!seen_start && !index_arg(v, &start))
                rt_num_type_error(v, "(integer 0)");
            seen_start = true;
        } else if (keyword_named(k, "END")) {
            if (!seen_end && v != RT_NIL && !index_arg(v, &end))
                rt_num_type_error(v, "(or null (integer 0))");
            seen_end = true;
        } else if (keyword_named(k, "RADIX")) {
            int64_t r;
            if (!seen_radix && (!rt_integer_to_int64(v, &r) || r < 2 || r > 36))
                rt_num_type_error(v, "(integer 2 36)");
            if (!seen_radix)
                radix = (unsigned)r;
            seen_radix = true;
        } else if (keyword_named(k, "JUNK-ALLOWED")) {
            if (!seen_junk)
                junk = v != RT_NIL;
            seen_junk = true;
        } else if (keyword_named(k, "ALLOW-OTHER-KEYS")) {
            if (v != RT_NIL)
                allow_other = true;
        } else {
            bad_key = k;
        }
    }
    if (bad_key != RT_NIL && !allow_other)
        rt_error("PROGRAM-ERROR", "unknown &KEY argument to PARSE-INTEGER");
    if (start > len || end > len || start > end)
        rt_error("TYPE-ERROR", "the bounding indices %zu and %zu are bad for a string of length %zu", start, end, len);

    size_t i = start;
    while (i < end && whitespace1p(rt_string_ref(str, i)))
        i++;
    if (i == end) {
        if (junk)
            return rt_values2(RT_NIL, rt_fixnum((int64_t)i));
        rt_error("PARSE-ERROR", "no non-whitespace characters in string");
    }
    bool neg = false;
    uint32_t c = rt_string_ref(str, i);
    if (c == '+' || c == '-') {
        neg = c == '-';
        i++;
    }
    size_t d0 = i;
    while (i < end && digit_in(rt_string_ref(str, i), radix) >= 0)
        i++;
    size_t d1 = i;
    if (!junk) {
        while (i < end && whitespace1p(rt_string_ref(str, i)))
            i++;
        if (i < end || d1 == d0)
            rt_error("PARSE-ERROR", "junk in string");
    }
    if (d1 == d0)
        return rt_values2(RT_NIL, rt_fixnum((int64_t)d1));
    /* Convert: small in C, large with GMP from an ASCII copy. */
    rt_value result;
    if (d1 - d0 <= 12) {
        int64_t v = 0;
        for (size_t k = d0; k < d1; k++)
            v = v * radix + digit_in(rt_string_ref(str, k), radix);
        result = rt_make_integer(neg ? -v : v);
    } else {
        char *buf = malloc(d1 - d0 + 1);
        if (!buf)
            rt_storage_error("out of memory in PARSE-INTEGER");
        for (size_t k = d0; k < d1; k++)
            buf[k - d0] = "0123456789abcdefghijklmnopqrstuvwxyz"[digit_in(rt_string_ref(str, k), radix)];
        buf[d1 - d0] = 0;
        mpz_set_str(RT_Z(0), buf, (int)radix);
        free(buf);
        if (neg)
            mpz_neg(RT_Z(0), RT_Z(0));
        result = rt_num_from_mpz(RT_Z(0));
    }
    return rt_values2(result, rt_fixnum((int64_t)(junk ? d1 : i)));
}

/* ---- The table ------------------------------------------------------------------------ */

#define CL "COMMON-LISP"
const rt_prim_def rt_number_prims[] = {
    {CL, "+", p_add, 0, -1},
    {CL, "-", p_sub, 1, -1},
    {CL, "*", p_mul, 0, -1},
    {CL, "/", p_div, 1, -1},
    {CL, "=", p_num_eq, 1, -1},
    {CL, "/=", p_num_ne, 1, -1},
    {CL, "<", p_lt, 1, -1},
    {CL, ">", p_gt, 1, -1},
    {CL, "<=", p_le, 1, -1},
    {CL, ">=", p_ge, 1, -1},
    {CL, "MAX", p_max, 1, -1},
    {CL, "MIN", p_min, 1, -1},
    {CL, "1+", p_1plus, 1, 1},
    {CL, "1-", p_1minus, 1, 1},
    {CL, "ABS", p_abs, 1, 1},
    {CL, "ZEROP", p_zerop, 1, 1},
    {CL, "PLUSP", p_plusp, 1, 1},
    {CL, "MINUSP", p_minusp, 1, 1},
    {CL, "EVENP", p_evenp, 1, 1},
    {CL, "ODDP", p_oddp, 1, 1},
    {CL, "SIGNUM", p_signum, 1, 1},
    {CL, "FLOOR", p_floor, 1, 2},
    {CL, "CEILING", p_ceiling, 1, 2},
    {CL, "TRUNCATE", p_truncate, 1, 2},
    {CL, "ROUND", p_round, 1, 2},
    {CL, "FFLOOR", p_ffloor, 1, 2},
    {CL, "FCEILING", p_fceiling, 1, 2},
    {CL, "FTRUNCATE", p_ftruncate, 1, 2},
    {CL, "FROUND", p_fround, 1, 2},
    {CL, "MOD", p_mod, 2, 2},
    {CL, "REM", p_rem, 2, 2},
    {CL, "GCD", p_gcd, 0, -1},
    {CL, "LCM", p_lcm, 0, -1},
    {CL, "ISQRT", p_isqrt, 1, 1},
    {CL, "EXPT", p_expt, 2, 2},
    {CL, "EXP", p_exp, 1, 1},
    {CL, "LOG", p_log, 1, 2},
    {CL, "SQRT", p_sqrt, 1, 1},
    {CL, "SIN", p_sin, 1, 1},
    {CL, "COS", p_cos, 1, 1},
    {CL, "TAN", p_tan, 1, 1},
    {CL, "ASIN", p_asin, 1, 1},
    {CL, "ACOS", p_acos, 1, 1},
    {CL, "ATAN", p_atan, 1, 2},
    {CL, "SINH", p_sinh, 1, 1},
    {CL, "COSH", p_cosh, 1, 1},
    {CL, "TANH", p_tanh, 1, 1},
    {CL, "ASINH", p_asinh, 1, 1},
    {CL, "ACOSH", p_acosh, 1, 1},
    {CL, "ATANH", p_atanh, 1, 1},
    {CL, "CIS", p_cis, 1, 1},
    {CL, "CONJUGATE", p_conjugate, 1, 1},
    {CL, "PHASE", p_phase, 1, 1},
    {CL, "NUMERATOR", p_numerator, 1, 1},
    {CL, "DENOMINATOR", p_denominator, 1, 1},
    {CL, "REALPART", p_realpart, 1, 1},
    {CL, "IMAGPART", p_imagpart, 1, 1},
    {CL, "COMPLEX", p_complex, 1, 2},
    {CL, "RATIONAL", p_rational, 1, 1},
    {CL, "RATIONALIZE", p_rationalize, 1, 1},
    {CL, "FLOAT", p_float, 1, 2},
    {CL, "INTEGER-LENGTH", p_integer_length, 1, 1},
    {CL, "LOGAND", p_logand, 0, -1},
    {CL, "LOGIOR", p_logior, 0, -1},
    {CL, "LOGXOR", p_logxor, 0, -1},
    {CL, "LOGEQV", p_logeqv, 0, -1},
    {CL, "LOGNAND", p_lognand, 2, 2},
    {CL, "LOGNOR", p_lognor, 2, 2},
    {CL, "LOGANDC1", p_logandc1, 2, 2},
    {CL, "LOGANDC2", p_logandc2, 2, 2},
    {CL, "LOGORC1", p_logorc1, 2, 2},
    {CL, "LOGORC2", p_logorc2, 2, 2},
    {CL, "LOGNOT", p_lognot, 1, 1},
    {CL, "LOGTEST", p_logtest, 2, 2},
    {CL, "LOGBITP", p_logbitp, 2, 2},
    {CL, "LOGCOUNT", p_logcount, 1, 1},
    {CL, "ASH", p_ash, 2, 2},
    {CL, "BOOLE", p_boole, 3, 3},
    {CL, "BYTE", p_byte, 2, 2},
    {CL, "BYTE-SIZE", p_byte_size, 1, 1},
    {CL, "BYTE-POSITION", p_byte_position, 1, 1},
    {CL, "LDB", p_ldb, 2, 2},
    {CL, "LDB-TEST", p_ldb_test, 2, 2},
    {CL, "DPB", p_dpb, 3, 3},
    {CL, "MASK-FIELD", p_mask_field, 2, 2},
    {CL, "DEPOSIT-FIELD", p_deposit_field, 3, 3},
    {CL, "DECODE-FLOAT", p_decode_float, 1, 1},
    {CL, "INTEGER-DECODE-FLOAT", p_integer_decode_float, 1, 1},
    {CL, "SCALE-FLOAT", p_scale_float, 2, 2},
    {CL, "FLOAT-RADIX", p_float_radix, 1, 1},
    {CL, "FLOAT-SIGN", p_float_sign, 1, 2},
    {CL, "FLOAT-DIGITS", p_float_digits, 1, 1},
    {CL, "FLOAT-PRECISION", p_float_precision, 1, 1},
    {CL, "NUMBERP", p_numberp, 1, 1},
    {CL, "INTEGERP", p_integerp, 1, 1},
    {CL, "RATIONALP", p_rationalp, 1, 1},
    {CL, "REALP", p_realp, 1, 1},
    {CL, "FLOATP", p_floatp, 1, 1},
    {CL, "COMPLEXP", p_complexp, 1, 1},
    {CL, "RANDOM", p_random, 1, 2},
    {CL, "MAKE-RANDOM-STATE", p_make_random_state, 0, 1},
    {CL, "RANDOM-STATE-P", p_random_state_p, 1, 1},
    {CL, "PARSE-INTEGER", p_parse_integer, 1, -1},
};
const size_t rt_number_prims_count = sizeof rt_number_prims / sizeof rt_number_prims[0];

