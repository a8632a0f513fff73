import { PinnedError } from "../../core/errors";
import { explainFailure } from "../../pipeline/engine/failure";
import { InterruptedError } from "../../pipeline/engine/interrupt";

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
    const known = explainFailure(err);
    if (known) {
        process.stderr.write(`${paint(process.stderr, "red", "error:")} ${known.problem}\n  fix: ${known.fix}\n`);
        // A user's error is exit 1 (2 for usage), never the 70 of a bug;
        // an interrupted command exits 130, as a shell reports Ctrl-C.
        return err instanceof InterruptedError ? 130 : err instanceof PinnedError ? code : 1;
    }
    throw err;
}
