#include "noise.h"

#include <QCoreApplication>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <climits>
#include <cstring>

namespace ipc::crypto {

namespace {

constexpr quint64 ReservedNonce = ~quint64(0); // 2^64-1 is never used (Noise 5.1)
constexpr int IvSize = 12;
constexpr int MaxMessageSize = 65535;

const unsigned char *bytes(const char *p)
{
    return reinterpret_cast<const unsigned char *>(p);
}

// Wraps a fixed buffer without copying, so no unwiped heap copy of a key is made.
QByteArray view(const unsigned char *p, int len)
{
    return QByteArray::fromRawData(reinterpret_cast<const char *>(p), len);
}

// AES-GCM nonce: 32 zero bits followed by the 64-bit counter, big-endian.
// Reads or sets the GCM tag through the provider's parameters directly: the
// EVP_CIPHER_CTX_ctrl() path translates each call into the same parameters
// first, which costs as much as sealing a small record.
bool tagParam(EVP_CIPHER_CTX *ctx, unsigned char *tag, bool get)
{
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, TagSize),
        OSSL_PARAM_construct_end(),
    };
    return (get ? EVP_CIPHER_CTX_get_params(ctx, params) : EVP_CIPHER_CTX_set_params(ctx, params)) == 1;
}

void makeIv(quint64 n, unsigned char *iv);

// The nonce lives in the cipher context as GCM's invocation counter: set
// once here, the context then builds each record's IV itself and counts up
// (the last 8 bytes, big-endian, exactly Noise's nonce layout). Setting the
// IV through EVP_EncryptInit_ex() per record costs a round of provider
// parameter look-ups every time.
bool startIvCounter(EVP_CIPHER_CTX *ctx, quint64 nonce)
{
    unsigned char iv[IvSize];
    makeIv(nonce, iv);
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IV_FIXED, -1, iv) == 1;
}

bool nextIv(EVP_CIPHER_CTX *ctx)
{
    unsigned char iv[IvSize];
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN, iv, IvSize),
        OSSL_PARAM_construct_end(),
    };
    return EVP_CIPHER_CTX_get_params(ctx, params) == 1;
}

void makeIv(quint64 n, unsigned char *iv)
{
    std::memset(iv, 0, 4);
    for (int i = 0; i < 8; ++i)
        iv[IvSize - 1 - i] = static_cast<unsigned char>(n >> (8 * i));
}

// OpenSSL 3 looks an algorithm up in its provider tables on every implicit
// use (EVP_sha256(), HMAC(), ...), which costs more than hashing a few
// bytes. Fetched once, each use goes straight to the implementation.
const EVP_MD *sha256()
{
    static EVP_MD *const fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched ? fetched : EVP_sha256();
}

const EVP_CIPHER *aes256Gcm()
{
    static EVP_CIPHER *const fetched = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    return fetched ? fetched : EVP_aes_256_gcm();
}

// SHA-256 of up to two pieces, in a context the caller reuses.
bool digest(EVP_MD_CTX *md, const unsigned char *a, size_t aLen, const unsigned char *b, size_t bLen,
            unsigned char *out)
{
    return EVP_DigestInit_ex2(md, sha256(), nullptr) == 1 && EVP_DigestUpdate(md, a, aLen) == 1
        && (bLen == 0 || EVP_DigestUpdate(md, b, bLen) == 1) && EVP_DigestFinal_ex(md, out, nullptr) == 1;
}

// HMAC-SHA-256 (RFC 2104) with a 32-byte key, on the fetched digest.
bool hmacSha256(EVP_MD_CTX *md, const unsigned char *key, const unsigned char *data, size_t len,
                unsigned char *out)
{
    constexpr size_t BlockSize = 64;
    unsigned char pad[BlockSize];
    unsigned char inner[HashSize];
    std::memset(pad, 0x36, BlockSize);
    for (int i = 0; i < HashSize; ++i)
        pad[i] ^= key[i];
    bool ok = digest(md, pad, BlockSize, data, len, inner);
    for (size_t i = 0; i < BlockSize; ++i)
        pad[i] ^= 0x36 ^ 0x5c;
    ok = ok && digest(md, pad, BlockSize, inner, HashSize, out);
    OPENSSL_cleanse(pad, sizeof pad);
    OPENSSL_cleanse(inner, sizeof inner);
    return ok;
}

// Noise HKDF with two or three outputs. out1 may alias ck: ck is only read
// for the first HMAC, before out1 is written.
bool hkdf(const unsigned char *ck, const unsigned char *ikm, size_t ikmLen, unsigned char *out1,
    unsigned char *out2, unsigned char *out3 = nullptr)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char tk[HashSize];
    unsigned char buf[HashSize + 1] = { 0x01 };
    bool ok = md && hmacSha256(md, ck, ikm, ikmLen, tk) && hmacSha256(md, tk, buf, 1, out1);
    std::memcpy(buf, out1, HashSize);
    buf[HashSize] = 0x02;
    ok = ok && hmacSha256(md, tk, buf, sizeof buf, out2);
    if (out3) {
        std::memcpy(buf, out2, HashSize);
        buf[HashSize] = 0x03;
        ok = ok && hmacSha256(md, tk, buf, sizeof buf, out3);
    }
    EVP_MD_CTX_free(md);
    OPENSSL_cleanse(tk, sizeof tk);
    OPENSSL_cleanse(buf, sizeof buf);
    return ok;
}

void release(unsigned char *key, EVP_CIPHER_CTX *&encrypt, EVP_CIPHER_CTX *&decrypt)
{
    OPENSSL_cleanse(key, KeySize);
    EVP_CIPHER_CTX_free(encrypt); // also wipes the expanded key
    EVP_CIPHER_CTX_free(decrypt);
    encrypt = decrypt = nullptr;
}

} // namespace

CipherState::CipherState() = default;

CipherState::~CipherState()
{
    release(m_key, m_encrypt, m_decrypt);
}

CipherState::CipherState(CipherState &&other) noexcept
{
    *this = std::move(other);
}

CipherState &CipherState::operator=(CipherState &&other) noexcept
{
    if (this != &other) {
        release(m_key, m_encrypt, m_decrypt);
        std::memcpy(m_key, other.m_key, KeySize);
        OPENSSL_cleanse(other.m_key, KeySize);
        m_hasKey = std::exchange(other.m_hasKey, false);
        m_nonce = std::exchange(other.m_nonce, 0);
        m_encrypt = std::exchange(other.m_encrypt, nullptr);
        m_decrypt = std::exchange(other.m_decrypt, nullptr);
    }
    return *this;
}

void CipherState::initializeKey(const QByteArray &key)
{
    OPENSSL_cleanse(m_key, KeySize);
    m_hasKey = false;
    m_nonce = 0;
    // Contexts exist from the first attempt on, so a rejected key leaves a state
    // that refuses to work instead of one that passes plaintext through.
    if (!m_encrypt)
        m_encrypt = EVP_CIPHER_CTX_new();
    if (!m_decrypt)
        m_decrypt = EVP_CIPHER_CTX_new();
    if (key.size() != KeySize || !m_encrypt || !m_decrypt)
        return;
    std::memcpy(m_key, key.constData(), KeySize);
    m_hasKey = EVP_EncryptInit_ex(m_encrypt, aes256Gcm(), nullptr, m_key, nullptr) == 1
        && EVP_DecryptInit_ex(m_decrypt, aes256Gcm(), nullptr, m_key, nullptr) == 1
        && startIvCounter(m_encrypt, 0) && startIvCounter(m_decrypt, 0);
}

bool CipherState::hasKey() const
{
    return m_hasKey;
}

quint64 CipherState::nonce() const
{
    return m_nonce;
}

void CipherState::setNonce(quint64 n)
{
    m_nonce = n;
    if (m_hasKey)
        m_hasKey = startIvCounter(m_encrypt, n) && startIvCounter(m_decrypt, n);
}

bool CipherState::encryptWithAd(const QByteArray &ad, const char *in, qsizetype len, char *out)
{
    return encryptWithAd(ad, nullptr, 0, in, len, out);
}

bool CipherState::encryptWithAd(const QByteArray &ad, const char *head, qsizetype headLen,
                                const char *in, qsizetype len, char *out)
{
    const qsizetype total = headLen + len;
    if (!m_hasKey || m_nonce == ReservedNonce || headLen < 0 || len < 0
        || total > INT_MAX - TagSize || ad.size() > INT_MAX)
        return false;
    auto *o = reinterpret_cast<unsigned char *>(out);
    int n = 0;
    // Empty associated data (every transport record) needs no update call.
    const bool ok = nextIv(m_encrypt)
        && (ad.isEmpty()
            || EVP_EncryptUpdate(m_encrypt, nullptr, &n, bytes(ad.constData()), int(ad.size())) == 1)
        && (headLen == 0 || EVP_EncryptUpdate(m_encrypt, o, &n, bytes(head), int(headLen)) == 1)
        && EVP_EncryptUpdate(m_encrypt, o + headLen, &n, bytes(in), int(len)) == 1
        && EVP_EncryptFinal_ex(m_encrypt, o + total, &n) == 1
        && tagParam(m_encrypt, o + total, /*get=*/true);
    if (ok)
        ++m_nonce;
    else
        startIvCounter(m_encrypt, m_nonce); // the context's counter may have moved on
    return ok;
}

bool CipherState::encryptInPieces(const char *in, qsizetype len, qsizetype piece,
                                  const std::function<bool(const char *, qsizetype)> &sink)
{
    if (!m_hasKey || m_nonce == ReservedNonce || len < 0 || len > INT_MAX - TagSize || piece <= 0)
        return false;
    if (!nextIv(m_encrypt)) {
        startIvCounter(m_encrypt, m_nonce);
        return false;
    }
    ++m_nonce; // spent from here on, whatever the sink does
    std::unique_ptr<unsigned char[]> buffer(new unsigned char[size_t(piece)]);
    int n = 0;
    for (qsizetype done = 0; done < len;) {
        const int step = int(qMin(piece, len - done));
        if (EVP_EncryptUpdate(m_encrypt, buffer.get(), &n, bytes(in + done), step) != 1
            || !sink(reinterpret_cast<const char *>(buffer.get()), n))
            return false;
        done += step;
    }
    unsigned char tag[TagSize];
    return EVP_EncryptFinal_ex(m_encrypt, buffer.get(), &n) == 1 && tagParam(m_encrypt, tag, /*get=*/true)
        && sink(reinterpret_cast<const char *>(tag), TagSize);
}

bool CipherState::decryptWithAd(const QByteArray &ad, const char *in, qsizetype len, char *out)
{
    return decryptWithAd(ad, in, len, nullptr, 0, out);
}

bool CipherState::decryptWithAd(const QByteArray &ad, const char *in, qsizetype len, char *head,
                                qsizetype headLen, char *out)
{
    if (!m_hasKey || m_nonce == ReservedNonce || len < TagSize + headLen || len > INT_MAX
        || ad.size() > INT_MAX || headLen < 0)
        return false;
    const int plainLen = int(len - TagSize);
    const int restLen = plainLen - int(headLen);
    unsigned char tag[TagSize]; // copied first: in may equal out
    std::memcpy(tag, in + plainLen, TagSize);
    auto *h = reinterpret_cast<unsigned char *>(head);
    auto *o = reinterpret_cast<unsigned char *>(out);
    int n = 0;
    const bool ok = nextIv(m_decrypt)
        && (ad.isEmpty()
            || EVP_DecryptUpdate(m_decrypt, nullptr, &n, bytes(ad.constData()), int(ad.size())) == 1)
        && (headLen == 0 || EVP_DecryptUpdate(m_decrypt, h, &n, bytes(in), int(headLen)) == 1)
        && EVP_DecryptUpdate(m_decrypt, o, &n, bytes(in + headLen), restLen) == 1
        && tagParam(m_decrypt, tag, /*get=*/false)
        && EVP_DecryptFinal_ex(m_decrypt, o + restLen, &n) == 1;
    if (!ok) {
        // The context's counter moved on; ours did not: bring it back.
        startIvCounter(m_decrypt, m_nonce);
        // Never hand out unauthenticated plaintext.
        if (headLen > 0)
            OPENSSL_cleanse(head, size_t(headLen));
        OPENSSL_cleanse(out, size_t(restLen));
        return false;
    }
    ++m_nonce;
    return true;
}

bool CipherState::encryptWithAd(const QByteArray &ad, const QByteArray &plain, QByteArray *out)
{
    if (!m_encrypt) { // never keyed: early handshake payloads travel in clear
        *out = plain;
        return true;
    }
    QByteArray sealed(plain.size() + TagSize, Qt::Uninitialized);
    if (!encryptWithAd(ad, plain.constData(), plain.size(), sealed.data()))
        return false;
    *out = std::move(sealed);
    return true;
}

bool CipherState::decryptWithAd(const QByteArray &ad, const QByteArray &cipher, QByteArray *out)
{
    if (!m_encrypt) {
        *out = cipher;
        return true;
    }
    if (cipher.size() < TagSize)
        return false;
    QByteArray plain(cipher.size() - TagSize, Qt::Uninitialized);
    if (!decryptWithAd(ad, cipher.constData(), cipher.size(), plain.data()))
        return false;
    *out = std::move(plain);
    return true;
}

// ------------------------------------------------------------ EphemeralKey

// The agreement's context is made with the key, ahead of the handshake:
// at agreement time only the peer's key is new.
EphemeralKey::EphemeralKey(EVP_PKEY *key)
    : m_key(key)
    , m_agreement(EVP_PKEY_CTX_new(key, nullptr))
{
    if (m_agreement && EVP_PKEY_derive_init(m_agreement) != 1) {
        EVP_PKEY_CTX_free(m_agreement);
        m_agreement = nullptr;
    }
}

EphemeralKey::~EphemeralKey()
{
    EVP_PKEY_CTX_free(m_agreement);
    EVP_PKEY_free(m_key);
}

std::unique_ptr<EphemeralKey> EphemeralKey::fromPrivateKey(const QByteArray &privateKey)
{
    if (privateKey.size() != KeySize)
        return nullptr;
    EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, bytes(privateKey.constData()), KeySize);
    if (!key)
        return nullptr;
    std::unique_ptr<EphemeralKey> pair(new EphemeralKey(key));
    size_t len = KeySize;
    if (EVP_PKEY_get_raw_public_key(key, pair->m_public, &len) != 1 || len != KeySize)
        return nullptr;
    return pair;
}

std::unique_ptr<EphemeralKey> EphemeralKey::generate()
{
    unsigned char secret[KeySize];
    if (RAND_bytes(secret, KeySize) != 1)
        return nullptr;
    std::unique_ptr<EphemeralKey> pair = fromPrivateKey(view(secret, KeySize));
    OPENSSL_cleanse(secret, sizeof secret);
    return pair;
}

namespace {

// The spare, and the process that made it: a child forked without exec
// holds a copy, which neither side may then use (a key is used once).
struct Spare
{
    std::unique_ptr<EphemeralKey> key;
    qint64 pid = 0;

    bool isOurs() const { return key && pid == QCoreApplication::applicationPid(); }
};
thread_local Spare spare;

} // namespace

void EphemeralKey::makeSpare()
{
    if (!spare.isOurs()) {
        spare.key = generate();
        spare.pid = QCoreApplication::applicationPid();
    }
}

bool EphemeralKey::hasSpare()
{
    return spare.isOurs();
}

std::unique_ptr<EphemeralKey> EphemeralKey::takeSpare()
{
    if (!spare.isOurs())
        return generate();
    return std::move(spare.key);
}

bool EphemeralKey::agree(const unsigned char *peerPublic, unsigned char *shared) const
{
    if (!m_agreement)
        return false;
    EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peerPublic, KeySize);
    size_t len = KeySize;
    // OpenSSL refuses low-order points (an all-zero result).
    const bool ok = peer && EVP_PKEY_derive_set_peer(m_agreement, peer) == 1
        && EVP_PKEY_derive(m_agreement, shared, &len) == 1 && len == KeySize;
    EVP_PKEY_free(peer);
    return ok;
}

// ---------------------------------------------------------- HandshakeState

struct HandshakeState::Private
{
    Role role = Initiator;
    bool withPsk = false;
    int step = 0; // next handshake message; 2 means finished
    bool didSplit = false;
    QString error; // sticky: a failed handshake cannot be resumed
    unsigned char h[HashSize] = {};
    unsigned char ck[HashSize] = {};
    unsigned char psk[KeySize] = {};
    unsigned char re[KeySize] = {};
    std::unique_ptr<EphemeralKey> e;
    CipherState cs;
    bool eAhead = false;  // this message's leading e token is done
    bool eeAhead = false; // and so is its agreement (a message read ahead)

    ~Private()
    {
        OPENSSL_cleanse(ck, sizeof ck);
        OPENSSL_cleanse(psk, sizeof psk);
    }

    bool fail(const QString &why)
    {
        if (error.isEmpty())
            error = why;
        return false;
    }

    bool internalError() { return fail(QStringLiteral("internal cryptographic failure")); }

    bool mixHash(const void *data, size_t len)
    {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        const bool ok = md && digest(md, h, HashSize, static_cast<const unsigned char *>(data), len, h);
        EVP_MD_CTX_free(md);
        return ok || internalError();
    }

    // MixKey, or MixKeyAndHash with andHash (a third HKDF output goes into h).
    bool mixKey(const unsigned char *ikm, size_t len, bool andHash = false)
    {
        unsigned char th[HashSize];
        unsigned char k[KeySize];
        const bool ok = andHash ? hkdf(ck, ikm, len, ck, th, k) && mixHash(th, HashSize)
                                : hkdf(ck, ikm, len, ck, k);
        if (ok)
            cs.initializeKey(view(k, KeySize));
        OPENSSL_cleanse(th, sizeof th);
        OPENSSL_cleanse(k, sizeof k);
        return (ok && cs.hasKey()) || internalError();
    }

    // Token "e" (write): with a psk the public key also feeds the cipher key.
    bool writeE(QByteArray *message)
    {
        if (!e && !(e = EphemeralKey::generate()))
            return fail(QStringLiteral("no ephemeral key: the random number generator or X25519 failed"));
        const unsigned char *pub = e->publicKey();
        message->append(reinterpret_cast<const char *>(pub), KeySize);
        return mixHash(pub, KeySize) && (!withPsk || mixKey(pub, KeySize));
    }

    bool readE(const char *data)
    {
        std::memcpy(re, data, KeySize);
        return mixHash(re, KeySize) && (!withPsk || mixKey(re, KeySize));
    }

    // Token "ee"; the ephemeral private key has no further use afterwards.
    bool ee()
    {
        unsigned char shared[KeySize];
        bool ok = e && e->agree(re, shared);
        e.reset();
        if (!ok) {
            OPENSSL_cleanse(shared, sizeof shared);
            return fail(QStringLiteral("key agreement failed: invalid ephemeral public key"));
        }
        ok = mixKey(shared, KeySize);
        OPENSSL_cleanse(shared, sizeof shared);
        return ok;
    }

    // The leading tokens of the current message: "psk, e" or "e".
    bool leadingE(QByteArray *out, const char *in)
    {
        if (step == 0 && withPsk) {
            const bool ok = mixKey(psk, KeySize, true);
            OPENSSL_cleanse(psk, sizeof psk); // psk0 is used once
            if (!ok)
                return false;
        }
        return out ? writeE(out) : readE(in);
    }

    // Tokens of the current message: "psk, e" or "e" first, then "e, ee";
    // what was done ahead is not done again.
    bool tokens(QByteArray *out, const char *in)
    {
        const bool eDone = std::exchange(eAhead, false);
        const bool eeDone = std::exchange(eeAhead, false);
        if (!(eDone || leadingE(out, in)) || !(step == 0 || eeDone || ee()))
            return false;
        // From "ee" on every payload is sealed: never let one through unchecked.
        return step == 0 || cs.hasKey() || internalError();
    }

    bool canProceed(bool writing)
    {
        if (!error.isEmpty())
            return false;
        if (step >= 2)
            return fail(QStringLiteral("handshake already finished"));
        if (((step == 0) == (role == Initiator)) != writing)
            return fail(writing
                    ? QStringLiteral("out of turn: expected to read a handshake message")
                    : QStringLiteral("out of turn: expected to write a handshake message"));
        return true;
    }
};

HandshakeState::HandshakeState(Role role, const QByteArray &prologue, const QByteArray &psk)
    : d(std::make_unique<Private>())
{
    d->role = role;
    d->withPsk = !psk.isEmpty();
    if (psk.size() == KeySize)
        std::memcpy(d->psk, psk.constData(), KeySize);
    else if (d->withPsk)
        d->fail(QStringLiteral("pre-shared key must be 32 bytes (got %1)").arg(psk.size()));

    const QByteArray name = protocolName();
    if (name.size() <= HashSize)
        std::memcpy(d->h, name.constData(), size_t(name.size()));
    else if (EVP_Digest(name.constData(), size_t(name.size()), d->h, nullptr, sha256(), nullptr)
        != 1)
        d->internalError();
    std::memcpy(d->ck, d->h, HashSize);
    d->mixHash(prologue.constData(), size_t(prologue.size()));
}

HandshakeState::~HandshakeState() = default;

QByteArray HandshakeState::protocolNameFor(bool withPsk)
{
    return withPsk ? QByteArrayLiteral("Noise_NNpsk0_25519_AESGCM_SHA256")
                   : QByteArrayLiteral("Noise_NN_25519_AESGCM_SHA256");
}

QByteArray HandshakeState::protocolName() const
{
    return protocolNameFor(d->withPsk);
}

bool HandshakeState::usesPsk() const
{
    return d->withPsk;
}

HandshakeState::Role HandshakeState::role() const
{
    return d->role;
}

void HandshakeState::setFixedEphemeral(const QByteArray &privateKey)
{
    if (privateKey.size() != KeySize) {
        d->fail(
            QStringLiteral("fixed ephemeral key must be 32 bytes (got %1)").arg(privateKey.size()));
        return;
    }
    d->e = EphemeralKey::fromPrivateKey(privateKey);
    if (!d->e)
        d->internalError();
}

void HandshakeState::setEphemeral(std::unique_ptr<EphemeralKey> key)
{
    d->e = std::move(key);
}

bool HandshakeState::isMyTurn() const
{
    return d->error.isEmpty() && d->step < 2 && (d->step == 0) == (d->role == Initiator);
}

// Message 0 is "psk, e" (NNpsk0) or "e" (NN); message 1 is "e, ee".
bool HandshakeState::writeMessage(const QByteArray &payload, QByteArray *message)
{
    if (!d->canProceed(true))
        return false;
    if (payload.size() > MaxMessageSize - KeySize - TagSize)
        return d->fail(
            QStringLiteral("handshake payload too large (%1 bytes)").arg(payload.size()));
    QByteArray out;
    QByteArray sealed;
    const bool ok = d->tokens(&out, nullptr)
        && (d->cs.encryptWithAd(view(d->h, HashSize), payload, &sealed)
            || d->fail(QStringLiteral("handshake encryption failed")))
        && d->mixHash(sealed.constData(), size_t(sealed.size()));
    if (!ok)
        return false;
    *message = out + sealed;
    ++d->step;
    return true;
}

bool HandshakeState::readMessage(const QByteArray &message, QByteArray *payload)
{
    if (!d->canProceed(false))
        return false;
    // After readEphemeralAhead() the message's leading key is not in `message`.
    const qsizetype keyBytes = d->eAhead ? 0 : KeySize;
    const qsizetype need = keyBytes + (d->withPsk || d->step == 1 ? TagSize : 0);
    if (message.size() < need)
        return d->fail(QStringLiteral("handshake message too short (got %1 bytes, need %2)")
                           .arg(message.size())
                           .arg(need));
    if (message.size() > MaxMessageSize)
        return d->fail(QStringLiteral("handshake message too long (got %1 bytes, limit %2)")
                           .arg(message.size())
                           .arg(MaxMessageSize));
    const QByteArray rest = message.mid(keyBytes);
    QByteArray plain;
    const bool ok = d->tokens(nullptr, message.constData())
        && (d->cs.decryptWithAd(view(d->h, HashSize), rest, &plain)
            || d->fail(QStringLiteral("handshake decryption failed: wrong pre-shared key or "
                                      "prologue, or the message was altered")))
        && d->mixHash(rest.constData(), size_t(rest.size()));
    if (!ok)
        return false;
    if (payload)
        *payload = plain;
    ++d->step;
    return true;
}

bool HandshakeState::writeEphemeralAhead(QByteArray *publicKey)
{
    if (!d->canProceed(true))
        return false;
    if (d->eAhead)
        return d->fail(QStringLiteral("the message's key was already written ahead"));
    publicKey->clear();
    if (!d->leadingE(publicKey, nullptr))
        return false;
    d->eAhead = true;
    return true;
}

bool HandshakeState::readEphemeralAhead(const char *publicKey)
{
    if (!d->canProceed(false))
        return false;
    if (d->eAhead)
        return d->fail(QStringLiteral("the message's key was already read ahead"));
    if (!d->leadingE(nullptr, publicKey))
        return false;
    d->eAhead = true;
    d->eeAhead = d->step == 1 && d->ee();
    return d->step == 0 || d->eeAhead;
}

bool HandshakeState::isEphemeralAhead() const
{
    return d->eAhead;
}

bool HandshakeState::isFinished() const
{
    return d->step >= 2;
}

QByteArray HandshakeState::handshakeHash() const
{
    return isFinished() ? QByteArray(reinterpret_cast<const char *>(d->h), HashSize) : QByteArray();
}

std::pair<CipherState, CipherState> HandshakeState::split()
{
    unsigned char k[2][KeySize];
    const unsigned char empty = 0;
    bool ok = isFinished() && !d->didSplit;
    if (!ok)
        d->fail(isFinished() ? QStringLiteral("split() may only be called once")
                             : QStringLiteral("split() called before the handshake finished"));
    else
        ok = hkdf(d->ck, &empty, 0, k[0], k[1]) || d->internalError();
    // The initiator sends with the first key, the responder with the second. A
    // failed split yields states with a rejected key: they refuse to work
    // instead of passing data through like never-keyed states.
    const int first = d->role == Initiator ? 0 : 1;
    std::pair<CipherState, CipherState> result;
    result.first.initializeKey(ok ? view(k[first], KeySize) : QByteArray());
    result.second.initializeKey(ok ? view(k[1 - first], KeySize) : QByteArray());
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(d->ck, sizeof d->ck);
    d->didSplit = true;
    return result;
}

QString HandshakeState::errorString() const
{
    return d->error;
}

} // namespace ipc::crypto
