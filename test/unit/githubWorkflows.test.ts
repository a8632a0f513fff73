import * as assert from "assert";
import { spawnSync } from "child_process";
import { MARKDOWN_MARKER } from "../../cli/ui/previewReport";
import { readWorkflow, RELEASE_WORKFLOW, Step, workflowStep } from "../support/workflow";

const firstLine = (s: Step) => s.uses?.replace(/@.*/, "") ?? s.name ?? s.run?.trim().split("\n")[0];

/** Every action pinned by commit, no token left in .git/config, only the Go caches cached. */
function assertHygiene(steps: Step[]): void {
    for (const s of steps.filter((x) => x.uses)) {
        assert.match(s.uses ?? "", /@[0-9a-f]{40}$/, `${s.uses} is pinned by commit`);
    }
    for (const s of steps.filter((x) => x.uses?.startsWith("actions/checkout@"))) {
        assert.strictEqual(s.with?.["persist-credentials"], false);
    }
    for (const s of steps.filter((x) => x.uses?.startsWith("actions/cache@"))) {
        const cached = String(s.with?.path ?? "")
            .split("\n")
            .map((p) => p.trim())
            .filter(Boolean);
        assert.deepStrictEqual(cached, ["~/.cache/pinned/go"], "Go module and build caches only");
    }
}

/** The secrets and variables a job's steps name. */
function secretsOf(steps: Step[]): string[] {
    const text = JSON.stringify(steps);
    return [...new Set([...text.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]))].sort();
}

describe("pull-request workflow (.github/workflows/pinned-preview.yml)", () => {
    const doc = readWorkflow();
    const preview = doc.jobs.preview;
    const comment = doc.jobs.comment;

    it("runs on pull requests; nothing by default, and each job only what it needs", () => {
        assert.ok("pull_request" in doc.on);
        assert.deepStrictEqual(doc.permissions, {});
        assert.deepStrictEqual(preview.permissions, { contents: "read" }, "the job that runs the pull request's code writes nothing");
        assert.deepStrictEqual(comment.permissions, { "pull-requests": "write" });
        assert.strictEqual(comment.needs, "preview");
    });

    it("the pull request's code gets preview credentials only: no release push password, no release kubeconfig, and the passphrase only with a read-only role", () => {
        assert.deepStrictEqual(secretsOf(preview.steps), [
            "PINNED_PREVIEW_KUBECONFIG",
            "PINNED_PREVIEW_REGISTRY_PASSWORD",
            "PINNED_PREVIEW_STATE_SECRET_ACCESS_KEY",
            "PINNED_REGISTRY_PULL_PASSWORD",
            "PULUMI_CONFIG_PASSPHRASE",
        ]);
        assert.strictEqual(
            workflowStep("pinned preview").env?.PULUMI_CONFIG_PASSPHRASE,
            "${{ vars.PINNED_PREVIEW_READ_ONLY == 'true' && secrets.PULUMI_CONFIG_PASSPHRASE || '' }}",
        );
        assert.deepStrictEqual(secretsOf(comment.steps), [], "the comment job holds no secret");
        assert.ok(!comment.steps.some((s) => s.uses?.startsWith("actions/checkout@")), "the comment job checks out no code");
    });

    it("checks out with tags, installs only what the configured targets need, then previews and keeps the body", () => {
        assert.deepStrictEqual(preview.steps.map(firstLine), [
            "actions/checkout",
            "actions/setup-node",
            "actions/cache",
            "npm ci",
            "install what the preview needs",
            "pinned preview",
            "actions/upload-artifact",
        ]);
        assert.strictEqual(preview.steps[0].with?.["fetch-depth"], 0);
        assert.strictEqual(preview.steps[1].with?.["node-version"], 20);
        const install = workflowStep("install what the preview needs").run ?? "";
        assert.match(install, /npx pinned env up pulumi provider-kubernetes provider-docker builder\n/);
        assert.match(install, /else\n\s+npx pinned env up\n/);
        assertHygiene([...preview.steps, ...comment.steps]);
    });

    it("the preview step writes the markdown and accepts exit codes 0 and 3 only", () => {
        const run = workflowStep("pinned preview").run ?? "";
        assert.match(run, /body="\$RUNNER_TEMP\/pinned-preview\.md"/);
        assert.match(run, /npx pinned preview --markdown > "\$body"/);
        assert.match(run, /\[ "\$code" -eq 0 \] \|\| \[ "\$code" -eq 3 \]/);
    });

    it("the comment step updates its own earlier comment, found by the marker the preview prints and by its author", () => {
        const step = workflowStep("comment on the pull request");
        assert.ok(step.run?.includes(`startswith("${MARKDOWN_MARKER}")`), step.run);
        assert.ok(step.run?.includes('.user.login == "github-actions[bot]"'), step.run);
        assert.match(step.run ?? "", /--body-file "\$body"/);
        assert.match(comment.if ?? "", /always\(\)/);
        assert.match(comment.if ?? "", /needs\.preview\.outputs\.exit-code/);
    });
});

describe("release workflow (.github/workflows/pinned-release.yml)", () => {
    const doc = readWorkflow(RELEASE_WORKFLOW);
    const release = doc.jobs.release;
    const record = doc.jobs.record;

    it("runs on release tags only, one at a time, never cancelled halfway", () => {
        assert.deepStrictEqual(doc.on, { push: { tags: ["[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]-[0-9][0-9][0-9]"] } });
        assert.deepStrictEqual((doc as unknown as { concurrency: unknown }).concurrency, {
            group: "pinned-release",
            "cancel-in-progress": false,
        });
        assert.deepStrictEqual(doc.permissions, {});
    });

    it("the release credentials and the GitHub write permission never meet", () => {
        assert.deepStrictEqual(release.permissions, { contents: "read" });
        assert.deepStrictEqual(record.permissions, { contents: "write", "pull-requests": "write" });
        assert.deepStrictEqual(secretsOf(record.steps), []);
        assert.deepStrictEqual(secretsOf(release.steps), [
            "PINNED_KUBECONFIG",
            "PINNED_REGISTRY_PASSWORD",
            "PINNED_REGISTRY_PULL_PASSWORD",
            "PINNED_SIGNING_KEY",
            "PINNED_SIGNING_PASSWORD",
            "PINNED_STATE_SECRET_ACCESS_KEY",
            "PULUMI_CONFIG_PASSPHRASE",
        ]);
        assertHygiene([...release.steps, ...record.steps]);
    });

    it("releases the pushed tag with pinned up, keeps its stack file, and brings it back to the default branch by pull request", () => {
        assert.match(workflowStep("pinned up", RELEASE_WORKFLOW).run ?? "", /npx pinned up --release "\$RELEASE"/);
        assert.strictEqual(workflowStep("pinned up", RELEASE_WORKFLOW).env?.RELEASE, "${{ github.ref_name }}");
        const open = workflowStep("open a pull request with the recorded stack file", RELEASE_WORKFLOW).run ?? "";
        assert.match(open, /gh pr create --repo "\$REPO" --base "\$BASE" --head "\$branch"/);
        assert.match(open, /gh auth setup-git/);
        assert.doesNotMatch(open, /x-access-token|GH_TOKEN}@/, "no token in a URL");
    });
});

describe("both workflows are actionlint-clean", () => {
    it("actionlint (with shellcheck on every run script) reports nothing", function () {
        this.timeout(120_000);
        const r = spawnSync("bash", ["scripts/lint/actionlint.sh"], { encoding: "utf8" });
        assert.strictEqual(r.status, 0, `${r.stdout}${r.stderr}`);
    });
});
