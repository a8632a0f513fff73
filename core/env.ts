/**
 * An environment as pinned was given it: the command line's (cli/main.ts
 * hands its own to the context), or a test's. Functions take one instead of
 * reading process.env, so a test can give each its own.
 */
export type Env = Readonly<Record<string, string | undefined>>;
