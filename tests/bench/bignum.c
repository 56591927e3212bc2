/* tests/bench/bignum.c: timings of the numeric tower's bignum paths (no asserts beyond
 * sanity: a benchmark, not a test). Run with `meson test -C build --benchmark --suite
 * numbers` or directly: build/tests/bench/bench-bignum.
 *
 *  - factorial of 5000 by repeated rt_mul (a bignum times a fixnum, growing to 16k
 *    digits: exercises allocation of fresh racks and GMP's mul_1);
 *  - fib(20000) by iterated rt_add (bignum + bignum, 4180 digits);
 *  - printing 5000! in decimal (GMP's subquadratic get_str) and reading it back;
 *  - float printing and reading (shortest digits, SBCL's algorithm) of random doubles;
 *  - fixnum add with the inline fast path vs the generic entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt/heap.h"
#include "rt/number.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
    if (rt_heap_init(NULL) != 0)
        return 1;
    rt_numbers_init();

    double t0 = now();
    rt_value f = rt_fixnum(1);
    RT_ROOTS(f);
    for (int rep = 0; rep < 5; rep++) {
        f = rt_fixnum(1);
        for (int i = 2; i <= 5000; i++)
            f = rt_mul(f, rt_fixnum(i));
    }
    double t1 = now();
    printf("factorial 5000 (x5):          %8.3f ms per run\n", (t1 - t0) * 1000 / 5);

    rt_value a = rt_fixnum(0), b = rt_fixnum(1), t = RT_NIL;
    RT_ROOTS(a, b, t);
    t0 = now();
    for (int i = 0; i < 20000; i++) {
        t = rt_add(a, b);
        a = b;
        b = t;
    }
    t1 = now();
    printf("fib(20000) by additions:      %8.3f ms\n", (t1 - t0) * 1000);

    t0 = now();
    char *s = rt_number_to_string(f, 10, 's');
    t1 = now();
    size_t n = strlen(s);
    uint32_t *tok = malloc(n * sizeof *tok);
    for (size_t i = 0; i < n; i++)
        tok[i] = (unsigned char)s[i];
    double t2 = now();
    rt_value back = rt_parse_number(tok, n, 10, 's');
    double t3 = now();
    printf("print 5000! (%zu digits):  %8.3f ms; read back: %8.3f ms (%s)\n", n, (t1 - t0) * 1000,
           (t3 - t2) * 1000, rt_num_eql(back, f) ? "equal" : "DIFFERENT");
    free(tok);
    free(s);

    uint64_t x = 88172645463325252ull;
    int nfl = 100000;
    double tp = 0, tr = 0;
    for (int i = 0; i < nfl; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, 8);
        if (d != d || d - d != 0)
            continue;
        rt_value v = rt_make_double(d);
        double u0 = now();
        char *p = rt_number_to_string(v, 10, 'd');
        double u1 = now();
        uint32_t tk[40];
        size_t m = strlen(p);
        for (size_t k = 0; k < m; k++)
            tk[k] = (unsigned char)p[k];
        double u2 = now();
        rt_parse_number(tk, m, 10, 'd');
        double u3 = now();
        tp += u1 - u0;
        tr += u3 - u2;
        free(p);
    }
    printf("random doubles: print %6.2f us, read %6.2f us each\n", tp * 1e6 / nfl, tr * 1e6 / nfl);

    t0 = now();
    rt_value acc = rt_fixnum(0);
    for (int i = 0; i < 100000000; i++)
        acc = rt_add_fast(acc, rt_fixnum(i & 7));
    t1 = now();
    rt_value acc2 = rt_fixnum(0);
    for (int i = 0; i < 10000000; i++)
        acc2 = rt_add(acc2, rt_fixnum(i & 7));
    t2 = now();
    printf("fixnum add: inline %5.2f ns, generic rt_add %5.2f ns (sum %lld)\n", (t1 - t0) * 1e9 / 1e8,
           (t2 - t1) * 1e9 / 1e7, (long long)rt_fixnum_value(acc) + (long long)rt_fixnum_value(acc2));
    return 0;
}
