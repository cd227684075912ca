declare module "dynalite" {
  import type { Server } from "node:http";
  interface DynaliteOptions {
    /** Persist tables in a LevelDB under this folder; in memory when absent. */
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
  }
  function dynalite(options?: DynaliteOptions): Server;
  export = dynalite;
}
