/* runtime/error.c: signalling conditions from C (rt/error.h), the terminal debugger
 * (SYS:%INVOKE-DEBUGGER-HOOK) and interactive interrupts.
 *
 * rt_error calls the Lisp function SYS:%SIGNAL-C-ERROR (type-name message initargs),
 * which the library defines (it makes the condition and calls ERROR). Before that
 * function exists, or while an error is being signalled from inside the signalling of
 * another (heap exhausted while making the condition), the message is printed and the
 * evaluation unwinds to the innermost top level (rt_catch_toplevel). */
#include "vm_internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rt/printer.h"
#include "rt/stream.h"

bool vm_script_mode;
/* Per thread (vm_thread): nested rt_error calls in progress, nested debugger REPLs.
 * Only read where vm_current exists. */
#define signal_depth (vm_current->signal_depth)
#define debugger_level (vm_current->debugger_level)

static void depth_body(void *p)
{
    rt_value *a = p;
    rt_funcall(vm_s_signal_c_error, 3, a);
}
static void depth_cleanup(void *p)
{
    (void)p;
    signal_depth--;
}

static void error_condition_body(void *p) { rt_error_condition(*(rt_value *)p); }

static _Noreturn void fallback(const char *type, const char *msg)
{
    if (!vm_current) {
        /* no VM (a module's unit test without rt_init): report and abort */
        const char *t = !strcmp(type, "STORAGE-CONDITION") ? "storage-condition"
                        : !strcmp(type, "TYPE-ERROR")      ? "type-error"
                                                           : type;
        fprintf(stderr, "kons: %s: %s\n", t, msg);
        abort();
    }
    rt_streams_flush_standard();
    fflush(stdout);
    if (!(vm_batch_errors && vm_batch_quiet))
        fprintf(stderr, "Unhandled %s: %s\n", type, msg);
    if (vm_script_mode && !vm_batch_errors) {
        fprintf(stderr, "\nBacktrace:\n");
        rt_vm_backtrace(stderr, 30);
        exit(1);
    }
    rt_throw_toplevel();
}

static bool lisp_fbound(rt_value sym)
{
    rt_value f = rt_fdefinition_or_unbound(sym);
    return f != RT_UNBOUND && rt_functionp(f);
}

static _Noreturn void signal_c(const char *type, const char *msg, rt_value initargs)
{
    RT_ROOTS(initargs);
    if (vm_current && signal_depth < 3 && lisp_fbound(vm_s_signal_c_error)) {
        signal_depth++;
        rt_value a[3] = {RT_NIL, RT_NIL, initargs};
        RT_ROOTS(a[0], a[1], a[2]);
        a[0] = rt_string_from_cstr(type);
        a[1] = rt_string_from_cstr(msg);
        rt_protect(depth_body, depth_cleanup, a);
        /* %SIGNAL-C-ERROR returned (it should not): treat as unhandled. */
    }
    fallback(type, msg);
}

_Noreturn void rt_error(const char *condition_type, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    signal_c(condition_type, buf, RT_NIL);
}

/* Limits for data printed into C-made messages (unless tighter ones are in effect). */
#define MESSAGE_PRINT_LENGTH 100
#define MESSAGE_PRINT_LEVEL 10

static bool limited(rt_value sym, int64_t limit)
{
    rt_value v = rt_symbol_value(sym);
    return rt_fixnump(v) && rt_fixnum_value(v) >= 0 && rt_fixnum_value(v) <= limit;
}

/* Binds the printer's limits for text a person reads in a message; returns the binding
 * depth to unbind to (vm_unbind_to; a non-local exit unbinds by itself). No allocation. */
static size_t bind_message_limits(void)
{
    size_t depth = vm_bind_depth();
    vm_bind_special(rt_sym_print_readably, RT_NIL);
    if (!limited(rt_sym_print_length, MESSAGE_PRINT_LENGTH))
        vm_bind_special(rt_sym_print_length, rt_fixnum(MESSAGE_PRINT_LENGTH));
    if (!limited(rt_sym_print_level, MESSAGE_PRINT_LEVEL))
        vm_bind_special(rt_sym_print_level, rt_fixnum(MESSAGE_PRINT_LEVEL));
    return depth;
}

char *vm_message_text(rt_value v)
{
    if (!vm_current)
        return rt_print_to_utf8(v, true);
    RT_ROOTS(v);
    size_t depth = bind_message_limits();
    char *s = rt_print_to_utf8(v, true);
    vm_unbind_to(vm_current, depth);
    return s;
}

/* A printed representation for messages: PRIN1-TO-STRING when it exists. */
static char *describe_value(rt_value v)
{
    static rt_value prin1_to_string;
    if (!prin1_to_string) {
        prin1_to_string = rt_intern_c("PRIN1-TO-STRING", "COMMON-LISP");
        rt_register_global(&prin1_to_string);
    }
    if (vm_current && signal_depth < 2 && lisp_fbound(prin1_to_string)) {
        /* A message is text for a person: a datum of a million elements must not make a
         * message of megabytes (the fuzzer's #719340(...) took seconds to report). The
         * condition keeps the datum itself for whoever wants all of it. */
        RT_ROOTS(v);
        size_t depth = bind_message_limits();
        rt_value s = rt_funcall(prin1_to_string, 1, &v);
        vm_unbind_to(vm_current, depth);
        if (rt_stringp(s))
            return rt_string_to_utf8(s, NULL);
    }
    if (!vm_current || signal_depth < 2)
        return vm_message_text(v);
    char *out = malloc(64);
    snprintf(out, 64, "#<object %#llx>", (unsigned long long)v);
    return out;
}

_Noreturn void rt_type_error(rt_value datum, const char *expected_type)
{
    RT_ROOTS(datum);
    char *d = describe_value(datum);
    char buf[1024];
    snprintf(buf, sizeof buf, "The value %s is not of type %s", d, expected_type);
    free(d);
    rt_value initargs = RT_NIL;
    RT_ROOTS(initargs);
    rt_value kd = rt_intern_c("DATUM", "KEYWORD"), ke = rt_intern_c("EXPECTED-TYPE", "KEYWORD");
    RT_ROOTS(kd, ke);
    rt_value es = rt_string_from_cstr(expected_type);
    RT_ROOTS(es);
    initargs = rt_list(4, kd, datum, ke, es);
    signal_c("TYPE-ERROR", buf, initargs);
}

_Noreturn void rt_error_condition(rt_value condition)
{
    if (vm_current && lisp_fbound(vm_s_error))
        rt_funcall(vm_s_error, 1, &condition);
    fallback("CONDITION", "a condition was signalled before the condition system was loaded");
}

_Noreturn void rt_storage_error(const char *what)
{
    signal_c("STORAGE-CONDITION", what, RT_NIL);
}

static rt_value exhaustion_conditions[RT_EXHAUSTION_KINDS]; /* 0 until the library sets them */

_Noreturn void rt_storage_exhausted(enum rt_exhaustion what)
{
    static const char *const messages[RT_EXHAUSTION_KINDS] = {
        [RT_EXHAUSTED_HEAP] = "Heap exhausted (the limit is set by --heap-size).",
        [RT_EXHAUSTED_STACK] = "Control stack exhausted (no more space for function call frames).",
    };
    rt_value c = exhaustion_conditions[what];
    if (c && signal_depth < 3) {
        signal_depth++;   /* as signal_c: an exhaustion inside the handler falls back */
        rt_protect(error_condition_body, depth_cleanup, &c);
    }
    fallback("STORAGE-CONDITION", messages[what]);
}

/* SYS:%SET-EXHAUSTION-CONDITIONS heap-condition stack-condition */
static rt_value p_set_exhaustion_conditions(rt_value *args, size_t nargs)
{
    (void)nargs;
    exhaustion_conditions[RT_EXHAUSTED_HEAP] = args[0];
    exhaustion_conditions[RT_EXHAUSTED_STACK] = args[1];
    return RT_NIL;
}

/* ---- The terminal debugger -----------------------------------------------------------
 * SYS:%INVOKE-DEBUGGER-HOOK (condition), called by the library's INVOKE-DEBUGGER. */

static rt_value call1(const char *name, const char *pkg, rt_value a)
{
    rt_value sym = rt_intern_c(name, pkg);
    if (!lisp_fbound(sym))
        return RT_NO_VALUE;
    return rt_funcall(sym, 1, &a);
}

static char *lisp_string(const char *fn, rt_value v)
{
    rt_value s = call1(fn, "COMMON-LISP", v);
    if (s == RT_NO_VALUE || !rt_stringp(s))
        return strdup("?");
    return rt_string_to_utf8(s, NULL);
}

static void print_backtrace(FILE *f, int n)
{
    fprintf(f, "\nBacktrace:\n");
    rt_vm_backtrace(f, n);
}

struct dctx {
    rt_value restarts;
    size_t nr;
};
static void debugger_loop(void *p);
static void debugger_exit(void *p)
{
    (void)p;
    debugger_level--;
}

static rt_value p_invoke_debugger_hook(rt_value *args, size_t nargs)
{
    (void)nargs;
    rt_value cond = args[0], restarts = RT_NIL;
    RT_ROOTS(cond, restarts);
    rt_value type = call1("TYPE-OF", "COMMON-LISP", cond);
    char *tname = lisp_string("PRIN1-TO-STRING", type);
    /* In batch mode (loading the library, the fuzzers) the report is a log line: bounded
     * like C-made messages. The debugger and --script print it whole, as SBCL does. */
    size_t depth = vm_batch_errors ? bind_message_limits() : vm_bind_depth();
    char *report = lisp_string("PRINC-TO-STRING", cond);
    vm_unbind_to(vm_current, depth);
    rt_streams_flush_standard();
    fflush(stdout);
    if (vm_batch_errors) {
        /* loading the library: report and go on with the next file */
        if (!vm_batch_quiet) {
            fprintf(stderr, "Unhandled %s: %s\n", tname, report);
            print_backtrace(stderr, 8);
        }
        free(tname);
        free(report);
        rt_throw_toplevel();
    }
    if (vm_script_mode) {
        fprintf(stderr, "Unhandled %s: %s\n", tname, report);
        print_backtrace(stderr, 40);
        free(tname);
        free(report);
        exit(1);
    }
    FILE *out = stdout;
    fprintf(out, "\ndebugger invoked on a %s: %s\n", tname, report);
    free(tname);
    free(report);
    restarts = call1("COMPUTE-RESTARTS", "COMMON-LISP", cond);
    if (restarts == RT_NO_VALUE)
        restarts = RT_NIL;
    size_t nr = 0;
    if (rt_consp(restarts)) {
        fprintf(out, "\nType a restart number to choose it, or a form to evaluate.\n\nrestarts (invokable by number):\n");
        for (rt_value l = restarts; rt_consp(l); l = rt_cdr(l), nr++) {
            rt_value r = rt_car(l);
            RT_ROOTS(l, r);
            rt_value name = call1("RESTART-NAME", "COMMON-LISP", r);
            char *ns = lisp_string("PRINC-TO-STRING", name);
            char *rs = lisp_string("PRINC-TO-STRING", r);
            fprintf(out, "  %zu: [%s] %s\n", nr, ns, rs);
            free(ns);
            free(rs);
        }
    }
    print_backtrace(out, 15);
    fflush(out);
    struct dctx dctx = {restarts, nr};
    RT_ROOTS(dctx.restarts);
    debugger_level++;
    rt_protect(debugger_loop, debugger_exit, &dctx);
    return RT_NIL;
}

static void debugger_loop(void *p)
{
    struct dctx *d = p;
    FILE *out = stdout;
    size_t nr = d->nr;
    rt_value in = rt_intern_c("*STANDARD-INPUT*", "COMMON-LISP"), form = RT_NIL;
    RT_ROOTS(in, form);
    for (;;) {
        rt_value fl = rt_intern_c("FRESH-LINE", "COMMON-LISP");
        if (lisp_fbound(fl))
            rt_funcall(fl, 0, NULL);
        rt_streams_flush_standard();
        fprintf(out, "%d] ", debugger_level - 1);
        fflush(out);
        rt_value readsym = rt_intern_c("READ", "COMMON-LISP");
        rt_value rargs[3] = {rt_symbol_value(in), RT_NIL, RT_NO_VALUE};
        form = rt_funcall(readsym, 3, rargs);
        if (form == RT_NO_VALUE) {
            fprintf(out, "\n");
            exit(1);
        }
        if (rt_fixnump(form) && rt_fixnum_value(form) >= 0 && (size_t)rt_fixnum_value(form) < nr) {
            rt_value r = d->restarts;
            for (int64_t i = rt_fixnum_value(form); i > 0; i--)
                r = rt_cdr(r);
            call1("INVOKE-RESTART-INTERACTIVELY", "COMMON-LISP", rt_car(r));
            continue;
        }
        rt_value v = rt_eval(form), vals = RT_NIL;
        RT_ROOTS(v, vals);
        size_t nv = rt_values_count();
        if (nv == 1)
            vals = rt_cons(v, RT_NIL);
        else {
            rt_value tmp[64];
            size_t k = nv < 64 ? nv : 64;
            for (size_t i = 0; i < k; i++)
                tmp[i] = rt_value_n(i);
            vals = rt_list_from_array(k, tmp);
        }
        for (; rt_consp(vals); vals = rt_cdr(vals)) {
            call1("PRIN1", "COMMON-LISP", rt_car(vals));
            call1("TERPRI", "COMMON-LISP", RT_NIL);
        }
    }
}

static const rt_prim_def error_prims[] = {
    {"KONS-SYSTEM", "%INVOKE-DEBUGGER-HOOK", p_invoke_debugger_hook, 1, 1},
    {"KONS-SYSTEM", "%SET-EXHAUSTION-CONDITIONS", p_set_exhaustion_conditions, 2, 2},
};

void vm_errors_init(void)
{
    rt_define_primitives(error_prims, sizeof error_prims / sizeof *error_prims);
    for (int i = 0; i < RT_EXHAUSTION_KINDS; i++)
        rt_register_global(&exhaustion_conditions[i]);
}

/* ---- Interrupts (Ctrl-C) ---------------------------------------------------------------- */

static volatile int interrupt_pending;

void rt_vm_request_interrupt(void)
{
    interrupt_pending = 1;
    rt_vm_poll_flag = 1;
}

void vm_poll(void)
{
    rt_vm_poll_flag = 0;
    if (interrupt_pending) {
        interrupt_pending = 0;
        rt_value cerror = rt_intern_c("CERROR", "COMMON-LISP");
        if (lisp_fbound(cerror)) {
            rt_value a[2] = {RT_NIL, RT_NIL};
            RT_ROOTS(a[0], a[1]);
            a[0] = rt_string_from_cstr("Return from the interrupt.");
            a[1] = rt_string_from_cstr("Interactive interrupt");
            rt_funcall(cerror, 2, a);
        } else {
            fprintf(stderr, "\nInterrupted.\n");
            rt_throw_toplevel();
        }
    }
    vm_thread_safepoint();
}
