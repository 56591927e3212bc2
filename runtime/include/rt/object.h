/* rt/object.h: symbols, packages, strings, characters, vectors: the object model's C
 * interface. Layouts here are the body (rack) layouts of the widetags in rt/value.h.
 *
 * Ownership: objects module (runtime/symbol.c, package.c, string.c, ...).
 */
#ifndef RT_OBJECT_H
#define RT_OBJECT_H

#include "rt/heap.h"

/* ---- Symbols ----------------------------------------------------------------------
 * A symbol is a header cell (RT_WT_SYMBOL) with a rack of RT_SYM_NSLOTS boxed words.
 * NIL and T live at fixed addresses in static space (RT_NIL, RT_T in rt/value.h).
 */
enum rt_symbol_slot {
    RT_SYM_NAME = 0,     /* a string */
    RT_SYM_VALUE,        /* global value, or RT_UNBOUND */
    RT_SYM_FDEFN,        /* NIL, or an RT_WT_FDEFN whose payload is the global function */
    RT_SYM_PLIST,        /* property list */
    RT_SYM_PACKAGE,      /* home package, or NIL */
    RT_SYM_HASH,         /* fixnum: hash of the name (sxhash) */
    RT_SYM_FLAGS,        /* fixnum: RT_SYMF_* bits */
    RT_SYM_TLS_INDEX,    /* fixnum: index of the thread-local binding slot, 0 if none */
    RT_SYM_NSLOTS
};
enum {
    RT_SYMF_SPECIAL = 1 << 0,    /* proclaimed special (defvar, defparameter) */
    RT_SYMF_CONSTANT = 1 << 1,   /* defconstant, keywords, NIL, T */
    RT_SYMF_KEYWORD = 1 << 2,
    RT_SYMF_MACRO = 1 << 3,      /* the fdefn holds a macro function */
    RT_SYMF_SPECIAL_FORM = 1 << 4,
    RT_SYMF_LOCKED = 1 << 5,     /* in a locked package (COMMON-LISP): may be inlined */
};

static inline bool rt_symbolp(rt_value v) { return rt_widetagp(v, RT_WT_SYMBOL); }
static inline rt_value rt_symbol_slot(rt_value sym, enum rt_symbol_slot s) { return rt_body(sym)[s]; }
static inline rt_value rt_symbol_name(rt_value sym) { return rt_body(sym)[RT_SYM_NAME]; }
static inline int64_t rt_symbol_flags(rt_value sym) { return rt_fixnum_value(rt_body(sym)[RT_SYM_FLAGS]); }

/* Makes an uninterned symbol named by a Lisp string. */
rt_value rt_make_symbol(rt_value name);
/* Interns a UTF-8 name in a package named by UTF-8 ("COMMON-LISP", "KEYWORD", "KONS", ...).
 * Names are taken as given (no case conversion). For use from C at startup. */
rt_value rt_intern_c(const char *name, const char *package);
/* The package system proper: find-package, intern, find-symbol, export, use-package. */
rt_value rt_find_package(rt_value name_designator);   /* NIL when none */
rt_value rt_intern(rt_value name_string, rt_value package, rt_value *status_out);
rt_value rt_find_symbol(rt_value name_string, rt_value package, rt_value *status_out);

/* Well-known packages, created at startup. */
extern rt_value rt_pkg_cl, rt_pkg_keyword, rt_pkg_cl_user, rt_pkg_kons, rt_pkg_sys;

/* ---- Strings and characters --------------------------------------------------------
 * RT_WT_STRING: info = length, rack = raw uint32 code points (length rounded up).
 * RT_WT_BASE_STRING: info = length, rack = raw uint8 Latin-1 code units.
 * Both are simple strings; non-simple strings (fill pointers, adjustable) are
 * RT_WT_ARRAY over one of these.
 */
static inline bool rt_simple_string_p(rt_value v)
{
    return rt_objectp(v) && (rt_widetag(v) == RT_WT_STRING || rt_widetag(v) == RT_WT_BASE_STRING);
}
static inline size_t rt_string_length(rt_value s) { return (size_t)rt_info(s); }
static inline uint32_t rt_string_ref(rt_value s, size_t i)
{
    return rt_widetag(s) == RT_WT_STRING ? ((uint32_t *)rt_body(s))[i] : ((uint8_t *)rt_body(s))[i];
}
rt_value rt_make_string(size_t length, uint32_t fill);          /* RT_WT_STRING */
/* From UTF-8. Invalid UTF-8 signals a decoding error (never a crash, never silent). */
rt_value rt_string_from_utf8(const char *utf8, size_t len);
rt_value rt_string_from_cstr(const char *utf8);
/* To UTF-8 in a malloc'd, NUL-terminated buffer (the caller frees); *len_out may be NULL. */
char *rt_string_to_utf8(rt_value s, size_t *len_out);
bool rt_string_equal(rt_value a, rt_value b);                  /* string= on simple strings */

/* ---- Vectors ---------------------------------------------------------------------- */
static inline bool rt_simple_vector_p(rt_value v) { return rt_widetagp(v, RT_WT_SIMPLE_VECTOR); }
rt_value rt_make_simple_vector(size_t length, rt_value fill);
static inline size_t rt_vector_length(rt_value v) { return (size_t)rt_info(v); }

/* ---- Lists ------------------------------------------------------------------------ */
rt_value rt_list(size_t n, ...);            /* protects its arguments */
size_t rt_list_length(rt_value list);       /* proper lists only */
rt_value rt_nreverse(rt_value list);

/* ---- Hashing and equality --------------------------------------------------------- */
/* sxhash-compatible hashes; equal on access-bit variants of the same object. */
uint64_t rt_eq_hash(rt_value v);     /* address-based: eq tables rehash after a GC moved a key */
uint64_t rt_sxhash(rt_value v);      /* equal-hash */
bool rt_eql(rt_value a, rt_value b);
bool rt_equal(rt_value a, rt_value b);

/* Module initialisation: creates NIL, T, the standard packages. Called by rt_init. */
void rt_objects_init(void);

/* ======================================================================================
 * Extensions by the objects module (rt-obj). Everything below is implemented in
 * runtime/{symbol,package,char,string,list,array,hash,instance}.c unless noted.
 * ==================================================================================== */

/* ---- Static space -------------------------------------------------------------------
 * rt_objects_init writes NIL's and T's header cells at RT_NIL/RT_T (reserved by the heap)
 * and gives them racks with rt_static_adopt_rack (rt/heap.h). */

/* ---- Seams with other modules (declared here, implemented elsewhere) ----------------
 * rt-vm: the value of a special variable in the current thread (dynamic bindings).
 * rt-obj provides __attribute__((weak)) defaults in runtime/obj_stubs.c that use the
 * symbol's global value slot. Unbound: rt_symbol_value returns RT_UNBOUND. */
rt_value rt_symbol_value(rt_value sym);
void rt_set_symbol_value(rt_value sym, rt_value v);
/* rt-vm: number of values the last rt_funcall returned (a reader macro returning no
 * values reads as nothing). Weak default: 1. */
size_t rt_funcall_values_count(void);
/* rt-vm: evaluate a form (for #. in the reader). Weak default signals an error. */
rt_value rt_eval(rt_value form);

/* ---- Well-known symbols -------------------------------------------------------------
 * Interned at startup and registered as GC roots: rt_sym_<c-name>. Package is one of
 * CL, KW (KEYWORD), SYS (KONS-SYSTEM), KONS. */
#define RT_WELL_KNOWN_SYMBOLS(X)                                                      \
    X(quote, "QUOTE", CL) X(function, "FUNCTION", CL) X(lambda, "LAMBDA", CL)         \
    X(package_var, "*PACKAGE*", CL) X(readtable_var, "*READTABLE*", CL)               \
    X(read_base, "*READ-BASE*", CL) X(read_default_float_format, "*READ-DEFAULT-FLOAT-FORMAT*", CL) \
    X(read_eval, "*READ-EVAL*", CL) X(read_suppress, "*READ-SUPPRESS*", CL)           \
    X(print_escape, "*PRINT-ESCAPE*", CL) X(print_readably, "*PRINT-READABLY*", CL)   \
    X(print_base, "*PRINT-BASE*", CL) X(print_radix, "*PRINT-RADIX*", CL)             \
    X(print_circle, "*PRINT-CIRCLE*", CL) X(print_length, "*PRINT-LENGTH*", CL)       \
    X(print_level, "*PRINT-LEVEL*", CL) X(print_case, "*PRINT-CASE*", CL)             \
    X(print_gensym, "*PRINT-GENSYM*", CL) X(print_array, "*PRINT-ARRAY*", CL)         \
    X(print_pretty, "*PRINT-PRETTY*", CL) X(print_lines, "*PRINT-LINES*", CL)         \
    X(print_right_margin, "*PRINT-RIGHT-MARGIN*", CL)                                 \
    X(print_miser_width, "*PRINT-MISER-WIDTH*", CL)                                   \
    X(print_pprint_dispatch, "*PRINT-PPRINT-DISPATCH*", CL)                           \
    X(features, "*FEATURES*", CL) X(gensym_counter, "*GENSYM-COUNTER*", CL)           \
    X(standard_input, "*STANDARD-INPUT*", CL) X(standard_output, "*STANDARD-OUTPUT*", CL) \
    X(error_output, "*ERROR-OUTPUT*", CL) X(terminal_io, "*TERMINAL-IO*", CL)         \
    X(trace_output, "*TRACE-OUTPUT*", CL) X(query_io, "*QUERY-IO*", CL)               \
    X(debug_io, "*DEBUG-IO*", CL)                                                     \
    X(eq, "EQ", CL) X(eql, "EQL", CL) X(equal, "EQUAL", CL) X(equalp, "EQUALP", CL)   \
    X(single_float, "SINGLE-FLOAT", CL) X(double_float, "DOUBLE-FLOAT", CL)           \
    X(short_float, "SHORT-FLOAT", CL) X(long_float, "LONG-FLOAT", CL)                 \
    X(character, "CHARACTER", CL) X(base_char, "BASE-CHAR", CL) X(bit, "BIT", CL)     \
    X(unsigned_byte, "UNSIGNED-BYTE", CL) X(signed_byte, "SIGNED-BYTE", CL)           \
    X(fixnum, "FIXNUM", CL) X(star, "*", CL) X(t_type, "T", CL)                       \
    X(and, "AND", CL) X(or, "OR", CL) X(not, "NOT", CL)                               \
    X(kw_upcase, "UPCASE", KW) X(kw_downcase, "DOWNCASE", KW)                         \
    X(kw_capitalize, "CAPITALIZE", KW) X(kw_preserve, "PRESERVE", KW)                 \
    X(kw_invert, "INVERT", KW) X(kw_internal, "INTERNAL", KW)                         \
    X(kw_external, "EXTERNAL", KW) X(kw_inherited, "INHERITED", KW)                   \
    X(kw_key, "KEY", KW) X(kw_value, "VALUE", KW) X(kw_key_and_value, "KEY-AND-VALUE", KW) \
    X(kw_key_or_value, "KEY-OR-VALUE", KW)                                            \
    X(kw_common_lisp, "COMMON-LISP", KW) X(kw_kons, "KONS", KW)                       \
    X(kw_structure, "STRUCTURE", KW)                                                  \
    X(kw_ansi_cl, "ANSI-CL", KW) X(kw_x86_64, "X86-64", KW) X(kw_64_bit, "64-BIT", KW) \
    X(kw_linux, "LINUX", KW) X(kw_unix, "UNIX", KW) X(kw_little_endian, "LITTLE-ENDIAN", KW) \
    X(quasiquote, "QUASIQUOTE", SYS) X(unquote, "UNQUOTE", SYS)                       \
    X(unquote_splicing, "UNQUOTE-SPLICING", SYS) X(unquote_nsplicing, "UNQUOTE-NSPLICING", SYS) \
    X(print_instance, "%PRINT-INSTANCE", SYS) X(pathname_marker, "%PATHNAME", SYS)    \
    X(stream_dispatch, "%STREAM-DISPATCH", SYS)

#define RT_DECLARE_SYM_(c, n, p) extern rt_value rt_sym_##c;
RT_WELL_KNOWN_SYMBOLS(RT_DECLARE_SYM_)
#undef RT_DECLARE_SYM_

/* ---- Symbols -------------------------------------------------------------------- */
rt_value rt_gensym(const char *prefix);                 /* uses and bumps *gensym-counter* */
rt_value rt_symbol_plist_get(rt_value sym, rt_value indicator, rt_value dflt);
void rt_symbol_plist_put(rt_value sym, rt_value indicator, rt_value value);
bool rt_keywordp(rt_value v);

/* ---- Packages ---------------------------------------------------------------------
 * RT_WT_PACKAGE rack (boxed): name string, nicknames (list of strings), internal and
 * external tables (EQUAL hash tables string -> symbol), use list, used-by list,
 * shadowing symbols (list), flags (fixnum: RT_PKGF_*). */
enum rt_package_slot {
    RT_PKG_NAME = 0, RT_PKG_NICKNAMES, RT_PKG_INTERNAL, RT_PKG_EXTERNAL, RT_PKG_USE,
    RT_PKG_USED_BY, RT_PKG_SHADOWING, RT_PKG_FLAGS, RT_PKG_NSLOTS
};
enum { RT_PKGF_LOCKED = 1 << 0, RT_PKGF_DELETED = 1 << 1 };
static inline bool rt_packagep(rt_value v) { return rt_widetagp(v, RT_WT_PACKAGE); }
/* The status returned by rt_intern/rt_find_symbol in *status_out: one of the keywords
 * :INTERNAL :EXTERNAL :INHERITED, or NIL (not found / newly interned). */
rt_value rt_make_package(rt_value name, rt_value nicknames, rt_value use_list);
/* Looks a name up from C (token buffers of the reader, no allocation). Returns the
 * symbol or RT_NO_VALUE; *status_out as above. */
rt_value rt_find_symbol_chars(const uint32_t *name, size_t len, rt_value package, rt_value *status_out);
rt_value rt_intern_chars(const uint32_t *name, size_t len, rt_value package, rt_value *status_out);
void rt_export(rt_value symbols, rt_value package);     /* a symbol or a list */
rt_value rt_current_package(void);                      /* the value of *PACKAGE* */
/* Is sym accessible in package under its own name (the printer's prefix question)? */
bool rt_symbol_accessible_p(rt_value sym, rt_value package);

/* ---- Characters ------------------------------------------------------------------- */
uint32_t rt_char_upcase(uint32_t c);
uint32_t rt_char_downcase(uint32_t c);
bool rt_char_upper_p(uint32_t c);
bool rt_char_lower_p(uint32_t c);
bool rt_char_alpha_p(uint32_t c);
/* The name of a character as SBCL prints it after #\ ("Space", "Newline", "U+E000"),
 * NULL when it prints as itself; *and* the reverse (case-insensitive), -1 when unknown. */
const char *rt_char_name(uint32_t c, char buf[16]);
int32_t rt_name_char(const uint32_t *name, size_t len);

/* ---- Strings ---------------------------------------------------------------------- */
rt_value rt_make_base_string(size_t length, uint8_t fill);
rt_value rt_string_from_chars(const uint32_t *chars, size_t len);  /* base string if Latin-1 */
/* Strict UTF-8 decoding into a malloc'd code point buffer: returns the number of code
 * points, or -1 on invalid input with *bad_offset set. Overlongs, surrogates and values
 * past U+10FFFF are invalid. */
long rt_utf8_decode(const char *s, size_t len, uint32_t **out, size_t *bad_offset);
/* Encodes one code point, returns its length (1..4). */
int rt_utf8_encode(uint32_t c, char out[4]);
/* Any string (simple or an RT_WT_ARRAY of characters): the simple data string, start
 * offset and length (fill pointer respected). Signals type-error for non-strings. */
bool rt_stringp(rt_value v);
rt_value rt_string_data(rt_value s, size_t *start, size_t *len);
/* string designator (string, symbol, character) to a simple string. */
rt_value rt_string_designator(rt_value v);

/* ---- Lists ------------------------------------------------------------------------ */
rt_value rt_list_from_array(size_t n, const rt_value *v);   /* v is copied first */
rt_value rt_append2(rt_value a, rt_value b);                /* copies a */
rt_value rt_memq(rt_value x, rt_value list);

/* ---- Arrays and vectors ------------------------------------------------------------
 * RT_WT_ARRAY (non-simple arrays, any rank, and vectors with a fill pointer, adjustable
 * or displaced): info = rank; rack boxed: data (a simple vector of any kind), fill
 * pointer (fixnum or NIL), displacement offset (fixnum), flags (RT_ARRF_*), then one
 * fixnum per dimension. */
enum rt_array_slot { RT_ARR_DATA = 0, RT_ARR_FILL, RT_ARR_OFFSET, RT_ARR_FLAGS, RT_ARR_DIMS };
enum { RT_ARRF_ADJUSTABLE = 1, RT_ARRF_DISPLACED = 2 };
/* A simple vector of any element type: the data widetags are contiguous in value.h. */
static inline bool rt_simple_array_data_p(rt_value v)
{
    if (!rt_objectp(v))
        return false;
    unsigned wt = rt_widetag(v);
    return wt >= RT_WT_SIMPLE_VECTOR && wt <= RT_WT_VECTOR_F64;
}
static inline bool rt_arrayp(rt_value v) { return rt_simple_array_data_p(v) || rt_widetagp(v, RT_WT_ARRAY); }
/* Any one-dimensional array. */
static inline bool rt_vectorp(rt_value v)
{
    return rt_simple_array_data_p(v) || (rt_widetagp(v, RT_WT_ARRAY) && rt_info(v) == 1);
}
size_t rt_seq_length(rt_value v);      /* lists and vectors (fill pointer respected) */
rt_value rt_vector_ref(rt_value v, size_t i);     /* any vector, no bounds check beyond the C one */
void rt_vector_set(rt_value v, size_t i, rt_value x);
/* The element type specifier of a simple data vector's widetag. */
rt_value rt_widetag_element_type(unsigned wt);

/* ---- Hash tables -------------------------------------------------------------------
 * RT_WT_HASH_TABLE rack (boxed): test symbol, count, used (count + tombstones), the
 * key/value simple vector (2 * capacity, open addressing, linear probing; empty keys
 * RT_EMPTY, deleted RT_TOMBSTONE), weakness (NIL or a keyword), GC epoch of the last
 * hashing (fixnum), flags (RT_HTF_ADDRESS_KEYS: some key hashes by address), rehash
 * size. */
enum rt_hash_slot {
    RT_HT_TEST = 0, RT_HT_COUNT, RT_HT_USED, RT_HT_KV, RT_HT_WEAKNESS, RT_HT_EPOCH,
    RT_HT_FLAGS, RT_HT_REHASH_SIZE, RT_HT_NSLOTS
};
enum { RT_HTF_ADDRESS_KEYS = 1 };
static inline bool rt_hash_table_p(rt_value v) { return rt_widetagp(v, RT_WT_HASH_TABLE); }
/* test: one of rt_sym_eq, rt_sym_eql, rt_sym_equal, rt_sym_equalp. */
rt_value rt_make_hash_table(rt_value test, size_t size, rt_value weakness);
/* Returns the value or dflt; *found (may be NULL) says whether the key was present. */
rt_value rt_gethash(rt_value table, rt_value key, rt_value dflt, bool *found);
void rt_puthash(rt_value table, rt_value key, rt_value value);
bool rt_remhash(rt_value table, rt_value key);
void rt_clrhash(rt_value table);
size_t rt_hash_count(rt_value table);
/* EQUAL tables only: look a string key up by its characters, without allocating. */
rt_value rt_gethash_chars(rt_value table, const uint32_t *chars, size_t len, bool *found);
/* Iteration: *pos starts at 0; returns false at the end. No allocation in between
 * calls is allowed to rehash (the caller must not add keys while iterating). */
bool rt_hash_next(rt_value table, size_t *pos, rt_value *key, rt_value *value);
uint64_t rt_equalp_hash(rt_value v);
bool rt_equalp(rt_value a, rt_value b);
uint64_t rt_string_hash_chars(const uint32_t *chars, size_t len);

/* ---- Instances (RUNTIME-SPLIT.md) -------------------------------------------------
 * RT_WT_INSTANCE: info = number of slots; rack boxed: layout, slots... */
static inline bool rt_instancep(rt_value v) { return rt_widetagp(v, RT_WT_INSTANCE); }
rt_value rt_make_instance(rt_value layout, size_t nslots);

/* ---- Primitive tables (registered by rt-vm's rt_init) -----------------------------
 * Setter conventions of the KONS-SYSTEM primitives (the value is the LAST argument and
 * is returned): (%ASET array subscript... value), (%SVSET vector index value),
 * (%ROW-MAJOR-ASET array index value), (%SET-CHAR string index char),
 * (%PUTHASH key table value), (%PUT symbol indicator value), (%SET-CAR cons x),
 * (%SET-CDR cons x), (%SET-FILL-POINTER vector n), (%SET-SYMBOL-PLIST symbol plist),
 * (%INSTANCE-SET instance index value), (%SET-READTABLE-CASE readtable mode).
 * Walkers: (%PACKAGE-SYMBOLS package [:internal|:external]) for DO-SYMBOLS,
 * (%HASH-TABLE-PAIRS table) a fresh alist for MAPHASH/WITH-HASH-TABLE-ITERATOR.
 * Printing instances: (SYS:%PRINT-INSTANCE instance stream escape-p) when fbound.
 * Gray streams: (SYS:%MAKE-LISP-STREAM object direction) makes a stream whose
 * operations call (SYS:%STREAM-DISPATCH object op args...), op one of :READ-CHAR
 * :UNREAD-CHAR :LISTEN :WRITE-CHAR :LINE-COLUMN :FINISH-OUTPUT :CLOSE. */
#include "rt/prim.h"
extern const rt_prim_def rt_symbol_prims[];   extern const size_t rt_symbol_prims_count;
extern const rt_prim_def rt_package_prims[];  extern const size_t rt_package_prims_count;
extern const rt_prim_def rt_char_prims[];     extern const size_t rt_char_prims_count;
extern const rt_prim_def rt_string_prims[];   extern const size_t rt_string_prims_count;
extern const rt_prim_def rt_list_prims[];     extern const size_t rt_list_prims_count;
extern const rt_prim_def rt_array_prims[];    extern const size_t rt_array_prims_count;
extern const rt_prim_def rt_hash_prims[];     extern const size_t rt_hash_prims_count;
extern const rt_prim_def rt_instance_prims[]; extern const size_t rt_instance_prims_count;

#endif /* RT_OBJECT_H */
