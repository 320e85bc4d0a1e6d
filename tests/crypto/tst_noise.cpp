#include "crypto/noise.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <openssl/rand.h>

#include <cstring>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

using namespace ipc::crypto;

namespace {

struct Vector
{
    QByteArray name, initPrologue, respPrologue, initPsk, respPsk, initE, respE, hash;
    QList<QByteArray> payloads, ciphertexts;
};

QByteArray hexField(const QJsonObject &o, const char *key)
{
    return QByteArray::fromHex(o.value(QLatin1String(key)).toString().toLatin1());
}

QByteArray firstPsk(const QJsonObject &o, const char *key)
{
    const QJsonArray psks = o.value(QLatin1String(key)).toArray();
    return psks.isEmpty() ? QByteArray() : QByteArray::fromHex(psks.first().toString().toLatin1());
}

struct Channel
{
    CipherState initSend, initRecv, respSend, respRecv;
    QByteArray initHash, respHash;
};

// A complete handshake with fresh ephemerals; returns the first error, if any.
QString connectPair(const QByteArray &psk, Channel *c)
{
    HandshakeState init(HandshakeState::Initiator, "prologue", psk);
    HandshakeState resp(HandshakeState::Responder, "prologue", psk);
    QByteArray m0, m1, p0, p1;
    if (!init.writeMessage("hello", &m0))
        return init.errorString();
    if (!resp.readMessage(m0, &p0) || p0 != "hello")
        return QStringLiteral("responder: ") + resp.errorString();
    if (!resp.writeMessage("world", &m1))
        return resp.errorString();
    if (!init.readMessage(m1, &p1) || p1 != "world")
        return QStringLiteral("initiator: ") + init.errorString();
    c->initHash = init.handshakeHash();
    c->respHash = resp.handshakeHash();
    std::tie(c->initSend, c->initRecv) = init.split();
    std::tie(c->respSend, c->respRecv) = resp.split();
    return {};
}

QByteArray seal(CipherState &cs, const QByteArray &plain)
{
    QByteArray out;
    return cs.encryptWithAd({}, plain, &out) ? out : QByteArray();
}

bool open(CipherState &cs, const QByteArray &record, QByteArray *plain)
{
    return cs.decryptWithAd({}, record, plain);
}

QByteArray randomPsk()
{
    QByteArray psk(KeySize, Qt::Uninitialized);
    RAND_bytes(reinterpret_cast<unsigned char *>(psk.data()), KeySize);
    return psk;
}

} // namespace

class TestNoise : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void vectors_data();
    void vectors();
    void freshHandshake_data();
    void freshHandshake();
    void keysMadeAhead();
    void ephemeralAhead_data();
    void ephemeralAhead();
    void ephemeralAheadMisuse();
    void spareKeys();
    void tamperedRecord();
    void replayedRecord();
    void reflectedRecord();
    void wrongPsk_data();
    void wrongPsk();
    void mismatchedPattern();
    void prologueMismatch_data();
    void prologueMismatch();
    void truncatedHandshakeMessage_data();
    void truncatedHandshakeMessage();
    void lowOrderEphemeral();
    void badPskLength();
    void turnOrder();
    void nonceExhaustion();
    void cipherStateWithoutKey();
    void cipherStateMove();

private:
    QList<Vector> m_vectors;
};

void TestNoise::initTestCase()
{
    QFile file(QStringLiteral(IPC_TEST_DATA_DIR "/noise_nn_aesgcm_sha256.json"));
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
    QVERIFY2(!doc.isNull(), qPrintable(error.errorString()));
    const QJsonArray entries = doc.object().value(QLatin1String("vectors")).toArray();
    for (const QJsonValue &value : entries) {
        const QJsonObject o = value.toObject();
        Vector v;
        v.name = o.value(QLatin1String("protocol_name")).toString().toLatin1();
        v.initPrologue = hexField(o, "init_prologue");
        v.respPrologue = hexField(o, "resp_prologue");
        v.initPsk = firstPsk(o, "init_psks");
        v.respPsk = firstPsk(o, "resp_psks");
        v.initE = hexField(o, "init_ephemeral");
        v.respE = hexField(o, "resp_ephemeral");
        v.hash = hexField(o, "handshake_hash");
        const QJsonArray messages = o.value(QLatin1String("messages")).toArray();
        for (const QJsonValue &m : messages) {
            v.payloads.append(hexField(m.toObject(), "payload"));
            v.ciphertexts.append(hexField(m.toObject(), "ciphertext"));
        }
        QCOMPARE(v.payloads.size(), 6);
        m_vectors.append(v);
    }
    QCOMPARE(m_vectors.size(), 2);
}

// Per row, the side under test reads the peer's messages straight from the
// file; the other side reads what the side under test actually produced.
void TestNoise::vectors_data()
{
    QTest::addColumn<int>("index");
    QTest::addColumn<int>("tested");
    for (int i = 0; i < m_vectors.size(); ++i) {
        QTest::addRow("%s/initiator", m_vectors[i].name.constData())
            << i << int(HandshakeState::Initiator);
        QTest::addRow("%s/responder", m_vectors[i].name.constData())
            << i << int(HandshakeState::Responder);
    }
}

void TestNoise::vectors()
{
    QFETCH(int, index);
    QFETCH(int, tested);
    const Vector &v = m_vectors.at(index);
    HandshakeState init(HandshakeState::Initiator, v.initPrologue, v.initPsk);
    HandshakeState resp(HandshakeState::Responder, v.respPrologue, v.respPsk);
    QCOMPARE(init.protocolName(), v.name);
    QCOMPARE(resp.protocolName(), v.name);
    QCOMPARE(init.usesPsk(), !v.initPsk.isEmpty());
    init.setFixedEphemeral(v.initE);
    resp.setFixedEphemeral(v.respE);

    for (int i = 0; i < 2; ++i) {
        HandshakeState &writer = i == 0 ? init : resp;
        HandshakeState &reader = i == 0 ? resp : init;
        QVERIFY(writer.isMyTurn());
        QVERIFY(!reader.isMyTurn());
        QByteArray message;
        QVERIFY2(writer.writeMessage(v.payloads[i], &message), qPrintable(writer.errorString()));
        QCOMPARE(message.toHex(), v.ciphertexts[i].toHex());
        const QByteArray &incoming = reader.role() == tested ? v.ciphertexts[i] : message;
        QByteArray payload;
        QVERIFY2(reader.readMessage(incoming, &payload), qPrintable(reader.errorString()));
        QCOMPARE(payload, v.payloads[i]);
    }
    QVERIFY(init.isFinished());
    QVERIFY(resp.isFinished());
    QCOMPARE(init.handshakeHash().toHex(), v.hash.toHex());
    QCOMPARE(resp.handshakeHash().toHex(), v.hash.toHex());

    auto [initSend, initRecv] = init.split();
    auto [respSend, respRecv] = resp.split();
    for (int i = 2; i < v.payloads.size(); ++i) {
        const bool fromInitiator = i % 2 == 0;
        CipherState &send = fromInitiator ? initSend : respSend;
        CipherState &recv = fromInitiator ? respRecv : initRecv;
        const QByteArray &plain = v.payloads[i];
        QByteArray record(plain.size() + TagSize, Qt::Uninitialized);
        QVERIFY(send.encryptWithAd({}, plain.constData(), plain.size(), record.data()));
        QCOMPARE(record.toHex(), v.ciphertexts[i].toHex());
        const int receiver = fromInitiator ? HandshakeState::Responder : HandshakeState::Initiator;
        const QByteArray &incoming = receiver == tested ? v.ciphertexts[i] : record;
        QByteArray opened(incoming.size() - TagSize, Qt::Uninitialized);
        QVERIFY(recv.decryptWithAd({}, incoming.constData(), incoming.size(), opened.data()));
        QCOMPARE(opened, plain);
    }
    QCOMPARE(initSend.nonce(), quint64(2));
    QCOMPARE(respRecv.nonce(), quint64(2));
    QCOMPARE(respSend.nonce(), quint64(2));
    QCOMPARE(initRecv.nonce(), quint64(2));
}

// The vectors again, each message's leading key written and read ahead of
// the rest: the same bytes, the same payloads and the same handshake hash.
void TestNoise::ephemeralAhead_data()
{
    QTest::addColumn<int>("index");
    for (int i = 0; i < m_vectors.size(); ++i)
        QTest::addRow("%s", m_vectors[i].name.constData()) << i;
}

void TestNoise::ephemeralAhead()
{
    QFETCH(int, index);
    const Vector &v = m_vectors.at(index);
    HandshakeState init(HandshakeState::Initiator, v.initPrologue, v.initPsk);
    HandshakeState resp(HandshakeState::Responder, v.respPrologue, v.respPsk);
    init.setFixedEphemeral(v.initE);
    resp.setFixedEphemeral(v.respE);
    for (int i = 0; i < 2; ++i) {
        HandshakeState &writer = i == 0 ? init : resp;
        HandshakeState &reader = i == 0 ? resp : init;
        QByteArray key, rest, payload;
        QVERIFY2(writer.writeEphemeralAhead(&key), qPrintable(writer.errorString()));
        QCOMPARE(key.size(), KeySize);
        QVERIFY(writer.isEphemeralAhead());
        QVERIFY2(writer.writeMessage(v.payloads[i], &rest), qPrintable(writer.errorString()));
        QVERIFY(!writer.isEphemeralAhead());
        QCOMPARE((key + rest).toHex(), v.ciphertexts[i].toHex());
        QVERIFY2(reader.readEphemeralAhead(v.ciphertexts[i].constData()), qPrintable(reader.errorString()));
        QVERIFY2(reader.readMessage(v.ciphertexts[i].mid(KeySize), &payload), qPrintable(reader.errorString()));
        QCOMPARE(payload, v.payloads[i]);
    }
    QCOMPARE(init.handshakeHash().toHex(), v.hash.toHex());
    QCOMPARE(resp.handshakeHash().toHex(), v.hash.toHex());
}

// Ahead of its turn, twice, with a low-order key, or with the rest altered:
// each fails and says why.
void TestNoise::ephemeralAheadMisuse()
{
    HandshakeState init(HandshakeState::Initiator, "prologue");
    HandshakeState resp(HandshakeState::Responder, "prologue");
    QByteArray key, m0, m1, payload;
    HandshakeState outOfTurn(HandshakeState::Responder, "prologue");
    QVERIFY(!outOfTurn.writeEphemeralAhead(&key));
    QCOMPARE(outOfTurn.errorString(), QStringLiteral("out of turn: expected to read a handshake message"));

    HandshakeState twice(HandshakeState::Initiator, "prologue");
    QVERIFY(twice.writeEphemeralAhead(&key));
    QVERIFY(!twice.writeEphemeralAhead(&key));
    QCOMPARE(twice.errorString(), QStringLiteral("the message's key was already written ahead"));

    HandshakeState lowOrder(HandshakeState::Initiator, "prologue");
    QVERIFY(lowOrder.writeMessage({}, &m0));
    const QByteArray zero(KeySize, '\0');
    QVERIFY(!lowOrder.readEphemeralAhead(zero.constData()));
    QVERIFY2(lowOrder.errorString().startsWith(QLatin1String("key agreement failed")), qPrintable(lowOrder.errorString()));
    QVERIFY(!lowOrder.readMessage(QByteArray(TagSize, 't'), &payload)); // the failure sticks

    // A good key ahead, then a tag that does not belong to it.
    QVERIFY(init.writeMessage({}, &m0));
    QVERIFY(resp.readMessage(m0, &payload));
    QVERIFY(resp.writeMessage({}, &m1));
    QVERIFY(init.readEphemeralAhead(m1.constData()));
    QVERIFY(!init.readEphemeralAhead(m1.constData()));
    QCOMPARE(init.errorString(), QStringLiteral("the message's key was already read ahead"));
    HandshakeState again(HandshakeState::Initiator, "prologue");
    HandshakeState peer(HandshakeState::Responder, "prologue");
    QVERIFY(again.writeMessage({}, &m0));
    QVERIFY(peer.readMessage(m0, &payload));
    QVERIFY(peer.writeMessage({}, &m1));
    QVERIFY(again.readEphemeralAhead(m1.constData()));
    QByteArray rest = m1.mid(KeySize);
    rest[0] = char(rest.at(0) ^ 1);
    QVERIFY(!again.readMessage(rest, &payload));
    QVERIFY2(again.errorString().startsWith(QLatin1String("handshake decryption failed")), qPrintable(again.errorString()));
}

// A spare key is used once, and belongs to the thread that made it.
void TestNoise::spareKeys()
{
    EphemeralKey::takeSpare(); // whatever an earlier test left
    QVERIFY(!EphemeralKey::hasSpare());
    EphemeralKey::makeSpare();
    QVERIFY(EphemeralKey::hasSpare());
    bool otherThreadHasOne = true;
    std::thread([&] { otherThreadHasOne = EphemeralKey::hasSpare(); }).join();
    QVERIFY(!otherThreadHasOne);
    std::unique_ptr<EphemeralKey> first = EphemeralKey::takeSpare();
    QVERIFY(first);
    QVERIFY(!EphemeralKey::hasSpare());
    QVERIFY(EphemeralKey::takeSpare()); // made on the spot
    QVERIFY(!EphemeralKey::hasSpare());

    // A child forked without exec may not use the parent's spare: both would.
    EphemeralKey::makeSpare();
    const pid_t child = ::fork();
    QVERIFY(child >= 0);
    if (child == 0)
        ::_exit(EphemeralKey::hasSpare() ? 1 : 0);
    int status = 0;
    QCOMPARE(::waitpid(child, &status, 0), child);
    QVERIFY(WIFEXITED(status));
    QCOMPARE(WEXITSTATUS(status), 0);
    QVERIFY(EphemeralKey::hasSpare()); // the parent's is still its own
}

void TestNoise::freshHandshake_data()
{
    QTest::addColumn<QByteArray>("psk");
    QTest::newRow("NN") << QByteArray();
    QTest::newRow("NNpsk0") << randomPsk();
}

void TestNoise::freshHandshake()
{
    QFETCH(QByteArray, psk);
    Channel c;
    const QString error = connectPair(psk, &c);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(c.initHash.size(), HashSize);
    QCOMPARE(c.initHash, c.respHash);
    for (int i = 0; i < 3; ++i) {
        const QByteArray up = "request " + QByteArray::number(i);
        const QByteArray down = "response " + QByteArray::number(i);
        QByteArray plain;
        QVERIFY(open(c.respRecv, seal(c.initSend, up), &plain));
        QCOMPARE(plain, up);
        QVERIFY(open(c.initRecv, seal(c.respSend, down), &plain));
        QCOMPARE(plain, down);
    }

    // Fresh ephemerals: two runs never share a first message or a hash.
    Channel other;
    QVERIFY(connectPair(psk, &other).isEmpty());
    QVERIFY(other.initHash != c.initHash);
}

// Keys made before the handshake: each message carries its sender's public
// key, both ends agree, and each key serves one handshake only.
void TestNoise::keysMadeAhead()
{
    std::unique_ptr<EphemeralKey> initKey = EphemeralKey::generate();
    std::unique_ptr<EphemeralKey> respKey = EphemeralKey::generate();
    QVERIFY(initKey && respKey);
    const QByteArray initPublic(reinterpret_cast<const char *>(initKey->publicKey()), KeySize);
    const QByteArray respPublic(reinterpret_cast<const char *>(respKey->publicKey()), KeySize);
    QVERIFY(initPublic != respPublic);

    HandshakeState init(HandshakeState::Initiator, "prologue");
    HandshakeState resp(HandshakeState::Responder, "prologue");
    init.setEphemeral(std::move(initKey));
    resp.setEphemeral(std::move(respKey));
    QByteArray m0, m1, payload;
    QVERIFY(init.writeMessage({}, &m0));
    QCOMPARE(m0.left(KeySize), initPublic);
    QVERIFY(resp.readMessage(m0, &payload));
    QVERIFY(resp.writeMessage({}, &m1));
    QCOMPARE(m1.left(KeySize), respPublic);
    QVERIFY(init.readMessage(m1, &payload));
    QVERIFY(init.isFinished() && resp.isFinished());
    QCOMPARE(init.handshakeHash(), resp.handshakeHash());
    auto [initSend, initRecv] = init.split();
    auto [respSend, respRecv] = resp.split();
    QByteArray plain;
    QVERIFY(open(respRecv, seal(initSend, "ahead"), &plain));
    QCOMPARE(plain, QByteArray("ahead"));

    // A low-order point is refused by the key itself.
    std::unique_ptr<EphemeralKey> key = EphemeralKey::generate();
    const unsigned char zero[KeySize] = {};
    unsigned char shared[KeySize];
    QVERIFY(!key->agree(zero, shared));
}

void TestNoise::tamperedRecord()
{
    Channel c;
    QVERIFY(connectPair({}, &c).isEmpty());
    const QByteArray record = seal(c.initSend, "transfer 100 to alice");
    for (qsizetype pos : { qsizetype(0), qsizetype(10), record.size() - 1 }) {
        QByteArray altered = record;
        altered[pos] = char(altered[pos] ^ 0x01);
        QByteArray plain;
        QVERIFY(!open(c.respRecv, altered, &plain));
        QCOMPARE(c.respRecv.nonce(), quint64(0));
    }
    QByteArray plain;
    QVERIFY(open(c.respRecv, record, &plain));
    QCOMPARE(plain, QByteArray("transfer 100 to alice"));
    QCOMPARE(c.respRecv.nonce(), quint64(1));

    QVERIFY(!open(c.respRecv, QByteArray(TagSize - 1, 'x'), &plain)); // shorter than a tag
    QCOMPARE(c.respRecv.nonce(), quint64(1));
}

void TestNoise::replayedRecord()
{
    Channel c;
    QVERIFY(connectPair({}, &c).isEmpty());
    const QByteArray record = seal(c.initSend, "once only");
    QByteArray plain;
    QVERIFY(open(c.respRecv, record, &plain));
    QVERIFY(!open(c.respRecv, record, &plain));
    QCOMPARE(c.respRecv.nonce(), quint64(1));
}

void TestNoise::reflectedRecord()
{
    Channel c;
    QVERIFY(connectPair(randomPsk(), &c).isEmpty());
    QByteArray plain;
    QVERIFY(!open(c.initRecv, seal(c.initSend, "echo"), &plain));
    QVERIFY(!open(c.respRecv, seal(c.respSend, "echo"), &plain));
}

void TestNoise::wrongPsk_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("with payload") << QByteArray("open sesame");
    QTest::newRow("empty payload") << QByteArray();
}

// NNpsk0 keys the cipher before message 0's payload, so even an empty payload
// carries a tag that the responder can check.
void TestNoise::wrongPsk()
{
    QFETCH(QByteArray, payload);
    HandshakeState init(HandshakeState::Initiator, "p", randomPsk());
    HandshakeState resp(HandshakeState::Responder, "p", randomPsk());
    QByteArray m0, plain;
    QVERIFY(init.writeMessage(payload, &m0));
    QCOMPARE(m0.size(), KeySize + payload.size() + TagSize);
    QVERIFY(!resp.readMessage(m0, &plain));
    QVERIFY(resp.errorString().contains(QLatin1String("decryption failed")));
    QVERIFY(plain.isEmpty());
    QVERIFY(!resp.isFinished());
}

void TestNoise::mismatchedPattern()
{
    HandshakeState init(HandshakeState::Initiator, "p");
    HandshakeState resp(HandshakeState::Responder, "p", randomPsk());
    QByteArray m0, plain;
    QVERIFY(init.writeMessage("a payload of some length", &m0));
    QVERIFY(!resp.readMessage(m0, &plain));
    QVERIFY(!resp.errorString().isEmpty());
}

void TestNoise::prologueMismatch_data()
{
    QTest::addColumn<QByteArray>("psk");
    QTest::addColumn<bool>("responderFails");
    QTest::newRow("NN") << QByteArray() << false; // message 0 is not encrypted in NN
    QTest::newRow("NNpsk0") << randomPsk() << true;
}

void TestNoise::prologueMismatch()
{
    QFETCH(QByteArray, psk);
    QFETCH(bool, responderFails);
    HandshakeState init(HandshakeState::Initiator, "ipc v1", psk);
    HandshakeState resp(HandshakeState::Responder, "ipc v2", psk);
    QByteArray m0, m1, plain;
    QVERIFY(init.writeMessage("hi", &m0));
    if (responderFails) {
        QVERIFY(!resp.readMessage(m0, &plain));
        QVERIFY(resp.errorString().contains(QLatin1String("decryption failed")));
        return;
    }
    QVERIFY(resp.readMessage(m0, &plain));
    QVERIFY(resp.writeMessage("hello", &m1));
    QVERIFY(!init.readMessage(m1, &plain));
    QVERIFY(init.errorString().contains(QLatin1String("decryption failed")));
    QVERIFY(!init.isFinished());
    QVERIFY(init.handshakeHash().isEmpty());
}

void TestNoise::truncatedHandshakeMessage_data()
{
    QTest::addColumn<QByteArray>("psk");
    QTest::addColumn<int>("message");
    QTest::addColumn<int>("length");
    QTest::addColumn<QString>("error");
    QTest::newRow("NN message 0") << QByteArray() << 0 << 20
                                  << "handshake message too short (got 20 bytes, need 32)";
    QTest::newRow("NN message 1") << QByteArray() << 1 << 40
                                  << "handshake message too short (got 40 bytes, need 48)";
    QTest::newRow("NNpsk0 message 0")
        << randomPsk() << 0 << 47 << "handshake message too short (got 47 bytes, need 48)";
    QTest::newRow("empty") << QByteArray() << 0 << 0
                           << "handshake message too short (got 0 bytes, need 32)";
}

void TestNoise::truncatedHandshakeMessage()
{
    QFETCH(QByteArray, psk);
    QFETCH(int, message);
    QFETCH(int, length);
    QFETCH(QString, error);
    HandshakeState init(HandshakeState::Initiator, {}, psk);
    HandshakeState resp(HandshakeState::Responder, {}, psk);
    QByteArray m0, m1, plain;
    QVERIFY(init.writeMessage({}, &m0));
    if (message == 0) {
        QVERIFY(!resp.readMessage(m0.left(length), &plain));
        QCOMPARE(resp.errorString(), error);
        QVERIFY(!resp.readMessage(m0, &plain)); // a failed handshake stays failed
        return;
    }
    QVERIFY(resp.readMessage(m0, &plain));
    QVERIFY(resp.writeMessage({}, &m1));
    QVERIFY(!init.readMessage(m1.left(length), &plain));
    QCOMPARE(init.errorString(), error);
}

// An all-zero public key makes X25519 output zero; OpenSSL refuses it.
void TestNoise::lowOrderEphemeral()
{
    HandshakeState init(HandshakeState::Initiator, {});
    QByteArray m0, plain;
    QVERIFY(init.writeMessage({}, &m0));
    QVERIFY(!init.readMessage(QByteArray(KeySize + TagSize, '\0'), &plain));
    QVERIFY(init.errorString().startsWith(QLatin1String("key agreement failed")));
}

void TestNoise::badPskLength()
{
    HandshakeState init(HandshakeState::Initiator, {}, QByteArray(16, 'k'));
    HandshakeState resp(HandshakeState::Responder, {}, QByteArray(33, 'k'));
    QByteArray message;
    QVERIFY(!init.writeMessage("x", &message));
    QCOMPARE(init.errorString(), QStringLiteral("pre-shared key must be 32 bytes (got 16)"));
    QVERIFY(!resp.readMessage(QByteArray(64, 'm'), &message));
    QCOMPARE(resp.errorString(), QStringLiteral("pre-shared key must be 32 bytes (got 33)"));
}

void TestNoise::turnOrder()
{
    HandshakeState init(HandshakeState::Initiator, {});
    HandshakeState resp(HandshakeState::Responder, {});
    QByteArray message;
    QVERIFY(!resp.writeMessage("x", &message));
    QVERIFY(resp.errorString().contains(QLatin1String("out of turn")));
    QVERIFY(!init.readMessage(QByteArray(48, 'm'), &message));
    QVERIFY(init.errorString().contains(QLatin1String("out of turn")));

    HandshakeState early(HandshakeState::Initiator, {});
    auto [send, recv] = early.split();
    QVERIFY(!send.hasKey());
    QVERIFY(!recv.hasKey());
    QVERIFY(seal(send, "must not leak").isEmpty()); // refused, not passed through
    QVERIFY(!early.errorString().isEmpty());
}

void TestNoise::nonceExhaustion()
{
    Channel c;
    QVERIFY(connectPair({}, &c).isEmpty());
    constexpr quint64 Max = 0xFFFFFFFFFFFFFFFFULL;
    QByteArray out(5 + TagSize, Qt::Uninitialized);

    c.initSend.setNonce(Max);
    QVERIFY(!c.initSend.encryptWithAd({}, "hello", 5, out.data()));
    QCOMPARE(c.initSend.nonce(), Max);

    c.initSend.setNonce(Max - 1);
    c.respRecv.setNonce(Max - 1);
    QVERIFY(c.initSend.encryptWithAd({}, "hello", 5, out.data()));
    QCOMPARE(c.initSend.nonce(), Max);
    QVERIFY(!c.initSend.encryptWithAd({}, "hello", 5, out.data()));
    QByteArray plain;
    QVERIFY(open(c.respRecv, out, &plain));
    QCOMPARE(plain, QByteArray("hello"));
    QCOMPARE(c.respRecv.nonce(), Max);
    QVERIFY(!open(c.respRecv, out, &plain));
}

void TestNoise::cipherStateWithoutKey()
{
    CipherState cs;
    QVERIFY(!cs.hasKey());
    char buf[TagSize + 1] = {};
    QVERIFY(!cs.encryptWithAd({}, "a", 1, buf));
    QByteArray out;
    QVERIFY(cs.encryptWithAd({}, QByteArray("clear"), &out)); // handshake pass-through
    QCOMPARE(out, QByteArray("clear"));

    cs.initializeKey(QByteArray(5, 'k')); // rejected key: refuses, no pass-through
    QVERIFY(!cs.hasKey());
    QVERIFY(!cs.encryptWithAd({}, QByteArray("clear"), &out));
}

void TestNoise::cipherStateMove()
{
    CipherState a;
    a.initializeKey(QByteArray(KeySize, 'k'));
    CipherState peer;
    peer.initializeKey(QByteArray(KeySize, 'k'));
    QVERIFY(!seal(a, "one").isEmpty());

    CipherState b(std::move(a));
    QVERIFY(!a.hasKey());
    QCOMPARE(a.nonce(), quint64(0));
    QCOMPARE(b.nonce(), quint64(1));
    char buf[TagSize + 1] = {};
    QVERIFY(!a.encryptWithAd({}, "x", 1, buf));

    CipherState c;
    c.initializeKey(QByteArray(KeySize, 'o'));
    c = std::move(b);
    QVERIFY(!b.hasKey());
    QByteArray plain;
    peer.setNonce(1);
    QVERIFY(open(peer, seal(c, "two"), &plain));
    QCOMPARE(plain, QByteArray("two"));
}

QTEST_MAIN(TestNoise)
#include "tst_noise.moc"
