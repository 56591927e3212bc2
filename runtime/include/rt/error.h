/* rt/error.h: signalling Lisp conditions from C.
 *
 * These functions signal a Lisp condition of the named standard type through the full
 * condition system: handlers run (on top of the current stack) and may transfer control
 * out, in which case the C frames between are abandoned with a longjmp to the nearest
 * VM entry, whose saved root-stack depth is restored (rt/heap.h rule 3). So C code that
 * calls anything that may signal must hold no malloc'd resource without a cleanup, or
 * must use rt_protect below. They never return (a continued cerror returns NIL from
 * rt_cerror only).
 *
 * Condition type names are the standard symbols' names in COMMON-LISP: "TYPE-ERROR",
 * "DIVISION-BY-ZERO", "UNBOUND-VARIABLE", "UNDEFINED-FUNCTION", "PROGRAM-ERROR",
 * "SIMPLE-ERROR", "READER-ERROR", "END-OF-FILE", "STORAGE-CONDITION", ...
 *
 * Ownership: the conditions module (with the VM).
 */
#ifndef RT_ERROR_H
#define RT_ERROR_H

#include <stdarg.h>
#include "rt/value.h"

/* type-error with :datum and :expected-type (a type specifier written as Lisp text,
 * read when the condition is made, e.g. "list", "(integer 0 9)"). */
_Noreturn void rt_type_error(rt_value datum, const char *expected_type);
/* A condition of the named type with a printf-style message (simple-condition format
 * control "~A" and the formatted text), plus type-specific initargs when given. */
_Noreturn void rt_error(const char *condition_type, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Any condition object, made by the caller. */
_Noreturn void rt_error_condition(rt_value condition);
/* Running out of heap (past --heap-size) or of Lisp stack. The storage-conditions for
 * these are made once, when the library loads (SYS:%SET-EXHAUSTION-CONDITIONS), and
 * signalled again each time: making a condition needs memory, which is what is short.
 * The heap lends its reserve while the handlers and the debugger run. */
enum rt_exhaustion { RT_EXHAUSTED_HEAP, RT_EXHAUSTED_STACK, RT_EXHAUSTION_KINDS };
_Noreturn void rt_storage_exhausted(enum rt_exhaustion what);
/* A fresh storage-condition for a request that cannot be met (an array or a number too
 * large, a nesting limit): memory itself is not short, so the message says what. */
_Noreturn void rt_storage_error(const char *what);

/* Runs body(ctx); if a non-local exit passes through, runs cleanup(ctx) and continues the
 * exit. C's unwind-protect. */
void rt_protect(void (*body)(void *), void (*cleanup)(void *), void *ctx);

#endif
