#ifndef MADOGUCHI_CCRYPTO_SHIM_H
#define MADOGUCHI_CCRYPTO_SHIM_H
// libcrypto only: digests, HMAC, PBKDF2, CSPRNG and constant-time comparison. No shims are needed:
// none of the calls used is variadic or a macro.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#endif
