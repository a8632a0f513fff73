import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { AddressInfo } from "net";
import { assertBasesPresent, BaseMissingError, lookUpBases } from "../../core/baseDrift";
import { mirrorHistory } from "../../pipeline/project/baseMirror";

const OLD = `sha256:${"0b".repeat(32)}`;

/** A loopback registry holding one image under `tag`, with labels, and no manifest for any other reference. */
async function fakeRegistry(tag: string, labels: Record<string, string>) {
    const config = JSON.stringify({ config: { Labels: labels } });
    const configDigest = `sha256:${crypto.createHash("sha256").update(config).digest("hex")}`;
    const manifest = JSON.stringify({ schemaVersion: 2, config: { digest: configDigest } });
    const manifestDigest = `sha256:${crypto.createHash("sha256").update(manifest).digest("hex")}`;
    const server = http.createServer((req, res) => {
        const url = req.url ?? "";
        if (url.endsWith(`/manifests/${tag}`) || url.endsWith(`/manifests/${manifestDigest}`)) {
            res.writeHead(200, { "docker-content-digest": manifestDigest, "content-type": "application/json" }).end(manifest);
        } else if (url.endsWith(`/blobs/${configDigest}`)) {
            res.writeHead(200).end(config);
        } else {
            res.writeHead(404).end();
        }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { host, digest: manifestDigest, close: () => server.close() };
}

describe("a recipe's base against the registry", () => {
    const labels = { "pinned.base.debian-version": "12.15", "pinned.base.packages": `sha256:${"cd".repeat(32)} (110 packages)` };

    it("a pinned digest the registry lacks is refused with both digests, both states, the changed packages and the re-pin command", async () => {
        const reg = await fakeRegistry("3.11.2-bookworm", labels);
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), "pinned-mirror-"));
        try {
            // What this machine's mirror recorded of both builds.
            const work = path.join(cache, "base-image", "pinned-python");
            fs.mkdirSync(path.join(work, "packages"), { recursive: true });
            fs.writeFileSync(
                path.join(work, "history.tsv"),
                `${OLD}\t12.12\tsha256:${"ab".repeat(32)} (110 packages)\t2026-11-27\n${reg.digest}\t12.15\t${labels["pinned.base.packages"]}\t2026-12-02\n`,
            );
            fs.writeFileSync(path.join(work, "packages", `${OLD.slice(7)}.tsv`), "libc6\t2.36-9+deb12u10\npython3\t3.11.2-1+b1\n");
            fs.writeFileSync(path.join(work, "packages", `${reg.digest.slice(7)}.tsv`), "libc6\t2.36-9+deb12u13\npython3\t3.11.2-1+b1\n");
            const text = `FROM ${reg.host}/pinned/python:3.11.2-bookworm@${OLD}\nFROM ${reg.host.replace("127.0.0.1", "localhost")}/other:1@${OLD}\n`;
            const err = await assertBasesPresent(text, "app/Dockerfile", { registry: reg.host }, mirrorHistory(cache)).then(
                () => undefined,
                (e: unknown) => e,
            );
            assert.ok(err instanceof BaseMissingError, String(err));
            assert.match(
                err.problem,
                new RegExp(`app/Dockerfile:1 pins its base ${reg.host}/pinned/python:3\\.11\\.2-bookworm@sha256:0b0b0b0b0b0b…`),
            );
            assert.match(
                err.problem,
                /pinned: {5}sha256:0b0b0b0b0b0b…: built here on 2026-11-27, Debian 12\.12, packages sha256:abababababab…/,
            );
            assert.match(
                err.problem,
                new RegExp(
                    `registry: {3}${reg.digest.slice(0, 19)}… under :3\\.11\\.2-bookworm: Debian 12\\.15, packages sha256:cdcdcdcdcdcd…`,
                ),
            );
            assert.match(err.problem, /packages: {3}1 differ: libc6 2\.36-9\+deb12u10 → 2\.36-9\+deb12u13/);
            assert.match(err.problem, /Debian's archive/);
            assert.match(err.fix, /npx pinned base update --commit/);
            // The base on another host is not ours to look up: only line 1 is named.
            assert.doesNotMatch(err.problem, /Dockerfile:2/);
        } finally {
            reg.close();
            fs.rmSync(cache, { recursive: true, force: true });
        }
    });

    it("without a record anywhere, the message says the recipe does not record its base's state", async () => {
        const reg = await fakeRegistry("1.0", {});
        try {
            const err = await assertBasesPresent(`FROM ${reg.host}/a/b:1.0@${OLD}\n`, "Dockerfile", { registry: reg.host }).then(
                () => undefined,
                (e: unknown) => e as BaseMissingError,
            );
            assert.match(String(err?.problem), /the recipe does not record what it was built from/);
            assert.match(String(err?.problem), /under :1\.0: no archive state recorded/);
            assert.doesNotMatch(String(err?.problem), /Debian's archive/);
        } finally {
            reg.close();
        }
    });

    it("a base the registry holds passes; its tag is read only when asked", async () => {
        const reg = await fakeRegistry("3.11.2-bookworm", labels);
        try {
            const text = `FROM ${reg.host}/pinned/python:3.11.2-bookworm@${reg.digest}\n`;
            await assertBasesPresent(text, "Dockerfile", { registry: reg.host });
            const [plain] = await lookUpBases(text, { registry: reg.host });
            assert.deepStrictEqual([plain.present, plain.current], [true, undefined]);
            const [withTag] = await lookUpBases(text, { registry: reg.host }, true);
            assert.strictEqual(withTag.current?.digest, reg.digest);
            assert.strictEqual(withTag.current?.state?.debianVersion, "12.15");
        } finally {
            reg.close();
        }
    });
});
