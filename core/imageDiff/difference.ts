import { ImageDigest } from "../imageDigest";
import { BlobDescriptor } from "../registry";
import { FileChanges } from "./fileChanges";
import { FieldChange } from "./jsonChanges";

/** One of the two images compared, as the registry holds it. */
export interface ImageSide {
    readonly image: ImageDigest;
    readonly manifestDigest: string;
    readonly manifestMediaType: string;
    readonly configDigest: string;
    readonly layerCount: number;
}

/** A layer blob and the digest of its uncompressed tar (`diff_id`, from the config; absent when the config lacks it). */
export interface LayerBlob extends BlobDescriptor {
    readonly diffId?: string;
}

/**
 * The layers at one index of both images (0 = the base). Layers pair by
 * index because that is how the runtime stacks them: a layer inserted early
 * shows as every later index changed, which is what a rebuild did to them.
 */
export type LayerDifference =
    /** The same blob. */
    | { readonly index: number; readonly kind: "identical"; readonly before: LayerBlob; readonly after: LayerBlob }
    /** Different blobs of the same tar (equal diff_ids): same files, compressed differently. Not downloaded. */
    | { readonly index: number; readonly kind: "recompressed"; readonly before: LayerBlob; readonly after: LayerBlob }
    /**
     * Different tars. `entryOrderDiffers` says, when no file differs, whether the archives list
     * the same entries in another order (else they differ in header fields not compared).
     */
    | {
          readonly index: number;
          readonly kind: "changed";
          readonly before: LayerBlob;
          readonly after: LayerBlob;
          readonly files: FileChanges;
          readonly entryOrderDiffers: boolean;
      }
    /** A layer only the image before has: all its files are listed as removed. */
    | { readonly index: number; readonly kind: "only-before"; readonly before: LayerBlob; readonly files: FileChanges }
    /** A layer only the image after has: all its files are listed as added. */
    | { readonly index: number; readonly kind: "only-after"; readonly after: LayerBlob; readonly files: FileChanges };

/** What differs between two images, from manifest to files. */
export interface ImageDifference {
    readonly before: ImageSide;
    readonly after: ImageSide;
    readonly manifestDigestsEqual: boolean;
    readonly configDigestsEqual: boolean;
    /** Manifest fields besides the config's and layers' digests and sizes (media types, annotations). */
    readonly manifestChanges: readonly FieldChange[];
    /** Config fields: labels, env, created, history, rootfs.diff_ids… Empty when the config digests are equal. */
    readonly configChanges: readonly FieldChange[];
    /** One per layer index of the longer image, identical ones included. */
    readonly layers: readonly LayerDifference[];
}
