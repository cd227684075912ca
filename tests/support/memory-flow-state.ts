import type { FlowPause, FlowStateStore, Watermark } from "../../lambdas/core/ports";

/** Pauses and watermarks in memory: no flow is paused, and a watermark moves only forward, as in the table. */
export function memoryFlowState(): FlowStateStore {
  const pauses = new Map<string, FlowPause>();
  const watermarks = new Map<string, Watermark>();
  return {
    pause: async (flow, pause) => pauses.get(flow) ?? (pauses.set(flow, pause), pause),
    resume: async (flow) => {
      const lifted = pauses.get(flow);
      pauses.delete(flow);
      return lifted;
    },
    pauseOf: async (flow) => pauses.get(flow),
    watermarkOf: async (flow) => watermarks.get(flow),
    commitWatermark: async (flow, watermark) => {
      const current = watermarks.get(flow);
      if (current && current.value >= watermark.value) return "kept";
      watermarks.set(flow, watermark);
      return "advanced";
    },
  };
}
