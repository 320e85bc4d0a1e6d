#include "address.h"

#include <QStringList>

namespace ipc {

namespace {

Address invalid(const QString &why)
{
    Address a;
    a.error = why;
    return a;
}

// RFC 1123 host names; '_' too, as resolvers accept it in practice.
bool isHostName(const QString &name)
{
    if (name.size() > 253)
        return false;
    const QStringList labels = name.split(QLatin1Char('.'));
    for (qsizetype i = 0; i < labels.size(); ++i) {
        const QString &label = labels.at(i);
        if (label.isEmpty()) {
            if (i > 0 && i == labels.size() - 1)
                continue; // a trailing dot is fine
            return false;
        }
        if (label.size() > 63 || label.startsWith(QLatin1Char('-'))
            || label.endsWith(QLatin1Char('-')))
            return false;
        for (const QChar c : label) {
            if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != QLatin1Char('-')
                && c != QLatin1Char('_'))
                return false;
        }
    }
    // An all-digit last label is a mistyped IP address, not a name.
    const QString last = labels.last().isEmpty() && labels.size() > 1 ? labels.at(labels.size() - 2)
                                                                      : labels.last();
    for (const QChar c : last) {
        if (!c.isDigit())
            return true;
    }
    return false;
}

// localhost stays literal so local connections need no lookup at all.
Address parseTcp(const QString &rest, const QString &original)
{
    QString hostPart = rest;
    QString portPart;
    if (hostPart.startsWith(QLatin1Char('['))) {
        const int close = hostPart.indexOf(QLatin1Char(']'));
        if (close < 0)
            return invalid(QStringLiteral("invalid address \"%1\": missing ']' after an IPv6 host")
                               .arg(original));
        portPart = hostPart.mid(close + 1);
        hostPart = hostPart.mid(1, close - 1);
        if (!portPart.isEmpty() && !portPart.startsWith(QLatin1Char(':')))
            return invalid(
                QStringLiteral("invalid address \"%1\": expected ':' after ']'").arg(original));
        portPart = portPart.mid(1);
    } else {
        const int colon = hostPart.lastIndexOf(QLatin1Char(':'));
        if (colon >= 0) {
            portPart = hostPart.mid(colon + 1);
            hostPart = hostPart.left(colon);
        }
    }

    Address a;
    a.kind = Address::Tcp;
    if (hostPart.isEmpty()) {
        a.host = QHostAddress(QHostAddress::LocalHost);
    } else if (hostPart.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0) {
        a.host = QHostAddress(QHostAddress::LocalHost);
    } else if (!a.host.setAddress(hostPart)) {
        if (!isHostName(hostPart))
            return invalid(QStringLiteral(
                "invalid address \"%1\": \"%2\" is neither an IP address nor a host name")
                               .arg(original, hostPart));
        a.hostName = hostPart;
    }
    if (portPart.isEmpty()) {
        a.port = Address::DefaultTcpPort;
    } else {
        bool ok = false;
        const uint port = portPart.toUInt(&ok);
        if (!ok || port > 65535)
            return invalid(
                QStringLiteral("invalid address \"%1\": port must be 0-65535").arg(original));
        a.port = quint16(port);
    }
    return a;
}

Address parseLocal(const QString &name, const QString &original)
{
    if (name.isEmpty())
        return invalid(QStringLiteral("invalid address \"%1\": the name is empty").arg(original));
    Address a;
    a.kind = Address::Local;
#ifdef Q_OS_WIN
    if (name.contains(QLatin1Char('\\')) && !name.startsWith(QLatin1String("\\\\.\\pipe\\")))
        return invalid(QStringLiteral("invalid address \"%1\": a pipe name must not contain '\\'")
                           .arg(original));
    a.localPath = name;
#else
    if (name.startsWith(QLatin1Char('/'))) {
        a.localPath = name;
    } else if (name.contains(QLatin1Char('/'))) {
        return invalid(QStringLiteral(
            "invalid address \"%1\": a name must not contain '/' (use an absolute path)")
                           .arg(original));
    } else {
        a.localPath = QStringLiteral("/tmp/%1.sock").arg(name);
    }
    // sockaddr_un holds 108 bytes including the terminating zero.
    if (a.localPath.toLocal8Bit().size() > 107)
        return invalid(QStringLiteral("invalid address \"%1\": socket path longer than 107 bytes")
                           .arg(original));
#endif
    if (name.contains(QChar(0)))
        return invalid(QStringLiteral("invalid address: the name contains a NUL character"));
    return a;
}

} // namespace

Address Address::parse(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return invalid(QStringLiteral("invalid address: the address is empty"));
    if (trimmed.startsWith(QLatin1String("tcp://"), Qt::CaseInsensitive))
        return parseTcp(trimmed.mid(6), text);
    if (trimmed.startsWith(QLatin1String("local:"), Qt::CaseInsensitive))
        return parseLocal(trimmed.mid(6), text);
    if (trimmed.contains(QLatin1String("://")))
        return invalid(
            QStringLiteral("invalid address \"%1\": unknown scheme (use a name, a path or tcp://)")
                .arg(text));
    return parseLocal(trimmed, text);
}

QString Address::toString() const
{
    switch (kind) {
    case Local:
        return localPath;
    case Tcp:
        if (!hostName.isEmpty())
            return QStringLiteral("tcp://%1:%2").arg(hostName).arg(port);
        if (host.protocol() == QAbstractSocket::IPv6Protocol)
            return QStringLiteral("tcp://[%1]:%2").arg(host.toString()).arg(port);
        return QStringLiteral("tcp://%1:%2").arg(host.toString()).arg(port);
    case Invalid:
        break;
    }
    return QString();
}

} // namespace ipc
