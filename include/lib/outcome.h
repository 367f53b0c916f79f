#ifndef RAMAL_OUTCOME_H
#define RAMAL_OUTCOME_H

/*
 * What became of an event offered for storage (a webhook applied, a
 * spooled callback replayed): the one answer every apply and replay
 * function gives, so a caller never reads a bare 0 / 1 / -1.
 */
enum outcome {
	OUTCOME_DONE = 0, /* stored (or nothing to store) */
	OUTCOME_LATER = 1, /* the database is away: keep it, try again */
	OUTCOME_NEVER = -1, /* can never be stored (bad data): set aside */
	/*
	 * Signed by an account that does not own the call (or recording,
	 * task, reservation, conference) it names: refused, never stored,
	 * never retried; set aside like NEVER, answered like invalid data.
	 */
	OUTCOME_REFUSED = -2,
};

#endif
