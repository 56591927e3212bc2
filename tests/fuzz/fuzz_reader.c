/* fuzz_reader.c: the Lisp reader and printer on arbitrary bytes.
 *
 * Reads every form of the input (rt_read_status: reader errors are statuses, never
 * crashes), prints each with *print-circle* T (so circular #n= structures terminate)
 * and *print-readably* T, reads the printed text back, and checks the promise of
 * round-tripping: the text reads without error and prints again to the same text.
 * #. is disabled (*read-eval* NIL) because evaluation is not the reader's business.
 * Symbols are interned in a scratch package that is recreated for every input, so a
 * long campaign does not grow the world.
 *
 * Anything else that stops the process (an abort from a C error path, a sanitizer
 * report, a hang, the depth limit not holding) is a bug. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/heap.h"
#include "rt/object.h"
#include "rt/printer.h"
#include "rt/reader.h"
#include "rt/stream.h"

static rt_value scratch;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    rt_heap_config cfg = {.old_space_bytes = (size_t)2 << 30};
    if (rt_heap_init(&cfg) != 0)
        abort();
    rt_objects_init();
    rt_register_global(&scratch);
    scratch = RT_NIL;
    rt_set_symbol_value(rt_sym_read_eval, RT_NIL);
    rt_set_symbol_value(rt_sym_print_circle, RT_T);
    rt_set_symbol_value(rt_sym_print_readably, RT_T);
    return 0;
}

/* A fresh package using CL, as *PACKAGE*; the previous one is deleted. */
static void fresh_package(void)
{
    if (!rt_null(scratch)) {
        for (size_t i = 0; i < rt_package_prims_count; i++)
            if (!strcmp(rt_package_prims[i].name, "DELETE-PACKAGE"))
                rt_package_prims[i].fn(&scratch, 1);
    }
    rt_value name = rt_string_from_cstr("FUZZ-SCRATCH");
    RT_ROOTS(name);
    rt_value use = rt_cons(rt_pkg_cl, RT_NIL);
    scratch = rt_make_package(name, RT_NIL, use);
    rt_set_symbol_value(rt_sym_package_var, scratch);
}

/* prin1 as UTF-8 with its length (names may hold NUL characters). */
static char *print(rt_value v, size_t *len) { return rt_string_to_utf8(rt_prin1_to_string(v), len); }

static void check_round_trip(rt_value v)
{
    size_t len, len2;
    char *text = print(v, &len);
    rt_value w;
    char err[RT_READ_ERRBUF];
    enum rt_read_status st = rt_read_from_utf8(text, len, &w, err);
    if (st != RT_READ_OK) {
        fprintf(stderr, "printed text does not read back: [%.200s]: %s\n", text, err);
        abort();
    }
    char *again = print(w, &len2);
    if (len != len2 || memcmp(text, again, len) != 0) {
        fprintf(stderr, "print/read/print differs:\n  [%.300s]\n  [%.300s]\n", text, again);
        abort();
    }
    free(text);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t depth = rt_root_depth();
    fresh_package();
    /* The stream reads the caller's buffer directly: it outlives the stream's use. */
    rt_value s = rt_make_mem_input_stream((const char *)data, size);
    RT_ROOTS(s);
    for (int forms = 0; forms < 10000; forms++) {
        rt_value v;
        char err[RT_READ_ERRBUF];
        enum rt_read_status st = rt_read_status(s, &v, err);
        if (st != RT_READ_OK)
            break; /* EOF, or a reader error: reading stops at the first error */
        RT_ROOTS(v);
        check_round_trip(v);
    }
    rt_root_restore(depth);
    return 0;
}
