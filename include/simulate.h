#ifndef RAMAL_SIMULATE_H
#define RAMAL_SIMULATE_H

#include "config.h"

/*
 * `ramal simulate inbound --to +E164 --from +E164
 *      [--agent-answers | --no-answer | --abandon] [--url URL]`
 *
 * Plays a whole inbound call against a running server the way Twilio
 * would: the voice webhook, then whatever the answered TwiML asks for
 * (whisper, Dial action, Enqueue waitUrl and action, a TaskRouter
 * assignment, Record action), the status and recording callbacks, and
 * the final hang-up — each request signed with the account's auth token
 * over BASE_URL, so the server checks it as it would Twilio's.  Prints
 * every step with the TwiML or JSON it got.  argv[0] is "simulate".
 * Returns the exit status (0 when every step got a 2xx answer).
 */
int simulate_main(const struct config *cfg, int argc, char **argv);

#endif
