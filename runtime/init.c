/* runtime/init.c: starting the runtime (rt/rt.h): module initialisation in dependency
 * order, registration of every module's primitives, loading the embedded Lisp files,
 * and the top-level entry points used by kons-lisp (load, eval, the REPL). */
#include "vm_internal.h"

#include <stdlib.h>
#include <string.h>

#include "rt/number.h"
#include "rt/printer.h"
#include "rt/reader.h"
#include "rt/rt.h"
#include "rt/stream.h"

#define VM_DEF_SYM_(c, n, p) rt_value vm_s_##c;
VM_SYMS(VM_DEF_SYM_)
#undef VM_DEF_SYM_

bool vm_batch_errors;
void rt_set_batch_errors(bool on) { vm_batch_errors = on; }
bool vm_batch_quiet;
void rt_set_batch_errors_quiet(bool quiet) { vm_batch_quiet = quiet; }
void rt_shutdown(void)
{
    rt_streams_flush_standard();
    fflush(NULL);
}

static void scan_roots(rt_slot_visitor visit, void *ctx)
{
    vm_threads_scan(visit, ctx);   /* with each thread's compiles in progress */
}

static const char *const special_forms[] = {
    "BLOCK", "CATCH", "EVAL-WHEN", "FLET", "FUNCTION", "GO", "IF", "LABELS", "LET", "LET*",
    "LOAD-TIME-VALUE", "LOCALLY", "MACROLET", "MULTIPLE-VALUE-CALL", "MULTIPLE-VALUE-PROG1",
    "PROGN", "PROGV", "QUOTE", "RETURN-FROM", "SETQ", "SYMBOL-MACROLET", "TAGBODY", "THE",
    "THROW", "UNWIND-PROTECT",
};

#define TABLE(t) {t, &t##_count}
static const struct {
    const rt_prim_def *defs;
    const size_t *count;
} prim_tables[] = {
    TABLE(rt_number_prims), TABLE(rt_symbol_prims), TABLE(rt_package_prims), TABLE(rt_char_prims),
    TABLE(rt_string_prims), TABLE(rt_list_prims),   TABLE(rt_array_prims),   TABLE(rt_hash_prims),
    TABLE(rt_instance_prims), TABLE(rt_stream_prims), TABLE(rt_reader_prims), TABLE(rt_printer_prims),
    TABLE(rt_vm_prims),     TABLE(rt_thread_prims),
};

/* Called by the heap when a limit is reached; the heap lends a reserve while the
 * storage-condition is signalled (the handler and debugger allocate). */
static void on_heap_exhausted(void)
{
    rt_storage_exhausted(RT_EXHAUSTED_HEAP);
}

int rt_init(const rt_config *cfg)
{
    rt_heap_config hc = {0};
    if (cfg)
        hc.old_space_bytes = cfg->heap_bytes;
    if (rt_heap_init(&hc) != 0)
        return -1;
    vm_script_mode = cfg && cfg->script_mode;
    vm_threads_init(); /* the initial thread: the VM state C code runs on */
    rt_add_root_scanner(scan_roots);
    rt_objects_init();
    rt_numbers_init();
#define VM_INTERN_SYM_(c, n, p)                                                         \
    vm_s_##c = rt_intern_c(n, p);                                                       \
    rt_register_global(&vm_s_##c);
    VM_SYMS(VM_INTERN_SYM_)
#undef VM_INTERN_SYM_
    for (size_t i = 0; i < sizeof special_forms / sizeof *special_forms; i++)
        vm_set_symbol_flag(rt_intern_c(special_forms[i], "COMMON-LISP"), RT_SYMF_SPECIAL_FORM, true);
    for (size_t i = 0; i < sizeof prim_tables / sizeof *prim_tables; i++)
        rt_define_primitives(prim_tables[i].defs, *prim_tables[i].count);
    vm_define_macros();
    vm_errors_init();
    vm_threads_markers_init();
    vm_printer_hooks_init();
    rt_heap_set_oom_handler(on_heap_exhausted);
    vm_compiler_init();
    return 0;
}

/* ---- Loading and evaluating from C ------------------------------------------------------ */

typedef struct load_job {
    const char *name, *text;
    size_t len;
    bool print;
} load_job;

static void load_body(void *p)
{
    load_job *j = p;
    size_t depth = vm_bind_depth();
    rt_value pkg = rt_intern_c("*PACKAGE*", "COMMON-LISP");
    rt_value rt = rt_intern_c("*READTABLE*", "COMMON-LISP");
    vm_bind_special(pkg, rt_symbol_value(pkg));
    vm_bind_special(rt, rt_symbol_value(rt));
    rt_load_buffer(j->name, j->text, j->len);
    vm_unbind_to(vm_current, depth);
}

int rt_load_embedded(const rt_embedded_file *files, size_t n)
{
    int failed = 0;
    bool saved = vm_batch_errors;
    vm_batch_errors = true;
    (void)saved;
    for (size_t i = 0; i < n; i++) {
        load_job j = {files[i].name, files[i].text, files[i].len, false};
        if (!rt_catch_toplevel(load_body, &j)) {
            fprintf(stderr, "kons-lisp: error while loading %s (continuing)\n", files[i].name);
            failed++;
        }
    }
    vm_batch_errors = saved;
    return failed;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

typedef struct file_job {
    load_job j;
    char *buf;
    const char *path;
    bool opened;
} file_job;

static void free_file_job(void *p)
{
    file_job *f = p;
    free(f->buf);
    f->buf = NULL;
}

/* Loads a file; errors propagate (LOAD). Returns false when it cannot be read. */
bool rt_load_file_checked(const char *path)
{
    file_job f = {{path, NULL, 0, false}, NULL, path, false};
    size_t len;
    f.buf = slurp(path, &len);
    if (!f.buf)
        return false;
    const char *text = f.buf;
    if (len >= 2 && f.buf[0] == '#' && f.buf[1] == '!') {
        /* a script's #! line */
        const char *nl = memchr(f.buf, '\n', len);
        text = nl ? nl + 1 : f.buf + len;
    }
    f.j.text = text;
    f.j.len = len - (size_t)(text - f.buf);
    rt_protect(load_body, free_file_job, &f);
    return true;
}

static void load_file_body(void *p)
{
    file_job *f = p;
    f->opened = rt_load_file_checked(f->path);
}

bool rt_load_file(const char *path)
{
    file_job f = {{path, NULL, 0, false}, NULL, path, false};
    bool ok = rt_catch_toplevel(load_file_body, &f);
    if (ok && !f.opened) {
        fprintf(stderr, "kons-lisp: cannot read %s\n", path);
        return false;
    }
    return ok;
}

static void eval_body(void *p)
{
    load_job *j = p;
    rt_value stream = rt_make_mem_input_stream(j->text, j->len), form = RT_NIL;
    RT_ROOTS(stream, form);
    for (;;) {
        form = rt_read(stream, false, RT_NO_VALUE, false);
        if (form == RT_NO_VALUE)
            break;
        rt_value v = rt_eval(form);
        if (j->print) {
            rt_value prin1 = rt_intern_c("PRINT", "COMMON-LISP");
            rt_funcall(prin1, 1, &v);
        }
    }
}

bool rt_eval_string(const char *text, bool print_values)
{
    load_job j = {"--eval", text, strlen(text), print_values};
    return rt_catch_toplevel(eval_body, &j);
}

/* ---- The REPL ----------------------------------------------------------------------------- */

typedef struct repl_ctx {
    bool eof;
    rt_value wrapper;
} repl_ctx;

static void flush_out(void)
{
    rt_value fo = rt_intern_c("FINISH-OUTPUT", "COMMON-LISP");
    if (rt_fdefinition_or_unbound(fo) != RT_UNBOUND)
        rt_funcall(fo, 0, NULL);
    rt_streams_flush_standard();
}

static bool input_ready(void *p)
{
    rt_value *in = p;
    return rt_listen(*in);
}

static void repl_step(void *p)
{
    repl_ctx *c = p;
    rt_value out = rt_symbol_value(rt_intern_c("*STANDARD-OUTPUT*", "COMMON-LISP"));
    rt_value fl = rt_intern_c("FRESH-LINE", "COMMON-LISP");
    if (rt_fdefinition_or_unbound(fl) != RT_UNBOUND)
        rt_funcall(fl, 0, NULL);
    rt_write_cstr(out, "* ");
    flush_out();
    rt_value in = rt_symbol_value(rt_intern_c("*STANDARD-INPUT*", "COMMON-LISP"));
    RT_ROOTS(in);
    /* background threads keep running while the prompt waits */
    vm_threads_wait_input(input_ready, &in);
    rt_value form = rt_read(in, false, RT_NO_VALUE, false);
    RT_ROOTS(form);
    if (form == RT_NO_VALUE) {
        c->eof = true;
        return;
    }
    rt_value v;
    if (c->wrapper != RT_NIL)
        v = rt_funcall(c->wrapper, 1, &form);
    else
        v = rt_eval(form);
    size_t n = rt_values_count();
    rt_value vals[64];
    size_t k = n > 64 ? 64 : n;
    if (n == 1)
        vals[0] = v;
    else
        for (size_t i = 0; i < k; i++)
            vals[i] = rt_value_n(i);
    rt_value prin1 = rt_intern_c("PRIN1", "COMMON-LISP"), terpri = rt_intern_c("TERPRI", "COMMON-LISP");
    for (size_t i = 0; i < k; i++) {
        RT_ROOTS(vals[i]);
        rt_funcall(prin1, 1, &vals[i]);
        rt_funcall(terpri, 0, NULL);
    }
    flush_out();
}

static void make_wrapper(void *p)
{
    repl_ctx *c = p;
    rt_value rc = rt_intern_c("RESTART-CASE", "COMMON-LISP");
    if (!vm_symbol_flag(rc, RT_SYMF_MACRO))
        return;
    static const char src[] =
        "(lambda (form) (restart-case (eval form) (abort () :report \"Exit debugger, returning to top level.\" (values))))";
    rt_value stream = rt_make_mem_input_stream(src, sizeof src - 1);
    rt_value form = rt_read(stream, true, RT_NIL, false);
    c->wrapper = rt_eval(form);
}

void rt_repl(void)
{
    repl_ctx c = {false, RT_NIL};
    RT_ROOTS(c.wrapper);
    rt_catch_toplevel(make_wrapper, &c);
    while (!c.eof) {
        if (!rt_catch_toplevel(repl_step, &c))
            fprintf(stdout, "\n");
    }
    fprintf(stdout, "\n");
}
