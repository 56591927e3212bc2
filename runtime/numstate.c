/* runtime/numstate.c: random states (RT_WT_RANDOM_STATE), the values of the numeric
 * constants, and the numbers module's initialisation. Apart from numprim.c so that C
 * programs using the tower without the VM (tests, benchmarks) link without it.
 */
#include "number_impl.h"

#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

/* ---- Random states -----------------------------------------------------------------
 * RT_WT_RANDOM_STATE: a rack of 4 raw words, the state of xoshiro256** (Blackman and
 * Vigna), a small, fast generator with a 2^256-1 period; not SBCL's MT19937, so the
 * numbers differ from SBCL's (the standard leaves them to the implementation). */

static rt_value default_state;   /* registered as a global root when made */

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static rt_value make_state(const uint64_t s[4])
{
    rt_value st = rt_alloc_object(RT_WT_RANDOM_STATE, 0, 4, 0);
    rt_store_raw(rt_body(st), s, 4 * sizeof(uint64_t));
    return st;
}

static rt_value seeded_state(uint64_t seed)
{
    uint64_t s[4];
    for (int i = 0; i < 4; i++)
        s[i] = splitmix(&seed);
    return make_state(s);
}

rt_value rt_default_random_state(void)
{
    if (!default_state) {
        rt_value st = seeded_state(UINT64_C(0x4b6f6e73));   /* fixed: reproducible worlds */
        default_state = st;
        rt_register_global(&default_state);
    }
    return default_state;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next64(rt_value st)
{
    uint64_t s[4];
    memcpy(s, rt_body(st), sizeof s);
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    rt_store_raw(rt_body(st), s, sizeof s);   /* the state may live in old space */
    return r;
}

/* Uniform in [0, limit) for a positive integer limit, by rejection (no modulo bias). */
rt_value rt_random(rt_value limit, rt_value state)
{
    if (state == RT_NIL || state == RT_NO_VALUE)
        state = rt_default_random_state();
    if (!rt_widetagp(state, RT_WT_RANDOM_STATE))
        rt_num_type_error(state, "random-state");
    if (rt_fixnump(limit) && rt_fixnum_value(limit) > 0) {
        uint64_t l = (uint64_t)rt_fixnum_value(limit), mask = l - 1;
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4;
        mask |= mask >> 8; mask |= mask >> 16; mask |= mask >> 32;
        for (;;) {
            uint64_t r = next64(state) & mask;
            if (r < l)
                return rt_fixnum((int64_t)r);
        }
    }
    if (rt_single_floatp(limit) && rt_single_value(limit) > 0) {
        float l = rt_single_value(limit);
        for (;;) {
            float r = (float)(next64(state) >> 40) * 0x1p-24f * l;
            if (r < l)
                return rt_single(r);
        }
    }
    if (rt_double_float_p(limit) && rt_double_value(limit) > 0) {
        double l = rt_double_value(limit);
        for (;;) {
            double r = (double)(next64(state) >> 11) * 0x1p-53 * l;
            if (r < l)
                return rt_make_double(r);
        }
    }
    if (rt_bignump(limit) && !rt_bn_neg(limit)) {
        size_t nl = rt_bn_len(limit);
        mpz_ptr r = RT_Z(0);
        rt_zview w;
        size_t bits = mpz_sizeinbase(rt_zv(&w, limit), 2);
        for (;;) {
            mp_limb_t *d = mpz_limbs_write(r, (mp_size_t)nl);
            for (size_t i = 0; i < nl; i++)
                d[i] = next64(state);
            if (bits % 64)
                d[nl - 1] &= (UINT64_C(1) << (bits % 64)) - 1;
            mpz_limbs_finish(r, (mp_size_t)nl);
            if (mpz_cmp(r, rt_zv(&w, limit)) < 0)
                return rt_num_from_mpz(r);
        }
    }
    rt_num_type_error(limit, "(or (integer 1) (float (0)))");
}

rt_value rt_make_random_state(rt_value from)
{
    if (from == RT_T) {
        uint64_t seed;
        if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
            seed = (uint64_t)time(NULL) ^ (uint64_t)clock();
        return seeded_state(seed);
    }
    if (from == RT_NIL)
        from = rt_default_random_state();
    if (!rt_widetagp(from, RT_WT_RANDOM_STATE))
        rt_num_type_error(from, "(or random-state boolean)");
    uint64_t s[4];
    memcpy(s, rt_body(from), sizeof s);
    return make_state(s);
}
/* ---- Constants ------------------------------------------------------------------------ */

const char *const rt_number_constant_names[] = {
    "MOST-POSITIVE-FIXNUM", "MOST-NEGATIVE-FIXNUM", "PI",
    "MOST-POSITIVE-SHORT-FLOAT", "MOST-POSITIVE-SINGLE-FLOAT", "MOST-POSITIVE-DOUBLE-FLOAT", "MOST-POSITIVE-LONG-FLOAT",
    "MOST-NEGATIVE-SHORT-FLOAT", "MOST-NEGATIVE-SINGLE-FLOAT", "MOST-NEGATIVE-DOUBLE-FLOAT", "MOST-NEGATIVE-LONG-FLOAT",
    "LEAST-POSITIVE-SHORT-FLOAT", "LEAST-POSITIVE-SINGLE-FLOAT", "LEAST-POSITIVE-DOUBLE-FLOAT", "LEAST-POSITIVE-LONG-FLOAT",
    "LEAST-NEGATIVE-SHORT-FLOAT", "LEAST-NEGATIVE-SINGLE-FLOAT", "LEAST-NEGATIVE-DOUBLE-FLOAT", "LEAST-NEGATIVE-LONG-FLOAT",
    "LEAST-POSITIVE-NORMALIZED-SHORT-FLOAT", "LEAST-POSITIVE-NORMALIZED-SINGLE-FLOAT",
    "LEAST-POSITIVE-NORMALIZED-DOUBLE-FLOAT", "LEAST-POSITIVE-NORMALIZED-LONG-FLOAT",
    "LEAST-NEGATIVE-NORMALIZED-SHORT-FLOAT", "LEAST-NEGATIVE-NORMALIZED-SINGLE-FLOAT",
    "LEAST-NEGATIVE-NORMALIZED-DOUBLE-FLOAT", "LEAST-NEGATIVE-NORMALIZED-LONG-FLOAT",
    "SHORT-FLOAT-EPSILON", "SINGLE-FLOAT-EPSILON", "DOUBLE-FLOAT-EPSILON", "LONG-FLOAT-EPSILON",
    "SHORT-FLOAT-NEGATIVE-EPSILON", "SINGLE-FLOAT-NEGATIVE-EPSILON",
    "DOUBLE-FLOAT-NEGATIVE-EPSILON", "LONG-FLOAT-NEGATIVE-EPSILON",
    "BOOLE-CLR", "BOOLE-SET", "BOOLE-1", "BOOLE-2", "BOOLE-C1", "BOOLE-C2", "BOOLE-AND", "BOOLE-IOR",
    "BOOLE-XOR", "BOOLE-EQV", "BOOLE-NAND", "BOOLE-NOR", "BOOLE-ANDC1", "BOOLE-ANDC2", "BOOLE-ORC1", "BOOLE-ORC2",
    NULL,
};

static rt_value float_from_bits(bool single, uint64_t bits)
{
    if (single) {
        float f;
        uint32_t b = (uint32_t)bits;
        memcpy(&f, &b, 4);
        return rt_single(f);
    }
    double d;
    memcpy(&d, &bits, 8);
    return rt_make_double(d);
}

rt_value rt_number_constant(const char *name)
{
    if (!strcmp(name, "MOST-POSITIVE-FIXNUM"))
        return rt_fixnum(RT_MOST_POSITIVE_FIXNUM);
    if (!strcmp(name, "MOST-NEGATIVE-FIXNUM"))
        return rt_fixnum(RT_MOST_NEGATIVE_FIXNUM);
    if (!strcmp(name, "PI"))
        return rt_make_double(M_PI);   /* SBCL: a double-float */
    if (!strncmp(name, "BOOLE-", 6)) {
        static const char *const ops[] = {"CLR", "SET", "1", "2", "C1", "C2", "AND", "IOR",
                                          "XOR", "EQV", "NAND", "NOR", "ANDC1", "ANDC2", "ORC1", "ORC2"};
        for (int i = 0; i < 16; i++)
            if (!strcmp(name + 6, ops[i]))
                return rt_fixnum(i);
        return RT_NO_VALUE;
    }
    /* Floats: <which>-<type>-FLOAT[-suffix]; short = single, long = double. */
    static const struct { const char *prefix; uint64_t sbits, dbits; bool neg; } table[] = {
        {"MOST-POSITIVE-", 0x7F7FFFFF, UINT64_C(0x7FEFFFFFFFFFFFFF), false},
        {"MOST-NEGATIVE-", 0xFF7FFFFF, UINT64_C(0xFFEFFFFFFFFFFFFF), false},
        {"LEAST-POSITIVE-NORMALIZED-", 0x00800000, UINT64_C(0x0010000000000000), false},
        {"LEAST-NEGATIVE-NORMALIZED-", 0x80800000, UINT64_C(0x8010000000000000), false},
        {"LEAST-POSITIVE-", 0x00000001, UINT64_C(0x0000000000000001), false},
        {"LEAST-NEGATIVE-", 0x80000001, UINT64_C(0x8000000000000001), false},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        size_t pl = strlen(table[i].prefix);
        if (strncmp(name, table[i].prefix, pl))
            continue;
        const char *t = name + pl;
        if (!strcmp(t, "SHORT-FLOAT") || !strcmp(t, "SINGLE-FLOAT"))
            return float_from_bits(true, table[i].sbits);
        if (!strcmp(t, "DOUBLE-FLOAT") || !strcmp(t, "LONG-FLOAT"))
            return float_from_bits(false, table[i].dbits);
        if (!strncmp(t, "NORMALIZED-", 11))
            continue;
        return RT_NO_VALUE;
    }
    /* epsilon: the smallest e with (/= (+ 1 e) 1): 2^-p (1 + 2^(1-p)); negative: for (- 1 e) */
    if (!strcmp(name, "SHORT-FLOAT-EPSILON") || !strcmp(name, "SINGLE-FLOAT-EPSILON"))
        return float_from_bits(true, 0x33800001);
    if (!strcmp(name, "DOUBLE-FLOAT-EPSILON") || !strcmp(name, "LONG-FLOAT-EPSILON"))
        return float_from_bits(false, UINT64_C(0x3CA0000000000001));
    if (!strcmp(name, "SHORT-FLOAT-NEGATIVE-EPSILON") || !strcmp(name, "SINGLE-FLOAT-NEGATIVE-EPSILON"))
        return float_from_bits(true, 0x33000001);
    if (!strcmp(name, "DOUBLE-FLOAT-NEGATIVE-EPSILON") || !strcmp(name, "LONG-FLOAT-NEGATIVE-EPSILON"))
        return float_from_bits(false, UINT64_C(0x3C90000000000001));
    return RT_NO_VALUE;
}

void rt_numbers_init(void)
{
    /* GMP hooks and scratch are set up by a constructor in number.c. */
    rt_default_random_state();
}
