/** How run changes travel on an environment's EventBridge bus: the publisher, the stack's rules and the consumers. */
export const RUN_EVENT_SOURCE = "data-flows";
export const RUN_EVENT_DETAIL_TYPE = "Flow Run State Change";
