import { Label } from "dockerfile-ast";
import { Finding } from "../finding";
import { argName, finalStage, findingAt, findingAtLine, RecipeRule } from "../recipeRule";

/**
 * The final stage must carry the commit it was built from, the origin
 * story's convention: `ARG git_hash` and `LABEL git_hash=$git_hash`.
 */
export const commitLabel: RecipeRule = {
    ids: ["no-from", "git-hash-missing"],
    check(recipe) {
        const final = finalStage(recipe);
        if (!final) {
            return [
                findingAtLine(recipe.file, 1, "error", {
                    rule: "no-from",
                    message: "the recipe has no FROM instruction",
                    fix: "start the recipe with FROM <image>:<exact version>@sha256:<digest>",
                }),
            ];
        }
        const hasArg = final.instructions.some((i) => i.getKeyword() === "ARG" && argName(i) === "git_hash");
        const label = final.instructions
            .filter((i): i is Label => i.getKeyword() === "LABEL")
            .flatMap((l) => l.getProperties())
            .find((p) => p.getName() === "git_hash");
        const out: Finding[] = [];
        if (!hasArg) {
            out.push(
                findingAt(recipe, final.from, "error", {
                    rule: "git-hash-missing",
                    message: "the final stage declares no ARG git_hash, so the image cannot record its commit",
                    fix: "add after the last FROM: ARG git_hash (pinned passes the commit as this build arg)",
                }),
            );
        }
        const value = label?.getValue() ?? undefined;
        if (!label) {
            out.push(
                findingAt(recipe, final.from, "error", {
                    rule: "git-hash-missing",
                    message: "the final stage has no LABEL git_hash, so the image does not say which commit it is",
                    fix: "add after ARG git_hash: LABEL git_hash=$git_hash",
                }),
            );
        } else if (value !== "$git_hash" && value !== "${git_hash}") {
            out.push(
                findingAtLine(recipe.file, label.getRange().start.line + 1, "error", {
                    rule: "git-hash-missing",
                    message: `LABEL git_hash is "${value}", not the build arg`,
                    fix: "write LABEL git_hash=$git_hash",
                }),
            );
        }
        return out;
    },
};
