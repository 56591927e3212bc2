/* Unit tests of the reader (runtime/reader.c): round trips against SBCL's output, the
 * standard syntax, readtables, and bad input (each error case asserts the condition
 * type the reader reports). */
#include "objtest.h"

static const struct { const char *in, *want; } table[] = {
#include "reader_table.inc"
};

/* Prints with *print-circle* T, as the table was generated. */
static const char *pr_circle(rt_value v)
{
    rt_set_symbol_value(rt_sym_print_circle, RT_T);
    const char *s = pr(v);
    rt_set_symbol_value(rt_sym_print_circle, RT_NIL);
    return s;
}

static void test_round_trips(void)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        rt_value v = rd(table[i].in);
        RT_ROOTS(v);
        char got[8192];
        snprintf(got, sizeof got, "%s", pr_circle(v));
        if (strcmp(got, table[i].want) != 0) {
            check_failed_++;
            fprintf(stderr, "round trip of [%s]: got [%s], SBCL prints [%s]\n", table[i].in, got, table[i].want);
            continue;
        }
        check_passed_++;
        /* What was printed reads back to something that prints the same. */
        rt_value w = rd(got);
        CHECK_STR(pr_circle(w), got);
    }
}

static enum rt_read_status rd_status(const char *text, rt_value *v, char *err)
{
    return rt_read_from_utf8(text, strlen(text), v, err);
}

static void check_error(const char *text, const char *type)
{
    rt_value v;
    char err[RT_READ_ERRBUF];
    enum rt_read_status st = rd_status(text, &v, err);
    if (st == RT_READ_ERROR && strncmp(err, type, strlen(type)) == 0 && err[strlen(type)] == ':') {
        check_passed_++;
    } else {
        check_failed_++;
        fprintf(stderr, "reading [%.60s]: expected %s, got status %d [%s]\n", text, type, st, err);
    }
}

static void test_bad_input(void)
{
    check_error("(a b", "END-OF-FILE");
    check_error("(a (b c)", "END-OF-FILE");
    check_error("\"abc", "END-OF-FILE");
    check_error("#|abc", "END-OF-FILE");
    check_error("|abc", "END-OF-FILE");
    check_error("'", "END-OF-FILE");
    check_error("#\\", "END-OF-FILE");
    check_error(")", "READER-ERROR");
    check_error("#<foo>", "READER-ERROR");
    check_error("#)", "READER-ERROR");
    check_error("#\\NoSuchCharName", "READER-ERROR");
    check_error("(a . b c)", "READER-ERROR");
    check_error("(. a)", "READER-ERROR");
    check_error(".", "READER-ERROR");
    check_error("...", "READER-ERROR");
    check_error("a:::b", "READER-ERROR");
    check_error("no-such-package:x", "READER-ERROR");
    check_error("cl:no-such-external-symbol", "READER-ERROR");
    check_error("#2(a b c)", "READER-ERROR");
    check_error("#*102", "READER-ERROR");
    check_error("#1#", "READER-ERROR");
    check_error("#xZZ", "READER-ERROR");
    check_error("1e999", "READER-ERROR");
    check_error("-1d400", "READER-ERROR");
    check_error("1/0", "READER-ERROR");
    check_error("#x10/00", "READER-ERROR");
    check_error("#+(bogus x) a", "READER-ERROR");
    check_error("\xff", "READER-ERROR");
    check_error("(a \xc3\x28)", "READER-ERROR");        /* bad continuation byte */
    check_error("\xed\xa0\x80", "READER-ERROR");        /* a UTF-16 surrogate */
    check_error("\xc0\xaf", "READER-ERROR");            /* overlong */
    check_error("\"ab\xe2\x82\"", "READER-ERROR");      /* truncated sequence in a string */
    rt_set_symbol_value(rt_sym_read_eval, RT_NIL);
    check_error("#.(+ 1 2)", "READER-ERROR");
    rt_set_symbol_value(rt_sym_read_eval, RT_T);

    /* 100,000-deep nesting: a reader error at the documented depth, no crash. */
    size_t n = 100000;
    char *deep = malloc(2 * n + 1);
    memset(deep, '(', n);
    memset(deep + n, ')', n);
    deep[2 * n] = 0;
    check_error(deep, "READER-ERROR");
    /* Quotes nest the same way. */
    memset(deep, '\'', n);
    deep[n] = 'x';
    deep[n + 1] = 0;
    check_error(deep, "READER-ERROR");
    free(deep);

    /* Just under the limit reads and prints. */
    size_t ok = RT_READ_MAX_DEPTH - 1;
    char *nest = malloc(2 * ok + 2);
    memset(nest, '(', ok);
    nest[ok] = 'x';
    memset(nest + ok + 1, ')', ok);
    nest[2 * ok + 1] = 0;
    rt_value v = rd(nest);
    RT_ROOTS(v);
    char *s = rt_print_to_utf8(v, true);
    CHECK(strlen(s) == 2 * ok + 1 && s[ok] == 'X');
    free(s);
    free(nest);
}

static void test_big_inputs(void)
{
    /* A 100 MB string literal reads to a string of that length. */
    size_t n = (size_t)100 << 20;
    char *big = malloc(n + 3);
    big[0] = '"';
    memset(big + 1, 'x', n);
    big[n + 1] = '"';
    big[n + 2] = 0;
    rt_value v;
    char err[RT_READ_ERRBUF];
    CHECK(rt_read_from_utf8(big, n + 2, &v, err) == RT_READ_OK);
    CHECK(rt_stringp(v) && rt_string_length(v) == n);
    CHECK(rt_string_ref(v, n - 1) == 'x');
    free(big);

    /* A 100,000-digit integer token: never a crash (a bignum once the numbers module
     * is linked; a symbol with the fixnum-only stub). */
    size_t d = 100000;
    char *digits = malloc(d + 1);
    memset(digits, '7', d);
    digits[d] = 0;
    CHECK(rt_read_from_utf8(digits, d, &v, err) == RT_READ_OK);
    free(digits);
}

static void test_syntax(void)
{
    /* Multiple forms from one stream, in order, then EOF. */
    const char *src = "a (b) \"c\" ; comment\n #| x |# d";
    rt_value s = promoted(rt_make_mem_input_stream(src, strlen(src)));
    RT_ROOTS(s);
    const char *want[] = {"A", "(B)", "\"c\"", "D"};
    for (int i = 0; i < 4; i++) {
        rt_value v;
        char err[RT_READ_ERRBUF];
        CHECK(rt_read_status(s, &v, err) == RT_READ_OK);
        CHECK_STR(pr(v), want[i]);
    }
    rt_value v;
    char err[RT_READ_ERRBUF];
    CHECK(rt_read_status(s, &v, err) == RT_READ_EOF);

    /* Backquote reads as KONS-SYSTEM forms. */
    v = rd("`(a ,b ,@c ,.d)");
    CHECK(rt_car(v) == rt_sym_quasiquote);
    rt_value inner = rt_car(rt_cdr(v));
    CHECK(rt_car(rt_car(rt_cdr(inner))) == rt_sym_unquote);
    CHECK(rt_car(rt_car(rt_cdr(rt_cdr(inner)))) == rt_sym_unquote_splicing);
    CHECK(rt_car(rt_car(rt_cdr(rt_cdr(rt_cdr(inner))))) == rt_sym_unquote_nsplicing);

    /* Symbols: interning, packages, keywords. (Each pair is compared through rooted
     * variables: the second read may move a young first result.) */
    rt_value x1 = RT_NIL, x2 = RT_NIL;
    RT_ROOTS(x1, x2);
#define SAME(a, b) (x1 = (a), x2 = (b), x1 == x2)
    CHECK(SAME(rd("car"), rt_intern_c("CAR", "COMMON-LISP")));
    CHECK(SAME(rd("cl:car"), rd("CAR")));
    CHECK(SAME(rd("kons-system::quasiquote"), rt_sym_quasiquote));
    CHECK(SAME(rd(":foo"), rt_intern_c("FOO", "KEYWORD")));
    CHECK(SAME(rd("keyword:foo"), rd(":foo")));
    x1 = rd(":foo");
    CHECK(rt_symbol_value(x1) == x1);
#undef SAME
    rt_value g1 = rd("#:g"), g2 = RT_NIL;
    RT_ROOTS(g1, g2);
    g2 = rd("#:g");
    CHECK(g1 != g2 && rt_null(rt_body(g1)[RT_SYM_PACKAGE]));
    /* Characters by name, any case; UTF-8 characters. */
    CHECK(rd("#\\space") == rt_char(' '));
    CHECK(rd("#\\NEWLINE") == rt_char('\n'));
    CHECK(rd("#\\λ") == rt_char(0x3BB));
    CHECK(rd("#\\U+1F600") == rt_char(0x1F600));
    CHECK(rd("#\\greek_small_letter_lamda") == rt_char(0x3BB));
    /* Strings keep non-ASCII text. */
    v = rd("\"héllo wörld ✓\"");
    CHECK(rt_string_length(v) == 13 && rt_string_ref(v, 1) == 0xE9 && rt_string_ref(v, 12) == 0x2713);
    /* #n= shares structure; #n# makes circular lists. */
    v = rd("(#1=(x) #1#)");
    CHECK(rt_car(v) == rt_car(rt_cdr(v)));
    v = rd("#1=(a . #1#)");
    CHECK(rt_cdr(v) == v);
    v = rd("#1=#(1 #1#)");
    CHECK(rt_body(v)[1] == v);
    /* Feature expressions. */
    CHECK_STR(pr(rd("(#+(and kons (not sbcl)) a #+(or) b #-kons c d)")), "(A D)");
    /* *read-base* */
    rt_set_symbol_value(rt_sym_read_base, rt_fixnum(16));
    CHECK(rd("ff") == rt_fixnum(255));
    CHECK(rd("1e99") == rt_fixnum(0x1E99)); /* an integer, not an overflowing float */
    CHECK(rd("10.") == rt_fixnum(10));
    rt_set_symbol_value(rt_sym_read_base, rt_fixnum(10));
    CHECK(rt_symbolp(rd("ff")));
    /* *read-suppress* */
    rt_set_symbol_value(rt_sym_read_suppress, RT_T);
    CHECK(rd("(a #\\NoSuchName no-pkg:x)") == RT_NIL);
    rt_set_symbol_value(rt_sym_read_suppress, RT_NIL);
    /* Multi-dimensional arrays. */
    v = rd("#2A((1 2 3) (4 5 6))");
    CHECK(rt_widetagp(v, RT_WT_ARRAY) && rt_info(v) == 2);
    CHECK(rt_vector_ref(v, 5) == rt_fixnum(6));
}

static void test_readtable(void)
{
    rt_value rt = rt_symbol_value(rt_sym_readtable_var);
    CHECK(rt_readtablep(rt) && rt != rt_standard_readtable());
    RT_ROOTS(rt);
    rt_value copy = rt_copy_readtable(rt, RT_NIL);
    RT_ROOTS(copy);
    CHECK(rt_readtablep(copy) && copy != rt);
    /* :preserve keeps case; printing escapes lowercase names with bars. */
    RT_STORE(rt_body(copy)[1], rt_sym_kw_preserve);
    rt_set_symbol_value(rt_sym_readtable_var, copy);
    rt_value v = rd("Hello"), w = RT_NIL;
    RT_ROOTS(v, w);
    rt_set_symbol_value(rt_sym_readtable_var, rt);
    CHECK_STR(pr(v), "|Hello|");
    /* :invert: all-lowercase tokens become uppercase. */
    RT_STORE(rt_body(copy)[1], rt_sym_kw_invert);
    rt_set_symbol_value(rt_sym_readtable_var, copy);
    v = rd("hello");
    w = rd("Hello");
    rt_set_symbol_value(rt_sym_readtable_var, rt);
    CHECK_STR(pr(v), "HELLO");
    CHECK_STR(pr(w), "|Hello|");
    /* The original readtable is unchanged. */
    CHECK_STR(pr(rd("Hello")), "HELLO");
}

int main(void)
{
    objtest_init();
    /* The SBCL table was made with *print-pretty* NIL (the conformance setting). */
    rt_set_symbol_value(rt_sym_print_pretty, RT_NIL);
    test_round_trips();
    test_syntax();
    test_readtable();
    test_bad_input();
    test_big_inputs();
    return check_report();
}
