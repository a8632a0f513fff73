import { GitSource } from "../../core/git/gitSource";
import { ReleaseName } from "../../core/git/releaseName";
import { ReleaseRecord } from "../project/stackFile";

// Its own module so that deploy.ts and putBackPrevious.ts, which calls back
// into deploy's update with one, both import it without importing each other.

/** A release that passed every check its command makes, ready to deploy. */
export interface DeployRequest {
    readonly release: ReleaseName;
    readonly record?: ReleaseRecord;
    /** The checked-out source at the release's commit; needed when the release has no recorded digest yet. */
    readonly source?: GitSource;
    /** The commit to record: the one already recorded, else HEAD (which the tag points at). */
    readonly commit: string;
    /** The command line, as the lock shows it to a second caller. */
    readonly command: string;
}
