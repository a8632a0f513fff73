import { formatFinding, hasErrors, summarize } from "../../core/policy/finding";
import { lintDockerfileFile } from "../../core/policy/recipePolicy";
import { paint } from "../ui/output";

export const LINT_USAGE = `usage: pinned lint [--strict] PATH/Dockerfile

Checks a recipe for what breaks reproducible builds. Prints one line per
finding (file:line: rule: [severity] message — fix). Exits 1 when any finding
is an error, 0 otherwise. --strict turns warnings (a base without a digest)
into errors.`;

export function lintCommand(args: string[]): number {
    const strict = args.includes("--strict");
    const files = args.filter((a) => a !== "--strict");
    if (files.length === 0 || files.some((f) => f.startsWith("-"))) {
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
