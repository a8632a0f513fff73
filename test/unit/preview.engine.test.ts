import * as assert from "assert";
import { renameStack } from "../../pipeline/engine/preview";

describe("stack state copied for a preview", () => {
    it("renames the stack in every URN and drops the old secrets provider; values stay as they were", () => {
        const state = JSON.stringify({
            version: 3,
            deployment: {
                secrets_providers: { type: "passphrase", state: { salt: "x" } },
                resources: [
                    { urn: "urn:pulumi:2026-11-27-001::pinned::pulumi:pulumi:Stack::pinned-2026-11-27-001", type: "pulumi:pulumi:Stack" },
                    {
                        urn: "urn:pulumi:2026-11-27-001::pinned::pinned:index:Release::release",
                        parent: "urn:pulumi:2026-11-27-001::pinned::pulumi:pulumi:Stack::pinned-2026-11-27-001",
                        inputs: { annotation: "2026-11-27-001" },
                    },
                ],
            },
        });
        const renamed = JSON.parse(renameStack(state, "2026-11-27-001", "2026-12-04-001"));
        assert.strictEqual(renamed.deployment.secrets_providers, undefined);
        assert.strictEqual(
            renamed.deployment.resources[0].urn,
            "urn:pulumi:2026-12-04-001::pinned::pulumi:pulumi:Stack::pinned-2026-12-04-001",
        );
        assert.strictEqual(renamed.deployment.resources[1].parent, renamed.deployment.resources[0].urn);
        assert.strictEqual(
            renamed.deployment.resources[1].inputs.annotation,
            "2026-11-27-001",
            "the old release's values are the 'before' of the diff",
        );
    });
});
