import { ImageContentError, PinnedError } from "../errors";
import { ImageDigest, splitImageDigest } from "../imageDigest";
import { fetchImageConfig, fetchManifest, ImageManifest, openBlob, RegistryCredentials } from "../registry";
import { ImageDifference, ImageSide, LayerBlob, LayerDifference } from "./difference";
import { compareFiles, FileChanges } from "./fileChanges";
import { jsonChanges } from "./jsonChanges";
import { layerCompression, LayerFile, readLayerFiles } from "./layerFiles";

/** An image as read from the registry: manifest, config, and layers with their diff_ids. */
interface ReadImage {
    readonly ref: ImageDigest;
    readonly repository: string;
    readonly manifest: ImageManifest;
    readonly config: Record<string, unknown>;
    readonly layers: readonly LayerBlob[];
}

/** Manifest paths the config and layer comparisons already account for. */
const BLOB_FIELDS = /^(config\.(digest|size)|layers\[\d+\](\.(digest|size))?)$/;

/**
 * Says what differs between two images: manifest and config fields, and,
 * for each layer whose tar differs, the files added, removed and changed.
 * Layers are read one at a time as streams; a layer pair with equal
 * diff_ids is not downloaded at all.
 */
export async function diffImages(a: ImageDigest, b: ImageDigest, creds: RegistryCredentials): Promise<ImageDifference> {
    const [before, after] = await Promise.all([readImage(a, creds), readImage(b, creds)]);
    const manifestDigestsEqual = before.manifest.digest === after.manifest.digest;
    const configDigestsEqual = before.manifest.config.digest === after.manifest.config.digest;
    const layers: LayerDifference[] = [];
    for (let index = 0; index < Math.max(before.layers.length, after.layers.length); index++) {
        layers.push(await diffLayer(before, after, index, creds));
    }
    return {
        before: side(before),
        after: side(after),
        manifestDigestsEqual,
        configDigestsEqual,
        manifestChanges: manifestDigestsEqual
            ? []
            : jsonChanges(before.manifest.json, after.manifest.json).filter((c) => !BLOB_FIELDS.test(c.path)),
        configChanges: configDigestsEqual ? [] : jsonChanges(before.config, after.config),
        layers,
    };
}

async function readImage(ref: ImageDigest, creds: RegistryCredentials): Promise<ReadImage> {
    const { repository } = splitImageDigest(ref);
    const manifest = await fetchManifest(ref, creds);
    const config = (await fetchImageConfig(repository, manifest.config.digest, creds)).json;
    const rootfs = config.rootfs as { diff_ids?: unknown } | undefined;
    const diffIds = Array.isArray(rootfs?.diff_ids) ? (rootfs.diff_ids as unknown[]) : [];
    const layers = manifest.layers.map((layer, i) => {
        const diffId = diffIds[i];
        return typeof diffId === "string" ? { ...layer, diffId } : layer;
    });
    return { ref, repository, manifest, config, layers };
}

function side(image: ReadImage): ImageSide {
    return {
        image: image.ref,
        manifestDigest: image.manifest.digest,
        manifestMediaType: image.manifest.mediaType,
        configDigest: image.manifest.config.digest,
        layerCount: image.layers.length,
    };
}

async function diffLayer(before: ReadImage, after: ReadImage, index: number, creds: RegistryCredentials): Promise<LayerDifference> {
    const b = before.layers[index];
    const a = after.layers[index];
    if (!a) {
        const files = await readLayer(before, index, creds);
        return { index, kind: "only-before", before: b, files: compareFiles(files, new Map()) };
    }
    if (!b) {
        const files = await readLayer(after, index, creds);
        return { index, kind: "only-after", after: a, files: compareFiles(new Map(), files) };
    }
    if (a.digest === b.digest) {
        return { index, kind: "identical", before: b, after: a };
    }
    if (b.diffId !== undefined && b.diffId === a.diffId) {
        return { index, kind: "recompressed", before: b, after: a };
    }
    const filesBefore = await readLayer(before, index, creds);
    // A file whose size differs has changed content whatever its bytes: no need to hash them.
    const filesAfter = await readLayer(after, index, creds, (path, size) => {
        const old = filesBefore.get(path);
        return !(old?.type === "file" && old.size !== size);
    });
    const files = compareFiles(filesBefore, filesAfter);
    return { index, kind: "changed", before: b, after: a, files, entryOrderDiffers: isEmpty(files) && !sameOrder(filesBefore, filesAfter) };
}

async function readLayer(
    image: ReadImage,
    index: number,
    creds: RegistryCredentials,
    hash?: (path: string, size: number) => boolean,
): Promise<Map<string, LayerFile>> {
    const layer = image.layers[index];
    const shown = `layer ${index + 1} (${layer.digest}) of ${image.ref}`;
    const compression = layerCompression(layer.mediaType);
    if (!compression) {
        throw new ImageContentError(
            `${shown} is ${layer.mediaType || "of no stated media type"}; only tar layers, gzip-compressed or not, can be compared.`,
            "build the images with gzip-compressed layers (the default of docker build and buildx) to compare them.",
        );
    }
    try {
        return await readLayerFiles(await openBlob(image.repository, layer.digest, creds), compression, hash);
    } catch (e) {
        if (e instanceof PinnedError) {
            throw e;
        }
        throw new ImageContentError(
            `${shown} cannot be read as a ${compression === "gzip" ? "gzip-compressed " : ""}tar: ${(e as Error).message}`,
            "push the image again; if it persists, the tool that built it writes layers this reader does not know.",
        );
    }
}

function isEmpty(files: FileChanges): boolean {
    return files.added.length === 0 && files.removed.length === 0 && files.changed.length === 0;
}

function sameOrder(x: ReadonlyMap<string, LayerFile>, y: ReadonlyMap<string, LayerFile>): boolean {
    const ys = y.keys();
    for (const key of x.keys()) {
        if (ys.next().value !== key) {
            return false;
        }
    }
    return ys.next().done === true;
}
