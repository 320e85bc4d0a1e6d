// Noise Protocol Framework (revision 34) for the patterns NN and NNpsk0 with
// 25519, AESGCM and SHA256, on OpenSSL 3 EVP. Pure: no sockets, no event loop.
#pragma once

#include <QByteArray>
#include <QString>

#include <functional>
#include <memory>
#include <utility>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;
typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_pkey_ctx_st EVP_PKEY_CTX;

namespace ipc::crypto {

constexpr int KeySize = 32;   // AES-256 key, X25519 key, SHA-256 output
constexpr int TagSize = 16;   // AES-GCM tag
constexpr int HashSize = 32;

// One direction of an AEAD channel: a key and a 64-bit counter nonce.
// The EVP context is created once when the key is set, not per record.
// Use one CipherState in one direction only (as Split() hands them out):
// the encrypting and decrypting contexts each keep their own counter.
class CipherState
{
public:
    CipherState();
    ~CipherState();   // wipes the key
    CipherState(CipherState &&other) noexcept;
    CipherState &operator=(CipherState &&other) noexcept;
    CipherState(const CipherState &) = delete;
    CipherState &operator=(const CipherState &) = delete;

    void initializeKey(const QByteArray &key);   // 32 bytes; nonce restarts at 0
    bool hasKey() const;
    quint64 nonce() const;
    void setNonce(quint64 n);

    // Seals len bytes from in to out (out has room for len + TagSize; in may
    // equal out). Fails without a key or when the nonce would reach 2^64-1.
    bool encryptWithAd(const QByteArray &ad, const char *in, qsizetype len, char *out);
    // Seals head || in as one record without first copying them together
    // (out has room for headLen + len + TagSize).
    bool encryptWithAd(const QByteArray &ad, const char *head, qsizetype headLen, const char *in,
                       qsizetype len, char *out);
    // Opens len bytes (ciphertext + tag) from in to out (room for len - TagSize).
    // Fails on a bad tag, a short input or an exhausted nonce; the nonce only
    // advances on success.
    bool decryptWithAd(const QByteArray &ad, const char *in, qsizetype len, char *out);
    // Opens a record into two places: the first headLen plaintext bytes to
    // head, the rest to out (so a message body lands in its own buffer).
    bool decryptWithAd(const QByteArray &ad, const char *in, qsizetype len, char *head,
                       qsizetype headLen, char *out);

    // Seals len bytes from in as one record (empty associated data) and
    // hands the ciphertext, then the tag, to sink in pieces of at most
    // `piece` bytes, so that a very large record needs no buffer of its
    // size. A sink that returns false ends it (false; the nonce is spent).
    bool encryptInPieces(const char *in, qsizetype len, qsizetype piece,
                         const std::function<bool(const char *, qsizetype)> &sink);

    // Convenience for handshake payloads: without a key they pass data through.
    bool encryptWithAd(const QByteArray &ad, const QByteArray &plain, QByteArray *out);
    bool decryptWithAd(const QByteArray &ad, const QByteArray &cipher, QByteArray *out);

private:
    unsigned char m_key[KeySize] = {};
    bool m_hasKey = false;
    quint64 m_nonce = 0;
    EVP_CIPHER_CTX *m_encrypt = nullptr;
    EVP_CIPHER_CTX *m_decrypt = nullptr;
};

// An X25519 key pair for one handshake. Making one costs about as much as
// a key agreement, so a side makes it ahead, while its peer is busy, and
// hands it to the HandshakeState that will use it once.
class EphemeralKey
{
public:
    static std::unique_ptr<EphemeralKey> generate(); // null if OpenSSL fails
    // A server makes the next connection's key once a handshake is done,
    // while its peer reads, so that a new connection does not wait for one.
    // One spare per thread, used once.
    static void makeSpare();                         // when there is none
    static std::unique_ptr<EphemeralKey> takeSpare(); // the spare, else a new one
    static bool hasSpare();
    // Test vectors only: the pair of a given private key (null unless 32 bytes).
    static std::unique_ptr<EphemeralKey> fromPrivateKey(const QByteArray &privateKey);
    ~EphemeralKey(); // OpenSSL clears the private key
    EphemeralKey(const EphemeralKey &) = delete;
    EphemeralKey &operator=(const EphemeralKey &) = delete;

    const unsigned char *publicKey() const { return m_public; }
    // The shared secret with a peer's public key; false for a low-order point.
    bool agree(const unsigned char *peerPublic, unsigned char *shared) const;

private:
    explicit EphemeralKey(EVP_PKEY *key);
    EVP_PKEY *m_key;
    EVP_PKEY_CTX *m_agreement; // derive_init() done: agree() sets the peer and derives
    unsigned char m_public[KeySize] = {};
};

class HandshakeState
{
public:
    enum Role { Initiator, Responder };

    // psk empty: Noise_NN_25519_AESGCM_SHA256; 32 bytes: Noise_NNpsk0_...
    HandshakeState(Role role, const QByteArray &prologue, const QByteArray &psk = {});
    ~HandshakeState();   // wipes ephemeral keys and the chaining key
    HandshakeState(const HandshakeState &) = delete;
    HandshakeState &operator=(const HandshakeState &) = delete;

    static QByteArray protocolNameFor(bool withPsk);
    QByteArray protocolName() const;
    bool usesPsk() const;
    Role role() const;

    // Test vectors only: use this X25519 private key instead of a fresh one.
    void setFixedEphemeral(const QByteArray &privateKey);
    // The key this side's "e" token sends, made ahead; without one the
    // handshake makes its own when it gets there.
    void setEphemeral(std::unique_ptr<EphemeralKey> key);

    // Whose turn it is: true when this side must call writeMessage next.
    bool isMyTurn() const;
    bool writeMessage(const QByteArray &payload, QByteArray *message);
    bool readMessage(const QByteArray &message, QByteArray *payload);
    bool isFinished() const;

    // Every message starts with the sender's ephemeral public key ("e"), which
    // needs no key agreement to write. Sent ahead of the rest, it lets the
    // peer start its agreement while this side does its own, so the two run
    // at once instead of one after the other. The bytes on the wire are the
    // same; only when they leave changes.
    //
    // Writes the next message's leading token(s) and returns its KeySize
    // bytes; writeMessage() then returns the rest of the message.
    bool writeEphemeralAhead(QByteArray *publicKey);
    // Reads the next message's leading KeySize bytes, and makes the key
    // agreement the message calls for ("ee") now; readMessage() then takes
    // the rest of the message.
    bool readEphemeralAhead(const char *publicKey);
    // Whether the next message's leading key was handled ahead.
    bool isEphemeralAhead() const;

    QByteArray handshakeHash() const;   // h, valid once finished
    // Once finished: (sending, receiving) CipherStates for this role.
    std::pair<CipherState, CipherState> split();

    QString errorString() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace ipc::crypto
