import * as assert from "assert";
import { PinnedError } from "../../core/errors";
import { kubernetesObject, pendingIn, planPendingActions, refreshArgs } from "../../pipeline/workflow/pendingOperations";

const URN =
    "urn:pulumi:R::pinned::pinned:index:Release$pinned:index:PinnedDeployment$kubernetes:apps/v1:Deployment::release-app-deployment";
const op = (operation: string, type: string, inputs: Record<string, unknown> = {}) => ({ operation, urn: `urn-${type}`, type, inputs });
const deployment = { ...op("creating", "kubernetes:apps/v1:Deployment", { metadata: { name: "app", namespace: "prod" } }), urn: URN };

/** What a stopped engine left, and what pinned does about each, without an engine or a cluster. */
describe("pending operations a stopped engine left (pendingOperations)", () => {
    it("reads them from a checkpoint and from an export", () => {
        const raw = [{ type: "creating", resource: { urn: URN, type: "kubernetes:apps/v1:Deployment", inputs: { a: 1 } } }];
        const want = [{ operation: "creating", urn: URN, type: "kubernetes:apps/v1:Deployment", inputs: { a: 1 } }];
        assert.deepStrictEqual(pendingIn(JSON.stringify({ checkpoint: { latest: { pending_operations: raw } } })), want);
        assert.deepStrictEqual(pendingIn(JSON.stringify({ deployment: { pending_operations: raw } })), want);
        assert.deepStrictEqual(pendingIn(JSON.stringify({ deployment: {} })), []);
    });

    it("names a Kubernetes object as kubectl takes it and as the provider's ID", () => {
        assert.deepStrictEqual(kubernetesObject(deployment), { ref: "Deployment.v1.apps/app", namespace: "prod", id: "prod/app" });
        const secret = op("creating", "kubernetes:core/v1:Secret", { metadata: { name: "s", namespace: "n" } });
        assert.deepStrictEqual(kubernetesObject(secret), { ref: "Secret.v1./s", namespace: "n", id: "n/s" });
        const ns = op("creating", "kubernetes:core/v1:Namespace", { metadata: { name: "n" } });
        assert.deepStrictEqual(kubernetesObject(ns), { ref: "Namespace.v1./n", namespace: "", id: "n" });
        assert.strictEqual(kubernetesObject(op("creating", "pulumi:providers:kubernetes")), undefined);
    });

    it("imports a create the cluster has, drops one it has not, and leaves the rest to the refresh", async () => {
        const gone = op("creating", "kubernetes:core/v1:Service", { metadata: { name: "svc", namespace: "prod" } });
        const provider = op("creating", "pulumi:providers:kubernetes");
        const update = op("updating", "kubernetes:apps/v1:Deployment");
        const asked: string[] = [];
        const actions = await planPendingActions([deployment, gone, provider, update], async (ref, namespace) => {
            asked.push(`${namespace} ${ref}`);
            return ref.startsWith("Deployment");
        });
        assert.deepStrictEqual(asked, ["prod Deployment.v1.apps/app", "prod Service.v1./svc"]);
        assert.deepStrictEqual(
            actions.map((a) => [a.importId, a.done]),
            [
                ["prod/app", "imported: prod/app exists in the cluster"],
                [undefined, "dropped: prod/svc is not in the cluster"],
                [undefined, "dropped: a provider is no object"],
                [undefined, "read back by a refresh"],
            ],
        );
        assert.deepStrictEqual(refreshArgs("R", actions), [
            "refresh",
            "--stack",
            "R",
            "--yes",
            "--skip-preview",
            "--non-interactive",
            "--import-pending-creates",
            URN,
            "--import-pending-creates",
            "prod/app",
            "--clear-pending-creates",
        ]);
        // Only updates: a plain refresh, which clears them.
        assert.deepStrictEqual(refreshArgs("R", [actions[3]]), ["refresh", "--stack", "R", "--yes", "--skip-preview", "--non-interactive"]);
    });

    it("refuses a create it cannot look up, naming it and the engine's own way to resolve it", async () => {
        const other = op("creating", "docker:index/remoteImage:RemoteImage");
        await assert.rejects(
            planPendingActions([other], async () => true),
            (err: PinnedError) => {
                assert.match(err.problem, /pending create of urn-docker:index\/remoteImage:RemoteImage .* cannot tell whether it was made/);
                assert.match(err.fix, /pulumi refresh --stack/);
                return true;
            },
        );
    });
});
