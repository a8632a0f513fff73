import { containerTagFor } from "../../core/git/refTag";
import { reportError } from "../ui/output";

export const TAG_USAGE = `usage: pinned tag REF

Prints the container tag for a git ref: develop -> latest,
feature/NAME -> feature-NAME, release/yyyy-mm-dd-NNN -> yyyy-mm-dd-NNN-rc,
tag yyyy-mm-dd-NNN -> yyyy-mm-dd-NNN. Accepts refs/heads/… and refs/tags/….
Exits 2 for any other ref.`;

export function tagCommand(args: string[]): number {
    if (args.length !== 1 || args[0].startsWith("-")) {
        process.stderr.write(`${TAG_USAGE}\n`);
        return 2;
    }
    try {
        process.stdout.write(`${containerTagFor(args[0])}\n`);
        return 0;
    } catch (err) {
        return reportError(err, 2);
    }
}
