/*
 * The libmicrohttpd floor for bench/run: the same library, flags and limits as madoguchi's server, answering
 * every request with one static "ok" response from C. It shows how much of the gap to nginx is the library
 * itself rather than madoguchi's Swift layer. Usage: mhd-floor PORT THREADS
 */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct MHD_Response *ok;

static enum MHD_Result handler(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                               const char *version, const char *data, size_t *size, void **context) {
    static int seen;
    /* Like madoguchi: answer on the second call, so the connection stays alive. */
    if (*context == NULL) {
        *context = &seen;
        return MHD_YES;
    }
    return MHD_queue_response(connection, 200, ok);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: mhd-floor PORT THREADS\n");
        return 64;
    }
    ok = MHD_create_response_from_buffer(3, "ok\n", MHD_RESPMEM_PERSISTENT);
    struct MHD_Daemon *daemon = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO, (uint16_t)atoi(argv[1]), NULL, NULL,
        handler, NULL, MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)atoi(argv[2]), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)16384, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1024, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)30, MHD_OPTION_END);
    if (daemon == NULL) return 1;
    printf("ready\n");
    fflush(stdout);
    pause();
    return 0;
}
