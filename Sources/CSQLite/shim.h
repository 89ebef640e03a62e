#ifndef MADOGUCHI_CSQLITE_SHIM_H
#define MADOGUCHI_CSQLITE_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift cannot import.
// https://sqlite.org/c3ref/c_static.html
static inline sqlite3_destructor_type madoguchi_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

#endif
