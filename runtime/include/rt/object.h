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

#endif /* RT_OBJECT_H */
