import { parseArgs } from "util";

/** One `--option` of a command. */
export interface OptionSpec {
    readonly type: "string" | "boolean";
    /** The value's placeholder in the usage text, for a string option: `R`. */
    readonly value?: string;
    readonly help: string;
    /** The command cannot run without it: the parser refuses its absence and the usage shows it without brackets. */
    readonly required?: boolean;
}

/** What a command accepts and how its usage reads; the usage text is made from it. */
export interface CommandSpec {
    /** The command as typed after `pinned`. */
    readonly name: string;
    readonly options?: Readonly<Record<string, OptionSpec>>;
    /** Positional arguments: their placeholder and how many. */
    readonly positionals?: {
        readonly name: string;
        readonly min: number;
        readonly max: number;
        /** How the usage shows them, when `NAME...` does not say it. */
        readonly shown?: string;
    };
    /** What the command does, a paragraph. */
    readonly description: string;
}

export interface CommandLine {
    readonly values: Readonly<Record<string, string | boolean | undefined>>;
    readonly positionals: readonly string[];
}

/**
 * Parses a command line with Node's `util.parseArgs` (strict: unknown
 * options are refused). Each option may appear once, a string option needs
 * a non-empty value, positionals must fit the spec. Undefined means a usage
 * error.
 */
export function parseCommandLine(spec: CommandSpec, args: string[]): CommandLine | undefined {
    const options = Object.fromEntries(Object.entries(spec.options ?? {}).map(([name, o]) => [name, { type: o.type }]));
    try {
        const parsed = parseArgs({ args, options, allowPositionals: spec.positionals !== undefined, strict: true, tokens: true });
        const seen = new Set<string>();
        for (const token of parsed.tokens ?? []) {
            if (token.kind === "option") {
                if (seen.has(token.name) || token.value === "") {
                    return undefined;
                }
                seen.add(token.name);
            }
        }
        if (Object.entries(spec.options ?? {}).some(([name, o]) => o.required && !seen.has(name))) {
            return undefined;
        }
        const n = parsed.positionals.length;
        if (spec.positionals && (n < spec.positionals.min || n > spec.positionals.max)) {
            return undefined;
        }
        return { values: { ...parsed.values } as CommandLine["values"], positionals: parsed.positionals };
    } catch {
        return undefined;
    }
}

/** How the command is typed: `rollback [--to R]`, as its usage and the command list show it. */
export function synopsisOf(spec: CommandSpec): string {
    const options = Object.entries(spec.options ?? {});
    const shown = ([name, o]: [string, OptionSpec]) => {
        const option = `--${name}${o.value ? ` ${o.value}` : ""}`;
        return o.required ? option : `[${option}]`;
    };
    // Required options first, as a reader types them.
    const ordered = [...options.filter(([, o]) => o.required), ...options.filter(([, o]) => !o.required)];
    const synopsis = [spec.name, ...ordered.map(shown)];
    const p = spec.positionals;
    if (p) {
        const many = p.max > 1 ? "..." : "";
        synopsis.push(p.shown ?? (p.min > 0 ? `${p.name}${many}` : `[${p.name}${many}]`));
    }
    return synopsis.join(" ");
}

/** The usage text: synopsis, what the command does, and each option. */
export function usageOf(spec: CommandSpec): string {
    const options = Object.entries(spec.options ?? {});
    const lines = [`usage: pinned ${synopsisOf(spec)}`, "", spec.description];
    if (options.length > 0) {
        lines.push("", ...options.map(([name, o]) => `  --${`${name}${o.value ? ` ${o.value}` : ""}`.padEnd(14)} ${o.help}`));
    }
    return lines.join("\n");
}
