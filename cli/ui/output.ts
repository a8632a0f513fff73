import { PinnedError } from "../../core/errors";

/** Colour only for people at a terminal; plain text in CI logs and pipes. */
export function useColour(stream: NodeJS.WriteStream): boolean {
    return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.CI !== "true" && process.env.TERM !== "dumb";
}

const CODES = { red: 31, yellow: 33, green: 32, dim: 2, bold: 1 } as const;

export function paint(stream: NodeJS.WriteStream, colour: keyof typeof CODES, text: string): string {
    return useColour(stream) ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}

/** Prints a user error (problem, then fix) and returns the exit code for it. */
export function reportError(err: unknown, code = 2): number {
    if (err instanceof PinnedError) {
        process.stderr.write(`${paint(process.stderr, "red", "error:")} ${err.problem}\n  fix: ${err.fix}\n`);
        return code;
    }
    throw err;
}
