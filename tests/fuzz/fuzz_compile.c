/* tests/fuzz/fuzz_compile.c: reads forms from arbitrary bytes and compiles each one
 * (macroexpansion included, with the Lisp library loaded) without running it. Errors
 * are expected (they unwind to the top level); crashes, hangs and sanitizer reports are
 * bugs.
 *
 * Built two ways: with clang -fsanitize=fuzzer (KONS_LIBFUZZER defined: libFuzzer's
 * main; see runtime/README.md) and, in the normal build, with a small main that runs
 * the seed forms below and a few thousand deterministic mutations of them (the smoke
 * test of the fuzz suite). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/reader.h"
#include "rt/rt.h"
#include "rt/stream.h"
#include "rt/vm.h"

extern const rt_embedded_file kons_lisp_files[];
extern const unsigned long kons_lisp_files_count;

static void init_once(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    rt_config cfg = {0};
    if (rt_init(&cfg) != 0)
        abort();
    rt_load_embedded(kons_lisp_files, kons_lisp_files_count);
    rt_set_batch_errors(true);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_once();
    job j = {data, size};
    rt_catch_toplevel(compile_all, &j);
    return 0;
}

#ifndef KONS_LIBFUZZER
static const char *const seeds[] = {
    "(defun f (a &optional (b 2 bp) &rest r &key c ((:d dd) 4) &allow-other-keys &aux (x 1)) (list a b bp r c dd x))",
    "(lambda (x) (block b (tagbody t1 (if x (go t2) (return-from b 1)) t2 (catch 'c (throw 'c (values 1 2))))))",
    "(let ((x 1)) (flet ((f () x)) (labels ((g (n) (if (= n 0) (f) (g (1- n))))) (setq x (g 3)))))",
    "(macrolet ((m (a &body b) `(progn ,a ,@b))) (symbol-macrolet ((s (car l))) (m s (setq s 2))))",
    "(unwind-protect (multiple-value-call #'list (values 1 2) (multiple-value-prog1 3 4)) (progv '(a) '(1) a))",
    "`(a ,b ,@c `(d ,,e ,@,f) #(1 ,g) . ,h)",
    "(defmacro m2 ((a b) &whole w &environment e &key (k 1)) (list a b w e k))",
    "(eval-when (:execute) (locally (declare (special z)) (the fixnum (load-time-value 1))))",
    "(let* ((a 1) (b (lambda () (setq a 2)))) (declare (special c)) (funcall b) a)",
};

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 3000;
    uint64_t rng = 0x9E3779B97F4A7C15u;
    size_t nseeds = sizeof seeds / sizeof *seeds;
    char buf[1024];
    for (size_t i = 0; i < nseeds; i++)
        LLVMFuzzerTestOneInput((const uint8_t *)seeds[i], strlen(seeds[i]));
    for (long r = 0; r < rounds; r++) {
        const char *s = seeds[r % (long)nseeds];
        size_t n = strlen(s);
        memcpy(buf, s, n);
        /* a few byte mutations: replace, delete, duplicate a slice */
        for (int k = 0; k < 3; k++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            size_t at = rng % n;
            switch ((rng >> 20) % 3) {
            case 0: buf[at] = "()'`,@#&:ab1 \"|;"[(rng >> 32) % 16]; break;
            case 1: memmove(buf + at, buf + at + 1, n - at - 1), n--; break;
            case 2:
                if (n + 8 < sizeof buf) {
                    memmove(buf + at + 8, buf + at, n - at);
                    n += 8;
                }
                break;
            }
            if (n < 2)
                break;
        }
        LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
    }
    printf("fuzz_compile: %zu seeds and %ld mutations compiled without a crash\n", nseeds, rounds);
    return 0;
}
#endif
