/* runtime/list.c: conses and lists.
 *
 * Functions that walk lists detect improper lists (type-error naming the offending
 * tail) and, where the standard requires a proper list, circularity (Floyd's tortoise
 * and hare in list-length).
 */
#include "obj_internal.h"
#include "rt/number.h"

#include <stdarg.h>
#include <stdlib.h>

/* Lists of up to this many elements are made with one nursery bump when there is room. */
#define RT_LIST_ONE_BUMP_MAX 4096

rt_value rt_list(size_t n, ...)
{
    rt_value tmp[16];
    rt_value *v = n <= 16 ? tmp : malloc(n * sizeof *v);
    if (!v)
        rt_storage_error("rt_list");
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        v[i] = va_arg(ap, rt_value);
    va_end(ap);
    rt_value r = rt_list_from_array(n, v);
    if (v != tmp)
        free(v);
    return r;
}

rt_value rt_list_from_array(size_t n, const rt_value *v)
{
    if (n == 0)
        return RT_NIL;
    /* When the nursery has room for all n conses, take them at once: no collection can
     * come between, so the elements need no rooting (the common case, and what LIST
     * compiles to). */
    uintptr_t p = rt_nursery_top_;
    if (n <= RT_LIST_ONE_BUMP_MAX && p + 16 * n <= rt_nursery_limit_) {
        rt_nursery_top_ = p + 16 * n;
        rt_cons_cell *c = (rt_cons_cell *)p;
        for (size_t i = 0; i + 1 < n; i++) {
            c[i].car = v[i];
            c[i].cdr = (rt_value)(uintptr_t)&c[i + 1] | RT_TAG_CONS;
        }
        c[n - 1].car = v[n - 1];
        c[n - 1].cdr = RT_NIL;
        return (rt_value)p | RT_TAG_CONS;
    }
    /* Otherwise each element is rooted while the list is built from the end. */
    rt_value result = RT_NIL;
    RT_ROOTS(result);
    size_t depth = rt_root_depth();
    rt_value *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy)
        rt_storage_error("rt_list");
    memcpy(copy, v, n * sizeof *copy);
    for (size_t i = 0; i < n; i++)
        rt_root_push(&copy[i]);
    for (size_t i = n; i-- > 0;)
        result = rt_cons(copy[i], result);
    rt_root_restore(depth);
    free(copy);
    return result;
}

size_t rt_list_length(rt_value list)
{
    size_t n = 0;
    for (; rt_consp(list); list = rt_cdr(list))
        n++;
    return n;
}

rt_value rt_nreverse(rt_value list)
{
    rt_value prev = RT_NIL;
    while (rt_consp(list)) {
        rt_value next = rt_cdr(list);
        rt_set_cdr(list, prev);
        prev = list;
        list = next;
    }
    return prev;
}

rt_value rt_memq(rt_value x, rt_value list)
{
    for (; rt_consp(list); list = rt_cdr(list))
        if (rt_eq(rt_car(list), x))
            return list;
    return RT_NIL;
}

/* Copies list a (which must be proper) onto b. */
rt_value rt_append2(rt_value a, rt_value b)
{
    if (!rt_consp(a)) {
        rt_check_list(a);
        return b;
    }
    rt_value head = RT_NIL, tail = RT_NIL;
    RT_ROOTS(a, b, head, tail);
    for (; rt_consp(a); a = rt_cdr(a)) {
        rt_value c = rt_cons(rt_car(a), RT_NIL);
        if (rt_null(head))
            head = c;
        else
            rt_set_cdr(tail, c);
        tail = c;
    }
    if (!rt_null(a))
        rt_type_error(a, "list");
    rt_set_cdr(tail, b);
    return head;
}

/* ---- Lisp functions -------------------------------------------------------------- */

static rt_value car_of(rt_value x)
{
    if (rt_consp(x))
        return rt_car(x);
    if (rt_null(x))
        return RT_NIL;
    rt_type_error(x, "list");
}
static rt_value cdr_of(rt_value x)
{
    if (rt_consp(x))
        return rt_cdr(x);
    if (rt_null(x))
        return RT_NIL;
    rt_type_error(x, "list");
}

/* c[ad]{1,4}r: the path is read right to left. */
static rt_value cxr(rt_value x, const char *path)
{
    size_t n = strlen(path);
    for (size_t i = n; i-- > 0;)
        x = path[i] == 'A' ? car_of(x) : cdr_of(x);
    return x;
}

#define CXR(name, path)                                                      \
    static rt_value p_c##name##r(rt_value *a, size_t n) { return cxr(a[0], path); }
CXR(a, "A") CXR(d, "D")
CXR(aa, "AA") CXR(ad, "AD") CXR(da, "DA") CXR(dd, "DD")
CXR(aaa, "AAA") CXR(aad, "AAD") CXR(ada, "ADA") CXR(add, "ADD")
CXR(daa, "DAA") CXR(dad, "DAD") CXR(dda, "DDA") CXR(ddd, "DDD")
CXR(aaaa, "AAAA") CXR(aaad, "AAAD") CXR(aada, "AADA") CXR(aadd, "AADD")
CXR(adaa, "ADAA") CXR(adad, "ADAD") CXR(adda, "ADDA") CXR(addd, "ADDD")
CXR(daaa, "DAAA") CXR(daad, "DAAD") CXR(dada, "DADA") CXR(dadd, "DADD")
CXR(ddaa, "DDAA") CXR(ddad, "DDAD") CXR(ddda, "DDDA") CXR(dddd, "DDDD")

static rt_value p_cons(rt_value *a, size_t n) { return rt_cons(a[0], a[1]); }
static rt_value p_rplaca(rt_value *a, size_t n)
{
    rt_set_car(rt_check_cons(a[0]), a[1]);
    return a[0];
}
static rt_value p_rplacd(rt_value *a, size_t n)
{
    rt_set_cdr(rt_check_cons(a[0]), a[1]);
    return a[0];
}
/* (SYS:%RPLACA cons x) returning x, for (setf car). */
static rt_value p_set_car(rt_value *a, size_t n)
{
    rt_set_car(rt_check_cons(a[0]), a[1]);
    return a[1];
}
static rt_value p_set_cdr(rt_value *a, size_t n)
{
    rt_set_cdr(rt_check_cons(a[0]), a[1]);
    return a[1];
}
static rt_value p_list(rt_value *a, size_t n) { return rt_list_from_array(n, a); }
/* r = a[n-1], then r = op(a[i], r) for i from n-2 down to 0, the other values copied
 * and rooted first (op may allocate; a is the caller's argument array). */
static rt_value fold_right(rt_value *a, size_t n, rt_value (*op)(rt_value, rt_value), const char *who)
{
    rt_value r = a[n - 1];
    RT_ROOTS(r);
    size_t depth = rt_root_depth();
    rt_value *copy = malloc(n * sizeof *copy);
    if (!copy)
        rt_storage_error(who);
    memcpy(copy, a, n * sizeof *copy);
    for (size_t i = 0; i + 1 < n; i++)
        rt_root_push(&copy[i]);
    for (size_t i = n - 1; i-- > 0;)
        r = op(copy[i], r);
    rt_root_restore(depth);
    free(copy);
    return r;
}

static rt_value cons2(rt_value a, rt_value b) { return rt_cons(a, b); }
static rt_value p_list_star(rt_value *a, size_t n) { return fold_right(a, n, cons2, "list*"); }
static rt_value p_append(rt_value *a, size_t n) { return n ? fold_right(a, n, rt_append2, "append") : RT_NIL; }

static rt_value p_nconc(rt_value *a, size_t n)
{
    rt_value result = RT_NIL, last = RT_NIL;
    for (size_t i = 0; i < n; i++) {
        rt_value x = a[i];
        if (rt_null(x))
            continue;
        if (!rt_consp(x)) {
            if (i + 1 < n)
                rt_type_error(x, "list");
        }
        if (rt_null(result))
            result = x;
        else
            rt_set_cdr(last, x);
        if (rt_consp(x)) {
            while (rt_consp(rt_cdr(x)))
                x = rt_cdr(x);
            last = x;
        }
    }
    return result;
}

size_t rt_seq_length(rt_value v)
{
    if (rt_listp(v)) {
        size_t n = 0;
        rt_value l = v;
        for (; rt_consp(l); l = rt_cdr(l))
            n++;
        if (!rt_null(l))
            rt_type_error(v, "list");
        return n;
    }
    if (rt_vectorp(v)) {
        if (rt_widetagp(v, RT_WT_ARRAY)) {
            rt_value *b = rt_body(v);
            return (size_t)rt_fixnum_value(rt_fixnump(b[RT_ARR_FILL]) ? b[RT_ARR_FILL] : b[RT_ARR_DIMS]);
        }
        return (size_t)rt_info(v);
    }
    rt_type_error(v, "sequence");
}

static rt_value p_length(rt_value *a, size_t n) { return rt_fixnum((int64_t)rt_seq_length(a[0])); }

static rt_value p_list_length(rt_value *a, size_t n)
{
    rt_value slow = a[0], fast = a[0];
    int64_t len = 0;
    for (;;) {
        if (rt_null(fast))
            return rt_fixnum(len);
        rt_check_list(fast);
        fast = rt_cdr(fast);
        len++;
        if (rt_null(fast))
            return rt_fixnum(len);
        rt_check_list(fast);
        fast = rt_cdr(fast);
        len++;
        slow = rt_cdr(slow);
        if (rt_eq(fast, slow) && rt_consp(fast))
            return RT_NIL;
    }
}

static int64_t check_count(rt_value v)
{
    if (rt_fixnump(v) && rt_fixnum_value(v) >= 0)
        return rt_fixnum_value(v);
    if (rt_integerp(v) && !rt_fixnump(v) && rt_num_compare(v, rt_fixnum(0)) > 0)
        return INT64_MAX; /* a positive bignum: more than any list is long */
    rt_type_error(v, "unsigned-byte");
}

static rt_value p_nthcdr(rt_value *a, size_t n)
{
    int64_t k = check_count(a[0]);
    rt_value l = a[1];
    for (; k > 0 && rt_consp(l); k--)
        l = rt_cdr(l);
    if (k > 0)
        rt_check_list(l);
    return l;
}
static rt_value p_nth(rt_value *a, size_t n) { return car_of(p_nthcdr(a, n)); }

static rt_value p_last(rt_value *a, size_t n)
{
    int64_t k = n > 1 ? check_count(a[1]) : 1;
    rt_value l = rt_check_list(a[0]), lead = l;
    for (int64_t i = 0; i < k && rt_consp(lead); i++)
        lead = rt_cdr(lead);
    while (rt_consp(lead)) {
        lead = rt_cdr(lead);
        l = rt_cdr(l);
    }
    return l;
}

static rt_value p_butlast(rt_value *a, size_t n)
{
    int64_t k = n > 1 ? check_count(a[1]) : 1;
    rt_value l = rt_check_list(a[0]);
    int64_t len = (int64_t)rt_list_length(l);
    rt_value head = RT_NIL, tail = RT_NIL;
    RT_ROOTS(l, head, tail);
    for (int64_t i = 0; i < len - k; i++, l = rt_cdr(l)) {
        rt_value c = rt_cons(rt_car(l), RT_NIL);
        if (rt_null(head))
            head = c;
        else
            rt_set_cdr(tail, c);
        tail = c;
    }
    return head;
}

static rt_value p_nbutlast(rt_value *a, size_t n)
{
    int64_t k = n > 1 ? check_count(a[1]) : 1;
    rt_value l = rt_check_list(a[0]);
    int64_t len = (int64_t)rt_list_length(l);
    if (len <= k)
        return RT_NIL;
    rt_value c = l;
    for (int64_t i = 1; i < len - k; i++)
        c = rt_cdr(c);
    rt_set_cdr(c, RT_NIL);
    return l;
}

static rt_value p_copy_list(rt_value *a, size_t n)
{
    rt_value l = rt_check_list(a[0]), head = RT_NIL, tail = RT_NIL;
    RT_ROOTS(l, head, tail);
    for (; rt_consp(l); l = rt_cdr(l)) {
        rt_value c = rt_cons(rt_car(l), RT_NIL);
        if (rt_null(head))
            head = c;
        else
            rt_set_cdr(tail, c);
        tail = c;
    }
    if (!rt_null(head))
        rt_set_cdr(tail, l); /* dotted tail */
    return rt_null(head) ? l : head;
}

static rt_value copy_tree(rt_value x, int depth)
{
    if (!rt_consp(x))
        return x;
    if (depth > 100000)
        rt_storage_error("copy-tree: nesting too deep");
    rt_value head = RT_NIL, tail = RT_NIL, t = RT_NIL;
    RT_ROOTS(x, head, tail, t);
    for (; rt_consp(x); x = rt_cdr(x)) {
        t = copy_tree(rt_car(x), depth + 1);
        rt_value c = rt_cons(t, RT_NIL);
        if (rt_null(head))
            head = c;
        else
            rt_set_cdr(tail, c);
        tail = c;
    }
    rt_set_cdr(tail, x);
    return head;
}
static rt_value p_copy_tree(rt_value *a, size_t n) { return copy_tree(a[0], 0); }

static rt_value p_revappend(rt_value *a, size_t n)
{
    rt_value l = rt_check_list(a[0]), r = a[1];
    RT_ROOTS(l, r);
    for (; rt_consp(l); l = rt_cdr(l))
        r = rt_cons(rt_car(l), r);
    return r;
}
static rt_value p_nreconc(rt_value *a, size_t n)
{
    rt_value l = rt_check_list(a[0]), r = a[1];
    while (rt_consp(l)) {
        rt_value next = rt_cdr(l);
        rt_set_cdr(l, r);
        r = l;
        l = next;
    }
    return r;
}

rt_value rt_reverse_vector(rt_value v, bool destructive);
static rt_value p_reverse(rt_value *a, size_t n)
{
    if (rt_listp(a[0])) {
        rt_value l = a[0], r = RT_NIL;
        RT_ROOTS(l, r);
        for (; rt_consp(l); l = rt_cdr(l))
            r = rt_cons(rt_car(l), r);
        if (!rt_null(l))
            rt_type_error(a[0], "list");
        return r;
    }
    return rt_reverse_vector(a[0], false);
}
static rt_value p_nreverse(rt_value *a, size_t n)
{
    if (rt_listp(a[0]))
        return rt_nreverse(a[0]);
    return rt_reverse_vector(a[0], true);
}

static rt_value p_endp(rt_value *a, size_t n)
{
    if (rt_null(a[0]))
        return RT_T;
    if (rt_consp(a[0]))
        return RT_NIL;
    rt_type_error(a[0], "list");
}
static rt_value p_atom(rt_value *a, size_t n) { return rt_bool(!rt_consp(a[0])); }
static rt_value p_consp(rt_value *a, size_t n) { return rt_bool(rt_consp(a[0])); }
static rt_value p_listp(rt_value *a, size_t n) { return rt_bool(rt_listp(a[0])); }
static rt_value p_null(rt_value *a, size_t n) { return rt_bool(rt_null(a[0])); }

static bool tree_equal(rt_value x, rt_value y, rt_value test, int depth)
{
    for (;;) {
        if (rt_consp(x)) {
            if (!rt_consp(y))
                return false;
            if (depth > 100000)
                rt_storage_error("tree-equal: nesting too deep");
            if (!tree_equal(rt_car(x), rt_car(y), test, depth + 1))
                return false;
            x = rt_cdr(x);
            y = rt_cdr(y);
            continue;
        }
        if (rt_consp(y))
            return false;
        if (test == RT_NO_VALUE)
            return rt_eql(x, y);
        rt_value args[2] = {x, y};
        return rt_true(rt_funcall(test, 2, args));
    }
}
static rt_value p_tree_equal(rt_value *a, size_t n)
{
    static const char *const keys[] = {"TEST", "TEST-NOT", NULL};
    rt_kwargs_check(a, n, 2, keys);
    rt_value test = rt_kwarg(a, n, 2, "TEST");
    return rt_bool(tree_equal(a[0], a[1], test, 0));
}

static rt_value p_make_list(rt_value *a, size_t n)
{
    static const char *const keys[] = {"INITIAL-ELEMENT", NULL};
    rt_kwargs_check(a, n, 1, keys);
    int64_t k = rt_check_index(a[0], 0, RT_MOST_POSITIVE_FIXNUM, "(integer 0 *)");
    rt_value ie = rt_kwarg(a, n, 1, "INITIAL-ELEMENT");
    if (ie == RT_NO_VALUE)
        ie = RT_NIL;
    rt_value r = RT_NIL;
    RT_ROOTS(ie, r);
    for (int64_t i = 0; i < k; i++)
        r = rt_cons(ie, r);
    return r;
}

/* (SYS:%GETF plist indicator default) and (SYS:%PUTF plist indicator value) -> new plist */
static rt_value p_getf(rt_value *a, size_t n)
{
    for (rt_value l = a[0]; rt_consp(l); l = rt_cdr(l)) {
        if (!rt_consp(rt_cdr(l)))
            rt_error("SIMPLE-ERROR", "malformed property list");
        if (rt_eq(rt_car(l), a[1]))
            return rt_car(rt_cdr(l));
        l = rt_cdr(l);
    }
    return n > 2 ? a[2] : RT_NIL;
}
static rt_value p_putf(rt_value *a, size_t n)
{
    for (rt_value l = a[0]; rt_consp(l) && rt_consp(rt_cdr(l)); l = rt_cdr(rt_cdr(l)))
        if (rt_eq(rt_car(l), a[1])) {
            rt_set_car(rt_cdr(l), a[2]);
            return a[0];
        }
    rt_value plist = a[0], ind = a[1];
    RT_ROOTS(plist, ind);
    rt_value c = rt_cons(a[2], plist);
    return rt_cons(ind, c);
}

static rt_value p_memq(rt_value *a, size_t n) { return rt_memq(a[0], a[1]); }
static rt_value p_assq(rt_value *a, size_t n)
{
    for (rt_value l = a[1]; rt_consp(l); l = rt_cdr(l))
        if (rt_consp(rt_car(l)) && rt_eq(rt_car(rt_car(l)), a[0]))
            return rt_car(l);
    return RT_NIL;
}

const rt_prim_def rt_list_prims[] = {
    {"COMMON-LISP", "CAR", p_car, 1, 1},
    {"COMMON-LISP", "CDR", p_cdr, 1, 1},
    {"COMMON-LISP", "FIRST", p_car, 1, 1},
    {"COMMON-LISP", "REST", p_cdr, 1, 1},
    {"COMMON-LISP", "CAAR", p_caar, 1, 1},
    {"COMMON-LISP", "CADR", p_cadr, 1, 1},
    {"COMMON-LISP", "CDAR", p_cdar, 1, 1},
    {"COMMON-LISP", "CDDR", p_cddr, 1, 1},
    {"COMMON-LISP", "CAAAR", p_caaar, 1, 1},
    {"COMMON-LISP", "CAADR", p_caadr, 1, 1},
    {"COMMON-LISP", "CADAR", p_cadar, 1, 1},
    {"COMMON-LISP", "CADDR", p_caddr, 1, 1},
    {"COMMON-LISP", "CDAAR", p_cdaar, 1, 1},
    {"COMMON-LISP", "CDADR", p_cdadr, 1, 1},
    {"COMMON-LISP", "CDDAR", p_cddar, 1, 1},
    {"COMMON-LISP", "CDDDR", p_cdddr, 1, 1},
    {"COMMON-LISP", "CAAAAR", p_caaaar, 1, 1},
    {"COMMON-LISP", "CAAADR", p_caaadr, 1, 1},
    {"COMMON-LISP", "CAADAR", p_caadar, 1, 1},
    {"COMMON-LISP", "CAADDR", p_caaddr, 1, 1},
    {"COMMON-LISP", "CADAAR", p_cadaar, 1, 1},
    {"COMMON-LISP", "CADADR", p_cadadr, 1, 1},
    {"COMMON-LISP", "CADDAR", p_caddar, 1, 1},
    {"COMMON-LISP", "CADDDR", p_cadddr, 1, 1},
    {"COMMON-LISP", "CDAAAR", p_cdaaar, 1, 1},
    {"COMMON-LISP", "CDAADR", p_cdaadr, 1, 1},
    {"COMMON-LISP", "CDADAR", p_cdadar, 1, 1},
    {"COMMON-LISP", "CDADDR", p_cdaddr, 1, 1},
    {"COMMON-LISP", "CDDAAR", p_cddaar, 1, 1},
    {"COMMON-LISP", "CDDADR", p_cddadr, 1, 1},
    {"COMMON-LISP", "CDDDAR", p_cdddar, 1, 1},
    {"COMMON-LISP", "CDDDDR", p_cddddr, 1, 1},
    {"COMMON-LISP", "CONS", p_cons, 2, 2},
    {"COMMON-LISP", "RPLACA", p_rplaca, 2, 2},
    {"COMMON-LISP", "RPLACD", p_rplacd, 2, 2},
    {"KONS-SYSTEM", "%SET-CAR", p_set_car, 2, 2},
    {"KONS-SYSTEM", "%SET-CDR", p_set_cdr, 2, 2},
    {"COMMON-LISP", "LIST", p_list, 0, -1},
    {"COMMON-LISP", "LIST*", p_list_star, 1, -1},
    {"COMMON-LISP", "APPEND", p_append, 0, -1},
    {"COMMON-LISP", "NCONC", p_nconc, 0, -1},
    {"COMMON-LISP", "LENGTH", p_length, 1, 1},
    {"COMMON-LISP", "LIST-LENGTH", p_list_length, 1, 1},
    {"COMMON-LISP", "NTH", p_nth, 2, 2},
    {"COMMON-LISP", "NTHCDR", p_nthcdr, 2, 2},
    {"COMMON-LISP", "LAST", p_last, 1, 2},
    {"COMMON-LISP", "BUTLAST", p_butlast, 1, 2},
    {"COMMON-LISP", "NBUTLAST", p_nbutlast, 1, 2},
    {"COMMON-LISP", "COPY-LIST", p_copy_list, 1, 1},
    {"COMMON-LISP", "COPY-TREE", p_copy_tree, 1, 1},
    {"COMMON-LISP", "REVAPPEND", p_revappend, 2, 2},
    {"COMMON-LISP", "NRECONC", p_nreconc, 2, 2},
    {"COMMON-LISP", "REVERSE", p_reverse, 1, 1},
    {"COMMON-LISP", "NREVERSE", p_nreverse, 1, 1},
    {"COMMON-LISP", "ENDP", p_endp, 1, 1},
    {"COMMON-LISP", "ATOM", p_atom, 1, 1},
    {"COMMON-LISP", "CONSP", p_consp, 1, 1},
    {"COMMON-LISP", "LISTP", p_listp, 1, 1},
    {"COMMON-LISP", "NULL", p_null, 1, 1},
    {"COMMON-LISP", "NOT", p_null, 1, 1},
    {"COMMON-LISP", "TREE-EQUAL", p_tree_equal, 2, -1},
    {"COMMON-LISP", "MAKE-LIST", p_make_list, 1, -1},
    {"KONS-SYSTEM", "%GETF", p_getf, 2, 3},
    {"KONS-SYSTEM", "%PUTF", p_putf, 3, 3},
    {"KONS-SYSTEM", "%MEMQ", p_memq, 2, 2},
    {"KONS-SYSTEM", "%ASSQ", p_assq, 2, 2},
};
const size_t rt_list_prims_count = RT_COUNTOF(rt_list_prims);
