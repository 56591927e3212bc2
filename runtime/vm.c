/* runtime/vm.c: the bytecode interpreter, calls, multiple values, dynamic binding and
 * non-local exits. The design is in runtime/README.md ("Compiler and VM").
 *
 * Invariants:
 *  - Every word in [T->stack, T->sp) is a Lisp value (fixnum markers included): the GC
 *    scans the stack precisely. T->sp and the top frame's pc_off are written back
 *    (SAVE) before anything that may allocate, signal or switch threads, and the
 *    registers are reloaded (RELOAD) after it, because the GC moves code objects.
 *  - A Lisp-to-Lisp call never recurses in C: it pushes a vm_ctl frame. vm_run recurses
 *    only when C calls Lisp (rt_funcall from a primitive, macro expansion); each vm_run
 *    is a "level" with a jmp_buf, and a non-local exit longjmps only to the level that
 *    owns the next unwind entry it must process.
 *  - T->mv[0..nvals) holds all values of the last call when nvals != 1; when nvals == 1
 *    the primary value alone is on the operand stack.
 */
#include "vm_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rt/number.h"

vm_thread *vm_current;
volatile int rt_vm_poll_flag;

#define CODE_CLEANUP 2
#define CODE_ARRIVE 1

/* ---- Threads' stacks -------------------------------------------------------------------- */

#define STACK_RESERVE_WORDS (64 * 1024) /* head room for the storage-condition handler */
#define CTL_RESERVE 4096

static void *map_noreserve(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        perror("kons: mmap");
        abort();
    }
    return p;
}

vm_thread *vm_thread_new(size_t stack_words)
{
    vm_thread *t = calloc(1, sizeof *t);
    if (!t)
        abort();
    t->stack_words = stack_words;
    t->stack = map_noreserve(stack_words * sizeof(rt_value));
    t->sp = t->stack;
    t->stack_hard_limit = t->stack + stack_words - 1024;
    t->stack_soft_limit = t->stack_hard_limit - STACK_RESERVE_WORDS;
    t->stack_limit = t->stack_soft_limit;
    size_t nctl = stack_words / 8;
    t->ctl = map_noreserve(nctl * sizeof(vm_ctl));
    t->ctl_limit = nctl - CTL_RESERVE;
    t->uw_cap = 256;
    t->uw = malloc(t->uw_cap * sizeof *t->uw);
    t->bind_cap = 256;
    t->bind = malloc(t->bind_cap * sizeof *t->bind);
    t->nvals = 1;
    t->lisp_thread = t->name = t->result = t->function = t->interrupts = t->wait_obj = RT_NIL;
    return t;
}

void vm_thread_free(vm_thread *t)
{
    rt_root_stack_free(&t->roots);
    munmap(t->stack, t->stack_words * sizeof(rt_value));
    munmap(t->ctl, (t->stack_words / 8) * sizeof(vm_ctl));
    free(t->uw);
    free(t->bind);
    free(t);
}

void vm_scan_thread(vm_thread *t, rt_slot_visitor visit, void *ctx)
{
    for (rt_value *p = t->stack; p < t->sp; p++)
        visit(p, ctx);
    for (size_t i = 0; i < t->nctl; i++)
        visit(&t->ctl[i].fn, ctx);
    for (size_t i = 0; i < t->nuw; i++)
        visit(&t->uw[i].tag, ctx);
    for (size_t i = 0; i < t->nbind; i++) {
        visit(&t->bind[i].sym, ctx);
        visit(&t->bind[i].old, ctx);
    }
    if (t->nvals != 1)
        for (size_t i = 0; i < t->nvals && i < VM_MV_LIMIT; i++)
            visit(&t->mv[i], ctx);
    visit(&t->lisp_thread, ctx);
    visit(&t->name, ctx);
    visit(&t->result, ctx);
    visit(&t->function, ctx);
    visit(&t->interrupts, ctx);
    visit(&t->wait_obj, ctx);
}

/* ---- Dynamic binding (shallow: the symbol's value slot holds the current thread's
 * value; the binding stack keeps the old ones; a thread switch swaps them) ------------- */

static void bind_push(vm_thread *T, rt_value sym, rt_value v)
{
    if (T->nbind == T->bind_cap) {
        T->bind_cap *= 2;
        T->bind = realloc(T->bind, T->bind_cap * sizeof *T->bind);
        if (!T->bind)
            abort();
    }
    rt_value *slot = &rt_body(sym)[RT_SYM_VALUE];
    T->bind[T->nbind].sym = sym;
    T->bind[T->nbind].old = *slot;
    T->nbind++;
    rt_store(slot, v);
}

void vm_unbind_to(vm_thread *T, size_t depth)
{
    while (T->nbind > depth) {
        T->nbind--;
        rt_store(&rt_body(T->bind[T->nbind].sym)[RT_SYM_VALUE], T->bind[T->nbind].old);
    }
}

/* out: the thread stops running; its bindings' values move into the binding stack and
 * the global values come back. in: the reverse. */
void vm_swap_bindings(vm_thread *t, bool out)
{
    if (out == t->bindings_swapped_out)
        return;
    t->bindings_swapped_out = out;
    if (out) {
        for (size_t i = t->nbind; i-- > 0;) {
            rt_value *slot = &rt_body(t->bind[i].sym)[RT_SYM_VALUE];
            rt_value cur = *slot;
            rt_store(slot, t->bind[i].old);
            t->bind[i].old = cur;
        }
    } else {
        for (size_t i = 0; i < t->nbind; i++) {
            rt_value *slot = &rt_body(t->bind[i].sym)[RT_SYM_VALUE];
            rt_value cur = *slot;
            rt_store(slot, t->bind[i].old);
            t->bind[i].old = cur;
        }
    }
}

void vm_bind_special(rt_value sym, rt_value v) { bind_push(vm_current, sym, v); }
size_t vm_bind_depth(void) { return vm_current->nbind; }

rt_value rt_symbol_value(rt_value sym) { return rt_body(sym)[RT_SYM_VALUE]; }
void rt_set_symbol_value(rt_value sym, rt_value v) { rt_store(&rt_body(sym)[RT_SYM_VALUE], v); }

/* ---- Function objects -------------------------------------------------------------------- */

/* A function's rack: [code, closed-over values..., raw: the code's bytes, raw: its
 * constants]. The two raw words let a call reach the bytecode without going through the
 * code object (one dependent load less per call); they stay valid because code lives in
 * old space and never moves (build_code), and a saved heap maps back at the same
 * addresses. */
rt_value vm_make_function(rt_value code, size_t nclosed)
{
    if (rt_in_nursery(code))
        rt_error("PROGRAM-ERROR", "internal: a code object in the nursery");
    RT_ROOTS(code);
    rt_value f = rt_alloc_object(RT_WT_FUNCTION, nclosed, 1 + nclosed + 2, 1 + nclosed);
    rt_value *b = rt_body(f);
    RT_STORE(b[0], code);
    b[1 + nclosed] = (rt_value)(uintptr_t)rt_code_bytes(code);
    b[2 + nclosed] = (rt_value)(uintptr_t)&rt_body(code)[RT_CODE_CONSTS];
    rt_touch(&b[1 + nclosed]);
    return f;
}

rt_value vm_make_primitive(rt_value name, rt_prim_fn fn, int min, int max)
{
    RT_ROOTS(name);
    size_t raw_words = (sizeof(rt_prim_raw) + 7) / 8;
    rt_value p = rt_alloc_object(RT_WT_PRIMITIVE, 0, 1 + raw_words, 1);
    RT_STORE(rt_body(p)[0], name);
    rt_prim_raw r = {fn, min, max};
    rt_store_raw(rt_prim_raw_of(p), &r, sizeof r);
    return p;
}

rt_value rt_function_name(rt_value fn)
{
    if (rt_widetagp(fn, RT_WT_PRIMITIVE))
        return rt_body(fn)[0];
    if (rt_widetagp(fn, RT_WT_FUNCTION))
        return rt_body(rt_body(fn)[0])[RT_CODE_NAME];
    return RT_NIL;
}

static rt_value setf_name_symbol(rt_value name)
{
    /* (setf sym) */
    if (rt_consp(name) && rt_eq(rt_car(name), vm_s_setf) && rt_consp(rt_cdr(name)) &&
        rt_symbolp(rt_car(rt_cdr(name))) && rt_null(rt_cdr(rt_cdr(name))))
        return rt_car(rt_cdr(name));
    return RT_NO_VALUE;
}

static bool plist_find(rt_value plist, rt_value key, rt_value *out)
{
    for (; rt_consp(plist) && rt_consp(rt_cdr(plist)); plist = rt_cdr(rt_cdr(plist)))
        if (rt_eq(rt_car(plist), key)) {
            *out = rt_car(rt_cdr(plist));
            return true;
        }
    return false;
}

rt_value rt_fdefn(rt_value name)
{
    RT_ROOTS(name);
    if (rt_symbolp(name)) {
        rt_value f = rt_body(name)[RT_SYM_FDEFN];
        if (!rt_null(f))
            return f;
        f = rt_alloc_cell(RT_WT_FDEFN, 0, RT_UNBOUND);
        RT_STORE(rt_body(name)[RT_SYM_FDEFN], f);
        return f;
    }
    rt_value sym = setf_name_symbol(name);
    if (sym == RT_NO_VALUE)
        rt_type_error(name, "(or symbol (cons (eql setf) (cons symbol null)))");
    rt_value f;
    if (plist_find(rt_body(sym)[RT_SYM_PLIST], vm_s_setf_fdefn, &f))
        return f;
    RT_ROOTS(sym);
    f = rt_alloc_cell(RT_WT_FDEFN, 0, RT_UNBOUND);
    RT_ROOTS(f);
    rt_value cell = rt_cons(f, rt_body(sym)[RT_SYM_PLIST]);
    cell = rt_cons(vm_s_setf_fdefn, cell);
    RT_STORE(rt_body(sym)[RT_SYM_PLIST], cell);
    return f;
}

rt_value rt_fdefinition_or_unbound(rt_value name)
{
    if (rt_symbolp(name)) {
        rt_value f = rt_body(name)[RT_SYM_FDEFN];
        return rt_null(f) ? RT_UNBOUND : rt_cell_of(f)->payload;
    }
    rt_value sym = setf_name_symbol(name), f;
    if (sym != RT_NO_VALUE && plist_find(rt_body(sym)[RT_SYM_PLIST], vm_s_setf_fdefn, &f))
        return rt_cell_of(f)->payload;
    return RT_UNBOUND;
}

void rt_set_fdefinition(rt_value name, rt_value fn)
{
    RT_ROOTS(fn, name);
    rt_value f = rt_fdefn(name);
    rt_store((rt_value *)&rt_cell_of(f)->payload, fn);
    if (rt_symbolp(name))
        vm_set_symbol_flag(name, RT_SYMF_MACRO, false);
}

void vm_set_symbol_flag(rt_value sym, int64_t f, bool on)
{
    int64_t flags = rt_symbol_flags(sym);
    flags = on ? (flags | f) : (flags & ~f);
    RT_STORE(rt_body(sym)[RT_SYM_FLAGS], rt_fixnum(flags));
}

static rt_value rt_strcmp_pkg(const char *name)
{
    return !strcmp(name, "KONS") ? rt_pkg_kons : rt_pkg_cl;
}

void rt_define_primitives(const rt_prim_def *defs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rt_value sym = rt_intern_c(defs[i].name, defs[i].package);
        RT_ROOTS(sym);
        /* the user-visible packages' primitives are external */
        if (!strcmp(defs[i].package, "KONS") || !strcmp(defs[i].package, "COMMON-LISP")) {
            rt_value pkg = rt_strcmp_pkg(defs[i].package);
            rt_export(sym, pkg);
        }
        rt_value p = vm_make_primitive(sym, defs[i].fn, defs[i].min_args, defs[i].max_args);
        rt_set_fdefinition(sym, p);
    }
}

/* ---- Multiple values ------------------------------------------------------------------- */

rt_value rt_values(size_t n, const rt_value *vals)
{
    vm_thread *T = vm_current;
    if (!T) /* no VM (a module's unit test without rt_init): the primary value */
        return n ? vals[0] : RT_NIL;
    if (n > VM_MV_LIMIT)
        rt_error("PROGRAM-ERROR", "too many values: %zu (the limit is %d)", n, VM_MV_LIMIT);
    memmove(T->mv, vals, n * sizeof *vals);
    T->nvals = n;
    return n ? T->mv[0] : RT_NIL;
}

rt_value rt_values2(rt_value a, rt_value b)
{
    rt_value v[2] = {a, b};
    return rt_values(2, v);
}

size_t rt_values_count(void) { return vm_current->nvals; }
size_t rt_funcall_values_count(void) { return vm_current ? vm_current->nvals : 1; }
rt_value rt_value_n(size_t i) { return vm_current->nvals == 1 ? RT_NIL : vm_current->mv[i]; }

/* ---- Errors from the VM ------------------------------------------------------------------ */

_Noreturn void vm_error_args(rt_value fn, size_t nargs)
{
    rt_value name = rt_function_name(fn);
    (void)name;
    rt_error("PROGRAM-ERROR", "invalid number of arguments: %zu", nargs);
}

static _Noreturn void undefined_function(rt_value name)
{
    char *s = rt_symbolp(name) ? rt_string_to_utf8(rt_symbol_name(name), NULL) : NULL;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s ? s : "(SETF ...)");
    free(s);
    rt_error("UNDEFINED-FUNCTION", "The function %s is undefined.", buf);
}

static _Noreturn void unbound_variable(rt_value sym)
{
    char *s = rt_string_to_utf8(rt_symbol_name(sym), NULL);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s ? s : "?");
    free(s);
    rt_error("UNBOUND-VARIABLE", "The variable %s is unbound.", buf);
}

static _Noreturn void stack_exhausted(vm_thread *T)
{
    T->stack_limit = T->stack_hard_limit;
    T->ctl_limit = (T->stack_words / 8) - 16;
    rt_storage_exhausted(RT_EXHAUSTED_STACK);
}

static void maybe_reset_limits(vm_thread *T)
{
    if (T->stack_limit != T->stack_soft_limit && T->sp < T->stack_soft_limit - STACK_RESERVE_WORDS &&
        T->nctl < (T->stack_words / 8) - 2 * CTL_RESERVE) {
        T->stack_limit = T->stack_soft_limit;
        T->ctl_limit = (T->stack_words / 8) - CTL_RESERVE;
    }
}

/* ---- Non-local exits ---------------------------------------------------------------------- */

static vm_uw *uw_push(vm_thread *T, int kind)
{
    if (T->nuw == T->uw_cap) {
        T->uw_cap *= 2;
        T->uw = realloc(T->uw, T->uw_cap * sizeof *T->uw);
        if (!T->uw)
            abort();
    }
    vm_uw *e = &T->uw[T->nuw++];
    e->kind = kind;
    e->level = T->level;
    e->tag = RT_NIL;
    e->sp = T->sp;
    e->nctl = T->nctl;
    e->nbind = T->nbind;
    e->pc_off = 0;
    e->cleanup = NULL;
    e->ctx = NULL;
    e->jb = NULL;
    e->root_depth = 0;
    return e;
}

static _Noreturn void jump_to_level(vm_thread *T, int level, int code)
{
    for (vm_run_t *r = T->run; r; r = r->parent)
        if (r->level == level)
            longjmp(r->jb, code);
    fprintf(stderr, "kons: internal error: no VM level %d to unwind to\n", level);
    abort();
}

/* Continues the non-local exit to T->uw_target with the values in T->mv[0..nvals). */
static _Noreturn void unwind_continue(vm_thread *T)
{
    for (;;) {
        vm_uw *e = &T->uw[T->nuw - 1];
        bool is_target = T->nuw - 1 == T->uw_target;
        switch (e->kind) {
        case UW_CPROTECT: {
            void (*cleanup)(void *) = e->cleanup;
            void *ctx = e->ctx;
            T->nuw--;
            vm_unbind_to(T, e->nbind);
            rt_root_restore(e->root_depth);
            /* Keep the values of the exit on the Lisp stack while the cleanup runs. */
            size_t n = T->nvals, target = T->uw_target, go = T->go_index;
            rt_value *base = T->sp;
            memcpy(base, T->mv, n * sizeof(rt_value));
            T->sp = base + n;
            cleanup(ctx);
            T->sp = base;
            memcpy(T->mv, base, n * sizeof(rt_value));
            T->nvals = n;
            T->uw_target = target;
            T->go_index = go;
            continue;
        }
        case UW_TOPLEVEL:
            /* Reached as the target, or crossed: a top-level boundary stops every exit. */
            vm_unbind_to(T, e->nbind);
            T->uw_target = T->nuw - 1;
            longjmp(*e->jb, 1);
        case UW_UWP:
            jump_to_level(T, e->level, CODE_CLEANUP);
        default:
            if (is_target)
                jump_to_level(T, e->level, CODE_ARRIVE);
            T->nuw--;
            vm_unbind_to(T, e->nbind);
        }
    }
}

static size_t find_tag(vm_thread *T, int kind, rt_value tag)
{
    for (size_t i = T->nuw; i-- > 0;) {
        if (T->uw[i].kind == kind && rt_eq(T->uw[i].tag, tag))
            return i;
    }
    return (size_t)-1;
}

bool rt_catch_toplevel(void (*body)(void *), void *ctx)
{
    vm_thread *T = vm_current;
    jmp_buf jb;
    vm_run_t *volatile saved_run = T->run;
    volatile int saved_level = T->level;
    vm_uw *e = uw_push(T, UW_TOPLEVEL);
    e->jb = &jb;
    e->root_depth = rt_root_depth();
    volatile size_t idx = T->nuw - 1;
    if (setjmp(jb) == 0) {
        body(ctx);
        T->nuw = idx;
        return true;
    }
    e = &T->uw[idx];
    T->run = saved_run;
    T->level = saved_level;
    rt_root_restore(e->root_depth);
    T->nctl = e->nctl;
    T->sp = e->sp;
    vm_unbind_to(T, e->nbind);
    T->nuw = idx;
    T->nvals = 1;
    maybe_reset_limits(T);
    return false;
}

_Noreturn void rt_throw_toplevel(void)
{
    vm_thread *T = vm_current;
    for (size_t i = T->nuw; i-- > 0;)
        if (T->uw[i].kind == UW_TOPLEVEL) {
            T->uw_target = i;
            T->nvals = 0;
            unwind_continue(T);
        }
    fprintf(stderr, "kons: no top level to return to\n");
    exit(70);
}

void rt_protect(void (*body)(void *), void (*cleanup)(void *), void *ctx)
{
    vm_thread *T = vm_current;
    if (!T) { /* no VM: errors abort the process, so there is nothing to unwind */
        body(ctx);
        cleanup(ctx);
        return;
    }
    vm_uw *e = uw_push(T, UW_CPROTECT);
    e->cleanup = cleanup;
    e->ctx = ctx;
    e->root_depth = rt_root_depth();
    size_t idx = T->nuw - 1;
    body(ctx);
    T->nuw = idx;
    cleanup(ctx);
}

/* ---- Argument parsing for lambda lists beyond the fixed arity -------------------------------
 * desc: #(nreq nopt restp keyp allow-other-keys key...). Lays the frame out as
 * [req... opt... rest? key...] with RT_NO_VALUE for optionals and keys not supplied
 * (the bytecode then runs their init forms), and NIL in the remaining locals. */
static void parse_args(vm_thread *T, rt_value fn, rt_value *fp, size_t nargs, rt_value desc, size_t nlocals)
{
    rt_value *d = rt_body(desc);
    size_t nreq = (size_t)rt_fixnum_value(d[0]), nopt = (size_t)rt_fixnum_value(d[1]);
    bool restp = !rt_null(d[2]), keyp = !rt_null(d[3]), allow = !rt_null(d[4]);
    size_t nkeys = rt_vector_length(desc) - 5;
    size_t nfixed = nreq + nopt;
    if (nargs < nreq || (!restp && !keyp && nargs > nfixed))
        vm_error_args(fn, nargs);
    size_t nextra = nargs > nfixed ? nargs - nfixed : 0;
    /* Copy the extra arguments above the frame, then lay the slots out. */
    size_t top = nargs > nlocals ? nargs : nlocals;
    rt_value *extra = fp + top;
    memmove(extra, fp + nfixed, nextra * sizeof(rt_value));
    /* every word below T->sp is scanned by the GC: no stale words between the
     * arguments and the copy (the &rest list below allocates) */
    for (size_t i = nargs; i < top; i++)
        fp[i] = RT_NIL;
    T->sp = extra + nextra;
    for (size_t i = nargs; i < nfixed; i++)
        fp[i] = RT_NO_VALUE;
    size_t slot = nfixed;
    if (restp) {
        /* The only allocation here (desc is read again below; fn is not used after the
         * argument count check). The extra arguments are on the scanned stack. */
        rt_value list = RT_NIL;
        if (nextra) {
            RT_ROOTS(desc);
            list = rt_list_from_array(nextra, extra);
            fp = T->ctl[T->nctl - 1].fp;
            extra = fp + top;
        }
        fp[slot++] = list;
    }
    if (keyp) {
        if (nextra & 1)
            rt_error("PROGRAM-ERROR", "odd number of &KEY arguments");
        d = rt_body(desc);
        for (size_t k = 0; k < nkeys; k++)
            fp[slot + k] = RT_NO_VALUE;
        bool bad = false, allow_arg_seen = false;
        rt_value badkey = RT_NIL;
        for (size_t i = 0; i < nextra; i += 2) {
            rt_value key = extra[i];
            size_t k;
            for (k = 0; k < nkeys; k++)
                if (rt_eq(d[5 + k], key))
                    break;
            if (k < nkeys) {
                if (fp[slot + k] == RT_NO_VALUE)
                    fp[slot + k] = extra[i + 1];
            } else if (rt_eq(key, vm_s_kw_allow_other_keys)) {
                if (!allow_arg_seen) {
                    allow_arg_seen = true;
                    if (!rt_null(extra[i + 1]))
                        allow = true;
                }
            } else {
                bad = true;
                badkey = key;
            }
        }
        if (bad && !allow) {
            char *s = rt_symbolp(badkey) ? rt_string_to_utf8(rt_symbol_name(badkey), NULL) : NULL;
            char buf[256];
            snprintf(buf, sizeof buf, "%s", s ? s : "?");
            free(s);
            rt_error("PROGRAM-ERROR", "unknown &KEY argument: :%s", buf);
        }
        slot += nkeys;
    }
    for (size_t i = slot; i < nlocals; i++)
        fp[i] = RT_NIL;
    T->sp = fp + nlocals;
}

/* ---- The interpreter ------------------------------------------------------------------------ */

static rt_value vm_run(vm_thread *T, rt_value fnv, size_t nargs_in);

rt_value vm_call(rt_value fn, size_t nargs, const rt_value *args)
{
    vm_thread *T = vm_current;
    if (rt_symbolp(fn)) {
        rt_value f = rt_fdefinition_or_unbound(fn);
        if (f == RT_UNBOUND || vm_symbol_flag(fn, RT_SYMF_MACRO) || vm_symbol_flag(fn, RT_SYMF_SPECIAL_FORM))
            undefined_function(fn);
        fn = f;
    }
    if (!rt_functionp(fn))
        rt_type_error(fn, "function");
    if (T->sp + nargs + 16 > T->stack_limit)
        stack_exhausted(T);
    rt_value *base = T->sp;
    if (nargs)   /* args may be NULL with no arguments; memcpy's may not */
        memcpy(base, args, nargs * sizeof *args);
    T->sp = base + nargs;
    if (rt_widetag(fn) == RT_WT_PRIMITIVE) {
        rt_prim_raw *r = rt_prim_raw_of(fn);
        if ((int)nargs < r->min_args || (r->max_args >= 0 && (int)nargs > r->max_args))
            vm_error_args(fn, nargs);
        T->nvals = 1;
        rt_value v = r->fn(base, nargs);
        T->sp = base;
        return v;
    }
    return vm_run(T, fn, nargs);
}

rt_value rt_funcall(rt_value fn, size_t nargs, const rt_value *args) { return vm_call(fn, nargs, args); }

rt_value rt_apply_list(rt_value fn, rt_value args)
{
    vm_thread *T = vm_current;
    RT_ROOTS(fn, args);
    size_t n = 0;
    for (rt_value a = args; rt_consp(a); a = rt_cdr(a))
        n++;
    if (T->sp + n + 16 > T->stack_limit)
        stack_exhausted(T);
    /* Place the arguments on the Lisp stack (scanned), then call from there. */
    rt_value *base = T->sp;
    for (size_t i = 0; i < n; i++, args = rt_cdr(args))
        base[i] = rt_car(args);
    T->sp = base + n;
    rt_value v = vm_call(fn, n, base);
    T->sp = base;
    return v;
}

#define CTL_TOP(T) (&(T)->ctl[(T)->nctl - 1])

/* No SLP vectorisation in the loop: gcc would load an instruction's two operands, just
 * pushed by two 8-byte stores, with one 16-byte load, which cannot be forwarded from the
 * stores and stalls (measured: a tenth of deriv's time sat on CONS's operand load). */
#if defined(__GNUC__) && !defined(__clang__)
#define VM_LOOP_ATTRS __attribute__((noinline, optimize("no-tree-slp-vectorize")))
#else
#define VM_LOOP_ATTRS __attribute__((noinline))
#endif
static rt_value vm_loop(vm_thread *T, vm_run_t *runp, int jc, rt_value fnv, size_t nargs_in)
    VM_LOOP_ATTRS;

/* Enters Lisp from C: one level. The jmp_buf is set here and the interpreter loop runs in
 * vm_loop, called afresh after every longjmp, so no register variable of the loop is live
 * across setjmp. */
static rt_value vm_run(vm_thread *T, rt_value fnv, size_t nargs_in)
{
    vm_run_t run;
    run.level = T->level + 1;
    run.parent = T->run;
    run.root_depth = rt_root_depth();
    if (T->nctl >= T->ctl_limit)
        stack_exhausted(T);
    if (run.level > 4000)
        rt_storage_error("Too many nested entries into Lisp from C.");
    {
        vm_ctl *c = &T->ctl[T->nctl++];
        c->fn = fnv;
        c->fp = T->sp - nargs_in;
        c->ret_sp = c->fp;
        c->pc_off = 0;
        c->flags = VM_CTL_C_RETURN;
    }
    T->run = &run;
    T->level = run.level;
    int jc = setjmp(run.jb);
    return vm_loop(T, &run, jc, fnv, nargs_in);
}

static rt_value vm_loop(vm_thread *T, vm_run_t *runp, int jc, rt_value fnv, size_t nargs_in)
{
    static const void *const labels[] = {
#define VM_LABEL_(n) &&L_##n,
        VM_OPS(VM_LABEL_)
#undef VM_LABEL_
    };
    vm_ctl *CTL;
    rt_value *fp, *sp;
    rt_value fn;
    rt_value *consts;
    const uint32_t *base, *pc;
    size_t nargs = nargs_in;
    uint32_t w;

#define LOAD_CODE()                                                         \
    do {                                                                    \
        rt_value *fb_ = rt_body(fn);                                        \
        size_t nc_ = (size_t)rt_info(fn);                                   \
        base = (const uint32_t *)(uintptr_t)fb_[1 + nc_];                   \
        consts = (rt_value *)(uintptr_t)fb_[2 + nc_];                       \
    } while (0)
#define SAVE() (T->sp = sp, CTL->pc_off = (uint32_t)(pc - base))
#define RELOAD()                                                            \
    do {                                                                    \
        CTL = CTL_TOP(T);                                                   \
        fn = CTL->fn;                                                       \
        fp = CTL->fp;                                                       \
        sp = T->sp;                                                         \
        LOAD_CODE();                                                        \
        pc = base + CTL->pc_off;                                            \
    } while (0)
#define NEXT                                                                \
    do {                                                                    \
        w = *pc++;                                                          \
        goto *labels[VM_OP(w)];                                             \
    } while (0)
#define META() (((const rt_code_meta *)base) - 1)
#define POLL()                                                              \
    do {                                                                    \
        if (__builtin_expect(rt_vm_poll_flag, 0)) {                         \
            SAVE();                                                         \
            vm_poll();                                                      \
            RELOAD();                                                       \
        }                                                                   \
    } while (0)

    if (jc != 0) {
        /* A non-local exit arrives at this level: restore the frame of the entry on top. */
        T->run = runp;
        T->level = runp->level;
        rt_root_restore(runp->root_depth);
        vm_uw *e = &T->uw[T->nuw - 1];
        T->nctl = e->nctl;
        vm_unbind_to(T, e->nbind);
        T->sp = e->sp;
        maybe_reset_limits(T);
        CTL = CTL_TOP(T);
        CTL->pc_off = e->pc_off;
        RELOAD();
        if (jc == CODE_CLEANUP) {
            T->nuw--;
            size_t n = T->nvals;
            memcpy(sp, T->mv, n * sizeof(rt_value));
            sp += n;
            *sp++ = rt_fixnum((int64_t)n);
            *sp++ = rt_fixnum((int64_t)T->uw_target);
            *sp++ = rt_fixnum((int64_t)T->go_index);
            NEXT;
        }
        if (e->kind == UW_TAGBODY) {
            pc = base + base[e->pc_off + T->go_index];
            NEXT;
        }
        T->nuw--;
        *sp++ = T->nvals ? T->mv[0] : RT_NIL;
        NEXT;
    }

    CTL = CTL_TOP(T);
    fn = fnv;
    fp = CTL->fp;
    sp = T->sp;
    nargs = nargs_in;
    LOAD_CODE();
    pc = base;
    NEXT;

    rt_value a, b, r;
    int64_t x;

L_NOP:
    NEXT;
L_CONST:
    *sp++ = consts[VM_A(w)];
    NEXT;
L_NIL:
    *sp++ = RT_NIL;
    NEXT;
L_T:
    *sp++ = RT_T;
    NEXT;
L_FIX:
    *sp++ = rt_fixnum(VM_SA(w));
    NEXT;
L_LREF:
    *sp++ = fp[VM_A(w)];
    NEXT;
L_LSET:
    fp[VM_A(w)] = sp[-1];
    NEXT;
L_LSETP:
    fp[VM_A(w)] = *--sp;
    NEXT;
L_LREFB:
    *sp++ = rt_cell_of(fp[VM_A(w)])->payload;
    NEXT;
L_LSETB:
    rt_store((rt_value *)&rt_cell_of(fp[VM_A(w)])->payload, sp[-1]);
    NEXT;
L_BOX:
    SAVE();
    r = rt_alloc_cell(RT_WT_VALUE_CELL, 0, RT_NIL);
    RELOAD();
    rt_store((rt_value *)&rt_cell_of(r)->payload, fp[VM_A(w)]);
    fp[VM_A(w)] = r;
    NEXT;
L_CREF:
    *sp++ = rt_body(fn)[1 + VM_A(w)];
    NEXT;
L_CREFB:
    *sp++ = rt_cell_of(rt_body(fn)[1 + VM_A(w)])->payload;
    NEXT;
L_CSETB:
    rt_store((rt_value *)&rt_cell_of(rt_body(fn)[1 + VM_A(w)])->payload, sp[-1]);
    NEXT;
L_GREF:
    a = consts[VM_A(w)];
    r = rt_body(a)[RT_SYM_VALUE];
    if (__builtin_expect(r == RT_UNBOUND, 0)) {
        SAVE();
        unbound_variable(a);
    }
    *sp++ = r;
    NEXT;
L_GSET:
    rt_store(&rt_body(consts[VM_A(w)])[RT_SYM_VALUE], sp[-1]);
    NEXT;
L_POP:
    sp--;
    NEXT;
L_DROP:
    sp -= VM_A(w);
    NEXT;
L_DROPU:
    r = sp[-1];
    sp -= VM_A(w);
    sp[-1] = r;
    NEXT;
L_FREF:
    r = rt_cell_of(consts[VM_A(w)])->payload;
    if (__builtin_expect(!rt_objectp(r), 0)) {
        SAVE();
        undefined_function(consts[VM_A(w) + 1]);
    }
    *sp++ = r;
    NEXT;
L_JMPB:
    pc += VM_SA(w);
    POLL();
    NEXT;
L_JMP:
    pc += VM_SA(w);
    NEXT;
L_JF:
    if (rt_null(*--sp))
        pc += VM_SA(w);
    NEXT;
L_JT:
    if (!rt_null(*--sp))
        pc += VM_SA(w);
    NEXT;
L_JTK:
    /* OR: a true value stays as the result, a false one is dropped */
    if (!rt_null(sp[-1]))
        pc += VM_SA(w);
    else
        sp--;
    NEXT;

    /* ---- calls ---- */
#define CALL_FUNCTION(F, N, RETSP)                                          \
    do {                                                                    \
        CTL->pc_off = (uint32_t)(pc - base);                                \
        if (__builtin_expect(T->nctl >= T->ctl_limit, 0)) {                  \
            SAVE();                                                         \
            stack_exhausted(T);                                             \
        }                                                                   \
        vm_ctl *c_ = &T->ctl[T->nctl++];                                    \
        c_->fn = (F);                                                       \
        c_->fp = sp - (N);                                                  \
        c_->ret_sp = (RETSP);                                               \
        c_->flags = 0;                                                      \
        CTL = c_;                                                           \
        fp = c_->fp;                                                        \
        nargs = (N);                                                        \
        fn = (F);                                                           \
        LOAD_CODE();                                                        \
        pc = base;                                                          \
        NEXT;                                                               \
    } while (0)
#define CALL_PRIMITIVE(F, N, RETSP)                                         \
    do {                                                                    \
        rt_prim_raw *pr_ = rt_prim_raw_of(F);                               \
        if (__builtin_expect((int)(N) < pr_->min_args ||                    \
                                 (pr_->max_args >= 0 && (int)(N) > pr_->max_args), 0)) { \
            SAVE();                                                         \
            vm_error_args(F, N);                                            \
        }                                                                   \
        SAVE();                                                             \
        T->nvals = 1;                                                       \
        uint64_t ep_ = rt_gc_epoch;                                         \
        rt_value *rs_ = (RETSP);                                            \
        rt_value r_ = pr_->fn(sp - (N), (N));                               \
        /* code objects move only in a collection: reload only then */      \
        if (__builtin_expect(ep_ != rt_gc_epoch, 0))                        \
            RELOAD();                                                       \
        sp = rs_;                                                           \
        *sp++ = r_;                                                         \
    } while (0)

    {
        size_t n;
        rt_value f;
        rt_value *retsp;
    L_CALL:
        n = VM_A(w);
        f = sp[-(ptrdiff_t)n - 1];
        retsp = sp - n - 1;
        goto do_call;
    L_APPLY:
    L_TAPPLY: {
        /* stack: f a1 .. a(A-1) list: spread the list, then call (or tail call) */
        rt_value l = *--sp;
        n = VM_A(w) - 1;
        for (; rt_consp(l); l = rt_cdr(l)) {
            if (__builtin_expect(sp >= T->stack_limit, 0)) {
                SAVE();
                stack_exhausted(T);
            }
            *sp++ = rt_car(l);
            n++;
        }
        if (!rt_null(l)) {
            SAVE();
            rt_type_error(l, "list");
        }
        f = sp[-(ptrdiff_t)n - 1];
        if (VM_OP(w) == OP_TAPPLY)
            goto do_tcall;
        retsp = sp - n - 1;
        goto do_call;
    }
    L_MVCALL:
        n = (size_t)rt_fixnum_value(fp[VM_A(w)]);
        f = sp[-(ptrdiff_t)n - 1];
        retsp = sp - n - 1;
        goto do_call;
    L_GCALL:
        n = *pc++;
        f = rt_cell_of(consts[VM_A(w)])->payload;
        retsp = sp - n;
        if (__builtin_expect(!rt_objectp(f), 0)) {
            SAVE();
            undefined_function(consts[VM_A(w) + 1]);
        }
    do_call:
        if (__builtin_expect(rt_objectp(f), 1)) {
            unsigned wt = rt_widetag(f);
            if (wt == RT_WT_FUNCTION)
                CALL_FUNCTION(f, n, retsp);
            if (wt == RT_WT_PRIMITIVE) {
                CALL_PRIMITIVE(f, n, retsp);
                NEXT;
            }
            if (wt == RT_WT_SYMBOL) {
                SAVE();
                r = rt_fdefinition_or_unbound(f);
                if (r == RT_UNBOUND || vm_symbol_flag(f, RT_SYMF_MACRO) || vm_symbol_flag(f, RT_SYMF_SPECIAL_FORM))
                    undefined_function(f);
                f = r;
                goto do_call;
            }
        }
        SAVE();
        rt_type_error(f, "(or function symbol)");

    L_TCALL:
        n = VM_A(w);
        f = sp[-(ptrdiff_t)n - 1];
        goto do_tcall;
    L_GTCALL:
        n = *pc++;
        f = rt_cell_of(consts[VM_A(w)])->payload;
        if (__builtin_expect(!rt_objectp(f), 0)) {
            SAVE();
            undefined_function(consts[VM_A(w) + 1]);
        }
    do_tcall:
        if (__builtin_expect(rt_objectp(f), 1)) {
            unsigned wt = rt_widetag(f);
            if (wt == RT_WT_FUNCTION) {
                /* n is small: a plain forward copy (the source is above fp) */
                for (size_t i_ = 0; i_ < n; i_++)
                    fp[i_] = sp[(ptrdiff_t)i_ - (ptrdiff_t)n];
                sp = fp + n;
                CTL->fn = f;
                fn = f;
                nargs = n;
                LOAD_CODE();
                pc = base;
                NEXT;
            }
            if (wt == RT_WT_PRIMITIVE) {
                memmove(fp, sp - n, n * sizeof(rt_value));
                sp = fp + n;
                CALL_PRIMITIVE(f, n, fp);
                goto L_RETMV;
            }
            if (wt == RT_WT_SYMBOL) {
                SAVE();
                r = rt_fdefinition_or_unbound(f);
                if (r == RT_UNBOUND || vm_symbol_flag(f, RT_SYMF_MACRO) || vm_symbol_flag(f, RT_SYMF_SPECIAL_FORM))
                    undefined_function(f);
                f = r;
                goto do_tcall;
            }
        }
        SAVE();
        rt_type_error(f, "(or function symbol)");
    }

L_RETL:
    r = fp[VM_A(w)];
    T->nvals = 1;
    goto do_return;
L_JFL: {
    int32_t off = (int32_t)*pc++;
    if (rt_null(fp[VM_A(w)]))
        pc += off;
    NEXT;
}
L_JTL: {
    int32_t off = (int32_t)*pc++;
    if (!rt_null(fp[VM_A(w)]))
        pc += off;
    NEXT;
}
L_JNEQK: {
    int32_t off = (int32_t)*pc++;
    if (!rt_eq(*--sp, consts[VM_A(w)]))
        pc += off;
    NEXT;
}
L_JEQK: {
    int32_t off = (int32_t)*pc++;
    if (rt_eq(*--sp, consts[VM_A(w)]))
        pc += off;
    NEXT;
}
    /* ---- arrays and strings: fast paths, else a call of the function itself (the
     * operand is the pair of constants fdefn, name of AREF / %ASET / CHAR) ---- */
    {
        size_t n;
        rt_value f;
        rt_value *retsp;
    L_AREF:
        a = sp[-2];
        b = sp[-1];
        if (__builtin_expect(rt_simple_vector_p(a) && rt_fixnump(b) &&
                                 (uint64_t)rt_fixnum_value(b) < rt_vector_length(a), 1)) {
            sp[-2] = rt_body(a)[rt_fixnum_value(b)];
            sp--;
            NEXT;
        }
        n = 2;
        goto array_slow;
    L_CHAR:
        a = sp[-2];
        b = sp[-1];
        if (rt_objectp(a) && rt_fixnump(b)) {
            unsigned wt = rt_widetag(a);
            if ((wt == RT_WT_STRING || wt == RT_WT_BASE_STRING) && (uint64_t)rt_fixnum_value(b) < rt_string_length(a)) {
                sp[-2] = rt_char(rt_string_ref(a, (size_t)rt_fixnum_value(b)));
                sp--;
                NEXT;
            }
        }
        n = 2;
        goto array_slow;
    L_AREF2:
        a = sp[-3];
        if (rt_widetagp(a, RT_WT_ARRAY) && rt_info(a) == 2 && ((sp[-2] | sp[-1]) & 1) == 0) {
            rt_value *ab = rt_body(a);
            rt_value data = ab[RT_ARR_DATA];
            uint64_t i = (uint64_t)rt_fixnum_value(sp[-2]), j = (uint64_t)rt_fixnum_value(sp[-1]);
            uint64_t d0 = (uint64_t)rt_fixnum_value(ab[RT_ARR_DIMS]), d1 = (uint64_t)rt_fixnum_value(ab[RT_ARR_DIMS + 1]);
            if (rt_simple_vector_p(data) && ab[RT_ARR_OFFSET] == rt_fixnum(0) && i < d0 && j < d1) {
                sp[-3] = rt_body(data)[i * d1 + j];
                sp -= 2;
                NEXT;
            }
        }
        n = 3;
        goto array_slow;
    L_ASET:
        a = sp[-3];
        b = sp[-2];
        if (__builtin_expect(rt_simple_vector_p(a) && rt_fixnump(b) &&
                                 (uint64_t)rt_fixnum_value(b) < rt_vector_length(a), 1)) {
            rt_store(&rt_body(a)[rt_fixnum_value(b)], sp[-1]);
            sp[-3] = sp[-1];
            sp -= 2;
            NEXT;
        }
        n = 3;
        goto array_slow;
    L_ASET2:
        a = sp[-4];
        if (rt_widetagp(a, RT_WT_ARRAY) && rt_info(a) == 2 && ((sp[-3] | sp[-2]) & 1) == 0) {
            rt_value *ab = rt_body(a);
            rt_value data = ab[RT_ARR_DATA];
            uint64_t i = (uint64_t)rt_fixnum_value(sp[-3]), j = (uint64_t)rt_fixnum_value(sp[-2]);
            uint64_t d0 = (uint64_t)rt_fixnum_value(ab[RT_ARR_DIMS]), d1 = (uint64_t)rt_fixnum_value(ab[RT_ARR_DIMS + 1]);
            if (rt_simple_vector_p(data) && ab[RT_ARR_OFFSET] == rt_fixnum(0) && i < d0 && j < d1) {
                rt_store(&rt_body(data)[i * d1 + j], sp[-1]);
                sp[-4] = sp[-1];
                sp -= 3;
                NEXT;
            }
        }
        n = 4;
    array_slow:
        f = rt_cell_of(consts[VM_A(w)])->payload;
        retsp = sp - n;
        if (__builtin_expect(!rt_widetagp(f, RT_WT_PRIMITIVE), 0)) {
            SAVE();
            undefined_function(consts[VM_A(w) + 1]);
        }
        CALL_PRIMITIVE(f, n, retsp);
        NEXT;
    }

L_RET:
    T->nvals = 1;
L_RETMV:
    r = sp[-1];
do_return: {
    vm_ctl *c = CTL;
    rt_value *rs = c->ret_sp;
    T->nctl--;
    if (c->flags & VM_CTL_C_RETURN) {
        T->sp = rs;
        T->run = runp->parent;
        T->level = runp->level - 1;
        return r;
    }
    CTL = c - 1;
    *rs = r;
    sp = rs + 1;
    fn = CTL->fn;
    fp = CTL->fp;
    LOAD_CODE();
    pc = base + CTL->pc_off;
    NEXT;
}
L_NV1:
    T->nvals = 1;
    NEXT;
L_VALUES: {
    size_t n = VM_A(w);
    if (n == 1) {
        T->nvals = 1;
        NEXT;
    }
    memcpy(T->mv, sp - n, n * sizeof(rt_value));
    T->nvals = n;
    sp -= n;
    *sp++ = n ? T->mv[0] : RT_NIL;
    NEXT;
}
L_MVSAVE: {
    r = *--sp;
    size_t n = T->nvals;
    if (n == 1)
        *sp++ = r;
    else {
        memcpy(sp, T->mv, n * sizeof(rt_value));
        sp += n;
    }
    *sp++ = rt_fixnum((int64_t)n);
    NEXT;
}
L_MVRESTORE: {
    size_t n = (size_t)rt_fixnum_value(*--sp);
    sp -= n;
    if (n == 1) {
        r = sp[0];
    } else {
        memcpy(T->mv, sp, n * sizeof(rt_value));
        r = n ? T->mv[0] : RT_NIL;
    }
    T->nvals = n;
    *sp++ = r;
    NEXT;
}
L_MVPUSH: {
    r = *--sp;
    size_t n = T->nvals;
    if (n == 1)
        *sp++ = r;
    else {
        if (sp + n > T->stack_limit) {
            SAVE();
            stack_exhausted(T);
        }
        memcpy(sp, T->mv, n * sizeof(rt_value));
        sp += n;
    }
    fp[VM_A(w)] += rt_fixnum((int64_t)n);
    NEXT;
}
L_MVBIND: {
    /* push exactly (A & 0xFFFFF) values of the last form (NIL-padded), then, when bit 20
     * of A is set, the list of the values beyond them (&rest) */
    size_t want = VM_A(w) & 0xFFFFF;
    bool rest = (VM_A(w) >> 20) & 1;
    r = *--sp;
    size_t n = T->nvals;
    if (n == 1)
        T->mv[0] = r;
    if (__builtin_expect(sp + want + 1 >= T->stack_limit, 0)) {
        SAVE();
        stack_exhausted(T);
    }
    for (size_t i = 0; i < want; i++)
        *sp++ = i < n ? T->mv[i] : RT_NIL;
    if (rest) {
        *sp++ = RT_NIL;
        for (size_t i = n; i-- > want;) {
            SAVE();
            r = rt_cons(T->mv[i], sp[-1]);
            RELOAD();
            sp[-1] = r;
        }
    }
    NEXT;
}
L_ENTER: {
    /* A: nreq (12 bits) | nlocals (12 bits) */
    size_t nreq = VM_A(w) & 0xFFF, nl = VM_A(w) >> 12;
    if (__builtin_expect(nargs != nreq, 0)) {
        SAVE();
        vm_error_args(fn, nargs);
    }
    if (__builtin_expect(fp + nl + META()->maxstack >= T->stack_limit, 0)) {
        SAVE();
        stack_exhausted(T);
    }
    for (size_t i = nreq; i < nl; i++)
        fp[i] = RT_NIL;
    sp = fp + nl;
    POLL();
    NEXT;
}
L_ENTERG: {
    size_t nl = META()->nlocals;
    if (__builtin_expect(fp + nl + nargs + META()->maxstack >= T->stack_limit, 0)) {
        SAVE();
        stack_exhausted(T);
    }
    SAVE();
    parse_args(T, fn, fp, nargs, consts[VM_A(w)], nl);
    RELOAD();
    POLL();
    NEXT;
}
L_OPTINIT: {
    int32_t off = (int32_t)*pc++;
    if (fp[VM_A(w)] != RT_NO_VALUE)
        pc += off;
    NEXT;
}
L_SUPPLIEDP:
    *sp++ = fp[VM_A(w)] != RT_NO_VALUE ? RT_T : RT_NIL;
    NEXT;
L_CLOSURE: {
    size_t n = *pc++;
    SAVE();
    r = vm_make_function(consts[VM_A(w)], n);
    RELOAD();
    rt_value *body = rt_body(r);
    for (size_t i = 0; i < n; i++)
        rt_store(&body[1 + i], sp[(ptrdiff_t)i - (ptrdiff_t)n]);
    sp -= n;
    *sp++ = r;
    NEXT;
}

    /* ---- inlined standard functions: fixnum fast paths ---- */
L_ADD:
    a = sp[-2];
    b = sp[-1];
    if (__builtin_expect(((a | b) & 1) == 0 && !__builtin_add_overflow((int64_t)a, (int64_t)b, &x), 1)) {
        sp[-2] = (rt_value)x;
        sp--;
        NEXT;
    }
    SAVE();
    r = rt_add(a, b);
    RELOAD();
    sp[-2] = r;
    sp--;
    NEXT;
L_SUB:
    a = sp[-2];
    b = sp[-1];
    if (__builtin_expect(((a | b) & 1) == 0 && !__builtin_sub_overflow((int64_t)a, (int64_t)b, &x), 1)) {
        sp[-2] = (rt_value)x;
        sp--;
        NEXT;
    }
    SAVE();
    r = rt_sub(a, b);
    RELOAD();
    sp[-2] = r;
    sp--;
    NEXT;
L_ADD1:
    a = sp[-1];
    if (__builtin_expect((a & 1) == 0 && !__builtin_add_overflow((int64_t)a, (int64_t)2, &x), 1)) {
        sp[-1] = (rt_value)x;
        NEXT;
    }
    SAVE();
    r = rt_add(a, rt_fixnum(1));
    RELOAD();
    sp[-1] = r;
    NEXT;
L_SUB1:
    a = sp[-1];
    if (__builtin_expect((a & 1) == 0 && !__builtin_sub_overflow((int64_t)a, (int64_t)2, &x), 1)) {
        sp[-1] = (rt_value)x;
        NEXT;
    }
    SAVE();
    r = rt_sub(a, rt_fixnum(1));
    RELOAD();
    sp[-1] = r;
    NEXT;

#define CMP_SLOW(a, b) (SAVE(), rt_num_compare(a, b))
#define COMPARE_OP(NAME, FIXOP, SLOWTEST)                                   \
    L_##NAME:                                                               \
    a = sp[-2];                                                             \
    b = sp[-1];                                                             \
    sp--;                                                                   \
    if (__builtin_expect(((a | b) & 1) == 0, 1))                            \
        sp[-1] = rt_bool((int64_t)a FIXOP (int64_t)b);                      \
    else {                                                                  \
        SAVE();                                                             \
        bool t_ = SLOWTEST;                                                 \
        RELOAD();                                                           \
        sp[-1] = rt_bool(t_);                                               \
    }                                                                       \
    NEXT;
    COMPARE_OP(LT, <, rt_num_compare(a, b) < 0)
    COMPARE_OP(GT, >, rt_num_compare(a, b) > 0)
    COMPARE_OP(LE, <=, rt_num_compare(a, b) <= 0)
    COMPARE_OP(GE, >=, rt_num_compare(a, b) >= 0)
    COMPARE_OP(NUMEQ, ==, rt_num_equal(a, b))

#define JCOMPARE_OP(NAME, FIXOP, SLOWTEST)                                  \
    L_##NAME:                                                               \
    a = sp[-2];                                                             \
    b = sp[-1];                                                             \
    sp -= 2;                                                                \
    if (__builtin_expect(((a | b) & 1) == 0, 1)) {                          \
        if (!((int64_t)a FIXOP (int64_t)b))                                 \
            pc += VM_SA(w);                                                 \
    } else {                                                                \
        SAVE();                                                             \
        bool t_ = SLOWTEST;                                                 \
        RELOAD();                                                           \
        if (!t_)                                                            \
            pc += VM_SA(w);                                                 \
    }                                                                       \
    NEXT;
    JCOMPARE_OP(JNLT, <, rt_num_compare(a, b) < 0)
    JCOMPARE_OP(JNGT, >, rt_num_compare(a, b) > 0)
    JCOMPARE_OP(JNLE, <=, rt_num_compare(a, b) <= 0)
    JCOMPARE_OP(JNGE, >=, rt_num_compare(a, b) >= 0)
    JCOMPARE_OP(JNNUMEQ, ==, rt_num_equal(a, b))
#define JCOMPARE_TRUE_OP(NAME, FIXOP, SLOWTEST)                             \
    L_##NAME:                                                               \
    a = sp[-2];                                                             \
    b = sp[-1];                                                             \
    sp -= 2;                                                                \
    if (__builtin_expect(((a | b) & 1) == 0, 1)) {                          \
        if ((int64_t)a FIXOP (int64_t)b)                                    \
            pc += VM_SA(w);                                                 \
    } else {                                                                \
        SAVE();                                                             \
        bool t_ = SLOWTEST;                                                 \
        RELOAD();                                                           \
        if (t_)                                                             \
            pc += VM_SA(w);                                                 \
    }                                                                       \
    NEXT;
    JCOMPARE_TRUE_OP(JLT, <, rt_num_compare(a, b) < 0)
    JCOMPARE_TRUE_OP(JGT, >, rt_num_compare(a, b) > 0)
    JCOMPARE_TRUE_OP(JLE, <=, rt_num_compare(a, b) <= 0)
    JCOMPARE_TRUE_OP(JGE, >=, rt_num_compare(a, b) >= 0)
    JCOMPARE_TRUE_OP(JNUMEQ, ==, rt_num_equal(a, b))
L_ADDI:
    a = sp[-1];
    if (__builtin_expect((a & 1) == 0 && !__builtin_add_overflow((int64_t)a, (int64_t)rt_fixnum(VM_SA(w)), &x), 1)) {
        sp[-1] = (rt_value)x;
        NEXT;
    }
    SAVE();
    r = rt_add(a, rt_fixnum(VM_SA(w)));
    RELOAD();
    sp[-1] = r;
    NEXT;
L_SUBI:
    a = sp[-1];
    if (__builtin_expect((a & 1) == 0 && !__builtin_sub_overflow((int64_t)a, (int64_t)rt_fixnum(VM_SA(w)), &x), 1)) {
        sp[-1] = (rt_value)x;
        NEXT;
    }
    SAVE();
    r = rt_sub(a, rt_fixnum(VM_SA(w)));
    RELOAD();
    sp[-1] = r;
    NEXT;
L_LCAR:
    a = fp[VM_A(w)];
    if (__builtin_expect(rt_consp(a), 1))
        *sp++ = rt_car(a);
    else if (rt_null(a))
        *sp++ = RT_NIL;
    else {
        SAVE();
        rt_type_error(a, "list");
    }
    NEXT;
L_LCDR:
    a = fp[VM_A(w)];
    if (__builtin_expect(rt_consp(a), 1))
        *sp++ = rt_cdr(a);
    else if (rt_null(a))
        *sp++ = RT_NIL;
    else {
        SAVE();
        rt_type_error(a, "list");
    }
    NEXT;
L_LREF2:
    sp[0] = fp[VM_A(w) & 0xFFF];
    sp[1] = fp[VM_A(w) >> 12];
    sp += 2;
    NEXT;
L_JNEQ:
    a = sp[-2];
    b = sp[-1];
    sp -= 2;
    if (!rt_eq(a, b))
        pc += VM_SA(w);
    NEXT;
L_JEQ:
    a = sp[-2];
    b = sp[-1];
    sp -= 2;
    if (rt_eq(a, b))
        pc += VM_SA(w);
    NEXT;
L_EQ:
    sp[-2] = rt_bool(rt_eq(sp[-2], sp[-1]));
    sp--;
    NEXT;
L_CAR:
    a = sp[-1];
    if (__builtin_expect(rt_consp(a), 1))
        sp[-1] = rt_car(a);
    else if (!rt_null(a)) {
        SAVE();
        rt_type_error(a, "list");
    }
    NEXT;
L_CDR:
    a = sp[-1];
    if (__builtin_expect(rt_consp(a), 1))
        sp[-1] = rt_cdr(a);
    else if (!rt_null(a)) {
        SAVE();
        rt_type_error(a, "list");
    }
    NEXT;
L_CONS:
    SAVE();
    r = rt_cons(sp[-2], sp[-1]);
    RELOAD();
    sp[-2] = r;
    sp--;
    NEXT;
L_RPLACA:
L_RPLACD:
    a = sp[-2];
    if (__builtin_expect(!rt_consp(a), 0)) {
        SAVE();
        rt_type_error(a, "cons");
    }
    if (VM_OP(w) == OP_RPLACA)
        rt_set_car(a, sp[-1]);
    else
        rt_set_cdr(a, sp[-1]);
    sp--;
    NEXT;
L_NOT:
    sp[-1] = rt_bool(rt_null(sp[-1]));
    NEXT;
L_CONSP:
    sp[-1] = rt_bool(rt_consp(sp[-1]));
    NEXT;
L_ATOM:
    sp[-1] = rt_bool(!rt_consp(sp[-1]));
    NEXT;
L_LIST: {
    size_t n = VM_A(w);
    SAVE();
    r = rt_list_from_array(n, sp - n);   /* the arguments are on the (scanned) stack */
    RELOAD();
    sp -= n;
    *sp++ = r;
    NEXT;
}
L_SVREF:
    a = sp[-2];
    b = sp[-1];
    if (__builtin_expect(rt_simple_vector_p(a) && rt_fixnump(b) && (uint64_t)rt_fixnum_value(b) < rt_vector_length(a), 1)) {
        sp[-2] = rt_body(a)[rt_fixnum_value(b)];
        sp--;
        NEXT;
    }
    SAVE();
    if (!rt_simple_vector_p(a))
        rt_type_error(a, "simple-vector");
    rt_error("TYPE-ERROR", "Invalid index %lld for (SIMPLE-VECTOR %zu), should be a non-negative integer below %zu.",
             rt_fixnump(b) ? (long long)rt_fixnum_value(b) : -1LL, rt_vector_length(a), rt_vector_length(a));

    /* ---- non-local exits and dynamic state ---- */
L_BLOCKPUSH: {
    uint32_t landing = *pc++;
    SAVE();
    r = rt_cons(RT_NIL, RT_NIL);
    RELOAD();
    fp[VM_A(w)] = r;
    vm_uw *e = uw_push(T, UW_BLOCK);
    e->tag = r;
    e->sp = sp;
    e->pc_off = landing;
    NEXT;
}
L_UWPOP:
    T->nuw--;
    NEXT;
L_RETNL: {
    r = sp[-1];
    a = sp[-2];
    sp -= 2;
    if (T->nvals == 1)
        T->mv[0] = r;
    SAVE();
    size_t i = find_tag(T, UW_BLOCK, a);
    if (i == (size_t)-1)
        rt_error("CONTROL-ERROR", "attempt to RETURN-FROM a block that no longer exists");
    T->uw_target = i;
    unwind_continue(T);
}
L_TAGPUSH: {
    uint32_t table = *pc++;
    SAVE();
    r = rt_cons(RT_NIL, RT_NIL);
    RELOAD();
    fp[VM_A(w)] = r;
    vm_uw *e = uw_push(T, UW_TAGBODY);
    e->tag = r;
    e->sp = sp;
    e->pc_off = table;
    NEXT;
}
L_GONL: {
    a = *--sp;
    SAVE();
    size_t i = find_tag(T, UW_TAGBODY, a);
    if (i == (size_t)-1)
        rt_error("CONTROL-ERROR", "attempt to GO to a tag that no longer exists");
    T->uw_target = i;
    T->go_index = VM_A(w);
    T->nvals = 0;
    unwind_continue(T);
}
L_CATCHPUSH: {
    a = *--sp;
    vm_uw *e = uw_push(T, UW_CATCH);
    e->tag = a;
    e->sp = sp;
    e->pc_off = VM_A(w);
    NEXT;
}
L_THROW: {
    r = sp[-1];
    a = sp[-2];
    sp -= 2;
    if (T->nvals == 1)
        T->mv[0] = r;
    SAVE();
    size_t i = find_tag(T, UW_CATCH, a);
    if (i == (size_t)-1)
        rt_error("CONTROL-ERROR", "attempt to THROW to a tag that does not exist");
    T->uw_target = i;
    unwind_continue(T);
}
L_UWPPUSH: {
    vm_uw *e = uw_push(T, UW_UWP);
    e->sp = sp;
    e->pc_off = VM_A(w);
    NEXT;
}
L_UWPNORMAL: {
    T->nuw--;
    r = *--sp;
    size_t n = T->nvals;
    if (n == 1)
        *sp++ = r;
    else {
        memcpy(sp, T->mv, n * sizeof(rt_value));
        sp += n;
    }
    *sp++ = rt_fixnum((int64_t)n);
    *sp++ = rt_fixnum(-1);
    *sp++ = rt_fixnum(0);
    NEXT;
}
L_UWPEND: {
    size_t go = (size_t)rt_fixnum_value(*--sp);
    int64_t target = rt_fixnum_value(*--sp);
    size_t n = (size_t)rt_fixnum_value(*--sp);
    sp -= n;
    if (target < 0) {
        if (n == 1)
            r = sp[0];
        else {
            memcpy(T->mv, sp, n * sizeof(rt_value));
            r = n ? T->mv[0] : RT_NIL;
        }
        T->nvals = n;
        *sp++ = r;
        NEXT;
    }
    memcpy(T->mv, sp, n * sizeof(rt_value));
    T->nvals = n;
    T->uw_target = (size_t)target;
    T->go_index = go;
    SAVE();
    unwind_continue(T);
}
L_BIND:
    a = consts[VM_A(w)];
    r = *--sp;
    bind_push(T, a, r);
    NEXT;
L_UNBIND:
    vm_unbind_to(T, T->nbind - VM_A(w));
    NEXT;
L_PROGV: {
    rt_value syms = sp[-2], vals = sp[-1];
    sp -= 2;
    fp[VM_A(w)] = rt_fixnum((int64_t)T->nbind);
    for (; rt_consp(syms); syms = rt_cdr(syms)) {
        rt_value s = rt_car(syms);
        if (!rt_symbolp(s)) {
            SAVE();
            rt_type_error(s, "symbol");
        }
        if (rt_consp(vals)) {
            bind_push(T, s, rt_car(vals));
            vals = rt_cdr(vals);
        } else
            bind_push(T, s, RT_UNBOUND);
    }
    NEXT;
}
L_UNBINDTO:
    vm_unbind_to(T, (size_t)rt_fixnum_value(fp[VM_A(w)]));
    NEXT;
}

/* ---- Backtrace and printing of functions --------------------------------------------- */

#include "rt/printer.h"
#include "rt/stream.h"

/* "NAME" or "(LAMBDA (X Y))" into a malloc'd string. */
static char *function_label(rt_value fn)
{
    rt_value name = rt_function_name(fn);
    if (!rt_null(name))
        return vm_message_text(name);
    rt_value ll = RT_NIL;
    if (rt_widetagp(fn, RT_WT_FUNCTION))
        ll = rt_body(rt_function_code(fn))[RT_CODE_DEBUG];
    char *lls = rt_null(ll) ? strdup("()") : vm_message_text(ll);
    size_t n = strlen(lls) + 16;
    char *out = malloc(n);
    snprintf(out, n, "(LAMBDA %s)", lls);
    free(lls);
    return out;
}

void rt_vm_backtrace(void *file, int max_frames)
{
    FILE *f = file;
    vm_thread *T = vm_current;
    int k = 0;
    rt_value plen = rt_intern_c("*PRINT-LENGTH*", "COMMON-LISP"), plev = rt_intern_c("*PRINT-LEVEL*", "COMMON-LISP");
    size_t depth = T->nbind;
    bind_push(T, plen, rt_fixnum(5));
    bind_push(T, plev, rt_fixnum(3));
    for (size_t i = T->nctl; i-- > 0 && k < max_frames; k++) {
        vm_ctl *c = &T->ctl[i];
        char *label = function_label(c->fn);
        fprintf(f, "%d: (%s", k, label);
        free(label);
        if (rt_widetagp(c->fn, RT_WT_FUNCTION)) {
            rt_value code = rt_function_code(c->fn);
            size_t np = rt_code_meta_of(code)->nparams;
            for (size_t j = 0; j < np && j < 8; j++) {
                rt_value v = c->fp[j];
                char *s = v == RT_NO_VALUE ? strdup("#<unsupplied>") : vm_message_text(v);
                fprintf(f, " %s", s);
                free(s);
            }
        }
        fprintf(f, ")\n");
    }
    vm_unbind_to(T, depth);
}

/* #<FUNCTION NAME>, #<FUNCTION (LAMBDA (X)) {ADDR}>, #<CLOSURE (LAMBDA ...) {ADDR}> as SBCL
 * prints them. */
static void print_function(rt_value fn, rt_value stream, bool escape)
{
    (void)escape;
    char addr[24];
    rt_value name = rt_function_name(fn);
    bool closure = rt_widetagp(fn, RT_WT_FUNCTION) && rt_info(fn) > 0;
    char *label = function_label(fn);
    rt_write_cstr(stream, closure ? "#<CLOSURE " : "#<FUNCTION ");
    rt_write_cstr(stream, label);
    free(label);
    if (rt_null(name) || closure) {
        rt_write_cstr(stream, " ");
        rt_write_cstr(stream, rt_print_address(fn, addr));
    }
    rt_write_cstr(stream, ">");
}

static void print_other(rt_value x, rt_value stream, bool escape)
{
    (void)escape;
    char addr[24];
    const char *kind = "OBJECT";
    switch (rt_widetag(x)) {
    case RT_WT_CODE: kind = "CODE-COMPONENT"; break;
    case RT_WT_FDEFN: kind = "FDEFN"; break;
    case RT_WT_VALUE_CELL: kind = "VALUE-CELL"; break;
    case RT_WT_THREAD: {
        rt_write_cstr(stream, "#<KONS:THREAD ");
        char *s = vm_message_text(rt_body(x)[0]);
        rt_write_cstr(stream, s);
        free(s);
        rt_write_cstr(stream, " ");
        rt_write_cstr(stream, rt_print_address(x, addr));
        rt_write_cstr(stream, ">");
        return;
    }
    }
    rt_write_cstr(stream, "#<");
    rt_write_cstr(stream, kind);
    rt_write_cstr(stream, " ");
    rt_write_cstr(stream, rt_print_address(x, addr));
    rt_write_cstr(stream, ">");
}

void vm_printer_hooks_init(void)
{
    rt_printer_set_hook(RT_WT_FUNCTION, print_function);
    rt_printer_set_hook(RT_WT_PRIMITIVE, print_function);
    rt_printer_set_hook(RT_WT_CODE, print_other);
    rt_printer_set_hook(RT_WT_FDEFN, print_other);
    rt_printer_set_hook(RT_WT_VALUE_CELL, print_other);
    rt_printer_set_hook(RT_WT_THREAD, print_other);
}
