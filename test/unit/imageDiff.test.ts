import * as assert from "assert";
import * as zlib from "zlib";
import { ImageContentError, RegistryError } from "../../core/errors";
import { diffImages, formatImageDifference, humanSize, ImageDifference, LayerDifference } from "../../core/imageDiff";
import { jsonChanges } from "../../core/imageDiff/jsonChanges";
import { fetchManifest } from "../../core/registry";
import { imageRegistry, sha256, TestImage, TestRegistry } from "../support/imageRegistry";
import { tarArchive, TarFile } from "../support/tarWriter";

const BASE = tarArchive([
    { path: "etc/", type: "directory" },
    { path: "etc/debian_version", content: "12.12" },
    { path: "usr/bin/python3", type: "symlink", linkTarget: "python3.11" },
]);
const SERVER: TarFile = { path: "app/server.py", content: "print(1)\n" };
const RUN: TarFile = { path: "app/run.sh", content: "#!/bin/sh\n", mode: 0o644 };

/** The app layer: its directory, then `files`. */
function appLayer(...files: TarFile[]): Buffer {
    return tarArchive([{ path: "app/", type: "directory" }, ...files]);
}

/** The image: the base layer, then the app layer of `files`. */
function image(files: TarFile[], more: Partial<TestImage> = {}): TestImage {
    return { layers: [{ tar: BASE }, { tar: appLayer(...files) }], ...more };
}

/** The layer at `index`, which the test expects to be of `kind`. */
function layer<K extends LayerDifference["kind"]>(diff: ImageDifference, index: number, kind: K): Extract<LayerDifference, { kind: K }> {
    const found = diff.layers[index];
    assert.strictEqual(found.kind, kind, `layer ${index + 1}`);
    return found as Extract<LayerDifference, { kind: K }>;
}

describe("image diff", () => {
    let reg: TestRegistry;
    beforeEach(async () => {
        reg = await imageRegistry();
    });
    afterEach(() => reg.close());
    const creds = () => ({ registry: reg.host });
    /** The blob requests for `digest` the registry served. */
    const fetched = (digest: string) => reg.requests.filter((r) => r.endsWith(`/blobs/${digest}`)).length;

    it("identical images, even in two repositories, have no differences and no layer is downloaded", async () => {
        const a = reg.push("app", image([SERVER]));
        const b = reg.push("mirror/app", image([SERVER]));
        const diff = await diffImages(a, b, creds());
        assert.strictEqual(diff.manifestDigestsEqual, true);
        assert.strictEqual(diff.configDigestsEqual, true);
        assert.deepStrictEqual(diff.configChanges, []);
        assert.deepStrictEqual(diff.manifestChanges, []);
        assert.deepStrictEqual(
            diff.layers.map((l) => l.kind),
            ["identical", "identical"],
        );
        assert.strictEqual(fetched(layer(diff, 1, "identical").before.digest), 0);
        assert.deepStrictEqual(formatImageDifference(diff), [
            `images are identical: manifest ${a.slice(a.indexOf("@") + 1, a.indexOf("@") + 20)}…`,
        ]);
    });

    it("a changed label and creation time are config fields; the layers are identical", async () => {
        const a = reg.push("app", image([SERVER], { labels: { git_hash: "abc123" } }));
        const b = reg.push("app", image([SERVER], { labels: { git_hash: "def456" }, created: "2026-12-02T18:00:00Z" }));
        const diff = await diffImages(a, b, creds());
        assert.strictEqual(diff.manifestDigestsEqual, false);
        assert.strictEqual(diff.configDigestsEqual, false);
        assert.deepStrictEqual(diff.configChanges, [
            { path: "created", before: "2026-11-27T10:00:00Z", after: "2026-12-02T18:00:00Z" },
            { path: "config.Labels.git_hash", before: "abc123", after: "def456" },
            { path: "history[0].created", before: "2026-11-27T10:00:00Z", after: "2026-12-02T18:00:00Z" },
            { path: "history[1].created", before: "2026-11-27T10:00:00Z", after: "2026-12-02T18:00:00Z" },
        ]);
        assert.deepStrictEqual(diff.manifestChanges, [], "only the config's digest and size differ, which the config accounts for");
        assert.deepStrictEqual(
            diff.layers.map((l) => l.kind),
            ["identical", "identical"],
        );
        const text = formatImageDifference(diff);
        assert.deepStrictEqual(text.slice(1), [
            "config: 4 field(s) differ",
            "  created: 2026-11-27T10:00:00Z → 2026-12-02T18:00:00Z",
            "  config.Labels.git_hash: abc123 → def456",
            "  history[0].created: 2026-11-27T10:00:00Z → 2026-12-02T18:00:00Z",
            "  history[1].created: 2026-11-27T10:00:00Z → 2026-12-02T18:00:00Z",
            "identical layer(s): 1, 2 of 2",
        ]);
        assert.match(text[0], /^manifest: sha256:[0-9a-f]{12}… → sha256:[0-9a-f]{12}…$/);
    });

    it("a file whose content changed at the same size is changed in content only; its layer's diff_id shows in the config", async () => {
        const a = reg.push("app", image([SERVER, RUN]));
        const b = reg.push("app", image([{ ...SERVER, content: "print(2)\n" }, RUN]));
        const diff = await diffImages(a, b, creds());
        assert.deepStrictEqual(
            diff.configChanges.map((c) => c.path),
            ["rootfs.diff_ids[1]"],
        );
        assert.strictEqual(diff.configChanges[0].before, `${sha256(appLayer(SERVER, RUN)).slice(0, 19)}…`);
        const app = layer(diff, 1, "changed");
        assert.deepStrictEqual(app.files.added, []);
        assert.deepStrictEqual(app.files.removed, []);
        assert.strictEqual(app.files.changed.length, 1);
        const [changed] = app.files.changed;
        assert.strictEqual(changed.path, "app/server.py");
        assert.deepStrictEqual(changed.attributes, ["content"]);
        assert.deepStrictEqual([changed.before.size, changed.after.size], [9, 9]);
        assert.strictEqual(changed.before.sha256, sha256("print(1)\n"));
        assert.strictEqual(changed.after.sha256, sha256("print(2)\n"));
        assert.strictEqual(app.entryOrderDiffers, false);
        assert.strictEqual(layer(diff, 0, "identical").before.digest, layer(diff, 0, "identical").after.digest);
        assert.strictEqual(fetched(layer(diff, 0, "identical").before.digest), 0, "the identical base layer is not downloaded");
        assert.deepStrictEqual(formatImageDifference(diff).slice(3), [
            "identical layer(s): 1 of 2",
            `layer 2 of 2 (${app.before.digest.slice(0, 19)}… → ${app.after.digest.slice(0, 19)}…): 0 added, 0 removed, 1 changed`,
            "  ~ app/server.py (9 B; content)",
        ]);
    });

    it("files added and removed are listed with their sizes", async () => {
        const a = reg.push("app", image([SERVER, { path: "app/old.txt", content: "x".repeat(1500) }]));
        const b = reg.push(
            "app",
            image([SERVER, { path: "app/new.txt", content: "y".repeat(20) }, { path: "app/lib/", type: "directory" }]),
        );
        const diff = await diffImages(a, b, creds());
        const app = layer(diff, 1, "changed");
        assert.deepStrictEqual(
            app.files.added.map((f) => [f.path, f.type, f.size]),
            [
                ["app/lib", "directory", 0],
                ["app/new.txt", "file", 20],
            ],
        );
        assert.deepStrictEqual(
            app.files.removed.map((f) => [f.path, f.size]),
            [["app/old.txt", 1500]],
        );
        assert.deepStrictEqual(app.files.changed, []);
        assert.deepStrictEqual(formatImageDifference(diff).slice(-4), [
            `layer 2 of 2 (${app.before.digest.slice(0, 19)}… → ${app.after.digest.slice(0, 19)}…): 2 added, 1 removed, 0 changed`,
            "  + app/lib (directory)",
            "  + app/new.txt (20 B)",
            "  - app/old.txt (1.5 kB)",
        ]);
    });

    it("a mode, owner, link target, type and mtime change each say so; a size change needs no hash", async () => {
        const before: TarFile[] = [
            RUN,
            { path: "app/data", content: "a".repeat(3100), uid: 0, gid: 0, uname: "root", gname: "root" },
            { path: "app/current", type: "symlink", linkTarget: "v1" },
            { path: "app/conf", content: "k=v\n" },
            { path: "app/stamp", content: "1", mtime: 1_700_000_000 },
        ];
        const after: TarFile[] = [
            { ...RUN, mode: 0o755 },
            { path: "app/data", content: "a".repeat(3200), uid: 1000, gid: 1000, uname: "app", gname: "app" },
            { path: "app/current", type: "symlink", linkTarget: "v2" },
            { path: "app/conf", type: "symlink", linkTarget: "/etc/app.conf" },
            { path: "app/stamp", content: "1", mtime: 1_700_086_400 },
        ];
        const diff = await diffImages(reg.push("app", image(before)), reg.push("app", image(after)), creds());
        const app = layer(diff, 1, "changed");
        assert.deepStrictEqual(
            app.files.changed.map((c) => [c.path, c.attributes]),
            [
                ["app/conf", ["type", "link"]],
                ["app/current", ["link"]],
                ["app/data", ["content", "owner"]],
                ["app/run.sh", ["mode"]],
                ["app/stamp", ["mtime"]],
            ],
        );
        const data = app.files.changed[2];
        assert.strictEqual(data.before.sha256, sha256("a".repeat(3100)));
        assert.strictEqual(data.after.sha256, undefined, "sizes differ: the after side is not hashed");
        assert.deepStrictEqual(formatImageDifference(diff).slice(-5), [
            "  ~ app/conf (4 B → symlink to /etc/app.conf)",
            "  ~ app/current (symlink; link v1 → v2)",
            "  ~ app/data (3.1 kB → 3.2 kB; content, owner root:root (0:0) → app:app (1000:1000))",
            "  ~ app/run.sh (10 B; mode 0644 → 0755)",
            "  ~ app/stamp (1 B; mtime)",
        ]);
    });

    it("a layer only one image has lists all its files as added or removed", async () => {
        const two = image([SERVER]);
        const three: TestImage = { layers: [...two.layers, { tar: tarArchive([{ path: "app/extra.bin", content: Buffer.alloc(2048) }]) }] };
        const a = reg.push("app", two);
        const b = reg.push("app", three);
        const grown = await diffImages(a, b, creds());
        assert.deepStrictEqual(
            grown.layers.map((l) => l.kind),
            ["identical", "identical", "only-after"],
        );
        const extra = layer(grown, 2, "only-after");
        assert.deepStrictEqual(
            extra.files.added.map((f) => [f.path, f.size, f.sha256]),
            [["app/extra.bin", 2048, sha256(Buffer.alloc(2048))]],
        );
        assert.deepStrictEqual(formatImageDifference(grown).slice(-4), [
            "layers: 2 before, 3 after",
            "identical layer(s): 1, 2 of 3",
            `layer 3 of 3 (only after: ${extra.after.digest.slice(0, 19)}…): 1 added`,
            "  + app/extra.bin (2.0 kB)",
        ]);
        const shrunk = await diffImages(b, a, creds());
        const gone = layer(shrunk, 2, "only-before");
        assert.deepStrictEqual(
            gone.files.removed.map((f) => f.path),
            ["app/extra.bin"],
        );
        assert.deepStrictEqual(formatImageDifference(shrunk).slice(-2), [
            `layer 3 of 3 (only before: ${gone.before.digest.slice(0, 19)}…): 1 removed`,
            "  - app/extra.bin (2.0 kB)",
        ]);
    });

    it("the same tar compressed differently is said so, and neither blob is downloaded", async () => {
        const tar = appLayer(SERVER, { path: "app/big.txt", content: "lorem ipsum ".repeat(500) });
        const a = reg.push("app", { layers: [{ tar: BASE }, { tar, gzipLevel: 1 }] });
        const b = reg.push("app", { layers: [{ tar: BASE }, { tar, gzipLevel: 9 }] });
        const diff = await diffImages(a, b, creds());
        const app = layer(diff, 1, "recompressed");
        assert.notStrictEqual(app.before.digest, app.after.digest);
        assert.strictEqual(app.before.diffId, sha256(tar));
        assert.strictEqual(app.after.diffId, sha256(tar));
        assert.deepStrictEqual([fetched(app.before.digest), fetched(app.after.digest)], [0, 0]);
        assert.deepStrictEqual(diff.configChanges, [], "the configs are the same: only the manifest differs");
        assert.strictEqual(diff.configDigestsEqual, true);
        assert.deepStrictEqual(
            diff.manifestChanges.map((c) => c.path),
            [],
        );
        assert.deepStrictEqual(formatImageDifference(diff).slice(1), [
            `config: identical (${diff.before.configDigest.slice(0, 19)}…)`,
            "identical layer(s): 1 of 2",
            `layer 2 of 2 (${app.before.digest.slice(0, 19)}… → ${app.after.digest.slice(0, 19)}…): same files, compressed differently`,
        ]);
    });

    it("an uncompressed layer against its gzip form, in OCI against Docker manifests: media types differ, files do not", async () => {
        const a = reg.push("app", { layers: [{ tar: BASE }, { tar: appLayer(SERVER), compression: "none" }], format: "oci" });
        const b = reg.push("app", image([SERVER]));
        const diff = await diffImages(a, b, creds());
        assert.deepStrictEqual(
            diff.manifestChanges.map((c) => [c.path, c.before, c.after]),
            [
                ["mediaType", "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"],
                ["config.mediaType", "application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"],
                ["layers[0].mediaType", "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.docker.image.rootfs.diff.tar.gzip"],
                ["layers[1].mediaType", "application/vnd.oci.image.layer.v1.tar", "application/vnd.docker.image.rootfs.diff.tar.gzip"],
            ],
        );
        layer(diff, 0, "identical");
        const app = layer(diff, 1, "recompressed");
        assert.strictEqual(app.before.size, appLayer(SERVER).length);
        assert.match(
            formatImageDifference(diff).at(-1) ?? "",
            /: same files, compressed differently; application\/vnd\.oci\.image\.layer\.v1\.tar → application\/vnd\.docker\.image\.rootfs\.diff\.tar\.gzip$/,
        );
    });

    it("an uncompressed layer with other files is read as it is", async () => {
        const a = reg.push("app", { layers: [{ tar: appLayer(SERVER), compression: "none" }], format: "oci" });
        const b = reg.push("app", { layers: [{ tar: appLayer(SERVER, RUN), compression: "none" }], format: "oci" });
        const app = layer(await diffImages(a, b, creds()), 0, "changed");
        assert.deepStrictEqual(
            app.files.added.map((f) => f.path),
            ["app/run.sh"],
        );
    });

    it("tars of the same entries in another order are read, and said to differ only in order", async () => {
        const a = reg.push("app", { layers: [{ tar: appLayer(SERVER, RUN) }] });
        const b = reg.push("app", { layers: [{ tar: appLayer(RUN, SERVER) }] });
        const app = layer(await diffImages(a, b, creds()), 0, "changed");
        assert.deepStrictEqual(app.files, { added: [], removed: [], changed: [] });
        assert.strictEqual(app.entryOrderDiffers, true);
        const text = formatImageDifference(await diffImages(a, b, creds()));
        assert.strictEqual(text.at(-1), "  the same entries and attributes, archived in another order");
    });

    it("long file lists are capped, changed content before mtime-only changes", async () => {
        const many = (mtime: number) => Array.from({ length: 6 }, (_, i) => ({ path: `app/f${i}`, content: "x", mtime }));
        const a = reg.push("app", image([...many(1), { path: "app/z", content: "1" }]));
        const b = reg.push("app", image([...many(2), { path: "app/z", content: "2" }, { path: "app/new", content: "" }]));
        const diff = await diffImages(a, b, creds());
        assert.deepStrictEqual(formatImageDifference(diff, { maxFilesPerLayer: 3 }).slice(-4), [
            "  + app/new (0 B)",
            "  ~ app/z (1 B; content)",
            "  ~ app/f0 (1 B; mtime)",
            "  … and 5 more",
        ]);
        assert.strictEqual(formatImageDifference(diff).length, formatImageDifference(diff, { maxFilesPerLayer: 3 }).length + 4);
    });

    it("reads through a registry that asks for Basic credentials", async () => {
        const locked = await imageRegistry({ username: "u", password: "p" });
        try {
            const a = locked.push("app", image([SERVER]));
            const b = locked.push("app", image([RUN]));
            const diff = await diffImages(a, b, { registry: locked.host, username: "u", password: "p" });
            const app = layer(diff, 1, "changed");
            assert.deepStrictEqual(
                [app.files.added.map((f) => f.path), app.files.removed.map((f) => f.path)],
                [["app/run.sh"], ["app/server.py"]],
            );
            await assert.rejects(
                diffImages(a, b, { registry: locked.host, username: "u", password: "wrong" }),
                (e: unknown) => e instanceof RegistryError && /refused the credentials/.test(e.problem),
            );
        } finally {
            locked.close();
        }
    });

    it("a multi-platform index and a missing manifest are refused with what to give instead", async () => {
        const index = reg.putManifest(
            "app",
            JSON.stringify({ schemaVersion: 2, manifests: [] }),
            "application/vnd.oci.image.index.v1+json",
        );
        await assert.rejects(
            fetchManifest(index, creds()),
            (e: unknown) =>
                e instanceof RegistryError && /is not a single-platform image manifest/.test(e.problem) && /platform's own/.test(e.fix),
        );
        const a = reg.push("app", image([SERVER]));
        const missing = a.replace(/@sha256:.*/, `@sha256:${"0".repeat(64)}`) as typeof a;
        await assert.rejects(
            diffImages(a, missing, creds()),
            (e: unknown) => e instanceof RegistryError && /holds no manifest/.test(e.problem),
        );
    });

    it("a blob whose bytes do not match its digest is a registry error", async () => {
        const a = reg.push("app", image([SERVER]));
        const b = reg.push("app", image([RUN]));
        const diff = await diffImages(a, b, creds());
        const app = layer(diff, 1, "changed");
        reg.putBlobAt("app", app.after.digest, zlib.gzipSync(appLayer(SERVER)));
        await assert.rejects(
            diffImages(a, b, creds()),
            (e: unknown) =>
                e instanceof RegistryError && e.problem.includes(`sent bytes hashing to sha256:`) && e.problem.includes(app.after.digest),
        );
    });

    it("a layer that is not a tar, or compressed with zstd, is an image content error naming the layer", async () => {
        const a = reg.push("app", image([SERVER]));
        const b = reg.push("app", { layers: [{ tar: BASE }, { tar: Buffer.alloc(1024, 7) }] });
        await assert.rejects(
            diffImages(a, b, creds()),
            (e: unknown) =>
                e instanceof ImageContentError &&
                /^layer 2 \(sha256:[0-9a-f]{64}\) of .* cannot be read as a gzip-compressed tar: the block at byte 0 is not a tar header/.test(
                    e.problem,
                ),
        );
        // Another app layer (its diff_id differs), compressed with zstd.
        const other = await fetchManifest(reg.push("app", image([RUN])), creds());
        const zstd = JSON.stringify({
            schemaVersion: 2,
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            config: other.config,
            layers: [other.layers[0], { mediaType: "application/vnd.oci.image.layer.v1.tar+zstd", digest: sha256("z"), size: 1 }],
        });
        const c = reg.putManifest("app", zstd, "application/vnd.oci.image.manifest.v1+json");
        await assert.rejects(
            diffImages(a, c, creds()),
            (e: unknown) =>
                e instanceof ImageContentError &&
                /^layer 2 \(sha256:[0-9a-f]{64}\) of .* is application\/vnd\.oci\.image\.layer\.v1\.tar\+zstd; only tar layers/.test(
                    e.problem,
                ),
        );
    });
});

describe("config and manifest fields", () => {
    it("paths read as dotted keys and bracketed indexes; odd keys are quoted", () => {
        assert.deepStrictEqual(
            jsonChanges(
                { config: { Labels: { "pinned.base.digest": "a", "odd key": "1" }, Env: ["A=1"] }, architecture: "amd64" },
                {
                    config: { Labels: { "pinned.base.digest": "b", "odd key": 1 }, Env: ["A=1", "B=2"] },
                    architecture: "arm64",
                    os: "linux",
                },
            ),
            [
                { path: "config.Labels.pinned.base.digest", before: "a", after: "b" },
                { path: 'config.Labels["odd key"]', before: '"1"', after: "1" },
                { path: "config.Env[1]", after: "B=2" },
                { path: "architecture", before: "amd64", after: "arm64" },
                { path: "os", after: "linux" },
            ],
        );
    });

    it("digests are shortened, and long values are cut around their first difference", () => {
        const [digest] = jsonChanges({ d: `sha256:${"b00f".repeat(16)}` }, { d: `sha256:${"0d93".repeat(16)}` });
        assert.deepStrictEqual(digest, { path: "d", before: "sha256:b00fb00fb00f…", after: "sha256:0d930d930d93…" });
        // A value longer than the limit keeps the 80 characters that end with the difference…
        const command = "/bin/sh -c apt-get update && apt-get install -y --no-install-recommends python3 curl ca-certificates";
        const [history] = jsonChanges({ created_by: `${command} git=2.39.2-1` }, { created_by: `${command} git=2.39.5-0` });
        assert.strictEqual(history.before, "…get install -y --no-install-recommends python3 curl ca-certificates git=2.39.2-1");
        assert.strictEqual(history.after, "…get install -y --no-install-recommends python3 curl ca-certificates git=2.39.5-0");
        // …or, when the difference is deep inside, 16 shared characters before it and what fits after.
        const [middle] = jsonChanges({ v: `${"a".repeat(150)}X${"b".repeat(150)}` }, { v: `${"a".repeat(150)}Y${"b".repeat(150)}` });
        assert.deepStrictEqual(middle, {
            path: "v",
            before: `…${"a".repeat(16)}X${"b".repeat(63)}…`,
            after: `…${"a".repeat(16)}Y${"b".repeat(63)}…`,
        });
        const [whole] = jsonChanges({ history: [{ long: "x".repeat(200) }] }, {});
        assert.deepStrictEqual(whole, { path: "history", before: `[{"long":"${"x".repeat(70)}…` });
    });

    it("sizes read in decimal units", () => {
        assert.deepStrictEqual([0, 5, 999, 1000, 1234, 99_949, 99_950, 999_499, 999_500, 41_900_000, 123_456_789, 5e12].map(humanSize), [
            "0 B",
            "5 B",
            "999 B",
            "1.0 kB",
            "1.2 kB",
            "99.9 kB",
            "100 kB",
            "999 kB",
            "1.0 MB",
            "41.9 MB",
            "123 MB",
            "5.0 TB",
        ]);
    });
});
