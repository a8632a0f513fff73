import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { useTempCache } from "../support/tempCache";
import { localSigning } from "../../core/localCache";

describe("localSigning: the signing tools and key recorded by scripts/env/signing.sh", () => {
    const cacheOf = useTempCache("pinned-signing-");
    let cache: string;
    beforeEach(() => (cache = cacheOf()));

    /** signing.env as the script writes it, with the given lines left out. */
    function writeEnv(without: string[] = []): void {
        const lines = [
            `COSIGN=${cache}/tools/bin/cosign`,
            "COSIGN_VERSION=v2.6.5",
            `SYFT=${cache}/tools/bin/syft`,
            "SYFT_VERSION=v1.57.2",
            `SIGNING_KEY=${cache}/signing/cosign.key`,
            `SIGNING_PUBLIC_KEY=${cache}/signing/cosign.pub`,
            `SIGNING_PASSWORD_FILE=${cache}/signing/password`,
        ].filter((line) => !without.includes(line.split("=")[0]));
        fs.writeFileSync(path.join(cache, "signing.env"), `${lines.join("\n")}\n`);
    }

    it("reads every path and version from signing.env in the cache folder given", () => {
        writeEnv();
        assert.deepStrictEqual(localSigning(cache), {
            cosign: path.join(cache, "tools", "bin", "cosign"),
            syft: path.join(cache, "tools", "bin", "syft"),
            key: path.join(cache, "signing", "cosign.key"),
            publicKey: path.join(cache, "signing", "cosign.pub"),
            passwordFile: path.join(cache, "signing", "password"),
            cosignVersion: "v2.6.5",
            syftVersion: "v1.57.2",
        });
    });

    it("is undefined before the signing part ran (no signing.env)", () => {
        assert.strictEqual(localSigning(cache), undefined);
    });

    for (const missing of [
        "COSIGN",
        "SYFT",
        "SIGNING_KEY",
        "SIGNING_PUBLIC_KEY",
        "SIGNING_PASSWORD_FILE",
        "COSIGN_VERSION",
        "SYFT_VERSION",
    ]) {
        it(`is undefined when signing.env lacks ${missing}`, () => {
            writeEnv([missing]);
            assert.strictEqual(localSigning(cache), undefined);
        });
    }

    it("accepts quoted values and export lines, as readEnvFile does", () => {
        writeEnv(["COSIGN"]);
        fs.appendFileSync(path.join(cache, "signing.env"), `export COSIGN='${cache}/my tools/cosign'\n`);
        assert.strictEqual(localSigning(cache)?.cosign, path.join(cache, "my tools", "cosign"));
    });
});
