/* runtime/vm_prims.c: the kernel macros written in C (DEFUN, DEFMACRO, LAMBDA,
 * QUASIQUOTE, DESTRUCTURING-BIND), evaluation (eval, load), and the primitives of the
 * VM module (funcall, apply, values, symbol-function, ...). */
#include "vm_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt/number.h"

#include "rt/reader.h"
#include "rt/stream.h"

#define COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

static rt_value l2(rt_value a, rt_value b)
{
    RT_ROOTS(a, b);
    rt_value l = rt_cons(b, RT_NIL);
    return rt_cons(a, l);
}
static rt_value l3(rt_value a, rt_value b, rt_value c)
{
    RT_ROOTS(a, b, c);
    rt_value l = rt_cons(c, RT_NIL);
    l = rt_cons(b, l);
    return rt_cons(a, l);
}
static rt_value second(rt_value l) { return form_car(form_cdr(l)); }
static rt_value quoted(rt_value x) { return l2(vm_s_quote, x); }

static rt_value check_list_form(rt_value form, size_t min)
{
    size_t n = 0;
    for (rt_value l = form; rt_consp(l); l = form_cdr(l))
        n++;
    if (n < min)
        rt_error("PROGRAM-ERROR", "malformed form: too few elements");
    return form;
}

/* Splits a body into (declarations-and-docstring . forms). */
static void split_decls(rt_value body, rt_value *decls, rt_value *forms, bool allow_doc)
{
    rt_value d = RT_NIL;
    RT_ROOTS(body, d);
    for (; rt_consp(body); body = form_cdr(body)) {
        rt_value f = form_car(body);
        if (allow_doc && rt_stringp(f) && rt_consp(form_cdr(body))) {
            allow_doc = false;
            continue;
        }
        if (!rt_consp(f) || !rt_eq(form_car(f), vm_s_declare))
            break;
        d = rt_cons(f, d);
    }
    *decls = rt_nreverse(d);
    *forms = body;
}

/* body -> (decls... (block name forms...)) */
static rt_value block_body(rt_value name, rt_value body)
{
    rt_value decls = RT_NIL, forms = RT_NIL;
    RT_ROOTS(name, body, decls, forms);
    split_decls(body, &decls, &forms, true);
    if (rt_consp(name))
        name = second(name); /* (setf foo) -> foo */
    forms = rt_cons(name, forms);
    forms = rt_cons(vm_s_block, forms);
    forms = rt_cons(forms, RT_NIL);
    return rt_append2(decls, forms);
}

/* ---- Macro lambda lists ---------------------------------------------------------------
 * A macro lambda list becomes an ordinary one: &body is &rest, a dotted tail is &rest,
 * &whole and &environment are bound around it, and nested patterns become gensyms
 * destructured by DESTRUCTURING-BIND in the body. */
static rt_value gensym_c(const char *name)
{
    return rt_make_symbol(rt_string_from_cstr(name));
}

static rt_value destructuring_lambda(rt_value ll, rt_value body, rt_value *whole, rt_value *envvar);

/* (destructuring-bind ll expr . body) -> (apply #'(lambda ll' . body') expr) */
static rt_value expand_dbind(rt_value ll, rt_value expr, rt_value body)
{
    rt_value whole = RT_NIL, lam = RT_NIL, tmp = RT_NIL;
    RT_ROOTS(ll, expr, body, whole, lam, tmp);
    lam = destructuring_lambda(ll, body, &whole, NULL);
    lam = l2(vm_s_function, lam);
    if (!rt_null(whole)) {
        tmp = gensym_c("WHOLE");
        rt_value call = l3(vm_s_apply, lam, tmp);
        RT_ROOTS(call);
        rt_value b1 = l2(whole, tmp);
        RT_ROOTS(b1);
        rt_value b0 = l2(tmp, expr);
        RT_ROOTS(b0);
        rt_value binds = l2(b0, b1);
        return l3(vm_s_letstar, binds, call);
    }
    return l3(vm_s_apply, lam, expr);
}

static rt_value destructuring_lambda(rt_value ll, rt_value body, rt_value *whole, rt_value *envvar)
{
    rt_value out = RT_NIL, nested = RT_NIL, decls = RT_NIL, forms = RT_NIL, x = RT_NIL;
    RT_ROOTS(ll, body, out, nested, decls, forms);
    RT_ROOTS(x);
    bool first = true, in_req = true;
    for (; rt_consp(ll); ll = form_cdr(ll), first = false) {
        x = form_car(ll);
        if (rt_eq(x, vm_s_whole) && first && rt_consp(form_cdr(ll))) {
            ll = form_cdr(ll);
            *whole = form_car(ll);
            continue;
        }
        if (rt_eq(x, vm_s_environment) && rt_consp(form_cdr(ll))) {
            ll = form_cdr(ll);
            if (envvar)
                *envvar = form_car(ll);
            continue;
        }
        if (rt_eq(x, vm_s_body)) {
            out = rt_cons(vm_s_rest, out);
            in_req = false;
            continue;
        }
        if (rt_eq(x, vm_s_optional) || rt_eq(x, vm_s_rest) || rt_eq(x, vm_s_key) || rt_eq(x, vm_s_aux) ||
            rt_eq(x, vm_s_allow_other_keys)) {
            out = rt_cons(x, out);
            in_req = false;
            continue;
        }
        if (in_req && rt_consp(x)) {
            rt_value g = gensym_c("ARG");
            RT_ROOTS(g);
            rt_value pair = rt_cons(g, x);
            nested = rt_cons(pair, nested);
            out = rt_cons(g, out);
            continue;
        }
        out = rt_cons(x, out);
    }
    if (!rt_null(ll)) {
        /* dotted tail */
        out = rt_cons(vm_s_rest, out);
        out = rt_cons(ll, out);
    }
    out = rt_nreverse(out);
    split_decls(body, &decls, &forms, false);
    for (; rt_consp(nested); nested = form_cdr(nested)) {
        rt_value pair = form_car(nested);
        RT_ROOTS(pair);
        rt_value inner = expand_dbind(form_cdr(pair), form_car(pair), forms);
        forms = rt_cons(inner, RT_NIL);
    }
    body = rt_append2(decls, forms);
    body = rt_cons(out, body);
    return rt_cons(vm_s_lambda, body);
}

/* (named-lambda name (form env) (let* ((whole form) (e env)) (apply #'(lambda ...) (cdr form)))) */
static rt_value macro_lambda(rt_value name, rt_value ll, rt_value body)
{
    rt_value whole = RT_NIL, envvar = RT_NIL, lam = RT_NIL, fsym = RT_NIL, esym = RT_NIL, binds = RT_NIL;
    RT_ROOTS(name, ll, body, whole, envvar, lam);
    RT_ROOTS(fsym, esym, binds);
    body = block_body(name, body);
    lam = destructuring_lambda(ll, body, &whole, &envvar);
    fsym = gensym_c("FORM");
    esym = gensym_c("ENV");
    rt_value cdrf = l2(vm_s_cdr, fsym);
    RT_ROOTS(cdrf);
    lam = l2(vm_s_function, lam);
    rt_value call = l3(vm_s_apply, lam, cdrf);
    RT_ROOTS(call);
    rt_value b = RT_NIL;
    RT_ROOTS(b);
    if (!rt_null(whole)) {
        b = l2(whole, fsym);
        binds = rt_cons(b, binds);
    }
    if (!rt_null(envvar)) {
        b = l2(envvar, esym);
        binds = rt_cons(b, binds);
    }
    rt_value ign = l2(vm_s_ignorable, esym);
    RT_ROOTS(ign);
    ign = l2(vm_s_declare, ign);
    rt_value inner = l3(vm_s_letstar, binds, call);
    RT_ROOTS(inner);
    rt_value params = l2(fsym, esym);
    RT_ROOTS(params);
    rt_value lbody = l2(ign, inner);
    lbody = rt_cons(params, lbody);
    lbody = rt_cons(name, lbody);
    return rt_cons(vm_s_named_lambda, lbody);
}

rt_value vm_make_macro_function(rt_value name, rt_value ll, rt_value body);
rt_value vm_make_macro_function(rt_value name, rt_value ll, rt_value body)
{
    RT_ROOTS(name);
    rt_value lam = macro_lambda(name, ll, body);
    return vm_compile(lam, name, RT_NIL);
}

/* ---- Built-in macros: primitives of (form env) ------------------------------------------- */

static rt_value m_defun(rt_value *a, size_t n)
{
    (void)n;
    rt_value form = check_list_form(a[0], 3), name = second(form), ll = form_car(form_cdr(form_cdr(form)));
    rt_value body = form_cdr(form_cdr(form_cdr(form))), lam = RT_NIL;
    RT_ROOTS(form, name, ll, body, lam);
    body = block_body(name, body);
    lam = rt_cons(ll, body);
    lam = rt_cons(name, lam);
    lam = rt_cons(vm_s_named_lambda, lam);
    lam = l2(vm_s_function, lam);
    rt_value q = quoted(name);
    return l3(vm_s_pct_defun, q, lam);
}

static rt_value m_defmacro(rt_value *a, size_t n)
{
    (void)n;
    rt_value form = check_list_form(a[0], 3), name = second(form);
    RT_ROOTS(form, name);
    rt_value lam = macro_lambda(name, form_car(form_cdr(form_cdr(form))), form_cdr(form_cdr(form_cdr(form))));
    RT_ROOTS(lam);
    lam = l2(vm_s_function, lam);
    rt_value q = quoted(name);
    return l3(vm_s_pct_defmacro, q, lam);
}

static rt_value m_lambda(rt_value *a, size_t n)
{
    (void)n;
    return l2(vm_s_function, a[0]);
}

static rt_value m_dbind(rt_value *a, size_t n)
{
    (void)n;
    rt_value form = check_list_form(a[0], 3);
    return expand_dbind(second(form), form_car(form_cdr(form_cdr(form))), form_cdr(form_cdr(form_cdr(form))));
}

extern rt_value vm_quasiquote_expand(rt_value x);
static rt_value m_quasiquote(rt_value *a, size_t n)
{
    (void)n;
    rt_value form = check_list_form(a[0], 2);
    return vm_quasiquote_expand(second(form));
}

/* ---- Quasiquote run-time helpers ------------------------------------------------------------ */

static rt_value p_qq_list(rt_value *a, size_t n) { return rt_list_from_array(n, a); }

static rt_value p_qq_liststar(rt_value *a, size_t n)
{
    rt_value r = a[n - 1];
    RT_ROOTS(r);
    for (size_t i = n - 1; i-- > 0;)
        r = rt_cons(a[i], r);
    return r;
}

/* (%qq-append l1 ... ln tail): copies every list but the last. */
static rt_value p_qq_append(rt_value *a, size_t n)
{
    if (n == 0)
        return RT_NIL;
    rt_value head = RT_NIL, tail = RT_NIL, cell = RT_NIL;
    RT_ROOTS(head, tail, cell);
    for (size_t i = 0; i + 1 < n; i++) {
        for (rt_value l = a[i]; rt_consp(l); l = form_cdr(l)) {
            RT_ROOTS(l);
            cell = rt_cons(form_car(l), RT_NIL);
            if (rt_null(head))
                head = cell;
            else
                rt_set_cdr(tail, cell);
            tail = cell;
        }
    }
    if (rt_null(head))
        return a[n - 1];
    rt_set_cdr(tail, a[n - 1]);
    return head;
}

static rt_value p_qq_vector(rt_value *a, size_t n)
{
    (void)n;
    rt_value l = a[0];
    RT_ROOTS(l);
    size_t len = 0;
    for (rt_value x = l; rt_consp(x); x = form_cdr(x))
        len++;
    rt_value v = rt_make_simple_vector(len, RT_NIL);
    size_t i = 0;
    for (rt_value x = l; rt_consp(x); x = form_cdr(x))
        RT_STORE(rt_body(v)[i++], form_car(x));
    return v;
}

/* ---- Evaluation ----------------------------------------------------------------------------- */

/* Evaluates everything but the last step: returns the compiled thunk of the final form,
 * or NIL with *value set when the form needed no compilation. The caller runs the thunk
 * after this function's roots are gone, so a green thread evaluating a long-running
 * form holds no C roots (and can be preempted, see thread.c). */
static rt_value eval_prepare(rt_value form, rt_value *value)
{
    RT_ROOTS(form);
    for (;;) {
        if (rt_symbolp(form)) {
            if (rt_null(form) || rt_eq(form, RT_T) || vm_symbol_flag(form, RT_SYMF_KEYWORD)) {
                vm_current->nvals = 1;
                *value = form;
                return RT_NIL;
            }
            break;
        }
        if (!rt_consp(form)) {
            vm_current->nvals = 1;
            *value = form;
            return RT_NIL;
        }
        rt_value head = form_car(form);
        /* progn at the top level: each subform in turn, so a macro defined by one is
         * seen by the next. */
        if (rt_eq(head, vm_s_progn)) {
            rt_value r = RT_NIL;
            rt_value rest = form_cdr(form);
            RT_ROOTS(rest, r);
            if (rt_null(rest)) {
                vm_current->nvals = 1;
                *value = RT_NIL;
                return RT_NIL;
            }
            for (; rt_consp(form_cdr(rest)); rest = form_cdr(rest))
                rt_eval(form_car(rest));
            form = form_car(rest);
            continue;
        }
        if (rt_eq(head, vm_s_quote)) {
            vm_current->nvals = 1;
            *value = second(form);
            return RT_NIL;
        }
        if (rt_symbolp(head) && vm_symbol_flag(head, RT_SYMF_MACRO) && !vm_symbol_flag(head, RT_SYMF_SPECIAL_FORM)) {
            bool e;
            form = rt_macroexpand_1(form, RT_NIL, &e);
            continue;
        }
        break;
    }
    return rt_compile_toplevel(form);
}

rt_value rt_eval(rt_value form)
{
    rt_value value = RT_NIL;
    rt_value fn = eval_prepare(form, &value);
    if (rt_null(fn))
        return value;
    return vm_call(fn, 0, NULL);
}

void rt_load_buffer(const char *name, const char *text, size_t len)
{
    (void)name;
    rt_value stream = rt_make_mem_input_stream(text, len), form = RT_NIL;
    RT_ROOTS(stream, form);
    for (;;) {
        form = rt_read(stream, false, RT_NO_VALUE, false);
        if (form == RT_NO_VALUE)
            break;
        rt_eval(form);
    }
}

/* ---- Primitives --------------------------------------------------------------------------- */

static rt_value p_funcall(rt_value *a, size_t n) { return vm_call(a[0], n - 1, a + 1); }

static rt_value p_apply(rt_value *a, size_t n)
{
    vm_thread *T = vm_current;
    rt_value last = a[n - 1];
    size_t extra = 0;
    for (rt_value l = last; rt_consp(l); l = form_cdr(l))
        extra++;
    if (!rt_listp(last))
        rt_type_error(last, "list");
    size_t total = n - 2 + extra;
    if (T->sp + total + 16 > T->stack_limit)
        rt_storage_error("Control stack exhausted (APPLY of a very long list).");
    /* The arguments are copied to the top of the Lisp stack, where the GC sees them. */
    rt_value *base = T->sp;
    memcpy(base, a + 1, (n - 2) * sizeof(rt_value));
    size_t i = n - 2;
    for (rt_value l = a[n - 1]; rt_consp(l); l = form_cdr(l))
        base[i++] = form_car(l);
    T->sp = base + total;
    rt_value r = vm_call(a[0], total, base);
    T->sp = base;
    return r;
}

static rt_value p_values(rt_value *a, size_t n) { return rt_values(n, a); }

static rt_value p_values_list(rt_value *a, size_t n)
{
    (void)n;
    vm_thread *T = vm_current;
    size_t k = 0;
    for (rt_value l = a[0]; rt_consp(l); l = form_cdr(l)) {
        if (k >= VM_MV_LIMIT)
            rt_error("PROGRAM-ERROR", "too many values");
        T->mv[k++] = form_car(l);
    }
    T->nvals = k;
    return k ? T->mv[0] : RT_NIL;
}

static rt_value p_eval(rt_value *a, size_t n)
{
    (void)n;
    return rt_eval(a[0]);
}

static rt_value p_compile(rt_value *a, size_t n)
{
    rt_value name = a[0], def = n > 1 ? a[1] : RT_NO_VALUE;
    RT_ROOTS(name, def);
    if (def == RT_NO_VALUE) {
        if (rt_null(name))
            rt_error("PROGRAM-ERROR", "COMPILE: NIL with no definition");
        rt_value f = rt_fdefinition_or_unbound(name);
        if (f == RT_UNBOUND)
            rt_error("UNDEFINED-FUNCTION", "COMPILE: the function is undefined");
        return rt_values(3, (rt_value[]){name, RT_NIL, RT_NIL});
    }
    rt_value fn = rt_functionp(def) ? def : vm_compile(def, name, RT_NIL);
    RT_ROOTS(fn);
    if (!rt_null(name)) {
        if (rt_symbolp(name) && vm_symbol_flag(name, RT_SYMF_MACRO)) {
            rt_set_fdefinition(name, fn);
            vm_set_symbol_flag(name, RT_SYMF_MACRO, true);
        } else
            rt_set_fdefinition(name, fn);
        return rt_values(3, (rt_value[]){name, RT_NIL, RT_NIL});
    }
    return rt_values(3, (rt_value[]){fn, RT_NIL, RT_NIL});
}

static rt_value p_macroexpand_1(rt_value *a, size_t n)
{
    bool e;
    rt_value r = rt_macroexpand_1(a[0], n > 1 ? a[1] : RT_NIL, &e);
    return rt_values2(r, rt_bool(e));
}

static rt_value p_macroexpand(rt_value *a, size_t n)
{
    bool e;
    rt_value r = rt_macroexpand(a[0], n > 1 ? a[1] : RT_NIL, &e);
    return rt_values2(r, rt_bool(e));
}

static rt_value check_symbol(rt_value s)
{
    if (!rt_symbolp(s))
        rt_type_error(s, "symbol");
    return s;
}

static rt_value p_macro_function(rt_value *a, size_t n)
{
    rt_value s = check_symbol(a[0]);
    if (n > 1)
        for (rt_value l = a[1]; rt_consp(l); l = form_cdr(l)) {
            rt_value it = form_car(l);
            if (rt_eq(second(it), s)) {
                if (rt_eq(form_car(it), vm_s_kw_macro))
                    return form_cdr(form_cdr(it));
                if (rt_eq(form_car(it), vm_s_kw_fun))
                    return RT_NIL;
            }
        }
    if (vm_symbol_flag(s, RT_SYMF_MACRO))
        return rt_fdefinition_or_unbound(s);
    return RT_NIL;
}

static rt_value p_set_macro_function(rt_value *a, size_t n)
{
    (void)n;
    rt_value s = check_symbol(a[0]), f = a[1];
    RT_ROOTS(s, f);
    rt_set_fdefinition(s, f);
    vm_set_symbol_flag(s, RT_SYMF_MACRO, true);
    return f;
}

static rt_value p_defmacro(rt_value *a, size_t n)
{
    p_set_macro_function(a, n);
    return a[0];
}

static rt_value p_defun(rt_value *a, size_t n)
{
    (void)n;
    if (rt_symbolp(a[0]) && vm_symbol_flag(a[0], RT_SYMF_SPECIAL_FORM))
        rt_error("PROGRAM-ERROR", "cannot define a function named by a special operator");
    rt_set_fdefinition(a[0], a[1]);
    return a[0];
}

static rt_value fdefinition(rt_value name)
{
    rt_value f = rt_fdefinition_or_unbound(name);
    if (f == RT_UNBOUND) {
        char *s = rt_symbolp(name) ? rt_string_to_utf8(rt_symbol_name(name), NULL) : NULL;
        char buf[256];
        snprintf(buf, sizeof buf, "%s", s ? s : "(SETF ...)");
        free(s);
        rt_error("UNDEFINED-FUNCTION", "The function %s is undefined.", buf);
    }
    if (rt_symbolp(name) && vm_symbol_flag(name, RT_SYMF_SPECIAL_FORM | RT_SYMF_MACRO) && !rt_functionp(f))
        rt_error("UNDEFINED-FUNCTION", "not a function");
    return f;
}

static rt_value p_fdefinition(rt_value *a, size_t n)
{
    (void)n;
    return fdefinition(a[0]);
}

static rt_value p_symbol_function(rt_value *a, size_t n)
{
    (void)n;
    check_symbol(a[0]);
    return fdefinition(a[0]);
}

static rt_value p_set_fdefinition(rt_value *a, size_t n)
{
    (void)n;
    /* (%set-fdefinition name fn): the short DEFSETF form of (setf fdefinition) */
    if (!rt_functionp(a[1]))
        rt_type_error(a[1], "function");
    rt_set_fdefinition(a[0], a[1]);
    return a[1];
}

static rt_value p_fboundp(rt_value *a, size_t n)
{
    (void)n;
    if (rt_symbolp(a[0]) && vm_symbol_flag(a[0], RT_SYMF_SPECIAL_FORM))
        return RT_T;
    return rt_bool(rt_fdefinition_or_unbound(a[0]) != RT_UNBOUND);
}

static rt_value p_fmakunbound(rt_value *a, size_t n)
{
    (void)n;
    rt_value name = a[0];
    RT_ROOTS(name);
    rt_value f = rt_fdefn(name);
    rt_store((rt_value *)&rt_cell_of(f)->payload, RT_UNBOUND);
    if (rt_symbolp(name))
        vm_set_symbol_flag(name, RT_SYMF_MACRO, false);
    return name;
}

static rt_value p_special_operator_p(rt_value *a, size_t n)
{
    (void)n;
    return rt_bool(vm_symbol_flag(check_symbol(a[0]), RT_SYMF_SPECIAL_FORM));
}

static rt_value p_boundp(rt_value *a, size_t n)
{
    (void)n;
    return rt_bool(rt_symbol_value(check_symbol(a[0])) != RT_UNBOUND);
}

static rt_value p_symbol_value(rt_value *a, size_t n)
{
    (void)n;
    rt_value v = rt_symbol_value(check_symbol(a[0]));
    if (v == RT_UNBOUND) {
        char *s = rt_string_to_utf8(rt_symbol_name(a[0]), NULL);
        char buf[256];
        snprintf(buf, sizeof buf, "%s", s ? s : "?");
        free(s);
        rt_error("UNBOUND-VARIABLE", "The variable %s is unbound.", buf);
    }
    return v;
}

static rt_value p_set(rt_value *a, size_t n)
{
    (void)n;
    check_symbol(a[0]);
    if (vm_symbol_flag(a[0], RT_SYMF_CONSTANT) || rt_null(a[0]) || rt_eq(a[0], RT_T))
        rt_error("PROGRAM-ERROR", "cannot SET a constant");
    rt_set_symbol_value(a[0], a[1]);
    return a[1];
}

static rt_value p_makunbound(rt_value *a, size_t n)
{
    (void)n;
    rt_set_symbol_value(check_symbol(a[0]), RT_UNBOUND);
    return a[0];
}

static rt_value p_constantp(rt_value *a, size_t n)
{
    (void)n;
    rt_value x = a[0];
    if (rt_symbolp(x))
        return rt_bool(rt_null(x) || rt_eq(x, RT_T) || vm_symbol_flag(x, RT_SYMF_CONSTANT | RT_SYMF_KEYWORD));
    if (rt_consp(x))
        return rt_bool(rt_eq(form_car(x), vm_s_quote));
    return RT_T;
}

static rt_value p_functionp(rt_value *a, size_t n)
{
    (void)n;
    return rt_bool(rt_functionp(a[0]));
}

static rt_value p_function_lambda_expression(rt_value *a, size_t n)
{
    (void)n;
    if (!rt_functionp(a[0]))
        rt_type_error(a[0], "function");
    bool closure = rt_widetagp(a[0], RT_WT_FUNCTION) && rt_info(a[0]) > 0;
    return rt_values(3, (rt_value[]){RT_NIL, rt_bool(closure), rt_function_name(a[0])});
}

static rt_value p_proclaim_special(rt_value *a, size_t n)
{
    (void)n;
    vm_set_symbol_flag(check_symbol(a[0]), RT_SYMF_SPECIAL, true);
    return a[0];
}

static rt_value p_proclaim_constant(rt_value *a, size_t n)
{
    (void)n;
    check_symbol(a[0]);
    rt_set_symbol_value(a[0], a[1]);
    vm_set_symbol_flag(a[0], RT_SYMF_CONSTANT | RT_SYMF_SPECIAL, true);
    return a[0];
}

static rt_value p_proclaim(rt_value *a, size_t n)
{
    (void)n;
    rt_value d = a[0];
    if (rt_consp(d) && rt_eq(form_car(d), vm_s_special))
        for (rt_value l = form_cdr(d); rt_consp(l); l = form_cdr(l))
            vm_set_symbol_flag(check_symbol(form_car(l)), RT_SYMF_SPECIAL, true);
    return RT_NIL;
}

static rt_value p_specialp(rt_value *a, size_t n)
{
    (void)n;
    return rt_bool(vm_symbol_flag(check_symbol(a[0]), RT_SYMF_SPECIAL));
}

static rt_value p_function_name(rt_value *a, size_t n)
{
    (void)n;
    return rt_function_name(a[0]);
}

static rt_value p_closurep(rt_value *a, size_t n)
{
    (void)n;
    return rt_bool(rt_widetagp(a[0], RT_WT_FUNCTION) && rt_info(a[0]) > 0);
}

static rt_value p_backtrace_list(rt_value *a, size_t n)
{
    (void)a;
    (void)n;
    vm_thread *T = vm_current;
    rt_value l = RT_NIL;
    RT_ROOTS(l);
    for (size_t i = 0; i < T->nctl; i++) {
        rt_value name = rt_function_name(T->ctl[i].fn);
        l = rt_cons(name, l);
    }
    return l;
}

static rt_value p_quit(rt_value *a, size_t n)
{
    int code = n > 0 && rt_fixnump(a[0]) ? (int)rt_fixnum_value(a[0]) : 0;
    rt_streams_flush_standard();
    fflush(NULL);
    exit(code);
}

static rt_value p_compile_form(rt_value *a, size_t n)
{
    (void)n;
    return rt_compile_toplevel(a[0]);
}

static rt_value p_load(rt_value *a, size_t n)
{
    (void)n;
    rt_value f = a[0];
    if (!rt_stringp(f))
        rt_type_error(f, "(or string pathname)");
    char *path = rt_string_to_utf8(f, NULL);
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    free(path);
    if (!rt_load_file_checked(buf))
        rt_error("FILE-ERROR", "cannot open %s", buf);
    return RT_T;
}

static int64_t clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Internal time is in microseconds, as in SBCL on 64-bit machines. */
static rt_value p_get_internal_real_time(rt_value *a, size_t n)
{
    (void)a, (void)n;
    return rt_make_integer(clock_us(CLOCK_MONOTONIC));
}

static rt_value p_get_internal_run_time(rt_value *a, size_t n)
{
    (void)a, (void)n;
    return rt_make_integer(clock_us(CLOCK_PROCESS_CPUTIME_ID));
}

/* SYS:%DISASSEMBLE fn: the bytecode of a compiled function, one instruction a line. */
static rt_value p_disassemble(rt_value *a, size_t n)
{
    (void)n;
    static const char *const names[] = {
#define VM_NAME_(x) #x,
        VM_OPS(VM_NAME_)
#undef VM_NAME_
    };
    rt_value f = a[0];
    if (rt_symbolp(f))
        f = rt_fdefinition_or_unbound(f);
    if (!rt_widetagp(f, RT_WT_FUNCTION))
        rt_type_error(a[0], "compiled-function");
    rt_value code = rt_function_code(f);
    const rt_code_meta *m = rt_code_meta_of(code);
    const uint32_t *bc = rt_code_bytes(code);
    printf("; %u words, %u locals, stack %u, %zu constants\n", m->nwords, m->nlocals, m->maxstack,
           rt_code_nconsts(code));
    for (uint32_t i = 0; i < m->nwords; i++) {
        uint32_t w = bc[i], op = VM_OP(w);
        printf("%4u  %-10s %d\n", i, op < OP_COUNT_ ? names[op] : "?", VM_SA(w));
        if (vm_op_has_word(op)) {
            i++;
            printf("%4u    .word    %u\n", i, bc[i]);
        }
    }
    fflush(stdout);
    return RT_NIL;
}

/* (KONS:GC &key full): a minor collection, or with :FULL T a complete one (the major
 * cycle finished at once). As SB-EXT:GC. */
static rt_value p_gc(rt_value *a, size_t n)
{
    bool full = false;
    if (n % 2)
        rt_error("PROGRAM-ERROR", "odd number of keyword arguments to KONS:GC");
    for (size_t i = 0; i < n; i += 2) {
        if (a[i] != rt_intern_c("FULL", "KEYWORD"))
            rt_error("PROGRAM-ERROR", "unknown keyword argument to KONS:GC (only :FULL)");
        full = !rt_null(a[i + 1]);
    }
    if (full)
        rt_gc_full();
    else
        rt_gc_minor();
    return RT_NIL;
}

/* (KONS:POSIX-GETENV name): the environment variable's value, or NIL. */
static rt_value p_posix_getenv(rt_value *a, size_t n)
{
    (void)n;
    if (!rt_stringp(a[0]))
        rt_type_error(a[0], "string");
    char *name = rt_string_to_utf8(a[0], NULL);
    const char *v = getenv(name);
    free(name);
    return v ? rt_string_from_cstr(v) : RT_NIL;
}

const rt_prim_def rt_vm_prims[] = {
    {"KONS", "GC", p_gc, 0, 2},
    {"KONS", "POSIX-GETENV", p_posix_getenv, 1, 1},
    {"KONS-SYSTEM", "%DISASSEMBLE", p_disassemble, 1, 1},
    {"COMMON-LISP", "GET-INTERNAL-REAL-TIME", p_get_internal_real_time, 0, 0},
    {"COMMON-LISP", "GET-INTERNAL-RUN-TIME", p_get_internal_run_time, 0, 0},
    {"COMMON-LISP", "FUNCALL", p_funcall, 1, -1},
    {"COMMON-LISP", "APPLY", p_apply, 2, -1},
    {"COMMON-LISP", "VALUES", p_values, 0, -1},
    {"COMMON-LISP", "VALUES-LIST", p_values_list, 1, 1},
    {"COMMON-LISP", "EVAL", p_eval, 1, 1},
    {"COMMON-LISP", "COMPILE", p_compile, 1, 2},
    {"COMMON-LISP", "LOAD", p_load, 1, -1},
    {"COMMON-LISP", "MACROEXPAND-1", p_macroexpand_1, 1, 2},
    {"COMMON-LISP", "MACROEXPAND", p_macroexpand, 1, 2},
    {"COMMON-LISP", "MACRO-FUNCTION", p_macro_function, 1, 2},
    {"COMMON-LISP", "SYMBOL-FUNCTION", p_symbol_function, 1, 1},
    {"COMMON-LISP", "FDEFINITION", p_fdefinition, 1, 1},
    {"COMMON-LISP", "FBOUNDP", p_fboundp, 1, 1},
    {"COMMON-LISP", "FMAKUNBOUND", p_fmakunbound, 1, 1},
    {"COMMON-LISP", "SPECIAL-OPERATOR-P", p_special_operator_p, 1, 1},
    {"COMMON-LISP", "BOUNDP", p_boundp, 1, 1},
    {"COMMON-LISP", "SYMBOL-VALUE", p_symbol_value, 1, 1},
    {"COMMON-LISP", "SET", p_set, 2, 2},
    {"COMMON-LISP", "MAKUNBOUND", p_makunbound, 1, 1},
    {"COMMON-LISP", "CONSTANTP", p_constantp, 1, 2},
    {"COMMON-LISP", "FUNCTIONP", p_functionp, 1, 1},
    {"COMMON-LISP", "COMPILED-FUNCTION-P", p_functionp, 1, 1},
    {"COMMON-LISP", "FUNCTION-LAMBDA-EXPRESSION", p_function_lambda_expression, 1, 1},
    {"COMMON-LISP", "PROCLAIM", p_proclaim, 1, 1},
    {"KONS-SYSTEM", "%DEFUN", p_defun, 2, 2},
    {"KONS-SYSTEM", "%DEFMACRO", p_defmacro, 2, 2},
    {"KONS-SYSTEM", "%SET-MACRO-FUNCTION", p_set_macro_function, 2, 2},
    {"KONS-SYSTEM", "%SET-FDEFINITION", p_set_fdefinition, 2, 2},
    {"KONS-SYSTEM", "%PROCLAIM-SPECIAL", p_proclaim_special, 1, 1},
    {"KONS-SYSTEM", "%PROCLAIM-CONSTANT", p_proclaim_constant, 2, 2},
    {"KONS-SYSTEM", "%SPECIALP", p_specialp, 1, 1},
    {"KONS-SYSTEM", "%FUNCTION-NAME", p_function_name, 1, 1},
    {"KONS-SYSTEM", "%CLOSUREP", p_closurep, 1, 1},
    {"KONS-SYSTEM", "%BACKTRACE-LIST", p_backtrace_list, 0, 0},
    {"KONS-SYSTEM", "%COMPILE-FORM", p_compile_form, 1, 1},
    {"KONS-SYSTEM", "%QQ-LIST", p_qq_list, 0, -1},
    {"KONS-SYSTEM", "%QQ-LIST*", p_qq_liststar, 1, -1},
    {"KONS-SYSTEM", "%QQ-APPEND", p_qq_append, 0, -1},
    {"KONS-SYSTEM", "%QQ-VECTOR", p_qq_vector, 1, 1},
    {"KONS", "QUIT", p_quit, 0, 1},
    {"KONS", "EXIT", p_quit, 0, 1},
};
const size_t rt_vm_prims_count = COUNTOF(rt_vm_prims);

static const rt_prim_def vm_macros[] = {
    {"COMMON-LISP", "DEFUN", m_defun, 2, 2},
    {"COMMON-LISP", "DEFMACRO", m_defmacro, 2, 2},
    {"COMMON-LISP", "LAMBDA", m_lambda, 2, 2},
    {"COMMON-LISP", "DESTRUCTURING-BIND", m_dbind, 2, 2},
    {"KONS-SYSTEM", "QUASIQUOTE", m_quasiquote, 2, 2},
};

void vm_define_macros(void);
void vm_define_macros(void)
{
    rt_value units = rt_intern_c("INTERNAL-TIME-UNITS-PER-SECOND", "COMMON-LISP");
    rt_set_symbol_value(units, rt_fixnum(1000000));
    vm_set_symbol_flag(units, RT_SYMF_CONSTANT | RT_SYMF_SPECIAL, true);
    rt_define_primitives(vm_macros, COUNTOF(vm_macros));
    for (size_t i = 0; i < COUNTOF(vm_macros); i++)
        vm_set_symbol_flag(rt_intern_c(vm_macros[i].name, vm_macros[i].package), RT_SYMF_MACRO, true);
}
