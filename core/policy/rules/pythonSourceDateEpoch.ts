import { Finding } from "../finding";
import { findingAt, RecipeRule } from "../recipeRule";

/**
 * Python run in a stage without SOURCE_DATE_EPOCH writes .pyc files stamped
 * with the build's clock; with it, hash-based ones.
 */
export const pythonSourceDateEpoch: RecipeRule = {
    ids: ["python-no-source-date-epoch"],
    check(recipe) {
        const findings: Finding[] = [];
        for (const run of recipe.runs) {
            const python = run.commands.find((c) => runsPython(c.argv) && !run.isSet("SOURCE_DATE_EPOCH", c));
            if (python) {
                findings.push(
                    findingAt(recipe, run.instruction, "error", {
                        rule: "python-no-source-date-epoch",
                        message:
                            `RUN runs ${python.argv[0]} in a stage without SOURCE_DATE_EPOCH, so Python writes .pyc files ` +
                            "stamped with the build's clock and every build gives different bytes",
                        fix: "add ARG SOURCE_DATE_EPOCH after the FROM line (pinned passes the commit time; Python then writes hash-based .pyc files)",
                    }),
                );
            }
        }
        return findings;
    },
};

/** `python`, `python3.11`, `pip3`, `/usr/bin/python3 -m …`: a command that runs Python and can write .pyc files. */
function runsPython(argv: readonly string[]): boolean {
    const base = argv[0]?.split("/").pop() ?? "";
    return /^(python|pip)[0-9.]*$/.test(base);
}
