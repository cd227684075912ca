import * as z from "zod";
import { defineFlow } from "../registry/flow-definition";

/**
 * An incremental load in Python: the orders that changed since its watermark (or in its data interval), upserted into
 * the warehouse through DB-API. `source` and `warehouse` are database URLs (`sqlite:///…`, `postgresql://…`).
 */
export default defineFlow({
  name: "orders-load-py",
  description: "Upserts the orders changed since the watermark (up to the data interval's end) into the warehouse.",
  owner: "@data-eng",
  run: { image: "python", command: ["python", "flows/orders-load-py/main.py"] },
  // Hourly slots for backfills; off until its URLs point at real databases.
  schedule: { cron: "0 * * * *", timezone: "UTC", enabled: false },
  timeoutMinutes: 30,
  retries: 1,
  overlap: "skip",
  watermark: true,
  params: {
    source: z.string().min(1).default("sqlite:///tmp/data-flows/shop.db"),
    warehouse: z.string().min(1).default("sqlite:///tmp/data-flows/warehouse.db"),
    /** false reloads exactly the data interval (a backfill's reprocessing) instead of reading on from the watermark. */
    from_watermark: z.stringbool().default(true),
    /** Fewer orders than this in the window fails the run (a feed gone quiet) and rolls the load back. */
    min_rows: z.coerce.number().int().min(0).default(0),
  },
});
