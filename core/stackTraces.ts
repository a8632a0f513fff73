/**
 * Keeps the engine's error reports fast.
 *
 * @pulumi/pulumi's published source maps name sources one directory too
 * high (`node_modules/@pulumi/resource.ts`, a file that does not exist), so
 * stack frames mapped through them end in a scope with no package. Node
 * 20's `util.inspect(err, { colors: true })`, which the Pulumi runtime uses
 * to report an unhandled error, never finishes its scan of such a line: it
 * grows a string until it runs out of memory, 30–60 s later, and only then
 * falls back to plain text. Every failing program waited that long.
 *
 * This puts the real, unmapped location (`…/@pulumi/pulumi/resource.js`)
 * back into those frames; every other frame keeps its source mapping.
 */

/** True when Node's node_modules colouring would not terminate on this line. */
export function breaksInspect(line: string): boolean {
    let from = 0;
    for (;;) {
        const at = line.indexOf("node_modules", from);
        if (at === -1) {
            return false;
        }
        const before = line[at - 1];
        const after = line[at + 12];
        if ((before !== "/" && before !== "\\") || (after !== "/" && after !== "\\")) {
            from = at + 1;
            continue;
        }
        const start = at + 13;
        let end = line.indexOf(before, start);
        if (line[start] === "@") {
            end = line.indexOf(before, end + 1);
        }
        if (end === -1) {
            return true;
        }
        from = end;
    }
}

type PrepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => unknown;

/** Wraps a stack formatter so that frames that would break inspect are printed unmapped. */
export function repairStackFormatter(format: PrepareStackTrace): PrepareStackTrace {
    return (error, frames) => {
        const text = format(error, frames);
        if (typeof text !== "string" || frames.length === 0) {
            return text;
        }
        // Formatters end with one line per frame; the header (name and a
        // message that may span lines) comes before them.
        const lines = text.split("\n");
        const first = lines.length - frames.length;
        if (first < 1) {
            return text;
        }
        for (let i = first; i < lines.length; i++) {
            if (breaksInspect(lines[i])) {
                lines[i] = `    at ${frames[i - first].toString()}`;
            }
        }
        return lines.join("\n");
    };
}

const REPAIRED = Symbol.for("pinned.repairedStackFormatter");

/** Installs the repair over whatever formatter is in place (source-map-support's). Idempotent. */
export function installStackTraceRepair(): void {
    const current = Error.prepareStackTrace as (PrepareStackTrace & { [REPAIRED]?: true }) | undefined;
    if (!current || current[REPAIRED]) {
        return;
    }
    const repaired = repairStackFormatter(current) as PrepareStackTrace & { [REPAIRED]?: true };
    repaired[REPAIRED] = true;
    Error.prepareStackTrace = repaired as typeof Error.prepareStackTrace;
}
