import { parse as parseShell } from "shell-quote";

/**
 * Splits a RUN command line into simple commands (`a && b; c | d` gives
 * four), each as argv with leading `VAR=value`, `sudo` and `env` removed.
 * Variables stay as written (`$VERSION`) so a pin through a build arg is
 * still visible as a pin.
 */
export function simpleCommands(commandLine: string): string[][] {
    const tokens = parseShell(commandLine, (name) => `$${name}`);
    const commands: string[][] = [];
    let current: string[] = [];
    for (const token of tokens) {
        if (typeof token === "string") {
            current.push(token);
        } else if ("op" in token && token.op !== "glob") {
            commands.push(current);
            current = [];
        } else if ("pattern" in token) {
            current.push(token.pattern);
        }
        // Comments end the line; shell-quote yields them as { comment }.
    }
    commands.push(current);
    return commands.map(stripPrefixes).filter((argv) => argv.length > 0);
}

function stripPrefixes(argv: string[]): string[] {
    let i = 0;
    while (i < argv.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i]) || argv[i] === "sudo" || argv[i] === "env")) {
        i++;
    }
    return argv.slice(i);
}

/**
 * The operands of a command once its options are removed. `valued` lists
 * the options that take a separate value (`-o X`), so the value is not
 * mistaken for an operand.
 */
export function operands(args: readonly string[], valued: ReadonlySet<string>): string[] {
    const out: string[] = [];
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === "--") {
            out.push(...args.slice(i + 1));
            break;
        }
        if (a.startsWith("-")) {
            if (valued.has(a)) {
                i++;
            }
            continue;
        }
        out.push(a);
    }
    return out;
}

/** Values of an option given as `-r X`, `-rX`, `--requirement X` or `--requirement=X`. */
export function optionValues(args: readonly string[], short: string, long: string): string[] {
    const values: string[] = [];
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if ((a === short || a === long) && i + 1 < args.length) {
            values.push(args[++i]);
        } else if (a.startsWith(`${long}=`)) {
            values.push(a.slice(long.length + 1));
        } else if (a.startsWith(short) && !a.startsWith("--") && a.length > short.length) {
            values.push(a.slice(short.length));
        }
    }
    return values;
}
