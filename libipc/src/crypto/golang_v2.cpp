#include "crypto/golang_v2.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>

namespace ipc::crypto::golang_v2 {

namespace {

const unsigned char *bytes(const char *p)
{
    return reinterpret_cast<const unsigned char *>(p);
}

unsigned char *bytes(char *p)
{
    return reinterpret_cast<unsigned char *>(p);
}

} // namespace

KeyExchange::KeyExchange()
    : m_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"))
{
    if (!m_key)
        m_error = QStringLiteral("could not generate a P-384 key pair");
}

KeyExchange::~KeyExchange()
{
    EVP_PKEY_free(m_key); // OpenSSL clears the private key on free
}

QByteArray KeyExchange::publicKey() const
{
    QByteArray point(PublicKeySize, Qt::Uninitialized);
    size_t length = 0;
    if (!m_key
        || EVP_PKEY_get_octet_string_param(m_key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, bytes(point.data()),
                                           size_t(point.size()), &length) != 1
        || length != size_t(PublicKeySize))
        return QByteArray();
    return point;
}

QByteArray KeyExchange::agree(const QByteArray &peerPublicKey)
{
    if (peerPublicKey.size() != PublicKeySize || peerPublicKey.at(0) != 0x04) {
        m_error = QStringLiteral("the peer's public key is not a %1-byte uncompressed P-384 point (%2 bytes)")
                      .arg(PublicKeySize).arg(peerPublicKey.size());
        return QByteArray();
    }
    // Importing the point checks that it lies on the curve.
    char group[] = "P-384";
    OSSL_PARAM params[3] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
                                          const_cast<char *>(peerPublicKey.constData()),
                                          size_t(peerPublicKey.size())),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY_CTX *importer = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    EVP_PKEY *peer = nullptr;
    const bool imported = importer && EVP_PKEY_fromdata_init(importer) == 1
        && EVP_PKEY_fromdata(importer, &peer, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX_free(importer);
    // P-384 has cofactor 1: a point on the curve is in the right group, so
    // the quick check (no scalar multiplication by the order) is enough, and
    // the derivation below is told not to check again.
    EVP_PKEY_CTX *check = imported ? EVP_PKEY_CTX_new(peer, nullptr) : nullptr;
    const bool onCurve = check && EVP_PKEY_public_check_quick(check) == 1;
    EVP_PKEY_CTX_free(check);
    if (!onCurve) {
        EVP_PKEY_free(peer);
        ERR_clear_error(); // a hostile key must leave nothing on this thread's OpenSSL error queue
        m_error = QStringLiteral("the peer's public key is not a point on P-384");
        return QByteArray();
    }
    unsigned char shared[48];
    size_t length = sizeof(shared);
    EVP_PKEY_CTX *derive = EVP_PKEY_CTX_new(m_key, nullptr);
    const bool derived = derive && EVP_PKEY_derive_init(derive) == 1 && EVP_PKEY_derive_set_peer_ex(derive, peer, 0) == 1
        && EVP_PKEY_derive(derive, shared, &length) == 1 && length == sizeof(shared);
    EVP_PKEY_CTX_free(derive);
    EVP_PKEY_free(peer);
    if (!derived) {
        ERR_clear_error();
        OPENSSL_cleanse(shared, sizeof(shared));
        m_error = QStringLiteral("the P-384 key agreement failed");
        return QByteArray();
    }
    const QByteArray key = keyFromSharedX(QByteArray::fromRawData(reinterpret_cast<char *>(shared), int(length)));
    // The caller wipes the key once the cipher has it.
    OPENSSL_cleanse(shared, sizeof(shared));
    return key;
}

// Go hashes big.Int.Bytes() of X: the big-endian value without leading zero
// bytes, so about one handshake in 256 hashes 47 bytes or fewer.
QByteArray KeyExchange::keyFromSharedX(const QByteArray &sharedX)
{
    qsizetype start = 0;
    while (start < sharedX.size() && sharedX.at(start) == 0)
        ++start;
    QByteArray key(32, Qt::Uninitialized);
    unsigned int length = 0;
    if (EVP_Digest(sharedX.constData() + start, size_t(sharedX.size() - start), bytes(key.data()), &length,
                   EVP_sha256(), nullptr) != 1
        || length != 32)
        return QByteArray();
    return key;
}

RecordCipher::RecordCipher() = default;

RecordCipher::~RecordCipher()
{
    OPENSSL_cleanse(m_nonces, sizeof(m_nonces));
    EVP_CIPHER_CTX_free(m_seal);
    EVP_CIPHER_CTX_free(m_open);
}

// The contexts keep the key schedule; no other copy of the key is kept.
bool RecordCipher::setKey(const QByteArray &key)
{
    if (key.size() != 32 || m_seal)
        return false;
    const unsigned char *raw = bytes(key.constData());
    m_seal = EVP_CIPHER_CTX_new();
    m_open = EVP_CIPHER_CTX_new();
    m_hasKey = m_seal && m_open && EVP_EncryptInit_ex(m_seal, EVP_aes_256_gcm(), nullptr, raw, nullptr) == 1
        && EVP_DecryptInit_ex(m_open, EVP_aes_256_gcm(), nullptr, raw, nullptr) == 1;
    return m_hasKey;
}

// Random nonces, drawn from OpenSSL's generator a batch at a time.
bool RecordCipher::nextNonce(unsigned char *nonce)
{
    if (m_noncesUsed == NoncesPerBatch) {
        if (RAND_bytes(m_nonces, sizeof(m_nonces)) != 1)
            return false;
        m_noncesUsed = 0;
    }
    std::memcpy(nonce, m_nonces + NonceSize * m_noncesUsed++, NonceSize);
    return true;
}

bool RecordCipher::seal(const char *head, qsizetype headSize, const char *data, qsizetype size, char *out)
{
    unsigned char *nonce = bytes(out);
    unsigned char *cipher = nonce + NonceSize;
    int n = 0;
    int done = 0;
    if (!m_hasKey || !nextNonce(nonce) || EVP_EncryptInit_ex(m_seal, nullptr, nullptr, nullptr, nonce) != 1
        || EVP_EncryptUpdate(m_seal, cipher, &n, bytes(head), int(headSize)) != 1)
        return false;
    done += n;
    if (size > 0 && EVP_EncryptUpdate(m_seal, cipher + done, &n, bytes(data), int(size)) != 1)
        return false;
    done += size > 0 ? n : 0;
    if (EVP_EncryptFinal_ex(m_seal, cipher + done, &n) != 1)
        return false;
    done += n;
    return EVP_CIPHER_CTX_ctrl(m_seal, EVP_CTRL_GCM_GET_TAG, TagSize, cipher + done) == 1;
}

bool RecordCipher::open(const char *record, qsizetype size, char *head, qsizetype headSize, char *out)
{
    if (!m_hasKey || size < RecordOverhead + headSize)
        return false;
    const qsizetype restSize = size - RecordOverhead - headSize;
    const unsigned char *cipher = bytes(record) + NonceSize;
    unsigned char tag[TagSize];
    std::memcpy(tag, record + size - TagSize, TagSize);
    int n = 0;
    unsigned char none[16];
    const bool opened = EVP_DecryptInit_ex(m_open, nullptr, nullptr, nullptr, bytes(record)) == 1
        && (headSize == 0 || EVP_DecryptUpdate(m_open, bytes(head), &n, cipher, int(headSize)) == 1)
        && (restSize == 0 || EVP_DecryptUpdate(m_open, bytes(out), &n, cipher + headSize, int(restSize)) == 1)
        && EVP_CIPHER_CTX_ctrl(m_open, EVP_CTRL_GCM_SET_TAG, TagSize, tag) == 1
        && EVP_DecryptFinal_ex(m_open, none, &n) == 1;
    if (!opened)
        ERR_clear_error(); // a forged record must leave nothing on the error queue
    return opened;
}

} // namespace ipc::crypto::golang_v2
