import * as assert from "assert";
import * as fs from "fs";
import * as yaml from "js-yaml";
import { MARKDOWN_MARKER } from "../../cli/ui/previewReport";
import { Step, WORKFLOW, workflowStep } from "../support/workflow";

describe("pull-request workflow (.github/workflows/pinned-preview.yml)", () => {
    const doc = yaml.load(fs.readFileSync(WORKFLOW, "utf8")) as {
        on: Record<string, unknown>;
        permissions: Record<string, string>;
        jobs: { preview: { steps: Step[] } };
    };
    const steps = doc.jobs.preview.steps;

    it("runs on pull requests and may write comments, nothing more", () => {
        assert.ok("pull_request" in doc.on);
        assert.deepStrictEqual(doc.permissions, { contents: "read", "pull-requests": "write" });
    });

    it("checks out with tags, installs, starts the environment, then previews", () => {
        const order = steps.map((s) => s.uses?.replace(/@.*/, "") ?? s.run?.trim().split("\n")[0] ?? s.name);
        assert.deepStrictEqual(order.slice(0, 6), [
            "actions/checkout",
            "actions/setup-node",
            "actions/cache",
            "npm ci",
            "npx pinned env up",
            workflowStep("pinned preview").run?.trim().split("\n")[0],
        ]);
        assert.strictEqual(steps[0].with?.["fetch-depth"], 0);
        assert.strictEqual(steps[1].with?.["node-version"], 20);
    });

    it("pins every action by commit, leaves no token in .git/config, and caches no executable or secret", () => {
        for (const s of steps.filter((x) => x.uses)) {
            assert.match(s.uses ?? "", /@[0-9a-f]{40}$/, `${s.uses} is pinned by commit`);
        }
        assert.strictEqual(steps[0].with?.["persist-credentials"], false);
        const cached = String(steps[2].with?.path ?? "")
            .split("\n")
            .map((p) => p.trim())
            .filter(Boolean);
        assert.deepStrictEqual(cached, ["~/.cache/pinned/go"], "Go module and build caches only");
    });

    it("the preview step writes the markdown and accepts exit codes 0 and 3 only", () => {
        const run = workflowStep("pinned preview").run ?? "";
        assert.match(run, /body="\$RUNNER_TEMP\/pinned-preview\.md"/);
        assert.match(run, /npx pinned preview --markdown > "\$body"/);
        assert.match(run, /\[ "\$code" -eq 0 \] \|\| \[ "\$code" -eq 3 \]/);
    });

    it("the comment step finds its earlier comment by the marker the preview prints", () => {
        const comment = workflowStep("comment on the pull request");
        assert.ok(comment.run?.includes(`startswith("${MARKDOWN_MARKER}")`), comment.run);
        assert.match(comment.if ?? "", /always\(\)/);
        assert.match(comment.run ?? "", /--body-file "\$body"/);
        assert.match(comment.if ?? "", /steps\.preview\.outputs\.exit-code/);
    });
});
