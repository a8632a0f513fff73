import * as assert from "assert";
import { formatFinding } from "../../core/policy/finding";
import { lintDockerfile } from "../../core/policy/recipePolicy";

/** The lines every passing recipe ends with: the commit stamp and a non-root numeric user. */
const STAMP = "ARG git_hash\nLABEL git_hash=$git_hash\nUSER 65534";

describe("recipe policy findings", () => {
    it("formats findings as file:line: rule: [severity] message — fix", () => {
        const [f] = lintDockerfile(`FROM python:latest\n${STAMP}\n`, "app/Dockerfile");
        assert.match(formatFinding(f), /^app\/Dockerfile:1: base-latest: \[error\] .+ — pin an exact version/);
    });
});
