import { formatFinding, hasErrors, summarize } from "../../core/policy/finding";
import { lintDockerfileFile } from "../../core/policy/recipePolicy";
import { paint } from "../ui/output";
import { CommandSpec, parseCommandLine, usageOf } from "../args";

export const LINT_COMMAND: CommandSpec = {
    name: "lint",
    options: { strict: { type: "boolean", help: "refuse warnings too (a base image without a digest)" } },
    positionals: { name: "DOCKERFILE", min: 1, max: 100 },
    description: `Checks a recipe for what breaks reproducible builds. Prints one line per
finding (file:line: rule: [severity] message — fix). Exits 1 when any finding
is an error, 0 otherwise.`,
};
export const LINT_USAGE = usageOf(LINT_COMMAND);

export function lintCommand(args: string[]): number {
    const line = parseCommandLine(LINT_COMMAND, args);
    const strict = line?.values.strict === true;
    const files = line?.positionals ?? [];
    if (!line) {
        process.stderr.write(`${LINT_USAGE}\n`);
        return 2;
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
}
