// A remote object through the installed package: the source derives from
// the generated GreeterSource, a typed GreeterReplica calls it. Exits 0
// when the call and the property both came across.
#include "greeter_replica.h"
#include "greeter_source.h"

#include <ipc/client.h>
#include <ipc/server.h>

#include <QCoreApplication>

using namespace std::chrono_literals;

class Greeter : public GreeterSource
{
public:
    QString greet(const QString &name) override { return greeting() + QStringLiteral(", ") + name; }
};

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QString name
        = QStringLiteral("libipc_consumer_objects_%1").arg(QCoreApplication::applicationPid());
    ipc::Server server(name);
    Greeter greeter;
    if (!server.exposeObject(&greeter, QStringLiteral("greeter")) || !server.listen())
        return 1;
    ipc::Client client(name);
    std::unique_ptr<GreeterReplica> replica(
        client.acquire<GreeterReplica>(QStringLiteral("greeter")));
    if (!replica->waitForValid(10s) || replica->greeting() != QStringLiteral("hello"))
        return 2;
    QFuture<QString> answer = replica->greet(QStringLiteral("consumer"));
    while (!answer.isFinished())
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    return answer.result() == QStringLiteral("hello, consumer") ? 0 : 3;
}
