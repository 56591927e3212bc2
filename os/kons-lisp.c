/* os/kons-lisp.c: the Lisp on a terminal. The composition root of the runtime library:
 * parses the command line, starts the runtime, loads the embedded Lisp library, then
 * runs --script / --eval / --load in order and the REPL.
 *
 *   kons-lisp                      REPL on the terminal
 *   kons-lisp --script FILE        evaluate FILE, exit 0 (1 on an unhandled error)
 *   kons-lisp [--heap-size SIZE] [--eval FORM | --load FILE]... [--quit]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/rt.h"
#include "rt/vm.h"

extern const rt_embedded_file kons_lisp_files[];
extern const unsigned long kons_lisp_files_count;

static void on_sigint(int sig)
{
    (void)sig;
    rt_vm_request_interrupt();
}

static size_t parse_size(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v <= 0)
        return 0;
    switch (*end) {
    case 'k': case 'K': v *= 1024.0; break;
    case 'm': case 'M': v *= 1024.0 * 1024; break;
    case 'g': case 'G': v *= 1024.0 * 1024 * 1024; break;
    case 0: break;
    default: return 0;
    }
    return (size_t)v;
}

static void usage(void)
{
    fprintf(stderr, "usage: kons-lisp [--heap-size SIZE] [--script FILE | [--eval FORM | --load FILE]... [--quit]]\n");
}

int main(int argc, char **argv)
{
    rt_config cfg = {0};
    const char *script = NULL;
    bool quit = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--heap-size") && i + 1 < argc) {
            cfg.heap_bytes = parse_size(argv[++i]);
            if (!cfg.heap_bytes) {
                fprintf(stderr, "kons-lisp: bad --heap-size '%s' (e.g. 512M, 2G)\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--script") && i + 1 < argc) {
            script = argv[++i];
            break;
        } else if ((!strcmp(argv[i], "--eval") || !strcmp(argv[i], "--load")) && i + 1 < argc) {
            i++;
        } else if (!strcmp(argv[i], "--quit") || !strcmp(argv[i], "--non-interactive")) {
            quit = true;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage();
            return 0;
        } else {
            fprintf(stderr, "kons-lisp: unknown or incomplete option '%s'\n", argv[i]);
            usage();
            return 2;
        }
    }
    cfg.script_mode = script != NULL;
    if (rt_init(&cfg) != 0)
        return 70;
    /* KONS_LISP_BARE=1: the kernel only (debugging the compiler without the library) */
    const char *bare = getenv("KONS_LISP_BARE");
    rt_load_embedded(kons_lisp_files, bare && *bare == '1' ? 1 : kons_lisp_files_count);
    if (script) {
        bool ok = rt_load_file(script);
        rt_shutdown();
        return ok ? 0 : 1;
    }
    signal(SIGINT, on_sigint);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--heap-size"))
            i++;
        else if (!strcmp(argv[i], "--eval"))
            rt_eval_string(argv[++i], false);
        else if (!strcmp(argv[i], "--load"))
            rt_load_file(argv[++i]);
    }
    if (!quit)
        rt_repl();
    rt_shutdown();
    return 0;
}
