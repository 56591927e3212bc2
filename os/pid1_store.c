/* os/pid1_store.c: finds the store disk. Until the block layer's superblock module is
 * merged this only honours kons.store= (MINIMAL: no search by magic, no claiming). */
#include <stdlib.h>
#include <unistd.h>

#include "os_pid1.h"

void os_pid1_find_store(void)
{
    char dev[256];
    if (os_pid1_cmdline("kons.store", dev, sizeof dev)) {
        if (access(dev, R_OK | W_OK) == 0) {
            setenv("KONS_STORE", dev, 1);
            os_pid1_log("store disk: %s (from kons.store=)", dev);
        } else {
            os_pid1_log("store disk %s (from kons.store=) is not there; running without a store", dev);
        }
        return;
    }
    os_pid1_log("no store disk named (kons.store=); running without a store");
}
