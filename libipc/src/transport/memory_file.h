// MemoryFile: one very large message's data beside the stream, in a sealed
// memory file whose descriptor travels with the message's frames. Only
// Linux's own transport has them (transport::hasMemoryFiles); elsewhere
// create() gives an invalid file and receive() a null array, so the engine
// needs no branch of its own: the message goes on the stream.
#pragma once

#include <QByteArray>
#include <QString>

namespace ipc::transport {

class MemoryFile
{
public:
    // A new, empty file; invalid when the system has none.
    static MemoryFile create();
    MemoryFile(MemoryFile &&other) noexcept
        : m_fd(std::exchange(other.m_fd, -1))
    {
    }
    MemoryFile &operator=(MemoryFile &&) = delete;
    MemoryFile(const MemoryFile &) = delete;
    ~MemoryFile();

    bool isValid() const { return m_fd >= 0; }
    // Appends at the file's end.
    bool append(const char *data, qsizetype size);
    // Seals it against writes, growth and shrinking, for good.
    bool seal();
    // The descriptor, now the caller's (a stream's, to send).
    int release() { return std::exchange(m_fd, -1); }

    // The data of a received file (its descriptor, now taken and closed
    // here): exactly `size` bytes, mapped where possible. Null, with the
    // reason, when there is no file, or it is not sealed or not that size.
    static QByteArray receive(int fd, qsizetype size, QString *error);
    // Whether a file beats the stream for plain data: the system backs
    // memory files with huge pages (measured in bench/README.md).
    static bool beatsTheStreamForPlainData();
    // Asks for huge pages under a large buffer about to be filled.
    static void preferHugePages(char *data, qsizetype size);

private:
    explicit MemoryFile(int fd)
        : m_fd(fd)
    {
    }
    int m_fd;
};

} // namespace ipc::transport
