/**
 * Parses a command line that takes at most one option with a value, as
 * `--flag VALUE` or `--flag=VALUE`: `{}` for none, `{ value }` for one,
 * undefined (a usage error) for anything else.
 */
export function parseOneOption(args: string[], flag: string): { value?: string } | undefined {
    if (args.length === 0) {
        return {};
    }
    if (args.length === 2 && args[0] === flag) {
        return { value: args[1] };
    }
    const prefix = `${flag}=`;
    return args.length === 1 && args[0].startsWith(prefix) && args[0].length > prefix.length
        ? { value: args[0].slice(prefix.length) }
        : undefined;
}
