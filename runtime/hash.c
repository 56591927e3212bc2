/* runtime/hash.c: equality (eql, equal, equalp), hashing (sxhash and the internal
 * table hashes) and hash tables.
 *
 * Hash tables: open addressing with linear probing in one simple vector of 2 * capacity
 * words (key, value); capacity is a power of two; the load (live + deleted) stays
 * under 3/4. Keys that hash by address (objects other than symbols, numbers,
 * characters and strings under EQUAL) and are still in the nursery set
 * RT_HTF_ADDRESS_KEYS; such a table remembers the GC epoch (rt_gc_epoch) at which it
 * was hashed and rehashes before its next access when a minor GC may have moved them
 * (old space never moves, so after one rehash the flag is normally clear again).
 *
 * Weak tables (:weakness :key :value :key-and-value :key-or-value) keep their pairs in
 * a weak vector (rt/heap.h): the major GC turns dead pairs into tombstones and counts
 * them in the vector's word 0, which the table absorbs into its count on its next use.
 */
#include "obj_internal.h"
#include "rt/number.h"

#include <stdlib.h>


/* ---- Equality -------------------------------------------------------------------- */

static bool boxed_number_p(rt_value v)
{
    if (!rt_objectp(v))
        return false;
    unsigned wt = rt_widetag(v);
    return wt == RT_WT_DOUBLE_FLOAT || wt == RT_WT_BIGNUM || wt == RT_WT_RATIO || wt == RT_WT_COMPLEX;
}

bool rt_eql(rt_value a, rt_value b)
{
    if (rt_eq(a, b))
        return true;
    if (boxed_number_p(a) && boxed_number_p(b) && rt_widetag(a) == rt_widetag(b))
        return rt_num_eql(a, b);
    return false;
}

static bool bit_vector_equal(rt_value a, rt_value b)
{
    size_t la = rt_seq_length(a), lb = rt_seq_length(b);
    if (la != lb)
        return false;
    for (size_t i = 0; i < la; i++)
        if (rt_vector_ref(a, i) != rt_vector_ref(b, i))
            return false;
    return true;
}

static bool bit_vector_p(rt_value v)
{
    if (rt_widetagp(v, RT_WT_BIT_VECTOR))
        return true;
    return rt_widetagp(v, RT_WT_ARRAY) && rt_info(v) == 1 &&
           rt_widetagp(rt_body(v)[RT_ARR_DATA], RT_WT_BIT_VECTOR);
}

bool rt_equal(rt_value a, rt_value b)
{
    for (;;) {
        if (rt_eq(a, b))
            return true;
        if (rt_consp(a)) {
            if (!rt_consp(b) || !rt_equal(rt_car(a), rt_car(b)))
                return false;
            a = rt_cdr(a);
            b = rt_cdr(b);
            continue;
        }
        if (!rt_objectp(a) || !rt_objectp(b))
            return false;
        if (rt_stringp(a))
            return rt_stringp(b) && rt_string_equal(a, b);
        if (bit_vector_p(a))
            return bit_vector_p(b) && bit_vector_equal(a, b);
        return rt_eql(a, b);
    }
}

static bool equalp_array(rt_value a, rt_value b)
{
    if (rt_vectorp(a) != rt_vectorp(b))
        return false;
    if (rt_vectorp(a)) {
        size_t n = rt_seq_length(a);
        if (n != rt_seq_length(b))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!rt_equalp(rt_vector_ref(a, i), rt_vector_ref(b, i)))
                return false;
        return true;
    }
    /* Multi-dimensional: same rank and dimensions, then the data in row-major order. */
    size_t rank = (size_t)rt_info(a);
    if (rank != rt_info(b))
        return false;
    size_t total = 1;
    for (size_t i = 0; i < rank; i++) {
        if (rt_body(a)[RT_ARR_DIMS + i] != rt_body(b)[RT_ARR_DIMS + i])
            return false;
        total *= (size_t)rt_fixnum_value(rt_body(a)[RT_ARR_DIMS + i]);
    }
    rt_value da = rt_body(a)[RT_ARR_DATA], db = rt_body(b)[RT_ARR_DATA];
    size_t oa = (size_t)rt_fixnum_value(rt_body(a)[RT_ARR_OFFSET]);
    size_t ob = (size_t)rt_fixnum_value(rt_body(b)[RT_ARR_OFFSET]);
    for (size_t i = 0; i < total; i++)
        if (!rt_equalp(rt_vector_ref(da, oa + i), rt_vector_ref(db, ob + i)))
            return false;
    return true;
}

/* A structure instance: its layout is lisplib's simple vector
 * #(name ancestors slots kind printer) with kind :STRUCTURE (runtime/lisp/40-types.lisp).
 * EQUALP descends into structures only; conditions and other instances compare by EQ. */
static bool structure_p(rt_value x)
{
    rt_value l = rt_body(x)[0];
    return rt_simple_vector_p(l) && rt_vector_length(l) > 3 && rt_body(l)[3] == rt_sym_kw_structure;
}

static bool structure_equalp(rt_value a, rt_value b)
{
    if (rt_body(a)[0] != rt_body(b)[0] || !structure_p(a) || rt_info(a) != rt_info(b))
        return false;
    size_t n = (size_t)rt_info(a);
    for (size_t i = 1; i <= n; i++)
        if (!rt_equalp(rt_body(a)[i], rt_body(b)[i]))
            return false;
    return true;
}

bool rt_equalp(rt_value a, rt_value b)
{
    for (;;) {
        if (rt_eq(a, b))
            return true;
        if (rt_characterp(a))
            return rt_characterp(b) && rt_char_downcase(rt_char_code(a)) == rt_char_downcase(rt_char_code(b));
        if (rt_numberp(a))
            return rt_numberp(b) && rt_num_equal(a, b);
        if (rt_consp(a)) {
            if (!rt_consp(b) || !rt_equalp(rt_car(a), rt_car(b)))
                return false;
            a = rt_cdr(a);
            b = rt_cdr(b);
            continue;
        }
        if (rt_arrayp(a))
            return rt_arrayp(b) && equalp_array(a, b);
        if (rt_instancep(a))
            return rt_instancep(b) && structure_equalp(a, b);
        if (rt_hash_table_p(a)) {
            if (!rt_hash_table_p(b) || rt_hash_count(a) != rt_hash_count(b) ||
                rt_body(a)[RT_HT_TEST] != rt_body(b)[RT_HT_TEST])
                return false;
            /* gethash may rehash (allocate): everything held is rooted. */
            size_t pos = 0;
            rt_value k = RT_NIL, v = RT_NIL;
            RT_ROOTS(a, b, k, v);
            while (rt_hash_next(a, &pos, &k, &v)) {
                bool found;
                rt_value w = rt_gethash(b, k, RT_NIL, &found);
                if (!found || !rt_equalp(v, w))
                    return false;
            }
            return true;
        }
        return false;
    }
}

/* ---- Hashing --------------------------------------------------------------------- */

static uint64_t symbol_hash(rt_value s) { return (uint64_t)rt_fixnum_value(rt_body(s)[RT_SYM_HASH]); }

uint64_t rt_eq_hash(rt_value v)
{
    if (rt_symbolp(v))
        return symbol_hash(v);
    if (rt_pointerp(v))
        return rt_hash_mix(v & RT_ADDR_MASK);
    return rt_hash_mix(v);
}

/* Hash for `test`; *addr is set when the hash depends on an object's address. */
static uint64_t eql_hash(rt_value v, bool *addr)
{
    if (boxed_number_p(v))
        return rt_num_hash(v);
    if (rt_pointerp(v) && !rt_symbolp(v))
        *addr = true;
    return rt_eq_hash(v);
}

static uint64_t equal_hash(rt_value v, int depth, bool *addr)
{
    if (rt_consp(v)) {
        uint64_t h = 0x9e3779b97f4a7c15u;
        int n = 0;
        for (; rt_consp(v) && n < 4; v = rt_cdr(v), n++)
            h = rt_hash_mix(h ^ (depth < 4 ? equal_hash(rt_car(v), depth + 1, addr) : 17));
        if (!rt_consp(v) && !rt_null(v) && depth < 4)
            h = rt_hash_mix(h ^ equal_hash(v, depth + 1, addr));
        return h;
    }
    if (rt_objectp(v) && rt_stringp(v))
        return rt_string_hash(v);
    if (rt_objectp(v) && bit_vector_p(v)) {
        uint64_t h = 0x1234567;
        size_t n = rt_seq_length(v);
        for (size_t i = 0; i < n; i++)
            h = h * 31 + (uint64_t)rt_vector_ref(v, i);
        return rt_hash_mix(h);
    }
    return eql_hash(v, addr);
}

uint64_t rt_equalp_hash(rt_value v);
static uint64_t equalp_hash_(rt_value v, int depth, bool *addr)
{
    if (rt_characterp(v))
        return rt_hash_mix(rt_char_downcase(rt_char_code(v)));
    if (rt_numberp(v)) {
        /* = across types: hash integral values by their integer value when they fit,
         * everything else by a coarse float bucket. */
        if (rt_fixnump(v))
            return rt_hash_mix((uint64_t)rt_fixnum_value(v));
        double d;
        if (rt_single_floatp(v))
            d = rt_single_value(v);
        else if (rt_double_float_p(v))
            d = rt_double_value(v);
        else
            return 0x5bd1e995u; /* bignums, ratios, complexes: one bucket */
        if (d == (double)(int64_t)d && d > -9e18 && d < 9e18)
            return rt_hash_mix((uint64_t)(int64_t)d);
        return 0x5bd1e995u;
    }
    if (rt_consp(v)) {
        uint64_t h = 0x9e3779b97f4a7c15u;
        int n = 0;
        for (; rt_consp(v) && n < 4; v = rt_cdr(v), n++)
            h = rt_hash_mix(h ^ (depth < 4 ? equalp_hash_(rt_car(v), depth + 1, addr) : 17));
        return h;
    }
    if (rt_objectp(v) && rt_arrayp(v)) {
        uint64_t h = 0x27d4eb2d;
        if (rt_vectorp(v)) {
            size_t n = rt_seq_length(v);
            h ^= n;
            for (size_t i = 0; i < n && i < 16; i++)
                h = rt_hash_mix(h ^ (depth < 4 ? equalp_hash_(rt_vector_ref(v, i), depth + 1, addr) : 3));
        }
        return h;
    }
    if (rt_hash_table_p(v))
        return 0x6b43a9b5u + rt_hash_count(v);
    if (rt_instancep(v) && structure_p(v)) {
        /* Consistent with structure_equalp: the layout's name and the first slots. */
        uint64_t h = rt_eq_hash(rt_body(rt_body(v)[0])[0]);
        for (size_t i = 1; i <= rt_info(v) && i <= 4; i++)
            h = rt_hash_mix(h ^ (depth < 4 ? equalp_hash_(rt_body(v)[i], depth + 1, addr) : 5));
        return h;
    }
    return eql_hash(v, addr);
}
uint64_t rt_equalp_hash(rt_value v)
{
    bool addr = false;
    return equalp_hash_(v, 0, &addr);
}

uint64_t rt_sxhash(rt_value v)
{
    /* Stable across collections and sessions: objects whose equal-identity is their
     * address hash by their type only. */
    bool addr = false;
    uint64_t h = equal_hash(v, 0, &addr);
    if (addr) {
        if (rt_consp(v))
            return 0x3c6ef372u;
        return rt_objectp(v) ? rt_hash_mix(rt_widetag(v) + 0x100) : 0x3c6ef372u;
    }
    return h;
}

/* ---- Hash tables ----------------------------------------------------------------- */

enum test_kind { T_EQ, T_EQL, T_EQUAL, T_EQUALP };

static enum test_kind test_of(rt_value ht)
{
    rt_value t = rt_body(ht)[RT_HT_TEST];
    if (t == rt_sym_eq)
        return T_EQ;
    if (t == rt_sym_eql)
        return T_EQL;
    if (t == rt_sym_equal)
        return T_EQUAL;
    return T_EQUALP;
}

static uint64_t key_hash(enum test_kind k, rt_value key, bool *addr)
{
    switch (k) {
    case T_EQ:
        if (rt_pointerp(key) && !rt_symbolp(key))
            *addr = true;
        return rt_eq_hash(key);
    case T_EQL:
        return eql_hash(key, addr);
    case T_EQUAL:
        return equal_hash(key, 0, addr);
    default:
        return equalp_hash_(key, 0, addr);
    }
}

static bool key_equal(enum test_kind k, rt_value a, rt_value b)
{
    switch (k) {
    case T_EQ:
        return rt_eq(a, b);
    case T_EQL:
        return rt_eql(a, b);
    case T_EQUAL:
        return rt_equal(a, b);
    default:
        return rt_equalp(a, b);
    }
}

/* The epoch as stored in the table (a fixnum). */
static int64_t epoch_now(void) { return (int64_t)(rt_gc_epoch & ((UINT64_C(1) << 61) - 1)); }

/* The key/value storage: a simple vector of 2n words, or for weak tables a weak vector
 * (rt/heap.h) whose pairs start at body[1] and whose body[0] counts the pairs the GC
 * cleared (turned into tombstones) since we last looked. */
static bool weak_kv(rt_value kv) { return rt_widetagp(kv, RT_WT_WEAK_VECTOR); }
static rt_value *pairs_of(rt_value kv) { return rt_body(kv) + (weak_kv(kv) ? 1 : 0); }
static size_t npairs_of(rt_value kv) { return weak_kv(kv) ? rt_weak_vector_npairs(kv) : rt_vector_length(kv) / 2; }
static size_t capacity(rt_value ht) { return npairs_of(rt_body(ht)[RT_HT_KV]); }
/* A key or value read out of the table for the caller to keep (shades weak entries). */
static rt_value kv_get(rt_value kv, size_t word)
{
    return weak_kv(kv) ? rt_weak_vector_ref(kv, 1 + word) : rt_body(kv)[word];
}

static rt_value new_kv(rt_value weakness, size_t cap)
{
    if (rt_null(weakness))
        return rt_make_simple_vector(cap * 2, RT_EMPTY);
    enum rt_weak_kind k = weakness == rt_sym_kw_key ? RT_WEAK_KEY
                        : weakness == rt_sym_kw_value ? RT_WEAK_VALUE
                        : weakness == rt_sym_kw_key_and_value ? RT_WEAK_KEY_AND_VALUE : RT_WEAK_KEY_OR_VALUE;
    return rt_make_weak_vector(cap, k);
}

/* Takes into account the entries the GC removed from a weak table. No allocation. */
static void absorb_cleared(rt_value ht)
{
    rt_value kv = rt_body(ht)[RT_HT_KV];
    if (!weak_kv(kv))
        return;
    int64_t cleared = rt_fixnum_value(rt_body(kv)[0]);
    if (cleared > 0) {
        RT_STORE(rt_body(kv)[0], rt_fixnum(0));
        rt_value *b = rt_body(ht);
        RT_STORE(b[RT_HT_COUNT], rt_fixnum(rt_fixnum_value(b[RT_HT_COUNT]) - cleared));
    }
}

rt_value rt_make_hash_table(rt_value test, size_t size, rt_value weakness)
{
    size_t cap = 8;
    while (cap * 3 / 4 <= size && cap < (SIZE_MAX >> 4))
        cap *= 2;
    RT_ROOTS(test, weakness);
    rt_value kv = new_kv(weakness, cap);
    RT_ROOTS(kv);
    rt_value ht = rt_alloc_object(RT_WT_HASH_TABLE, 0, RT_HT_NSLOTS, RT_HT_NSLOTS);
    rt_value *b = rt_body(ht);
    b[RT_HT_TEST] = test;
    b[RT_HT_COUNT] = rt_fixnum(0);
    b[RT_HT_USED] = rt_fixnum(0);
    b[RT_HT_KV] = kv;
    b[RT_HT_WEAKNESS] = weakness;
    b[RT_HT_EPOCH] = rt_fixnum(epoch_now());
    b[RT_HT_FLAGS] = rt_fixnum(0);
    b[RT_HT_REHASH_SIZE] = rt_single(1.5f);
    return ht;
}

/* Does this key's hash depend on an address that a minor GC may still change? */
static bool movable_key(rt_value key, bool addr) { return addr && rt_in_nursery(key); }

/* Inserts every live entry of old_kv into the (empty) kv of ht. No allocation. */
static void reinsert(rt_value ht, rt_value old_kv)
{
    enum test_kind k = test_of(ht);
    rt_value kv = rt_body(ht)[RT_HT_KV];
    rt_value *nw = pairs_of(kv);
    size_t mask = npairs_of(kv) - 1;
    size_t oldn = npairs_of(old_kv);
    rt_value *ow = pairs_of(old_kv);
    bool any_young = false;
    size_t count = 0;
    for (size_t i = 0; i < oldn; i++) {
        rt_value key = ow[2 * i];
        if (key == RT_EMPTY || key == RT_TOMBSTONE)
            continue;
        key = kv_get(old_kv, 2 * i);
        rt_value val = kv_get(old_kv, 2 * i + 1);
        bool addr = false;
        size_t j = key_hash(k, key, &addr) & mask;
        any_young |= movable_key(key, addr);
        while (nw[2 * j] != RT_EMPTY)
            j = (j + 1) & mask;
        rt_store(&nw[2 * j], key);
        rt_store(&nw[2 * j + 1], val);
        count++;
    }
    rt_value *b = rt_body(ht);
    RT_STORE(b[RT_HT_COUNT], rt_fixnum((int64_t)count));
    RT_STORE(b[RT_HT_USED], rt_fixnum((int64_t)count));
    RT_STORE(b[RT_HT_FLAGS], rt_fixnum(any_young ? RT_HTF_ADDRESS_KEYS : 0));
}

/* Rebuilds the table with room for new_cap entries (power of two). */
static void rehash(rt_value ht, size_t new_cap)
{
    RT_ROOTS(ht);
    rt_value kv = new_kv(rt_body(ht)[RT_HT_WEAKNESS], new_cap);
    absorb_cleared(ht);
    rt_value old = rt_body(ht)[RT_HT_KV];
    RT_STORE(rt_body(ht)[RT_HT_KV], kv);
    /* No allocation from here on: the epoch read now stays valid for the new hashes. */
    RT_STORE(rt_body(ht)[RT_HT_EPOCH], rt_fixnum(epoch_now()));
    reinsert(ht, old);
}

/* Makes sure address hashes are current (may allocate): keys that were young when
 * hashed may have moved at a minor GC since (rt/heap.h rule 5). */
static void ensure_fresh(rt_value ht)
{
    absorb_cleared(ht);
    rt_value *b = rt_body(ht);
    if ((rt_fixnum_value(b[RT_HT_FLAGS]) & RT_HTF_ADDRESS_KEYS) && rt_fixnum_value(b[RT_HT_EPOCH]) != epoch_now())
        rehash(ht, capacity(ht));
}

/* Index of key's entry, or -1. No allocation. */
static long lookup(rt_value ht, rt_value key)
{
    enum test_kind k = test_of(ht);
    rt_value kv = rt_body(ht)[RT_HT_KV];
    rt_value *w = pairs_of(kv);
    size_t mask = npairs_of(kv) - 1;
    bool addr = false;
    size_t j = key_hash(k, key, &addr) & mask;
    for (size_t probes = 0; probes <= mask; probes++) {
        rt_value x = w[2 * j];
        if (x == RT_EMPTY)
            return -1;
        if (x != RT_TOMBSTONE && key_equal(k, x, key))
            return (long)j;
        j = (j + 1) & mask;
    }
    return -1;
}

static void check_table(rt_value ht)
{
    if (!rt_hash_table_p(ht))
        rt_type_error(ht, "hash-table");
}

rt_value rt_gethash(rt_value table, rt_value key, rt_value dflt, bool *found)
{
    check_table(table);
    RT_ROOTS(table, key, dflt);
    ensure_fresh(table);
    long j = lookup(table, key);
    if (found)
        *found = j >= 0;
    return j >= 0 ? kv_get(rt_body(table)[RT_HT_KV], 2 * (size_t)j + 1) : dflt;
}

rt_value rt_gethash_chars(rt_value table, const uint32_t *chars, size_t len, bool *found)
{
    rt_value kv = rt_body(table)[RT_HT_KV];
    rt_value *w = pairs_of(kv);
    size_t mask = npairs_of(kv) - 1;
    size_t j = rt_string_hash_chars(chars, len) & mask;
    for (size_t probes = 0; probes <= mask; probes++) {
        rt_value x = w[2 * j];
        if (x == RT_EMPTY)
            break;
        if (x != RT_TOMBSTONE && rt_stringp(x)) {
            size_t st, l;
            rt_value d = rt_string_data(x, &st, &l);
            if (l == len) {
                size_t i = 0;
                while (i < len && rt_string_ref(d, st + i) == chars[i])
                    i++;
                if (i == len) {
                    if (found)
                        *found = true;
                    return kv_get(kv, 2 * j + 1);
                }
            }
        }
        j = (j + 1) & mask;
    }
    if (found)
        *found = false;
    return RT_NIL;
}

void rt_puthash(rt_value table, rt_value key, rt_value value)
{
    check_table(table);
    RT_ROOTS(table, key, value);
    ensure_fresh(table);
    long j = lookup(table, key);
    if (j >= 0) {
        RT_STORE(pairs_of(rt_body(table)[RT_HT_KV])[2 * j + 1], value);
        return;
    }
    size_t cap = capacity(table);
    size_t used = (size_t)rt_fixnum_value(rt_body(table)[RT_HT_USED]);
    if ((used + 1) * 4 > cap * 3) {
        size_t count = (size_t)rt_fixnum_value(rt_body(table)[RT_HT_COUNT]);
        /* Grow when mostly live; otherwise rebuild at the same size to drop tombstones. */
        rehash(table, (count + 1) * 2 > cap ? cap * 2 : cap);
    }
    /* No allocation between here and the store: hashes stay valid. */
    enum test_kind k = test_of(table);
    rt_value kv = rt_body(table)[RT_HT_KV];
    rt_value *w = pairs_of(kv);
    size_t mask = npairs_of(kv) - 1;
    bool addr = false;
    size_t i = key_hash(k, key, &addr) & mask;
    while (w[2 * i] != RT_EMPTY && w[2 * i] != RT_TOMBSTONE)
        i = (i + 1) & mask;
    bool was_empty = w[2 * i] == RT_EMPTY;
    rt_store(&w[2 * i], key);
    rt_store(&w[2 * i + 1], value);
    rt_value *b = rt_body(table);
    RT_STORE(b[RT_HT_COUNT], rt_fixnum(rt_fixnum_value(b[RT_HT_COUNT]) + 1));
    if (was_empty)
        RT_STORE(b[RT_HT_USED], rt_fixnum(rt_fixnum_value(b[RT_HT_USED]) + 1));
    if (movable_key(key, addr) && !(rt_fixnum_value(b[RT_HT_FLAGS]) & RT_HTF_ADDRESS_KEYS)) {
        RT_STORE(b[RT_HT_FLAGS], rt_fixnum(rt_fixnum_value(b[RT_HT_FLAGS]) | RT_HTF_ADDRESS_KEYS));
        RT_STORE(b[RT_HT_EPOCH], rt_fixnum(epoch_now()));
    }
}

bool rt_remhash(rt_value table, rt_value key)
{
    check_table(table);
    RT_ROOTS(table, key);
    ensure_fresh(table);
    long j = lookup(table, key);
    if (j < 0)
        return false;
    rt_value *w = pairs_of(rt_body(table)[RT_HT_KV]);
    rt_store(&w[2 * j], RT_TOMBSTONE);
    rt_store(&w[2 * j + 1], RT_NIL);
    rt_value *b = rt_body(table);
    RT_STORE(b[RT_HT_COUNT], rt_fixnum(rt_fixnum_value(b[RT_HT_COUNT]) - 1));
    return true;
}

void rt_clrhash(rt_value table)
{
    check_table(table);
    absorb_cleared(table);
    rt_value kv = rt_body(table)[RT_HT_KV];
    size_t n = 2 * npairs_of(kv);
    rt_value *w = pairs_of(kv);
    for (size_t i = 0; i < n; i++)
        rt_store(&w[i], (i & 1) ? RT_NIL : RT_EMPTY);
    rt_value *b = rt_body(table);
    RT_STORE(b[RT_HT_COUNT], rt_fixnum(0));
    RT_STORE(b[RT_HT_USED], rt_fixnum(0));
    RT_STORE(b[RT_HT_FLAGS], rt_fixnum(0));
}

size_t rt_hash_count(rt_value table)
{
    check_table(table);
    absorb_cleared(table);
    return (size_t)rt_fixnum_value(rt_body(table)[RT_HT_COUNT]);
}

bool rt_hash_next(rt_value table, size_t *pos, rt_value *key, rt_value *value)
{
    rt_value kv = rt_body(table)[RT_HT_KV];
    size_t n = npairs_of(kv);
    rt_value *w = pairs_of(kv);
    while (*pos < n) {
        size_t i = (*pos)++;
        if (w[2 * i] != RT_EMPTY && w[2 * i] != RT_TOMBSTONE) {
            *key = kv_get(kv, 2 * i);
            *value = kv_get(kv, 2 * i + 1);
            return true;
        }
    }
    return false;
}

/* ---- Lisp functions -------------------------------------------------------------- */

static rt_value p_eq(rt_value *a, size_t n) { return rt_bool(rt_eq(a[0], a[1])); }
static rt_value p_eql(rt_value *a, size_t n) { return rt_bool(rt_eql(a[0], a[1])); }
static rt_value p_equal(rt_value *a, size_t n) { return rt_bool(rt_equal(a[0], a[1])); }
static rt_value p_equalp(rt_value *a, size_t n) { return rt_bool(rt_equalp(a[0], a[1])); }
static rt_value p_sxhash(rt_value *a, size_t n)
{
    return rt_fixnum((int64_t)(rt_sxhash(a[0]) & ((UINT64_C(1) << 61) - 1)));
}

static rt_value test_designator(rt_value t)
{
    if (t == RT_NO_VALUE)
        return rt_sym_eql;
    if (rt_widetagp(t, RT_WT_FUNCTION) || rt_widetagp(t, RT_WT_PRIMITIVE)) {
        /* #'eq and friends: the function object of the symbol. */
        rt_value syms[] = {rt_sym_eq, rt_sym_eql, rt_sym_equal, rt_sym_equalp};
        for (int i = 0; i < 4; i++) {
            rt_value f = rt_body(syms[i])[RT_SYM_FDEFN];
            if (rt_objectp(f) && rt_cell_of(f)->payload == t)
                return syms[i];
        }
    }
    if (t == rt_sym_eq || t == rt_sym_eql || t == rt_sym_equal || t == rt_sym_equalp)
        return t;
    rt_type_error(t, "(member eq eql equal equalp)");
}

static rt_value p_make_hash_table(rt_value *a, size_t n)
{
    static const char *const keys[] = {"TEST", "SIZE", "REHASH-SIZE", "REHASH-THRESHOLD",
                                       "WEAKNESS", "SYNCHRONIZED", NULL};
    rt_kwargs_check(a, n, 0, keys);
    rt_value test = test_designator(rt_kwarg(a, n, 0, "TEST"));
    rt_value size = rt_kwarg(a, n, 0, "SIZE");
    size_t sz = size == RT_NO_VALUE ? 7 : (size_t)rt_check_index(size, 0, INT64_C(1) << 40, "(integer 0 *)");
    rt_value weak = rt_kwarg(a, n, 0, "WEAKNESS");
    if (weak == RT_NO_VALUE)
        weak = RT_NIL;
    if (!rt_null(weak) && weak != rt_sym_kw_key && weak != rt_sym_kw_value &&
        weak != rt_sym_kw_key_and_value && weak != rt_sym_kw_key_or_value)
        rt_type_error(weak, "(member nil :key :value :key-and-value :key-or-value)");
    return rt_make_hash_table(test, sz, weak);
}

static rt_value p_gethash(rt_value *a, size_t n)
{
    bool found;
    rt_value v = rt_gethash(a[1], a[0], n > 2 ? a[2] : RT_NIL, &found);
    return rt_values2(v, rt_bool(found));
}
/* (SYS:%PUTHASH key table value) */
static rt_value p_puthash(rt_value *a, size_t n)
{
    rt_value v = a[2];
    RT_ROOTS(v);
    rt_puthash(a[1], a[0], a[2]);
    return v;
}
static rt_value p_remhash(rt_value *a, size_t n) { return rt_bool(rt_remhash(a[1], a[0])); }
static rt_value p_clrhash(rt_value *a, size_t n)
{
    rt_clrhash(a[0]);
    return a[0];
}
static rt_value p_hash_table_count(rt_value *a, size_t n) { return rt_fixnum((int64_t)rt_hash_count(a[0])); }
static rt_value p_hash_table_size(rt_value *a, size_t n)
{
    check_table(a[0]);
    return rt_fixnum((int64_t)(capacity(a[0]) * 3 / 4));
}
static rt_value p_hash_table_test(rt_value *a, size_t n)
{
    check_table(a[0]);
    return rt_body(a[0])[RT_HT_TEST];
}
static rt_value p_hash_table_weakness(rt_value *a, size_t n)
{
    check_table(a[0]);
    return rt_body(a[0])[RT_HT_WEAKNESS];
}
static rt_value p_hash_table_rehash_size(rt_value *a, size_t n)
{
    check_table(a[0]);
    return rt_body(a[0])[RT_HT_REHASH_SIZE];
}
static rt_value p_hash_table_p(rt_value *a, size_t n) { return rt_bool(rt_hash_table_p(a[0])); }

/* (SYS:%HASH-TABLE-PAIRS table) -> fresh alist of (key . value): a snapshot, so the
 * caller may modify the table while walking it (maphash, with-hash-table-iterator). */
static rt_value p_hash_table_pairs(rt_value *a, size_t n)
{
    rt_value table = a[0];
    check_table(table);
    rt_value result = RT_NIL, k = RT_NIL, v = RT_NIL;
    RT_ROOTS(table, result, k, v);
    size_t pos = 0;
    while (rt_hash_next(table, &pos, &k, &v)) {
        rt_value c = rt_cons(k, v);
        result = rt_cons(c, result);
    }
    return result;
}

static rt_value p_maphash(rt_value *a, size_t n)
{
    rt_value pairs = p_hash_table_pairs(a + 1, 1);
    rt_value fn = a[0]; /* read after the allocation above (a[] is GC-updated) */
    RT_ROOTS(fn, pairs);
    for (; rt_consp(pairs); pairs = rt_cdr(pairs)) {
        rt_value args[2] = {rt_car(rt_car(pairs)), rt_cdr(rt_car(pairs))};
        rt_funcall(fn, 2, args);
    }
    return RT_NIL;
}

const rt_prim_def rt_hash_prims[] = {
    {"COMMON-LISP", "EQ", p_eq, 2, 2},
    {"COMMON-LISP", "EQL", p_eql, 2, 2},
    {"COMMON-LISP", "EQUAL", p_equal, 2, 2},
    {"COMMON-LISP", "EQUALP", p_equalp, 2, 2},
    {"COMMON-LISP", "SXHASH", p_sxhash, 1, 1},
    {"COMMON-LISP", "MAKE-HASH-TABLE", p_make_hash_table, 0, -1},
    {"COMMON-LISP", "GETHASH", p_gethash, 2, 3},
    {"KONS-SYSTEM", "%PUTHASH", p_puthash, 3, 3},
    {"COMMON-LISP", "REMHASH", p_remhash, 2, 2},
    {"COMMON-LISP", "CLRHASH", p_clrhash, 1, 1},
    {"COMMON-LISP", "HASH-TABLE-COUNT", p_hash_table_count, 1, 1},
    {"COMMON-LISP", "HASH-TABLE-SIZE", p_hash_table_size, 1, 1},
    {"COMMON-LISP", "HASH-TABLE-TEST", p_hash_table_test, 1, 1},
    {"COMMON-LISP", "HASH-TABLE-REHASH-SIZE", p_hash_table_rehash_size, 1, 1},
    {"KONS", "HASH-TABLE-WEAKNESS", p_hash_table_weakness, 1, 1},
    {"COMMON-LISP", "HASH-TABLE-P", p_hash_table_p, 1, 1},
    {"KONS-SYSTEM", "%HASH-TABLE-PAIRS", p_hash_table_pairs, 1, 1},
    {"COMMON-LISP", "MAPHASH", p_maphash, 2, 2},
};
const size_t rt_hash_prims_count = RT_COUNTOF(rt_hash_prims);
