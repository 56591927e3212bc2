/* rt/vm.h: function objects, the bytecode VM, the compiler and evaluation entry points.
 *
 * Layouts owned by the VM module (see runtime/README.md, "Compiler and VM"):
 *
 *  RT_WT_CODE      info = number of constants. Rack: boxed [name, debug-info, const...],
 *                  then raw: an rt_code_meta followed by the bytecode (uint32 words).
 *  RT_WT_FUNCTION  info = number of closed-over values. Rack: boxed [code, closed...].
 *                  Every compiled function is one (a closure with zero values when it
 *                  closes over nothing), so a call never asks "closure or not".
 *  RT_WT_PRIMITIVE info = 0. Rack: boxed [name], raw [C entry, min_args, max_args].
 *  RT_WT_FDEFN     value payload: the global definition (a function) or RT_UNBOUND.
 *  RT_WT_VALUE_CELL value payload: a closed-over variable that is assigned.
 *
 * Ownership: the VM module (runtime/vm*.c, compiler*.c).
 */
#ifndef RT_VM_H
#define RT_VM_H

#include "rt/heap.h"
#include "rt/prim.h"

/* ---- Code objects ------------------------------------------------------------------ */
enum { RT_CODE_NAME = 0, RT_CODE_DEBUG, RT_CODE_CONSTS };

typedef struct rt_code_meta {
    uint32_t nwords;      /* bytecode length in 32-bit words */
    uint16_t nlocals;     /* frame slots (arguments included) */
    uint16_t maxstack;    /* operand stack high-water mark beyond the locals */
    uint16_t nparams;     /* parameter slots (for backtraces) */
    uint16_t flags;       /* reserved */
} rt_code_meta;

static inline size_t rt_code_nconsts(rt_value code) { return (size_t)rt_info(code); }
static inline rt_code_meta *rt_code_meta_of(rt_value code)
{
    return (rt_code_meta *)&rt_body(code)[RT_CODE_CONSTS + rt_code_nconsts(code)];
}
static inline const uint32_t *rt_code_bytes(rt_value code)
{
    return (const uint32_t *)(rt_code_meta_of(code) + 1);
}

static inline bool rt_functionp(rt_value v)
{
    return rt_objectp(v) && (rt_widetag(v) == RT_WT_FUNCTION || rt_widetag(v) == RT_WT_PRIMITIVE);
}
static inline rt_value rt_function_code(rt_value f) { return rt_body(f)[0]; }

typedef struct rt_prim_raw {
    rt_prim_fn fn;
    int32_t min_args, max_args;
} rt_prim_raw;
static inline rt_prim_raw *rt_prim_raw_of(rt_value p) { return (rt_prim_raw *)&rt_body(p)[1]; }

/* The name of a function (symbol, (setf x) list, or NIL for anonymous lambdas). */
rt_value rt_function_name(rt_value fn);

/* ---- Global function cells ---------------------------------------------------------- */
/* The fdefn of a function name (a symbol or (setf symbol)), created when missing. */
rt_value rt_fdefn(rt_value name);
/* Installs a global definition (defun, (setf fdefinition)). */
void rt_set_fdefinition(rt_value name, rt_value fn);
/* The global function of a symbol, or RT_UNBOUND. */
rt_value rt_fdefinition_or_unbound(rt_value name);

/* ---- Evaluation -------------------------------------------------------------------- */
rt_value rt_eval(rt_value form);
/* Compiles a lambda expression (or any form, wrapped as a thunk when thunk is true). */
rt_value rt_compile_lambda(rt_value lambda_expr, rt_value name);
rt_value rt_compile_toplevel(rt_value form);   /* a function of no arguments */
rt_value rt_macroexpand_1(rt_value form, rt_value env, bool *expanded);
rt_value rt_macroexpand(rt_value form, rt_value env, bool *expanded);
/* Reads and evaluates every form of a UTF-8 buffer; name is used in messages. */
void rt_load_buffer(const char *name, const char *text, size_t len);
/* Calls fn with a list of arguments (apply). */
rt_value rt_apply_list(rt_value fn, rt_value args);
/* The number of values the last call returned, and value i (i < count). */
size_t rt_values_count(void);
rt_value rt_value_n(size_t i);

/* ---- Non-local exits seen from C ------------------------------------------------------
 * rt_catch_all runs body(ctx) and returns true when it finished; false when a non-local
 * exit (an error unwinding to the top level, a throw) tried to pass through it: the exit
 * is stopped there (used by the REPL and by --script as the outermost boundary). */
bool rt_catch_toplevel(void (*body)(void *), void *ctx);
/* Abandons the current evaluation up to the innermost rt_catch_toplevel. */
_Noreturn void rt_throw_toplevel(void);

/* ---- Stack and interrupt control ----------------------------------------------------- */
/* Set asynchronously (signal handlers, other OS threads): the VM polls it at safepoints
 * (function entries and backward jumps). */
extern volatile int rt_vm_poll_flag;
void rt_vm_request_interrupt(void);   /* Ctrl-C: enter the debugger at the next safepoint */
/* Prints a backtrace of the current thread's Lisp frames to a C stream. */
void rt_vm_backtrace(void *file, int max_frames);

/* Module initialisation (called by rt_init after the objects and numbers modules). */
void rt_vm_init(void);

/* Primitive tables of the VM module. */
extern const rt_prim_def rt_vm_prims[];
extern const size_t rt_vm_prims_count;

#endif
