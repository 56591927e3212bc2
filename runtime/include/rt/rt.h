/* rt/rt.h: starting the Lisp runtime (the composition root calls these).
 *
 * Ownership: the VM module (runtime/init.c).
 */
#ifndef RT_RT_H
#define RT_RT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rt_config {
    size_t heap_bytes;    /* old-space limit; 0: default */
    bool script_mode;     /* --script: unhandled errors print to stderr and exit 1 */
} rt_config;

/* Initialises the heap, objects, numbers, the VM, the threads and registers every
 * module's primitives. Returns 0, or -1 after printing why on stderr. */
int rt_init(const rt_config *cfg);

/* A Lisp source file compiled into the executable (runtime/lisp/NN-name.lisp). */
typedef struct rt_embedded_file {
    const char *name;
    const char *text;
    size_t len;
} rt_embedded_file;

/* Loads files in order (each with *PACKAGE* bound to CL-USER); an error in one is
 * reported on stderr and loading continues with the next. Returns the number that
 * failed. */
int rt_load_embedded(const rt_embedded_file *files, size_t n);

/* Loads one file (--load), evaluates one form given as text (--eval). Errors go to the
 * debugger as usual; they return false when the evaluation was abandoned. */
bool rt_load_file(const char *path);
bool rt_eval_string(const char *text, bool print_values);

/* Batch mode: an unhandled error prints one line on stderr and unwinds to the innermost
 * top level (rt_catch_toplevel) instead of entering the debugger (tests, fuzzing). */
void rt_set_batch_errors(bool on);
/* In batch mode, print nothing at all for an unhandled error (fuzzers: their inputs are
 * errors by the thousand, and the log is for the fuzzer's own reports). */
void rt_set_batch_errors_quiet(bool quiet);

/* Flushes the standard streams (before the process exits). */
void rt_shutdown(void);

/* The terminal REPL on stdin/stdout; returns at end of input. */
void rt_repl(void);

#endif
