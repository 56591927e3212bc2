/* runtime/package.c: packages.
 *
 * A package (RT_WT_PACKAGE, slots in rt/object.h) keeps its present symbols in two
 * EQUAL hash tables keyed by name: internal and external. Inherited symbols are found
 * through the use list's external tables. The registry maps every package name and
 * nickname to its package (an EQUAL table, a GC root).
 *
 * Name conflicts (export, import, use-package) signal PACKAGE-ERROR; the standard's
 * continuable restarts are left to the library (the error carries the message).
 * COMMON-LISP is locked: its symbols carry RT_SYMF_LOCKED (the VM may inline them).
 */
#include "obj_internal.h"

#include <stdio.h>
#include <stdlib.h>

rt_value rt_use_package_1(rt_value used, rt_value user);
rt_value rt_pkg_cl, rt_pkg_keyword, rt_pkg_cl_user, rt_pkg_kons, rt_pkg_sys;
static rt_value registry; /* name string -> package */

static const char *const cl_names[] = {
#include "cl_symbols.inc"
};

static rt_value pkg_slot(rt_value p, enum rt_package_slot s) { return rt_body(p)[s]; }

/* A package designator to a package; errors when there is no such package. */
static rt_value to_package(rt_value d)
{
    if (rt_packagep(d))
        return d;
    rt_value p = rt_find_package(d);
    if (rt_null(p)) {
        char *s = rt_debug_string(d);
        char msg[200];
        snprintf(msg, sizeof msg, "%s", s);
        free(s);
        rt_error("PACKAGE-ERROR", "The name \"%s\" does not designate any package.", msg);
    }
    return p;
}

/* Name of a designator as C-owned code points (malloc'd). */
static uint32_t *designator_chars(rt_value d, size_t *len)
{
    rt_value s;
    if (rt_stringp(d))
        s = d;
    else if (rt_symbolp(d))
        s = rt_symbol_name(d);
    else if (rt_characterp(d)) {
        uint32_t *b = malloc(4);
        if (!b)
            rt_storage_error("name");
        b[0] = rt_char_code(d);
        *len = 1;
        return b;
    } else
        rt_type_error(d, "(or string symbol character)");
    size_t st;
    rt_value data = rt_string_data(s, &st, len);
    uint32_t *b = malloc((*len ? *len : 1) * 4);
    if (!b)
        rt_storage_error("name");
    for (size_t i = 0; i < *len; i++)
        b[i] = rt_string_ref(data, st + i);
    return b;
}

rt_value rt_find_package(rt_value d)
{
    if (rt_packagep(d))
        return d;
    size_t len;
    uint32_t *chars = designator_chars(d, &len);
    bool found;
    rt_value p = rt_gethash_chars(registry, chars, len, &found);
    free(chars);
    return found ? p : RT_NIL;
}

/* Looks a package up by a C name without allocating (callers compare values they hold). */
static rt_value find_package_c(const char *name)
{
    uint32_t *chars;
    size_t bad;
    long n = rt_utf8_decode(name, strlen(name), &chars, &bad);
    if (n < 0)
        return RT_NIL;
    bool found;
    rt_value p = rt_gethash_chars(registry, chars, (size_t)n, &found);
    free(chars);
    return found ? p : RT_NIL;
}

/* Fresh simple string with the designator's name (simple, so it can be a key). */
static rt_value name_string(rt_value d)
{
    size_t len;
    uint32_t *chars = designator_chars(d, &len);
    rt_value s = rt_string_from_chars(chars, len);
    free(chars);
    return s;
}

static void register_name(rt_value name, rt_value pkg)
{
    bool found;
    RT_ROOTS(name, pkg);
    rt_value other = rt_gethash(registry, name, RT_NIL, &found);
    if (found && !rt_eq(other, pkg)) {
        char *s = rt_debug_string(name);
        char msg[200];
        snprintf(msg, sizeof msg, "%s", s);
        free(s);
        rt_error("PACKAGE-ERROR", "A package named \"%s\" already exists.", msg);
    }
    rt_puthash(registry, name, pkg);
}

rt_value rt_make_package(rt_value name, rt_value nicknames, rt_value use_list)
{
    RT_ROOTS(name, nicknames, use_list);
    name = name_string(name);
    rt_value nicks = RT_NIL, pkg = RT_NIL, t1 = RT_NIL, t2 = RT_NIL;
    RT_ROOTS(nicks, pkg, t1, t2);
    if (!rt_null(rt_find_package(name)))
        register_name(name, RT_T); /* signals the "already exists" error */
    /* Loop variables are rooted for the whole loop: the body allocates. */
    rt_value l = nicknames;
    RT_ROOTS(l);
    for (; rt_consp(l); l = rt_cdr(l)) {
        t1 = name_string(rt_car(l));
        if (!rt_null(rt_find_package(t1)))
            register_name(t1, RT_T);
        nicks = rt_cons(t1, nicks);
    }
    nicks = rt_nreverse(nicks);
    t1 = rt_make_hash_table(rt_sym_equal, 16, RT_NIL);
    t2 = rt_make_hash_table(rt_sym_equal, 16, RT_NIL);
    pkg = rt_alloc_object(RT_WT_PACKAGE, 0, RT_PKG_NSLOTS, RT_PKG_NSLOTS);
    rt_value *b = rt_body(pkg);
    b[RT_PKG_NAME] = name;
    b[RT_PKG_NICKNAMES] = nicks;
    b[RT_PKG_INTERNAL] = t1;
    b[RT_PKG_EXTERNAL] = t2;
    b[RT_PKG_FLAGS] = rt_fixnum(0);
    register_name(name, pkg);
    for (l = nicks; rt_consp(l); l = rt_cdr(l))
        register_name(rt_car(l), pkg);
    /* use-package after registration, so conflicts are reported against a real package. */
    for (l = use_list; rt_consp(l); l = rt_cdr(l)) {
        t1 = to_package(rt_car(l));
        rt_use_package_1(t1, pkg);
    }
    return pkg;
}

/* ---- Lookup ---------------------------------------------------------------------- */

rt_value rt_find_symbol_chars(const uint32_t *name, size_t len, rt_value package, rt_value *status_out)
{
    bool found;
    rt_value s = rt_gethash_chars(pkg_slot(package, RT_PKG_EXTERNAL), name, len, &found);
    if (found) {
        if (status_out)
            *status_out = rt_sym_kw_external;
        return s;
    }
    s = rt_gethash_chars(pkg_slot(package, RT_PKG_INTERNAL), name, len, &found);
    if (found) {
        if (status_out)
            *status_out = rt_sym_kw_internal;
        return s;
    }
    for (rt_value l = pkg_slot(package, RT_PKG_USE); rt_consp(l); l = rt_cdr(l)) {
        s = rt_gethash_chars(pkg_slot(rt_car(l), RT_PKG_EXTERNAL), name, len, &found);
        if (found) {
            if (status_out)
                *status_out = rt_sym_kw_inherited;
            return s;
        }
    }
    if (status_out)
        *status_out = RT_NIL;
    return RT_NO_VALUE;
}

static rt_value find_symbol_str(rt_value name, rt_value package, rt_value *status)
{
    size_t len;
    uint32_t *chars = designator_chars(name, &len);
    rt_value s = rt_find_symbol_chars(chars, len, package, status);
    free(chars);
    return s;
}

rt_value rt_find_symbol(rt_value name_string, rt_value package, rt_value *status_out)
{
    rt_value s = find_symbol_str(name_string, to_package(package), status_out);
    return s == RT_NO_VALUE ? RT_NIL : s;
}

/* Adds sym to package's internal or external table; sets its home when it has none. */
static void add_present(rt_value package, rt_value sym, bool external)
{
    RT_ROOTS(package, sym);
    if (rt_null(rt_body(sym)[RT_SYM_PACKAGE]))
        RT_STORE(rt_body(sym)[RT_SYM_PACKAGE], package);
    rt_puthash(pkg_slot(package, external ? RT_PKG_EXTERNAL : RT_PKG_INTERNAL), rt_symbol_name(sym), sym);
}

rt_value rt_intern_chars(const uint32_t *name, size_t len, rt_value package, rt_value *status_out)
{
    rt_value s = rt_find_symbol_chars(name, len, package, status_out);
    if (s != RT_NO_VALUE)
        return s;
    RT_ROOTS(package);
    rt_value str = rt_string_from_chars(name, len);
    s = rt_make_symbol(str);
    RT_ROOTS(s);
    bool kw = rt_eq(package, rt_pkg_keyword);
    add_present(package, s, kw);
    if (kw) {
        rt_value *b = rt_body(s);
        RT_STORE(b[RT_SYM_VALUE], s);
        RT_STORE(b[RT_SYM_FLAGS], rt_fixnum(RT_SYMF_KEYWORD | RT_SYMF_CONSTANT | RT_SYMF_SPECIAL));
    } else if (rt_eq(package, rt_pkg_cl)) {
        RT_STORE(rt_body(s)[RT_SYM_FLAGS], rt_fixnum(RT_SYMF_LOCKED));
    }
    if (status_out)
        *status_out = RT_NIL;
    return s;
}

rt_value rt_intern(rt_value name, rt_value package, rt_value *status_out)
{
    if (!rt_stringp(name))
        rt_type_error(name, "string");
    RT_ROOTS(name, package);
    package = to_package(package);
    size_t len;
    uint32_t *chars = designator_chars(name, &len);
    rt_value s = rt_find_symbol_chars(chars, len, package, status_out);
    free(chars);
    if (s != RT_NO_VALUE)
        return s;
    chars = designator_chars(name, &len);
    /* The chars buffer must not leak if interning signals (storage exhaustion). */
    rt_value str = rt_string_from_chars(chars, len);
    free(chars);
    RT_ROOTS(str);
    s = rt_make_symbol(str);
    RT_ROOTS(s);
    bool kw = rt_eq(package, rt_pkg_keyword);
    add_present(package, s, kw);
    if (kw) {
        RT_STORE(rt_body(s)[RT_SYM_VALUE], s);
        RT_STORE(rt_body(s)[RT_SYM_FLAGS], rt_fixnum(RT_SYMF_KEYWORD | RT_SYMF_CONSTANT | RT_SYMF_SPECIAL));
    }
    if (status_out)
        *status_out = RT_NIL;
    return s;
}

/* Allocates only when the symbol is new: finding an existing symbol (the usual case:
 * rt_keyword("INPUT")) moves nothing, so callers may compare it with values they hold. */
rt_value rt_intern_c(const char *name, const char *package)
{
    rt_value p = find_package_c(package);
    if (rt_null(p)) {
        fprintf(stderr, "kons: rt_intern_c: no package %s\n", package);
        abort();
    }
    RT_ROOTS(p);
    uint32_t *chars;
    size_t bad;
    long n = rt_utf8_decode(name, strlen(name), &chars, &bad);
    if (n < 0) {
        fprintf(stderr, "kons: rt_intern_c: invalid UTF-8 in %s\n", name);
        abort();
    }
    rt_value s = rt_intern_chars(chars, (size_t)n, p, NULL);
    free(chars);
    return s;
}

rt_value rt_current_package(void)
{
    rt_value p = rt_symbol_value(rt_sym_package_var);
    return rt_packagep(p) ? p : rt_pkg_cl_user;
}

bool rt_symbol_accessible_p(rt_value sym, rt_value package)
{
    rt_value name = rt_symbol_name(sym);
    size_t st, len;
    rt_value d = rt_string_data(name, &st, &len);
    uint32_t small[64];
    uint32_t *chars = len <= 64 ? small : malloc(len * 4);
    if (!chars)
        rt_storage_error("name");
    for (size_t i = 0; i < len; i++)
        chars[i] = rt_string_ref(d, st + i);
    rt_value s = rt_find_symbol_chars(chars, len, package, NULL);
    if (chars != small)
        free(chars);
    return s != RT_NO_VALUE && rt_eq(s, sym);
}

static bool shadowed_in(rt_value sym_name_holder, rt_value package)
{
    for (rt_value l = pkg_slot(package, RT_PKG_SHADOWING); rt_consp(l); l = rt_cdr(l))
        if (rt_string_equal(rt_symbol_name(rt_car(l)), rt_symbol_name(sym_name_holder)))
            return true;
    return false;
}

_Noreturn static void conflict(rt_value sym, rt_value package, const char *what)
{
    char *s = rt_debug_string(sym), *p = rt_debug_string(pkg_slot(package, RT_PKG_NAME));
    char msg[300];
    snprintf(msg, sizeof msg, "%s %s causes a name conflict in %s", what, s, p);
    free(s);
    free(p);
    rt_error("PACKAGE-ERROR", "%s", msg);
}

static rt_value listify(rt_value x)
{
    if (rt_listp(x))
        return x;
    return rt_cons(x, RT_NIL);
}

void rt_export(rt_value symbols, rt_value package)
{
    RT_ROOTS(symbols, package);
    package = to_package(package);
    symbols = listify(symbols);
    for (rt_value l = symbols; rt_consp(l); l = rt_cdr(l)) {
        rt_value sym = rt_check_symbol(rt_car(l));
        rt_value status;
        rt_value found = find_symbol_str(rt_symbol_name(sym), package, &status);
        if (found == RT_NO_VALUE || !rt_eq(found, sym)) {
            char *s = rt_debug_string(sym);
            char msg[200];
            snprintf(msg, sizeof msg, "%s", s);
            free(s);
            rt_error("PACKAGE-ERROR", "The symbol %s is not accessible in the package.", msg);
        }
        if (status == rt_sym_kw_external)
            continue;
        /* Conflicts in packages that use this one. */
        for (rt_value u = pkg_slot(package, RT_PKG_USED_BY); rt_consp(u); u = rt_cdr(u)) {
            rt_value other = find_symbol_str(rt_symbol_name(sym), rt_car(u), NULL);
            if (other != RT_NO_VALUE && !rt_eq(other, sym) && !shadowed_in(sym, rt_car(u)))
                conflict(sym, rt_car(u), "Exporting");
        }
        RT_ROOTS(l, sym);
        if (status == rt_sym_kw_internal)
            rt_remhash(pkg_slot(package, RT_PKG_INTERNAL), rt_symbol_name(sym));
        add_present(package, sym, true);
    }
}

static void unexport(rt_value symbols, rt_value package)
{
    RT_ROOTS(symbols, package);
    package = to_package(package);
    symbols = listify(symbols);
    for (rt_value l = symbols; rt_consp(l); l = rt_cdr(l)) {
        rt_value sym = rt_check_symbol(rt_car(l));
        rt_value status;
        rt_value found = find_symbol_str(rt_symbol_name(sym), package, &status);
        if (found == RT_NO_VALUE || !rt_eq(found, sym))
            rt_error("PACKAGE-ERROR", "UNEXPORT: symbol not accessible in the package");
        if (status == rt_sym_kw_external) {
            RT_ROOTS(l, sym);
            rt_remhash(pkg_slot(package, RT_PKG_EXTERNAL), rt_symbol_name(sym));
            add_present(package, sym, false);
        }
    }
}

static void import_(rt_value symbols, rt_value package, bool shadowing)
{
    RT_ROOTS(symbols, package);
    package = to_package(package);
    symbols = listify(symbols);
    for (rt_value l = symbols; rt_consp(l); l = rt_cdr(l)) {
        rt_value sym = rt_check_symbol(rt_car(l));
        RT_ROOTS(l, sym);
        rt_value status;
        rt_value found = find_symbol_str(rt_symbol_name(sym), package, &status);
        if (shadowing) {
            if (found != RT_NO_VALUE && (status == rt_sym_kw_internal || status == rt_sym_kw_external)) {
                rt_remhash(pkg_slot(package, status == rt_sym_kw_internal ? RT_PKG_INTERNAL : RT_PKG_EXTERNAL),
                           rt_symbol_name(found));
                if (rt_eq(rt_body(found)[RT_SYM_PACKAGE], package) && !rt_eq(found, sym))
                    RT_STORE(rt_body(found)[RT_SYM_PACKAGE], RT_NIL);
            }
            /* Replace any shadowing entry of the same name. */
            rt_value keep = RT_NIL, s = pkg_slot(package, RT_PKG_SHADOWING);
            RT_ROOTS(keep, s);
            for (; rt_consp(s); s = rt_cdr(s))
                if (!rt_string_equal(rt_symbol_name(rt_car(s)), rt_symbol_name(sym)))
                    keep = rt_cons(rt_car(s), keep);
            keep = rt_cons(sym, keep);
            RT_STORE(rt_body(package)[RT_PKG_SHADOWING], keep);
            add_present(package, sym, status == rt_sym_kw_external && rt_eq(found, sym));
            continue;
        }
        if (found != RT_NO_VALUE) {
            if (rt_eq(found, sym)) {
                if (status == rt_sym_kw_inherited)
                    add_present(package, sym, false);
                continue;
            }
            conflict(sym, package, "Importing");
        }
        add_present(package, sym, false);
    }
}

static void shadow(rt_value names, rt_value package)
{
    RT_ROOTS(names, package);
    package = to_package(package);
    if (!rt_listp(names))
        names = rt_cons(names, RT_NIL);
    rt_value l = names;
    RT_ROOTS(l);
    for (; rt_consp(l); l = rt_cdr(l)) {
        rt_value name = name_string(rt_car(l));
        RT_ROOTS(name);
        rt_value status;
        rt_value sym = find_symbol_str(name, package, &status);
        if (sym == RT_NO_VALUE || status == rt_sym_kw_inherited) {
            sym = rt_make_symbol(name);
            RT_ROOTS(sym);
            add_present(package, sym, false);
        }
        bool listed = false;
        for (rt_value s = pkg_slot(package, RT_PKG_SHADOWING); rt_consp(s); s = rt_cdr(s))
            listed |= rt_eq(rt_car(s), sym);
        if (!listed) {
            rt_value c = rt_cons(sym, pkg_slot(package, RT_PKG_SHADOWING));
            RT_STORE(rt_body(package)[RT_PKG_SHADOWING], c);
        }
    }
}

rt_value rt_use_package_1(rt_value used, rt_value user)
{
    RT_ROOTS(used, user);
    if (rt_eq(used, rt_pkg_keyword))
        rt_error("PACKAGE-ERROR", "Cannot use the KEYWORD package.");
    for (rt_value l = pkg_slot(user, RT_PKG_USE); rt_consp(l); l = rt_cdr(l))
        if (rt_eq(rt_car(l), used))
            return RT_T;
    if (rt_eq(used, user))
        return RT_T;
    /* Conflicts: an external symbol of `used` against a different accessible one. */
    size_t pos = 0;
    rt_value k, sym;
    rt_value ext = pkg_slot(used, RT_PKG_EXTERNAL);
    while (rt_hash_next(ext, &pos, &k, &sym)) {
        rt_value other = find_symbol_str(k, user, NULL);
        if (other != RT_NO_VALUE && !rt_eq(other, sym) && !shadowed_in(sym, user))
            conflict(sym, user, "Using a package with");
    }
    /* The use list is kept in order of use (SBCL prints it so). */
    rt_value c = rt_cons(used, RT_NIL);
    c = rt_append2(pkg_slot(user, RT_PKG_USE), c);
    RT_STORE(rt_body(user)[RT_PKG_USE], c);
    c = rt_cons(user, pkg_slot(used, RT_PKG_USED_BY));
    RT_STORE(rt_body(used)[RT_PKG_USED_BY], c);
    return RT_T;
}

static rt_value remove_eq(rt_value list, rt_value x)
{
    rt_value out = RT_NIL;
    RT_ROOTS(list, x, out);
    for (; rt_consp(list); list = rt_cdr(list))
        if (!rt_eq(rt_car(list), x))
            out = rt_cons(rt_car(list), out);
    return rt_nreverse(out);
}

static void unuse_package_1(rt_value used, rt_value user)
{
    RT_ROOTS(used, user);
    rt_value l = remove_eq(pkg_slot(user, RT_PKG_USE), used);
    RT_STORE(rt_body(user)[RT_PKG_USE], l);
    l = remove_eq(pkg_slot(used, RT_PKG_USED_BY), user);
    RT_STORE(rt_body(used)[RT_PKG_USED_BY], l);
}

static bool unintern(rt_value sym, rt_value package)
{
    RT_ROOTS(sym, package);
    rt_value status;
    rt_value found = find_symbol_str(rt_symbol_name(sym), package, &status);
    if (found == RT_NO_VALUE || !rt_eq(found, sym) || status == rt_sym_kw_inherited)
        return false;
    rt_remhash(pkg_slot(package, status == rt_sym_kw_internal ? RT_PKG_INTERNAL : RT_PKG_EXTERNAL),
               rt_symbol_name(sym));
    rt_value l = remove_eq(pkg_slot(package, RT_PKG_SHADOWING), sym);
    RT_STORE(rt_body(package)[RT_PKG_SHADOWING], l);
    if (rt_eq(rt_body(sym)[RT_SYM_PACKAGE], package))
        RT_STORE(rt_body(sym)[RT_SYM_PACKAGE], RT_NIL);
    return true;
}

/* ---- Start-up -------------------------------------------------------------------- */

static rt_value strlist(const char *a, const char *b)
{
    rt_value x = RT_NIL, y = RT_NIL;
    RT_ROOTS(x, y);
    if (b)
        y = rt_cons(rt_string_from_cstr(b), RT_NIL);
    if (a) {
        x = rt_string_from_cstr(a);
        y = rt_cons(x, y);
    }
    return y;
}

static rt_value mkpkg(const char *name, const char *nick1, const char *nick2)
{
    rt_value nicks = strlist(nick1, nick2);
    RT_ROOTS(nicks);
    rt_value n = rt_string_from_cstr(name);
    return rt_make_package(n, nicks, RT_NIL);
}

void rt_packages_init(void)
{
    rt_register_global(&registry);
    rt_register_global(&rt_pkg_cl);
    rt_register_global(&rt_pkg_keyword);
    rt_register_global(&rt_pkg_cl_user);
    rt_register_global(&rt_pkg_kons);
    rt_register_global(&rt_pkg_sys);
    registry = rt_make_hash_table(rt_sym_equal, 32, RT_NIL);
    rt_pkg_cl = mkpkg("COMMON-LISP", "CL", NULL);
    rt_pkg_keyword = mkpkg("KEYWORD", NULL, NULL);
    rt_pkg_kons = mkpkg("KONS", NULL, NULL);
    rt_pkg_sys = mkpkg("KONS-SYSTEM", "SYS", NULL);
    rt_pkg_cl_user = mkpkg("COMMON-LISP-USER", "CL-USER", NULL);
    RT_STORE(rt_body(rt_pkg_cl)[RT_PKG_FLAGS], rt_fixnum(RT_PKGF_LOCKED));

    /* COMMON-LISP: adopt the symbols that exist already (NIL, T, EQ, ...), make the rest. */
    /* Through pointers to the (rooted) globals: add_present allocates, so copies in a C
     * array would go stale (found by KONS_GC_TORTURE=1). NIL and T never move. */
    static rt_value nil_v = RT_NIL, t_v = RT_T;
    rt_value *adopt[] = {&nil_v, &t_v, &rt_sym_eq, &rt_sym_eql, &rt_sym_equal, &rt_sym_equalp};
    for (size_t i = 0; i < RT_COUNTOF(adopt); i++)
        add_present(rt_pkg_cl, *adopt[i], true);
    for (size_t i = 0; i < RT_COUNTOF(cl_names); i++) {
        rt_value s = rt_intern_c(cl_names[i], "COMMON-LISP");
        bool ext;
        rt_gethash(pkg_slot(rt_pkg_cl, RT_PKG_EXTERNAL), rt_symbol_name(s), RT_NIL, &ext);
        if (!ext) {
            RT_ROOTS(s);
            rt_remhash(pkg_slot(rt_pkg_cl, RT_PKG_INTERNAL), rt_symbol_name(s));
            add_present(rt_pkg_cl, s, true);
        }
        RT_STORE(rt_body(s)[RT_SYM_FLAGS], rt_fixnum(rt_symbol_flags(s) | RT_SYMF_LOCKED));
    }
    rt_use_package_1(rt_pkg_cl, rt_pkg_kons);
    rt_use_package_1(rt_pkg_cl, rt_pkg_sys);
    rt_use_package_1(rt_pkg_kons, rt_pkg_sys);
    rt_use_package_1(rt_pkg_cl, rt_pkg_cl_user);
    rt_use_package_1(rt_pkg_kons, rt_pkg_cl_user);
}

/* ---- Lisp functions -------------------------------------------------------------- */

static rt_value cur_or(rt_value *a, size_t n, size_t i)
{
    return n > i ? to_package(a[i]) : rt_current_package();
}

static rt_value p_find_package(rt_value *a, size_t n) { return rt_find_package(a[0]); }
static rt_value p_packagep(rt_value *a, size_t n) { return rt_bool(rt_packagep(a[0])); }

static rt_value p_intern(rt_value *a, size_t n)
{
    rt_value status = RT_NIL;
    RT_ROOTS(status);
    rt_value s = rt_intern(a[0], cur_or(a, n, 1), &status);
    return rt_values2(s, status);
}

static rt_value p_find_symbol(rt_value *a, size_t n)
{
    if (!rt_stringp(a[0]))
        rt_type_error(a[0], "string");
    rt_value status = RT_NIL;
    rt_value s = find_symbol_str(a[0], cur_or(a, n, 1), &status);
    if (s == RT_NO_VALUE)
        return rt_values2(RT_NIL, RT_NIL);
    return rt_values2(s, status);
}

static rt_value p_export(rt_value *a, size_t n)
{
    rt_export(a[0], cur_or(a, n, 1));
    return RT_T;
}
static rt_value p_unexport(rt_value *a, size_t n)
{
    unexport(a[0], cur_or(a, n, 1));
    return RT_T;
}
static rt_value p_import(rt_value *a, size_t n)
{
    import_(a[0], cur_or(a, n, 1), false);
    return RT_T;
}
static rt_value p_shadowing_import(rt_value *a, size_t n)
{
    import_(a[0], cur_or(a, n, 1), true);
    return RT_T;
}
static rt_value p_shadow(rt_value *a, size_t n)
{
    shadow(a[0], cur_or(a, n, 1));
    return RT_T;
}
static rt_value p_unintern(rt_value *a, size_t n)
{
    return rt_bool(unintern(rt_check_symbol(a[0]), cur_or(a, n, 1)));
}

static rt_value p_use_package(rt_value *a, size_t n)
{
    /* USER is rooted before LISTIFY conses (the allocation may move it). */
    rt_value user = cur_or(a, n, 1), l = a[0];
    RT_ROOTS(user, l);
    l = listify(l);
    for (; rt_consp(l); l = rt_cdr(l))
        rt_use_package_1(to_package(rt_car(l)), user);
    return RT_T;
}
static rt_value p_unuse_package(rt_value *a, size_t n)
{
    /* USER is rooted before LISTIFY conses (the allocation may move it). */
    rt_value user = cur_or(a, n, 1), l = a[0];
    RT_ROOTS(user, l);
    l = listify(l);
    for (; rt_consp(l); l = rt_cdr(l))
        unuse_package_1(to_package(rt_car(l)), user);
    return RT_T;
}

static rt_value p_make_package(rt_value *a, size_t n)
{
    static const char *const keys[] = {"NICKNAMES", "USE", NULL};
    rt_kwargs_check(a, n, 1, keys);
    rt_value nick = rt_kwarg(a, n, 1, "NICKNAMES");
    rt_value use = rt_kwarg(a, n, 1, "USE");
    /* SBCL's default :use list is empty. */
    return rt_make_package(a[0], nick == RT_NO_VALUE ? RT_NIL : nick, use == RT_NO_VALUE ? RT_NIL : use);
}

static void unregister(rt_value pkg)
{
    RT_ROOTS(pkg);
    rt_remhash(registry, pkg_slot(pkg, RT_PKG_NAME));
    rt_value l = pkg_slot(pkg, RT_PKG_NICKNAMES);
    RT_ROOTS(l);
    for (; rt_consp(l); l = rt_cdr(l))
        rt_remhash(registry, rt_car(l));
}

static rt_value p_delete_package(rt_value *a, size_t n)
{
    rt_value pkg = rt_find_package(a[0]);
    if (rt_null(pkg) || rt_null(pkg_slot(pkg, RT_PKG_NAME)))
        return RT_NIL;
    RT_ROOTS(pkg);
    if (rt_consp(pkg_slot(pkg, RT_PKG_USED_BY)))
        rt_error("PACKAGE-ERROR", "Deleting a package that is used by other packages");
    while (rt_consp(pkg_slot(pkg, RT_PKG_USE)))
        unuse_package_1(rt_car(pkg_slot(pkg, RT_PKG_USE)), pkg);
    unregister(pkg);
    for (int t = RT_PKG_INTERNAL; t <= RT_PKG_EXTERNAL; t++) {
        size_t pos = 0;
        rt_value k, s;
        while (rt_hash_next(pkg_slot(pkg, (enum rt_package_slot)t), &pos, &k, &s))
            if (rt_eq(rt_body(s)[RT_SYM_PACKAGE], pkg))
                RT_STORE(rt_body(s)[RT_SYM_PACKAGE], RT_NIL);
    }
    RT_STORE(rt_body(pkg)[RT_PKG_NAME], RT_NIL);
    RT_STORE(rt_body(pkg)[RT_PKG_NICKNAMES], RT_NIL);
    RT_STORE(rt_body(pkg)[RT_PKG_FLAGS], rt_fixnum(rt_fixnum_value(pkg_slot(pkg, RT_PKG_FLAGS)) | RT_PKGF_DELETED));
    return RT_T;
}

static rt_value p_rename_package(rt_value *a, size_t n)
{
    rt_value pkg = to_package(a[0]);
    rt_value name = RT_NIL, nicks = RT_NIL, t = RT_NIL;
    RT_ROOTS(pkg, name, nicks, t);
    name = name_string(a[1]);
    rt_value given = n > 2 ? a[2] : RT_NIL;
    RT_ROOTS(given);
    unregister(pkg);
    rt_value l = given;
    RT_ROOTS(l);
    for (; rt_consp(l); l = rt_cdr(l)) {
        t = name_string(rt_car(l));
        nicks = rt_cons(t, nicks);
    }
    nicks = rt_nreverse(nicks);
    RT_STORE(rt_body(pkg)[RT_PKG_NAME], name);
    RT_STORE(rt_body(pkg)[RT_PKG_NICKNAMES], nicks);
    register_name(name, pkg);
    for (l = nicks; rt_consp(l); l = rt_cdr(l))
        register_name(rt_car(l), pkg);
    return pkg;
}

static rt_value p_package_name(rt_value *a, size_t n) { return pkg_slot(to_package(a[0]), RT_PKG_NAME); }
static rt_value p_package_nicknames(rt_value *a, size_t n) { return pkg_slot(to_package(a[0]), RT_PKG_NICKNAMES); }
static rt_value p_package_use_list(rt_value *a, size_t n) { return pkg_slot(to_package(a[0]), RT_PKG_USE); }
static rt_value p_package_used_by_list(rt_value *a, size_t n) { return pkg_slot(to_package(a[0]), RT_PKG_USED_BY); }
static rt_value p_package_shadowing_symbols(rt_value *a, size_t n)
{
    return pkg_slot(to_package(a[0]), RT_PKG_SHADOWING);
}

static rt_value p_list_all_packages(rt_value *a, size_t n)
{
    rt_value out = RT_NIL, k = RT_NIL, p = RT_NIL;
    RT_ROOTS(out, k, p);
    size_t pos = 0;
    while (rt_hash_next(registry, &pos, &k, &p))
        if (rt_eq(k, pkg_slot(p, RT_PKG_NAME)) || rt_string_equal(k, pkg_slot(p, RT_PKG_NAME)))
            out = rt_cons(p, out);
    return out;
}

/* (SYS:%PACKAGE-SYMBOLS package which) -> list of present symbols; which is :internal,
 * :external or NIL for both. DO-SYMBOLS walks these plus the use list's externals. */
static rt_value p_package_symbols(rt_value *a, size_t n)
{
    rt_value pkg = to_package(a[0]);
    rt_value which = n > 1 ? a[1] : RT_NIL;
    rt_value out = RT_NIL, k = RT_NIL, s = RT_NIL;
    RT_ROOTS(pkg, which, out, k, s);
    for (int t = RT_PKG_INTERNAL; t <= RT_PKG_EXTERNAL; t++) {
        if (t == RT_PKG_INTERNAL && which == rt_sym_kw_external)
            continue;
        if (t == RT_PKG_EXTERNAL && which == rt_sym_kw_internal)
            continue;
        size_t pos = 0;
        rt_value table = pkg_slot(pkg, (enum rt_package_slot)t);
        RT_ROOTS(table);
        while (rt_hash_next(table, &pos, &k, &s))
            out = rt_cons(s, out);
    }
    return out;
}

static rt_value p_find_all_symbols(rt_value *a, size_t n)
{
    rt_value name = name_string(a[0]);
    rt_value pkgs = RT_NIL, out = RT_NIL;
    RT_ROOTS(name, pkgs, out);
    pkgs = p_list_all_packages(NULL, 0);
    for (; rt_consp(pkgs); pkgs = rt_cdr(pkgs)) {
        rt_value status;
        rt_value s = find_symbol_str(name, rt_car(pkgs), &status);
        if (s != RT_NO_VALUE && status != rt_sym_kw_inherited && !rt_true(rt_memq(s, out)))
            out = rt_cons(s, out);
    }
    return out;
}

static rt_value p_package_locked_p(rt_value *a, size_t n)
{
    return rt_bool(rt_fixnum_value(pkg_slot(to_package(a[0]), RT_PKG_FLAGS)) & RT_PKGF_LOCKED);
}

const rt_prim_def rt_package_prims[] = {
    {"COMMON-LISP", "FIND-PACKAGE", p_find_package, 1, 1},
    {"COMMON-LISP", "PACKAGEP", p_packagep, 1, 1},
    {"COMMON-LISP", "INTERN", p_intern, 1, 2},
    {"COMMON-LISP", "FIND-SYMBOL", p_find_symbol, 1, 2},
    {"COMMON-LISP", "EXPORT", p_export, 1, 2},
    {"COMMON-LISP", "UNEXPORT", p_unexport, 1, 2},
    {"COMMON-LISP", "IMPORT", p_import, 1, 2},
    {"COMMON-LISP", "SHADOWING-IMPORT", p_shadowing_import, 1, 2},
    {"COMMON-LISP", "SHADOW", p_shadow, 1, 2},
    {"COMMON-LISP", "UNINTERN", p_unintern, 1, 2},
    {"COMMON-LISP", "USE-PACKAGE", p_use_package, 1, 2},
    {"COMMON-LISP", "UNUSE-PACKAGE", p_unuse_package, 1, 2},
    {"COMMON-LISP", "MAKE-PACKAGE", p_make_package, 1, -1},
    {"COMMON-LISP", "DELETE-PACKAGE", p_delete_package, 1, 1},
    {"COMMON-LISP", "RENAME-PACKAGE", p_rename_package, 2, 3},
    {"COMMON-LISP", "PACKAGE-NAME", p_package_name, 1, 1},
    {"COMMON-LISP", "PACKAGE-NICKNAMES", p_package_nicknames, 1, 1},
    {"COMMON-LISP", "PACKAGE-USE-LIST", p_package_use_list, 1, 1},
    {"COMMON-LISP", "PACKAGE-USED-BY-LIST", p_package_used_by_list, 1, 1},
    {"COMMON-LISP", "PACKAGE-SHADOWING-SYMBOLS", p_package_shadowing_symbols, 1, 1},
    {"COMMON-LISP", "LIST-ALL-PACKAGES", p_list_all_packages, 0, 0},
    {"COMMON-LISP", "FIND-ALL-SYMBOLS", p_find_all_symbols, 1, 1},
    {"KONS-SYSTEM", "%PACKAGE-SYMBOLS", p_package_symbols, 1, 2},
    {"KONS", "PACKAGE-LOCKED-P", p_package_locked_p, 1, 1},
};
const size_t rt_package_prims_count = RT_COUNTOF(rt_package_prims);
