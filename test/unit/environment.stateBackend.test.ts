import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../../core/errors";
import { stateBackend } from "../../pipeline/engine/environment";
import { PROJECT_DIR } from "../../pipeline/project/projectDir";
import { useTempCache } from "../support/tempCache";
import { testContext } from "../support/context";

describe("where stack state lives: the project, the embedded store, or the team's", () => {
    const cacheOf = useTempCache("pinned-state-");
    let cache: string;
    beforeEach(() => (cache = cacheOf()));
    const storeEnv = () =>
        fs.writeFileSync(
            path.join(cache, "store.env"),
            [
                "STORE_URL='s3://pinned-state?endpoint=http://127.0.0.1:7070&use_path_style=true&region=us-east-1'",
                "STORE_ENDPOINT=http://127.0.0.1:7070",
                "STORE_BUCKET=pinned-state",
                `STORE_CREDENTIALS_FILE=${cache}/store/credentials`,
                `STORE_AWS_CREDENTIALS_FILE=${cache}/store/aws-credentials`,
            ].join("\n"),
        );

    it("by default the project's .pulumi/ directory; an empty PULUMI_BACKEND_URL counts as unset", () => {
        const own = { PULUMI_BACKEND_URL: `file://${path.join(PROJECT_DIR, ".pulumi")}` };
        assert.deepStrictEqual(stateBackend(testContext({ PINNED_CACHE: cache })), own);
        assert.deepStrictEqual(stateBackend(testContext({ PINNED_CACHE: cache, PULUMI_BACKEND_URL: "" })), own);
        assert.deepStrictEqual(stateBackend(testContext({ PINNED_CACHE: cache, PINNED_STATE: "file" })), own);
    });

    it("PINNED_STATE=store: the embedded store, its credentials as a file (never the secret itself in the environment)", () => {
        storeEnv();
        assert.deepStrictEqual(stateBackend(testContext({ PINNED_CACHE: cache, PINNED_STATE: "store" })), {
            PULUMI_BACKEND_URL: "s3://pinned-state?endpoint=http://127.0.0.1:7070&use_path_style=true&region=us-east-1",
            AWS_SHARED_CREDENTIALS_FILE: `${cache}/store/aws-credentials`,
            AWS_PROFILE: "default",
        });
    });

    it("the user's own PULUMI_BACKEND_URL wins over both", () => {
        storeEnv();
        assert.deepStrictEqual(
            stateBackend(testContext({ PINNED_CACHE: cache, PINNED_STATE: "store", PULUMI_BACKEND_URL: "s3://team?region=eu-west-1" })),
            {
                PULUMI_BACKEND_URL: "s3://team?region=eu-west-1",
            },
        );
    });

    it("refuses a store that is not set up, and a value that means nothing, naming the fix", () => {
        assert.throws(
            () => stateBackend(testContext({ PINNED_CACHE: cache, PINNED_STATE: "store" })),
            (err: unknown) => err instanceof ConfigError && /not set up/.test(err.problem) && /pinned env up/.test(err.fix),
        );
        assert.throws(
            () => stateBackend(testContext({ PINNED_CACHE: cache, PINNED_STATE: "s3" })),
            /PINNED_STATE="s3" is neither file nor store/,
        );
    });
});
