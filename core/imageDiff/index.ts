/**
 * Image comparison for `pinned verify`: when a rebuilt image's digest is not
 * the one a release recorded, says what differs — config fields, and files
 * per layer — so that the cause of the drift can be found.
 */
export { diffImages } from "./diffImages";
export type { ImageDifference, ImageSide, LayerBlob, LayerDifference } from "./difference";
export type { ChangedFile, FileAttribute, FileChanges } from "./fileChanges";
export { formatImageDifference, humanSize } from "./format";
export type { FormatOptions } from "./format";
export type { FieldChange } from "./jsonChanges";
export type { LayerFile } from "./layerFiles";
export { readTar, TarFormatError, TarReader } from "./tar";
export type { TarEntry, TarEntrySink, TarEntryType } from "./tar";
