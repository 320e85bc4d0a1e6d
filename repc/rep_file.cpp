#include "rep_file.h"

#include <QMetaObject>
#include <QRegularExpression>

namespace repc {

namespace {

const QRegularExpression identifier(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));

// Splits at commas outside <>, () and {}.
QStringList splitTopLevel(const QString &text)
{
    QStringList parts;
    int depth = 0;
    QString current;
    for (const QChar c : text) {
        if (c == QLatin1Char('<') || c == QLatin1Char('(') || c == QLatin1Char('{'))
            ++depth;
        else if (c == QLatin1Char('>') || c == QLatin1Char(')') || c == QLatin1Char('}'))
            --depth;
        if (c == QLatin1Char(',') && depth == 0) {
            parts.append(current.trimmed());
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.trimmed().isEmpty())
        parts.append(current.trimmed());
    return parts;
}

// "const QString &text" -> type "const QString &", name "text".
bool splitDeclaration(const QString &text, QString *type, QString *name)
{
    static const QRegularExpression trailingName(
        QStringLiteral("^(.*[^A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)$"));
    const QRegularExpressionMatch match = trailingName.match(text.trimmed());
    if (!match.hasMatch() || match.captured(1).trimmed().isEmpty())
        return false;
    *type = match.captured(1).trimmed();
    *name = match.captured(2);
    return true;
}

// "QString describe(int detail)" or, for a signal, "alarm(const QString &text)".
bool parseFunction(const QString &text, bool withReturn, Function *out)
{
    const int open = text.indexOf(QLatin1Char('('));
    if (open < 0 || !text.trimmed().endsWith(QLatin1Char(')')))
        return false;
    const QString head = text.left(open).trimmed();
    if (withReturn) {
        if (!splitDeclaration(head, &out->returnType, &out->name))
            return false;
    } else {
        out->returnType = QStringLiteral("void");
        out->name = head;
        if (!identifier.match(head).hasMatch())
            return false;
    }
    const QString inner = text.trimmed().mid(open + 1).chopped(1);
    for (const QString &part : splitTopLevel(inner)) {
        Param param;
        if (!splitDeclaration(part, &param.type, &param.name))
            return false;
        out->params.append(param);
    }
    return true;
}

bool parseProp(const QString &text, Prop *out)
{
    QString body = text.trimmed();
    static const QRegularExpression modifier(QStringLiteral("\\s+(READONLY|READWRITE|CONSTANT)$"));
    const QRegularExpressionMatch flag = modifier.match(body);
    if (flag.hasMatch()) {
        out->writable = flag.captured(1) == QLatin1String("READWRITE");
        body.chop(flag.capturedLength(0));
    }
    const int equals = body.indexOf(QLatin1Char('='));
    if (equals >= 0) {
        out->defaultValue = body.mid(equals + 1).trimmed();
        body = body.left(equals).trimmed();
    }
    return splitDeclaration(body, &out->type, &out->name);
}

} // namespace

QString normalisedType(const QString &type)
{
    return QString::fromLatin1(QMetaObject::normalizedType(type.toLatin1().constData()));
}

bool parse(const QString &text, const QString &path, RepFile *out, QString *error)
{
    const QStringList lines = text.split(QLatin1Char('\n'));
    Class *current = nullptr;
    bool inBody = false;
    static const QRegularExpression member(
        QStringLiteral("^(PROP|SIGNAL|SLOT)\\s*\\((.*)\\)\\s*;?$"));
    static const QRegularExpression classLine(
        QStringLiteral("^class\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*(\\{)?$"));
    for (int number = 1; number <= lines.size(); ++number) {
        QString line = lines[number - 1];
        const int comment = line.indexOf(QLatin1String("//"));
        if (comment >= 0)
            line = line.left(comment);
        line = line.trimmed();
        if (line.isEmpty())
            continue;
        const auto fail = [&](const QString &what) {
            *error = QStringLiteral("%1:%2: %3").arg(path).arg(number).arg(what);
            return false;
        };
        if (!current) {
            if (line.startsWith(QLatin1String("#include"))) {
                out->includes.append(line);
                continue;
            }
            const QRegularExpressionMatch match = classLine.match(line);
            if (!match.hasMatch())
                return fail(QStringLiteral("expected \"#include\" or \"class Name\", got \"%1\"")
                                .arg(line));
            out->classes.append(Class { match.captured(1), {}, {}, {} });
            current = &out->classes.last();
            inBody = !match.captured(2).isEmpty();
            continue;
        }
        if (!inBody) {
            if (line != QLatin1String("{"))
                return fail(QStringLiteral("expected \"{\" after class %1").arg(current->name));
            inBody = true;
            continue;
        }
        if (line == QLatin1String("};") || line == QLatin1String("}")) {
            current = nullptr;
            inBody = false;
            continue;
        }
        const QRegularExpressionMatch match = member.match(line);
        if (!match.hasMatch())
            return fail(QStringLiteral("expected PROP(...), SIGNAL(...) or SLOT(...), got \"%1\"")
                            .arg(line));
        const QString kind = match.captured(1);
        const QString body = match.captured(2);
        if (kind == QLatin1String("PROP")) {
            Prop prop;
            if (!parseProp(body, &prop))
                return fail(
                    QStringLiteral("PROP(type name [= default] [READONLY]) expected, got \"%1\"")
                        .arg(body));
            current->props.append(prop);
        } else {
            Function function;
            if (!parseFunction(body, kind == QLatin1String("SLOT"), &function))
                return fail(QStringLiteral("%1(%2) expected, got \"%3\"")
                                .arg(kind,
                                    kind == QLatin1String("SLOT")
                                        ? QStringLiteral("returnType name(type name, ...)")
                                        : QStringLiteral("name(type name, ...)"),
                                    body));
            (kind == QLatin1String("SLOT") ? current->slotList : current->signalList)
                .append(function);
        }
    }
    if (current) {
        *error = QStringLiteral("%1: class %2 is not closed with \"};\"").arg(path, current->name);
        return false;
    }
    if (out->classes.isEmpty()) {
        *error = QStringLiteral("%1: no class").arg(path);
        return false;
    }
    return true;
}

} // namespace repc
