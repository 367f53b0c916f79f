#ifndef RAMAL_SECRET_H
#define RAMAL_SECRET_H

#include <stddef.h>
#include <stdint.h>

/*
 * Secrets at rest (tenant auth tokens): AES-256-GCM under the 32-byte key
 * from RAMAL_SECRET_KEY.  A sealed value is text, safe for a TEXT column:
 *
 *	"v1:" base64(12-byte random nonce || ciphertext || 16-byte tag)
 *
 * The associated data binds a ciphertext to its row (e.g. the account SID),
 * so a value copied to another row does not open.
 */
#define SECRET_KEY_LEN 32

/*
 * Parse RAMAL_SECRET_KEY: 64 hex digits, or base64 of exactly 32 bytes.
 * 0 / -1.
 */
int secret_key_parse(const char *text, uint8_t key[SECRET_KEY_LEN]);

/* Seal plaintext.  A new string (free()), or NULL on a library failure. */
char *secret_seal(const uint8_t key[SECRET_KEY_LEN], const char *plaintext,
    const char *aad);

/*
 * Open a sealed value.  A new string (free with util_free_secret()), or
 * NULL when the text is malformed, the key is wrong, or it was tampered
 * with.
 */
char *secret_open(const uint8_t key[SECRET_KEY_LEN], const char *sealed,
    const char *aad);

#endif
