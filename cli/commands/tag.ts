import { containerTagFor } from "../../core/git/refTag";
import { CommandSpec, parseCommandLine } from "../args";
import { Command, usageError } from "../command";
import { reportError } from "../ui/output";

const spec: CommandSpec = {
    name: "tag",
    positionals: { name: "REF", min: 1, max: 1 },
    description: `Prints the container tag for a git ref: develop -> latest,
feature/NAME -> feature-NAME, release/yyyy-mm-dd-NNN -> yyyy-mm-dd-NNN-rc,
tag yyyy-mm-dd-NNN -> yyyy-mm-dd-NNN. Accepts refs/heads/… and refs/tags/….
Exits 2 for any other ref.`,
};

export const command: Command<void> = {
    spec,
    summary: "print the container tag for a git ref",
    cluster: false,
    // The ref conventions are a few lines, loaded with this file.
    load: () => Promise.resolve(),
    run(args) {
        const line = parseCommandLine(spec, args);
        if (!line) {
            return usageError(spec);
        }
        try {
            process.stdout.write(`${containerTagFor(line.positionals[0])}\n`);
            return 0;
        } catch (err) {
            return reportError(err, 2);
        }
    },
};
