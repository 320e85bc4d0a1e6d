#include "control.h"

#include <QtEndian>

namespace ipc::wire {

namespace {

void appendString(QByteArray &out, const QString &text)
{
    const QByteArray utf8 = text.toUtf8().left(MaxHelloStringBytes);
    out.append(char(utf8.size()));
    out.append(utf8);
}

bool readString(const char *&p, const char *end, QString *text)
{
    if (p >= end)
        return false;
    const int length = quint8(*p++);
    if (end - p < length)
        return false;
    *text = QString::fromUtf8(p, length);
    p += length;
    return true;
}

constexpr int DeliveryBlockSize = 4 + 8 + 4 + 4;
constexpr int ResumeSize = 1 + 4 * 8;

} // namespace

QByteArray encodeHello(const Hello &hello)
{
    QByteArray out(1 + 4 + 8, Qt::Uninitialized);
    out[0] = char(ControlKind::Hello);
    qToBigEndian<quint32>(hello.maxMessageSize, out.data() + 1);
    qToBigEndian<quint64>(hello.pid, out.data() + 5);
    appendString(out, hello.processName);
    appendString(out, hello.libraryVersion);
    char block[DeliveryBlockSize];
    qToBigEndian<quint32>(hello.features, block);
    qToBigEndian<quint64>(hello.instance, block + 4);
    qToBigEndian<quint32>(hello.windowMessages, block + 12);
    qToBigEndian<quint32>(hello.windowBytes, block + 16);
    out.append(block, DeliveryBlockSize);
    return out;
}

bool decodeHello(const char *data, qsizetype size, Hello *hello, QString *error)
{
    const char *p = data;
    const char *end = data + size;
    if (size < 1 + 4 + 8 || ControlKind(quint8(*p)) != ControlKind::Hello) {
        *error = QStringLiteral("malformed hello message (%1 bytes)").arg(size);
        return false;
    }
    hello->maxMessageSize = qFromBigEndian<quint32>(p + 1);
    hello->pid = qFromBigEndian<quint64>(p + 5);
    p += 13;
    if (!readString(p, end, &hello->processName) || !readString(p, end, &hello->libraryVersion)) {
        *error = QStringLiteral("malformed hello message: truncated string");
        return false;
    }
    if (p == end) // a peer from before acknowledgements
        return true;
    if (end - p < DeliveryBlockSize) {
        *error = QStringLiteral("malformed hello message: truncated delivery block (%1 of %2 bytes)")
                     .arg(end - p).arg(DeliveryBlockSize);
        return false;
    }
    hello->features = qFromBigEndian<quint32>(p);
    hello->instance = qFromBigEndian<quint64>(p + 4);
    hello->windowMessages = qFromBigEndian<quint32>(p + 12);
    hello->windowBytes = qFromBigEndian<quint32>(p + 16);
    return true; // later versions may append more: ignored
}

QByteArray encodeControl(ControlKind kind, quint64 token)
{
    QByteArray out(1 + 8, Qt::Uninitialized);
    out[0] = char(kind);
    qToBigEndian<quint64>(token, out.data() + 1);
    return out;
}

bool decodeToken(const char *data, qsizetype size, quint64 *token)
{
    if (size < 9)
        return false;
    *token = qFromBigEndian<quint64>(data + 1);
    return true;
}

QByteArray encodeResume(const Resume &resume)
{
    QByteArray out(ResumeSize, Qt::Uninitialized);
    out[0] = char(ControlKind::Resume);
    qToBigEndian<quint64>(resume.stream, out.data() + 1);
    qToBigEndian<quint64>(resume.firstSequence, out.data() + 9);
    qToBigEndian<quint64>(resume.peerStream, out.data() + 17);
    qToBigEndian<quint64>(resume.delivered, out.data() + 25);
    return out;
}

bool decodeResume(const char *data, qsizetype size, Resume *resume)
{
    if (size < ResumeSize)
        return false;
    resume->stream = qFromBigEndian<quint64>(data + 1);
    resume->firstSequence = qFromBigEndian<quint64>(data + 9);
    resume->peerStream = qFromBigEndian<quint64>(data + 17);
    resume->delivered = qFromBigEndian<quint64>(data + 25);
    return true;
}

QByteArray encodeCorrelation(const Correlation &tag)
{
    const bool withCode = tag.kind == Correlation::ErrorReply;
    QByteArray out(1 + 8 + (withCode ? 4 : 0), Qt::Uninitialized);
    out[0] = char(tag.kind);
    qToBigEndian<quint64>(tag.id, out.data() + 1);
    if (withCode)
        qToBigEndian<qint32>(tag.code, out.data() + 9);
    return out;
}

bool decodeCorrelation(const char *data, qsizetype size, Correlation *tag)
{
    const auto kind = Correlation::Kind(quint8(data[0]));
    const qsizetype needed = 1 + 8 + (kind == Correlation::ErrorReply ? 4 : 0);
    if (size < needed)
        return false;
    tag->kind = kind;
    tag->id = qFromBigEndian<quint64>(data + 1);
    tag->code = kind == Correlation::ErrorReply ? qFromBigEndian<qint32>(data + 9) : 0;
    return tag->id != 0 || kind == Correlation::Object;
}

} // namespace ipc::wire
