import * as path from "path";

/** The project root: where Pulumi.yaml lives, two folders up from this file (pipeline/project/). */
export const PROJECT_DIR = path.resolve(__dirname, "..", "..");
