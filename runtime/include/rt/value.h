/* rt/value.h: the one header that owns the layout of Lisp values and heap objects.
 *
 * Everything that knows where a tag bit lives includes this file; nothing else
 * defines tag constants. The picture is drawn again in runtime/README.md.
 *
 * A value (rt_value) is one 64-bit word. Its low 4 bits say what it is:
 *
 *     bits 63..60  59 ................................ 4   3 2 1 0
 *     ----------------------------------------------------------------
 *     [ 63-bit two's complement integer ................... ]        0   fixnum
 *     [acc ][ address of a 16-byte cons cell, bits 59..4 ]     0 0 0 1   cons
 *     [acc ][ address of a 16-byte header cell, bits 59..4 ]   0 0 1 1   object
 *     [  0  ..............][ code point (21 bits) ][ 0 0 0 0 ] 0 1 0 1   character
 *     [ IEEE-754 single, bits 63..32 ][  0 ...........      ]  0 1 1 1   single-float
 *     [  0  ...............][ index of the immediate  ]        1 0 0 1   special immediate
 *                                                              1 0 1 1   rack header word
 *                                                              1 1 0 1   forwarded rack (GC only)
 *                                                              1 1 1 1   cell header word
 *
 * Why this layout:
 *  - Fixnums have tag 0 in bit 0, so +, - and comparisons work on the tagged words
 *    directly, and they are 63 bits wide (the issue asks for at least 62).
 *  - Every heap object is a two-word (16-byte, 16-aligned) cell (CLOSOS chapter 5): a cons
 *    is one cell; every other object is a *header cell* (header word + payload word) whose
 *    payload is usually the address of a *rack* holding its body, allocated apart. Cells
 *    never move once in old space (mark-sweep with free lists); racks have exactly one
 *    owner (recorded in the rack) and so may be moved or swapped (adjust-array,
 *    change-class, compaction) by updating one word.
 *  - Pointers carry the CLOSOS access bits in their top 4 bits (seed 000, chapter 3). A
 *    set bit withholds a right. Dereferencing masks them (rt_addr masks the access bits
 *    and the tag in one AND); eq, eql, hashing and the GC ignore them.
 *  - Cell and rack header words have tags no value can have, so a linear walk over a
 *    mixed nursery tells a cons from a header cell from a rack by the first word alone.
 *  - GC mark bits live in side bitmaps, never in objects: marking must not dirty pages,
 *    or every collection would make the next checkpoint write the whole heap.
 */
#ifndef RT_VALUE_H
#define RT_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint64_t rt_value;

/* ---- Tags ------------------------------------------------------------------------ */

#define RT_TAG_MASK       UINT64_C(0xF)
#define RT_TAG_CONS       UINT64_C(0x1)
#define RT_TAG_OBJECT     UINT64_C(0x3)
#define RT_TAG_CHAR       UINT64_C(0x5)
#define RT_TAG_SINGLE     UINT64_C(0x7)
#define RT_TAG_IMMEDIATE  UINT64_C(0x9)
#define RT_TAG_RACKHDR    UINT64_C(0xB)
/* Word 0 of a nursery rack already copied by a minor GC: new address | this tag. Never
 * seen outside the collector. */
#define RT_TAG_FWDRACK    UINT64_C(0xD)
#define RT_TAG_CELLHDR    UINT64_C(0xF)

#define RT_ACCESS_SHIFT   60
#define RT_ACCESS_MASK    UINT64_C(0xF000000000000000)
/* Masks the access bits and the tag: the address of the cell a pointer refers to. */
#define RT_ADDR_MASK      UINT64_C(0x0FFFFFFFFFFFFFF0)

#define RT_FIXNUM_BITS    63
#define RT_MOST_POSITIVE_FIXNUM  ((int64_t)(INT64_MAX >> 1))
#define RT_MOST_NEGATIVE_FIXNUM  ((int64_t)(INT64_MIN >> 1))

static inline bool rt_fixnump(rt_value v) { return (v & 1) == 0; }
static inline bool rt_consp(rt_value v) { return (v & RT_TAG_MASK) == RT_TAG_CONS; }
static inline bool rt_objectp(rt_value v) { return (v & RT_TAG_MASK) == RT_TAG_OBJECT; }
/* A heap pointer: tag 0001 or 0011, i.e. (v & 1101b) == 0001b. */
static inline bool rt_pointerp(rt_value v) { return (v & UINT64_C(0xD)) == 1; }
static inline bool rt_characterp(rt_value v) { return (v & RT_TAG_MASK) == RT_TAG_CHAR; }
static inline bool rt_single_floatp(rt_value v) { return (v & RT_TAG_MASK) == RT_TAG_SINGLE; }
static inline bool rt_immediatep(rt_value v) { return (v & RT_TAG_MASK) == RT_TAG_IMMEDIATE; }

/* ---- Fixnums --------------------------------------------------------------------- */

static inline rt_value rt_fixnum(int64_t n) { return (rt_value)((uint64_t)n << 1); }
static inline int64_t rt_fixnum_value(rt_value v) { return (int64_t)v >> 1; }
static inline bool rt_fixnum_fits(int64_t n)
{
    return n >= RT_MOST_NEGATIVE_FIXNUM && n <= RT_MOST_POSITIVE_FIXNUM;
}

/* ---- Characters and single-floats -------------------------------------------------- */

#define RT_CHAR_CODE_LIMIT 0x110000u
static inline rt_value rt_char(uint32_t code) { return ((rt_value)code << 8) | RT_TAG_CHAR; }
static inline uint32_t rt_char_code(rt_value v) { return (uint32_t)(v >> 8); }

static inline rt_value rt_single(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return ((rt_value)bits << 32) | RT_TAG_SINGLE;
}
static inline float rt_single_value(rt_value v)
{
    uint32_t bits = (uint32_t)(v >> 32);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* ---- Special immediates ---------------------------------------------------------- */

#define RT_IMMEDIATE(k) (((rt_value)(k) << 4) | RT_TAG_IMMEDIATE)
#define RT_UNBOUND    RT_IMMEDIATE(0)  /* unbound symbol value / slot / hash entry */
#define RT_NO_VALUE   RT_IMMEDIATE(1)  /* "argument not supplied" and similar internal use */
#define RT_EMPTY      RT_IMMEDIATE(2)  /* empty hash-table bucket */
#define RT_TOMBSTONE  RT_IMMEDIATE(3)  /* deleted hash-table bucket */

/* ---- Pointers and access bits ---------------------------------------------------- */

/* Address of the 16-byte cell a pointer refers to, access bits and tag masked. */
static inline void *rt_addr(rt_value v) { return (void *)(uintptr_t)(v & RT_ADDR_MASK); }
static inline rt_value rt_make_pointer(const void *cell, rt_value tag)
{
    return (rt_value)(uintptr_t)cell | tag;
}

static inline unsigned rt_access_bits(rt_value v)
{
    return rt_pointerp(v) ? (unsigned)(v >> RT_ACCESS_SHIFT) : 0u;
}
/* Only pointers carry access bits; callers (the Lisp primitive) refuse the rest. */
static inline rt_value rt_with_access_bits(rt_value v, unsigned bits)
{
    return (v & ~RT_ACCESS_MASK) | ((rt_value)(bits & 0xFu) << RT_ACCESS_SHIFT);
}
/* A pointer with all rights: what identity comparisons and the GC see. */
static inline rt_value rt_strip_access(rt_value v)
{
    return rt_pointerp(v) ? (v & ~RT_ACCESS_MASK) : v;
}

/* eq: identical words, or the same pointer with different access bits. Fixnums and
 * immediates use their whole word (their top bits are data, not access bits). */
static inline bool rt_eq(rt_value a, rt_value b)
{
    return a == b || (rt_pointerp(a) && ((a ^ b) & ~RT_ACCESS_MASK) == 0);
}

/* ---- Fixed addresses ------------------------------------------------------------- */

/* The heap lives at a fixed virtual address range so a world written to disk maps back
 * with no relocation (DESIGN.md, CLOSOS 1.3.3). rt/heap.h divides it into spaces. */
/* 32 TiB: not 16 TiB, which lies inside AddressSanitizer's shadow memory on x86-64
 * ([0x02008fff7000, 0x10007fff7fff]): ./tests/run --sanitize and the fuzz targets need the
 * heap to map there too. */
#define RT_HEAP_BASE      UINT64_C(0x0000200000000000)   /* 32 TiB */
#define RT_HEAP_LIMIT     UINT64_C(0x0000240000000000)   /* 4 TiB of address space */
#define RT_STATIC_BASE    RT_HEAP_BASE                   /* static space comes first */

/* NIL and T are symbols in static space at fixed addresses, so they are compile-time
 * constants in C. NIL is also the empty list: rt_listp tests both. */
#define RT_NIL  ((rt_value)(RT_STATIC_BASE + 0x00) | RT_TAG_OBJECT)
#define RT_T    ((rt_value)(RT_STATIC_BASE + 0x10) | RT_TAG_OBJECT)

static inline bool rt_null(rt_value v) { return rt_eq(v, RT_NIL); }
static inline bool rt_listp(rt_value v) { return rt_consp(v) || rt_null(v); }
static inline rt_value rt_bool(bool b) { return b ? RT_T : RT_NIL; }

/* ---- Cells ----------------------------------------------------------------------- */

/* A cons: car, cdr. */
typedef struct rt_cons_cell {
    rt_value car, cdr;
} rt_cons_cell;

/* A header cell: the header word and the payload word.
 *
 *   header word:  [ info : 52 bits ][ widetag : 8 bits ][ 1111 ]
 *   payload word: by the widetag's payload kind (rt_widetag_payload):
 *                 RT_PAYLOAD_RACK  - address of the object's rack (raw, 16-aligned)
 *                 RT_PAYLOAD_VALUE - one Lisp value (traced by the GC)
 *                 RT_PAYLOAD_RAW   - 64 raw bits (a double-float's bits, ...)
 */
typedef struct rt_header_cell {
    uint64_t header;
    uint64_t payload;
} rt_header_cell;

#define RT_WIDETAG_SHIFT  4
#define RT_INFO_SHIFT     12
#define RT_INFO_MAX       ((UINT64_C(1) << 52) - 1)

static inline uint64_t rt_make_header(unsigned widetag, uint64_t info)
{
    return (info << RT_INFO_SHIFT) | ((uint64_t)widetag << RT_WIDETAG_SHIFT) | RT_TAG_CELLHDR;
}
static inline unsigned rt_header_widetag(uint64_t h) { return (unsigned)((h >> RT_WIDETAG_SHIFT) & 0xFF); }
static inline uint64_t rt_header_info(uint64_t h) { return h >> RT_INFO_SHIFT; }

static inline rt_cons_cell *rt_cons_of(rt_value v) { return (rt_cons_cell *)rt_addr(v); }
static inline rt_header_cell *rt_cell_of(rt_value v) { return (rt_header_cell *)rt_addr(v); }
static inline unsigned rt_widetag(rt_value v) { return rt_header_widetag(rt_cell_of(v)->header); }
static inline uint64_t rt_info(rt_value v) { return rt_header_info(rt_cell_of(v)->header); }

/* Widetags. Append new ones before RT_WT_LIMIT_; never renumber (worlds on disk hold
 * them). The payload kind of each is in rt_widetag_payload below. */
enum rt_widetag {
    RT_WT_FREE = 0,        /* a free old-space cell (never seen by Lisp) */
    RT_WT_FORWARD,         /* a nursery cell that was moved: payload = new pointer */
    RT_WT_SYMBOL,          /* rack: see rt/object.h */
    RT_WT_DOUBLE_FLOAT,    /* raw: the IEEE-754 bits */
    RT_WT_BIGNUM,          /* rack of raw GMP limbs; info = limb count, bit 51 of info = sign.
                            * Sign and magnitude: the limbs (mp_limb_t, least significant
                            * first) hold |n| with no leading zero limb; a bignum never
                            * holds a value that fits a fixnum (rt/number.h normalises). */
    RT_WT_RATIO,           /* rack: numerator, denominator */
    RT_WT_COMPLEX,         /* rack: real, imaginary */
    /* The data vectors, SIMPLE_VECTOR to VECTOR_F64, stay contiguous: rt_simple_array_data_p
     * tests the range. */
    RT_WT_SIMPLE_VECTOR,   /* rack of values; info = length */
    RT_WT_STRING,          /* rack of uint32 code points; info = length */
    RT_WT_BASE_STRING,     /* rack of uint8 (Latin-1); info = length */
    RT_WT_BIT_VECTOR,      /* rack of raw 64-bit words; info = length in bits */
    RT_WT_VECTOR_U8,       /* specialised vectors: rack of raw elements; info = length */
    RT_WT_VECTOR_U16,
    RT_WT_VECTOR_U32,
    RT_WT_VECTOR_U64,
    RT_WT_VECTOR_S8,
    RT_WT_VECTOR_S16,
    RT_WT_VECTOR_S32,
    RT_WT_VECTOR_S64,
    RT_WT_VECTOR_F32,
    RT_WT_VECTOR_F64,
    RT_WT_ARRAY,           /* non-simple array: rack (data vector, fill pointer, dims...) */
    RT_WT_CODE,            /* compiled code: rack of constants, then raw bytecode */
    RT_WT_FUNCTION,        /* a function or closure: rack (code, closed-over values...) */
    RT_WT_PRIMITIVE,       /* a function written in C: rack (name, C entry, arity...) */
    RT_WT_FDEFN,           /* a function cell: value payload = the current definition */
    RT_WT_VALUE_CELL,      /* a mutable closed-over variable: value payload */
    RT_WT_INSTANCE,        /* structure or standard-object: rack (layout/class, slots...) */
    RT_WT_HASH_TABLE,      /* rack */
    RT_WT_PACKAGE,         /* rack */
    RT_WT_WEAK_POINTER,    /* value payload, traced weakly */
    RT_WT_FOREIGN,         /* raw payload: a native resource (C pointer), may have a finalizer */
    RT_WT_CONDITION,       /* rack: class, slot values (until CLOS owns conditions) */
    RT_WT_STREAM,          /* rack */
    RT_WT_THREAD,          /* rack */
    RT_WT_RANDOM_STATE,    /* rack of raw words */
    RT_WT_WEAK_VECTOR,     /* rack of (key, value) pairs traced weakly: see rt/heap.h */
    RT_WT_LIMIT_
};

enum rt_payload_kind { RT_PAYLOAD_RACK, RT_PAYLOAD_VALUE, RT_PAYLOAD_RAW };

static inline enum rt_payload_kind rt_widetag_payload(unsigned wt)
{
    switch (wt) {
    case RT_WT_DOUBLE_FLOAT:
    case RT_WT_FOREIGN:
    case RT_WT_FREE:
        return RT_PAYLOAD_RAW;
    case RT_WT_FDEFN:
    case RT_WT_VALUE_CELL:
    case RT_WT_WEAK_POINTER:
    case RT_WT_FORWARD:
        return RT_PAYLOAD_VALUE;
    default:
        return RT_PAYLOAD_RACK;
    }
}

static inline bool rt_widetagp(rt_value v, unsigned wt) { return rt_objectp(v) && rt_widetag(v) == wt; }

/* ---- Racks ----------------------------------------------------------------------- */

/* A rack: two header words, then the body. Boxed (traced) words come first in the body,
 * raw words after, so the GC scans any rack, even from a dirty page alone, without
 * asking its owner.
 *
 *   word 0:  [ nboxed : 28 bits ][ size in words, headers included : 32 bits ][ 1011 ]
 *   word 1:  address of the owning header cell (raw), 0 while unowned
 *   word 2.. body: nboxed Lisp values, then raw words
 *
 * Racks are 16-byte aligned and a whole number of 16-byte units long.
 * Invariant (checked by the heap verifier): owner->payload == rack, and
 * rack->owner == owner, for every live object with a rack.
 */
typedef struct rt_rack {
    uint64_t header;
    uint64_t owner;
    rt_value body[];
} rt_rack;

#define RT_RACK_HEADER_WORDS 2
#define RT_RACK_MAX_WORDS    ((UINT64_C(1) << 32) - 1)
#define RT_RACK_MAX_BOXED    ((UINT64_C(1) << 28) - 1)

static inline uint64_t rt_make_rack_header(uint64_t size_words, uint64_t nboxed)
{
    return (nboxed << 36) | (size_words << 4) | RT_TAG_RACKHDR;
}
static inline uint64_t rt_rack_size(const rt_rack *r) { return (r->header >> 4) & 0xFFFFFFFFu; }
static inline uint64_t rt_rack_nboxed(const rt_rack *r) { return r->header >> 36; }

static inline rt_rack *rt_rack_of(rt_value v) { return (rt_rack *)(uintptr_t)rt_cell_of(v)->payload; }
/* The body of an object's rack, as values (boxed part) or bytes (raw part). */
static inline rt_value *rt_body(rt_value v) { return rt_rack_of(v)->body; }

#endif /* RT_VALUE_H */
