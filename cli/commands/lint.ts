import { formatFinding, hasErrors, summarize } from "../../core/policy/finding";
import { CommandSpec, parseCommandLine } from "../args";
import { Command, usageError } from "../command";
import { paint } from "../ui/output";

const spec: CommandSpec = {
    name: "lint",
    options: { strict: { type: "boolean", help: "refuse warnings too (a base image without a digest)" } },
    positionals: { name: "DOCKERFILE", min: 1, max: 100 },
    description: `Checks a recipe for what breaks reproducible builds. Prints one line per
finding (file:line: rule: [severity] message — fix). Exits 1 when any finding
is an error, 0 otherwise.`,
};

export const command: Command<typeof import("../../core/policy/recipePolicy")> = {
    spec,
    summary: "check a recipe for unpinned inputs",
    cluster: false,
    // The policy and its Dockerfile parser, only when a recipe is checked.
    load: () => import("../../core/policy/recipePolicy"),
    run(args, _ctx, { lintDockerfileFile }) {
        const line = parseCommandLine(spec, args);
        const strict = line?.values.strict === true;
        const files = line?.positionals ?? [];
        if (!line) {
            return usageError(spec);
        }
        let failed = false;
        for (const file of files) {
            const findings = lintDockerfileFile(file, { strict });
            for (const f of findings) {
                const line = formatFinding(f);
                process.stdout.write(
                    `${f.severity === "error" ? paint(process.stdout, "red", line) : paint(process.stdout, "yellow", line)}\n`,
                );
            }
            process.stdout.write(`${file}: ${summarize(findings)}\n`);
            failed ||= hasErrors(findings);
        }
        return failed ? 1 : 0;
    },
};
