#include "transport/socket_liveness.h"
#include "transport/capabilities.h"

#include <QFile>

#if IPC_LINUX_TRANSPORT
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#endif

namespace ipc {

#if IPC_LINUX_TRANSPORT
namespace {

// Lists the listening unix sockets with the inode and device of the file
// each is bound to (sock_diag, as `ss -xl` does; no privileges needed), and
// looks for the file at hand. Matching the file itself, not its path, also
// finds a server that was bound elsewhere and renamed into place.
std::optional<bool> listeningOn(dev_t device, ino_t inode)
{
    const int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0)
        return std::nullopt;
    struct Request
    {
        nlmsghdr header;
        unix_diag_req body;
    } request = {};
    request.header.nlmsg_len = sizeof(request);
    request.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    request.body.sdiag_family = AF_UNIX;
    request.body.udiag_states = 1u << TCP_LISTEN;
    request.body.udiag_show = UDIAG_SHOW_VFS;
    sockaddr_nl kernel = {};
    kernel.nl_family = AF_NETLINK;
    std::optional<bool> answer;
    if (::sendto(
            fd, &request, sizeof(request), 0, reinterpret_cast<sockaddr *>(&kernel), sizeof(kernel))
        < 0) {
        ::close(fd);
        return answer;
    }
    alignas(nlmsghdr) char buffer[16384];
    bool failed = false;
    while (!answer && !failed) {
        ssize_t size = ::recv(fd, buffer, sizeof(buffer), 0);
        failed = size <= 0;
        for (auto *header = reinterpret_cast<nlmsghdr *>(buffer);
             !failed && !answer && NLMSG_OK(header, size); header = NLMSG_NEXT(header, size)) {
            if (header->nlmsg_type == NLMSG_DONE) {
                answer = false;
            } else if (header->nlmsg_type == NLMSG_ERROR) {
                failed = true;
            } else {
                auto *socket = static_cast<unix_diag_msg *>(NLMSG_DATA(header));
                int length = int(header->nlmsg_len - NLMSG_LENGTH(sizeof(*socket)));
                for (auto *attribute = reinterpret_cast<rtattr *>(socket + 1);
                     RTA_OK(attribute, length); attribute = RTA_NEXT(attribute, length)) {
                    const auto *file = static_cast<const unix_diag_vfs *>(RTA_DATA(attribute));
                    // The kernel's own device numbering: the major in the top 12 bits.
                    // The kernel reports the inode in 32 bits.
                    if (attribute->rta_type == UNIX_DIAG_VFS
                        && file->udiag_vfs_ino == quint32(inode)
                        && (file->udiag_vfs_dev >> 20) == major(device)
                        && (file->udiag_vfs_dev & 0xfffff) == minor(device))
                        answer = true;
                }
            }
        }
    }
    ::close(fd);
    return answer;
}

} // namespace
#endif

std::optional<bool> isListeningSocketFile(const QString &path)
{
#if IPC_LINUX_TRANSPORT
    if (!transport::linuxTransport())
        return std::nullopt;
    struct stat info;
    if (::lstat(QFile::encodeName(path).constData(), &info) != 0 || !S_ISSOCK(info.st_mode))
        return false;
    return listeningOn(info.st_dev, info.st_ino);
#else
    Q_UNUSED(path)
    return std::nullopt;
#endif
}

} // namespace ipc
