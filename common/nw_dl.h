/*
 * nw_dl — load an optional shared library at run time: dlopen() a soname and
 * look up a table of its functions into the caller's function pointers.
 *
 * libcurl (feeds) and libmicrohttpd (the /metrics endpoint) are loaded this
 * way, only when they are first needed, so that a process start (and the
 * `newswire` tool, which needs neither) does not pay the dynamic loader's
 * work for them and the TLS stacks they pull in. Each caller keeps its own
 * table of pointers; NW_DL_SYM checks each pointer's type against the
 * library's header at compile time. nw_dl never logs and never keeps state.
 *
 * Ownership: nw_dl_open returns a handle the caller keeps for the process's
 * life (these libraries keep global state: nothing loaded is ever closed).
 * The names in the table are borrowed.
 */
#ifndef NW_DL_H
#define NW_DL_H

#include <stddef.h>

#include "nw_err.h"

/* One function to look up: its exported name, and the address of the
 * function pointer that receives it. */
typedef struct nw_dl_sym {
    const char *name;
    void *slot;
} nw_dl_sym;

/* A table entry: look up the function `fn` (spelled as in the header) into
 * the function pointer `ptr`. NW_DL_TYPE_CHECK is a _Static_assert (inside a
 * sizeof, so that it can sit in an initializer; the expression is 0) that
 * `ptr` has exactly the type of `&fn` as the library's header declares it: a
 * mismatch does not compile. */
/* clang-format off */
#define NW_DL_TYPE_CHECK(ptr, fn)                                                      \
    (0 * sizeof(struct {                                                               \
        _Static_assert(                                                                \
            __builtin_types_compatible_p(__typeof__(&(fn)), __typeof__(ptr)),          \
            #ptr " must have the type of &" #fn);                                      \
        char checked;                                                                  \
    }))
#define NW_DL_SYM(ptr, fn) {#fn, &(ptr) + NW_DL_TYPE_CHECK(ptr, fn)}
/* clang-format on */

/* dlopen(soname, RTLD_NOW | RTLD_LOCAL), then store the address of every
 * syms[i].name into *syms[i].slot. Returns the handle, or NULL with err set
 * (NW_ENOTFOUND, "cannot load SONAME: <dlerror>" or "SONAME has no NAME");
 * on failure every slot is left NULL and the library is closed again. */
void *nw_dl_open(const char *soname, const nw_dl_sym *syms, size_t nsyms, nw_err *err);

#endif
