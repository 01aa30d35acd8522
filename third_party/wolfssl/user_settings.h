/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The wolfSSL build handshaked uses: what the engine and its tests call, and nothing more.
 * wolfSSL reads this file through WOLFSSL_USER_SETTINGS (set by third_party/wolfssl/BUILD) in
 * every C file and every assembly file, so it holds preprocessor lines only, but for the one
 * declaration the assembler does not see (the random source, under Hardening).
 * Each line says why it is here; a feature not named here is not in the library.
 */
#ifndef HANDSHAKED_WOLFSSL_USER_SETTINGS_H
#define HANDSHAKED_WOLFSSL_USER_SETTINGS_H

/* ---- Platform: Linux x86_64, threads, files ---------------------------------------------- */
#define WOLFSSL_X86_64_BUILD       /* selects the x86_64 code paths and assembly */
#define HAVE___UINT128_T 1         /* GCC has it; the 64-bit field arithmetic needs it */
#define HAVE_THREAD_LS             /* the error queue and RNG state are per worker thread */
#define WOLFSSL_IGNORE_FILE_WARN   /* sources that are #included by others are also listed */
#define HAVE_LIMITS_H              /* glibc has it: wolfSSL takes the integer limits from it */
#define HAVE_GMTIME_R              /* reentrant: workers check certificate dates concurrently */
#define SIZEOF_LONG_LONG 8         /* what configure would find: word64 is a long long */

/* ---- Protocol: TLS 1.3 only ---------------------------------------------------------------- */
#define WOLFSSL_TLS13              /* the kernel's consumers speak TLS 1.3 only */
#define WOLFSSL_NO_TLS12           /* ... so no TLS 1.2 state machine at all */
#define NO_OLD_TLS                 /* ... nor SSLv3, TLS 1.0, TLS 1.1 */
#define WOLFSSL_AEAD_ONLY          /* TLS 1.3 suites are AEAD; no CBC/MAC-then-encrypt code */
#define HAVE_TLS_EXTENSIONS        /* TLS 1.3 is built from extensions */
#define HAVE_SUPPORTED_CURVES      /* supported_groups and key_share */
#define HAVE_SNI                   /* the client sends the peer name; the server logs it */
#define WOLFSSL_ALWAYS_KEEP_SNI    /* ... without the server configuring a name of its own */
#define HAVE_HKDF                  /* the TLS 1.3 key schedule */
#define WC_RSA_PSS                 /* TLS 1.3 signs with RSA-PSS */
#define WOLFSSL_PSK_MULTI_ID_PER_CS /* several PSK identities per cipher suite in one hello */
#define HAVE_SECRET_CALLBACK       /* traffic secrets for tests that decrypt records */
#define ATOMIC_USER                /* key export for kTLS: wolfSSL_GetClientWriteKey() and kin */

/* ---- Cipher suites: the four kTLS can take over ------------------------------------------ */
#define HAVE_AESGCM                /* TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 */
#define HAVE_AESCCM                /* TLS_AES_128_CCM_SHA256 */
#define HAVE_CHACHA                /* TLS_CHACHA20_POLY1305_SHA256 */
#define HAVE_POLY1305
#define HAVE_ONE_TIME_AUTH         /* Poly1305's one-time authenticator API */
#define WOLFSSL_SHA384             /* the AES-256-GCM suite's hash and P-384 signatures */
#define WOLFSSL_SHA512             /* SHA-384 is built on it; P-521 and RSA certificates use it */
#define GCM_TABLE_4BIT             /* GHASH tables when AES-NI/PCLMUL is absent at run time */

/* ---- Key exchange: X25519, P-256, P-384, P-521 and the ML-KEM hybrids --------------------- */
#define HAVE_CURVE25519            /* X25519, the groups most peers offer first */
#define HAVE_ECC                   /* P-256/P-384/P-521 ECDHE and ECDSA certificates */
#define ECC_USER_CURVES            /* exactly the curves below */
#define HAVE_ECC384
#define HAVE_ECC521
#define ECC_SHAMIR                 /* faster ECDSA verify */
#define WOLFSSL_HAVE_MLKEM         /* ML-KEM (FIPS 203) for the hybrid groups */
#define WOLFSSL_NO_ML_KEM_512      /* no hybrid or peer uses ML-KEM-512 */
#define WOLFSSL_PQC_HYBRIDS        /* X25519MLKEM768, SECP256R1MLKEM768, SECP384R1MLKEM1024 */
#define WOLFSSL_TLS_NO_MLKEM_STANDALONE /* pure ML-KEM groups: no peer we serve offers them */
#define WOLFSSL_SHA3               /* ML-KEM is built on SHA-3 ... */
#define WOLFSSL_SHAKE128           /* ... and SHAKE */
#define WOLFSSL_SHAKE256
#define NO_DH                      /* finite-field DH: TLS 1.3 peers of the kernel use EC groups */

/* ---- Math: SP with the x86_64 assembly ---------------------------------------------------- */
#define WOLFSSL_SP_MATH_ALL        /* SP big-number code for everything not covered below */
#define WOLFSSL_HAVE_SP_RSA        /* RSA-2048/3072 in fixed-size SP code */
#define WOLFSSL_HAVE_SP_ECC        /* P-256 (and P-384/P-521 below) in fixed-size SP code */
#define WOLFSSL_SP_384
#define WOLFSSL_SP_521
#define WOLFSSL_SP_4096            /* RSA-4096 certificates are common for CAs */
#define WOLFSSL_SP_ASM             /* ... with hand-written assembly */
#define WOLFSSL_SP_X86_64_ASM      /* ... for x86_64 (MULX/ADX chosen at run time by CPUID) */
#define WOLFSSL_SP_X86_64
#define SP_INT_BITS 4096           /* largest number SP_MATH_ALL handles: RSA-4096 */

/* ---- Intel fast paths: compiled in, chosen at run time ------------------------------------ */
#define WOLFSSL_AESNI              /* AES-NI for AES-GCM/CCM (cpuid.c checks the CPU first) */
#define HAVE_INTEL_AVX1            /* AVX paths for SHA-2, ChaCha20, Poly1305, AES-GCM */
#define HAVE_INTEL_AVX2            /* AVX2 paths for the same, and for ML-KEM and SHA-3 */
#define USE_INTEL_SPEEDUP          /* use the above where the CPU has them */

/* ---- Certificates: what the x.509 mode checks --------------------------------------------- */
#define OPENSSL_EXTRA_X509_SMALL   /* X509 accessors the verify callback uses */
#define OPENSSL_EXTRA              /* GENERAL_NAME/X509_STORE_CTX API for SAN and chain checks */
#define KEEP_PEER_CERT             /* the peer's leaf for the identity and the DONE key serial */
#define SESSION_CERTS              /* the peer's chain for the verify callback */
#define HAVE_EX_DATA               /* the verify callback finds its session in the store */
#define WOLFSSL_ALT_NAMES          /* subjectAltName parsing */
#define WOLFSSL_IP_ALT_NAME        /* IP address SANs: peers named by IP literal */
#define WOLFSSL_CERT_EXT           /* key usage and extended key usage checks */
#define HAVE_CRL                   /* the x509.crl config key */
#define WOLFSSL_PEM_TO_DER         /* certificates and keys are PEM files */
#define WOLFSSL_ASN_TEMPLATE       /* the template ASN.1 parser (wolfSSL's maintained one) */

/* ---- Hardening ------------------------------------------------------------------------------ */
#define WC_RSA_BLINDING            /* RSA private operations blinded against timing */
#define ECC_TIMING_RESISTANT       /* constant-time scalar multiplication */
#define TFM_TIMING_RESISTANT       /* constant-time modular exponentiation (SP honours it) */
/* Random numbers: the kernel's getrandom(2) through a small buffer per thread
 * (kernel_random.cc). wolfSSL's Hash_DRBG is not built: a threaded build instantiates one per
 * session, health test and getrandom seed included, 6.8 % of a PSK handshake. */
#define CUSTOM_RAND_GENERATE_BLOCK handshaked_kernel_random_block
#define CUSTOM_RAND_GENERATE_SEED handshaked_kernel_random_block /* the OpenSSL layer's seed */
#ifndef __ASSEMBLER__
#ifdef __cplusplus
extern "C"
#endif
int handshaked_kernel_random_block(unsigned char* output, unsigned int size);
#endif

/* ---- Left out on purpose -------------------------------------------------------------------- */
#define NO_DSA                     /* not a TLS 1.3 signature */
#define NO_RC4                     /* not a TLS 1.3 cipher */
#define NO_DES3
#define NO_MD4
#define NO_PWDBASED                /* encrypted PEM keys: tlshd does not take them either */
#define NO_SESSION_CACHE_REF       /* no TLS session resumption across handshakes */

#endif /* HANDSHAKED_WOLFSSL_USER_SETTINGS_H */
