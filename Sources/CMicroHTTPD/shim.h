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

// MHD_get_daemon_info is variadic too; the acceptor asks how many connections the daemon holds.
static inline unsigned int madoguchi_mhd_current_connections(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info == NULL ? 0 : info->num_connections;
}

// -1 when libmicrohttpd holds no listening socket of its own (MHD_USE_NO_LISTEN_SOCKET).
static inline int madoguchi_mhd_listen_descriptor(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_LISTEN_FD);
    return info == NULL ? -1 : info->listen_fd;
}

#endif
