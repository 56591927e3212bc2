/* tests/fuzz/fuzz.h: the entry points every fuzz target defines (libFuzzer's interface;
 * replay_driver.c provides main for builds without libFuzzer). Include it in each target. */
#ifndef KONS_TESTS_FUZZ_H
#define KONS_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Run one input. Must not leak, must return 0; a bug is a crash (abort, sanitizer). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional one-time setup. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
