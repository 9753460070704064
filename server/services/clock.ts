/** Time source, injectable so tests can move time (cooldowns, captcha expiry, bans). */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();
