import { ConfigError } from "./errors";

/**
 * A whole number of seconds from environment variable `name`, within
 * [min, max]; `fallback` when unset or empty. A refusal names the
 * variable, its value, the range and `fix`.
 */
export function wholeSecondsFromEnv(
    env: Readonly<Record<string, string | undefined>>,
    name: string,
    range: { readonly min: number; readonly max: number; readonly fallback: number },
    fix: string,
): number {
    const raw = env[name];
    if (raw === undefined || raw === "") {
        return range.fallback;
    }
    if (!/^\d+$/.test(raw) || Number(raw) < range.min || Number(raw) > range.max) {
        throw new ConfigError(`${name}="${raw}" is not a whole number of seconds from ${range.min} to ${range.max}.`, fix);
    }
    return Number(raw);
}
