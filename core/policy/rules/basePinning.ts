import { Copy } from "dockerfile-ast";
import { Finding, Severity } from "../finding";
import { Problem } from "../packageRules";
import { findingAt, RecipeRule } from "../recipeRule";

type BaseProblem = Problem & { severity: Severity };

/**
 * Base images (and `COPY --from=<image>`, which pulls files from one) must
 * name an exact version and, unless only warned, a digest.
 */
export const basePinning: RecipeRule = {
    ids: ["base-latest", "base-unversioned", "base-no-digest", "base-unresolved"],
    check(recipe) {
        const findings: Finding[] = [];
        for (const from of recipe.froms) {
            const written =
                from
                    .getArguments()
                    .map((a) => a.getValue())
                    .filter((a) => !a.startsWith("--"))[0] ?? "";
            const problem = imageProblem(written, recipe.globalArgs, recipe.stagesBefore(from));
            if (problem) {
                findings.push(findingAt(recipe, from, problem.severity, problem));
            }
        }
        for (const copy of recipe.instructions.filter((i) => i.getKeyword() === "COPY") as Copy[]) {
            const problem = copyFromProblem(copy, recipe.globalArgs, recipe.stages);
            if (problem) {
                findings.push(findingAt(recipe, copy, problem.severity, problem));
            }
        }
        return findings;
    },
};

/**
 * `COPY --from=<image>` pulls files from an image that is not a stage of
 * this recipe: the same pinning rules as a base image apply to it.
 */
function copyFromProblem(copy: Copy, globalArgs: ReadonlyMap<string, string>, stages: readonly string[]): BaseProblem | undefined {
    const from = copy.getFromFlag()?.getValue() ?? undefined;
    if (from === undefined || /^\d+$/.test(from)) {
        return undefined; // no --from, or a stage by index
    }
    const problem = imageProblem(from, globalArgs, stages);
    return (
        problem && {
            ...problem,
            message: problem.message.replace(/^base image/, "COPY --from image"),
            fix: problem.fix.replace("FROM ", "COPY --from="),
        }
    );
}

function imageProblem(written: string, globalArgs: ReadonlyMap<string, string>, stages: readonly string[]): BaseProblem | undefined {
    const image = written.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, name: string) => globalArgs.get(name) ?? m);
    if (image.includes("$")) {
        return {
            severity: "warning",
            rule: "base-unresolved",
            message: `base image "${written}" depends on a build arg without a default, so it cannot be checked`,
            fix: "give the ARG a default that pins the image, or write the image in the FROM line",
        };
    }
    if (image.toLowerCase() === "scratch" || stages.includes(image.toLowerCase())) {
        return undefined; // no base, or an earlier stage of this recipe
    }
    const [nameAndTag, digest] = image.split("@");
    const lastSlash = nameAndTag.lastIndexOf("/");
    const colon = nameAndTag.indexOf(":", lastSlash + 1);
    const name = colon < 0 ? nameAndTag : nameAndTag.slice(0, colon);
    const tag = colon < 0 ? undefined : nameAndTag.slice(colon + 1);
    const example = `${name}:<exact version>@sha256:<digest>`;
    if (tag === "latest") {
        return {
            severity: "error",
            rule: "base-latest",
            message: `base image "${image}" uses "latest", which moves with every upstream release`,
            fix: `pin an exact version and its digest: FROM ${example}`,
        };
    }
    if (digest === undefined && tag === undefined) {
        return {
            severity: "error",
            rule: "base-unversioned",
            message: `base image "${image}" has no tag, so it resolves to whatever the registry serves today`,
            fix: `pin an exact version and its digest: FROM ${example}`,
        };
    }
    if (digest === undefined && tag !== undefined && !isExactVersion(tag)) {
        return {
            severity: "error",
            rule: "base-unversioned",
            message: `base image tag "${tag}" is not an exact version; it is moved to each new patch release`,
            fix: `name the full version (e.g. ${name}:3.11.7-bookworm) and its digest: FROM ${example}`,
        };
    }
    if (digest === undefined) {
        return {
            severity: "warning",
            rule: "base-no-digest",
            message: `base image "${image}" has no digest; even an exact tag can be re-pushed`,
            fix: `append the digest: FROM ${image}@sha256:<digest> (docker buildx imagetools inspect ${image} shows it)`,
        };
    }
    return undefined;
}

/** `3.7.1-stretch`, `1.25.3-alpine`, `bookworm-20240110`: a full version or a date stamp. */
function isExactVersion(tag: string): boolean {
    return /(^|[^0-9.])\d+\.\d+\.\d+/.test(tag) || /(^|\D)20\d{6}(\D|$)/.test(tag);
}
