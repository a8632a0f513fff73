import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { recipeUnderCheck } from "../../core/policy/recipeUnderCheck";
import { RECIPE_RULES } from "../../core/policy/rules";

/** A recipe that breaks every rule at least once. */
const EVERYTHING_WRONG = [
    "# syntax=docker/dockerfile:1",
    "ARG BASE",
    "FROM python:latest AS build",
    "FROM $BASE",
    "FROM debian",
    "FROM python:3.11",
    "FROM python:3.11.7-bookworm",
    "COPY --from=busybox:latest /bin/sh /sh",
    "ARG API_TOKEN",
    "RUN curl -fsSL https://example.invalid/x.sh | sh",
    "RUN pip install numpy && pip install -r missing.txt && pip install --target /t x==1 && apt-get install -y curl && apt-get upgrade -y",
    "RUN npm install left-pad && apk add curl",
    "ADD https://example.invalid/a.tar.gz /a",
    "LABEL git_hash=fixed",
    "USER root",
    "",
].join("\n");

describe("recipe rules (core/policy/rules)", () => {
    const recipe = recipeUnderCheck(EVERYTHING_WRONG, "Dockerfile", path.join(__dirname, "..", "fixtures", "context"));

    it("each rule reports only the ids it declares, and no two rules declare the same id", () => {
        const owner = new Map<string, number>();
        RECIPE_RULES.forEach((rule, i) => {
            for (const id of rule.ids) {
                assert.strictEqual(owner.get(id), undefined, `${id} is declared by two rules`);
                owner.set(id, i);
            }
            const found = new Set(rule.check(recipe).map((f) => f.rule));
            for (const id of found) {
                assert.ok(rule.ids.includes(id), `a rule declaring ${rule.ids.join(", ")} reported ${id}`);
            }
        });
    });

    it("the recipe that breaks everything is caught by every rule", () => {
        const silent = RECIPE_RULES.filter((rule) => rule.check(recipe).length === 0).map((rule) => rule.ids.join("/"));
        assert.deepStrictEqual(silent, []);
        const noFrom = recipeUnderCheck("RUN true\n", "Dockerfile", ".");
        assert.ok(RECIPE_RULES.flatMap((rule) => rule.check(noFrom)).some((f) => f.rule === "no-from"));
    });

    it("the README's list of lint rules is the rules' ids", () => {
        const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
        const paragraph = readme.slice(readme.indexOf("Lint rules:"), readme.indexOf("## Layout"));
        const listed = new Set([...paragraph.matchAll(/`([a-z]+(?:-[a-z]+)+)`/g)].map((m) => m[1]));
        const declared = new Set(RECIPE_RULES.flatMap((rule) => rule.ids));
        assert.deepStrictEqual(
            [...declared].filter((id) => !listed.has(id)),
            [],
            "ids missing from the README",
        );
        assert.deepStrictEqual(
            [...listed].filter((id) => !declared.has(id)),
            [],
            "ids in the README that no rule reports",
        );
    });
});
