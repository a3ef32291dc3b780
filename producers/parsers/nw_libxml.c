/*
 * nw_libxml — libxml2 loaded at its first use. See nw_libxml.h.
 */
#define NW_LIBXML_NO_MAPPING /* the real names: this file fills the table */
#include "nw_libxml.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

#include "nw_dl.h"

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static nw_libxml_api api; /* written only by load(), inside load_once */
static nw_err load_err;   /* code != 0 when the load failed */

/* dlopen libxml2 (NW_LIBXML_SONAME, or the variable of that name when set),
 * fill `api`, and initialize the parser; the handles stay open for the
 * process's life. On failure `api` stays all NULL and load_err says why.
 *
 * The library is opened with RTLD_LAZY first, and nw_dl_open (RTLD_NOW) then
 * finds it loaded and only looks up the table. RTLD_NOW on a first open would
 * bind every PLT slot of libxml2's dependencies at once (libstdc++ alone has
 * ~1,000, and is not linked -z now): ~2 M instructions more than linking
 * libxml2 costs (callgrind, `newswire parse` of one NITF file: 12.7 M against
 * 10.6 M; with the lazy open first 10.9 M). Lazy binding is what a linked
 * libxml2 gets too. */
static void load(void)
{
    const char *soname = getenv("NW_LIBXML_SONAME");
    if (!soname || !*soname)
        soname = NW_LIBXML_SONAME;
#define NW_LIBXML_SYM(name) NW_DL_SYM(api.name, name),
    const nw_dl_sym syms[] = {NW_LIBXML_FUNCTIONS(NW_LIBXML_SYM)};
#undef NW_LIBXML_SYM
    void *lazy = dlopen(soname, RTLD_LAZY | RTLD_LOCAL); /* a failure: nw_dl_open says why */
    if (!nw_dl_open(soname, syms, sizeof syms / sizeof syms[0], &load_err)) {
        if (lazy)
            dlclose(lazy); /* e.g. a library without libxml2's functions */
        nw_err_prefix(&load_err, "libxml2 is needed for this input and is not available: ");
        return;
    }
    api.xmlInitParser();
}

const nw_libxml_api *nw_libxml(void)
{
    pthread_once(&load_once, load);
    return &api;
}

int nw_libxml_require(nw_err *err)
{
    pthread_once(&load_once, load);
    if (!load_err.code)
        return 0;
    return nw_err_set(err, load_err.code, "%s", load_err.msg);
}
