import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { PinnedError } from "../../core/errors";
import { parseReleaseName } from "../../core/git/releaseName";
import { kubectlFor } from "../../pipeline/cluster/kubectl";
import { Context } from "../../pipeline/context";
import { UpdateFailedError } from "../../pipeline/engine/update";
import { DeployRequest } from "../../pipeline/workflow/deployRequest";
import { putBackPrevious, RolloutFailedError } from "../../pipeline/workflow/putBackPrevious";
import { recordedSteps } from "../support/recordedSteps";

const FAILED = parseReleaseName("2026-12-03-002");
const PREVIOUS = "2026-12-03-001";
const OLD_IMAGE = `127.0.0.1:5000/pinned/app@sha256:${"1".repeat(64)}`;
const NEW_IMAGE = `127.0.0.1:5000/pinned/app@sha256:${"2".repeat(64)}`;

/**
 * After a release's pods failed (workflow/putBackPrevious.ts): the release
 * that was live before is put back through its own recorded stack, the
 * failed release's new stack and stack file go, and the error says what
 * runs now. The project (its stack files) is a temporary folder given in
 * the context, and so is the kubectl runner: a stand-in kubectl first on
 * the PATH of its environment answers the live reads with what the test
 * says is live, and the pods' diagnosis with none.
 */
describe("putBackPrevious: the release that was live before comes back", () => {
    let dir: string;
    let projectDir: string;
    /** The project and the kubectl runner with the stand-in first on its PATH. */
    let ctx: Pick<Context, "projectDir" | "kubectl">;
    let removed: Array<[string, unknown]>;

    /** What the stand-in kubectl says is live: a Deployment running `image` of `release`, or none. */
    const live = (image?: string, release?: string) => {
        const file = path.join(dir, "live.json");
        if (!image) {
            fs.rmSync(file, { force: true });
            return;
        }
        const d = {
            metadata: { generation: 1, annotations: release ? { "pinned/release": release } : {} },
            spec: { replicas: 1, template: { spec: { containers: [{ image }] } } },
            status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
        };
        fs.writeFileSync(file, JSON.stringify(d));
    };

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-put-back-"));
        projectDir = path.join(dir, "project");
        fs.mkdirSync(path.join(projectDir, "stacks"), { recursive: true });
        fs.writeFileSync(
            path.join(projectDir, "stacks", `Pulumi.${PREVIOUS}.yaml`),
            `config:\n  pinned:commit: ${"c".repeat(40)}\n  pinned:imageDigest: ${OLD_IMAGE}\n`,
        );
        // The failed release's stack file, made by its run (nothing was there before).
        fs.writeFileSync(path.join(projectDir, "stacks", `Pulumi.${FAILED}.yaml`), `config:\n  pinned:commit: ${"d".repeat(40)}\n`);
        fs.mkdirSync(path.join(dir, "bin"));
        fs.writeFileSync(
            path.join(dir, "bin", "kubectl"),
            [
                "#!/bin/sh",
                'case "$*" in',
                `  *"get deployment"*) if [ -f "${dir}/live.json" ]; then cat "${dir}/live.json"; else echo 'Error from server (NotFound)' >&2; exit 1; fi ;;`,
                "  *) echo '{\"items\": []}' ;;",
                "esac",
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
        ctx = {
            projectDir,
            kubectl: kubectlFor({ ...process.env, PATH: `${path.join(dir, "bin")}${path.delimiter}${process.env.PATH ?? ""}` }),
        };
        removed = [];
    });
    afterEach(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    /** The failed update of the failed release, whose stack this run created. */
    const failure = () => {
        const stack = {
            name: FAILED,
            workspace: { removeStack: async (name: string, opts: unknown) => void removed.push([name, opts]) },
        } as unknown as Stack;
        return new UpdateFailedError("the update of stack 2026-12-03-002 failed", "fix it", stack, { fileBefore: undefined });
    };

    const request = (update: (req: DeployRequest) => Promise<string>, before = { image: OLD_IMAGE, release: PREVIOUS }) => ({
        req: { release: FAILED, commit: "d".repeat(40), command: "pinned up" },
        failure: failure(),
        before: before && { ...before, rollout: { kind: "complete" as const }, object: {} },
        target: { kind: "cluster" as const, kubeconfig: path.join(dir, "kubeconfig"), source: "test" },
        namespace: "default",
        appName: "pinned-app",
        progress: recordedSteps(),
        update,
    });

    it("puts the previous release back through its own stack, then removes the failed release's new stack and file", async () => {
        live(NEW_IMAGE, FAILED);
        const updates: DeployRequest[] = [];
        const err = await putBackPrevious(
            ctx,
            request(async (req) => {
                updates.push(req);
                live(OLD_IMAGE, PREVIOUS);
                return OLD_IMAGE;
            }),
        );
        assert.ok(err instanceof RolloutFailedError);
        assert.deepStrictEqual(
            updates.map((u) => [u.release, u.record?.imageDigest, u.commit, u.command]),
            [[PREVIOUS, OLD_IMAGE, "c".repeat(40), `put back ${PREVIOUS} after ${FAILED} failed`]],
        );
        assert.match(err.problem, /^release 2026-12-03-002 did not become ready on default\/pinned-app; the kubelet says:/);
        assert.match(
            err.problem,
            new RegExp(`Put back: default/pinned-app runs release ${PREVIOUS} again \\(${OLD_IMAGE.replace(/[.]/g, "\\.")}\\)`),
        );
        assert.deepStrictEqual(removed, [[FAILED, { force: true, preserveConfig: true }]]);
        assert.ok(!fs.existsSync(path.join(projectDir, "stacks", `Pulumi.${FAILED}.yaml`)), "the failed release's new stack file is gone");
        assert.ok(fs.existsSync(path.join(projectDir, "stacks", `Pulumi.${PREVIOUS}.yaml`)));
    });

    it("a put-back that fails too says so, with what is live and the rollback by hand; the failed stack stays", async () => {
        live(NEW_IMAGE, FAILED);
        const err = await putBackPrevious(
            ctx,
            request(async () => {
                throw new PinnedError("the registry no longer has the image", "push it back");
            }),
        );
        assert.match(err.problem, new RegExp(`Putting back ${PREVIOUS} failed too: the registry no longer has the image`));
        assert.match(err.problem, new RegExp(`Live now: ${NEW_IMAGE.replace(/[.]/g, "\\.")} \\(release ${FAILED}\\)`));
        assert.match(err.fix, new RegExp(`pinned rollback --to ${PREVIOUS}`));
        assert.deepStrictEqual(removed, []);
    });

    it("nothing is put back when what ran before is not the previous release's recorded image, or nothing ran", async () => {
        let updates = 0;
        const update = async () => {
            updates++;
            return "";
        };
        const other = await putBackPrevious(ctx, request(update, { image: NEW_IMAGE, release: PREVIOUS }));
        assert.match(other.problem, /which no recorded release can put back, so 2026-12-03-002's failing pods stay/);
        const none = await putBackPrevious(ctx, { ...request(update), before: undefined });
        assert.match(none.problem, /Before it, default\/pinned-app ran nothing/);
        assert.strictEqual(updates, 0);
    });

    it("a previous release with no stack file in the context's project is not put back", async () => {
        fs.rmSync(path.join(projectDir, "stacks", `Pulumi.${PREVIOUS}.yaml`));
        let updates = 0;
        const err = await putBackPrevious(
            ctx,
            request(async () => {
                updates++;
                return "";
            }),
        );
        assert.strictEqual(updates, 0);
        assert.match(err.problem, /no recorded release can put back/);
    });
});
