import * as fs from "fs";

/**
 * Writes `content` to `file` whole or not at all: into a temporary file
 * beside it, flushed to disk, then renamed over it. A full disk or a crash
 * leaves the old content or the new, never a truncated file; the temporary
 * file is removed when the write fails.
 */
export function writeFileWhole(file: string, content: string, mode: number): void {
    const tmp = `${file}.${process.pid}.tmp`;
    try {
        const fd = fs.openSync(tmp, "w", mode);
        try {
            fs.writeSync(fd, content);
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
        fs.renameSync(tmp, file);
    } catch (err) {
        try {
            fs.rmSync(tmp, { force: true });
        } catch {
            // not ours to remove (not a file): the error that matters is err
        }
        throw err;
    }
}
