import { join, resolve } from "node:path";

/**
 * The provider lock file every deploy and `npm run validate:infra` copy into a stack before `terraform init`: it pins
 * the hashicorp/aws release and its checksums. Regenerate it with `terraform providers lock` (see README).
 */
export const LOCK_FILE = join(resolve(__dirname, ".."), ".aws", ".terraform.lock.hcl");
