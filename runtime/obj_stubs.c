/* runtime/obj_stubs.c: weak default implementations of functions other modules own, so
 * that the objects module links and runs (and its unit tests run) before those modules
 * are merged. A strong definition anywhere in the link replaces each of these.
 *
 *  rt-vm:  rt_symbol_value, rt_set_symbol_value (global value slot only, no dynamic
 *          bindings), rt_funcall (signals: no VM), rt_funcall_values_count (1),
 *          rt_values/rt_values2 (primary value only), rt_define_primitives (no-op),
 *          rt_eval (signals: no VM).
 *
 * Caution: in a static library a weak definition found first satisfies the reference,
 * and the strong one is used only if its object file is linked for another reason
 * (it always is in kons-lisp, which runs the VM). When rt-vm merges, delete the
 * functions it defines from this file.
 */
#include "obj_internal.h"
#include "rt/number.h"

#include <stdio.h>
#include <stdlib.h>

#define WEAK __attribute__((weak))

WEAK rt_value rt_symbol_value(rt_value sym) { return rt_body(sym)[RT_SYM_VALUE]; }
WEAK void rt_set_symbol_value(rt_value sym, rt_value v) { RT_STORE(rt_body(sym)[RT_SYM_VALUE], v); }
WEAK size_t rt_funcall_values_count(void) { return 1; }
WEAK rt_value rt_funcall(rt_value fn, size_t nargs, const rt_value *args)
{
    (void)fn, (void)nargs, (void)args;
    rt_error("UNDEFINED-FUNCTION", "rt_funcall: no VM linked");
}
WEAK rt_value rt_eval(rt_value form)
{
    (void)form;
    rt_error("SIMPLE-ERROR", "eval: no VM linked");
}
WEAK rt_value rt_values(size_t n, const rt_value *vals) { return n ? vals[0] : RT_NIL; }
WEAK rt_value rt_values2(rt_value a, rt_value b)
{
    (void)b;
    return a;
}
WEAK void rt_define_primitives(const rt_prim_def *defs, size_t n) { (void)defs, (void)n; }
