/* rt/prim.h: functions written in C and callable from Lisp, and multiple values.
 *
 * Every module exports a table of primitives; rt_init registers them all. A primitive
 * receives its arguments in an array (valid until it allocates: copy what you keep into
 * rooted locals) and returns its primary value. To return several values it returns
 * rt_values(n, vals). Errors are signalled with the functions of rt/error.h.
 *
 * Ownership: the VM module (it decides how calls reach these functions).
 */
#ifndef RT_PRIM_H
#define RT_PRIM_H

#include "rt/value.h"

typedef rt_value (*rt_prim_fn)(rt_value *args, size_t nargs);

typedef struct rt_prim_def {
    const char *package;   /* "COMMON-LISP", "KONS", "KONS-SYSTEM", ... */
    const char *name;      /* as the reader would upcase it: "CAR", "MAKE-THREAD" */
    rt_prim_fn fn;
    int min_args;
    int max_args;          /* -1: any number (&rest) */
} rt_prim_def;

/* Interns the names and installs the functions as their global definitions. */
void rt_define_primitives(const rt_prim_def *defs, size_t n);

/* Multiple values: returns vals[0] (or NIL when n == 0) and sets the VM's value count. */
rt_value rt_values(size_t n, const rt_value *vals);
rt_value rt_values2(rt_value a, rt_value b);

/* Calls a Lisp function designator from C (re-enters the VM). Returns the primary value;
 * non-local exits pass through the caller's C frame (see rt/error.h). */
rt_value rt_funcall(rt_value fn, size_t nargs, const rt_value *args);

#endif
