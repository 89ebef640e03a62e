#ifndef MADOGUCHI_CMICROHTTPD_SHIM_H
#define MADOGUCHI_CMICROHTTPD_SHIM_H
#include <sys/types.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdarg.h>
#include <microhttpd.h>
// glibc's allocator controls (mallopt, malloc_trim), which Swift's Glibc module leaves out: the server sets
// them for large request bodies (Sources/HTTP/RequestBodyBudget.swift).
#include <malloc.h>

// MHD_get_connection_info is variadic, which Swift cannot call; we only ever ask for the client address.
// https://www.gnu.org/software/libmicrohttpd/manual/html_node/microhttpd_002dinfo-conn.html
static inline const struct sockaddr *madoguchi_mhd_client_address(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info == NULL ? NULL : info->client_addr;
}

#endif
