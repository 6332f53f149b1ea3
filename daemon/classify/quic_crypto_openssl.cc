// QUIC Initial primitives from OpenSSL 3: HMAC-SHA256, AES-128-ECB and
// AES-128-GCM.

#include "classify/quic_crypto.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace dnsleak::classify::quic_crypto {
namespace {

// OpenSSL 3 looks an algorithm up by name on every use of EVP_aes_*() or
// HMAC(): locks and string compares per packet, and a context allocated and
// freed each time. Here the algorithms are fetched once per thread and the
// contexts reused; only keys change from packet to packet.
class Crypto {
 public:
  Crypto()
      : hmac_(EVP_MAC_fetch(nullptr, "HMAC", nullptr)),
        mac_(hmac_ ? EVP_MAC_CTX_new(hmac_) : nullptr),
        gcm_(EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr)),
        ecb_(EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr)),
        gcm_ctx_(EVP_CIPHER_CTX_new()),
        ecb_ctx_(EVP_CIPHER_CTX_new()) {}
  ~Crypto() {
    EVP_CIPHER_CTX_free(ecb_ctx_);
    EVP_CIPHER_CTX_free(gcm_ctx_);
    EVP_CIPHER_free(ecb_);
    EVP_CIPHER_free(gcm_);
    EVP_MAC_CTX_free(mac_);
    EVP_MAC_free(hmac_);
  }
  Crypto(const Crypto&) = delete;
  Crypto& operator=(const Crypto&) = delete;

  static Crypto& forThisThread() {
    thread_local Crypto crypto;
    return crypto;
  }

  bool hmacSha256(const std::uint8_t* key, std::size_t key_length, const std::uint8_t* data, std::size_t length,
                  std::uint8_t out[32]) {
    if (!mac_) return false;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
    // The digest is set once; later inits keep it.
    if (EVP_MAC_init(mac_, key, key_length, digest_set_ ? nullptr : params) != 1) return false;
    digest_set_ = true;
    std::size_t out_length = 0;
    return EVP_MAC_update(mac_, data, length) == 1 && EVP_MAC_final(mac_, out, &out_length, 32) == 1 &&
           out_length == 32;
  }
  EVP_CIPHER_CTX* ecb(const std::uint8_t* key) {
    if (!ecb_ || !ecb_ctx_ || EVP_EncryptInit_ex2(ecb_ctx_, ecb_, key, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(ecb_ctx_, 0) != 1) {
      return nullptr;
    }
    return ecb_ctx_;
  }
  EVP_CIPHER_CTX* gcmDecrypt(const std::uint8_t* key, const std::uint8_t* nonce) {
    if (!gcm_ || !gcm_ctx_ || EVP_DecryptInit_ex2(gcm_ctx_, gcm_, key, nonce, nullptr) != 1) return nullptr;
    return gcm_ctx_;
  }

 private:
  EVP_MAC* hmac_;
  EVP_MAC_CTX* mac_;
  EVP_CIPHER* gcm_;
  EVP_CIPHER* ecb_;
  EVP_CIPHER_CTX* gcm_ctx_;
  EVP_CIPHER_CTX* ecb_ctx_;
  bool digest_set_ = false;
};

}  // namespace

bool available() { return true; }

bool hmacSha256(const std::uint8_t* key, std::size_t key_length, const std::uint8_t* data, std::size_t length,
                std::uint8_t out[32]) {
  return Crypto::forThisThread().hmacSha256(key, key_length, data, length, out);
}

bool aes128Block(const std::uint8_t key[16], const std::uint8_t in[16], std::uint8_t out[16]) {
  EVP_CIPHER_CTX* ctx = Crypto::forThisThread().ecb(key);
  std::uint8_t block[32];
  int n = 0;
  if (!ctx || EVP_EncryptUpdate(ctx, block, &n, in, 16) != 1 || n != 16) return false;
  for (int i = 0; i < 16; ++i) out[i] = block[i];
  return true;
}

bool aes128GcmOpen(const std::uint8_t key[16], const std::uint8_t nonce[12], std::span<const std::uint8_t> aad,
                   std::span<const std::uint8_t> cipher, const std::uint8_t tag[16], std::uint8_t* plain) {
  // GCM's default nonce length is QUIC's 12 bytes.
  EVP_CIPHER_CTX* ctx = Crypto::forThisThread().gcmDecrypt(key, nonce);
  int n = 0, final_n = 0;
  std::uint8_t spare[16];
  return ctx && EVP_DecryptUpdate(ctx, nullptr, &n, aad.data(), static_cast<int>(aad.size())) == 1 &&
         EVP_DecryptUpdate(ctx, plain, &n, cipher.data(), static_cast<int>(cipher.size())) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, const_cast<std::uint8_t*>(tag)) == 1 &&
         EVP_DecryptFinal_ex(ctx, spare, &final_n) == 1 && static_cast<std::size_t>(n) == cipher.size() &&
         final_n == 0;
}

}  // namespace dnsleak::classify::quic_crypto
