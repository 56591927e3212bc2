/* rt/reader.h: the Lisp reader.
 *
 * The standard syntax with readtables. Lists, vectors and the quote-like prefixes
 * (' ` , ,@ ,. #') are read with an explicit frame stack, not C recursion, so deep
 * nesting costs heap, not C stack; nesting deeper than RT_READ_MAX_DEPTH frames is a
 * READER-ERROR (the printer has the same limit, so whatever is read can be printed).
 * Bad input never crashes: unbalanced parentheses -> END-OF-FILE, unknown # syntax,
 * bad tokens, invalid UTF-8 -> READER-ERROR naming the problem.
 *
 * Readtables are instances (RT_WT_INSTANCE) whose layout is the symbol
 * KONS-SYSTEM::READTABLE (rt_readtable_layout); see reader.c for the slots.
 *
 * Backquote reads as (KONS-SYSTEM:QUASIQUOTE x), (KONS-SYSTEM:UNQUOTE x),
 * (KONS-SYSTEM:UNQUOTE-SPLICING x) and (KONS-SYSTEM:UNQUOTE-NSPLICING x) for ",.".
 * #p"..." reads as the string for now; #S(...) calls SYS:%READ-STRUCTURE (list).
 *
 * Ownership: objects module (runtime/reader.c).
 */
#ifndef RT_READER_H
#define RT_READER_H

#include "rt/object.h"

/* 4096 keeps printing what was read well within an 8 MB C stack even in sanitizer builds
 * (the printer recurses on nesting; about 800 bytes a level under ASan). */
#define RT_READ_MAX_DEPTH 4096
/* #n( #n* and #nA: at most this many elements (a length given by a number is not
 * backed by text, so it is bounded). */
#define RT_READ_MAX_FILL (UINT64_C(1) << 18)

/* READ and READ-PRESERVING-WHITESPACE on a stream (signal conditions through
 * rt/error.h). recursive_p: called from a reader macro (shares #n= labels). */
rt_value rt_read(rt_value stream, bool eof_error_p, rt_value eof_value, bool recursive_p);
rt_value rt_read_preserving_whitespace(rt_value stream, bool eof_error_p, rt_value eof_value, bool recursive_p);

/* C callers that must not unwind (tests, fuzz targets, the REPL's line reader): the
 * reader's own errors are returned as a status, with "TYPE: message" in errbuf (at
 * least RT_READ_ERRBUF bytes), TYPE being READER-ERROR or END-OF-FILE.
 * Errors signalled by other modules (a reader macro written in Lisp, #.) still go
 * through rt/error.h. */
#define RT_READ_ERRBUF 256
enum rt_read_status { RT_READ_OK = 0, RT_READ_EOF = 1, RT_READ_ERROR = 2 };
/* Reads the next form from a stream (RT_READ_EOF when only whitespace/comments remain). */
enum rt_read_status rt_read_status(rt_value stream, rt_value *out, char *errbuf);
/* Reads the first form of a UTF-8 buffer. */
enum rt_read_status rt_read_from_utf8(const char *utf8, size_t len, rt_value *out, char *errbuf);

/* Readtables. */
extern rt_value rt_readtable_layout;
rt_value rt_standard_readtable(void);           /* the initial *readtable* */
rt_value rt_copy_readtable(rt_value from, rt_value to);
bool rt_readtablep(rt_value v);
/* The readtable case of rt (:upcase :downcase :preserve :invert), for the printer. */
rt_value rt_readtable_case(rt_value readtable);

extern const rt_prim_def rt_reader_prims[];
extern const size_t rt_reader_prims_count;

#endif
