/* Unit tests of the printer (runtime/printer.c). Expected strings are SBCL 2.2.9's
 * output for the same objects and variable settings (checked by running the same forms
 * under `sbcl --script` with *print-pretty* NIL). */
#include "objtest.h"

#include <regex.h>

static void setv(rt_value sym, rt_value v) { rt_set_symbol_value(sym, v); }

static const char *princ_s(rt_value v)
{
    static char buf[4096];
    char *s = rt_print_to_utf8(v, false);
    snprintf(buf, sizeof buf, "%s", s);
    free(s);
    return buf;
}

static void check_match(const char *got, const char *pattern)
{
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
        check_failed_++;
        return;
    }
    if (regexec(&re, got, 0, NULL, 0) == 0) {
        check_passed_++;
    } else {
        check_failed_++;
        fprintf(stderr, "[%s] does not match /%s/\n", got, pattern);
    }
    regfree(&re);
}

static void test_symbols(void)
{
    CHECK_STR(pr(rd("(foo |foo| |1| 1+ |A B| || |a\\|b| |#A| a#b |..| |A:B| :kw #:g)")),
              "(FOO |foo| |1| 1+ |A B| || |a\\|b| |#A| A#B |..| |A:B| :KW #:G)");
    CHECK_STR(pr(rd("(|1E5| |+1| - |.5| |1/2| |1A| 1ab)")), "(|1E5| |+1| - |.5| |1/2| |1A| 1AB)");
    CHECK_STR(pr(rd("(:|abc| :|a b|)")), "(:|abc| :|a b|)");
    CHECK_STR(pr(rd("kons-system::quasiquote")), "KONS-SYSTEM:QUASIQUOTE");
    CHECK_STR(pr(rt_intern_c("INTERNAL-THING", "KONS-SYSTEM")), "KONS-SYSTEM::INTERNAL-THING");
    setv(rt_sym_print_case, rt_sym_kw_downcase);
    CHECK_STR(pr(rd("(abc |Foo| :key)")), "(abc |Foo| :key)");
    setv(rt_sym_print_case, rt_sym_kw_capitalize);
    CHECK_STR(pr(rd("(abc-def |Foo| :key foo1bar)")), "(Abc-Def |Foo| :Key Foo1bar)");
    setv(rt_sym_print_case, rt_sym_kw_upcase);
    setv(rt_sym_print_gensym, RT_NIL);
    CHECK_STR(pr(rd("#:g")), "G");
    setv(rt_sym_print_gensym, RT_T);
    /* princ: no bars, no prefixes. */
    CHECK_STR(princ_s(rd("(\"a\\\"b\" #\\a foo :bar #:x |a b|)")), "(a\"b a FOO BAR X a b)");
}

static void test_numbers_and_radix(void)
{
    setv(rt_sym_print_radix, RT_T);
    CHECK_STR(pr(rd("(10 -5)")), "(10. -5.)");
    setv(rt_sym_print_base, rt_fixnum(16));
    CHECK_STR(pr(rd("(10 -5)")), "(#xA #x-5)");
    setv(rt_sym_print_base, rt_fixnum(3));
    CHECK_STR(pr(rt_fixnum(10)), "#3r101");
    setv(rt_sym_print_radix, RT_NIL);
    CHECK_STR(pr(rt_fixnum(10)), "101");
    setv(rt_sym_print_base, rt_fixnum(10));
}

static void test_limits(void)
{
    setv(rt_sym_print_length, rt_fixnum(2));
    CHECK_STR(pr(rd("(1 2 3 4)")), "(1 2 ...)");
    CHECK_STR(pr(rd("#(1 2 3)")), "#(1 2 ...)");
    CHECK_STR(pr(rd("(1 2)")), "(1 2)");
    setv(rt_sym_print_length, RT_NIL);
    setv(rt_sym_print_level, rt_fixnum(2));
    CHECK_STR(pr(rd("(1 (2 (3 (4))))")), "(1 (2 #))");
    CHECK_STR(pr(rd("#(1 #(2 #(3)))")), "#(1 #(2 #))");
    setv(rt_sym_print_level, RT_NIL);
    setv(rt_sym_print_circle, RT_T);
    CHECK_STR(pr(rd("#1=(1 2 . #1#)")), "#1=(1 2 . #1#)");
    CHECK_STR(pr(rd("(#1=(a) #1#)")), "(#1=(A) #1#)");
    CHECK_STR(pr(rd("(#1=#:g #1#)")), "(#1=#:G #1#)");
    setv(rt_sym_print_circle, RT_NIL);
    CHECK_STR(pr(rd("(#1=(a) #1#)")), "((A) (A))");
}

static void test_quote_forms(void)
{
    /* SBCL with *print-pretty* NIL does not abbreviate QUOTE and FUNCTION. */
    CHECK_STR(pr(rd("('a #'b)")), "((QUOTE A) (FUNCTION B))");
    setv(rt_sym_print_pretty, RT_T);
    CHECK_STR(pr(rd("('a #'b (quote c d))")), "('A #'B (QUOTE C D))");
    setv(rt_sym_print_pretty, RT_NIL);
    CHECK_STR(pr(rd("`(a ,b ,@c ,.d)")), "`(A ,B ,@C ,.D)");
    /* A symbol starting with @ or . after a plain comma keeps a space (found by fuzzing). */
    CHECK_STR(pr(rd("`(, @b , .c ,@d)")), "`(, @B , .C ,@D)");
}

static void test_strings_chars(void)
{
    CHECK_STR(pr(rd("(\"a\\\"b\\\\c\" #\\a #\\Space #\\Newline #\\( #\\Nul #\\È)")),
              "(\"a\\\"b\\\\c\" #\\a #\\  #\\Newline #\\( #\\Nul #\\LATIN_CAPITAL_LETTER_E_WITH_GRAVE)");
    CHECK_STR(pr(rt_char(0xE000)), "#\\UE000");
    CHECK_STR(pr(rt_char(0x85)), "#\\Next-Line");
    setv(rt_sym_print_escape, RT_NIL);
    rt_value out = promoted(rt_make_string_output_stream());
    RT_ROOTS(out);
    rt_write(rd("(\"x\" #\\y |a b|)"), out);
    char *w = rt_string_to_utf8(rt_get_output_stream_string(out), NULL);
    CHECK_STR(w, "(x y a b)");
    free(w);
    setv(rt_sym_print_escape, RT_T);
    /* UTF-8 out. */
    CHECK_STR(pr(rd("\"λ ✓\"")), "\"λ ✓\"");
}

static void test_arrays(void)
{
    CHECK_STR(pr(rd("(#2A((0 0) (0 0)) #*1010 #(1 2) #() #2A(() ()) #0A5)")),
              "(#2A((0 0) (0 0)) #*1010 #(1 2) #() #2A(() ()) #0A5)");
    setv(rt_sym_print_array, RT_NIL);
    check_match(pr(rd("#(1 2)")), "^#<\\(SIMPLE-VECTOR 2\\) \\{[0-9A-F]+\\}>$");
    check_match(pr(rd("#2A((1 2) (3 4))")), "^#<\\(SIMPLE-ARRAY T \\(2 2\\)\\) \\{[0-9A-F]+\\}>$");
    CHECK_STR(pr(rd("\"str\"")), "\"str\"");
    setv(rt_sym_print_array, RT_T);
}

static void test_unreadable(void)
{
    rt_value h = promoted(rt_make_hash_table(rt_sym_eql, 10, RT_NIL));
    RT_ROOTS(h);
    check_match(pr(h), "^#<HASH-TABLE :TEST EQL :COUNT 0 \\{[0-9A-F]+\\}>$");
    rt_puthash(h, rt_fixnum(1), rt_fixnum(2));
    check_match(pr(h), "^#<HASH-TABLE :TEST EQL :COUNT 1 \\{[0-9A-F]+\\}>$");
    CHECK_STR(pr(rt_pkg_cl), "#<PACKAGE \"COMMON-LISP\">");
    check_match(pr(rt_make_string_output_stream()), "^#<STRING-OUTPUT-STREAM \\{[0-9A-F]+\\}>$");
    check_match(pr(rt_symbol_value(rt_sym_standard_output)), "^#<FD-STREAM for \"standard output\" \\{[0-9A-F]+\\}>$");
    check_match(pr(rt_symbol_value(rt_sym_readtable_var)), "^#<READTABLE \\{[0-9A-F]+\\}>$");
}

static void print_readably_hash(void)
{
    rt_set_symbol_value(rt_sym_print_readably, RT_T);
    rt_prin1(rt_make_hash_table(rt_sym_eql, 1, RT_NIL), RT_NIL);
}

static void print_too_deep(void)
{
    rt_value x = RT_NIL;
    RT_ROOTS(x);
    for (int i = 0; i < RT_READ_MAX_DEPTH + 10; i++)
        x = promoted(rt_cons(x, RT_NIL));
    char *s = rt_print_to_utf8(x, true);
    free(s);
}

static void test_errors(void)
{
    check_signals(print_readably_hash, "PRINT-NOT-READABLE", "print-readably");
    check_signals(print_too_deep, "storage-condition", "deep printing");
}

static void test_streams_output(void)
{
    rt_value s = promoted(rt_make_string_output_stream());
    RT_ROOTS(s);
    rt_write_cstr(s, "abc");
    CHECK(rt_stream_column(s) == 3);
    CHECK(rt_fresh_line(s));
    CHECK(!rt_fresh_line(s));
    rt_print(rd("(1 \"x\")"), s);
    rt_princ(rd("\"y\""), s);
    rt_value str = promoted(rt_get_output_stream_string(s));
    char *u = rt_string_to_utf8(str, NULL);
    CHECK_STR(u, "abc\n\n(1 \"x\") y");
    free(u);
    /* The stream is empty after get-output-stream-string. */
    CHECK(rt_string_length(rt_get_output_stream_string(s)) == 0);
}

int main(void)
{
    objtest_init();
    /* The expected strings are SBCL's with *print-pretty* NIL, except where a test sets it. */
    CHECK(rt_symbol_value(rt_sym_print_pretty) == RT_T); /* SBCL's default */
    rt_set_symbol_value(rt_sym_print_pretty, RT_NIL);
    test_symbols();
    test_numbers_and_radix();
    test_limits();
    test_quote_forms();
    test_strings_chars();
    test_arrays();
    test_unreadable();
    test_errors();
    test_streams_output();
    return check_report();
}
