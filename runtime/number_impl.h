/* runtime/number_impl.h: internals shared by the numbers module's files (number.c,
 * bignum.c, float.c, numio.c, numprim.c). Not a public header.
 *
 * GMP bridge. Bignum limbs live in heap racks (rt/value.h, RT_WT_BIGNUM). GMP works on
 *  - read-only views (mpz_roinit_n) over heap limbs or over one stack limb for a fixnum:
 *    valid only until the next allocation (allocation may move the bignum);
 *  - scratch mpz_t kept for the life of the process (rt_num_scratch), so no malloc'd
 *    temporary can leak when an error longjmps out of an operation. A function uses only
 *    the scratch slots it documents, and calls no other function using the same slots
 *    while it holds them.
 * Results are copied into fresh racks by rt_num_from_mpz (which allocates).
 */
#ifndef RT_NUMBER_IMPL_H
#define RT_NUMBER_IMPL_H

#include <gmp.h>
#include <math.h>

#include "rt/error.h"
#include "rt/heap.h"
#include "rt/number.h"

/* Sign of a bignum: bit 51 of its header info; the rest of info is the limb count. */
#define RT_BIGNUM_SIGN   (UINT64_C(1) << 51)
#define RT_BIGNUM_LEN    (RT_BIGNUM_SIGN - 1)
/* Largest integer we agree to build, in bits: a guard so that (ash 1 (expt 10 12)) or
 * (expt 3 (expt 10 15)) is a clean storage-condition, not a GMP abort. 2^34 bits = 2 GiB. */
#define RT_NUM_MAX_BITS  (UINT64_C(1) << 34)

static inline size_t rt_bn_len(rt_value v) { return (size_t)(rt_info(v) & RT_BIGNUM_LEN); }
static inline bool rt_bn_neg(rt_value v) { return (rt_info(v) & RT_BIGNUM_SIGN) != 0; }
static inline mp_limb_t *rt_bn_limbs(rt_value v) { return (mp_limb_t *)rt_body(v); }

/* A read-only mpz over an integer (fixnum or bignum). */
typedef struct rt_zview {
    mpz_t z;
    mp_limb_t limb;
} rt_zview;
static inline mpz_srcptr rt_zv(rt_zview *w, rt_value v)
{
    if (rt_fixnump(v)) {
        int64_t n = rt_fixnum_value(v);
        w->limb = n < 0 ? (mp_limb_t)0 - (mp_limb_t)n : (mp_limb_t)n;
        return mpz_roinit_n(w->z, &w->limb, n < 0 ? -1 : (n > 0 ? 1 : 0));
    }
    mp_size_t n = (mp_size_t)rt_bn_len(v);
    return mpz_roinit_n(w->z, rt_bn_limbs(v), rt_bn_neg(v) ? -n : n);
}

/* A read-only mpq over a rational (integer or ratio). */
typedef struct rt_qview {
    mpq_t q;
    mp_limb_t nl, dl;
} rt_qview;
mpq_srcptr rt_qv(rt_qview *w, rt_value v);

/* Scratch integers, indices 0..RT_NUM_NSCRATCH-1; rationals 0..3. */
#define RT_NUM_NSCRATCH 8
extern mpz_t rt_num_scratch[RT_NUM_NSCRATCH];
extern mpq_t rt_num_qscratch[4];
#define RT_Z(i) (rt_num_scratch[i])
#define RT_Q(i) (rt_num_qscratch[i])

/* Kinds, in contagion order for reals. */
enum rt_num_kind { RT_NK_FIXNUM, RT_NK_BIGNUM, RT_NK_RATIO, RT_NK_SINGLE, RT_NK_DOUBLE, RT_NK_COMPLEX, RT_NK_NONE };
static inline enum rt_num_kind rt_num_kind(rt_value v)
{
    if (rt_fixnump(v))
        return RT_NK_FIXNUM;
    if (rt_single_floatp(v))
        return RT_NK_SINGLE;
    if (rt_objectp(v)) {
        switch (rt_widetag(v)) {
        case RT_WT_BIGNUM: return RT_NK_BIGNUM;
        case RT_WT_RATIO: return RT_NK_RATIO;
        case RT_WT_DOUBLE_FLOAT: return RT_NK_DOUBLE;
        case RT_WT_COMPLEX: return RT_NK_COMPLEX;
        default: break;
        }
    }
    return RT_NK_NONE;
}

/* Builders (allocate). */
rt_value rt_num_from_mpz(mpz_srcptr z);        /* z must not view heap limbs */
rt_value rt_num_from_mpq(mpq_srcptr q);        /* canonical q; must not view heap limbs */
rt_value rt_num_make_ratio_raw(rt_value num, rt_value den);   /* already normalised */
rt_value rt_num_make_complex_raw(rt_value re, rt_value im);   /* already normalised */
rt_value rt_num_float_of_kind(double d, bool single);         /* single: (float)d */

/* Conversions of reals to C floats, correctly rounded; overflow signals. */
double rt_num_to_double(rt_value v);
float rt_num_to_single(rt_value v);
/* Correctly rounded q (not viewing heap limbs) to a single or double (returned as a
 * double, exact for a single); *overflow set instead of signalling. Uses scratch 4..6. */
double rt_num_mpq_to_float_(mpq_srcptr q, bool single, bool *overflow);
/* Exact rational of a finite float into q (a scratch). */
void rt_num_float_to_mpq(mpq_ptr q, rt_value f);

/* Checks the result of a float operation: a non-finite result from finite operands
 * signals FLOATING-POINT-OVERFLOW or FLOATING-POINT-INVALID-OPERATION, as SBCL does with
 * its default traps. */
void rt_num_float_trap_(double r, double a, double b, const char *op);
static inline double rt_num_fcheck(double r, double a, double b, const char *op)
{
    if (__builtin_expect(!isfinite(r), 0))
        rt_num_float_trap_(r, a, b, op);
    return r;
}

/* Integer functions shared across files. */
rt_value rt_num_int_floor_div(rt_value a, rt_value b, rt_value *rem, int mode);
enum { RT_ROUND_FLOOR, RT_ROUND_CEILING, RT_ROUND_TRUNCATE, RT_ROUND_ROUND };

/* numfun.c */
void rt_num_integer_decode(rt_value x, uint64_t *mant, int64_t *ex, int *sign);
rt_value rt_num_rational(rt_value x);
rt_value rt_num_rationalize(rt_value x);
rt_value rt_num_transcendental(int fn, rt_value x);   /* enum tfn order: see numfun.c */
enum { RT_F_EXP, RT_F_LOG, RT_F_SQRT, RT_F_SIN, RT_F_COS, RT_F_TAN, RT_F_ASIN, RT_F_ACOS, RT_F_ATAN,
       RT_F_SINH, RT_F_COSH, RT_F_TANH, RT_F_ASINH, RT_F_ACOSH, RT_F_ATANH };
rt_value rt_num_atan2(rt_value y, rt_value x);
rt_value rt_num_log2(rt_value x, rt_value base);
rt_value rt_num_sqrt(rt_value x);

_Noreturn void rt_num_type_error(rt_value v, const char *type);

#endif
