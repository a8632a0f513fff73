import * as assert from "assert";
import { LiveDeployment } from "../../pipeline/cluster/live";
import { confirmRollout } from "../../pipeline/cluster/rollout";

const DIGEST = `127.0.0.1:5000/pinned/app@sha256:${"a".repeat(64)}`;
const OTHER = `127.0.0.1:5000/pinned/app@sha256:${"b".repeat(64)}`;

/** A Deployment read that answers `states` in turn, then the last one forever. */
function reads(...states: Array<LiveDeployment | undefined>): () => Promise<LiveDeployment | undefined> {
    let i = 0;
    return async () => states[Math.min(i++, states.length - 1)];
}

describe("a release is live only once its rollout is seen complete from outside", function () {
    this.timeout(10_000);
    it("waits through a rollout under way, and is content once it completes with the digest", async () => {
        const read = reads(
            { image: DIGEST, rollout: { kind: "progressing", detail: "0 of 1 updated replicas are available" } },
            { image: DIGEST, rollout: { kind: "complete" } },
        );
        assert.strictEqual(await confirmRollout(read, DIGEST, 30), undefined);
    });

    it("says why not: a failed rollout, another image, no Deployment, or time up", async () => {
        assert.strictEqual(
            await confirmRollout(
                reads({ image: DIGEST, rollout: { kind: "failed", detail: 'ReplicaSet "x" has timed out progressing.' } }),
                DIGEST,
                30,
            ),
            'its rollout failed: ReplicaSet "x" has timed out progressing.',
        );
        assert.strictEqual(
            await confirmRollout(reads({ image: OTHER, rollout: { kind: "complete" } }), DIGEST, 30),
            `the Deployment runs ${OTHER}, not ${DIGEST}`,
        );
        assert.strictEqual(await confirmRollout(reads(undefined), DIGEST, 30), "the Deployment is gone");
        assert.strictEqual(
            await confirmRollout(reads({ image: DIGEST, rollout: { kind: "progressing", detail: "waiting" } }), DIGEST, 0),
            "its rollout is still under way after 0 s: waiting",
        );
    });
});
