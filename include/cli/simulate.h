#ifndef RAMAL_SIMULATE_H
#define RAMAL_SIMULATE_H

/*
 * `ramal simulate inbound --to +E164 --from +E164
 *      [--agent-answers | --no-answer | --abandon] [--url URL]`
 * `ramal simulate outbound --agent IDENTITY --to NUMBER [--no-answer]
 *      [--leave-up] [--url URL]`
 * `ramal simulate hold --call CA... --email EMAIL [--password-stdin]
 *      [--account AC...] [--url URL]`
 *
 * Plays a whole inbound call against a running server the way Twilio
 * would: the voice webhook, then whatever the answered TwiML asks for
 * (whisper, Dial action, Enqueue waitUrl and action, a TaskRouter
 * assignment, Record action), the status and recording callbacks, and
 * the final hang-up — each request signed with the account's auth token
 * over BASE_URL, so the server checks it as it would Twilio's.  Prints
 * every step with the TwiML or JSON it got.  outbound plays an agent's
 * call from the softphone (the TwiML App's VoiceUrl, the callee's legs and
 * disclaimer, the recording, the <Dial> action; --leave-up stops once the
 * callee answered).  hold signs in with POST /api/login (the password from
 * the terminal or stdin; never printed), asks for hold and unhold through
 * the API, and plays Twilio's side (the first bridge's action, the
 * conference events) once the server's jobs have done their REST
 * requests.  argv[0] is "simulate".  The arguments are checked first (a
 * usage error prints the usage, cmdline.h), then the configuration is
 * loaded (TWILIO_ACCOUNT_SID, its auth token and BASE_URL sign the
 * requests).  Not thread-safe: it initialises libcurl itself.
 * Returns the exit status (0 when every step got a 2xx answer, 1 when one
 * did not, 2 on a usage or configuration error).
 */
int simulate_main(int argc, char **argv);

#endif
