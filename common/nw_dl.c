/*
 * nw_dl — dlopen a soname and fill a table of function pointers. See nw_dl.h.
 */
#include "nw_dl.h"

#include <dlfcn.h>
#include <string.h>

/* dlsym returns a void * that is stored into function pointers: POSIX
 * requires them to have the same size and representation. */
_Static_assert(sizeof(void (*)(void)) == sizeof(void *), "function pointers fit a void *");

void *nw_dl_open(const char *soname, const nw_dl_sym *syms, size_t nsyms, nw_err *err)
{
    dlerror(); /* forget a stale message */
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        nw_err_set(err, NW_ENOTFOUND, "cannot load %s: %s", soname, why ? why : "unknown error");
        return NULL;
    }
    for (size_t i = 0; i < nsyms; i++) {
        void *sym = dlsym(h, syms[i].name);
        if (!sym) {
            nw_err_set(err, NW_ENOTFOUND, "%s has no %s (library too old?)", soname, syms[i].name);
            for (size_t j = 0; j < i; j++)
                memset(syms[j].slot, 0, sizeof sym);
            dlclose(h);
            return NULL;
        }
        memcpy(syms[i].slot, &sym, sizeof sym);
    }
    return h;
}
