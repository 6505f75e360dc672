#ifndef HELLOSCOPE_CCRYPTO_SHIM_H
#define HELLOSCOPE_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/crypto.h>
#endif
