import { parse as parseShell } from "shell-quote";

/** One simple command of a RUN line and the variables the line sets for it. */
export interface SimpleCommand {
    /** The argv, with leading `VAR=value`, `sudo` and `env` removed. */
    readonly argv: string[];
    /**
     * Variables set for this command by the line itself, as written:
     * `VAR=value cmd`, `env VAR=value cmd`, an earlier `export VAR=value`,
     * and those of an enclosing `sh -c`.
     */
    readonly env: ReadonlyMap<string, string>;
}

/**
 * Splits a RUN command line into simple commands (`a && b; c | d` gives
 * four). The line inside `sh -c '…'` (or `bash -c`, `bash -ec` and the
 * like) is split too, so a command run through a shell is still seen.
 * Variables stay as written (`$VERSION`) so a pin through a build arg is
 * still visible as a pin.
 */
export function simpleCommands(commandLine: string, outer: ReadonlyMap<string, string> = new Map()): SimpleCommand[] {
    const tokens = parseShell(escapeInWordHashes(commandLine), (name) => `$${name}`);
    const words: string[][] = [];
    let current: string[] = [];
    for (const token of tokens) {
        if (typeof token === "string") {
            current.push(token);
        } else if ("op" in token && token.op !== "glob") {
            words.push(current);
            current = [];
        } else if ("pattern" in token) {
            current.push(token.pattern);
        }
        // Comments end the line; shell-quote yields them as { comment }.
    }
    words.push(current);
    const exported = new Map(outer);
    const commands: SimpleCommand[] = [];
    for (const argv of words) {
        const command = commandOf(argv, exported);
        if (command.argv[0] === "export") {
            for (const [name, value] of assignments(command.argv.slice(1))) {
                exported.set(name, value);
            }
        }
        commands.push(...expandShell(command));
    }
    return commands.filter((c) => c.argv.length > 0);
}

/**
 * A `#` starts a comment only at the start of a word; shell-quote takes
 * one inside a word (`a.tar.gz#sha256=…`) for a comment too, so such a `#`
 * is escaped first.
 */
function escapeInWordHashes(line: string): string {
    let out = "";
    let quote: string | undefined;
    for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (quote !== "'" && c === "\\") {
            out += c + (line[i + 1] ?? "");
            i++;
            continue;
        }
        if (quote === undefined && (c === "'" || c === '"')) {
            quote = c;
        } else if (c === quote) {
            quote = undefined;
        } else if (quote === undefined && c === "#" && i > 0 && !/[\s;&|()<>]/.test(line[i - 1])) {
            out += "\\";
        }
        out += c;
    }
    return out;
}

/** The command an exec-form argv runs, with `sh -c '…'` split as a shell line. */
export function execCommands(argv: readonly string[]): SimpleCommand[] {
    return expandShell(commandOf(argv, new Map()));
}

/** Strips `VAR=value`, `sudo` and `env` from the front of argv, keeping the assignments. */
function commandOf(argv: readonly string[], inherited: ReadonlyMap<string, string>): SimpleCommand {
    const env = new Map(inherited);
    let i = 0;
    while (i < argv.length && (ASSIGNMENT.test(argv[i]) || argv[i] === "sudo" || argv[i] === "env")) {
        for (const [name, value] of assignments([argv[i]])) {
            env.set(name, value);
        }
        i++;
    }
    return { argv: argv.slice(i), env };
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

function assignments(words: readonly string[]): [string, string][] {
    return words.filter((w) => ASSIGNMENT.test(w)).map((w) => [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]);
}

/** `sh -c 'a && b'` gives `a` and `b`; any other command is itself. */
function expandShell(command: SimpleCommand): SimpleCommand[] {
    const [cmd, ...args] = command.argv;
    if (cmd === undefined || !/^(ba|da|z|k|a)?sh$/.test(cmd.split("/").pop() ?? cmd)) {
        return [command];
    }
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === "-o" || a === "+o") {
            i++; // -o pipefail
        } else if (/^-[A-Za-z]*c[A-Za-z]*$/.test(a)) {
            return args[i + 1] === undefined ? [command] : simpleCommands(args[i + 1], command.env);
        } else if (!/^[-+]/.test(a)) {
            break; // a script file: its commands cannot be seen
        }
    }
    return [command];
}

/**
 * Whether a value as written in a Dockerfile or a RUN line is non-empty
 * once its variables are expanded. `isSet` says which variables the stage
 * sets; any other variable expands to nothing. `${X:-word}` and
 * `${X:+word}` expand as the shell and Docker expand them.
 */
export function expandsNonEmpty(value: string, isSet: (name: string) => boolean): boolean {
    const expanded = value
        .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*):?([-+])([^}]*)\}/g, (_m, name: string, op: string, word: string) => {
            if (op === "-") {
                return isSet(name) ? "x" : word;
            }
            return isSet(name) ? word : "";
        })
        .replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, name: string) => (isSet(name) ? "x" : ""))
        .replace(/["']/g, "");
    return expanded.trim() !== "";
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
        } else if (short !== "" && a.startsWith(short) && !a.startsWith("--") && a.length > short.length) {
            values.push(a.slice(short.length));
        }
    }
    return values;
}
