#ifndef RAMAL_VOICE_H
#define RAMAL_VOICE_H

struct http_req;

/*
 * POST /twilio/voice/fallback — every number's VoiceFallbackUrl, used by
 * Twilio when the primary webhook failed.  Needs no database: apologises
 * in pt-BR and takes a message, so a caller is never dropped silently.
 * With ?step=recorded (the <Record> action) it thanks and hangs up.
 */
int voice_fallback(struct http_req *r);

#endif
