import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { useTempCache } from "../support/tempCache";
import { localStore, storeCredentials } from "../../core/localCache";

describe("localStore: the state store recorded by scripts/env/store.sh", () => {
    const cacheOf = useTempCache("pinned-store-");
    let cache: string;
    beforeEach(() => (cache = cacheOf()));

    const url = "s3://pinned-state?endpoint=http://127.0.0.1:7070&use_path_style=true&region=us-east-1";

    /** store.env as the script writes it (the URL single-quoted), with the given keys left out. */
    function writeEnv(without: string[] = []): void {
        const lines = [
            `STORE_URL='${url}'`,
            "STORE_ENDPOINT=http://127.0.0.1:7070",
            "STORE_BUCKET=pinned-state",
            "STORE_REGION=us-east-1",
            `STORE_CREDENTIALS_FILE=${cache}/store/credentials`,
            `STORE_AWS_CREDENTIALS_FILE=${cache}/store/aws-credentials`,
            `VERSITYGW=${cache}/tools/bin/versitygw`,
            "VERSITYGW_VERSION=v1.8.0",
        ].filter((line) => !without.includes(line.split("=")[0]));
        fs.writeFileSync(path.join(cache, "store.env"), `${lines.join("\n")}\n`);
    }

    it("reads the backend URL (quotes removed), endpoint, bucket and credentials files from $PINNED_CACHE/store.env", () => {
        writeEnv();
        assert.deepStrictEqual(localStore(), {
            url,
            credentialsFile: path.join(cache, "store", "credentials"),
            awsCredentialsFile: path.join(cache, "store", "aws-credentials"),
            endpoint: "http://127.0.0.1:7070",
            bucket: "pinned-state",
        });
    });

    it("is undefined before the store part ran (no store.env)", () => {
        assert.strictEqual(localStore(), undefined);
    });

    for (const missing of ["STORE_URL", "STORE_CREDENTIALS_FILE", "STORE_AWS_CREDENTIALS_FILE", "STORE_ENDPOINT", "STORE_BUCKET"]) {
        it(`is undefined when store.env lacks ${missing}`, () => {
            writeEnv([missing]);
            assert.strictEqual(localStore(), undefined);
        });
    }

    it("storeCredentials reads the access key and secret under the names the AWS SDKs read", () => {
        const file = path.join(cache, "credentials");
        fs.writeFileSync(file, "AWS_ACCESS_KEY_ID=0123456789abcdef0123\nAWS_SECRET_ACCESS_KEY=00112233445566778899aabbccddeeff00112233\n");
        assert.deepStrictEqual(storeCredentials(file), {
            AWS_ACCESS_KEY_ID: "0123456789abcdef0123",
            AWS_SECRET_ACCESS_KEY: "00112233445566778899aabbccddeeff00112233",
        });
    });

    it("storeCredentials throws, naming the file, when it is missing", () => {
        const file = path.join(cache, "no-such-credentials");
        assert.throws(
            () => storeCredentials(file),
            (e: Error) => e.message.includes(file) && e.message.includes("pinned env up store"),
        );
    });

    for (const missing of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
        it(`storeCredentials throws when the file lacks ${missing}`, () => {
            const file = path.join(cache, "credentials");
            const lines = ["AWS_ACCESS_KEY_ID=0123456789abcdef0123", "AWS_SECRET_ACCESS_KEY=00112233445566778899aabbccddeeff00112233"];
            fs.writeFileSync(file, `${lines.filter((l) => !l.startsWith(`${missing}=`)).join("\n")}\n`);
            assert.throws(
                () => storeCredentials(file),
                (e: Error) => e.message.includes(file) && e.message.includes(missing),
            );
        });
    }
});
