import * as fs from "fs";
import * as path from "path";
import { DockerfileParser } from "dockerfile-ast";
import { Finding } from "./finding";
import { findingAtLine } from "./recipeRule";
import { recipeUnderCheck } from "./recipeUnderCheck";
import { RECIPE_RULES } from "./rules";

/** How strictly to judge a recipe. */
export interface PolicyOptions {
    /**
     * Turn every warning into an error — notably a base image without a
     * digest, which is only a warning by default.
     * @default false
     */
    readonly strict?: boolean;
    /**
     * Directory that requirements files are read from.
     * @default the Dockerfile's directory
     */
    readonly contextDir?: string;
}

/** Reads and checks a Dockerfile; the file name in findings is `file` as given. */
export function lintDockerfileFile(file: string, options: PolicyOptions = {}): Finding[] {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : "cannot be read";
        return [
            findingAtLine(file, 1, "error", {
                rule: "recipe-unreadable",
                message: `${file} ${reason}`,
                fix: "give the path of the app's Dockerfile, e.g. pinned lint app/Dockerfile",
            }),
        ];
    }
    return lintDockerfile(text, file, { contextDir: path.dirname(file), ...options });
}

/** The images a recipe builds on, as written in its FROM lines (build stages left out). */
export function baseImagesOf(text: string): string[] {
    const stages: string[] = [];
    const images: string[] = [];
    for (const from of DockerfileParser.parse(text).getFROMs()) {
        const image = from.getImage();
        if (image && !stages.includes(image.toLowerCase())) {
            images.push(image);
        }
        const stage = from.getBuildStage();
        if (stage) {
            stages.push(stage.toLowerCase());
        }
    }
    return images;
}

/**
 * Checks a recipe for what breaks reproducibility: bases that are not
 * pinned, package installs without exact versions or hashes, Python run
 * without SOURCE_DATE_EPOCH, secrets in build args, and a missing git_hash
 * label. Every finding names its line and a fix. The checks are the rules
 * in rules/, run in the order of their list.
 */
export function lintDockerfile(text: string, file: string, options: PolicyOptions = {}): Finding[] {
    const recipe = recipeUnderCheck(text, file, options.contextDir ?? path.dirname(file));
    const findings = RECIPE_RULES.flatMap((rule) => rule.check(recipe));
    const sorted = findings.sort((a, b) => a.line - b.line || a.rule.localeCompare(b.rule));
    return options.strict ? sorted.map((f) => ({ ...f, severity: "error" as const })) : sorted;
}
