/* net/sock.h — writing to a connection's socket without SIGPIPE.
 *
 * write(2)/writev(2) on a socket whose peer has gone raise SIGPIPE, which ends the
 * process unless the application ignores it; a library must not ask that of its
 * callers. sendmsg with MSG_NOSIGNAL gives EPIPE instead, at the cost of writev.
 * (TLS connections write through tls/bio.c, which does the same with send.) */
#ifndef HTTPX_NET_SOCK_H
#define HTTPX_NET_SOCK_H

#include <sys/socket.h>
#include <sys/uio.h>

/* writev(fd, iov, cnt) for a socket, never raising SIGPIPE: bytes written, or -1
 * with errno (EPIPE where writev would have signalled). */
static inline ssize_t httpx__sock_writev(int fd, const struct iovec *iov, int cnt)
{
    struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)(cnt > 0 ? cnt : 0)};
    return sendmsg(fd, &m, MSG_NOSIGNAL);
}

#endif
