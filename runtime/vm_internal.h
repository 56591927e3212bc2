/* runtime/vm_internal.h: internals shared by the VM, the compiler and the threads.
 * Not public. See runtime/README.md, "Compiler and VM", for the design. */
#ifndef RT_VM_INTERNAL_H
#define RT_VM_INTERNAL_H

#include <setjmp.h>
#include <stdio.h>
#include <ucontext.h>

#include "rt/error.h"
#include "rt/object.h"
#include "rt/vm.h"

/* ---- Instruction set ----------------------------------------------------------------
 * One instruction is a uint32 word: opcode in bits 0..7, operand A in bits 8..31
 * (unsigned, or signed for jump offsets, relative to the next instruction). Some
 * instructions take one more word (noted "+w"). The VM dispatches with computed goto
 * through a label table indexed by the opcode (token threading: code objects live in the
 * heap and persist across executables, so they hold opcodes, not label addresses). */
#define VM_OPS(X)                                                                        \
    X(NOP) X(CONST) X(NIL) X(T) X(FIX)                                                   \
    X(LREF) X(LSET) X(LSETP) X(LREFB) X(LSETB) X(BOX)                                    \
    X(CREF) X(CREFB) X(CSETB) X(GREF) X(GSET) X(POP) X(DROP) X(DROPU) X(FREF)                            \
    X(JMP) X(JMPB) X(JF) X(JT)                                                           \
    X(CALL) X(TCALL) X(GCALL) X(GTCALL) X(MVCALL) X(RET) X(RETMV) X(NV1) X(VALUES)       \
    X(MVSAVE) X(MVRESTORE) X(MVPUSH) X(MVBIND)                                           \
    X(ENTER) X(ENTERG) X(OPTINIT) X(SUPPLIEDP) X(CLOSURE)                                \
    X(ADD) X(SUB) X(LT) X(GT) X(LE) X(GE) X(NUMEQ) X(ADD1) X(SUB1)                       \
    X(EQ) X(CAR) X(CDR) X(CONS) X(NOT) X(CONSP) X(ATOM) X(LIST) X(SVREF)                                 \
    X(JNLT) X(JNGT) X(JNLE) X(JNGE) X(JNNUMEQ) X(JNEQ) X(JEQ)                            \
    X(JLT) X(JGT) X(JLE) X(JGE) X(JNUMEQ) X(ADDI) X(SUBI) X(LREF2) X(LCAR) X(LCDR) X(APPLY) X(TAPPLY) X(JFL) X(JTL) X(JNEQK) X(JEQK) X(RETL) X(AREF) X(AREF2) X(ASET) X(ASET2) X(CHAR) X(RPLACA) X(RPLACD) X(JTK)                            \
    X(BLOCKPUSH) X(UWPOP) X(RETNL) X(TAGPUSH) X(GONL) X(CATCHPUSH) X(THROW)              \
    X(UWPPUSH) X(UWPNORMAL) X(UWPEND) X(BIND) X(UNBIND) X(PROGV) X(UNBINDTO)

enum vm_op {
#define VM_ENUM_(n) OP_##n,
    VM_OPS(VM_ENUM_)
#undef VM_ENUM_
    OP_COUNT_
};

#define VM_INS(op, a) ((uint32_t)(op) | ((uint32_t)(a) << 8))
#define VM_OP(w) ((w) & 0xFFu)
#define VM_A(w) ((w) >> 8)
#define VM_SA(w) ((int32_t)(w) >> 8)
#define VM_A_MAX 0xFFFFFFu
/* Instructions followed by one operand word. */
static inline bool vm_op_has_word(unsigned op)
{
    return op == OP_GCALL || op == OP_GTCALL || op == OP_CLOSURE || op == OP_OPTINIT || op == OP_BLOCKPUSH ||
           op == OP_TAGPUSH || op == OP_JFL || op == OP_JTL || op == OP_JNEQK || op == OP_JEQK;
}

/* ---- Per-thread VM state -------------------------------------------------------------- */

/* One Lisp activation. */
typedef struct vm_ctl {
    rt_value fn;            /* the function running (a RT_WT_FUNCTION): traced by the GC */
    rt_value *fp;           /* its frame: fp[0..nlocals) are arguments and locals */
    rt_value *ret_sp;       /* where the result goes in the caller's frame */
    uint32_t pc_off;        /* resume point (words from the bytecode start) while it calls */
    uint32_t flags;         /* VM_CTL_C_RETURN: returning from it returns from vm_run */
} vm_ctl;
#define VM_CTL_C_RETURN 1u

enum vm_uw_kind { UW_BLOCK, UW_TAGBODY, UW_CATCH, UW_UWP, UW_CPROTECT, UW_TOPLEVEL };

/* One entry of the unwind stack (block, tagbody, catch, unwind-protect, C boundaries). */
typedef struct vm_uw {
    int kind;
    int level;              /* vm_run nesting level that owns it */
    rt_value tag;           /* block/tagbody: a fresh cons; catch: the tag */
    rt_value *sp;           /* operand stack to restore */
    size_t nctl;            /* control depth to restore */
    size_t nbind;           /* binding depth to restore */
    uint32_t pc_off;        /* landing (block/catch), label table (tagbody), cleanup (uwp) */
    void (*cleanup)(void *); /* UW_CPROTECT */
    void *ctx;
    jmp_buf *jb;            /* UW_TOPLEVEL */
    size_t root_depth;      /* UW_CPROTECT, UW_TOPLEVEL */
} vm_uw;

typedef struct vm_bind {
    rt_value sym, old;
} vm_bind;

typedef struct vm_run_t {
    jmp_buf jb;
    int level;
    size_t root_depth;
    struct vm_run_t *parent;
} vm_run_t;

#define VM_MV_LIMIT 1024    /* multiple-values-limit */
/* call-arguments-limit: the compiler refuses a call form with this many arguments or
 * more (a program error, not a million-argument call compiled: the compile fuzzer's
 * backquoted #952100(...) vector took 12 s and 3.5 GB that way). APPLY at run time is
 * bounded by the stack only. */
#define VM_CALL_ARGUMENTS_LIMIT 65536

typedef struct vm_thread {
    rt_value *stack, *sp, *stack_limit, *stack_soft_limit, *stack_hard_limit;
    size_t stack_words;
    vm_ctl *ctl;
    size_t nctl, ctl_limit;
    vm_uw *uw;
    size_t nuw, uw_cap;
    vm_bind *bind;
    size_t nbind, bind_cap;
    size_t nvals;
    rt_value mv[VM_MV_LIMIT];
    /* unwinding in progress */
    size_t uw_target;
    size_t go_index;
    vm_run_t *run;
    int level;
    /* green thread */
    rt_value lisp_thread;   /* the KONS:THREAD object (or NIL for the C-only init thread) */
    rt_value name, result, function, interrupts;
    int state;
    int id;
    ucontext_t uctx;
    void *cstack;
    size_t cstack_size;
    int64_t wake_at_ns;
    rt_value wait_obj;
    int wait_kind;
    struct vm_thread *next_all;
    bool bindings_swapped_out;
    rt_root_stack roots;    /* its C root stack while switched out (the heap holds the running one's) */
    /* C state of the VM layer that belongs to the thread (it may be switched out in the
     * middle of a compile that runs a macro, or of signalling an error): */
    struct cx *compile_cx;  /* compiler.c: its compiles in progress, innermost first */
    int signal_depth;       /* error.c: nested rt_error calls in progress */
    int debugger_level;     /* error.c: nested debugger REPLs */
} vm_thread;

extern vm_thread *vm_current;

/* vm.c */
vm_thread *vm_thread_new(size_t stack_words);
void vm_thread_free(vm_thread *t);
void vm_unbind_to(vm_thread *t, size_t depth);
void vm_bind_special(rt_value sym, rt_value v);
size_t vm_bind_depth(void);
void vm_define_macros(void);
bool rt_load_file_checked(const char *path);
extern bool vm_batch_errors, vm_batch_quiet;
void vm_swap_bindings(vm_thread *t, bool out);
rt_value vm_call(rt_value fn, size_t nargs, const rt_value *args);
void vm_poll(void);
rt_value vm_make_function(rt_value code, size_t nclosed);
rt_value vm_make_primitive(rt_value name, rt_prim_fn fn, int min, int max);
_Noreturn void vm_error_args(rt_value fn, size_t nargs);
void vm_scan_thread(vm_thread *t, rt_slot_visitor visit, void *ctx);

/* compiler.c */
void vm_compiler_init(void);
/* error.c: v printed for a message or a backtrace line (prin1, with *print-length* 100 and
 * *print-level* 10 unless tighter limits are in effect): malloc'd UTF-8. */
char *vm_message_text(rt_value v);
struct cx;
/* The Lisp values held by a thread's compiles in progress (its compile_cx chain). */
void vm_compiler_scan(struct cx *chain, rt_slot_visitor visit, void *ctx);
rt_value vm_compile(rt_value lambda_expr, rt_value name, rt_value env);

/* thread.c */
void vm_threads_init(void);
void vm_threads_scan(rt_slot_visitor visit, void *ctx);
void vm_thread_safepoint(void);
void vm_threads_markers_init(void);
void vm_threads_wait_input(bool (*ready)(void *), void *ctx);
void vm_printer_hooks_init(void);
extern const rt_prim_def rt_thread_prims[];
extern const size_t rt_thread_prims_count;

/* error.c */
void vm_errors_init(void);
extern bool vm_script_mode;

/* Well-known symbols of the VM (interned at init, registered as roots). */
#define VM_SYMS(X)                                                                       \
    X(quote, "QUOTE", "COMMON-LISP") X(function, "FUNCTION", "COMMON-LISP")              \
    X(lambda, "LAMBDA", "COMMON-LISP") X(progn, "PROGN", "COMMON-LISP")                  \
    X(if_, "IF", "COMMON-LISP") X(let, "LET", "COMMON-LISP")                             \
    X(letstar, "LET*", "COMMON-LISP") X(setq, "SETQ", "COMMON-LISP")                     \
    X(block, "BLOCK", "COMMON-LISP") X(return_from, "RETURN-FROM", "COMMON-LISP")        \
    X(tagbody, "TAGBODY", "COMMON-LISP") X(go, "GO", "COMMON-LISP")                      \
    X(catch_, "CATCH", "COMMON-LISP") X(throw_, "THROW", "COMMON-LISP")                  \
    X(unwind_protect, "UNWIND-PROTECT", "COMMON-LISP") X(flet, "FLET", "COMMON-LISP")    \
    X(labels, "LABELS", "COMMON-LISP") X(macrolet, "MACROLET", "COMMON-LISP")            \
    X(symbol_macrolet, "SYMBOL-MACROLET", "COMMON-LISP")                                 \
    X(the, "THE", "COMMON-LISP") X(locally, "LOCALLY", "COMMON-LISP")                    \
    X(load_time_value, "LOAD-TIME-VALUE", "COMMON-LISP")                                 \
    X(eval_when, "EVAL-WHEN", "COMMON-LISP")                                             \
    X(multiple_value_call, "MULTIPLE-VALUE-CALL", "COMMON-LISP")                         \
    X(multiple_value_prog1, "MULTIPLE-VALUE-PROG1", "COMMON-LISP")                       \
    X(progv, "PROGV", "COMMON-LISP") X(declare, "DECLARE", "COMMON-LISP")                \
    X(special, "SPECIAL", "COMMON-LISP") X(optional, "&OPTIONAL", "COMMON-LISP")         \
    X(rest, "&REST", "COMMON-LISP") X(key, "&KEY", "COMMON-LISP")                        \
    X(aux, "&AUX", "COMMON-LISP") X(body, "&BODY", "COMMON-LISP")                        \
    X(whole, "&WHOLE", "COMMON-LISP") X(environment, "&ENVIRONMENT", "COMMON-LISP")      \
    X(allow_other_keys, "&ALLOW-OTHER-KEYS", "COMMON-LISP")                              \
    X(setf, "SETF", "COMMON-LISP") X(values, "VALUES", "COMMON-LISP")                    \
    X(compile, "COMPILE", "COMMON-LISP") X(load, "LOAD", "COMMON-LISP")                  \
    X(eval, "EVAL", "COMMON-LISP") X(kw_compile_toplevel, "COMPILE-TOPLEVEL", "KEYWORD") \
    X(kw_load_toplevel, "LOAD-TOPLEVEL", "KEYWORD") X(kw_execute, "EXECUTE", "KEYWORD")  \
    X(kw_allow_other_keys, "ALLOW-OTHER-KEYS", "KEYWORD")                                \
    X(named_lambda, "NAMED-LAMBDA", "KONS-SYSTEM")                                       \
    X(quasiquote, "QUASIQUOTE", "KONS-SYSTEM") X(unquote, "UNQUOTE", "KONS-SYSTEM")      \
    X(unquote_splicing, "UNQUOTE-SPLICING", "KONS-SYSTEM")                               \
    X(unquote_nsplicing, "UNQUOTE-NSPLICING", "KONS-SYSTEM")                             \
    X(qq_list, "%QQ-LIST", "KONS-SYSTEM") X(qq_liststar, "%QQ-LIST*", "KONS-SYSTEM")     \
    X(qq_append, "%QQ-APPEND", "KONS-SYSTEM") X(qq_nconc, "%QQ-NCONC", "KONS-SYSTEM")    \
    X(qq_vector, "%QQ-VECTOR", "KONS-SYSTEM")                                            \
    X(setf_fdefn, "%SETF-FDEFN", "KONS-SYSTEM") X(apply, "APPLY", "COMMON-LISP")         \
    X(signal_c_error, "%SIGNAL-C-ERROR", "KONS-SYSTEM")                                  \
    X(debugger_hook, "%INVOKE-DEBUGGER-HOOK", "KONS-SYSTEM")                             \
    X(error, "ERROR", "COMMON-LISP")                                                     \
    X(kons_thread, "THREAD", "KONS") X(mutex, "MUTEX", "KONS")                          \
    X(plus, "+", "COMMON-LISP") X(minus, "-", "COMMON-LISP") X(lt, "<", "COMMON-LISP")   \
    X(gt, ">", "COMMON-LISP") X(le, "<=", "COMMON-LISP") X(ge, ">=", "COMMON-LISP")      \
    X(numeq, "=", "COMMON-LISP") X(oneplus, "1+", "COMMON-LISP")                         \
    X(numne, "/=", "COMMON-LISP")                                                        \
    X(oneminus, "1-", "COMMON-LISP") X(eq, "EQ", "COMMON-LISP")                          \
    X(car, "CAR", "COMMON-LISP") X(cdr, "CDR", "COMMON-LISP")                            \
    X(cons, "CONS", "COMMON-LISP") X(not_, "NOT", "COMMON-LISP")                         \
    X(null, "NULL", "COMMON-LISP") X(consp, "CONSP", "COMMON-LISP")                      \
    X(atom, "ATOM", "COMMON-LISP") X(list, "LIST", "COMMON-LISP")                        \
    X(svref, "SVREF", "COMMON-LISP") X(funcall, "FUNCALL", "COMMON-LISP")                \
    X(ignore, "IGNORE", "COMMON-LISP") X(ignorable, "IGNORABLE", "COMMON-LISP")          \
    X(kw_macro, "MACRO", "KEYWORD") X(kw_smacro, "SYMBOL-MACRO", "KEYWORD")              \
    X(kw_fun, "FUNCTION", "KEYWORD") X(kw_var, "VARIABLE", "KEYWORD")                    \
    X(standard_output, "*STANDARD-OUTPUT*", "COMMON-LISP")                               \
    X(macroexpand_hook, "*MACROEXPAND-HOOK*", "COMMON-LISP")                             \
    X(storage_condition, "STORAGE-CONDITION", "COMMON-LISP")                           \
    X(rplaca, "RPLACA", "COMMON-LISP") X(rplacd, "RPLACD", "COMMON-LISP")               \
    X(aref, "AREF", "COMMON-LISP") X(pct_aset, "%ASET", "KONS-SYSTEM")                   \
    X(char_, "CHAR", "COMMON-LISP") X(schar, "SCHAR", "COMMON-LISP")                     \
    X(pct_defun, "%DEFUN", "KONS-SYSTEM") X(pct_defmacro, "%DEFMACRO", "KONS-SYSTEM")

#define VM_DECL_SYM_(c, n, p) extern rt_value vm_s_##c;
VM_SYMS(VM_DECL_SYM_)
#undef VM_DECL_SYM_

static inline rt_value vm_sym_value_raw(rt_value sym) { return rt_body(sym)[RT_SYM_VALUE]; }
static inline bool vm_symbol_flag(rt_value sym, int64_t f) { return (rt_symbol_flags(sym) & f) != 0; }
void vm_set_symbol_flag(rt_value sym, int64_t f, bool on);

/* car/cdr of forms (compiler, macro lambda lists): user data, so never trust their shape. */
static inline rt_value form_car(rt_value x)
{
    if (rt_consp(x))
        return rt_cons_of(x)->car;
    if (!rt_null(x))
        rt_error("PROGRAM-ERROR", "malformed form: a list was expected");
    return RT_NIL;
}
static inline rt_value form_cdr(rt_value x)
{
    if (rt_consp(x))
        return rt_cons_of(x)->cdr;
    if (!rt_null(x))
        rt_error("PROGRAM-ERROR", "malformed form: a list was expected");
    return RT_NIL;
}

#endif
