/* drivers/registry.h (private to drivers/): the by-name registry of one kind of backend.
 * DRV_REGISTRY(kind, ops_type) defines, over the file's `backends` (the ops built into
 * this binary, NULL-terminated) and `known` (every backend name Kons knows, built or not,
 * NULL-terminated):
 *   const ops_type *drv_<kind>_lookup(const char *name);  NULL when not built
 *   int drv_<kind>_known(const char *name);
 *   const char *drv_<kind>_names(void);                   "a, b, c" of the built ones */
#ifndef DRV_REGISTRY_H
#define DRV_REGISTRY_H

#include <stddef.h>
#include <string.h>

#define DRV_REGISTRY(kind, ops_type)                                                     \
    const ops_type *drv_##kind##_lookup(const char *name)                                \
    {                                                                                    \
        for (size_t i = 0; name && backends[i]; i++)                                     \
            if (strcmp(backends[i]->name, name) == 0)                                    \
                return backends[i];                                                      \
        return NULL;                                                                     \
    }                                                                                    \
    int drv_##kind##_known(const char *name)                                             \
    {                                                                                    \
        for (size_t i = 0; name && known[i]; i++)                                        \
            if (strcmp(known[i], name) == 0)                                             \
                return 1;                                                                \
        return 0;                                                                        \
    }                                                                                    \
    const char *drv_##kind##_names(void)                                                 \
    {                                                                                    \
        static char buf[128];                                                            \
        if (!buf[0])                                                                     \
            for (size_t i = 0; backends[i]; i++) {                                       \
                if (i)                                                                   \
                    strcat(buf, ", ");                                                   \
                strcat(buf, backends[i]->name);                                          \
            }                                                                            \
        return buf;                                                                      \
    }

#endif
