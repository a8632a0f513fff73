import * as path from "path";

/** The project root: where Pulumi.yaml lives. */
export const PROJECT_DIR = path.resolve(__dirname, "..");
