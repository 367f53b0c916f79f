/** The keys of the dialer's and the in-call DTMF keypads, in pad order. */
export const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];
