/* Unit tests of symbols, packages, characters, strings, lists, arrays, hash tables,
 * instances and equality (runtime/{symbol,package,char,string,list,array,hash,
 * instance}.c), mostly through the primitive tables the VM registers, called
 * directly. */
#include <stdarg.h>

#include "objtest.h"

static const rt_prim_def *find_prim(const char *name)
{
    const rt_prim_def *tables[] = {rt_symbol_prims, rt_package_prims, rt_char_prims, rt_string_prims,
                                   rt_list_prims, rt_array_prims, rt_hash_prims, rt_instance_prims,
                                   rt_stream_prims, rt_reader_prims, rt_printer_prims};
    size_t counts[] = {rt_symbol_prims_count, rt_package_prims_count, rt_char_prims_count, rt_string_prims_count,
                       rt_list_prims_count, rt_array_prims_count, rt_hash_prims_count, rt_instance_prims_count,
                       rt_stream_prims_count, rt_reader_prims_count, rt_printer_prims_count};
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (size_t i = 0; i < counts[t]; i++)
            if (!strcmp(tables[t][i].name, name))
                return &tables[t][i];
    fprintf(stderr, "no primitive %s\n", name);
    abort();
}

/* Calls a primitive with n arguments (checked against its arity). */
static rt_value call(const char *name, size_t n, ...)
{
    const rt_prim_def *p = find_prim(name);
    rt_value args[16];
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        args[i] = va_arg(ap, rt_value);
    va_end(ap);
    if ((int)n < p->min_args || (p->max_args >= 0 && (int)n > p->max_args)) {
        fprintf(stderr, "bad arg count for %s\n", name);
        abort();
    }
    return p->fn(args, n);
}

static rt_value str(const char *s) { return promoted(rt_string_from_cstr(s)); }
static rt_value kw(const char *s) { return promoted(rt_intern_c(s, "KEYWORD")); }

static void test_symbols_packages(void)
{
    /* The standard packages and their relationships. */
    CHECK(rt_packagep(rt_pkg_cl) && rt_find_package(str("CL")) == rt_pkg_cl);
    CHECK(rt_find_package(str("CL-USER")) == rt_pkg_cl_user);
    CHECK(rt_find_package(str("SYS")) == rt_pkg_sys);
    CHECK(rt_find_package(str("KONS")) == rt_pkg_kons);
    CHECK(rt_null(rt_find_package(str("NO-SUCH"))));
    CHECK_STR(pr(call("PACKAGE-USE-LIST", 1, rt_pkg_cl_user)), "(#<PACKAGE \"COMMON-LISP\"> #<PACKAGE \"KONS\">)");
    /* All 978 CL symbols are external and locked; NIL and T are the static ones. */
    size_t n = rt_list_length(call("%PACKAGE-SYMBOLS", 2, rt_pkg_cl, kw("EXTERNAL")));
    CHECK_EQ_INT(n, 978);
    rt_value status;
    CHECK(rt_find_symbol(str("NIL"), rt_pkg_cl, &status) == RT_NIL && status == rt_sym_kw_external);
    CHECK(rt_find_symbol(str("T"), rt_pkg_cl_user, &status) == RT_T && status == rt_sym_kw_inherited);
    CHECK(rt_symbol_flags(rt_intern_c("CAR", "COMMON-LISP")) & RT_SYMF_LOCKED);
    CHECK(rt_symbol_name(RT_NIL) != RT_NIL && rt_string_equal(rt_symbol_name(RT_NIL), str("NIL")));
    CHECK(rt_body(RT_NIL)[RT_SYM_PACKAGE] == rt_pkg_cl);

    /* intern / find-symbol status; export and inheritance. */
    rt_value p = promoted(rt_make_package(str("TEST-PKG"), rd("(\"TP\")"), RT_NIL));
    RT_ROOTS(p);
    rt_value a = promoted(rt_intern(str("ALPHA"), p, &status));
    RT_ROOTS(a);
    CHECK(rt_null(status));
    CHECK(rt_intern(str("ALPHA"), p, &status) == a && status == rt_sym_kw_internal);
    rt_value q = promoted(rt_make_package(str("TEST-USER"), RT_NIL, rd("(\"TP\")")));
    RT_ROOTS(q);
    CHECK(rt_find_symbol(str("ALPHA"), q, &status) == RT_NIL && rt_null(status));
    rt_export(a, p);
    CHECK(rt_find_symbol(str("ALPHA"), q, &status) == a && status == rt_sym_kw_inherited);
    CHECK(rt_find_symbol(str("ALPHA"), p, &status) == a && status == rt_sym_kw_external);
    CHECK_STR(pr(a), "TEST-PKG:ALPHA");
    call("UNEXPORT", 2, a, p);
    CHECK(rt_find_symbol(str("ALPHA"), p, &status) == a && status == rt_sym_kw_internal);
    CHECK_STR(pr(a), "TEST-PKG::ALPHA");
    /* shadow, import, shadowing-import, unintern. */
    rt_value b = promoted(rt_intern(str("BETA"), p, NULL));
    RT_ROOTS(b);
    rt_export(b, p);
    call("SHADOW", 2, str("BETA"), q);
    rt_value qb = rt_find_symbol(str("BETA"), q, &status);
    CHECK(qb != b && status == rt_sym_kw_internal);
    CHECK(rt_list_length(call("PACKAGE-SHADOWING-SYMBOLS", 1, q)) == 1);
    rt_value g = promoted(rt_make_symbol(str("GAMMA")));
    RT_ROOTS(g);
    call("IMPORT", 2, g, q);
    CHECK(rt_find_symbol(str("GAMMA"), q, &status) == g && rt_body(g)[RT_SYM_PACKAGE] == q);
    call("SHADOWING-IMPORT", 2, b, q);
    CHECK(rt_find_symbol(str("BETA"), q, &status) == b && status == rt_sym_kw_internal);
    CHECK(call("UNINTERN", 2, g, q) == RT_T);
    CHECK(rt_null(rt_find_symbol(str("GAMMA"), q, NULL)) && rt_null(rt_body(g)[RT_SYM_PACKAGE]));
    /* rename, delete, list-all-packages, find-all-symbols. */
    call("RENAME-PACKAGE", 3, q, str("TEST-USER-2"), rd("(\"TU2\")"));
    CHECK(rt_find_package(str("TU2")) == q && rt_null(rt_find_package(str("TEST-USER"))));
    CHECK(!rt_null(rt_memq(q, call("LIST-ALL-PACKAGES", 0))));
    CHECK(!rt_null(rt_memq(b, call("FIND-ALL-SYMBOLS", 1, str("BETA")))));
    CHECK(call("DELETE-PACKAGE", 1, q) == RT_T);
    CHECK(rt_null(rt_find_package(str("TU2"))) && rt_null(call("PACKAGE-NAME", 1, q)));
    CHECK(rt_null(call("PACKAGE-USED-BY-LIST", 1, p)));

    /* Symbols: plists, gensym, keywords. */
    rt_value s = promoted(rt_make_symbol(str("S")));
    RT_ROOTS(s);
    call("%PUT", 3, s, kw("A"), rt_fixnum(1));
    call("%PUT", 3, s, kw("B"), rt_fixnum(2));
    call("%PUT", 3, s, kw("A"), rt_fixnum(3));
    CHECK(call("GET", 2, s, kw("A")) == rt_fixnum(3));
    CHECK(call("REMPROP", 2, s, kw("A")) == RT_T);
    CHECK(call("GET", 3, s, kw("A"), rt_fixnum(9)) == rt_fixnum(9));
    CHECK_STR(pr(call("SYMBOL-PLIST", 1, s)), "(:B 2)");
    rt_set_symbol_value(rt_sym_gensym_counter, rt_fixnum(42));
    CHECK_STR(pr(call("GENSYM", 0)), "#:G42");
    CHECK_STR(pr(call("GENSYM", 1, str("FOO"))), "#:FOO43");
    CHECK(call("KEYWORDP", 1, kw("X")) == RT_T && call("KEYWORDP", 1, s) == RT_NIL);
}

static void symbol_not_external(void) { rt_export(rt_make_symbol(rt_string_from_cstr("Z")), rt_pkg_cl_user); }
static void car_of_number(void) { call("CAR", 1, rt_fixnum(1)); }
static void bad_utf8(void) { rt_string_from_utf8("a\xff", 2); }
static void aref_out_of_bounds(void) { call("AREF", 2, rt_make_simple_vector(3, RT_NIL), rt_fixnum(3)); }

static void test_errors(void)
{
    check_signals(symbol_not_external, "PACKAGE-ERROR", "export");
    check_signals(car_of_number, "type-error", "car");
    check_signals(bad_utf8, "invalid UTF-8", "utf8");
    check_signals(aref_out_of_bounds, "Invalid index", "aref");
}

static void test_chars_strings(void)
{
    CHECK(rt_char_upcase('a') == 'A' && rt_char_downcase(0xC9) == 0xE9);
    CHECK(rt_char_upcase(0x3BB) == 0x39B);                 /* λ -> Λ */
    CHECK(rt_char_upcase(0xDF) == 0xDF);                   /* ß has no one-char upper case */
    CHECK(call("BOTH-CASE-P", 1, rt_char(0x1C5)) == RT_T); /* ǅ (title case) */
    CHECK(call("UPPER-CASE-P", 1, rt_char(0x1C5)) == RT_NIL);
    CHECK(call("ALPHA-CHAR-P", 1, rt_char('1')) == RT_NIL);
    CHECK(call("ALPHANUMERICP", 1, rt_char(0x3BB)) == RT_T);
    CHECK(call("DIGIT-CHAR-P", 1, rt_char(0x663)) == rt_fixnum(3));
    CHECK(call("DIGIT-CHAR-P", 2, rt_char('f'), rt_fixnum(16)) == rt_fixnum(15));
    CHECK(call("DIGIT-CHAR", 2, rt_fixnum(11), rt_fixnum(16)) == rt_char('B'));
    CHECK(call("CHAR-EQUAL", 3, rt_char('a'), rt_char('A'), rt_char('a')) == RT_T);
    CHECK(call("CHAR<", 3, rt_char('a'), rt_char('b'), rt_char('b')) == RT_NIL);
    CHECK(call("CHAR/=", 3, rt_char('a'), rt_char('b'), rt_char('c')) == RT_T);
    CHECK_STR(pr(call("CHAR-NAME", 1, rt_char(' '))), "\"Space\"");
    CHECK(call("NAME-CHAR", 1, str("rubout")) == rt_char(127));
    CHECK(call("GRAPHIC-CHAR-P", 1, rt_char(0x9F)) == RT_NIL);

    CHECK_STR(pr(call("STRING-UPCASE", 1, str("héllo wörld"))), "\"HÉLLO WÖRLD\"");
    CHECK_STR(pr(call("STRING-CAPITALIZE", 1, str("hello WORLD foo-bar 1st"))), "\"Hello World Foo-Bar 1st\"");
    CHECK_STR(pr(call("STRING-DOWNCASE", 5, str("ABCDE"), kw("START"), rt_fixnum(1), kw("END"), rt_fixnum(3))),
              "\"AbcDE\"");
    CHECK_STR(pr(call("STRING-TRIM", 2, str(" x"), str("  xabx "))), "\"ab\"");
    CHECK_STR(pr(call("STRING-LEFT-TRIM", 2, rd("(#\\Space)"), str("  a "))), "\"a \"");
    CHECK(call("STRING=", 2, str("abc"), str("abc")) == RT_T);
    CHECK(call("STRING=", 2, str("abc"), rd("abc")) == RT_NIL);
    CHECK(call("STRING-EQUAL", 2, str("abc"), rd("abc")) == RT_T);
    CHECK(call("STRING<", 2, str("abc"), str("abd")) == rt_fixnum(2));
    CHECK(call("STRING<", 2, str("abc"), str("abc")) == RT_NIL);
    CHECK(call("STRING>=", 2, str("b"), str("abc")) == rt_fixnum(0));
    CHECK(call("STRING/=", 2, str("abc"), str("abcd")) == rt_fixnum(3));
    rt_value s = promoted(call("MAKE-STRING", 3, rt_fixnum(3), kw("INITIAL-ELEMENT"), rt_char('z')));
    RT_ROOTS(s);
    call("%SET-CHAR", 3, s, rt_fixnum(1), rt_char(0x2713));
    CHECK_STR(pr(s), "\"z✓z\"");
    CHECK(call("CHAR", 2, s, rt_fixnum(1)) == rt_char(0x2713));
    /* UTF-8: round trip of every plane's edges; invalid sequences rejected with the offset. */
    const char *u = "a\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf";
    rt_value us = promoted(rt_string_from_cstr(u));
    CHECK(rt_string_length(us) == 5 && rt_string_ref(us, 4) == 0x10FFFF);
    size_t len;
    char *back = rt_string_to_utf8(us, &len);
    CHECK(len == strlen(u) && memcmp(back, u, len) == 0);
    free(back);
    const char *bad[] = {"\x80", "\xc3", "\xe2\x9c", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc1\xbf", "\xf8\x88\x80\x80\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t *out;
        size_t off = 99;
        CHECK(rt_utf8_decode(bad[i], strlen(bad[i]), &out, &off) == -1 && off == 0);
    }
    uint32_t *out;
    size_t off;
    CHECK(rt_utf8_decode("ok\xff", 3, &out, &off) == -1 && off == 2);
}

static void test_lists(void)
{
    rt_value l = rd("(1 2 3 4 5)");
    RT_ROOTS(l);
    CHECK(call("LENGTH", 1, l) == rt_fixnum(5));
    CHECK(call("NTH", 2, rt_fixnum(2), l) == rt_fixnum(3));
    CHECK(call("NTH", 2, rt_fixnum(9), l) == RT_NIL);
    CHECK_STR(pr(call("NTHCDR", 2, rt_fixnum(3), l)), "(4 5)");
    CHECK_STR(pr(call("LAST", 1, l)), "(5)");
    CHECK_STR(pr(call("LAST", 2, l, rt_fixnum(2))), "(4 5)");
    CHECK_STR(pr(call("BUTLAST", 2, l, rt_fixnum(2))), "(1 2 3)");
    CHECK_STR(pr(call("REVERSE", 1, l)), "(5 4 3 2 1)");
    CHECK_STR(pr(call("APPEND", 3, rd("(a)"), rd("(b c)"), rd("d"))), "(A B C . D)");
    CHECK_STR(pr(call("LIST*", 3, rt_fixnum(1), rt_fixnum(2), rd("(3)"))), "(1 2 3)");
    CHECK_STR(pr(call("CADDR", 1, l)), "3");
    CHECK_STR(pr(call("CDDDDR", 1, l)), "(5)");
    CHECK_STR(pr(call("COPY-TREE", 1, rd("((a . b) (c (d)))"))), "((A . B) (C (D)))");
    CHECK_STR(pr(call("REVAPPEND", 2, rd("(1 2)"), rd("(3)"))), "(2 1 3)");
    CHECK_STR(pr(call("MAKE-LIST", 3, rt_fixnum(2), kw("INITIAL-ELEMENT"), kw("X"))), "(:X :X)");
    rt_value c = rd("#1=(1 2 . #1#)");
    CHECK(call("LIST-LENGTH", 1, c) == RT_NIL);
    CHECK(call("LIST-LENGTH", 1, l) == rt_fixnum(5));
    CHECK(call("NRECONC", 2, rd("(1 2)"), RT_NIL) != RT_NIL);
    CHECK(call("TREE-EQUAL", 2, rd("(1 (2 3))"), rd("(1 (2 3))")) == RT_T);
    CHECK_STR(pr(call("NCONC", 3, rd("(1)"), RT_NIL, rd("(2 3)"))), "(1 2 3)");
    CHECK(call("%GETF", 2, rd("(:a 1 :b 2)"), kw("B")) == rt_fixnum(2));
    /* equal / equalp / eql. */
    CHECK(rt_equal(rd("(a \"b\" #*101 (c))"), rd("(a \"b\" #*101 (c))")));
    CHECK(!rt_equal(rd("\"abc\""), rd("\"ABC\"")));
    CHECK(rt_equalp(rd("\"abc\""), rd("\"ABC\"")));
    CHECK(rt_equalp(rd("#(1 #\\a)"), rd("#(1 #\\A)")));
    CHECK(!rt_equal(rd("#(1)"), rd("#(1)")));
    CHECK(rt_eql(rt_char('a'), rt_char('a')) && !rt_eql(rd("(1)"), rd("(1)")));
}

static void test_arrays(void)
{
    rt_value a = promoted(call("MAKE-ARRAY", 3, rd("(2 3)"), kw("INITIAL-ELEMENT"), rt_fixnum(7)));
    RT_ROOTS(a);
    CHECK_STR(pr(a), "#2A((7 7 7) (7 7 7))");
    call("%ASET", 4, a, rt_fixnum(1), rt_fixnum(2), rt_fixnum(9));
    CHECK(call("AREF", 3, a, rt_fixnum(1), rt_fixnum(2)) == rt_fixnum(9));
    CHECK(call("ROW-MAJOR-AREF", 2, a, rt_fixnum(5)) == rt_fixnum(9));
    CHECK_STR(pr(call("ARRAY-DIMENSIONS", 1, a)), "(2 3)");
    CHECK(call("ARRAY-RANK", 1, a) == rt_fixnum(2) && call("ARRAY-TOTAL-SIZE", 1, a) == rt_fixnum(6));
    /* Fill pointers and vector-push-extend. */
    rt_value v = promoted(call("MAKE-ARRAY", 5, rt_fixnum(2), kw("FILL-POINTER"), rt_fixnum(0), kw("ADJUSTABLE"), RT_T));
    RT_ROOTS(v);
    for (int i = 0; i < 100; i++)
        call("VECTOR-PUSH-EXTEND", 2, rt_fixnum(i), v);
    CHECK(call("LENGTH", 1, v) == rt_fixnum(100) && call("AREF", 2, v, rt_fixnum(99)) == rt_fixnum(99));
    CHECK(call("VECTOR-POP", 1, v) == rt_fixnum(99));
    CHECK(call("FILL-POINTER", 1, v) == rt_fixnum(99));
    /* Specialised vectors. */
    rt_value u8 = call("MAKE-ARRAY", 5, rt_fixnum(4), kw("ELEMENT-TYPE"), rd("(unsigned-byte 8)"), kw("INITIAL-ELEMENT"),
                       rt_fixnum(255));
    RT_ROOTS(u8);
    CHECK_STR(pr(u8), "#(255 255 255 255)");
    CHECK_STR(pr(call("ARRAY-ELEMENT-TYPE", 1, u8)), "(UNSIGNED-BYTE 8)");
    rt_value bits = promoted(call("MAKE-ARRAY", 5, rt_fixnum(70), kw("ELEMENT-TYPE"), rd("bit"), kw("INITIAL-ELEMENT"), rt_fixnum(0)));
    RT_ROOTS(bits);
    call("%ASET", 3, bits, rt_fixnum(69), rt_fixnum(1));
    CHECK(call("AREF", 2, bits, rt_fixnum(69)) == rt_fixnum(1) && call("AREF", 2, bits, rt_fixnum(68)) == rt_fixnum(0));
    rt_value cs = call("MAKE-ARRAY", 7, rt_fixnum(3), kw("ELEMENT-TYPE"), rd("character"), kw("INITIAL-ELEMENT"),
                       rt_char('a'), kw("FILL-POINTER"), rt_fixnum(2));
    CHECK_STR(pr(cs), "\"aa\"");
    /* Displaced arrays share storage. */
    rt_value d = promoted(call("MAKE-ARRAY", 5, rt_fixnum(3), kw("DISPLACED-TO"), a, kw("DISPLACED-INDEX-OFFSET"), rt_fixnum(3)));
    RT_ROOTS(d);
    CHECK_STR(pr(d), "#(7 7 9)");
    call("%ASET", 3, d, rt_fixnum(0), rt_fixnum(1));
    CHECK(call("AREF", 3, a, rt_fixnum(1), rt_fixnum(0)) == rt_fixnum(1));
    /* adjust-array keeps identity of adjustable arrays and their contents. */
    rt_value adj = promoted(call("MAKE-ARRAY", 5, rd("(2 2)"), kw("ADJUSTABLE"), RT_T, kw("INITIAL-CONTENTS"), rd("((1 2) (3 4))")));
    RT_ROOTS(adj);
    CHECK(call("ADJUST-ARRAY", 4, adj, rd("(3 3)"), kw("INITIAL-ELEMENT"), rt_fixnum(0)) == adj);
    CHECK_STR(pr(adj), "#2A((1 2 0) (3 4 0) (0 0 0))");
    CHECK_STR(pr(call("SUBSEQ", 3, rd("#(a b c d)"), rt_fixnum(1), rt_fixnum(3))), "#(B C)");
    CHECK_STR(pr(call("SUBSEQ", 2, rd("\"hello\""), rt_fixnum(2))), "\"llo\"");
    CHECK_STR(pr(call("SUBSEQ", 3, rd("(a b c d)"), rt_fixnum(1), rt_fixnum(2))), "(B)");
    CHECK_STR(pr(call("REVERSE", 1, rd("#(1 2 3)"))), "#(3 2 1)");
    CHECK_STR(pr(call("%LIST-TO-VECTOR", 1, rd("(1 2)"))), "#(1 2)");
    CHECK_STR(pr(call("VECTOR", 3, rt_fixnum(1), kw("A"), str("s"))), "#(1 :A \"s\")");
}

static void test_hash_tables(void)
{
    const char *tests[] = {"EQ", "EQL", "EQUAL", "EQUALP"};
    for (int t = 0; t < 4; t++) {
        rt_value h = promoted(rt_make_hash_table(rt_intern_c(tests[t], "COMMON-LISP"), 0, RT_NIL));
        RT_ROOTS(h);
        const int N = 100000;
        for (int i = 0; i < N; i++)
            rt_puthash(h, rt_fixnum(i), rt_fixnum(i * 2));
        CHECK_EQ_INT(rt_hash_count(h), N);
        bool all = true, found;
        for (int i = 0; i < N; i++)
            all &= rt_gethash(h, rt_fixnum(i), RT_NIL, &found) == rt_fixnum(i * 2) && found;
        CHECK(all);
        for (int i = 0; i < N; i += 2)
            CHECK(rt_remhash(h, rt_fixnum(i)) || i < 0);
        CHECK_EQ_INT(rt_hash_count(h), N / 2);
        all = true;
        for (int i = 0; i < N; i++) {
            rt_value v = rt_gethash(h, rt_fixnum(i), kw("NONE"), &found);
            all &= (i % 2) ? (found && v == rt_fixnum(i * 2)) : (!found && v == kw("NONE"));
        }
        CHECK(all);
        /* Re-adding after removals reuses tombstones without growing forever. */
        for (int i = 0; i < N; i += 2)
            rt_puthash(h, rt_fixnum(i), rt_fixnum(-i));
        CHECK_EQ_INT(rt_hash_count(h), N);
        CHECK(rt_vector_length(rt_body(h)[RT_HT_KV]) <= 4 * 262144);
        size_t pos = 0, seen = 0;
        rt_value k, v;
        while (rt_hash_next(h, &pos, &k, &v))
            seen++;
        CHECK_EQ_INT(seen, N);
        rt_clrhash(h);
        CHECK_EQ_INT(rt_hash_count(h), 0);
    }
    /* equal tables: strings and lists by content; equalp: case-insensitive. */
    rt_value h = promoted(rt_make_hash_table(rt_sym_equal, 0, RT_NIL));
    RT_ROOTS(h);
    rt_puthash(h, str("key"), rt_fixnum(1));
    rt_puthash(h, rd("(a (b))"), rt_fixnum(2));
    CHECK(rt_gethash(h, str("key"), RT_NIL, NULL) == rt_fixnum(1));
    CHECK(rt_gethash(h, rd("(a (b))"), RT_NIL, NULL) == rt_fixnum(2));
    CHECK(rt_gethash(h, str("KEY"), RT_NIL, NULL) == RT_NIL);
    rt_value hp = promoted(rt_make_hash_table(rt_sym_equalp, 0, RT_NIL));
    RT_ROOTS(hp);
    rt_puthash(hp, str("Key"), rt_fixnum(3));
    CHECK(rt_gethash(hp, str("kEY"), RT_NIL, NULL) == rt_fixnum(3));
    /* eq tables on conses (address keys). */
    rt_value he = promoted(rt_make_hash_table(rt_sym_eq, 0, RT_NIL));
    RT_ROOTS(he);
    rt_value key = rd("(x)");
    RT_ROOTS(key);
    rt_puthash(he, key, kw("YES"));
    CHECK(rt_gethash(he, key, RT_NIL, NULL) == kw("YES"));
    CHECK(rt_gethash(he, rd("(x)"), RT_NIL, NULL) == RT_NIL);
    /* A young key makes the table watch the GC epoch (not so once the key is old). */
    rt_value young = promoted(rt_cons(RT_NIL, RT_NIL));
    rt_puthash(he, young, RT_T);
    CHECK(!rt_in_nursery(young) || (rt_fixnum_value(rt_body(he)[RT_HT_FLAGS]) & RT_HTF_ADDRESS_KEYS));
    /* Lisp interface. */
    rt_value lh = promoted(call("MAKE-HASH-TABLE", 4, kw("TEST"), rt_sym_equal, kw("WEAKNESS"), kw("VALUE")));
    RT_ROOTS(lh);
    call("%PUTHASH", 3, str("a"), lh, rt_fixnum(1));
    CHECK(call("GETHASH", 2, str("a"), lh) == rt_fixnum(1));
    CHECK(call("HASH-TABLE-TEST", 1, lh) == rt_sym_equal);
    CHECK_STR(pr(call("%HASH-TABLE-PAIRS", 1, lh)), "((\"a\" . 1))");
    CHECK(rt_sxhash(str("abc")) == rt_sxhash(rd("\"abc\"")));
    CHECK(rt_sxhash(rd("(1 2)")) == rt_sxhash(rd("(1 2)")));
}

static void test_instances(void)
{
    rt_value layout = kw("POINT");
    rt_value i = promoted(call("%MAKE-INSTANCE", 2, layout, rt_fixnum(2)));
    RT_ROOTS(i);
    CHECK(call("%INSTANCEP", 1, i) == RT_T && call("%INSTANCE-LENGTH", 1, i) == rt_fixnum(2));
    CHECK(call("%UNBOUND-MARKER-P", 1, call("%INSTANCE-REF", 2, i, rt_fixnum(0))) == RT_T);
    call("%INSTANCE-SET", 3, i, rt_fixnum(1), rt_fixnum(5));
    CHECK(call("%INSTANCE-REF", 2, i, rt_fixnum(1)) == rt_fixnum(5));
    CHECK(call("%INSTANCE-LAYOUT", 1, i) == layout);
    rt_value j = promoted(call("%COPY-INSTANCE", 1, i));
    CHECK(j != i && call("%INSTANCE-REF", 2, j, rt_fixnum(1)) == rt_fixnum(5));
}

static void test_streams_input(void)
{
    const char *text = "ab\ncd";
    rt_value s = promoted(rt_make_mem_input_stream(text, strlen(text)));
    RT_ROOTS(s);
    CHECK(rt_read_char(s) == 'a');
    CHECK(rt_peek_char(s) == 'b');
    CHECK(rt_read_char(s) == 'b');
    rt_unread_char(s, 'b');
    CHECK(rt_read_char(s) == 'b');
    rt_value line = promoted(call("READ-LINE", 1, s));
    CHECK(rt_string_length(line) == 0);
    line = promoted(call("READ-LINE", 1, s));
    CHECK_STR(pr(line), "\"cd\"");
    CHECK(rt_read_char(s) == RT_EOF);
    CHECK(call("READ-LINE", 3, s, RT_NIL, kw("EOF")) == kw("EOF"));
    rt_value ss = promoted(rt_make_string_input_stream(str("xyz"), 1, 3));
    CHECK(rt_read_char(ss) == 'y' && rt_listen(ss) && rt_read_char(ss) == 'z' && !rt_listen(ss));
    /* read-from-string returns the position. */
    rt_value foo = promoted(call("READ-FROM-STRING", 1, str("foo bar")));
    CHECK(foo == rd("foo"));
}

static void test_files(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/kons-test-objects-%d.txt", (int)getpid());
    rt_value name = promoted(rt_string_from_cstr(path));
    RT_ROOTS(name);
    rt_value out = promoted(call("OPEN", 5, name, kw("DIRECTION"), kw("OUTPUT"), kw("IF-EXISTS"), kw("SUPERSEDE")));
    RT_ROOTS(out);
    rt_write_cstr(out, "héllo\n(1 2)\n");
    CHECK(call("CLOSE", 1, out) == RT_T);
    /* :if-exists :error (the default for output) refuses an existing file. */
    CHECK(rt_null(call("OPEN", 5, name, kw("DIRECTION"), kw("OUTPUT"), kw("IF-EXISTS"), RT_NIL)));
    rt_value in = promoted(call("OPEN", 1, name));
    RT_ROOTS(in);
    CHECK(call("FILE-LENGTH", 1, in) == rt_fixnum(13));
    CHECK_STR(pr(call("READ-LINE", 1, in)), "\"héllo\"");
    CHECK(call("FILE-POSITION", 1, in) == rt_fixnum(7));
    CHECK_STR(pr(rt_read(in, true, RT_NIL, false)), "(1 2)");
    CHECK(rt_read_char(in) == RT_EOF);
    call("CLOSE", 1, in);
    CHECK(call("DELETE-FILE", 1, name) == RT_T);
    CHECK(rt_null(call("PROBE-FILE", 1, name)));
    CHECK(rt_null(call("OPEN", 3, name, kw("IF-DOES-NOT-EXIST"), RT_NIL)));
}

int main(void)
{
    objtest_init();
    test_symbols_packages();
    test_chars_strings();
    test_lists();
    test_arrays();
    test_hash_tables();
    test_instances();
    test_streams_input();
    test_files();
    test_errors();
    return check_report();
}
