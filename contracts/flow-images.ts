/**
 * The images this repository builds for flows. A flow names one in its definition (`run.image`); the stacks give each
 * image an ECR repository, the pipeline builds and pushes each from its Dockerfile under the commit SHA, and the local
 * control plane runs a flow of each image as a process with what that image would give it.
 */
export const FLOW_IMAGES = {
  /** The TypeScript flow runtime and every TypeScript flow, bundled (`Dockerfile`). */
  node: { dockerfile: "Dockerfile", repositorySuffix: "", language: "TypeScript" },
  /** Python ≥ 3.11 with the `data_flows` helper and every Python flow (`Dockerfile.python`). */
  python: { dockerfile: "Dockerfile.python", repositorySuffix: "-python", language: "Python" },
} as const;

export type FlowImage = keyof typeof FLOW_IMAGES;
export const FLOW_IMAGE_NAMES = Object.keys(FLOW_IMAGES) as FlowImage[];

/** Where the Python helper package (`data_flows`) lives, relative to the repository root and to the image's /app. */
export const PYTHON_HELPER_DIR = "flows/python";

/** The oldest Python the helper supports: it reads `…Z` instants with `datetime.fromisoformat`, new in 3.11. */
export const MINIMUM_PYTHON = { major: 3, minor: 11 } as const;
