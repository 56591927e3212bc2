/* rt/number.h: the numeric tower. Fixnums are immediate (rt/value.h); bignums are GMP
 * limbs in a heap rack (RT_WT_BIGNUM, never malloc'd: checkpoints see them); ratios and
 * complexes are racks of two numbers; single-floats are immediate; double-floats are a
 * header cell with the raw bits as payload.
 *
 * All operations take and return Lisp numbers, normalise results (a bignum that fits is
 * a fixnum, a ratio with denominator 1 an integer, a complex rational with zero
 * imaginary part its real part) and signal type-error / division-by-zero /
 * floating-point errors through rt/error.h. They may allocate (rt/heap.h rule 1).
 *
 * Ownership: the numbers module (runtime/number*.c).
 */
#ifndef RT_NUMBER_H
#define RT_NUMBER_H

#include "rt/prim.h"
#include "rt/value.h"

static inline bool rt_double_float_p(rt_value v) { return rt_widetagp(v, RT_WT_DOUBLE_FLOAT); }
static inline double rt_double_value(rt_value v)
{
    double d;
    memcpy(&d, &rt_cell_of(v)->payload, sizeof d);
    return d;
}
rt_value rt_make_double(double d);
bool rt_numberp(rt_value v);
bool rt_integerp(rt_value v);
bool rt_rationalp(rt_value v);
bool rt_realp(rt_value v);
bool rt_floatp(rt_value v);

/* Integers from and to C. */
rt_value rt_make_integer(int64_t n);      /* fixnum or bignum */
rt_value rt_make_unsigned(uint64_t n);
bool rt_integer_to_int64(rt_value v, int64_t *out);   /* false when out of range */

/* Arithmetic with contagion. */
rt_value rt_add(rt_value a, rt_value b);
rt_value rt_sub(rt_value a, rt_value b);
rt_value rt_mul(rt_value a, rt_value b);
rt_value rt_div(rt_value a, rt_value b);  /* "/" */
rt_value rt_negate(rt_value a);
/* Comparison of reals: <0, 0, >0. */
int rt_num_compare(rt_value a, rt_value b);
bool rt_num_equal(rt_value a, rt_value b);   /* "=", works on complexes too */
bool rt_num_eql(rt_value a, rt_value b);     /* eql on numbers: same type and value */
uint64_t rt_num_hash(rt_value a);            /* consistent with rt_num_eql */

/* Reading and printing (for the reader and printer).
 * rt_parse_number: the whole token must be a number in the given base (with the
 * standard's syntax: integers with optional trailing decimal point, ratios, floats with
 * exponent markers e s f d l; float_format is the value of *read-default-float-format*
 * as 's' or 'd'). Returns RT_NO_VALUE when the token is not a number. */
rt_value rt_parse_number(const uint32_t *token, size_t len, unsigned base, char float_format);
/* Prints n in base (2..36) into a malloc'd NUL-terminated string the caller frees.
 * Floats print the shortest digits that read back to the same float, in the standard's
 * notation, with an exponent marker when the type differs from float_format. */
char *rt_number_to_string(rt_value n, unsigned base, char float_format);
/* (float_format: 's' or 'f' for single-float, 'd' or 'l' for double-float.)
 * The shortest round-trip decimal digits of a finite non-zero float (SBCL's
 * flonum-to-digits), NUL-terminated in buf (40 bytes suffice); returns k such that
 * |f| = 0.DIGITS * 10^k. For format's ~F ~E ~G. Zero, infinities, NaN: "" and 0. */
int rt_float_shortest_digits(rt_value f, char *buf, size_t cap);

/* ---- Type tests ------------------------------------------------------------------ */
static inline bool rt_bignump(rt_value v) { return rt_widetagp(v, RT_WT_BIGNUM); }
static inline bool rt_ratiop(rt_value v) { return rt_widetagp(v, RT_WT_RATIO); }
static inline bool rt_complexp(rt_value v) { return rt_widetagp(v, RT_WT_COMPLEX); }
/* Value returned by rt_num_compare when either operand is a NaN. */
#define RT_NUM_UNORDERED 2

/* ---- Fixnum fast paths, for the VM to inline --------------------------------------
 * Fixnums are tagged n << 1 (tag 0), so the tagged words add, subtract and compare
 * directly; an overflow of the 64-bit word is exactly an overflow of the 63-bit fixnum. */
static inline rt_value rt_add_fast(rt_value a, rt_value b)
{
    int64_t r;
    if (__builtin_expect(((a | b) & 1) == 0, 1) && !__builtin_add_overflow((int64_t)a, (int64_t)b, &r))
        return (rt_value)r;
    return rt_add(a, b);
}
static inline rt_value rt_sub_fast(rt_value a, rt_value b)
{
    int64_t r;
    if (__builtin_expect(((a | b) & 1) == 0, 1) && !__builtin_sub_overflow((int64_t)a, (int64_t)b, &r))
        return (rt_value)r;
    return rt_sub(a, b);
}
static inline rt_value rt_mul_fast(rt_value a, rt_value b)
{
    int64_t r;
    if (__builtin_expect(((a | b) & 1) == 0, 1)
        && !__builtin_mul_overflow((int64_t)a >> 1, (int64_t)b, &r))
        return (rt_value)r;
    return rt_mul(a, b);
}
/* The names the brief uses for the same thing. */
#define rt_add_fixnums rt_add_fast
#define rt_sub_fixnums rt_sub_fast
/* <0, 0, >0 (or RT_NUM_UNORDERED) with a fixnum fast path. */
static inline int rt_compare_fast(rt_value a, rt_value b)
{
    if (__builtin_expect(((a | b) & 1) == 0, 1))
        return ((int64_t)a > (int64_t)b) - ((int64_t)a < (int64_t)b);
    return rt_num_compare(a, b);
}
static inline bool rt_num_equal_fast(rt_value a, rt_value b)
{
    if (__builtin_expect(((a | b) & 1) == 0, 1))
        return a == b;
    return rt_num_equal(a, b);
}

/* ---- More of the tower from C ------------------------------------------------------ */
rt_value rt_make_single_checked(double d);   /* rounds to single; overflow signals */
double rt_to_double(rt_value real);           /* any real, correctly rounded */
rt_value rt_float(rt_value real, rt_value prototype);   /* prototype: NIL = single */
rt_value rt_make_complex(rt_value re, rt_value im);     /* (complex re im) */
rt_value rt_make_rational(rt_value num, rt_value den);  /* (/ num den) on integers */
bool rt_num_zerop(rt_value n);
int rt_num_sign(rt_value real);                /* -1, 0, 1 (NaN: 0) */
rt_value rt_abs(rt_value n);

/* Division with rounding: returns the quotient (an integer) and sets *rem (may be NULL).
 * mode is 'f' floor, 'c' ceiling, 't' truncate, 'r' round. */
rt_value rt_divide(rt_value a, rt_value b, int mode, rt_value *rem);
/* The same with a float quotient (ffloor ...). */
rt_value rt_fdivide(rt_value a, rt_value b, int mode, rt_value *rem);

/* Integers. */
rt_value rt_ash(rt_value n, rt_value count);
rt_value rt_logop(int boole_op, rt_value a, rt_value b);  /* boole-* code 0..15 */
rt_value rt_lognot(rt_value a);
rt_value rt_integer_length(rt_value n);
rt_value rt_logcount(rt_value n);
bool rt_logbitp(rt_value index, rt_value n);
rt_value rt_gcd(rt_value a, rt_value b);
rt_value rt_lcm(rt_value a, rt_value b);
rt_value rt_isqrt(rt_value n);
rt_value rt_expt(rt_value base, rt_value power);
rt_value rt_ldb(rt_value size, rt_value pos, rt_value n);
rt_value rt_dpb(rt_value newbyte, rt_value size, rt_value pos, rt_value n);

/* Values of the Lisp constants (most-positive-fixnum, pi, most-positive-double-float,
 * double-float-epsilon, ...) by name in upper case, for whoever interns the symbols;
 * RT_NO_VALUE for a name it does not know. rt_number_constant_names lists them. */
rt_value rt_number_constant(const char *name);
extern const char *const rt_number_constant_names[];

/* The primitives (Lisp functions in COMMON-LISP) of this module, for rt_define_primitives. */
extern const rt_prim_def rt_number_prims[];
extern const size_t rt_number_prims_count;

/* The process-wide random state used when RANDOM gets no state argument; the value of
 * *random-state* should be this object (a rooted global of this module). */
rt_value rt_default_random_state(void);
/* (random limit state): state NIL means the default state. */
rt_value rt_random(rt_value limit, rt_value state);
/* (make-random-state from): NIL copies the default state, T makes a fresh seeded one. */
rt_value rt_make_random_state(rt_value from);

/* Module initialisation: GMP memory hooks and the default random state. Idempotent.
 * Call after rt_heap_init. The primitives are registered by whoever calls
 * rt_define_primitives(rt_number_prims, rt_number_prims_count). */
void rt_numbers_init(void);

#endif
