import * as assert from "assert";
import { rolloutState } from "../../pipeline/cluster/live";

describe("rollout state of a live Deployment", () => {
    const base = { metadata: { generation: 2 }, spec: { replicas: 2 } };
    it("complete: the latest spec seen, every replica updated and available", () => {
        const s = rolloutState({ ...base, status: { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 } });
        assert.deepStrictEqual(s, { kind: "complete" });
    });
    it("progressing: old pods still serve while new ones start", () => {
        const s = rolloutState({ ...base, status: { observedGeneration: 2, replicas: 3, updatedReplicas: 1, availableReplicas: 2 } });
        assert.deepStrictEqual(s, { kind: "progressing", detail: "1 of 2 updated, 2 available" });
    });
    it("progressing: the controller has not seen the new spec", () => {
        assert.strictEqual(rolloutState({ ...base, status: { observedGeneration: 1 } }).kind, "progressing");
    });
    it("failed: the progress deadline passed", () => {
        const s = rolloutState({
            ...base,
            status: {
                observedGeneration: 2,
                conditions: [
                    {
                        type: "Progressing",
                        status: "False",
                        reason: "ProgressDeadlineExceeded",
                        message: 'ReplicaSet "x" has timed out progressing.',
                    },
                ],
            },
        });
        assert.deepStrictEqual(s, { kind: "failed", detail: 'ReplicaSet "x" has timed out progressing.' });
    });
});
