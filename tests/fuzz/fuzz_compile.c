/* tests/fuzz/fuzz_compile.c: reads forms from arbitrary bytes and compiles each one
 * (macroexpansion included, with the Lisp library loaded) without running it. Errors
 * are expected (they unwind to the top level); crashes, hangs and sanitizer reports are
 * bugs.
 *
 * Seeds: tests/fuzz/corpus/compile/. Built like every target of tests/fuzz/meson.build
 * (libFuzzer under clang, replay_driver.c under gcc). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/reader.h"
#include "rt/rt.h"
#include "rt/stream.h"
#include "rt/vm.h"
#include "fuzz.h"

extern const rt_embedded_file kons_lisp_files[];
extern const unsigned long kons_lisp_files_count;

static void init_once(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    /* A heap limit well under libFuzzer's 2 GB RSS limit: an input whose expansion blows up
     * (a backquote template sharing a big vector many times is walked as a tree) must end
     * in a storage-condition, which is the behaviour under test, not in the fuzzer's
     * out-of-memory kill. */
    rt_config cfg = {0};
    cfg.heap_bytes = (size_t)512 << 20;
    if (rt_init(&cfg) != 0)
        abort();
    rt_load_embedded(kons_lisp_files, kons_lisp_files_count);
    rt_set_batch_errors(true);
    rt_set_batch_errors_quiet(true);
}

typedef struct job {
    const uint8_t *data;
    size_t size;
} job;

static void compile_all(void *p)
{
    job *j = p;
    rt_value stream = rt_make_mem_input_stream((const char *)j->data, j->size), form = RT_NIL;
    RT_ROOTS(stream, form);
    char err[RT_READ_ERRBUF];
    for (int i = 0; i < 64; i++) {
        enum rt_read_status st = rt_read_status(stream, &form, err);
        if (st != RT_READ_OK)
            break;
        rt_compile_toplevel(form);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_once();
    job j = {data, size};
    rt_catch_toplevel(compile_all, &j);
    return 0;
}

