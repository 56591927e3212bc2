/* rt/printer.h: the Lisp printer.
 *
 * Follows SBCL 2.2.9's output with *print-pretty* NIL (the conformance target), e.g.
 * (QUOTE X) stays unabbreviated; when *print-pretty* is true, 'X and #'X are used (no
 * line breaking yet). Backquote forms (KONS-SYSTEM:QUASIQUOTE ...) always print as
 * ` , ,@ ,. . Unreadable objects print in SBCL's #<TYPE ... {address}> style, and signal
 * PRINT-NOT-READABLE when *print-readably* is true. Nesting deeper than
 * RT_READ_MAX_DEPTH (rt/reader.h), or more than RT_PRINT_MAX_STACK bytes of C stack used
 * by one print call, signals a storage-condition instead of exhausting the C stack.
 *
 * Ownership: objects module (runtime/printer.c).
 */
#ifndef RT_PRINTER_H
#define RT_PRINTER_H

#include "rt/object.h"

#define RT_PRINT_MAX_STACK ((size_t)4 << 20)

/* Prints per the current *print-...* variables (escape as given by *print-escape*). */
void rt_write(rt_value obj, rt_value stream);
void rt_prin1(rt_value obj, rt_value stream);   /* *print-escape* T */
void rt_princ(rt_value obj, rt_value stream);   /* *print-escape* NIL, *print-readably* NIL */
void rt_print(rt_value obj, rt_value stream);   /* newline, prin1, space */
rt_value rt_prin1_to_string(rt_value obj);
rt_value rt_princ_to_string(rt_value obj);
/* For C (tests, messages, the REPL's crash path): malloc'd UTF-8; escape as prin1. */
char *rt_print_to_utf8(rt_value obj, bool escape);

/* Objects of widetags the printer does not own (functions, code, threads, ...): the
 * hook prints them to stream (an output stream) as SBCL would. escape is the current
 * *print-escape*. */
typedef void (*rt_print_hook)(rt_value obj, rt_value stream, bool escape);
void rt_printer_set_hook(unsigned widetag, rt_print_hook fn);

/* "{ADDRESS}" as SBCL prints identities, into buf (at least 24 bytes). */
const char *rt_print_address(rt_value obj, char buf[24]);

extern const rt_prim_def rt_printer_prims[];
extern const size_t rt_printer_prims_count;

#endif
