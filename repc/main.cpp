// ipc-repc: reads a .rep file (the interface of remote objects) and writes
// NAME_source.h and NAME_replica.h. CMake runs it through
// ipc_generate_remote_objects(); see docs/guides/remote-objects.md.
#include "rep_file.h"
#include "rep_writer.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QTextStream>

namespace {

int fail(const QString &what)
{
    QTextStream(stderr) << "ipc-repc: " << what << Qt::endl;
    return 1;
}

// Rewrites the file only when its content changes, so nothing that
// includes it is rebuilt for nothing.
bool writeIfChanged(const QString &path, const QString &text)
{
    const QByteArray bytes = text.toUtf8();
    QFile existing(path);
    if (existing.open(QIODevice::ReadOnly) && existing.readAll() == bytes)
        return true;
    QSaveFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size() && file.commit();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationVersion(QStringLiteral(IPC_REPC_VERSION));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Writes NAME_source.h and NAME_replica.h from the remote-object interface NAME.rep."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("file"), QStringLiteral("the .rep file"));
    const QCommandLineOption outputDir({ QStringLiteral("o"), QStringLiteral("output-dir") },
        QStringLiteral("where the headers go (default: the current directory)"),
        QStringLiteral("dir"), QStringLiteral("."));
    parser.addOption(outputDir);
    parser.process(app);
    if (parser.positionalArguments().size() != 1)
        return fail(QStringLiteral("give exactly one .rep file (see --help)"));
    const QString path = parser.positionalArguments().first();
    QFile input(path);
    if (!input.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("cannot read %1: %2").arg(path, input.errorString()));
    repc::RepFile file;
    QString error;
    if (!repc::parse(QString::fromUtf8(input.readAll()), path, &file, &error))
        return fail(error);
    const QString stem = QFileInfo(path).completeBaseName();
    const QDir dir(parser.value(outputDir));
    if (!dir.mkpath(QStringLiteral(".")))
        return fail(QStringLiteral("cannot make %1").arg(dir.path()));
    const QString name = QFileInfo(path).fileName();
    if (!writeIfChanged(
            dir.filePath(stem + QStringLiteral("_source.h")), repc::writeSource(file, name))
        || !writeIfChanged(
            dir.filePath(stem + QStringLiteral("_replica.h")), repc::writeReplica(file, name)))
        return fail(QStringLiteral("cannot write the headers in %1").arg(dir.path()));
    return 0;
}
