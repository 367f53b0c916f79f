/*
 * Secrets at rest: AES-256-GCM, "v1:" base64(nonce || ciphertext || tag).
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "secret.h"
#include "util.h"

#define SECRET_PREFIX "v1:"
#define SECRET_NONCE_LEN 12
#define SECRET_TAG_LEN 16
/* Auth tokens are 32 characters; anything near this is a mistake. */
#define SECRET_MAX_PLAIN (64 * 1024)
#define SECRET_MAX_TEXT \
	(sizeof(SECRET_PREFIX) - 1 + \
	    (SECRET_NONCE_LEN + SECRET_MAX_PLAIN + SECRET_TAG_LEN + 2) / 3 * \
		4)

int
secret_key_parse(const char *text, uint8_t key[SECRET_KEY_LEN])
{
	uint8_t tmp[SECRET_KEY_LEN + 3];
	size_t len;
	long n;
	int rc = -1;

	if (text == NULL)
		return -1;
	len = strlen(text);
	if (len == 2 * SECRET_KEY_LEN)
		n = util_hex_decode(text, len, tmp, sizeof(tmp));
	else
		n = util_b64_decode(text, len, tmp, sizeof(tmp));
	if (n != SECRET_KEY_LEN)
		goto out;
	memcpy(key, tmp, SECRET_KEY_LEN);
	rc = 0;
out:
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return rc;
}

char *
secret_seal(const uint8_t key[SECRET_KEY_LEN], const char *plaintext,
    const char *aad)
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *raw = NULL;
	struct buf out;
	char *result = NULL;
	size_t plen, alen, rawlen;
	int outl, total;

	buf_init(&out, SECRET_MAX_TEXT);
	if (plaintext == NULL)
		goto fail;
	if (aad == NULL)
		aad = "";
	plen = strlen(plaintext);
	alen = strlen(aad);
	if (plen > SECRET_MAX_PLAIN || alen > INT_MAX)
		goto fail;

	rawlen = SECRET_NONCE_LEN + plen + SECRET_TAG_LEN;
	raw = xmalloc(rawlen);
	if (util_random(raw, SECRET_NONCE_LEN) == -1)
		goto fail;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto fail;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, raw) != 1)
		goto fail;
	if (alen > 0 &&
	    EVP_EncryptUpdate(ctx, NULL, &outl, (const unsigned char *)aad,
		(int)alen) != 1)
		goto fail;
	total = 0;
	if (plen > 0) {
		if (EVP_EncryptUpdate(ctx, raw + SECRET_NONCE_LEN, &outl,
			(const unsigned char *)plaintext, (int)plen) != 1)
			goto fail;
		total = outl;
	}
	if (EVP_EncryptFinal_ex(ctx, raw + SECRET_NONCE_LEN + total, &outl) !=
	    1)
		goto fail;
	total += outl;
	if ((size_t)total != plen)
		goto fail;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SECRET_TAG_LEN,
		raw + SECRET_NONCE_LEN + plen) != 1)
		goto fail;

	if (buf_addstr(&out, SECRET_PREFIX) == -1 ||
	    util_b64_encode(&out, raw, rawlen) == -1)
		goto fail;
	result = buf_take(&out, NULL);

fail:
	EVP_CIPHER_CTX_free(ctx);
	free(raw);
	buf_cleanup(&out);
	return result;
}

char *
secret_open(const uint8_t key[SECRET_KEY_LEN], const char *sealed,
    const char *aad)
{
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *raw = NULL, *tag;
	char *plain = NULL, *result = NULL;
	size_t slen, alen, ctlen = 0;
	long rawlen;
	int outl, total;

	if (sealed == NULL)
		return NULL;
	if (aad == NULL)
		aad = "";
	alen = strlen(aad);
	slen = strlen(sealed);
	if (alen > INT_MAX || slen > SECRET_MAX_TEXT ||
	    strncmp(sealed, SECRET_PREFIX, sizeof(SECRET_PREFIX) - 1) != 0)
		return NULL;
	sealed += sizeof(SECRET_PREFIX) - 1;
	slen -= sizeof(SECRET_PREFIX) - 1;

	raw = xmalloc(slen / 4 * 3 + 3);
	rawlen = util_b64_decode(sealed, slen, raw, slen / 4 * 3 + 3);
	if (rawlen < SECRET_NONCE_LEN + SECRET_TAG_LEN)
		goto fail;
	ctlen = (size_t)rawlen - SECRET_NONCE_LEN - SECRET_TAG_LEN;
	tag = raw + SECRET_NONCE_LEN + ctlen;
	plain = xmalloc(ctlen + 1);

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto fail;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, raw) != 1)
		goto fail;
	if (alen > 0 &&
	    EVP_DecryptUpdate(ctx, NULL, &outl, (const unsigned char *)aad,
		(int)alen) != 1)
		goto fail;
	total = 0;
	if (ctlen > 0) {
		if (EVP_DecryptUpdate(ctx, (unsigned char *)plain, &outl,
			raw + SECRET_NONCE_LEN, (int)ctlen) != 1)
			goto fail;
		total = outl;
	}
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SECRET_TAG_LEN,
		tag) != 1)
		goto fail;
	/* Only now is the plaintext authentic. */
	if (EVP_DecryptFinal_ex(ctx, (unsigned char *)plain + total, &outl) !=
	    1)
		goto fail;
	total += outl;
	if ((size_t)total != ctlen || memchr(plain, '\0', ctlen) != NULL)
		goto fail;
	plain[ctlen] = '\0';
	result = plain;
	plain = NULL;

fail:
	EVP_CIPHER_CTX_free(ctx);
	if (plain != NULL) {
		OPENSSL_cleanse(plain, ctlen + 1);
		free(plain);
	}
	free(raw);
	return result;
}
