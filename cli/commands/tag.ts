import { containerTagFor } from "../../core/git/refTag";
import { reportError } from "../ui/output";
import { CommandSpec, parseCommandLine, usageOf } from "../args";

export const TAG_COMMAND: CommandSpec = {
    name: "tag",
    positionals: { name: "REF", min: 1, max: 1 },
    description: `Prints the container tag for a git ref: develop -> latest,
feature/NAME -> feature-NAME, release/yyyy-mm-dd-NNN -> yyyy-mm-dd-NNN-rc,
tag yyyy-mm-dd-NNN -> yyyy-mm-dd-NNN. Accepts refs/heads/… and refs/tags/….
Exits 2 for any other ref.`,
};
export const TAG_USAGE = usageOf(TAG_COMMAND);

export function tagCommand(args: string[]): number {
    const line = parseCommandLine(TAG_COMMAND, args);
    if (!line) {
        process.stderr.write(`${TAG_USAGE}\n`);
        return 2;
    }
    try {
        process.stdout.write(`${containerTagFor(line.positionals[0])}\n`);
        return 0;
    } catch (err) {
        return reportError(err, 2);
    }
}
