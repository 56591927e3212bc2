/* runtime/compiler.c: s-expressions to bytecode, in two passes.
 *
 *  1. conv: macroexpands and resolves scopes, building a small tree (nodes in a
 *     malloc'd arena). It learns which variables are captured by closures and which
 *     are assigned, and which blocks/tags are exited non-locally.
 *  2. cg: emits bytecode for each function, innermost first, with a static operand stack
 *     depth (so frames are sized at compile time).
 *
 * GC: the tree never holds a Lisp value directly. Every value it refers to (constants,
 * symbols, code objects, macro functions) is in cx->vals, an array the GC scans
 * (vm_compiler_scan); nodes hold indices. Forms being converted are rooted with RT_ROOTS
 * because macro expansion runs Lisp code that allocates.
 */
#include "vm_internal.h"

#include "rt/printer.h"

#include <stdlib.h>
#include <string.h>

typedef struct node node;
typedef struct var var;
typedef struct fun fun;
typedef struct blk blk;
typedef struct env env;

struct var {
    int sym;          /* cidx of the name, -1 for hidden variables */
    fun *owner;
    int slot;         /* frame slot (set by cg) */
    bool special, captured, assigned;
    int refs;         /* references (for the OR pattern) */
};

enum pkind { P_REQ, P_OPT, P_REST, P_KEY };
typedef struct param {
    enum pkind kind;
    var *v;
    node *init;       /* NULL: NIL */
    var *svar;        /* supplied-p, or NULL */
    int key;          /* cidx of the keyword */
} param;

struct fun {
    fun *parent;
    var **free;
    int nfree, capfree;
    param *params;
    int nparams, capparams;
    bool has_opt, has_rest, has_key, allow_other_keys;
    node *body;
    int name;         /* cidx */
    int ll;           /* cidx of the lambda list (debug info), -1 if none */
};

struct blk {
    int name;         /* cidx (block name) */
    fun *owner;
    int dyn;          /* cx->dyn when established */
    bool needs_entry;
    var *tagvar;      /* holds the unique tag when needs_entry */
    /* cg */
    bool mv, tail;
    int depth, entries;
    int end_label;
    int *fixups;
    int nfixups, capfixups;
    /* tagbody */
    int ntags;
    int *tag_syms;    /* cidx */
    int *tag_pos;     /* code positions */
};

enum nk {
    N_CONST, N_VAR, N_SETVAR, N_GVAR, N_SETG, N_FREF, N_IF, N_PROGN, N_LET, N_LETSTAR,
    N_LAMBDA, N_CALL, N_GCALL, N_PRIM, N_BLOCK, N_RETFROM, N_TAGBODY, N_LABEL, N_GO,
    N_CATCH, N_THROW, N_UWP, N_MVCALL, N_MVPROG1, N_PROGV, N_LABELS, N_MVBIND
};

struct node {
    enum nk k;
    int c;            /* cidx (const, symbol, fdefn) */
    int op, n;
    var *v;
    var **vars;
    node *a, *b, *d;
    node **args;
    int nargs;
    fun *fn;
    blk *blk;
};

enum envk { E_VAR, E_SPECIAL, E_FUN, E_MACRO, E_SMAC, E_BLOCK, E_TAGS };
struct env {
    enum envk k;
    int sym;
    var *v;
    int val;
    blk *b;
    env *next;
};

typedef struct arena_blk {
    struct arena_blk *next;
    size_t used, cap;
    char data[];
} arena_blk;

typedef struct cx {
    rt_value *vals;
    size_t nvals, capvals;
    arena_blk *arena;
    int dyn;
    int depth;
    struct cx *prev;
} cx;

/* The running thread's compiles in progress, innermost first (per thread: a compile may
 * be switched out while a macro it expands runs, and another thread compile meanwhile). */
#define active_cx (vm_current->compile_cx)

/* The OR pattern (JTK). (It once seemed to break GC torture runs: the cause was stale
 * stack words scanned while &rest lists were consed, fixed in parse_args.) */
static const bool vm_jtk_enabled = true;

void vm_compiler_scan(struct cx *chain, rt_slot_visitor visit, void *ctx)
{
    for (cx *c = chain; c; c = c->prev)
        for (size_t i = 0; i < c->nvals; i++)
            visit(&c->vals[i], ctx);
}

static void *alloc(cx *c, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!c->arena || c->arena->used + n > c->arena->cap) {
        size_t cap = n > 65536 ? n : 65536;
        arena_blk *b = malloc(sizeof *b + cap);
        if (!b)
            abort();
        b->next = c->arena;
        b->used = 0;
        b->cap = cap;
        c->arena = b;
    }
    void *p = c->arena->data + c->arena->used;
    c->arena->used += n;
    memset(p, 0, n);
    return p;
}

static int addv(cx *c, rt_value v)
{
    if (c->nvals == c->capvals) {
        c->capvals = c->capvals ? c->capvals * 2 : 256;
        c->vals = realloc(c->vals, c->capvals * sizeof *c->vals);
        if (!c->vals)
            abort();
    }
    c->vals[c->nvals] = v;
    return (int)c->nvals++;
}
#define V(i) (c->vals[(i)])

static _Noreturn void syntax_error(const char *what, rt_value form)
{
    (void)form;
    rt_error("PROGRAM-ERROR", "%s", what);
}

static size_t list_len(rt_value l)
{
    size_t n = 0;
    for (; rt_consp(l); l = form_cdr(l))
        n++;
    return n;
}

static rt_value second(rt_value l) { return form_car(form_cdr(l)); }

/* ---- Environments ----------------------------------------------------------------- */

static env *env_push(cx *c, env *next, enum envk k, int sym)
{
    env *e = alloc(c, sizeof *e);
    e->k = k;
    e->sym = sym;
    e->next = next;
    return e;
}

static env *lookup_var(cx *c, env *e, rt_value sym)
{
    for (; e; e = e->next)
        if ((e->k == E_VAR || e->k == E_SPECIAL || e->k == E_SMAC) && rt_eq(V(e->sym), sym))
            return e;
    return NULL;
}

static env *lookup_fun(cx *c, env *e, rt_value sym)
{
    for (; e; e = e->next)
        if ((e->k == E_FUN || e->k == E_MACRO) && rt_equal(V(e->sym), sym))
            return e;
    return NULL;
}

/* The lexical environment as a Lisp object for macro functions and macroexpand:
 * a list of (:macro name . fn) (:function name) (:symbol-macro name . expansion)
 * (:variable name), innermost first. NIL for the global environment. */
static rt_value env_to_lisp(cx *c, env *e)
{
    bool any = false;
    for (env *p = e; p; p = p->next)
        if (p->k == E_MACRO || p->k == E_SMAC || p->k == E_FUN)
            any = true;
    if (!any)
        return RT_NIL;
    int n = 0;
    for (env *p = e; p; p = p->next)
        n++;
    env **v = malloc(sizeof *v * (size_t)n);
    n = 0;
    for (env *p = e; p; p = p->next)
        v[n++] = p;
    rt_value list = RT_NIL, item = RT_NIL;
    RT_ROOTS(list, item);
    for (int i = n; i-- > 0;) {
        env *p = v[i];
        switch (p->k) {
        case E_MACRO:
            item = rt_cons(V(p->sym), V(p->val));
            item = rt_cons(vm_s_kw_macro, item);
            break;
        case E_SMAC:
            item = rt_cons(V(p->sym), V(p->val));
            item = rt_cons(vm_s_kw_smacro, item);
            break;
        case E_FUN:
            item = rt_cons(V(p->sym), RT_NIL);
            item = rt_cons(vm_s_kw_fun, item);
            break;
        case E_VAR:
            item = rt_cons(V(p->sym), RT_NIL);
            item = rt_cons(vm_s_kw_var, item);
            break;
        default:
            continue;
        }
        list = rt_cons(item, list);
    }
    free(v);
    return list;
}

/* Macro expansion against a Lisp environment object (see env_to_lisp). */
static rt_value lisp_env_lookup(rt_value lenv, rt_value kind1, rt_value kind2, rt_value sym)
{
    for (; rt_consp(lenv); lenv = form_cdr(lenv)) {
        rt_value it = form_car(lenv);
        if ((rt_eq(form_car(it), kind1) || rt_eq(form_car(it), kind2)) && rt_equal(second(it), sym))
            return it;
    }
    return RT_NIL;
}

rt_value rt_macroexpand_1(rt_value form, rt_value lenv, bool *expanded)
{
    RT_ROOTS(form, lenv);
    *expanded = false;
    if (rt_symbolp(form)) {
        rt_value it = lisp_env_lookup(lenv, vm_s_kw_smacro, vm_s_kw_var, form);
        if (!rt_null(it)) {
            if (rt_eq(form_car(it), vm_s_kw_smacro)) {
                *expanded = true;
                return form_cdr(form_cdr(it));
            }
            return form;
        }
        return form;
    }
    if (!rt_consp(form) || !rt_symbolp(form_car(form)))
        return form;
    rt_value head = form_car(form), fn = RT_NIL;
    rt_value it = lisp_env_lookup(lenv, vm_s_kw_macro, vm_s_kw_fun, head);
    if (!rt_null(it)) {
        if (!rt_eq(form_car(it), vm_s_kw_macro))
            return form;
        fn = form_cdr(form_cdr(it));
    } else if (vm_symbol_flag(head, RT_SYMF_MACRO)) {
        fn = rt_fdefinition_or_unbound(head);
    } else
        return form;
    rt_value args[2] = {form, lenv};
    rt_value r = rt_funcall(fn, 2, args);
    *expanded = true;
    return r;
}

rt_value rt_macroexpand(rt_value form, rt_value lenv, bool *expanded)
{
    RT_ROOTS(form, lenv);
    bool any = false, e = true;
    while (e) {
        form = rt_macroexpand_1(form, lenv, &e);
        any |= e;
    }
    *expanded = any;
    return form;
}

/* ---- Conversion to the tree --------------------------------------------------------- */

static node *conv(cx *c, env *e, fun *f, rt_value form);
static node *conv_body(cx *c, env *e, fun *f, rt_value body);
static fun *conv_lambda(cx *c, env *e, fun *parent, rt_value name, rt_value ll, rt_value body);

static node *mk(cx *c, enum nk k)
{
    node *n = alloc(c, sizeof *n);
    n->k = k;
    return n;
}

static node *mk_const(cx *c, rt_value v)
{
    node *n = mk(c, N_CONST);
    n->c = addv(c, v);
    return n;
}

static var *mk_var(cx *c, int sym, fun *owner)
{
    var *v = alloc(c, sizeof *v);
    v->sym = sym;
    v->owner = owner;
    v->slot = -1;
    return v;
}

/* A reference to v from function f: v is captured when f is not its owner; every
 * function between f and the owner closes over it. */
static void note_ref(cx *c, fun *f, var *v)
{
    for (fun *g = f; g && g != v->owner; g = g->parent) {
        v->captured = true;
        int i;
        for (i = 0; i < g->nfree; i++)
            if (g->free[i] == v)
                break;
        if (i < g->nfree)
            continue;
        if (g->nfree == g->capfree) {
            g->capfree = g->capfree ? g->capfree * 2 : 8;
            var **nf = alloc(c, sizeof *nf * (size_t)g->capfree);
            if (g->nfree)
                memcpy(nf, g->free, sizeof *nf * (size_t)g->nfree);
            g->free = nf;
        }
        g->free[g->nfree++] = v;
    }
}

static node *mk_ref(cx *c, fun *f, var *v)
{
    node *n = mk(c, N_VAR);
    n->v = v;
    v->refs++;
    note_ref(c, f, v);
    return n;
}

static bool globally_special(rt_value sym) { return vm_symbol_flag(sym, RT_SYMF_SPECIAL); }

static bool constant_symbol(rt_value sym)
{
    return rt_null(sym) || rt_eq(sym, RT_T) || vm_symbol_flag(sym, RT_SYMF_CONSTANT | RT_SYMF_KEYWORD);
}

/* Declarations at the head of a body: returns the rest of the body; specials get the
 * names declared special (a Lisp list, rooted by the caller). */
static rt_value parse_decls(cx *c, rt_value body, rt_value *specials, bool allow_doc)
{
    (void)c;
    rt_value d = RT_NIL, sl = RT_NIL;
    RT_ROOTS(body, d, sl);
    for (; rt_consp(body); body = form_cdr(body)) {
        rt_value f = form_car(body);
        if (allow_doc && rt_stringp(f) && rt_consp(form_cdr(body))) {
            allow_doc = false;
            continue;
        }
        if (!rt_consp(f) || !rt_eq(form_car(f), vm_s_declare))
            break;
        for (d = form_cdr(f); rt_consp(d); d = form_cdr(d)) {
            rt_value spec = form_car(d);
            if (rt_consp(spec) && rt_eq(form_car(spec), vm_s_special))
                for (sl = form_cdr(spec); rt_consp(sl); sl = form_cdr(sl))
                    *specials = rt_cons(form_car(sl), *specials);
        }
    }
    return body;
}

static bool memq_list(rt_value x, rt_value l)
{
    for (; rt_consp(l); l = form_cdr(l))
        if (rt_eq(form_car(l), x))
            return true;
    return false;
}

/* Binds sym as a new variable in env: lexical, or special when declared/proclaimed. */
static env *bind_var(cx *c, env *e, fun *f, rt_value sym, rt_value specials, var **out)
{
    if (!rt_symbolp(sym))
        rt_type_error(sym, "symbol");
    if (constant_symbol(sym))
        rt_error("PROGRAM-ERROR", "cannot bind a constant as a variable");
    int si = addv(c, sym);
    var *v = mk_var(c, si, f);
    v->special = globally_special(sym) || memq_list(sym, specials);
    *out = v;
    env *ne = env_push(c, e, E_VAR, si);
    ne->v = v;
    return ne;
}

/* Free special declarations (names not bound here) apply to the body. */
static env *free_specials(cx *c, env *e, rt_value specials, rt_value bound)
{
    for (; rt_consp(specials); specials = form_cdr(specials)) {
        rt_value s = form_car(specials);
        if (!memq_list(s, bound))
            e = env_push(c, e, E_SPECIAL, addv(c, s));
    }
    return e;
}

static node *conv_progn(cx *c, env *e, fun *f, rt_value forms)
{
    RT_ROOTS(forms);
    size_t n = list_len(forms);
    if (n == 0)
        return mk_const(c, RT_NIL);
    if (n == 1)
        return conv(c, e, f, form_car(forms));
    node *p = mk(c, N_PROGN);
    p->args = alloc(c, sizeof(node *) * n);
    for (size_t i = 0; i < n; i++) {
        p->args[i] = conv(c, e, f, form_car(forms));
        forms = form_cdr(forms);
    }
    p->nargs = (int)n;
    return p;
}

/* A body with declarations (locally, let, lambda without the lambda list). */
static node *conv_body(cx *c, env *e, fun *f, rt_value body)
{
    rt_value specials = RT_NIL;
    RT_ROOTS(body, specials);
    body = parse_decls(c, body, &specials, false);
    e = free_specials(c, e, specials, RT_NIL);
    return conv_progn(c, e, f, body);
}

static node *conv_let(cx *c, env *e, fun *f, rt_value form, bool star)
{
    rt_value bindings = second(form), body = form_cdr(form_cdr(form)), specials = RT_NIL, bound = RT_NIL;
    RT_ROOTS(form, bindings, body, specials, bound);
    body = parse_decls(c, body, &specials, false);
    size_t n = list_len(bindings);
    node *l = mk(c, star ? N_LETSTAR : N_LET);
    l->vars = alloc(c, sizeof(var *) * (n + 1));
    l->args = alloc(c, sizeof(node *) * (n + 1));
    l->nargs = (int)n;
    env *ne = e;
    bool any_special = false;
    for (size_t i = 0; i < n; i++, bindings = form_cdr(bindings)) {
        rt_value b = form_car(bindings), sym, init = RT_NIL;
        if (rt_consp(b)) {
            sym = form_car(b);
            if (rt_consp(form_cdr(b)))
                init = second(b);
        } else
            sym = b;
        RT_ROOTS(sym);
        l->args[i] = conv(c, star ? ne : e, f, init);
        bound = rt_cons(sym, bound);
        ne = bind_var(c, ne, f, sym, specials, &l->vars[i]);
        any_special |= l->vars[i]->special;
    }
    ne = free_specials(c, ne, specials, bound);
    if (any_special)
        c->dyn++;
    l->a = conv_progn(c, ne, f, body);
    if (any_special)
        c->dyn--;
    return l;
}

static rt_value make_keyword(rt_value sym)
{
    if (!rt_symbolp(sym))
        rt_type_error(sym, "symbol");
    rt_value st;
    return rt_intern(rt_symbol_name(sym), rt_pkg_keyword, &st);
}

static void add_param(cx *c, fun *f, param p)
{
    if (f->nparams == f->capparams) {
        f->capparams = f->capparams ? f->capparams * 2 : 8;
        param *np = alloc(c, sizeof *np * (size_t)f->capparams);
        if (f->nparams)
            memcpy(np, f->params, sizeof *np * (size_t)f->nparams);
        f->params = np;
    }
    f->params[f->nparams++] = p;
}

static fun *conv_lambda(cx *c, env *e, fun *parent, rt_value name, rt_value ll, rt_value body)
{
    rt_value specials = RT_NIL, aux = RT_NIL, bound = RT_NIL;
    RT_ROOTS(name, ll, body, specials, aux, bound);
    fun *f = alloc(c, sizeof *f);
    f->parent = parent;
    f->name = addv(c, name);
    f->ll = addv(c, ll);
    body = parse_decls(c, body, &specials, true);
    int saved_dyn = c->dyn;
    c->dyn = 0;
    enum { S_REQ, S_OPT, S_REST, S_KEY, S_AUX } state = S_REQ;
    for (; rt_consp(ll); ll = form_cdr(ll)) {
        rt_value p = form_car(ll);
        RT_ROOTS(p);
        if (rt_eq(p, vm_s_optional)) { state = S_OPT; f->has_opt = true; continue; }
        if (rt_eq(p, vm_s_rest) || rt_eq(p, vm_s_body)) { state = S_REST; continue; }
        if (rt_eq(p, vm_s_key)) { state = S_KEY; f->has_key = true; continue; }
        if (rt_eq(p, vm_s_allow_other_keys)) { f->allow_other_keys = true; continue; }
        if (rt_eq(p, vm_s_aux)) { state = S_AUX; continue; }
        if (state == S_AUX) {
            aux = rt_cons(p, aux);
            continue;
        }
        param pr = {0};
        rt_value sym = p, init = RT_NIL, svar = RT_NIL, key = RT_NIL;
        RT_ROOTS(sym, init, svar, key);
        if (state == S_REQ) {
            pr.kind = P_REQ;
        } else if (state == S_REST) {
            pr.kind = P_REST;
            f->has_rest = true;
        } else {
            pr.kind = state == S_OPT ? P_OPT : P_KEY;
            if (rt_consp(p)) {
                sym = form_car(p);
                if (rt_consp(form_cdr(p))) {
                    init = second(p);
                    if (rt_consp(form_cdr(form_cdr(p))))
                        svar = form_car(form_cdr(form_cdr(p)));
                }
            }
            if (state == S_KEY) {
                if (rt_consp(sym)) {
                    key = form_car(sym);
                    sym = second(sym);
                } else
                    key = make_keyword(sym);
                pr.key = addv(c, key);
            }
            if (!rt_null(init))
                pr.init = conv(c, e, f, init);
        }
        bound = rt_cons(sym, bound);
        e = bind_var(c, e, f, sym, specials, &pr.v);
        if (!rt_null(svar)) {
            bound = rt_cons(svar, bound);
            e = bind_var(c, e, f, svar, specials, &pr.svar);
        }
        add_param(c, f, pr);
    }
    if (!rt_null(ll))
        syntax_error("malformed lambda list", ll);
    e = free_specials(c, e, specials, bound);
    if (!rt_null(aux)) {
        /* &aux: a let* around the body */
        aux = rt_nreverse(aux);
        rt_value form = rt_cons(aux, body);
        form = rt_cons(vm_s_letstar, form);
        body = rt_cons(form, RT_NIL);
    }
    f->body = conv_progn(c, e, f, body);
    c->dyn = saved_dyn;
    return f;
}

/* ---- quasiquote ------------------------------------------------------------------- */

static bool qq_is(rt_value x, rt_value op)
{
    return rt_consp(x) && rt_eq(form_car(x), op) && rt_consp(form_cdr(x));
}

static rt_value list2(rt_value a, rt_value b)
{
    RT_ROOTS(a, b);
    rt_value l = rt_cons(b, RT_NIL);
    return rt_cons(a, l);
}

static rt_value list3(rt_value a, rt_value b, rt_value d)
{
    RT_ROOTS(a, b, d);
    rt_value l = rt_cons(d, RT_NIL);
    l = rt_cons(b, l);
    return rt_cons(a, l);
}

static rt_value qq(rt_value x, int level);

/* Expansion of a quasiquoted list: (%qq-append seg1 seg2 ... tail) where each segment
 * is (%qq-list e...) or a spliced form. */
static rt_value qq_list(rt_value x, int level)
{
    rt_value segs = RT_NIL, cur = RT_NIL, item = RT_NIL;
    RT_ROOTS(x, segs, cur, item);
    for (; rt_consp(x); x = form_cdr(x)) {
        if (rt_eq(form_car(x), vm_s_unquote) && rt_consp(form_cdr(x)) && rt_null(form_cdr(form_cdr(x))))
            break; /* dotted ,x tail: (a . ,b) reads as (a unquote b) */
        rt_value el = form_car(x);
        RT_ROOTS(el);
        if (level == 1 && (qq_is(el, vm_s_unquote_splicing) || qq_is(el, vm_s_unquote_nsplicing))) {
            if (!rt_null(cur)) {
                cur = rt_nreverse(cur);
                cur = rt_cons(vm_s_qq_list, cur);
                segs = rt_cons(cur, segs);
                cur = RT_NIL;
            }
            item = second(el);
            if (rt_eq(form_car(el), vm_s_unquote_splicing))
                item = list2(vm_s_qq_append, item); /* copy: the tail segment is not copied */
            segs = rt_cons(item, segs);
        } else {
            item = qq(el, level);
            cur = rt_cons(item, cur);
        }
    }
    /* tail */
    rt_value tail;
    if (rt_consp(x)) /* (unquote e) as the tail */
        tail = level == 1 ? second(x) : qq(x, level);
    else if (rt_null(x))
        tail = RT_NIL;
    else
        tail = qq(x, level);
    RT_ROOTS(tail);
    if (!rt_null(cur)) {
        cur = rt_nreverse(cur);
        cur = rt_cons(vm_s_qq_list, cur);
        segs = rt_cons(cur, segs);
    }
    if (!rt_null(tail))
        segs = rt_cons(tail, segs);
    else
        segs = rt_cons(RT_NIL, segs);
    segs = rt_nreverse(segs);
    return rt_cons(vm_s_qq_append, segs);
}

static rt_value qq(rt_value x, int level)
{
    RT_ROOTS(x);
    if (!rt_consp(x)) {
        if (rt_simple_vector_p(x)) {
            size_t n = rt_vector_length(x);
            rt_value l = RT_NIL;
            RT_ROOTS(l);
            for (size_t i = n; i-- > 0;)
                l = rt_cons(rt_body(x)[i], l);
            l = qq_list(l, level);
            return list2(vm_s_qq_vector, l);
        }
        if (rt_symbolp(x) && !rt_null(x) && !rt_eq(x, RT_T) && !vm_symbol_flag(x, RT_SYMF_KEYWORD))
            return list2(vm_s_quote, x);
        if (rt_consp(x) || rt_symbolp(x))
            return x;
        return x; /* self-evaluating */
    }
    if (qq_is(x, vm_s_unquote)) {
        if (level == 1)
            return second(x);
        rt_value in = qq(second(x), level - 1);
        RT_ROOTS(in);
        rt_value q = list2(vm_s_quote, vm_s_unquote);
        return list3(vm_s_qq_list, q, in);
    }
    if (qq_is(x, vm_s_quasiquote)) {
        rt_value in = qq(second(x), level + 1);
        RT_ROOTS(in);
        rt_value q = list2(vm_s_quote, vm_s_quasiquote);
        return list3(vm_s_qq_list, q, in);
    }
    if (qq_is(x, vm_s_unquote_splicing) || qq_is(x, vm_s_unquote_nsplicing)) {
        if (level == 1)
            rt_error("PROGRAM-ERROR", ",@ after backquote in an illegal position");
        rt_value op = form_car(x);
        RT_ROOTS(op);
        rt_value in = qq(second(x), level - 1);
        RT_ROOTS(in);
        rt_value q = list2(vm_s_quote, op);
        return list3(vm_s_qq_list, q, in);
    }
    return qq_list(x, level);
}

rt_value vm_quasiquote_expand(rt_value x);
rt_value vm_quasiquote_expand(rt_value x) { return qq(x, 1); }

/* ---- special forms ------------------------------------------------------------------ */

static blk *find_blk(cx *c, env *e, enum envk k, rt_value name, int *tagidx)
{
    for (; e; e = e->next) {
        if (e->k != k)
            continue;
        if (k == E_BLOCK) {
            if (rt_eq(V(e->b->name), name))
                return e->b;
        } else {
            for (int i = 0; i < e->b->ntags; i++)
                if (rt_eql(V(e->b->tag_syms[i]), name)) {
                    *tagidx = i;
                    return e->b;
                }
        }
    }
    return NULL;
}

static void note_exit(cx *c, fun *f, blk *b)
{
    if (b->owner != f || b->dyn != c->dyn)
        b->needs_entry = true;
    if (b->needs_entry && !b->tagvar)
        b->tagvar = mk_var(c, -1, b->owner);
}

static node *conv_function(cx *c, env *e, fun *f, rt_value x)
{
    RT_ROOTS(x);
    if (rt_consp(x) && rt_eq(form_car(x), vm_s_lambda)) {
        node *n = mk(c, N_LAMBDA);
        n->fn = conv_lambda(c, e, f, RT_NIL, second(x), form_cdr(form_cdr(x)));
        return n;
    }
    if (rt_consp(x) && rt_eq(form_car(x), vm_s_named_lambda)) {
        node *n = mk(c, N_LAMBDA);
        rt_value rest = form_cdr(x);
        RT_ROOTS(rest);
        n->fn = conv_lambda(c, e, f, form_car(rest), second(rest), form_cdr(form_cdr(rest)));
        return n;
    }
    env *fe = lookup_fun(c, e, x);
    if (fe && fe->k == E_FUN)
        return mk_ref(c, f, fe->v);
    if (!rt_symbolp(x) && !(rt_consp(x) && rt_eq(form_car(x), vm_s_setf)))
        syntax_error("FUNCTION: not a function name", x);
    if (rt_symbolp(x) && (vm_symbol_flag(x, RT_SYMF_MACRO) || vm_symbol_flag(x, RT_SYMF_SPECIAL_FORM)))
        rt_error("UNDEFINED-FUNCTION", "FUNCTION: %s names a macro or special operator", "symbol");
    node *n = mk(c, N_FREF);
    rt_value fd = rt_fdefn(x);
    n->c = addv(c, fd);
    addv(c, x);
    return n;
}

static node *conv_mvbind(cx *c, env *e, fun *f, rt_value rest);

static node *conv_special(cx *c, env *e, fun *f, rt_value form, rt_value head, bool *handled)
{
    RT_ROOTS(form, head);
    *handled = true;
    rt_value rest = form_cdr(form);
    RT_ROOTS(rest);
    if (rt_eq(head, vm_s_quote))
        return mk_const(c, form_car(rest));
    if (rt_eq(head, vm_s_if_)) {
        size_t n = list_len(rest);
        if (n < 2 || n > 3)
            syntax_error("IF: wrong number of arguments", form);
        node *x = mk(c, N_IF);
        x->a = conv(c, e, f, form_car(rest));
        x->b = conv(c, e, f, second(rest));
        x->d = n == 3 ? conv(c, e, f, form_car(form_cdr(form_cdr(rest)))) : mk_const(c, RT_NIL);
        return x;
    }
    if (rt_eq(head, vm_s_progn))
        return conv_progn(c, e, f, rest);
    if (rt_eq(head, vm_s_let))
        return conv_let(c, e, f, form, false);
    if (rt_eq(head, vm_s_letstar))
        return conv_let(c, e, f, form, true);
    if (rt_eq(head, vm_s_function))
        return conv_function(c, e, f, form_car(rest));
    if (rt_eq(head, vm_s_setq)) {
        size_t n = list_len(rest);
        if (n & 1)
            syntax_error("SETQ: odd number of arguments", form);
        if (n == 0)
            return mk_const(c, RT_NIL);
        node *p = mk(c, N_PROGN);
        p->args = alloc(c, sizeof(node *) * (n / 2));
        p->nargs = (int)(n / 2);
        for (size_t i = 0; i < n / 2; i++, rest = form_cdr(form_cdr(rest))) {
            rt_value sym = form_car(rest);
            RT_ROOTS(sym);
            if (!rt_symbolp(sym))
                syntax_error("SETQ: not a symbol", sym);
            env *ve = lookup_var(c, e, sym);
            if (ve && ve->k == E_SMAC) {
                rt_value setf = list3(vm_s_setf, V(ve->val), second(rest));
                p->args[i] = conv(c, e, f, setf);
                continue;
            }
            if (!ve && constant_symbol(sym))
                rt_error("PROGRAM-ERROR", "SETQ: cannot assign a constant");
            node *val = conv(c, e, f, second(rest));
            node *s;
            if (ve && ve->k == E_VAR && !ve->v->special) {
                s = mk(c, N_SETVAR);
                s->v = ve->v;
                ve->v->assigned = true;
                note_ref(c, f, ve->v);
            } else {
                s = mk(c, N_SETG);
                s->c = addv(c, sym);
            }
            s->a = val;
            p->args[i] = s;
        }
        return p->nargs == 1 ? p->args[0] : p;
    }
    if (rt_eq(head, vm_s_block)) {
        blk *b = alloc(c, sizeof *b);
        b->name = addv(c, form_car(rest));
        b->owner = f;
        b->dyn = c->dyn;
        env *ne = env_push(c, e, E_BLOCK, b->name);
        ne->b = b;
        node *x = mk(c, N_BLOCK);
        x->blk = b;
        x->a = conv_progn(c, ne, f, form_cdr(rest));
        return x;
    }
    if (rt_eq(head, vm_s_return_from)) {
        blk *b = find_blk(c, e, E_BLOCK, form_car(rest), NULL);
        if (!b)
            rt_error("PROGRAM-ERROR", "RETURN-FROM: no block named so is visible");
        note_exit(c, f, b);
        node *x = mk(c, N_RETFROM);
        x->blk = b;
        x->a = conv(c, e, f, rt_consp(form_cdr(rest)) ? second(rest) : RT_NIL);
        if (b->needs_entry && b->owner != f)
            note_ref(c, f, b->tagvar);
        x->n = c->dyn;
        return x;
    }
    if (rt_eq(head, vm_s_tagbody)) {
        blk *b = alloc(c, sizeof *b);
        b->owner = f;
        b->dyn = c->dyn;
        b->name = addv(c, RT_NIL);
        size_t n = list_len(rest);
        b->tag_syms = alloc(c, sizeof(int) * (n + 1));
        b->tag_pos = alloc(c, sizeof(int) * (n + 1));
        for (rt_value r = rest; rt_consp(r); r = form_cdr(r))
            if (!rt_consp(form_car(r)))
                b->tag_syms[b->ntags++] = addv(c, form_car(r));
        env *ne = env_push(c, e, E_TAGS, b->name);
        ne->b = b;
        node *x = mk(c, N_TAGBODY);
        x->blk = b;
        x->args = alloc(c, sizeof(node *) * (n + 1));
        int ti = 0;
        for (; rt_consp(rest); rest = form_cdr(rest)) {
            rt_value s = form_car(rest);
            if (rt_consp(s))
                x->args[x->nargs++] = conv(c, ne, f, s);
            else {
                node *l = mk(c, N_LABEL);
                l->n = ti++;
                x->args[x->nargs++] = l;
            }
        }
        return x;
    }
    if (rt_eq(head, vm_s_go)) {
        int idx = 0;
        blk *b = find_blk(c, e, E_TAGS, form_car(rest), &idx);
        if (!b)
            rt_error("PROGRAM-ERROR", "GO: no tag named so is visible");
        note_exit(c, f, b);
        if (b->needs_entry && b->owner != f)
            note_ref(c, f, b->tagvar);
        node *x = mk(c, N_GO);
        x->blk = b;
        x->n = idx;
        x->op = c->dyn;
        return x;
    }
    if (rt_eq(head, vm_s_catch_)) {
        node *x = mk(c, N_CATCH);
        x->a = conv(c, e, f, form_car(rest));
        c->dyn++;
        x->b = conv_progn(c, e, f, form_cdr(rest));
        c->dyn--;
        return x;
    }
    if (rt_eq(head, vm_s_throw_)) {
        node *x = mk(c, N_THROW);
        x->a = conv(c, e, f, form_car(rest));
        x->b = conv(c, e, f, second(rest));
        return x;
    }
    if (rt_eq(head, vm_s_unwind_protect)) {
        node *x = mk(c, N_UWP);
        c->dyn++;
        x->a = conv(c, e, f, form_car(rest));
        x->b = conv_progn(c, e, f, form_cdr(rest));
        c->dyn--;
        return x;
    }
    if (rt_eq(head, vm_s_flet) || rt_eq(head, vm_s_labels)) {
        bool labels = rt_eq(head, vm_s_labels);
        rt_value defs = form_car(rest), body = form_cdr(rest);
        RT_ROOTS(defs, body);
        size_t n = list_len(defs);
        node *x = mk(c, labels ? N_LABELS : N_LET);
        x->vars = alloc(c, sizeof(var *) * (n + 1));
        x->args = alloc(c, sizeof(node *) * (n + 1));
        x->nargs = (int)n;
        env *ne = e;
        rt_value d = defs;
        RT_ROOTS(d);
        for (size_t i = 0; i < n; i++, d = form_cdr(d)) {
            int si = addv(c, form_car(form_car(d)));
            x->vars[i] = mk_var(c, si, f);
            ne = env_push(c, ne, E_FUN, si);
            ne->v = x->vars[i];
        }
        d = defs;
        for (size_t i = 0; i < n; i++, d = form_cdr(d)) {
            rt_value def = form_car(d), name = form_car(def), bname = name;
            RT_ROOTS(def, name, bname);
            if (rt_consp(bname))
                bname = second(bname);
            /* the body is in a block named by the function */
            rt_value body2 = form_cdr(form_cdr(def)), specials = RT_NIL, decls = RT_NIL;
            RT_ROOTS(body2, specials, decls);
            rt_value after = parse_decls(c, body2, &specials, true), q = body2;
            RT_ROOTS(after, q);
            for (; !rt_eq(q, after); q = form_cdr(q))
                decls = rt_cons(form_car(q), decls);
            decls = rt_nreverse(decls);
            rt_value blockf = rt_cons(bname, after);
            blockf = rt_cons(vm_s_block, blockf);
            blockf = rt_cons(blockf, RT_NIL);
            decls = rt_append2(decls, blockf);
            node *l = mk(c, N_LAMBDA);
            l->fn = conv_lambda(c, labels ? ne : e, f, name, second(def), decls);
            x->args[i] = l;
        }
        if (labels)
            for (size_t i = 0; i < n; i++)
                x->vars[i]->assigned = true;
        x->a = conv_body(c, ne, f, body);
        return x;
    }
    if (rt_eq(head, vm_s_macrolet)) {
        rt_value defs = form_car(rest);
        RT_ROOTS(defs);
        env *ne = e;
        for (; rt_consp(defs); defs = form_cdr(defs)) {
            rt_value def = form_car(defs);
            RT_ROOTS(def);
            extern rt_value vm_make_macro_function(rt_value name, rt_value ll, rt_value body);
            rt_value fn = vm_make_macro_function(form_car(def), second(def), form_cdr(form_cdr(def)));
            int fi = addv(c, fn);
            ne = env_push(c, ne, E_MACRO, addv(c, form_car(def)));
            ne->val = fi;
        }
        return conv_body(c, ne, f, form_cdr(rest));
    }
    if (rt_eq(head, vm_s_symbol_macrolet)) {
        rt_value defs = form_car(rest);
        RT_ROOTS(defs);
        env *ne = e;
        for (; rt_consp(defs); defs = form_cdr(defs)) {
            rt_value def = form_car(defs);
            ne = env_push(c, ne, E_SMAC, addv(c, form_car(def)));
            ne->val = addv(c, second(def));
        }
        return conv_body(c, ne, f, form_cdr(rest));
    }
    if (rt_eq(head, vm_s_the))
        return conv(c, e, f, second(rest));
    if (rt_eq(head, vm_s_locally))
        return conv_body(c, e, f, rest);
    if (rt_eq(head, vm_s_load_time_value))
        return mk_const(c, rt_eval(form_car(rest)));
    if (rt_eq(head, vm_s_eval_when)) {
        for (rt_value s = form_car(rest); rt_consp(s); s = form_cdr(s))
            if (rt_eq(form_car(s), vm_s_kw_execute) || rt_eq(form_car(s), vm_s_eval))
                return conv_progn(c, e, f, form_cdr(rest));
        return mk_const(c, RT_NIL);
    }
    if (rt_eq(head, vm_s_multiple_value_call)) {
        node *mb = conv_mvbind(c, e, f, rest);
        if (mb)
            return mb;
        node *x = mk(c, N_MVCALL);
        x->a = conv(c, e, f, form_car(rest));
        rest = form_cdr(rest);
        size_t n = list_len(rest);
        x->args = alloc(c, sizeof(node *) * (n + 1));
        c->dyn++;
        for (; rt_consp(rest); rest = form_cdr(rest))
            x->args[x->nargs++] = conv(c, e, f, form_car(rest));
        c->dyn--;
        x->v = mk_var(c, -1, f);
        return x;
    }
    if (rt_eq(head, vm_s_multiple_value_prog1)) {
        node *x = mk(c, N_MVPROG1);
        x->a = conv(c, e, f, form_car(rest));
        c->dyn++;
        x->b = conv_progn(c, e, f, form_cdr(rest));
        c->dyn--;
        return x;
    }
    if (rt_eq(head, vm_s_progv)) {
        node *x = mk(c, N_PROGV);
        x->a = conv(c, e, f, form_car(rest));
        x->b = conv(c, e, f, second(rest));
        c->dyn++;
        x->d = conv_progn(c, e, f, form_cdr(form_cdr(rest)));
        c->dyn--;
        x->v = mk_var(c, -1, f);
        return x;
    }
    if (rt_eq(head, vm_s_quasiquote))
        return conv(c, e, f, qq(form_car(rest), 1));
    *handled = false;
    return NULL;
}

/* (multiple-value-call (lambda (&optional a b &rest r) . body) form), which is what
 * MULTIPLE-VALUE-BIND expands to: bound in place (no closure, no call, no &rest list
 * unless asked for). NULL when the shape does not fit. */
static node *conv_mvbind(cx *c, env *e, fun *f, rt_value rest)
{
    RT_ROOTS(rest);
    rt_value fn = form_car(rest);
    if (!rt_consp(form_cdr(rest)) || !rt_null(form_cdr(form_cdr(rest))))
        return NULL;
    if (rt_consp(fn) && rt_eq(form_car(fn), vm_s_function) && rt_consp(form_cdr(fn)))
        fn = second(fn);
    if (!rt_consp(fn) || !rt_eq(form_car(fn), vm_s_lambda) || !rt_consp(form_cdr(fn)))
        return NULL;
    rt_value ll = second(fn), body = form_cdr(form_cdr(fn)), specials = RT_NIL, bound = RT_NIL, restvar = RT_NIL;
    RT_ROOTS(fn, ll, body, specials, bound, restvar);
    int nvars = 0;
    for (rt_value l = ll; rt_consp(l); l = form_cdr(l)) {
        rt_value p = form_car(l);
        if (rt_eq(p, vm_s_optional))
            continue;
        if (rt_eq(p, vm_s_rest)) {
            rt_value t = form_cdr(l);
            if (!rt_consp(t) || !rt_symbolp(form_car(t)) || !rt_null(form_cdr(t)))
                return NULL;
            restvar = form_car(t);
            break;
        }
        if (!rt_symbolp(p) || vm_symbol_flag(p, RT_SYMF_CONSTANT | RT_SYMF_KEYWORD) || rt_null(p) ||
            rt_eq(p, RT_T) || rt_eq(p, vm_s_key) || rt_eq(p, vm_s_aux) || rt_eq(p, vm_s_body) ||
            rt_eq(p, vm_s_allow_other_keys) || rt_eq(p, vm_s_whole) || rt_eq(p, vm_s_environment))
            return NULL;
        nvars++;
    }
    node *x = mk(c, N_MVBIND);
    x->a = conv(c, e, f, second(rest));
    body = parse_decls(c, body, &specials, false);
    x->vars = alloc(c, sizeof(var *) * (size_t)(nvars + 1));
    x->nargs = nvars;
    x->n = rt_null(restvar) ? 0 : 1;
    env *ne = e;
    int i = 0;
    for (rt_value l = ll; rt_consp(l) && i < nvars; l = form_cdr(l)) {
        rt_value p = form_car(l);
        if (rt_eq(p, vm_s_optional))
            continue;
        RT_ROOTS(l, p);
        bound = rt_cons(p, bound);
        ne = bind_var(c, ne, f, p, specials, &x->vars[i++]);
    }
    if (x->n) {
        bound = rt_cons(restvar, bound);
        ne = bind_var(c, ne, f, restvar, specials, &x->v);
    }
    ne = free_specials(c, ne, specials, bound);
    bool any_special = x->n && x->v->special;
    for (int k = 0; k < nvars; k++)
        any_special |= x->vars[k]->special;
    if (any_special)
        c->dyn++;
    x->b = conv_progn(c, ne, f, body);
    if (any_special)
        c->dyn--;
    return x;
}

/* Inlined standard functions: (symbol, nargs) -> opcode. */
static int inline_op(rt_value head, size_t n)
{
    if (n == 2) {
        if (rt_eq(head, vm_s_plus)) return OP_ADD;
        if (rt_eq(head, vm_s_minus)) return OP_SUB;
        if (rt_eq(head, vm_s_lt)) return OP_LT;
        if (rt_eq(head, vm_s_gt)) return OP_GT;
        if (rt_eq(head, vm_s_le)) return OP_LE;
        if (rt_eq(head, vm_s_ge)) return OP_GE;
        if (rt_eq(head, vm_s_numeq)) return OP_NUMEQ;
        if (rt_eq(head, vm_s_eq)) return OP_EQ;
        if (rt_eq(head, vm_s_cons)) return OP_CONS;
        if (rt_eq(head, vm_s_svref)) return OP_SVREF;
        if (rt_eq(head, vm_s_rplaca)) return OP_RPLACA;
        if (rt_eq(head, vm_s_rplacd)) return OP_RPLACD;
    } else if (n == 1) {
        if (rt_eq(head, vm_s_oneplus)) return OP_ADD1;
        if (rt_eq(head, vm_s_oneminus)) return OP_SUB1;
        if (rt_eq(head, vm_s_car)) return OP_CAR;
        if (rt_eq(head, vm_s_cdr)) return OP_CDR;
        if (rt_eq(head, vm_s_not_) || rt_eq(head, vm_s_null)) return OP_NOT;
        if (rt_eq(head, vm_s_consp)) return OP_CONSP;
        if (rt_eq(head, vm_s_atom)) return OP_ATOM;
    }
    if (rt_eq(head, vm_s_values) && n < 256)
        return OP_VALUES;
    if (rt_eq(head, vm_s_list) && n < 256)
        return OP_LIST;
    return -1;
}

static node *conv_args(cx *c, env *e, fun *f, node *x, rt_value args)
{
    RT_ROOTS(args);
    size_t n = list_len(args);
    if (n >= VM_CALL_ARGUMENTS_LIMIT)
        rt_error("PROGRAM-ERROR", "a call with %zu arguments (CALL-ARGUMENTS-LIMIT is %d)", n,
                 VM_CALL_ARGUMENTS_LIMIT);
    x->args = alloc(c, sizeof(node *) * (n + 1));
    for (; rt_consp(args); args = form_cdr(args))
        x->args[x->nargs++] = conv(c, e, f, form_car(args));
    return x;
}

static node *conv(cx *c, env *e, fun *f, rt_value form)
{
    RT_ROOTS(form);
    if (++c->depth > 3000)
        rt_error("PROGRAM-ERROR", "form too deeply nested to compile");
    node *result;
    int expansions = 0;
    for (;; expansions++) {
        if (expansions > 100000)
            rt_error("PROGRAM-ERROR", "macro expansion does not terminate");
        if (rt_symbolp(form)) {
            if (constant_symbol(form)) {
                if (rt_null(form) || rt_eq(form, RT_T) || vm_symbol_flag(form, RT_SYMF_KEYWORD))
                    result = mk_const(c, form);
                else {
                    rt_value v = rt_body(form)[RT_SYM_VALUE];
                    if (v == RT_UNBOUND) {
                        result = mk(c, N_GVAR);
                        result->c = addv(c, form);
                    } else
                        result = mk_const(c, v);
                }
                break;
            }
            env *ve = lookup_var(c, e, form);
            if (ve && ve->k == E_SMAC) {
                form = V(ve->val);
                continue;
            }
            if (ve && ve->k == E_VAR && !ve->v->special) {
                result = mk_ref(c, f, ve->v);
                break;
            }
            result = mk(c, N_GVAR);
            result->c = addv(c, form);
            break;
        }
        if (!rt_consp(form)) {
            result = mk_const(c, form);
            break;
        }
        rt_value head = form_car(form);
        RT_ROOTS(head);
        if (rt_symbolp(head)) {
            env *fe = lookup_fun(c, e, head);
            if (fe && fe->k == E_MACRO) {
                rt_value lenv = env_to_lisp(c, e);
                rt_value args[2] = {form, lenv};
                form = rt_funcall(V(fe->val), 2, args);
                continue;
            }
            if (fe && fe->k == E_FUN) {
                node *x = mk(c, N_CALL);
                x->a = mk_ref(c, f, fe->v);
                result = conv_args(c, e, f, x, form_cdr(form));
                break;
            }
            if (vm_symbol_flag(head, RT_SYMF_SPECIAL_FORM)) {
                bool handled;
                result = conv_special(c, e, f, form, head, &handled);
                if (handled)
                    break;
            }
            if (vm_symbol_flag(head, RT_SYMF_MACRO)) {
                rt_value lenv = env_to_lisp(c, e);
                rt_value fn = rt_fdefinition_or_unbound(head);
                rt_value args[2] = {form, lenv};
                form = rt_funcall(fn, 2, args);
                continue;
            }
            size_t n = list_len(form_cdr(form));
            int aop = -1;
            if (rt_eq(head, vm_s_aref) && (n == 2 || n == 3))
                aop = n == 2 ? OP_AREF : OP_AREF2;
            else if (rt_eq(head, vm_s_pct_aset) && (n == 3 || n == 4))
                aop = n == 3 ? OP_ASET : OP_ASET2;
            else if ((rt_eq(head, vm_s_char_) || rt_eq(head, vm_s_schar)) && n == 2)
                aop = OP_CHAR;
            if (aop >= 0) {
                /* inlined fast paths that fall back on calling the function */
                node *x = mk(c, N_PRIM);
                x->op = aop;
                rt_value fd = rt_fdefn(head);
                x->c = addv(c, fd);
                addv(c, head);
                result = conv_args(c, e, f, x, form_cdr(form));
                break;
            }
            if (rt_eq(head, vm_s_numne) && n == 2) {
                /* (/= a b) is (not (= a b)) for two arguments, NaNs included; in a test
                 * it becomes one compare-and-jump */
                node *eqn = mk(c, N_PRIM);
                eqn->op = OP_NUMEQ;
                conv_args(c, e, f, eqn, form_cdr(form));
                node *x = mk(c, N_PRIM);
                x->op = OP_NOT;
                x->args = alloc(c, sizeof(node *));
                x->args[0] = eqn;
                x->nargs = 1;
                result = x;
                break;
            }
            int op = inline_op(head, n);
            if (op >= 0) {
                node *x = mk(c, N_PRIM);
                x->op = op;
                result = conv_args(c, e, f, x, form_cdr(form));
                break;
            }
            if (rt_eq(head, vm_s_apply) && n >= 2) {
                node *x = mk(c, N_CALL);
                x->op = 1; /* apply: the last argument is spread */
                x->a = conv(c, e, f, second(form));
                result = conv_args(c, e, f, x, form_cdr(form_cdr(form)));
                break;
            }
            if (rt_eq(head, vm_s_funcall) && n >= 1) {
                node *x = mk(c, N_CALL);
                x->a = conv(c, e, f, second(form));
                result = conv_args(c, e, f, x, form_cdr(form_cdr(form)));
                if (x->a->k == N_FREF) {
                    x->k = N_GCALL;
                    x->c = x->a->c;
                }
                break;
            }
            node *x = mk(c, N_GCALL);
            rt_value fd = rt_fdefn(head);
            x->c = addv(c, fd);
            addv(c, head);
            result = conv_args(c, e, f, x, form_cdr(form));
            break;
        }
        if (rt_consp(head) && rt_eq(form_car(head), vm_s_lambda)) {
            node *x = mk(c, N_CALL);
            x->a = conv_function(c, e, f, head);
            result = conv_args(c, e, f, x, form_cdr(form));
            break;
        }
        char *txt = vm_message_text(form);
        char buf[300];
        snprintf(buf, sizeof buf, "%s", txt);
        free(txt);
        rt_error("PROGRAM-ERROR", "illegal function call: %s", buf);
    }
    c->depth--;
    return result;
}

/* ---- Code generation ------------------------------------------------------------------ */

typedef struct fs {
    cx *c;
    fun *fn;
    uint32_t *code;
    int ncode, capcode;
    int *consts;     /* cidx */
    int nconsts, capconsts;
    int depth, maxdepth;
    int nslots, maxslots;
    int entries;     /* block/tagbody entries pushed at this point */
    int last_ins;    /* start of the last instruction (peephole) */
    int last_label;  /* code position of the last jump target */
} fs;

enum mode { M_EFFECT, M_VALUE, M_MV, M_TAIL };

static void emitw(fs *s, uint32_t w)
{
    if (s->ncode == s->capcode) {
        s->capcode = s->capcode ? s->capcode * 2 : 64;
        s->code = realloc(s->code, sizeof *s->code * (size_t)s->capcode);
        if (!s->code)
            abort();
    }
    s->code[s->ncode++] = w;
}

static void adj(fs *s, int d)
{
    s->depth += d;
    if (s->depth > s->maxdepth)
        s->maxdepth = s->depth;
}

static void emit(fs *s, int op, uint32_t a, int stack_delta)
{
    if (a > VM_A_MAX)
        rt_error("PROGRAM-ERROR", "function too large to compile");
    /* Peephole fusions, never across a jump target: FIX k + ADD/SUB -> ADDI/SUBI k;
     * LREF i + LREF j -> LREF2 i j. */
    if (s->ncode > 0 && s->last_label != s->ncode && s->last_ins == s->ncode - 1) {
        uint32_t prev = s->code[s->ncode - 1];
        if ((op == OP_ADD || op == OP_SUB) && VM_OP(prev) == OP_FIX) {
            s->code[s->ncode - 1] = VM_INS(op == OP_ADD ? OP_ADDI : OP_SUBI, VM_A(prev));
            adj(s, stack_delta);
            return;
        }
        if ((op == OP_CAR || op == OP_CDR) && VM_OP(prev) == OP_LREF) {
            s->code[s->ncode - 1] = VM_INS(op == OP_CAR ? OP_LCAR : OP_LCDR, VM_A(prev));
            adj(s, stack_delta);
            return;
        }
        if (op == OP_LREF && VM_OP(prev) == OP_LREF && a < 0xFFF && VM_A(prev) < 0xFFF) {
            s->code[s->ncode - 1] = VM_INS(OP_LREF2, VM_A(prev) | (a << 12));
            adj(s, stack_delta);
            return;
        }
    }
    s->last_ins = s->ncode;
    emitw(s, VM_INS(op, a));
    adj(s, stack_delta);
}

static int kconst(fs *s, int cidx)
{
    cx *c = s->c;
    for (int i = 0; i < s->nconsts; i++)
        if (c->vals[s->consts[i]] == c->vals[cidx])
            return i;
    if (s->nconsts == s->capconsts) {
        s->capconsts = s->capconsts ? s->capconsts * 2 : 16;
        s->consts = realloc(s->consts, sizeof *s->consts * (size_t)s->capconsts);
        if (!s->consts)
            abort();
    }
    s->consts[s->nconsts] = cidx;
    return s->nconsts++;
}

/* A pair of adjacent constants (fdefn, name) for calls and #'name. */
static int kconst_pair(fs *s, int cidx)
{
    cx *c = s->c;
    for (int i = 0; i + 1 < s->nconsts; i++)
        if (c->vals[s->consts[i]] == c->vals[cidx] && c->vals[s->consts[i + 1]] == c->vals[cidx + 1])
            return i;
    if (s->nconsts + 2 > s->capconsts) {
        s->capconsts = s->capconsts * 2 + 4;
        s->consts = realloc(s->consts, sizeof *s->consts * (size_t)s->capconsts);
        if (!s->consts)
            abort();
    }
    s->consts[s->nconsts++] = cidx;
    s->consts[s->nconsts++] = cidx + 1;
    return s->nconsts - 2;
}

static int new_slot(fs *s)
{
    int i = s->nslots++;
    if (s->nslots > s->maxslots)
        s->maxslots = s->nslots;
    return i;
}

static int label_here(fs *s) { return s->last_label = s->ncode; }

static int emit_jump(fs *s, int op, int stack_delta)
{
    emit(s, op, 0, stack_delta);
    return s->ncode - 1;
}

static void patch_jump(fs *s, int at, int target)
{
    if (vm_op_has_word(VM_OP(s->code[at]))) { /* JFL, JTL, JNEQK, JEQK: offset in the next word */
        s->code[at + 1] = (uint32_t)(target - (at + 2));
        return;
    }
    int off = target - (at + 1);
    s->code[at] = VM_INS(VM_OP(s->code[at]), (uint32_t)off & 0xFFFFFFu);
}

static bool boxed(var *v) { return v->captured && v->assigned; }

static int free_index(fs *s, var *v)
{
    for (int i = 0; i < s->fn->nfree; i++)
        if (s->fn->free[i] == v)
            return i;
    fprintf(stderr, "kons: compiler: free variable not found\n");
    abort();
}

/* Pushes the value of a lexical variable. raw: the box itself for boxed variables. */
static void emit_varref(fs *s, var *v, bool raw)
{
    if (v->owner == s->fn)
        emit(s, boxed(v) && !raw ? OP_LREFB : OP_LREF, (uint32_t)v->slot, 1);
    else
        emit(s, boxed(v) && !raw ? OP_CREFB : OP_CREF, (uint32_t)free_index(s, v), 1);
}

static rt_value cg_fun(cx *c, fun *f);
static bool cg(fs *s, node *n, enum mode m);

static void push_const(fs *s, int cidx)
{
    rt_value v = s->c->vals[cidx];
    if (rt_null(v))
        emit(s, OP_NIL, 0, 1);
    else if (rt_eq(v, RT_T))
        emit(s, OP_T, 0, 1);
    else if (rt_fixnump(v) && rt_fixnum_value(v) >= -(1 << 23) && rt_fixnum_value(v) < (1 << 23))
        emit(s, OP_FIX, (uint32_t)rt_fixnum_value(v) & 0xFFFFFFu, 1);
    else
        emit(s, OP_CONST, (uint32_t)kconst(s, cidx), 1);
}

/* Finishes a value-producing construct in mode m: EFFECT pops, TAIL returns. */
static bool finish(fs *s, enum mode m, bool mv)
{
    if (m == M_EFFECT)
        emit(s, OP_POP, 0, -1);
    else if (m == M_TAIL)
        emit(s, mv ? OP_RETMV : OP_RET, 0, -1);
    return mv;
}

/* Binds a just-computed value (on the stack) to v. Returns 1 if a special binding. */
static int bind_top(fs *s, var *v)
{
    if (v->special) {
        emit(s, OP_BIND, (uint32_t)kconst(s, v->sym), -1);
        return 1;
    }
    v->slot = new_slot(s);
    emit(s, OP_LSETP, (uint32_t)v->slot, -1);
    if (boxed(v))
        emit(s, OP_BOX, (uint32_t)v->slot, 0);
    return 0;
}

/* Jumps to lab when the value of n is false (or true when jump_if_true). */
static void cg_test(fs *s, node *n, bool jump_if_true, int *fix)
{
    if (n->k == N_PRIM && n->op == OP_NOT) {
        cg_test(s, n->args[0], !jump_if_true, fix);
        return;
    }
    if (n->k == N_VAR && n->v->owner == s->fn && !boxed(n->v)) {
        /* (if x ...) on a local: one instruction */
        emit(s, jump_if_true ? OP_JTL : OP_JFL, (uint32_t)n->v->slot, 0);
        *fix = s->ncode - 1;
        emitw(s, 0);
        return;
    }
    if (n->k == N_PRIM && n->op == OP_EQ && n->args[1]->k == N_CONST) {
        /* (eq x 'sym): compare with the constant in place */
        rt_value k = s->c->vals[n->args[1]->c];
        if (!rt_fixnump(k) && !rt_null(k)) {
            cg(s, n->args[0], M_VALUE);
            emit(s, jump_if_true ? OP_JEQK : OP_JNEQK, (uint32_t)kconst(s, n->args[1]->c), -1);
            *fix = s->ncode - 1;
            emitw(s, 0);
            return;
        }
    }
    if (n->k == N_PRIM && !jump_if_true) {
        int jop = -1;
        switch (n->op) {
        case OP_LT: jop = OP_JNLT; break;
        case OP_GT: jop = OP_JNGT; break;
        case OP_LE: jop = OP_JNLE; break;
        case OP_GE: jop = OP_JNGE; break;
        case OP_NUMEQ: jop = OP_JNNUMEQ; break;
        case OP_EQ: jop = OP_JNEQ; break;
        }
        if (jop >= 0) {
            cg(s, n->args[0], M_VALUE);
            cg(s, n->args[1], M_VALUE);
            *fix = emit_jump(s, jop, -2);
            return;
        }
    }
    if (n->k == N_PRIM && jump_if_true) {
        int jop = -1;
        switch (n->op) {
        case OP_LT: jop = OP_JLT; break;
        case OP_GT: jop = OP_JGT; break;
        case OP_LE: jop = OP_JLE; break;
        case OP_GE: jop = OP_JGE; break;
        case OP_NUMEQ: jop = OP_JNUMEQ; break;
        case OP_EQ: jop = OP_JEQ; break;
        }
        if (jop >= 0) {
            cg(s, n->args[0], M_VALUE);
            cg(s, n->args[1], M_VALUE);
            *fix = emit_jump(s, jop, -2);
            return;
        }
    }
    cg(s, n, M_VALUE);
    *fix = emit_jump(s, jump_if_true ? OP_JT : OP_JF, -1);
}

static void blk_fixup(cx *c, blk *b, int at)
{
    if (b->nfixups == b->capfixups) {
        b->capfixups = b->capfixups ? b->capfixups * 2 : 4;
        int *nf = alloc(c, sizeof(int) * (size_t)b->capfixups);
        if (b->nfixups)
            memcpy(nf, b->fixups, sizeof(int) * (size_t)b->nfixups);
        b->fixups = nf;
    }
    b->fixups[b->nfixups++] = at;
}

static bool cg_call_args(fs *s, node *n)
{
    for (int i = 0; i < n->nargs; i++)
        cg(s, n->args[i], M_VALUE);
    return true;
}

static bool cg(fs *s, node *n, enum mode m)
{
    cx *c = s->c;
    switch (n->k) {
    case N_CONST:
        if (m == M_EFFECT)
            return false;
        push_const(s, n->c);
        return finish(s, m, false);
    case N_VAR:
        if (m == M_EFFECT)
            return false;
        if (m == M_TAIL && n->v->owner == s->fn && !boxed(n->v)) {
            emit(s, OP_RETL, (uint32_t)n->v->slot, 0);
            return false;
        }
        emit_varref(s, n->v, false);
        return finish(s, m, false);
    case N_GVAR:
        emit(s, OP_GREF, (uint32_t)kconst(s, n->c), 1);
        return finish(s, m, false);
    case N_FREF:
        emit(s, OP_FREF, (uint32_t)kconst_pair(s, n->c), 1);
        return finish(s, m, false);
    case N_SETVAR: {
        cg(s, n->a, M_VALUE);
        var *v = n->v;
        if (v->owner == s->fn)
            emit(s, boxed(v) ? OP_LSETB : OP_LSET, (uint32_t)v->slot, 0);
        else
            emit(s, OP_CSETB, (uint32_t)free_index(s, v), 0);
        return finish(s, m, false);
    }
    case N_SETG:
        cg(s, n->a, M_VALUE);
        emit(s, OP_GSET, (uint32_t)kconst(s, n->c), 0);
        return finish(s, m, false);
    case N_IF: {
        int fix;
        cg_test(s, n->a, false, &fix);
        int d0 = s->depth;
        bool mv1 = cg(s, n->b, m);
        if (m == M_MV && !mv1)
            emit(s, OP_NV1, 0, 0);
        int j = -1;
        if (m != M_TAIL)
            j = emit_jump(s, OP_JMP, 0);
        patch_jump(s, fix, label_here(s));
        s->depth = d0;
        bool mv2 = cg(s, n->d, m);
        if (m == M_MV && !mv2)
            emit(s, OP_NV1, 0, 0);
        if (j >= 0)
            patch_jump(s, j, label_here(s));
        return m == M_MV;
    }
    case N_PROGN:
        for (int i = 0; i < n->nargs - 1; i++)
            cg(s, n->args[i], M_EFFECT);
        return cg(s, n->args[n->nargs - 1], m);
    case N_LET:
    case N_LETSTAR: {
        if (n->nargs == 1) {
            /* (let ((g x)) (if g g y)), the expansion of OR: keep a true x as the result */
            var *g = n->vars[0];
            node *body = n->a;
            if (vm_jtk_enabled && !g->special && !g->captured && !g->assigned && g->refs == 2 && body->k == N_IF &&
                body->a->k == N_VAR && body->a->v == g && body->b->k == N_VAR && body->b->v == g) {
                enum mode vm = m == M_EFFECT ? M_VALUE : m;
                cg(s, n->args[0], M_VALUE);
                int j = emit_jump(s, OP_JTK, -1);
                bool mv2 = cg(s, body->d, vm);
                if (vm == M_TAIL) {
                    patch_jump(s, j, label_here(s));
                    s->depth++;
                    emit(s, OP_RET, 0, -1);
                    return true;
                }
                if (vm == M_MV && !mv2)
                    emit(s, OP_NV1, 0, 0);
                if (vm == M_MV) {
                    int j2 = emit_jump(s, OP_JMP, 0);
                    patch_jump(s, j, label_here(s));
                    emit(s, OP_NV1, 0, 0);
                    patch_jump(s, j2, label_here(s));
                } else
                    patch_jump(s, j, label_here(s));
                if (m == M_EFFECT)
                    emit(s, OP_POP, 0, -1);
                return vm == M_MV;
            }
        }
        int saved = s->nslots, nspecial = 0;
        if (n->k == N_LET) {
            for (int i = 0; i < n->nargs; i++)
                cg(s, n->args[i], M_VALUE);
            /* pop in reverse; specials are bound after every init form ran */
            for (int i = n->nargs; i-- > 0;)
                nspecial += bind_top(s, n->vars[i]);
        } else {
            for (int i = 0; i < n->nargs; i++) {
                cg(s, n->args[i], M_VALUE);
                nspecial += bind_top(s, n->vars[i]);
            }
        }
        bool mv;
        if (nspecial) {
            mv = cg(s, n->a, m == M_TAIL ? M_MV : m);
            emit(s, OP_UNBIND, (uint32_t)nspecial, 0);
            if (m == M_TAIL)
                finish(s, m, mv);
        } else
            mv = cg(s, n->a, m);
        s->nslots = saved;
        return mv;
    }
    case N_LABELS: {
        int saved = s->nslots;
        for (int i = 0; i < n->nargs; i++) {
            var *v = n->vars[i];
            v->slot = new_slot(s);
            if (boxed(v))
                emit(s, OP_BOX, (uint32_t)v->slot, 0); /* slot holds NIL */
        }
        for (int i = 0; i < n->nargs; i++) {
            var *v = n->vars[i];
            cg(s, n->args[i], M_VALUE);
            emit(s, boxed(v) ? OP_LSETB : OP_LSETP, (uint32_t)v->slot, boxed(v) ? 0 : -1);
            if (boxed(v))
                emit(s, OP_POP, 0, -1);
        }
        bool mv = cg(s, n->a, m);
        s->nslots = saved;
        return mv;
    }
    case N_LAMBDA: {
        if (m == M_EFFECT)
            return false;
        rt_value code = cg_fun(c, n->fn);
        fun *g = n->fn;
        if (g->nfree == 0) {
            rt_value f = vm_make_function(code, 0);
            push_const(s, addv(c, f));
        } else {
            int ci = addv(c, code);
            for (int i = 0; i < g->nfree; i++)
                emit_varref(s, g->free[i], true);
            emit(s, OP_CLOSURE, (uint32_t)kconst(s, ci), -g->nfree + 1);
            emitw(s, (uint32_t)g->nfree);
        }
        return finish(s, m, false);
    }
    case N_GCALL: {
        int k = kconst_pair(s, n->c);
        cg_call_args(s, n);
        emit(s, m == M_TAIL ? OP_GTCALL : OP_GCALL, (uint32_t)k, -n->nargs + 1);
        emitw(s, (uint32_t)n->nargs);
        if (m == M_TAIL) {
            s->depth--;
            return true;
        }
        return finish(s, m, true);
    }
    case N_CALL:
        cg(s, n->a, M_VALUE);
        cg_call_args(s, n);
        if (n->op == 1) {
            emit(s, m == M_TAIL ? OP_TAPPLY : OP_APPLY, (uint32_t)n->nargs, -n->nargs);
            if (m == M_TAIL) {
                s->depth--;
                return true;
            }
            return finish(s, m, true);
        }
        emit(s, m == M_TAIL ? OP_TCALL : OP_CALL, (uint32_t)n->nargs, -n->nargs);
        if (m == M_TAIL) {
            s->depth--;
            return true;
        }
        return finish(s, m, true);
    case N_PRIM:
        if (n->op == OP_VALUES) {
            cg_call_args(s, n);
            emit(s, OP_VALUES, (uint32_t)n->nargs, -n->nargs + 1);
            return finish(s, m, true);
        }
        if (n->op == OP_LIST) {
            cg_call_args(s, n);
            emit(s, OP_LIST, (uint32_t)n->nargs, -n->nargs + 1);
            return finish(s, m, false);
        }
        cg_call_args(s, n);
        if (n->op == OP_AREF || n->op == OP_AREF2 || n->op == OP_ASET || n->op == OP_ASET2 || n->op == OP_CHAR)
            emit(s, n->op, (uint32_t)kconst_pair(s, n->c), -n->nargs + 1);
        else
            emit(s, n->op, 0, -n->nargs + 1);
        return finish(s, m, false);
    case N_BLOCK: {
        blk *b = n->blk;
        b->mv = m == M_MV || m == M_TAIL;
        b->tail = m == M_TAIL && !b->needs_entry;
        int saved = s->nslots;
        int bp = -1;
        if (b->needs_entry) {
            b->tagvar->slot = new_slot(s);
            emit(s, OP_BLOCKPUSH, (uint32_t)b->tagvar->slot, 0);
            bp = s->ncode;
            emitw(s, 0);
            s->entries++;
        }
        b->depth = s->depth;
        b->entries = s->entries;
        if (b->tail) {
            cg(s, n->a, M_TAIL);
            s->nslots = saved;
            return true;
        }
        bool mv = cg(s, n->a, b->mv ? M_MV : M_VALUE);
        if (b->mv && !mv)
            emit(s, OP_NV1, 0, 0);
        int end = label_here(s);
        for (int i = 0; i < b->nfixups; i++)
            patch_jump(s, b->fixups[i], end);
        if (b->needs_entry) {
            emit(s, OP_UWPOP, 0, 0);
            s->entries--;
            s->code[bp] = (uint32_t)label_here(s);
        }
        s->nslots = saved;
        s->depth = b->depth + 1;
        return finish(s, m, b->mv);
    }
    case N_RETFROM: {
        blk *b = n->blk;
        bool local = b->owner == s->fn && n->n == b->dyn;
        if (local && b->tail) {
            if (s->entries > b->entries) {
                /* the value runs inside the crossed entries: pop them after it */
                bool mv = cg(s, n->a, M_MV);
                for (int i = s->entries; i > b->entries; i--)
                    emit(s, OP_UWPOP, 0, 0);
                emit(s, mv ? OP_RETMV : OP_RET, 0, -1);
            } else
                cg(s, n->a, M_TAIL);
            s->depth++; /* unreachable: model a value */
            return finish(s, m == M_TAIL ? M_VALUE : m, false);
        }
        if (local) {
            bool mv = cg(s, n->a, b->mv ? M_MV : M_VALUE);
            if (b->mv && !mv)
                emit(s, OP_NV1, 0, 0);
            for (int i = s->entries; i > b->entries; i--)
                emit(s, OP_UWPOP, 0, 0);
            int k = s->depth - b->depth - 1;
            if (k > 0)
                emit(s, OP_DROPU, (uint32_t)k, 0);
            int d = s->depth;
            blk_fixup(c, b, emit_jump(s, OP_JMP, 0));
            s->depth = d;
            return finish(s, m == M_TAIL ? M_VALUE : m, false);
        }
        emit_varref(s, b->tagvar, false);
        bool mv = cg(s, n->a, M_MV);
        if (!mv)
            emit(s, OP_NV1, 0, 0);
        emit(s, OP_RETNL, 0, -1);
        return finish(s, m == M_TAIL ? M_VALUE : m, false);
    }
    case N_TAGBODY: {
        blk *b = n->blk;
        int saved = s->nslots;
        int tp = -1;
        if (b->needs_entry) {
            b->tagvar->slot = new_slot(s);
            emit(s, OP_TAGPUSH, (uint32_t)b->tagvar->slot, 0);
            tp = s->ncode;
            emitw(s, 0);
            s->entries++;
        }
        b->depth = s->depth;
        b->entries = s->entries;
        for (int i = 0; i < n->nargs; i++) {
            node *x = n->args[i];
            if (x->k == N_LABEL) {
                b->tag_pos[x->n] = label_here(s);
                s->depth = b->depth;
            } else
                cg(s, x, M_EFFECT);
        }
        /* forward GOs */
        for (int i = 0; i < b->nfixups; i++) {
            int at = b->fixups[i];
            int tag = (int)(s->code[at] >> 8);
            patch_jump(s, at, b->tag_pos[tag]);
        }
        if (b->needs_entry) {
            emit(s, OP_UWPOP, 0, 0);
            s->entries--;
            int j = emit_jump(s, OP_JMP, 0);
            s->code[tp] = (uint32_t)label_here(s);
            for (int i = 0; i < b->ntags; i++)
                emitw(s, (uint32_t)b->tag_pos[i]);
            patch_jump(s, j, label_here(s));
        }
        s->nslots = saved;
        s->depth = b->depth;
        if (m == M_EFFECT)
            return false;
        emit(s, OP_NIL, 0, 1);
        return finish(s, m, false);
    }
    case N_GO: {
        blk *b = n->blk;
        bool local = b->owner == s->fn && n->op == b->dyn;
        if (local) {
            for (int i = s->entries; i > b->entries; i--)
                emit(s, OP_UWPOP, 0, 0);
            int k = s->depth - b->depth;
            if (k > 0)
                emit(s, OP_DROP, (uint32_t)k, 0);
            int d = s->depth;
            emit(s, OP_JMP, (uint32_t)n->n, 0);
            int at = s->ncode - 1;
            blk_fixup(c, b, at);
            s->depth = d;
        } else {
            emit_varref(s, b->tagvar, false);
            emit(s, OP_GONL, (uint32_t)n->n, -1);
        }
        if (m == M_EFFECT)
            return false;
        emit(s, OP_NIL, 0, 1);
        return finish(s, m, false);
    }
    case N_CATCH: {
        cg(s, n->a, M_VALUE);
        emit(s, OP_CATCHPUSH, 0, -1);
        int at = s->ncode - 1;
        int d = s->depth;
        bool mvm = m == M_MV || m == M_TAIL;
        bool mv = cg(s, n->b, mvm ? M_MV : M_VALUE);
        if (mvm && !mv)
            emit(s, OP_NV1, 0, 0);
        emit(s, OP_UWPOP, 0, 0);
        s->code[at] = VM_INS(OP_CATCHPUSH, (uint32_t)label_here(s));
        s->depth = d + 1;
        return finish(s, m, mvm);
    }
    case N_THROW: {
        cg(s, n->a, M_VALUE);
        bool mv = cg(s, n->b, M_MV);
        if (!mv)
            emit(s, OP_NV1, 0, 0);
        emit(s, OP_THROW, 0, -1);
        return finish(s, m == M_TAIL ? M_VALUE : m, false);
    }
    case N_UWP: {
        emit(s, OP_UWPPUSH, 0, 0);
        int at = s->ncode - 1;
        int d = s->depth;
        bool mv = cg(s, n->a, M_MV);
        if (!mv)
            emit(s, OP_NV1, 0, 0);
        emit(s, OP_UWPNORMAL, 0, 3);
        s->code[at] = VM_INS(OP_UWPPUSH, (uint32_t)label_here(s));
        adj(s, 2);
        cg(s, n->b, M_EFFECT);
        emit(s, OP_UWPEND, 0, 0);
        s->depth = d + 1;
        bool mvm = m == M_MV || m == M_TAIL;
        return finish(s, m, mvm);
    }
    case N_MVCALL: {
        int saved = s->nslots;
        n->v->slot = new_slot(s);
        cg(s, n->a, M_VALUE);
        emit(s, OP_FIX, 0, 1);
        emit(s, OP_LSETP, (uint32_t)n->v->slot, -1);
        for (int i = 0; i < n->nargs; i++) {
            bool mv = cg(s, n->args[i], M_MV);
            if (!mv)
                emit(s, OP_NV1, 0, 0);
            emit(s, OP_MVPUSH, (uint32_t)n->v->slot, 0);
        }
        emit(s, OP_MVCALL, (uint32_t)n->v->slot, -n->nargs);
        s->nslots = saved;
        return finish(s, m, true);
    }
    case N_MVPROG1: {
        bool mv = cg(s, n->a, M_MV);
        if (!mv)
            emit(s, OP_NV1, 0, 0);
        emit(s, OP_MVSAVE, 0, 1);
        cg(s, n->b, M_EFFECT);
        emit(s, OP_MVRESTORE, 0, -1);
        return finish(s, m, true);
    }
    case N_PROGV: {
        int saved = s->nslots;
        n->v->slot = new_slot(s);
        cg(s, n->a, M_VALUE);
        cg(s, n->b, M_VALUE);
        emit(s, OP_PROGV, (uint32_t)n->v->slot, -2);
        bool mvm = m == M_MV || m == M_TAIL;
        bool mv = cg(s, n->d, mvm ? M_MV : M_VALUE);
        if (mvm && !mv)
            emit(s, OP_NV1, 0, 0);
        emit(s, OP_UNBINDTO, (uint32_t)n->v->slot, 0);
        s->nslots = saved;
        return finish(s, m, mvm);
    }
    case N_MVBIND: {
        int saved = s->nslots, nspecial = 0;
        bool mv = cg(s, n->a, M_MV);
        if (!mv)
            emit(s, OP_NV1, 0, 0);
        emit(s, OP_MVBIND, (uint32_t)n->nargs | ((uint32_t)n->n << 20), -1 + n->nargs + n->n);
        if (n->n)
            nspecial += bind_top(s, n->v);
        for (int i = n->nargs; i-- > 0;)
            nspecial += bind_top(s, n->vars[i]);
        bool rmv;
        if (nspecial) {
            rmv = cg(s, n->b, m == M_TAIL ? M_MV : m);
            emit(s, OP_UNBIND, (uint32_t)nspecial, 0);
            if (m == M_TAIL)
                finish(s, m, rmv);
        } else
            rmv = cg(s, n->b, m);
        s->nslots = saved;
        return rmv;
    }
    case N_LABEL:
        return false;
    }
    return false;
}

static rt_value build_code(fs *s, rt_value name)
{
    cx *c = s->c;
    size_t nconst = (size_t)s->nconsts;
    size_t raw_bytes = sizeof(rt_code_meta) + sizeof(uint32_t) * (size_t)s->ncode;
    size_t raw_words = (raw_bytes + 7) / 8;
    int ni = addv(c, name);
    /* In old space, where it never moves: functions point at its bytes (vm_make_function). */
    rt_value code = rt_alloc_object_old(RT_WT_CODE, nconst, RT_CODE_CONSTS + nconst + raw_words, RT_CODE_CONSTS + nconst);
    rt_value *body = rt_body(code);
    RT_STORE(body[RT_CODE_NAME], c->vals[ni]);
    if (s->fn->ll >= 0)
        RT_STORE(body[RT_CODE_DEBUG], c->vals[s->fn->ll]);
    for (size_t i = 0; i < nconst; i++)
        RT_STORE(body[RT_CODE_CONSTS + i], c->vals[s->consts[i]]);
    rt_code_meta meta = {(uint32_t)s->ncode, (uint16_t)s->maxslots, (uint16_t)(s->maxdepth + 8),
                         (uint16_t)s->fn->nparams, 0};
    rt_store_raw(rt_code_meta_of(code), &meta, sizeof meta);
    rt_store_raw((void *)rt_code_bytes(code), s->code, sizeof(uint32_t) * (size_t)s->ncode);
    return code;
}

static rt_value cg_fun(cx *c, fun *f)
{
    fs st = {0};
    fs *s = &st;
    s->c = c;
    s->fn = f;
    bool simple = !f->has_opt && !f->has_rest && !f->has_key;
    int enter_at = 0;
    /* parameters occupy the first slots, in the order parse_args lays them out */
    for (int i = 0; i < f->nparams; i++)
        f->params[i].v->slot = new_slot(s);
    if (simple) {
        emit(s, OP_ENTER, 0, 0);
    } else {
        int nreq = 0, nopt = 0, nkey = 0;
        for (int i = 0; i < f->nparams; i++) {
            nreq += f->params[i].kind == P_REQ;
            nopt += f->params[i].kind == P_OPT;
            nkey += f->params[i].kind == P_KEY;
        }
        rt_value desc = rt_make_simple_vector(5 + (size_t)nkey, RT_NIL);
        rt_value *d = rt_body(desc);
        d[0] = rt_fixnum(nreq);
        d[1] = rt_fixnum(nopt);
        d[2] = rt_bool(f->has_rest);
        d[3] = rt_bool(f->has_key);
        d[4] = rt_bool(f->allow_other_keys);
        int k = 5;
        for (int i = 0; i < f->nparams; i++)
            if (f->params[i].kind == P_KEY)
                RT_STORE(rt_body(desc)[k++], c->vals[f->params[i].key]);
        emit(s, OP_ENTERG, (uint32_t)kconst(s, addv(c, desc)), 0);
    }
    int nspecial = 0;
    for (int i = 0; i < f->nparams; i++) {
        param *p = &f->params[i];
        if (p->kind == P_OPT || p->kind == P_KEY) {
            if (p->svar) {
                emit(s, OP_SUPPLIEDP, (uint32_t)p->v->slot, 1);
                nspecial += bind_top(s, p->svar);
            }
            emit(s, OP_OPTINIT, (uint32_t)p->v->slot, 0);
            int at = s->ncode;
            emitw(s, 0);
            if (p->init)
                cg(s, p->init, M_VALUE);
            else
                emit(s, OP_NIL, 0, 1);
            emit(s, OP_LSETP, (uint32_t)p->v->slot, -1);
            s->code[at] = (uint32_t)(label_here(s) - (at + 1));
        }
        if (p->v->special) {
            emit(s, OP_LREF, (uint32_t)p->v->slot, 1);
            emit(s, OP_BIND, (uint32_t)kconst(s, p->v->sym), -1);
            nspecial++;
        } else if (boxed(p->v))
            emit(s, OP_BOX, (uint32_t)p->v->slot, 0);
    }
    if (nspecial) {
        bool mv = cg(s, f->body, M_MV);
        emit(s, OP_UNBIND, (uint32_t)nspecial, 0);
        emit(s, mv ? OP_RETMV : OP_RET, 0, -1);
    } else
        cg(s, f->body, M_TAIL);
    if (s->maxslots > 0xFFF || f->nparams > 0xFFF)
        rt_error("PROGRAM-ERROR", "too many variables in one function");
    if (simple)
        s->code[enter_at] = VM_INS(OP_ENTER, (uint32_t)f->nparams | ((uint32_t)s->maxslots << 12));
    /* Backward jumps poll for interrupts and thread switches. */
    for (int i = 0; i < s->ncode; i++) {
        uint32_t w = s->code[i];
        int op = (int)VM_OP(w);
        if (op == OP_JMP && VM_SA(w) < 0)
            s->code[i] = VM_INS(OP_JMPB, VM_A(w));
        /* skip operand words */
        if (vm_op_has_word((unsigned)op))
            i++;
    }
    rt_value code = build_code(s, c->vals[f->name]);
    free(s->code);
    free(s->consts);
    return code;
}

/* ---- Entry points ------------------------------------------------------------------------ */

typedef struct compile_job {
    cx c;
    rt_value lambda, name, lenv;
    rt_value result;
} compile_job;

static void compile_body(void *p)
{
    compile_job *j = p;
    cx *c = &j->c;
    int li = addv(c, j->lambda);
    int ni = addv(c, j->name);
    rt_value lam = c->vals[li];
    /* lexical environment objects from macroexpand: only macros/symbol-macros carry over */
    env *e = NULL;
    for (rt_value l = j->lenv; rt_consp(l); l = form_cdr(l)) {
        rt_value it = form_car(l);
        if (rt_eq(form_car(it), vm_s_kw_macro)) {
            e = env_push(c, e, E_MACRO, addv(c, second(it)));
            e->val = addv(c, form_cdr(form_cdr(it)));
        } else if (rt_eq(form_car(it), vm_s_kw_smacro)) {
            e = env_push(c, e, E_SMAC, addv(c, second(it)));
            e->val = addv(c, form_cdr(form_cdr(it)));
        }
    }
    lam = c->vals[li];
    fun *f;
    if (rt_consp(lam) && rt_eq(form_car(lam), vm_s_named_lambda)) {
        rt_value r = form_cdr(lam);
        f = conv_lambda(c, e, NULL, form_car(r), second(r), form_cdr(form_cdr(r)));
    } else {
        if (!rt_consp(lam) || !rt_eq(form_car(lam), vm_s_lambda))
            rt_error("PROGRAM-ERROR", "not a lambda expression");
        f = conv_lambda(c, e, NULL, c->vals[ni], second(lam), form_cdr(form_cdr(lam)));
    }
    rt_value code = cg_fun(c, f);
    j->result = vm_make_function(code, 0);
}

static void compile_cleanup(void *p)
{
    compile_job *j = p;
    cx *c = &j->c;
    if (active_cx == c)
        active_cx = c->prev;
    while (c->arena) {
        arena_blk *b = c->arena;
        c->arena = b->next;
        free(b);
    }
    free(c->vals);
    c->vals = NULL;
    c->nvals = 0;
}

rt_value vm_compile(rt_value lambda_expr, rt_value name, rt_value lenv)
{
    compile_job j;
    memset(&j, 0, sizeof j);
    j.lambda = lambda_expr;
    j.name = name;
    j.lenv = lenv;
    j.result = RT_NIL;
    /* The job's Lisp fields are rooted while it runs. */
    RT_ROOTS(j.lambda, j.name, j.lenv, j.result);
    j.c.prev = active_cx;
    active_cx = &j.c;
    rt_protect(compile_body, compile_cleanup, &j);
    return j.result;
}

rt_value rt_compile_lambda(rt_value lambda_expr, rt_value name) { return vm_compile(lambda_expr, name, RT_NIL); }

rt_value rt_compile_toplevel(rt_value form)
{
    RT_ROOTS(form);
    rt_value body = rt_cons(form, RT_NIL);
    rt_value lam = rt_cons(RT_NIL, body);
    lam = rt_cons(vm_s_lambda, lam);
    return vm_compile(lam, RT_NIL, RT_NIL);
}

void vm_compiler_init(void) {}
