// golang-ipc protocol version 2's cryptography, on OpenSSL 3 EVP: an
// ephemeral P-384 key exchange whose key is SHA-256 of the shared X
// coordinate with its leading zero bytes stripped, and AES-256-GCM records
// `nonce (12, random) || ciphertext || tag (16)` under that one key in both
// directions. Pure: no sockets, no event loop.
#pragma once

#include <QByteArray>
#include <QString>

#include <memory>

typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace ipc::crypto::golang_v2 {

constexpr int PublicKeySize = 97; // 0x04 || X (48) || Y (48)
constexpr int NonceSize = 12;
constexpr int TagSize = 16;
constexpr int RecordOverhead = NonceSize + TagSize;

// One side's ephemeral key pair.
class KeyExchange
{
public:
    KeyExchange(); // generates the key pair; check isValid()
    ~KeyExchange();
    KeyExchange(const KeyExchange &) = delete;
    KeyExchange &operator=(const KeyExchange &) = delete;

    bool isValid() const { return m_key != nullptr; }
    // The uncompressed SEC1 point, 97 bytes.
    QByteArray publicKey() const;
    // The 32-byte AES key agreed with the peer's public key, or empty with
    // errorString() saying why (wrong length, not a point on P-384).
    QByteArray agree(const QByteArray &peerPublicKey);
    QString errorString() const { return m_error; }

    // golang-ipc's key from a raw shared X coordinate (exposed for tests).
    static QByteArray keyFromSharedX(const QByteArray &sharedX);

private:
    EVP_PKEY *m_key = nullptr;
    QString m_error;
};

// Seals and opens records with one key. A context per direction.
class RecordCipher
{
public:
    RecordCipher();
    ~RecordCipher(); // wipes the key
    RecordCipher(const RecordCipher &) = delete;
    RecordCipher &operator=(const RecordCipher &) = delete;

    bool setKey(const QByteArray &key); // 32 bytes, once
    bool hasKey() const { return m_hasKey; }
    // Seals head || data into out (room for RecordOverhead + headSize + size).
    bool seal(const char *head, qsizetype headSize, const char *data, qsizetype size, char *out);
    // Opens a record of `size` bytes: the first headSize plaintext bytes to
    // head, the rest to out (so a message body lands in its own buffer;
    // either may be inside the record itself). False on a bad tag.
    bool open(const char *record, qsizetype size, char *head, qsizetype headSize, char *out);

private:
    bool nextNonce(unsigned char *nonce);

    static constexpr int NoncesPerBatch = 64;
    bool m_hasKey = false;
    unsigned char m_nonces[NonceSize * NoncesPerBatch] = {};
    int m_noncesUsed = NoncesPerBatch;
    EVP_CIPHER_CTX *m_seal = nullptr;
    EVP_CIPHER_CTX *m_open = nullptr;
};

} // namespace ipc::crypto::golang_v2
