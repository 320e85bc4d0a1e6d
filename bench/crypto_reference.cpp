#include "crypto_reference.h"

#include <QElapsedTimer>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <vector>

double aesGcmRecordsPerSecond(int recordSize, double seconds)
{
    unsigned char key[32];
    unsigned char iv[12] = {};
    RAND_bytes(key, sizeof key);
    std::vector<unsigned char> buffer(size_t(recordSize) + 16);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key, nullptr);
    QElapsedTimer clock;
    clock.start();
    quint64 records = 0;
    int length = 0;
    while (clock.nsecsElapsed() < qint64(seconds * 1e9)) {
        for (int i = 0; i < 64; ++i, ++records) {
            iv[11] = static_cast<unsigned char>(records); // one context, a fresh nonce per record
            EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, iv);
            EVP_EncryptUpdate(ctx, buffer.data(), &length, buffer.data(), recordSize);
            EVP_EncryptFinal_ex(ctx, buffer.data() + length, &length);
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, buffer.data() + recordSize);
        }
    }
    const double rate = records / (double(clock.nsecsElapsed()) / 1e9);
    EVP_CIPHER_CTX_free(ctx);
    return rate;
}

double x25519OperationsPerSecond(double seconds)
{
    EVP_PKEY *mine = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
    EVP_PKEY *theirs = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
    QElapsedTimer clock;
    clock.start();
    quint64 operations = 0;
    unsigned char secret[32];
    while (clock.nsecsElapsed() < qint64(seconds * 1e9)) {
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(mine, nullptr);
        size_t length = sizeof secret;
        EVP_PKEY_derive_init(ctx);
        EVP_PKEY_derive_set_peer(ctx, theirs);
        EVP_PKEY_derive(ctx, secret, &length);
        EVP_PKEY_CTX_free(ctx);
        ++operations;
    }
    EVP_PKEY_free(mine);
    EVP_PKEY_free(theirs);
    return operations / (double(clock.nsecsElapsed()) / 1e9);
}
