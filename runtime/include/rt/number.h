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

/* Module initialisation: registers the Lisp functions (+ - * / = < floor ash ...). */
void rt_numbers_init(void);

#endif
