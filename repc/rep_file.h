// A .rep file: the interface of remote objects, written once and compiled
// by both sides (the syntax is a subset of Qt Remote Objects' repc):
//
//     #include "thermostat_types.h"
//     class Thermostat
//     {
//         PROP(double temperature READONLY);
//         PROP(double target = 21);
//         SIGNAL(alarm(const QString &text, int level));
//         SLOT(QString describe(int detail));
//     };
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace repc {

struct Param
{
    QString type; // as written: "const QString &"
    QString name;
};

struct Prop
{
    QString type;
    QString name;
    QString defaultValue; // C++ initialiser, may be empty
    bool writable = true;
};

struct Function
{
    QString returnType; // "void" for signals
    QString name;
    QList<Param> params;
};

struct Class
{
    QString name;
    QList<Prop> props;
    QList<Function> signalList;
    QList<Function> slotList;
};

struct RepFile
{
    QStringList includes; // "#include ..." lines, copied into both headers
    QList<Class> classes;
};

// Parses `text` (from `path`, for error messages); false with *error
// ("path:line: what is wrong") on anything it does not understand.
bool parse(const QString &text, const QString &path, RepFile *out, QString *error);

// Qt's normalised form of a type, as moc writes it in signatures.
QString normalisedType(const QString &type);

} // namespace repc
